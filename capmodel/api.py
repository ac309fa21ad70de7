"""The public Python API, for notebooks and scripts (docs/api.md).

    capmodel.load(spec)                     -> SystemConfig
    capmodel.verify(spec, properties=None, max_states=..., max_depth=None, max_memory=None,
                    symmetry=True, engine="explicit"|"z3", timeout=None) -> Verification
    capmodel.cap(specs)                     -> CapTable
    capmodel.export(spec, to="promela"|"murphi"|"tla", properties=None) -> str

`spec` is a path (str or os.PathLike) or the text of a spec: a string holding a
newline or a '{' is text, and is never written to a file. Every function calls
what the `capmodel` command calls (syntax/load.py, semantics/build.py,
engines/search.py, cap.py, export/). A bad spec raises capmodel.SpecError, whose
`.diagnostics` each have a span (file:line:col), a message and a hint. Nothing
is written anywhere, except diagrams into a folder the caller names
(Verification.write_diagrams), every path checked to stay inside it.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from .syntax.diagnostics import Diagnostic, SpecError

TEXT_NAME = "<string>"


def _is_text(spec) -> bool:
    return isinstance(spec, str) and ("\n" in spec or "{" in spec)


def _name(spec) -> str:
    return TEXT_NAME if _is_text(spec) else os.fspath(spec)


def load(spec):
    """The validated spec (a SystemConfig) from a path or from spec text. Raises SpecError."""
    from .syntax.load import load_spec, load_text

    if _is_text(spec):
        return load_text(spec, TEXT_NAME)
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"a spec is a path or the text of a spec, not {type(spec).__name__}")
    return load_spec(os.fspath(spec))


def _unknown(asked: Sequence[str], known: Sequence[str], file: str) -> None:
    """SpecError (CAP205) naming the asked properties the spec does not check, as verify -p does."""
    from .syntax.ast import Span
    from .syntax.diagnostics import did_you_mean

    unknown = [p for p in asked if p not in known]
    if unknown:
        hints = [h for h in (did_you_mean(p, known) for p in unknown) if h]
        raise SpecError([Diagnostic("CAP205", f"{file} does not check {', '.join(unknown)}; "
                                    f"it checks {', '.join(known)}", Span(file, 0, 0, 0, 0),
                                    "; ".join(hints) or None)])


def verify(spec, properties: Sequence[str] | None = None, *, max_states: int | None = None,
           max_depth: int | None = None, max_memory: int | None = None, symmetry: bool = True,
           engine: str = "explicit", timeout: float | None = None) -> "Verification":
    """Explore the spec and give each property a verdict, as `capmodel verify` does.

    max_states defaults to verify's 3,000,000 and max_memory (MB) to half the
    memory available now; a run that reaches a bound is INCOMPLETE, never HOLDS.
    engine "z3" runs bounded model checking and k-induction (`timeout` in seconds)."""
    from .cli import DEFAULT_MAX_STATES, left_out, memory_budget
    from .semantics.build import build_model

    if engine not in ("explicit", "z3"):
        raise ValueError(f"unknown engine {engine!r}: use 'explicit' or 'z3'")
    if isinstance(properties, str):
        properties = [properties]
    cfg = load(spec)
    file = _name(spec)
    wanted = list(properties) if properties else None
    if wanted:
        _unknown(wanted, list(cfg.checks) + [c.name.text for c in cfg.invariants], file)
    model = build_model(cfg)
    if engine == "z3":
        from .extras import require_z3

        require_z3()  # a message naming the extra, not "No module named 'z3'"
        from .engines import z3_engine

        result = z3_engine.check_z3(model, properties=wanted, timeout=timeout,
                                    **z3_engine.bounds_for(model, None, max_depth))
    else:
        from .engines import search

        result = search.check(model, properties=wanted, max_states=max_states or DEFAULT_MAX_STATES,
                              max_depth=max_depth, max_memory=memory_budget(max_memory), symmetry=symmetry)
    return Verification(file, result, model, left_out(cfg, wanted))


@dataclass
class Verification:
    """One spec's verdicts. `result` is the engine's CheckResult; `model` the IR it checked."""

    file: str
    result: Any
    model: Any = field(repr=False, default=None)
    unchecked: list[str] = field(default_factory=list)  # the spec's own invariants that `properties` left out

    @property
    def verdicts(self) -> dict[str, str]:
        """property -> verdict, as --json spells it (holds, violated, incomplete, proved, ...)."""
        from .engines.result import verdict_id

        return {p.name: verdict_id(p.verdict) for p in self.result.properties}

    @property
    def reachables(self) -> dict[str, str]:
        """reachable condition -> reached | unreachable | not_reached."""
        from .engines.result import verdict_id

        return {r.name: verdict_id(r.verdict) for r in self.result.reachables}

    @property
    def stats(self):
        return self.result.stats

    @property
    def traces(self) -> dict:
        """property (or "deadlock", "<p> cti") -> its counterexample, the one Trace type."""
        from .render.diagrams import counterexamples

        return dict(counterexamples(self.result))

    @property
    def ok(self) -> bool:
        """Every checked property holds, over the whole state space."""
        return not self.result.failed and not self.result.incomplete

    def to_json(self) -> dict:
        """The document of `verify --json` for this spec (docs/json.md), without diagram paths."""
        return {"file": self.file, **self.result.to_json(), "unchecked": self.unchecked}

    def report(self) -> str:
        """The text report `capmodel verify` prints."""
        from .render import text

        return text.report(self.result, self.file, unchecked=self.unchecked)

    def write_diagrams(self, out_dir, fmt: str = "svg") -> dict[str, str]:
        """Draw every counterexample into out_dir/<spec>/ (as verify does); returns key -> path."""
        from .render.diagrams import safe_name, write_counterexamples

        folder = safe_name(self.result.spec if self.file == TEXT_NAME else os.path.basename(self.file)
                           .rsplit(".", 1)[0], "spec")
        paths, _ = write_counterexamples(self.result, self.file, out_dir, fmt, folder=folder)
        return paths

    def __str__(self) -> str:
        return self.report()

    def _repr_html_(self) -> str:
        from .render import text

        r = self.result
        parts = [f"<div class='capmodel'><p><b>{_e(self.file)}</b>: system {_e(r.spec)} ({_e(r.engine)} "
                 f"engine)<br><code>{_e(text.stats_line(r).strip())}</code></p>", _table(
                     ["property", "verdict", "detail"], text.verdict_rows(r), verdict_column=1)]
        if self.unchecked:
            parts.append(f"<p>{_e(text.unchecked_line(self.unchecked))}</p>")
        for key, trace in self.traces.items():
            parts.append(f"<h4>{_e(key)}</h4>" + trace_html(trace))
        return "\n".join(parts) + "</div>"


COLOURS = {"HOLDS": "#2a7a2a", "PROVED": "#2a7a2a", "REACHED": "#2a7a2a", "VIOLATED": "#c0392b",
           "UNREACHABLE": "#c0392b", "INCOMPLETE": "#9a7d0a", "CP": "#1f5fa8", "AP": "#c05a00"}


def _e(s) -> str:
    return html.escape(str(s))


def _table(header: Sequence[str], rows, verdict_column: int | None = None) -> str:
    def cell(k, value):
        colour = COLOURS.get(str(value).split(" ")[0]) if k == verdict_column else None
        style = f" style='color:{colour};font-weight:bold'" if colour else ""
        return f"<td{style}>{_e(value)}</td>"

    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(k, v) for k, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def trace_svg(trace) -> str | None:
    """The trace's Graphviz sequence diagram as SVG text, or None without `dot`
    (drawn in a temporary folder, removed afterwards)."""
    import tempfile
    from pathlib import Path

    from .render.sequence_dot import DotMissing, have_dot, render_dot, trace_to_dot

    if not have_dot():
        return None
    with tempfile.TemporaryDirectory(prefix="capmodel-") as tmp:
        try:
            return render_dot(trace_to_dot(trace), Path(tmp) / "trace.svg", "svg").read_text(encoding="utf-8")
        except (DotMissing, RuntimeError):
            return None


def trace_html(trace) -> str:
    """A counterexample in HTML: its steps in words, then its sequence diagram (SVG), or
    the Mermaid text with a note when Graphviz's `dot` is missing."""
    from .render.text import trace_lines

    words = f"<pre>{_e(chr(10).join(trace_lines(trace)))}</pre>"
    svg = trace_svg(trace)
    if svg is not None:
        return words + svg[svg.find("<svg"):]
    from .render.mermaid import trace_to_mermaid

    return (words + "<p><i>Graphviz's <code>dot</code> was not found, so the diagram is shown as Mermaid text "
            "(install graphviz to see it drawn).</i></p>" + f"<pre>{_e(trace_to_mermaid(trace))}</pre>")


def cap(specs, *, max_states: int | None = None, max_memory: int | None = None) -> "CapTable":
    """The CAP table of `capmodel cap`: one row per spec (a path, spec text, or a list of them).

    Bounded as `capmodel cap` is: max_states defaults to 3,000,000 and
    max_memory (MB) to half the memory available now; a row that reaches
    one is INCOMPLETE."""
    from .cap import analyse
    from .cli import DEFAULT_MAX_STATES, memory_budget

    if isinstance(specs, (str, os.PathLike)):
        specs = [specs]
    loaded = [(_name(s), load(s)) for s in specs]  # every spec valid before any is explored
    return CapTable([analyse(cfg, name, max_states=max_states or DEFAULT_MAX_STATES,
                             max_memory=memory_budget(max_memory)) for name, cfg in loaded])


@dataclass
class CapTable:
    rows: list

    def labels(self) -> dict[str, dict[str, str]]:
        """file -> {"reads", "writes", "system"} labels."""
        return {r.file: {"reads": r.reads, "writes": r.writes, "system": r.label} for r in self.rows}

    def to_json(self) -> list[dict]:
        return [r.to_json() for r in self.rows]

    def __str__(self) -> str:
        from .cap import table

        return table(self.rows)

    def _repr_html_(self) -> str:
        rows = [(os.path.basename(r.file), r.reads, r.writes, r.label,
                 ", ".join(f"fails {p}" for p in r.failures)) for r in self.rows]
        return _table(["spec", "reads", "writes", "system", "under a partition"], rows, verdict_column=3)


def export(spec, to: str = "promela", properties: Sequence[str] | None = None) -> str:
    """The model as Promela (SPIN), Murphi (Rumur) or TLA+ (TLC) text, as `capmodel export` writes it."""
    from .export import FORMATS
    from .export import export as export_model
    from .export import unknown_properties
    from .semantics.build import build_model

    if to not in FORMATS:
        raise ValueError(f"unknown language {to!r}: use {' or '.join(map(repr, FORMATS))}")
    model = build_model(load(spec))
    wanted = [properties] if isinstance(properties, str) else list(properties or [])
    if unknown_properties(model, wanted):
        _unknown(wanted, [c.name for c in model.invariants + model.lemmas], _name(spec))
    return export_model(model, to, wanted or None, source=_name(spec))


__all__ = ["CapTable", "SpecError", "Verification", "cap", "export", "load", "verify"]
