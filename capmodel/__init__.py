"""capmodel: model-check database replication setups (docs/api.md).

    import capmodel
    result = capmodel.verify("specs/async.cap")
    result.verdicts        # {'no_acked_write_lost': 'violated', ...}

`import capmodel` is cheap: the API (capmodel/api.py) and everything it needs
(the parser, the engines; never z3 or graphviz) load on first use.

`capmodel.cap` and `capmodel.export` are the API's functions, although
capmodel/cap.py and capmodel/export/ are submodules of the same names:
importing a submodule does not replace the function. Code inside the
package reaches the submodules as `from .cap import analyse` or
`from capmodel.export import export` (never `from . import cap`, nor
`import capmodel.cap as x`, which give the function)."""
from __future__ import annotations

import sys
import types

__all__ = ["CapTable", "SpecError", "Verification", "cap", "export", "load", "verify"]
_SHADOWED = ("cap", "export")  # API functions named like submodules


class _Package(types.ModuleType):
    def __getattribute__(self, name: str):
        if name in _SHADOWED:
            from . import api

            return getattr(api, name)
        return super().__getattribute__(name)


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'capmodel' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])


sys.modules[__name__].__class__ = _Package
