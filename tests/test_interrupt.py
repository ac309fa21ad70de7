"""Ctrl-C early in `verify`: while the spec loads, the model is built, reduced
or compiled, the run stops with the partial report and exit 130.

The fuzzer's reproducer (resources_sigint_*) had its SIGINT sent to a child
that had inherited SIGINT *ignored* (a job started with `&` from a
non-interactive shell gets SIG_IGN, and exec keeps it). Python, like every
Unix program that honours nohup-style ignoring, then installs no Ctrl-C
handler, so that run went on to its bound. A terminal's Ctrl-C reaches a
foreground job whose SIGINT is at its default, which is what these tests
give the child explicitly, whatever the test runner inherited.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIG = ROOT / "tests" / "data" / "robustness" / "resources_sigint_no_partial_report_e2606e17.cap"


def _as_a_terminal_job():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_after(delay: float, *argv: str, ignored: bool = False):
    proc = subprocess.Popen([sys.executable, "-m", "capmodel", *argv], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignored
                            else _as_a_terminal_job)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0, 6.0])
def test_ctrl_c_during_set_up_gives_the_partial_report(delay):
    # the 7-node spec takes seconds to load, build, reduce (its symmetry check
    # alone is long) and compile: each delay lands in a different phase
    rc, out, err = _interrupt_after(delay, "verify", "--no-render", str(BIG))
    assert rc == 130, err
    assert "Traceback" not in err
    assert "INCOMPLETE: stopped at interrupted (Ctrl-C)" in out
    assert "HOLDS" not in out
    assert "interrupted: 1 of 1 spec(s) reported" in err


@pytest.mark.slow
def test_an_ignored_sigint_stays_ignored():
    # nohup-style: a run whose SIGINT was ignored by its parent is not stopped by
    # one; here it runs to its (small) state bound and reports that instead
    rc, out, err = _interrupt_after(1.0, "verify", "--no-render", "--max-states", "3000", str(BIG),
                                    ignored=True)
    assert rc == 1, err
    assert "INCOMPLETE: stopped at max states 3000" in out
