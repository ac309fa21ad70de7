"""`capmodel export`: the IR as Promela (SPIN) or Murphi (Rumur), with the
same graph as the explicit engine. See docs/export.md."""
from __future__ import annotations

from ..ir.model import Model
from . import murphi, promela
from .common import ExportError, checked, unknown_properties

FORMATS = {"promela": promela, "murphi": murphi}


def export(model: Model, to: str, properties: list[str] | None = None, source: str = "") -> str:
    """The model as text in the language `to` (promela | murphi), checking
    `properties` (None: every invariant and lemma, as the explicit engine does)."""
    return FORMATS[to].render(model, properties, source)


def how_to_run(to: str, file: str) -> str:
    """The one-line command that checks the exported file with its tool."""
    import shlex

    return FORMATS[to].how_to_run(shlex.quote(file))


__all__ = ["FORMATS", "ExportError", "checked", "export", "how_to_run", "unknown_properties"]
