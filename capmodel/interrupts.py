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

import signal

_held = False
_pending = False


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
