"""Diagnostics: what went wrong in a spec, where, and how to fix it.

A Diagnostic renders in the Rust/Quint style:

    specs/x.cap:5:11 - error[CAP201]: unknown node 'slave3'
      5 |   leader slave3
        |          ^^^^^^
      = hint: did you mean 'slave2'?

Every problem found in a spec is reported by raising SpecError, which carries
all the diagnostics of the phase that failed (file, syntax or validation) and
the source texts needed to show the offending lines. The codes are stable and
listed in docs/language.md (and in CODES below).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

from .ast import Span

# code -> short title. Kept in one place so docs/language.md and tests agree.
CODES: dict[str, str] = {
    # files
    "CAP000": "internal error (a bug in capmodel, please report it)",
    "CAP001": "spec file not found",
    "CAP002": "path is a directory or not a regular file",
    "CAP003": "not a text spec file (binary or not UTF-8)",
    "CAP004": "spec file too large",
    "CAP005": "empty spec file",
    "CAP006": "spec file cannot be read",
    "CAP007": "`extends` target is not a .cap file",
    "CAP008": "cyclic `extends`",
    "CAP009": "`extends` target not found",
    # syntax
    "CAP100": "syntax error",
    "CAP101": "unknown statement keyword",
    "CAP102": "missing '{'",
    "CAP103": "unexpected end of file (missing '}' or unfinished statement)",
    "CAP104": "missing ',' between names",
    "CAP105": "unexpected character",
    "CAP106": "expression nested too deeply",
    "CAP107": "statement given twice",
    "CAP109": "comparisons do not chain",
    # names
    "CAP201": "unknown node",
    "CAP202": "unknown replication mode",
    "CAP203": "unknown read policy",
    "CAP204": "unknown failover strategy",
    "CAP205": "unknown property",
    "CAP206": "unknown identifier in an expression",
    "CAP207": "unknown attribute",
    "CAP208": "unknown quantifier domain",
    "CAP209": "duplicate node name",
    "CAP210": "reserved word used as a node name",
    "CAP211": "duplicate or clashing name (property, invariant, reachable)",
    "CAP212": "unknown ack point, visibility or standby rule",
    "CAP213": "unknown client",
    # values and bounds
    "CAP301": "`nodes` missing",
    "CAP302": "negative number",
    "CAP303": "limit exceeded",
    "CAP304": "too few nodes",
    "CAP305": "K missing or out of range (semi_sync, standbys, min_replicas)",
    "CAP306": "argument not allowed here",
    "CAP307": "`fencing` without failover",
    "CAP308": "value too small (writes, clients)",
    "CAP309": "statement or option that needs another one, or cannot go with it",
    # types
    "CAP401": "operand of the wrong type",
    "CAP402": "invariant/reachable body is not a condition",
    "CAP403": "attribute argument missing, unexpected or of the wrong type",
    "CAP404": "'==' / '!=' between different types",
    "CAP405": "attribute on a value that has none",
}


# code -> the hint given when the code that raises a diagnostic has none more
# specific: every diagnostic tells the user what to do next (the README's promise).
GENERIC_HINTS: dict[str, str] = {
    "CAP000": "this is a bug in capmodel; please report it with the spec",
    "CAP001": "check the path (it is relative to the current directory)",
    "CAP002": "give the path of a .cap file",
    "CAP003": "save the spec as UTF-8 text",
    "CAP004": "a spec is a few lines of text; is this the right file?",
    "CAP005": "a spec starts with `system NAME {` and lists at least its nodes, e.g. `system demo { nodes a, b }`",
    "CAP006": "check that the file exists, is readable by you, and that no symbolic link on its path loops",
    "CAP007": 'name a spec file, like "base.cap"',
    "CAP008": "a spec cannot (directly or indirectly) extend itself",
    "CAP009": "the path is relative to the directory of the file that says `extends`",
    "CAP100": "see docs/language.md for the form of each statement",
    "CAP101": "see docs/language.md for the statements of a spec",
    "CAP102": "a block opens with '{' after its keyword, e.g. `faults { crashes 1 }`",
    "CAP103": "finish the statement, and close every '{' with '}'",
    "CAP104": "separate the names with commas: `nodes a, b`",
    "CAP105": "a spec uses ASCII letters, digits, '_' and the operators of docs/language.md; "
              "delete the character (an editor that shows invisible characters helps)",
    "CAP106": "split the condition into several invariants or simplify it",
    "CAP107": "keep one of them (to change a base spec, use `extends` in a child spec)",
    "CAP109": "write `a < b and b < c`, or add parentheses",
    "CAP201": "use one of the names listed after `nodes`",
    "CAP202": "the modes are 'async', 'sync', 'semi_sync K' and 'quorum'",
    "CAP203": "see docs/language.md for the read policies",
    "CAP204": "see docs/language.md for the failover strategies",
    "CAP205": "`capmodel properties` lists the built-in properties",
    "CAP206": "a name is a quantifier variable, a node, a write w1.., a read r1.., or a global like `crashes`",
    "CAP207": "see docs/language.md for the attributes of nodes, writes and reads",
    "CAP208": "a quantifier ranges over nodes, writes or reads",
    "CAP209": "give each one its own name, and list it once",
    "CAP210": "choose another node name",
    "CAP211": "give each property, invariant and reachable condition its own name",
    "CAP212": "see docs/language.md for the allowed words",
    "CAP213": "clients are named client1, client2, ... up to the workload's `clients` count",
    "CAP301": "list the nodes: `nodes a, b`",
    "CAP302": "use 0 or a positive number",
    "CAP303": "make the model smaller: docs/language.md lists the limits",
    "CAP304": "list at least two nodes: `nodes a, b`",
    "CAP305": "give a K between 1 and the number of followers",
    "CAP306": "remove it, or see docs/language.md for where it applies",
    "CAP307": "remove `fencing`, or choose a failover strategy",
    "CAP308": "use a larger number",
    "CAP309": "add the statement it needs, or remove one of the two",
    "CAP401": "'and', 'or', 'not' and 'implies' combine conditions; '+' and '-' take numbers; "
              "turn a value into a condition with an attribute or a comparison, e.g. `w1.acked` or `x == y`",
    "CAP402": "write a condition, e.g. a comparison like `count n in nodes: n.up >= 1`",
    "CAP403": "give the argument the attribute takes, e.g. `r1.saw(w1)` or `n.has(w1)`; "
              "docs/language.md lists every attribute",
    "CAP404": "both sides of '==' / '!=' must have the same type",
    "CAP405": "attributes belong to nodes, writes and reads, e.g. `n.up`, `w1.acked`, `r1.ok`",
}


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a spec. `span.line == 0` means "the file as a whole".
    A diagnostic raised without a hint gets its code's generic one."""

    code: str
    message: str
    span: Span
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    def __post_init__(self) -> None:
        if not self.hint:
            object.__setattr__(self, "hint", GENERIC_HINTS.get(self.code))

    def render(self, source: str | None = None) -> str:
        """Render as text; `source` is the full text of span.file, if available."""
        sp = self.span
        where = f"{sp.file}:{sp.line}:{sp.column}" if sp.line > 0 else sp.file
        lines = [f"{where} - {self.severity}[{self.code}]: {self.message}"]
        if source is not None and sp.line > 0:
            lines.extend(_excerpt(source, sp))
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)


_MAX_SHOWN = 100  # characters of a source line shown in an excerpt


def _clean(text: str) -> str:
    """Tabs to one space each, other control characters to '?' (keeps columns)."""
    return "".join(" " if ch == "\t" else ("?" if (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0) else ch) for ch in text)


def _excerpt(source: str, sp: Span) -> list[str]:
    src_lines = source.split("\n")  # Lark counts '\n' only; str.splitlines would misalign
    if not 1 <= sp.line <= len(src_lines):
        return []
    text = _clean(src_lines[sp.line - 1].rstrip("\r"))
    start = max(sp.column - 1, 0)
    if sp.end_line == sp.line and sp.end_column > sp.column:
        end = sp.end_column - 1
    elif sp.end_line > sp.line:
        end = max(len(text), start + 1)
    else:
        end = start + 1
    # show a window of long lines around the span
    if len(text) > _MAX_SHOWN:
        lo = max(0, min(start - 20, len(text) - _MAX_SHOWN))
        hi = lo + _MAX_SHOWN
        prefix = "..." if lo > 0 else ""
        suffix = "..." if hi < len(text) else ""
        text = prefix + text[lo:hi] + suffix
        start = start - lo + len(prefix)
        end = min(end, hi) - lo + len(prefix)
    width = max(1, end - start)
    gutter = f"  {sp.line}"
    blank = " " * len(gutter)
    return [f"{gutter} | {text}", f"{blank} | {' ' * start}{'^' * width}"]


class SpecError(Exception):
    """A spec could not be loaded. `diagnostics` holds every problem found in the
    failing phase; `sources` maps file names to their text, for excerpts."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self.sources: dict[str, str] = dict(sources or {})
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(f"{first.span}: {first.message}" if first else "invalid spec")

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]

    def render(self) -> str:
        parts = [d.render(self.sources.get(d.span.file)) for d in self.diagnostics]
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        if errors > 1:
            parts.append(f"{errors} errors")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.render()


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """A 'did you mean X?' hint for the closest candidate, or None."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return f"did you mean '{matches[0]}'?" if matches else None


def one_of(words: Iterable[str]) -> str:
    """'a', 'b' or 'c' -- for hints listing the allowed words."""
    ws = [f"'{w}'" for w in words]
    if len(ws) <= 1:
        return "".join(ws)
    return ", ".join(ws[:-1]) + " or " + ws[-1]


def guard(fn, path: str):
    """Run fn, turning every failure that is not a SpecError into one (CAP000/CAP106):
    the user never sees a Python traceback."""
    try:
        return fn()
    except SpecError:
        raise
    except RecursionError:
        raise SpecError([Diagnostic("CAP106", "the spec is nested too deeply to process", Span(path, 0, 0, 0, 0),
                                    "simplify the expressions")]) from None
    except MemoryError:
        raise SpecError([Diagnostic("CAP004", "the spec is too large to process", Span(path, 0, 0, 0, 0))]) from None
    except Exception as e:  # noqa: BLE001 - last resort, a bug in capmodel
        raise SpecError([Diagnostic("CAP000", f"internal error while reading the spec: {type(e).__name__}: {e}",
                                    Span(path, 0, 0, 0, 0), "this is a bug in capmodel; please report it with the spec")]
                        ) from e
