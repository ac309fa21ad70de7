"""A pytest plugin that writes, per xdist worker, when each test started, its
wall time and its CPU time (the worker's and its children's): where a run's
wall time goes that its CPU time does not explain (an idle worker, a test
that waits). docs/performance.md, "Test suite".

    PYTHONPATH=bench .venv/bin/python -m pytest -n auto --dist worksteal -p pytest_timeline
    # then out/test-timeline/<worker>.tsv: start (epoch s), wall s, CPU s, test id

Not a test, and not loaded unless asked for with -p.
"""
from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

FOLDER = Path("out/test-timeline")
_file = None


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _file
    if _file is None:
        FOLDER.mkdir(parents=True, exist_ok=True)
        _file = open(FOLDER / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.tsv", "w")
    started, cpu = time.time(), _cpu()
    yield
    _file.write(f"{started:.3f}\t{time.time() - started:.3f}\t{_cpu() - cpu:.3f}\t{item.nodeid}\n")
    _file.flush()
