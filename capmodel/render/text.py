"""The verdict table and counterexamples in plain words.

Tables are laid out as rich lays them out (no box, two spaces between columns,
so that piped output is the plain columns it always was): by rich itself for
colour or non-ASCII text, else by _plain_grid, which spares a short run the
import of rich. With `color` the verdicts are coloured: VIOLATED red, HOLDS
green, INCOMPLETE yellow (cli.py decides when: only on a terminal, unless
--color says otherwise, and never under NO_COLOR)."""
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
          "BUG:": "bold red", "UNKNOWN": "yellow", "CHECK": "bold red"}  # infer's UNKNOWN, CHECK FAILED


def style_of(words: str) -> str | None:
    return STYLES.get(words.split(" ", 1)[0]) if words else None


_TRAILING = re.compile(r"[ ]+((?:\x1b\[[0-9;]*m)*)$", re.M)


# rich's console width in grid: wide enough that no table is ever squeezed
GRID_WIDTH = 100_000


def grid(columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[str]], *, header: bool = True,
         styled: int | None = None, color: bool = False) -> str:
    """Rows as rich renders a table without borders: `columns` gives each
    column's header and least width, `styled` the column whose cells get a
    verdict's colour. Lines carry no trailing spaces."""
    plain = None if color else _plain_grid(columns, rows, header)
    return plain if plain is not None else _rich_grid(columns, rows, header, styled, color)


def _rich_grid(columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[str]], header: bool,
               styled: int | None, color: bool) -> str:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, show_header=header, header_style=None, padding=(0, 1), pad_edge=False,
                  show_edge=False)
    for title, width in columns:
        table.add_column(title, min_width=width, no_wrap=True)
    for row in rows:  # Text, never markup: a detail such as "[w1]" is shown as it is
        table.add_row(*(Text(cell, style=(style_of(cell) or "") if k == styled and color else "")
                        for k, cell in enumerate(row)))
    return _TRAILING.sub(r"\1", _printed(table, color))


def paint(words: str, color: bool) -> str:
    """A verdict's words in its colour (unchanged without `color`), for lines that are not tables."""
    from rich.text import Text

    return _printed(Text(words, style=style_of(words) or ""), color) if color else words


def _printed(renderable, color: bool) -> str:
    """What rich prints for `renderable` (ANSI colours only with `color`), without the last newline."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=GRID_WIDTH, color_system="standard" if color else None, force_terminal=color,
                      no_color=not color, highlight=False, markup=False, emoji=False, soft_wrap=False)
    console.print(renderable)
    return out.getvalue().rstrip("\n")


def _plain_grid(columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[str]], header: bool) -> str | None:
    """grid's text without colour, as rich lays it out, without importing rich
    (a tenth of a short verify's start-up): each column as wide as its widest
    cell or its least width, two spaces between columns. Only for printable
    ASCII, where a character is one cell wide; None otherwise (rich then lays
    it out). tests/test_text_grid.py checks it against rich."""
    lines = ([[title for title, _ in columns]] if header else []) + [list(row) for row in rows]
    if not lines or any(len(line) != len(columns) for line in lines):
        return None
    if any(not (cell.isascii() and cell.isprintable()) for line in lines for cell in line):
        return None
    widths = [max([least] + [len(line[k]) for line in lines]) for k, (_, least) in enumerate(columns)]
    if sum(widths) + 2 * (len(widths) - 1) > GRID_WIDTH:
        return None
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip(" ")
                     for line in lines)


def verdict_words(p) -> str:
    return VERDICT_WORDS.get(p.verdict, p.verdict.upper()).format(depth=getattr(p, "depth", "?"))


def stats_line(result: CheckResult) -> str:
    s = result.stats
    if result.engine != "explicit":
        depth = getattr(result, "bmc_depth", s.depth)
        if depth < 0 and s.bound:  # cut short (time, Ctrl-C) before BMC started
            return f"stopped before any bounded search ({s.bound}) after {s.seconds:.2f} s"
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


def verdict_rows(result: CheckResult) -> list[tuple[str, str, str]]:
    """The verdict table, one (name, verdict, detail) row per property, reachable
    condition, lemma and deadlock, as the report and the notebook's HTML show it."""
    rows = [(p.name, verdict_words(p), _detail(p, result)) for p in result.properties]
    rows += [(f"reachable {r.name}", verdict_words(r), _detail(r, result)) for r in result.reachables]
    rows += [(f"lemma {m.name}", verdict_words(m), _detail(m, result)) for m in getattr(result, "lemmas", [])]
    if result.deadlock is not None:
        rows.append(("no deadlock", "VIOLATED", f"{len(result.deadlock.steps)} steps"))
    return rows


def report(result: CheckResult, file: str, diagrams: dict[str, str] | None = None, *, color: bool = False,
           unchecked: Sequence[str] = ()) -> str:
    """The report of one run; `unchecked`: the spec's own invariants that -p left out."""
    diagrams = diagrams or {}
    out = [f"{file}: system {result.spec} ({result.engine} engine)", stats_line(result),
           *(f"  {note}" for note in result.stats.reductions), ""]
    out.append(grid([("property", 8), ("verdict", 10), ("detail", 0)], verdict_rows(result), styled=1,
                    color=color))
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
        out += ["", unchecked_line(unchecked)]
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


def unchecked_line(names: Sequence[str]) -> str:
    return f"not checked (left out by -p): {', '.join(names)}"


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
            if depth < 0:
                return f"no depth checked yet ({why})"
            return f"{what} up to depth {depth} ({why})"
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
