"""Ctrl-C while the command starts is held, not lost.

Before `verify` has built its model it knows nothing to report: a Ctrl-C
that lands while Python imports capmodel, while the spec is parsed and
validated, or while the IR is built (together about a second, bounded by the
spec size limit) would end the run with no partial report. So the command's
entry point holds SIGINT from its first line: the signal is remembered, and
the command takes it at the first point where it can report (`verify`: once
the model is built, every property INCOMPLETE with nothing explored; every
other command: as it starts, since nothing is known yet).

A SIGINT that the parent process ignored (nohup, or a job started with `&`
by a non-interactive shell) stays ignored: only Python's own default
handler is ever replaced. Library users (capmodel.api, a notebook) never
call `hold`, so `release` does nothing for them.
"""
from __future__ import annotations

import functools
import signal
import sys
import threading
from contextlib import contextmanager

_held = False
_pending = False
_noted = False


def _remember(signum, frame) -> None:
    global _pending
    _pending = True


def hold() -> None:
    """From now on a SIGINT is remembered instead of raising KeyboardInterrupt."""
    global _held
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _remember)
        _held = True


def release() -> bool:
    """Ctrl-C raises KeyboardInterrupt again; True if one came while held."""
    global _held, _pending
    if _held:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _held = False
    came, _pending = _pending, False
    return came


def release_or_raise() -> None:
    """release(), and the held Ctrl-C (if any) as a KeyboardInterrupt now."""
    if release():
        raise KeyboardInterrupt


def is_interrupt(err: BaseException) -> bool:
    """A Ctrl-C: a KeyboardInterrupt, or one that came while ctypes converted
    the arguments of a foreign call. Z3's Python API converts its objects in
    Python code (from_param), where the signal handler can run, and ctypes
    replaces any exception raised there by an ArgumentError whose message
    alone names it ("argument 2: KeyboardInterrupt: "): a Ctrl-C in the Z3
    engine came out as "internal error" (exit 70) on a busy machine."""
    if isinstance(err, KeyboardInterrupt):
        return True
    import ctypes  # here: only an error that may be one needs it

    return isinstance(err, ctypes.ArgumentError) and "KeyboardInterrupt" in str(err)


def _note_and_raise(signum, frame) -> None:
    global _noted
    _noted = True
    raise KeyboardInterrupt


@contextmanager
def noted():
    """While the body runs, a Ctrl-C is noted as well as raised.

    Z3's Python API frees its terms in __del__ methods, and Python prints a
    KeyboardInterrupt raised while one of them runs as "Exception ignored in:
    AstRef.__del__" and drops it: the Z3 engine then ran on to its end (a
    full CI run saw a Ctrl-C at 6 s of the 7-node proof not answered in 120 s).
    The engine's budget checks (engines/budget.py) ask `came()`, so a Ctrl-C
    lost that way still stops the run, as one Z3 catches inside a check does.
    Python would also print that dropped interrupt, traceback and all, on
    stderr ("Exception ignored in ..."): a run stopped by the user must show
    no traceback, so the unraisable-exception hook leaves out an interrupt
    (and passes anything else on to the hook it replaced).
    Only Python's own handler is replaced, and only in the main thread (a
    SIGINT the parent ignored stays ignored; one held by `hold` stays held)."""
    global _noted
    if (signal.getsignal(signal.SIGINT) is not signal.default_int_handler
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    _noted = False
    before = sys.unraisablehook

    def unraisable(u) -> None:
        if not is_interrupt(u.exc_value):  # an interrupt dropped here is noted: came() says so
            before(u)

    signal.signal(signal.SIGINT, _note_and_raise)
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = before
        _noted = False  # answered by this run; a later budget check outside one must not see it


def noting(f):
    """f, run within `noted()`."""
    @functools.wraps(f)
    def run(*args, **kwargs):
        with noted():
            return f(*args, **kwargs)
    return run


def came() -> bool:
    """Has a Ctrl-C come during the running `noted()` (raised or lost)?"""
    return _noted
