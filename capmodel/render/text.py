"""The verdict table and counterexamples in plain words.

Tables go through rich (no box, two spaces between columns, so that piped
output is the plain columns it always was); with `color` the verdicts are
coloured: VIOLATED red, HOLDS green, INCOMPLETE yellow (cli.py decides when:
only on a terminal, unless --color says otherwise, and never under NO_COLOR)."""
from __future__ import annotations

import io
import re
from typing import Sequence

from ..engines.result import CheckResult
from ..trace import Trace

VERDICT_WORDS = {"holds": "HOLDS", "violated": "VIOLATED", "incomplete": "INCOMPLETE",
                 "reached": "REACHED", "unreachable": "UNREACHABLE",
                 "not reached within bounds": "INCOMPLETE",
                 # the Z3 engine's own verdicts
                 "proved": "PROVED", "bounded": "NO COUNTEREXAMPLE UP TO DEPTH {depth}",
                 "not inductive": "NOT INDUCTIVE"}


# the style of a verdict's first word on a terminal
STYLES = {"VIOLATED": "bold red", "UNREACHABLE": "bold red", "NOT": "yellow", "HOLDS": "green",
          "PROVED": "green", "REACHED": "green", "INCOMPLETE": "yellow", "NO": "yellow",
          "BUG:": "bold red"}


def style_of(words: str) -> str | None:
    return STYLES.get(words.split(" ", 1)[0]) if words else None


_TRAILING = re.compile(r"[ ]+((?:\x1b\[[0-9;]*m)*)$", re.M)


def grid(columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[str]], *, header: bool = True,
         styled: int | None = None, color: bool = False) -> str:
    """Rows as rich renders a table without borders: `columns` gives each
    column's header and least width, `styled` the column whose cells get a
    verdict's colour. Lines carry no trailing spaces."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, show_header=header, header_style=None, padding=(0, 1), pad_edge=False,
                  show_edge=False)
    for title, width in columns:
        table.add_column(title, min_width=width, no_wrap=True)
    for row in rows:  # Text, never markup: a detail such as "[w1]" is shown as it is
        table.add_row(*(Text(cell, style=(style_of(cell) or "") if k == styled and color else "")
                        for k, cell in enumerate(row)))
    out = io.StringIO()
    console = Console(file=out, width=100_000, color_system="standard" if color else None, force_terminal=color,
                      no_color=not color, highlight=False, markup=False, emoji=False, soft_wrap=False)
    console.print(table)
    return _TRAILING.sub(r"\1", out.getvalue().rstrip("\n"))


def verdict_words(p) -> str:
    return VERDICT_WORDS.get(p.verdict, p.verdict.upper()).format(depth=getattr(p, "depth", "?"))


def stats_line(result: CheckResult) -> str:
    s = result.stats
    if result.engine != "explicit":
        depth = getattr(result, "bmc_depth", s.depth)
        if depth < 0:
            return f"induction (no bounded search was needed) in {s.seconds:.2f} s"
        return f"bounded model checking to depth {depth} and induction in {s.seconds:.2f} s"
    if s.complete:
        cover = "the whole state space"
    elif s.stopped_early:
        cover = "stopped once every property was violated"
    else:
        cover = f"INCOMPLETE: stopped at {s.bound}"
    return (f"explored {s.states:,} states, {s.transitions:,} transitions, depth {s.depth} "
            f"in {s.seconds:.2f} s ({s.states_per_second:,.0f} states/s): {cover}")


def trace_lines(trace: Trace, indent: str = "  ") -> list[str]:
    lines = [f"{indent}{step.index}. {step.text}" for step in trace.steps]
    if not trace.steps:
        lines.append(f"{indent}(the initial state already breaks it)")
    if trace.explanation:
        lines.append(f"{indent}=> {trace.explanation}")
    return lines


def state_lines(view, prefix: str = "") -> list[str]:
    """A state view (nested dicts, as the model's `view` hook gives) one line per
    entity: `master: up, role follower, log [w2], source s2`."""
    if not isinstance(view, dict):
        return [f"{prefix}{view}"]
    lines, flat = [], []
    for key, value in view.items():
        if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            lines += state_lines(value, prefix)
        elif isinstance(value, dict) and value:
            lines.append(f"{prefix}{key}: " + ", ".join(_field(k, v) for k, v in value.items()))
        elif not isinstance(value, dict) and value not in ([], None):
            flat.append(_field(key, value))
    if flat:
        lines.append(prefix + ", ".join(flat))
    return lines


def _field(key: str, value) -> str:
    if value is True:
        return key
    if value is False:
        return f"not {key}"
    if isinstance(value, list):
        return f"{key} [{', '.join(map(str, value))}]"
    return f"{key} {value}"


def report(result: CheckResult, file: str, diagrams: dict[str, str] | None = None, *, color: bool = False,
           unchecked: Sequence[str] = ()) -> str:
    """The report of one run; `unchecked`: the spec's own invariants that -p left out."""
    diagrams = diagrams or {}
    out = [f"{file}: system {result.spec} ({result.engine} engine)", stats_line(result),
           *(f"  {note}" for note in result.stats.reductions), ""]
    rows = [(p.name, verdict_words(p), _detail(p, result)) for p in result.properties]
    rows += [(f"reachable {r.name}", verdict_words(r), _detail(r, result)) for r in result.reachables]
    rows += [(f"lemma {m.name}", verdict_words(m), _detail(m, result)) for m in getattr(result, "lemmas", [])]
    if result.deadlock is not None:
        rows.append(("no deadlock", "VIOLATED", f"{len(result.deadlock.steps)} steps"))
    out.append(grid([("property", 8), ("verdict", 10), ("detail", 0)], rows, styled=1, color=color))
    for p in result.properties:
        if p.trace is not None:
            out += ["", f"{p.name} is VIOLATED ({p.description}):"] + trace_lines(p.trace)
            if p.name in diagrams:
                out.append(f"  diagram: {diagrams[p.name]}")
    if result.deadlock is not None:
        out += ["", "deadlock: no action is enabled before the workload is done:"]
        out += trace_lines(result.deadlock)
    for m in getattr(result, "lemmas", []):
        if m.trace is not None:
            out += ["", f"lemma {m.name} is VIOLATED: it is wrong, and no proof may assume it:"]
            out += trace_lines(m.trace)
            if f"lemma {m.name}" in diagrams:
                out.append(f"  diagram: {diagrams[f'lemma {m.name}']}")
    for p in [*result.properties, *getattr(result, "lemmas", [])]:
        cti = getattr(p, "cti", None)
        if cti is None:
            continue
        out += ["", f"why induction cannot prove {p.name} yet (a counterexample to induction):",
                "  0. start in this state, which need not be reachable:"]
        out += [f"       {line}" for line in state_lines(cti.initial)]
        out += trace_lines(cti)
        if f"{p.name} cti" in diagrams:
            out.append(f"  diagram: {diagrams[f'{p.name} cti']}")
    for r in result.reachables:
        if r.verdict == "unreachable":
            out += ["", f"reachable {r.name} can never happen: the spec may be vacuous; "
                    "check its faults and workload"]
    if unchecked:
        out += ["", f"not checked (left out by -p): {', '.join(unchecked)}"]
    for note in getattr(result, "notes", []):
        out += ["", f"note: {note}"]
    if getattr(result, "generated", None):
        out += ["", "lemmas generated from the model's own terms and proved; the proof used them "
                "(paste them into the spec to keep them):"] + [f"  {line}" for line in result.generated]
    if result.stats.complete and result.unfired:
        out += ["", "actions that never fired: " + ", ".join(result.unfired)]
    further = going_further(result)
    if further:
        out += ["", further]
    return "\n".join(out)


def going_further(result: CheckResult) -> str | None:
    """What to do after an explicit run that a bound (or Ctrl-C) stopped."""
    s = result.stats
    if result.engine != "explicit" or s.complete or s.stopped_early or not s.bound:
        return None
    if s.bound.startswith("interrupted"):
        return "interrupted: the verdicts above are those known when the search stopped"
    if s.bound.startswith("max depth"):
        return "to go further: raise --max-depth, or check one property with -p"
    bigger = "--max-memory" if s.bound.startswith("memory") else "--max-states"
    return (f"to go further: make the model smaller (fewer nodes, writes, reads, crashes or partitions), "
            f"check one property with -p (the search stops once it is decided), or raise {bigger}")


def _detail(p, result: CheckResult) -> str:
    if p.trace is not None:
        n = len(p.trace.steps)
        return f"{'shortest counterexample' if p.trace.kind == 'violation' else 'reached in'} {n} step{'s' * (n != 1)}"
    if p.verdict == "proved":
        return f"at every depth, by {getattr(p, 'method', 'induction')}"
    if p.verdict == "bounded":
        return "bounded model checking; not a proof"
    why = result.stats.bound or "stopped early"
    if result.engine != "explicit":
        depth = getattr(p, "depth", None)
        if p.verdict in ("incomplete", "not reached within bounds") and depth is not None:
            what = "not reached" if p.verdict == "not reached within bounds" else "no counterexample"
            upto = f"up to depth {depth}" if depth >= 0 else "at no depth yet"
            return f"{what} {upto} ({why})"
        return getattr(p, "method", "") or ""
    # with symmetry each stored state stands for its whole orbit
    reachable = "reachable states up to symmetry" if result.stats.symmetry_order > 1 else "reachable states"
    if p.verdict == "holds":
        return f"in all {result.stats.states:,} {reachable}"
    if p.verdict == "unreachable":
        return f"in none of {result.stats.states:,} {reachable}"
    if p.verdict == "not reached within bounds":
        return f"not reached in {result.stats.states:,} states ({why})"
    return f"no counterexample in {result.stats.states:,} states ({why})"
