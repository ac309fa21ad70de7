"""`capmodel export`: the IR as Promela (SPIN), Murphi (Rumur) or TLA+ (TLC),
with the same graph as the explicit engine. See docs/export.md."""
from __future__ import annotations

from ..ir.model import Model
from . import murphi, promela, tla
from .common import ExportError, checked, unknown_properties

FORMATS = {"promela": promela, "murphi": murphi, "tla": tla}


def export(model: Model, to: str, properties: list[str] | None = None, source: str = "") -> str:
    """The model as text in the language `to` (promela | murphi | tla), checking
    `properties` (None: every invariant and lemma, as the explicit engine does).
    TLA+: the module named capmodel, then its TLC configuration after the module's end."""
    return FORMATS[to].render(model, properties, source)


def files(model: Model, to: str, properties: list[str] | None, source: str, path: str) -> dict[str, tuple[str, str]]:
    """What `-o path` writes: {key: (path, text)}, the model first (TLA+: the
    module, named after the file, and its TLC configuration next to it).
    Raises ExportError when the path cannot hold the language's model."""
    own = getattr(FORMATS[to], "files", None)
    if own is not None:
        return own(model, properties, source, path)
    return {"model": (path, export(model, to, properties, source))}


def how_to_run(to: str, file: str) -> str:
    """The one-line command that checks the exported file with its tool."""
    import shlex

    return FORMATS[to].how_to_run(shlex.quote(file))


__all__ = ["FORMATS", "ExportError", "checked", "export", "files", "how_to_run", "unknown_properties"]
