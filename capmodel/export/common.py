"""What the Promela, Murphi and TLA+ exports share: which conditions are checked,
value bounds, the parallel-assignment plan, comment-safe text and one
expression printer parameterised by each language's spelling.

Only IR operators, integers and generated names (v<i> for variable i, t<i>
for its saved old value) reach the code; spec text (variable, action and
property names, descriptions, the spec's path) goes only into comments and
display strings, through `comment` and `label`, which keep a whitelist of
characters, so that no name can end a comment or a string early.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..ir import expr as X
from ..ir.cone import variables_read
from ..ir.expr import BOOL, Expr, subterms  # noqa: F401 (subterms: murphi and tla take it from here)
from ..ir.model import ActionInstance, Condition, Model


class ExportError(ValueError):
    """The model cannot be written in the target language (e.g. a domain too large)."""


def checked(model: Model, properties: list[str] | None) -> list[Condition]:
    """The conditions the explicit engine checks for the same selection."""
    return [c for c in model.invariants + model.lemmas if properties is None or c.name in properties]


def unknown_properties(model: Model, properties: list[str]) -> list[str]:
    names = {c.name for c in model.invariants + model.lemmas}
    return [p for p in properties if p not in names]


# ------------------------------------------------------------------ text

# Characters a comment or a display string may keep; everything else
# (newlines, '*', '\\', '"', '#', '?', '`', non-ASCII, controls) becomes
# '_'. So no text can close a /* */ comment (no '*'), end a -- comment's line,
# close a string, continue a line, start a preprocessor line or form a trigraph.
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,:;()\[\]{}=<>+!&|%^~'@$/-]")
_MAX_TEXT = 240


def comment(text: str) -> str:
    """Spec text made safe for one line inside a comment of either language."""
    flat = _UNSAFE.sub("_", " ".join(str(text).split()))
    return flat if len(flat) <= _MAX_TEXT else flat[:_MAX_TEXT - 3] + "..."


def label(text: str) -> str:
    """Spec text made safe inside a Murphi "string": the comment whitelist has
    no '"' or '\\'; and no "--", lest a careless reader take it for a comment."""
    return re.sub(r"-(?=-)", "_", comment(text))


# ---------------------------------------------------------------- bounds

def expressions(model: Model):
    """Every expression the model holds: guards, updates, conditions and `done`."""
    for inst in model.instances():
        yield inst.guard
        yield from (v for _, v in inst.updates)
    yield from (c.expr for c in model.invariants + model.lemmas + model.reachables)
    yield model.done


def bounds(e: Expr, model: Model) -> tuple[int, int]:
    """An interval holding every value e takes when each variable is in its domain."""
    op, a = e.op, e.args
    if op == "const":
        return a[0], a[0]
    if op == "var":
        return 0, model.variables[a[0]].size - 1
    if e.type == BOOL or op == "b2i":
        return 0, 1
    if op == "ite":
        (lo1, hi1), (lo2, hi2) = bounds(a[1], model), bounds(a[2], model)
        return min(lo1, lo2), max(hi1, hi2)
    parts = [bounds(x, model) for x in a]
    if op == "add":
        return parts[0][0] + parts[1][0], parts[0][1] + parts[1][1]
    if op == "sub":
        return parts[0][0] - parts[1][1], parts[0][1] - parts[1][0]
    if op == "band" and any(lo >= 0 for lo, _ in parts):  # x & y with y >= 0 lies in 0..y, whatever x
        return 0, min(hi for lo, hi in parts if lo >= 0)
    if any(lo < 0 for lo, _ in parts):
        raise ExportError(f"the bit operator {op} may see a negative value in {e!r}")
    if op == "band":
        return 0, min(parts[0][1], parts[1][1])
    if op == "bor":
        return 0, (1 << max(parts[0][1], parts[1][1]).bit_length()) - 1
    if op in ("bdiff", "lowbit"):
        return 0, parts[0][1]
    if op == "popcount":
        return 0, parts[0][1].bit_length()
    raise ExportError(f"unknown IR operator {op!r}")


# ----------------------------------------------------- parallel assignment

@dataclass(frozen=True)
class Assignment:
    """An instance's updates as sequential statements with the same effect as
    the IR's parallel assignment: the variables in `saved` are first copied
    to temporaries, which every update expression reads in their place; then
    `order` is assigned in turn."""

    saved: tuple[int, ...]
    order: tuple[tuple[int, Expr], ...]


def plan(inst: ActionInstance) -> Assignment:
    """Order the updates so that none reads a variable already overwritten;
    save a variable's old value only where a cycle of reads leaves no such order."""
    remaining = list(inst.updates)
    reads = {i: variables_read(e, set()) for i, e in remaining}
    saved: list[int] = []
    order: list[tuple[int, Expr]] = []
    while remaining:
        def free(i: int) -> bool:  # no other pending update reads variable i
            return i in saved or all(i not in reads[j] for j, _ in remaining if j != i)
        pick = next((k for k, (i, _) in enumerate(remaining) if free(i)), None)
        if pick is None:
            pick = 0
            saved.append(remaining[0][0])
        order.append(remaining.pop(pick))
    return Assignment(tuple(saved), tuple(order))


# --------------------------------------------------------------- printer

# C's bit operators, which Promela and Murphi share (Murphi's & and | are
# bitwise on ranges; the printer gives them only integers)
C_BITWISE = {"band": "({a} & {b})", "bor": "({a} | {b})", "bdiff": "({a} & ~{b})", "lowbit": "({x} & -{x})"}


@dataclass(frozen=True)
class Spelling:
    """How a language writes the IR's operators."""

    binary: dict[str, str]  # add sub eq ne lt le -> infix token
    conj: str
    disj: str
    neg: str  # boolean not
    true: str
    false: str
    ite: str  # format with {c} {t} {e}
    to_bool: str  # format with {x}: an integer as a condition
    to_int: str  # format with {x}: a condition as 0/1
    popcount: Callable[[str, int], str]  # (argument code, bit width) -> code
    # band bor bdiff (format with {a} {b}) and lowbit ({x}); C's by default
    bitwise: dict[str, str] = field(default_factory=lambda: C_BITWISE)


def bit_sum(code: str, width: int) -> str:
    """popcount as an inline sum of the argument's bits (width: its highest bit + 1)."""
    if width == 0:
        return "0"
    terms = [f"({code} & 1)"] + [f"(({code} >> {k}) & 1)" for k in range(1, width)]
    return "(" + " + ".join(terms) + ")"


class Printer:
    """IR expressions as code: `value` where an integer is wanted, `cond`
    where a condition is; each operator once, in the language's spelling."""

    def __init__(self, spelling: Spelling, model: Model, names: dict[int, str] | None = None):
        self.s = spelling
        self.model = model
        self.names = names or {}  # variable index -> the temporary that holds its old value

    def var(self, index: int) -> str:
        return self.names.get(index, f"v{index}")

    def value(self, e: Expr) -> str:
        op, a, s = e.op, e.args, self.s
        if op == "const":
            return str(int(a[0])) if a[0] >= 0 else f"({int(a[0])})"
        if op == "var":
            return self.var(a[0])
        if op in ("add", "sub"):
            return f"({self.value(a[0])} {s.binary[op]} {self.value(a[1])})"
        if op in ("band", "bor", "bdiff"):
            return s.bitwise[op].format(a=self.value(a[0]), b=self.value(a[1]))
        if op == "lowbit":
            return s.bitwise[op].format(x=self.value(a[0]))
        if op == "popcount":
            return s.popcount(self.value(a[0]), bounds(a[0], self.model)[1].bit_length())
        if op == "ite":
            return s.ite.format(c=self.cond(a[0]), t=self.value(a[1]), e=self.value(a[2]))
        if op == "b2i" or e.type == BOOL:
            return s.to_int.format(x=self.cond(a[0] if op == "b2i" else e))
        raise ExportError(f"unknown IR operator {op!r}")

    def cond(self, e: Expr) -> str:
        op, a, s = e.op, e.args, self.s
        if op == "const":
            return s.true if a[0] else s.false
        if op in ("eq", "ne", "lt", "le"):
            return f"({self.value(a[0])} {s.binary[op]} {self.value(a[1])})"
        if op in ("and", "or"):
            return "(" + f" {s.conj if op == 'and' else s.disj} ".join(self.cond(x) for x in a) + ")"
        if op == "not":
            return f"({s.neg}{self.cond(a[0])})"
        if op == "ite":
            return s.ite.format(c=self.cond(a[0]), t=self.cond(a[1]), e=self.cond(a[2]))
        return s.to_bool.format(x=self.value(e))


def any_enabled(model: Model) -> Expr:
    return X.or_(*(inst.guard for inst in model.instances()))


def header_lines(model: Model, source: str, conditions: list[Condition], language: str) -> list[str]:
    """The opening comment's lines (each already comment-safe)."""
    lines = [f"{language} model of capmodel system {comment(model.name)}"
             + (f", from {comment(source)}" if source else ""),
             "generated by capmodel export: one guarded atomic step per IR action instance,",
             "variables v<i> with their exact domains: the graph of capmodel's explicit engine",
             "(docs/export.md says how each tool's counts compare with capmodel's).",
             "checked: " + (", ".join(comment(c.name) for c in conditions) or "nothing")]
    return lines


# ------------------------------------------------- running the other tools

@dataclass
class Measured:
    """One finished command: its output and what the OS says it cost."""

    returncode: int
    output: str  # stdout and stderr together
    cpu_seconds: float  # user + system, of the command and the children it waited for
    peak_bytes: int  # its largest resident set size


def run_measured(cmd: list[str], cwd: str, timeout: float | None = None) -> Measured:
    """Run cmd in cwd; CPU time and peak memory come from wait4, for this command alone."""
    import os
    import subprocess
    import sys
    import tempfile
    import time

    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired(cmd, timeout)
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return Measured(proc.returncode, text, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale)


@dataclass
class ToolRun:
    """What SPIN's pan or a Rumur checker reported about an exported model."""

    states: int  # distinct states stored
    transitions: int  # pan: stored + matched; Rumur: rules fired
    broken: list[str]  # the invariants it found broken, by name
    deadlock: bool
    search: Measured  # the run of pan or of the checker
    compile_seconds: float  # CPU of the translation and the C compiler
    output: str  # the checker's output


class ToolFailed(RuntimeError):
    """The tool could not translate, compile or finish the model."""


def must(m: Measured, what: str) -> Measured:
    if m.returncode != 0:
        raise ToolFailed(f"{what} failed ({m.returncode}):\n{m.output[-4000:]}")
    return m
