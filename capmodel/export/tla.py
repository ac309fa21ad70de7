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
- TypeOK (every v<i> in its domain) is checked too: it must always hold;
- Alias, the .cfg's ALIAS: what TLC prints for each state of a counterexample
  instead of the v<i>: one field per variable, named and valued as capmodel's
  ITF traces (render/itf.py) name and value it, by the variable's encoding
  (ir/encoding.py): a boolean TRUE/FALSE, a named value its name, a set held
  as a bit mask the set of the elements whose bit is set. It changes only the
  printing, never the states;
- a reachable condition k is checked by its own configuration NAME_reach<k>.cfg,
  with INVARIANT NotReach<k> (~Reach<k>), which TLC reports violated, with a
  trace to a state that satisfies it, exactly when the condition is reached.

Only generated names (v<i>, A<k>, Inv<k>, Reach<k>, NotReach<k>) and IR
operators reach the code; spec text goes into \\* comments through
common.comment, whose whitelist has no '*' (so no "(*" or "*)") and here
also no "--" or "==", which could be read as a module's opening or closing
line. Alias's field names and named values are TLA+ strings of that same
whitelisted text, which has no '"' or '\\' to end or escape one.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Sequence

from ..ir.encoding import BOOLEAN, ENUMERATION, INTEGER, NUMBER, SET, Encoding
from ..ir.model import Model, Variable
from ..render.itf import element_type, from_itf
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

# How Alias reads an integer as what it stands for (ir/encoding.py's decode).
READABLE_OPERATORS = r"""\* the readable values (Alias): the named value x stands for, and the set of the elements whose bit is set in x
Named(names, x) == names[x + 1]
Members(names, x) == {names[k] : k \in {k \in DOMAIN names : BitAnd(x, 2^(k - 1)) # 0}}"""

MODULE = "capmodel"  # the module's name when no file name gives one
# what the module defines besides v<i>, A<k>, Inv<k>, Reach<k>: no module may take these names
DEFINED = {"vars", "TypeOK", "Init", "Done", "Next", "Spec", "BitAnd", "BitOr", "BitDiff", "LowBit", "PopCount",
           "Named", "Members", "Alias"}
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
            or re.fullmatch(r"(v|A|Inv|Reach|NotReach)\d+", name)):
        raise ExportError(f"{path}: a TLA+ module is named after its file, and {name!r} cannot be a module name "
                          "(letters, digits and _, with a letter; not a keyword, a standard module or a name "
                          "the module defines); "
                          "e.g. -o async.tla")
    return name


def config_path(path: str) -> str:
    """Where the TLC configuration of the module written to path goes: NAME.cfg next to it."""
    return str(Path(path).with_suffix(".cfg"))


def reach_config_name(name: str, k: int) -> str:
    """The configuration that checks the k-th reachable condition of module `name`."""
    return f"{name}_reach{k}.cfg"


def how_to_run(file: str = "model.tla", cfg: str | None = None) -> str:
    """TLC's command line; it reads NAME.cfg for NAME.tla unless -config names another."""
    return f"{' '.join(JAVA)} -cp tla2tools.jar {' '.join(TLC_ARGS)} {f'-config {cfg} ' if cfg else ''}{file}"


# ------------------------------------------------------- readable values

def tla_string(text: str) -> str:
    """Spec text as a TLA+ string: tla_comment's whitelist has no '"' or '\\'."""
    return f'"{tla_comment(text)}"'


def tla_value(e: Any) -> str:
    """A named value or a set's element (ir/encoding.py) as TLA+: a str a
    string, an int a number, a tuple <<...>>; as render/itf.py writes it in ITF."""
    if isinstance(e, tuple):
        return "<<" + ", ".join(tla_value(x) for x in e) + ">>"
    return tla_string(e) if isinstance(e, str) else str(int(e))


def readable(encoding: Encoding) -> bool:
    """TLC can print the variable's value: a set's elements must be of one type,
    since TLC orders a set's elements and cannot compare a string with a number."""
    return encoding.kind != SET or len({element_type(e) for e in encoding.names}) <= 1


def readable_value(i: int, encoding: Encoding) -> str:
    """v<i> as what it stands for: ir/encoding.py's decode, in TLA+; the integer
    itself for a number, or for a set TLC cannot print."""
    x = f"v{i}"
    if encoding.kind == BOOLEAN:
        return f"({x} # 0)"
    if encoding.kind == ENUMERATION:
        return f"Named(<<{', '.join(tla_value(e) for e in encoding.names)}>>, {x})"
    if encoding.kind == SET and readable(encoding):
        return f"Members(<<{', '.join(tla_value(e) for e in encoding.names)}>>, {x})"
    return x


def field_names(variables: Sequence[Variable]) -> list[str]:
    """Alias's field per variable: its name (ITF's), comment-safe; where two
    become the same, the later one is told apart by its v<i>."""
    names: list[str] = []
    for i, v in enumerate(variables):
        name = tla_comment(v.name)
        while name in names:
            name += f" v{i}"
        names.append(name)
    return names


def alias(variables: Sequence[Variable]) -> list[str]:
    """The lines of Alias: a record (a function of strings) of each variable's readable value."""
    fields = [f"({tla_string(name)} :> {readable_value(i, v.encoding)})"
              for i, (name, v) in enumerate(zip(field_names(variables), variables))]
    return ["\\* what TLC prints for each state of a counterexample (ALIAS Alias in the .cfg): each variable",
            "\\* by name, with the value capmodel's ITF traces give it (verify --itf); it changes no state",
            "Alias ==", f"     {fields[0]}"] + [f"  @@ {f}" for f in fields[1:]]


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
    out += [f"\\* run: {how_to_run(name + '.tla')} (the configuration: {name}.cfg)"]
    out += [f"\\* reachable {tla_comment(c.name)}: {how_to_run(name + '.tla', reach_config_name(name, k))}"
            f" reports Invariant NotReach{k} violated when it is reached" for k, c in enumerate(model.reachables)]
    # TLC: the standard module of :> and @@, which build Alias
    out += ["EXTENDS Integers, TLC", ""]
    out.append("VARIABLES")
    for i, v in enumerate(model.variables):
        out.append(f"  v{i}{',' if i < n - 1 else ''}  \\* {tla_comment(v.name)}: 0..{v.size - 1}"
                   + ("" if v.encoding == NUMBER else f", {tla_comment(meaning(v.encoding))}"))
    every = ", ".join(f"v{i}" for i in range(n))
    out += [f"vars == <<{every}>>", "", BIT_OPERATORS, "", READABLE_OPERATORS, ""]
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
    out += ["", "Spec == Init /\\ [][Next]_vars", ""] + alias(model.variables)
    for k, c in enumerate(conditions):
        out += ["", f"\\* invariant {tla_comment(c.name)}: {tla_comment(c.description)}", f"Inv{k} == {plain.cond(c.expr)}"]
    for k, c in enumerate(model.reachables):
        out += ["", f"\\* reachable {tla_comment(c.name)}: some reachable state satisfies it "
                f"(TLC with {reach_config_name(name, k)} reports NotReach{k} violated exactly then)",
                f"Reach{k} == {plain.cond(c.expr)}", f"NotReach{k} == ~Reach{k}"]
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
    out.append("ALIAS Alias  \\* a counterexample's states printed with readable values")
    return "\n".join(out) + "\n"


def reach_config(model: Model, k: int, name: str = MODULE) -> str:
    """The TLC configuration that checks the k-th reachable condition: the
    invariant NotReach<k>, which TLC reports violated, with a shortest trace
    to a state that satisfies the condition, exactly when it is reached.
    Deadlocks are not checked, lest a deadlock end the search first."""
    c = model.reachables[k]
    return "\n".join([
        f"\\* TLC configuration of {name}.tla for the reachable condition {tla_comment(c.name)} "
        f"({reach_config_name(name, k)}), generated by capmodel export:",
        f"\\* Invariant NotReach{k} is violated: reached, and the trace leads to a state that satisfies it;",
        "\\* No error has been found: no reachable state satisfies it",
        "INIT Init", "NEXT Next", f"INVARIANT NotReach{k}", "CHECK_DEADLOCK FALSE", "ALIAS Alias"]) + "\n"


def render(model: Model, properties: list[str] | None = None, source: str = "") -> str:
    """Both as one text: the module named capmodel, then its configuration
    after the module's end line, where SANY reads nothing (save it as capmodel.cfg)."""
    return module(model, properties, source) + config(model, properties)


def files(model: Model, properties: list[str] | None, source: str, path: str) -> dict[str, tuple[str, str]]:
    """What `-o path` writes: the module (named after the file) and its configuration next to it."""
    name = module_name(path)
    written = {"model": (path, module(model, properties, source, name)),
               "config": (config_path(path), config(model, properties, name))}
    for k, c in enumerate(model.reachables):
        written[f"reachable {c.name}"] = (str(Path(path).with_name(reach_config_name(name, k))),
                                          reach_config(model, k, name))
    return written


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
    names = invariant_names(text)
    broken = sorted(names.get(m, m) for m in set(re.findall(r"Invariant (\w+) is violated", out)))
    deadlock = "Deadlock reached" in out
    if summary:
        states, generated = int(summary.group(2).replace(",", "")), int(summary.group(1).replace(",", ""))
    elif broken and "is violated by the initial state" in out:
        states = generated = 1  # TLC stopped at the initial state (Init has one) and prints no counts
    else:
        raise ToolFailed(f"TLC did not finish ({search.returncode}):\n{out[-4000:]}")
    return ToolRun(states, generated, broken, deadlock, search, 0.0, out)


# TLC's printed values, as Alias writes them: TRUE, FALSE, numbers, strings
# (whitelisted text, so no escapes), sets {...} and tuples <<...>>
_TOKEN = re.compile(r'\s*(?:(<<|>>|[{},])|(TRUE|FALSE)|(-?\d+)|"([^"\\]*)")')


def tlc_value(text: str) -> Any:
    """A value as TLC prints it, as the ITF value render/itf.py writes: a
    boolean as a bool, a number as {"#bigint"}, a string as a str, a set as
    {"#set": [...]}, a tuple as {"#tup": [...]}. ToolFailed for anything else."""
    tokens, at = [], 0
    text = text.strip()
    while at < len(text):
        m = _TOKEN.match(text, at)
        if not m or m.end() == at:
            raise ToolFailed(f"not a value Alias prints: {text!r}")
        tokens.append(m)
        at = m.end()

    def value(k: int) -> tuple[Any, int]:
        if k >= len(tokens):
            raise ToolFailed(f"a value ends early: {text!r}")
        punct, truth, number, string = tokens[k].groups()
        if truth:
            return truth == "TRUE", k + 1
        if number:
            return {"#bigint": str(int(number))}, k + 1
        if string is not None:
            return string, k + 1
        close = {"{": "}", "<<": ">>"}.get(punct)
        if close is None:
            raise ToolFailed(f"unexpected {punct!r} in {text!r}")
        items, k = [], k + 1
        while k < len(tokens) and tokens[k].group(1) != close:
            item, k = value(k)
            items.append(item)
            if k < len(tokens) and tokens[k].group(1) == ",":
                k += 1
        return {"#set" if punct == "{" else "#tup": items}, k + 1

    result, k = value(0)
    if k != len(tokens):
        raise ToolFailed(f"more than one value in {text!r}")
    return result


def _state_blocks(output: str) -> list[tuple[str | None, str]]:
    """(the action's name, the lines of the state) per state of TLC's error trace;
    a state that breaks an invariant at once is the trace's only state."""
    parts = re.split(r"^State \d+: <(\w+)[^\n]*$", output, flags=re.M)
    blocks = list(zip(parts[1::2], parts[2::2]))
    initial = re.search(r"is violated by the initial state:\n", output)
    if not blocks and initial:
        blocks = [("Initial", output[initial.end():])]
    return [(action, block.lstrip("\n").split("\n\n", 1)[0]) for action, block in blocks]


def trace_values(output: str, variables: Sequence[Variable]) -> list[tuple[int | None, dict[str, Any]]]:
    """TLC's error trace as Alias prints it: (k of the action A<k> that led to
    the state, None for the initial state; {variable's name: its ITF value})
    per state. ToolFailed when a state lacks a field (say, TLC printed the v<i>)."""
    names = field_names(variables)
    by_length = sorted(range(len(names)), key=lambda i: -len(names[i]))
    states = []
    for action, block in _state_blocks(output):
        texts: dict[int, str] = {}
        current = None
        for line in block.split("\n"):
            if line.startswith("/\\ "):
                current = next((i for i in by_length if line[3:].startswith(names[i] + " = ")), None)
                if current is None or current in texts:
                    raise ToolFailed(f"a line of TLC's trace names no field of Alias once: {line!r}")
                texts[current] = line[3 + len(names[current]) + 3:]
            elif current is not None:  # TLC wraps a long value onto the next lines
                texts[current] += " " + line.strip()
        if len(texts) != len(variables):
            raise ToolFailed(f"a state of TLC's trace has {len(texts)} of {len(variables)} fields of Alias")
        states.append((int(action[1:]) if re.fullmatch(r"A\d+", action) else None,
                       {v.name: tlc_value(texts[i]) for i, v in enumerate(variables)}))
    return states


def raw_value(encoding: Encoding, value: Any) -> int:
    """The IR's integer of a value Alias printed (readable_value's inverse)."""
    if encoding.kind == INTEGER or not readable(encoding):
        return int(value["#bigint"])
    return from_itf(encoding, value)


def trace_states(output: str, variables: Sequence[Variable]) -> list[tuple[int | None, tuple[int, ...]]]:
    """TLC's error trace in the IR's integers: (k of the action A<k> that led
    to it, None for the initial state; the state) per state, each read back
    from Alias's values through the variables' encodings."""
    try:
        return [(k, tuple(raw_value(v.encoding, values[v.name]) for v in variables))
                for k, values in trace_values(output, variables)]
    except (ValueError, KeyError, TypeError) as err:
        raise ToolFailed(f"a value of TLC's trace is not its variable's: {err}") from None


def version(output: str) -> str:
    m = re.search(r"TLC2 Version (.*)", output)
    return m.group(1).strip() if m else "unknown"
