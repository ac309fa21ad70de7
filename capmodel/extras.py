"""Optional extras: Z3 is `capmodel[z3]`, and asking for it without it is one line, exit 2.

The explicit engine (the default) never imports z3; `--engine z3`/`both`,
`capmodel infer` and the Python API's engine="z3" do. This module only asks
whether z3 can be found: it never imports it (only the Z3 engine does).
"""
from __future__ import annotations

import importlib.util

Z3_INSTALL = "pip install 'capmodel[z3]'"
Z3_MISSING = "this needs the Z3 solver (the z3 extra of capmodel), which is not installed"


def have_z3() -> bool:
    try:
        return importlib.util.find_spec("z3") is not None
    except (ImportError, ValueError):  # a broken or blocked z3
        return False


def require_z3() -> None:
    """Raise the ModuleNotFoundError that `import z3` would, before any work is done."""
    if not have_z3():
        raise ModuleNotFoundError(f"{Z3_MISSING}; install it with: {Z3_INSTALL}", name="z3")


def is_z3_missing(err: BaseException) -> bool:
    return isinstance(err, ModuleNotFoundError) and (err.name or "").partition(".")[0] == "z3"


def check_engine(ctx, param, engine: str) -> str:
    """click callback of --engine: fail at once when Z3 is asked for and missing, not after the explicit search."""
    if engine in ("z3", "both"):
        require_z3()
    return engine
