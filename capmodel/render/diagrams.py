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


class DiagramsNotWritten(Exception):
    """The output folder cannot take the diagrams; the message is one line saying why."""


def not_written(err: Exception, out_dir: str | Path) -> DiagramsNotWritten:
    """The one-line error for a folder that refused a diagram (OSError, a NUL in the path, UnsafePath)."""
    if isinstance(err, UnsafePath):
        why = str(err)
    elif isinstance(err, OSError):
        why = f"{err.strerror or err}" + (f": {err.filename}" if err.filename else "")
    else:
        why = "the path contains a NUL character" if "null" in str(err) else str(err)
    where = repr(str(out_dir)) if len(str(out_dir)) <= 80 else repr(str(out_dir)[:77] + "...")
    return DiagramsNotWritten(f"diagrams not written to --out {where}: {why}; "
                              "give --out a folder you can write to, or --no-render")


def unique(name: str, used: set[str]) -> str:
    """name, or name-2, name-3...: the first not in used (which it joins)."""
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    used.add(candidate)
    return candidate


def folder_names(spec_paths) -> list[str]:
    """One output folder per spec of a run: its file name's stem, numbered when
    two specs share one (a/x.cap and b/x.cap -> x, x-2)."""
    used: set[str] = set()
    return [unique(safe_name(Path(str(p)).stem, "spec"), used) for p in spec_paths]


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
    """Write each trace as .dot, .mmd and (with `dot`) an image into out_dir/<folder_name>/.
    Raises DiagramsNotWritten when the folder cannot take them."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"unknown image format {fmt!r}: use svg or png")
    try:
        return _write_traces(traces, folder_name, Path(out_dir), fmt)
    except (OSError, ValueError) as err:
        if isinstance(err, ValueError) and not isinstance(err, UnsafePath) and "null" not in str(err):
            raise  # not the folder's fault: a bug
        raise not_written(err, out_dir) from None


# In each spec's folder, the names of the files the last run wrote there, so the
# next run can delete them: a diagram must not outlive its counterexample (a
# property fixed since, or renamed), and files capmodel did not write are never touched.
WRITTEN_LIST = ".capmodel-written"


def _remove_previous(folder: Path) -> None:
    """Delete the files an earlier run listed in folder/WRITTEN_LIST, then the list
    (and the folder, if nothing else is left in it)."""
    listing = folder / WRITTEN_LIST
    if not listing.is_file():
        return
    for name in listing.read_text(encoding="utf-8").splitlines():
        if name and name == Path(name).name:  # a bare file name, in this folder
            (folder / name).unlink(missing_ok=True)
    listing.unlink()
    if not any(folder.iterdir()):
        folder.rmdir()


def _write_traces(traces: list[tuple[str, Trace]], folder_name: str, base: Path,
                  fmt: str) -> tuple[dict[str, str], list[str]]:
    notes: list[str] = []
    paths: dict[str, str] = {}
    folder = inside(base, safe_name(folder_name, "spec"))
    _remove_previous(folder)
    if not traces:
        return paths, notes
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    can_render = have_dot()
    used: set[str] = set()
    for key, trace in traces:
        stem = unique(safe_name(key, "property"), used)  # two names that sanitise alike keep apart
        dot_path = inside(folder, stem + ".dot")
        source = trace_to_dot(trace)
        dot_path.write_text(source, encoding="utf-8")
        inside(folder, stem + ".mmd").write_text(trace_to_mermaid(trace), encoding="utf-8")
        written += [stem + ".dot", stem + ".mmd"]
        paths[key] = str(dot_path)
        if not can_render:
            continue
        try:
            image = render_dot(source, inside(folder, stem + "." + fmt), fmt)
            written.append(image.name)
            paths[key] = str(image)
        except DotMissing:
            can_render = False
        except RuntimeError as err:
            notes.append(f"warning: dot could not render {dot_path}: {err}")
    (folder / WRITTEN_LIST).write_text("".join(name + "\n" for name in written), encoding="utf-8")
    if not can_render:
        notes.append(INSTALL_HINT)
    return paths, notes


def write_counterexamples(result: CheckResult, spec_path: str | Path, out_dir: str | Path,
                          fmt: str = "svg", folder: str | None = None) -> tuple[dict[str, str], list[str]]:
    """Diagrams of every counterexample of one spec's check, in out_dir/<folder>/
    (default: the spec file's stem; see folder_names for a run of several specs).

    Returns ({property name (or "deadlock"): path of the image, or of the .dot file
    when Graphviz's `dot` is missing}, notes to print: at most one line saying how
    to install Graphviz, and one per diagram `dot` failed on). Raises
    DiagramsNotWritten when out_dir cannot take them."""
    return write_traces(counterexamples(result), folder or Path(str(spec_path)).stem, out_dir, fmt)
