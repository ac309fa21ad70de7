"""A capmodel command run as a child process, with the CPU it took (user +
system, the child's own and its children's): what bench/engine_both.py and
bench/engine_z3.py compare. Not a test."""
from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAPMODEL = [sys.executable, "-m", "capmodel"]


def run_child(args: list[str], limit: float | None = None) -> tuple[float, str | None]:
    """(CPU seconds of the child, its standard output); None for the output when it ran past `limit` seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=limit, check=False).stdout
    except subprocess.TimeoutExpired:
        out = None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out
