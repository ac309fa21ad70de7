"""The IR as a TLA+ module for TLC: VARIABLES v<i>, Init, one action A<k>
per IR action instance (its guard, its primed updates, UNCHANGED for the
rest), Next as their disjunction, and the checked properties as
definitions Inv<k> that the TLC configuration (.cfg) lists as invariants.

- TLA+ has no bit operators: BitAnd, BitOr, BitDiff, LowBit and PopCount
  are RECURSIVE operators, one bit per level, with C's meaning on two's
  complement values; the export refuses a model where one might not end
  (_bit_operators_end);
- updates are primed equations, which TLA+ reads in parallel as the IR
  does, so no old value is saved;
- deadlock: TLC checks it by default (a state where Next is not enabled);
  a state where the workload is done has one more step, Done, which changes
  nothing, so that TLC never calls it a deadlock (as the Murphi export's
  "done" rule). A stuttering step is no new state: the counts stay capmodel's;
- a guard is written `(guard) = TRUE`: TLC splits a disjunction inside an
  action into branches and generates the successor once per true disjunct,
  so a bare guard would inflate its "states generated" (not the distinct
  states); as one value it is one branch, and the counts relate exactly;
- TypeOK (every v<i> in its domain) is checked too: it must always hold.

Only generated names (v<i>, A<k>, Inv<k>, Reach<k>) and IR operators reach
the code; spec text goes into \\* comments through common.comment, whose
whitelist has no '*' (so no "(*" or "*)") and here also no "--" or "==",
which could be read as a module's opening or closing line.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..ir.encoding import BOOLEAN, ENUMERATION, NUMBER, SET, Encoding
from ..ir.model import Model
from .common import (ExportError, Printer, Spelling, ToolFailed, ToolRun, bounds, checked, comment, expressions,
                     header_lines, run_measured, subterms)

SPELLING = Spelling(
    binary={"add": "+", "sub": "-", "eq": "=", "ne": "#", "lt": "<", "le": "<="},
    conj="/\\", disj="\\/", neg="~", true="TRUE", false="FALSE",
    ite="(IF {c} THEN {t} ELSE {e})", to_bool="({x} # 0)", to_int="(IF {x} THEN 1 ELSE 0)",
    popcount=lambda code, width: f"PopCount({code})",
    bitwise={"band": "BitAnd({a}, {b})", "bor": "BitOr({a}, {b})", "bdiff": "BitDiff({a}, {b})",
             "lowbit": "LowBit({x})"})

# The bit operators: one bit per level of recursion.
BIT_OPERATORS = r"""\* bit operators (TLA+ has none); masks are sets of writes, nodes or links. \div is floor division,
\* so a negative number is its two's complement, as in C; each ends when an argument it stops at reaches 0
RECURSIVE BitAnd(_, _), BitOr(_, _), BitDiff(_, _), LowBit(_), PopCount(_)
BitAnd(a, b) == IF a = 0 \/ b = 0 THEN 0
                ELSE 2 * BitAnd(a \div 2, b \div 2) + (IF a % 2 = 1 /\ b % 2 = 1 THEN 1 ELSE 0)
BitOr(a, b) == IF a = 0 THEN b ELSE IF b = 0 THEN a
               ELSE 2 * BitOr(a \div 2, b \div 2) + (IF a % 2 = 1 \/ b % 2 = 1 THEN 1 ELSE 0)
\* a minus the bits of b (a & ~b)
BitDiff(a, b) == IF a = 0 THEN 0
                 ELSE 2 * BitDiff(a \div 2, b \div 2) + (IF a % 2 = 1 /\ b % 2 = 0 THEN 1 ELSE 0)
\* the lowest set bit of x (x & -x), 0 for 0
LowBit(x) == IF x = 0 THEN 0 ELSE IF x % 2 = 1 THEN 1 ELSE 2 * LowBit(x \div 2)
PopCount(x) == IF x = 0 THEN 0 ELSE (x % 2) + PopCount(x \div 2)"""

MODULE = "capmodel"  # the module's name when no file name gives one
# what the module defines besides v<i>, A<k>, Inv<k>, Reach<k>: no module may take these names
DEFINED = {"vars", "TypeOK", "Init", "Done", "Next", "Spec", "BitAnd", "BitOr", "BitDiff", "LowBit", "PopCount"}
# docs/export.md says why: one worker for a deterministic breadth-first
# search (the first counterexample is a shortest one); the parallel GC is TLC's advice
JAVA = ["java", "-XX:+UseParallelGC"]
TLC_ARGS = ["tlc2.TLC", "-workers", "1"]
RESERVED = {
    "ASSUME", "ASSUMPTION", "AXIOM", "BOOLEAN", "CASE", "CHOOSE", "CONSTANT", "CONSTANTS", "DOMAIN", "ELSE",
    "ENABLED", "EXCEPT", "EXTENDS", "FALSE", "IF", "IN", "INSTANCE", "LET", "LOCAL", "MODULE", "OTHER", "SF_",
    "SUBSET", "THEN", "THEOREM", "TRUE", "UNCHANGED", "UNION", "VARIABLE", "VARIABLES", "WF_", "WITH",
    "STRING", "Nat", "Int", "Naturals", "Integers", "Sequences", "FiniteSets", "Bags", "Reals", "TLC", "RealTime",
    "TLCExt", "Toolbox", "Randomization", "Json",
}


def no_rules(text: str) -> str:
    """No run of '-' or '=' (four of either on a line open or close a module)."""
    return re.sub(r"([-=])(?=[-=])", r"\1_", text)


def tla_comment(text: str) -> str:
    """Spec text safe in a \\* comment: common.comment's whitelist, and no_rules."""
    return no_rules(comment(text))


def meaning(encoding: Encoding) -> str:
    """What the integers stand for (ir/encoding.py; ITF traces show the values themselves)."""
    if encoding.kind == SET:
        return "a set: " + ", ".join(f"bit {k} {_element(e)}" for k, e in enumerate(encoding.names))
    if encoding.kind == ENUMERATION:
        return ", ".join(f"{k} {_element(e)}" for k, e in enumerate(encoding.names))
    return "0 false, 1 true" if encoding.kind == BOOLEAN else encoding.kind


def _element(e) -> str:
    return "(" + " ".join(map(str, e)) + ")" if isinstance(e, tuple) else str(e)


def module_name(path: str) -> str:
    """The module name a file NAME.tla must declare; ExportError when NAME cannot be one."""
    p = Path(path)
    if p.suffix != ".tla":
        raise ExportError(f"{path}: TLC reads a module from a file NAME.tla; give -o a name ending in .tla")
    name = p.stem
    if (not re.fullmatch(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*", name) or name in RESERVED or name in DEFINED
            or re.fullmatch(r"(v|A|Inv|Reach)\d+", name)):
        raise ExportError(f"{path}: a TLA+ module is named after its file, and {name!r} cannot be a module name "
                          "(letters, digits and _, with a letter; not a keyword, a standard module or a name "
                          "the module defines); "
                          "e.g. -o async.tla")
    return name


def config_path(path: str) -> str:
    """Where the TLC configuration of the module written to path goes: NAME.cfg next to it."""
    return str(Path(path).with_suffix(".cfg"))


def how_to_run(file: str = "model.tla") -> str:
    return f"{' '.join(JAVA)} -cp tla2tools.jar {' '.join(TLC_ARGS)} {file}"


def module(model: Model, properties: list[str] | None = None, source: str = "", name: str = MODULE) -> str:
    """The module `name` (written to name.tla); its TLC configuration is `config`."""
    if not model.variables:
        raise ExportError("a model without variables (TLA+ needs at least one VARIABLE)")
    _bit_operators_end(model)
    conditions = checked(model, properties)
    plain = Printer(SPELLING, model)
    n = len(model.variables)
    out = [f"{'-' * 4} MODULE {name} {'-' * 4}"]
    out += [f"\\* {no_rules(line)}" for line in header_lines(model, source, conditions, "TLA+")]
    out += [f"\\* run: {how_to_run(name + '.tla')} (the configuration: {name}.cfg)", "EXTENDS Integers", ""]
    out.append("VARIABLES")
    for i, v in enumerate(model.variables):
        out.append(f"  v{i}{',' if i < n - 1 else ''}  \\* {tla_comment(v.name)}: 0..{v.size - 1}"
                   + ("" if v.encoding == NUMBER else f", {tla_comment(meaning(v.encoding))}"))
    every = ", ".join(f"v{i}" for i in range(n))
    out += [f"vars == <<{every}>>", "", BIT_OPERATORS, ""]
    out.append("TypeOK ==")
    out += [f"  /\\ v{i} \\in 0..{v.size - 1}" for i, v in enumerate(model.variables)]
    out += ["", "Init =="] + [f"  /\\ v{i} = {v.initial}" for i, v in enumerate(model.variables)]

    names = []
    for k, inst in enumerate(model.instances()):
        names.append(f"A{k}")
        updated = {i for i, _ in inst.updates}
        out += ["", f"\\* {k}: {tla_comment(inst.name)}: {tla_comment(inst.label.text)}", f"A{k} ==",
                f"  /\\ {plain.cond(inst.guard)} = TRUE"]
        out += [f"  /\\ v{i}' = {plain.value(e)}" for i, e in inst.updates]
        rest = [f"v{i}" for i in range(n) if i not in updated]
        if rest:
            out.append(f"  /\\ UNCHANGED <<{', '.join(rest)}>>")
    out += ["", "\\* the workload is done: a step that changes nothing, so that TLC does not call it a deadlock",
            f"Done == {plain.cond(model.done)} = TRUE /\\ UNCHANGED vars", "", "Next =="]
    out += [f"  \\/ {name}" for name in names + ["Done"]]
    out += ["", "Spec == Init /\\ [][Next]_vars"]
    for k, c in enumerate(conditions):
        out += ["", f"\\* invariant {tla_comment(c.name)}: {tla_comment(c.description)}", f"Inv{k} == {plain.cond(c.expr)}"]
    for k, c in enumerate(model.reachables):
        out += ["", f"\\* reachable {tla_comment(c.name)}: some reachable state satisfies it "
                "(TLC: INVARIANT ~Reach" + f"{k} must be violated)", f"Reach{k} == {plain.cond(c.expr)}"]
    out += ["", "=" * 40, ""]
    return "\n".join(out)


# The arguments that must be natural for each recursive bit operator to end:
# each halves its arguments (floor division, which is an arithmetic shift, so
# a negative number is its two's complement) until one it stops at is 0, and
# a negative number only reaches -1. BitAnd and BitOr stop at either argument,
# BitDiff at its first; LowBit stops at the lowest set bit of any non-zero x.
_STOPS_AT = {"band": (0, 1), "bor": (0, 1), "bdiff": (0,), "popcount": (0,)}


def _bit_operators_end(model: Model) -> None:
    """Refuse (ExportError) a model where a bit operator might not end in TLC:
    every argument it could stop at may be negative. (The shipped specs mask
    with lowbit(d) - 1, which is -1 for d = 0: BitAnd(x, -1) is x, as in C.)"""
    for e in expressions(model):
        for x in subterms(e):
            stops = _STOPS_AT.get(x.op)
            if stops and all(bounds(x.args[k], model)[0] < 0 for k in stops):
                raise ExportError(f"the bit operator {x.op} may see only negative values where it stops, "
                                  f"in {x!r}")


def config(model: Model, properties: list[str] | None = None, name: str = MODULE) -> str:
    """The TLC configuration: Init, Next, TypeOK and the checked invariants (deadlock checked, TLC's default)."""
    conditions = checked(model, properties)
    out = [f"\\* TLC configuration of {name}.tla ({name}.cfg), generated by capmodel export",
           "INIT Init", "NEXT Next", "INVARIANT TypeOK"]
    for k, c in enumerate(conditions):
        out.append(f"INVARIANT Inv{k}  \\* {tla_comment(c.name)}")
    return "\n".join(out) + "\n"


def render(model: Model, properties: list[str] | None = None, source: str = "") -> str:
    """Both as one text: the module named capmodel, then its configuration
    after the module's end line, where SANY reads nothing (save it as capmodel.cfg)."""
    return module(model, properties, source) + config(model, properties)


def files(model: Model, properties: list[str] | None, source: str, path: str) -> dict[str, tuple[str, str]]:
    """What `-o path` writes: the module (named after the file) and its configuration next to it."""
    name = module_name(path)
    return {"model": (path, module(model, properties, source, name)),
            "config": (config_path(path), config(model, properties, name))}


def invariant_names(text: str) -> dict[str, str]:
    """Inv<k> -> the property's (comment-safe) name, read back from the module."""
    return dict((m.group(2), m.group(1)) for m in re.finditer(r"^\\\* invariant (.*?): .*\n(Inv\d+) ==", text, re.M))


def run(text: str, cfg: str, workdir: str, jar: str, *, timeout: float | None = None) -> ToolRun:
    """Run TLC on a module (named capmodel) and its configuration; parse its counts and errors."""
    java = shutil.which("java") or "java"
    Path(workdir, f"{MODULE}.tla").write_text(text, encoding="utf-8")
    Path(workdir, f"{MODULE}.cfg").write_text(cfg, encoding="utf-8")
    search = run_measured([java, *JAVA[1:], "-cp", jar, *TLC_ARGS, "-metadir", "states", "-cleanup", "-noGenerateSpecTE",
                           "-config", f"{MODULE}.cfg", f"{MODULE}.tla"], workdir, timeout)
    out = search.output
    summary = re.search(r"([\d,]+) states generated, ([\d,]+) distinct states found, ([\d,]+) states left", out)
    if not summary:
        raise ToolFailed(f"TLC did not finish ({search.returncode}):\n{out[-4000:]}")
    names = invariant_names(text)
    broken = sorted(names.get(m, m) for m in set(re.findall(r"Invariant (\w+) is violated", out)))
    deadlock = "Deadlock reached" in out
    return ToolRun(int(summary.group(2).replace(",", "")), int(summary.group(1).replace(",", "")), broken,
                   deadlock, search, 0.0, out)


def trace_states(output: str, variables: int) -> list[tuple[int | None, tuple[int, ...]]]:
    """TLC's error trace: (k of the action A<k> that led to it, None for the
    initial state, the state) per state, each printed as /\\ v<i> = N lines."""
    states = []
    parts = re.split(r"^State \d+: <(\w+)[^\n]*$", output, flags=re.M)
    for action, block in zip(parts[1::2], parts[2::2]):
        values = dict((int(i), int(v)) for i, v in re.findall(r"^/\\ v(\d+) = (-?\d+)$", block, re.M))
        if len(values) != variables:
            raise ToolFailed(f"a state of TLC's trace has {len(values)} of {variables} variables")
        states.append((int(action[1:]) if re.fullmatch(r"A\d+", action) else None,
                       tuple(values[i] for i in range(variables))))
    return states


def version(output: str) -> str:
    m = re.search(r"TLC2 Version (.*)", output)
    return m.group(1).strip() if m else "unknown"
