"""Write every counterexample of a check as a diagram: out/<spec>/<property>.{dot,mmd,svg|png}.

File names come from the spec's file name and the property names, reduced to
[A-Za-z0-9_-], and every path is checked to stay inside the output folder, so
nothing a spec contains can write elsewhere."""
from __future__ import annotations

import re
from pathlib import Path

from ..engines.result import VIOLATED, CheckResult
from ..trace import Trace
from .mermaid import trace_to_mermaid
from .sequence_dot import INSTALL_HINT, DotMissing, have_dot, render_dot, trace_to_dot


class UnsafePath(ValueError):
    """A diagram would land outside the output folder."""


def safe_name(name: str, fallback: str = "diagram") -> str:
    """Only letters, digits, _ and -; never empty, never starting with - (an option to other tools)."""
    out = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-")
    return out[:100] or fallback


def inside(base: Path, *parts: str) -> Path:
    """base/parts..., refusing anything whose resolved path leaves base."""
    root = base.resolve()
    path = base.joinpath(*parts)
    if not path.resolve().is_relative_to(root):
        raise UnsafePath(f"{path} would be outside {base}")
    return path


def counterexamples(result: CheckResult) -> list[tuple[str, Trace]]:
    """(key, trace) for every violated property, the deadlock, every wrong lemma,
    then every counterexample to induction (Z3), in report order."""
    lemmas = getattr(result, "lemmas", [])
    out = [(p.name, p.trace) for p in result.properties if p.verdict == VIOLATED and p.trace is not None]
    if result.deadlock is not None:
        out.append(("deadlock", result.deadlock))
    out += [(f"lemma {m.name}", m.trace) for m in lemmas if m.verdict == VIOLATED and m.trace is not None]
    out += [(f"{p.name} cti", p.cti) for p in [*result.properties, *lemmas] if getattr(p, "cti", None)]
    return out


def write_traces(traces: list[tuple[str, Trace]], folder_name: str, out_dir: str | Path,
                 fmt: str) -> tuple[dict[str, str], list[str]]:
    """Write each trace as .dot, .mmd and (with `dot`) an image into out_dir/<folder_name>/."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown image format {fmt!r}: use svg or png")
    base = Path(out_dir)
    notes: list[str] = []
    paths: dict[str, str] = {}
    if not traces:
        return paths, notes
    folder = inside(base, safe_name(folder_name, "spec"))
    folder.mkdir(parents=True, exist_ok=True)
    can_render = have_dot()
    used: set[str] = set()
    for key, trace in traces:
        stem = safe_name(key, "property")
        n = 2
        while stem in used:  # two names that sanitise alike keep apart
            stem, n = f"{safe_name(key, 'property')}-{n}", n + 1
        used.add(stem)
        dot_path = inside(folder, stem + ".dot")
        source = trace_to_dot(trace)
        dot_path.write_text(source, encoding="utf-8")
        inside(folder, stem + ".mmd").write_text(trace_to_mermaid(trace), encoding="utf-8")
        paths[key] = str(dot_path)
        if not can_render:
            continue
        try:
            paths[key] = str(render_dot(source, inside(folder, stem + "." + fmt), fmt))
        except DotMissing:
            can_render = False
        except RuntimeError as err:
            notes.append(f"warning: dot could not render {dot_path}: {err}")
    if not can_render:
        notes.append(INSTALL_HINT)
    return paths, notes


def write_counterexamples(result: CheckResult, spec_path: str | Path, out_dir: str | Path,
                          fmt: str = "svg") -> tuple[dict[str, str], list[str]]:
    """Diagrams of every counterexample of one spec's check, in out_dir/<spec file stem>/.

    Returns ({property name (or "deadlock"): path of the image, or of the .dot file
    when Graphviz's `dot` is missing}, notes to print: at most one line saying how
    to install Graphviz, and one per diagram `dot` failed on)."""
    try:
        return write_traces(counterexamples(result), Path(str(spec_path)).stem, out_dir, fmt)
    except UnsafePath as err:
        return {}, [f"warning: diagrams not written: {err}"]
