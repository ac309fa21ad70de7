"""The IR as Promela for SPIN: one process, one `do` loop, one atomic guarded
branch per action instance, so that SPIN stores exactly capmodel's states.

- variable i is the global v<i> (bit, byte, short or int by its domain size);
  the old values an update needs are copied to `hidden` globals t<i>, which
  are not part of SPIN's state vector;
- each checked invariant is asserted by a branch of its own, enabled only in
  a state that breaks it (a state that keeps them all gets no extra
  transition); its `skip` keeps the assertion a statement of its own, so
  that pan lists the branch as unreached when the invariant holds in every
  state (with -A, which ignores failed assertions, the list then says
  which invariants were broken somewhere);
- the loop head carries an end label (a terminal state there is a valid end
  state: the workload is done), and one last branch, enabled only in a
  terminal state where the workload is not done, leads to a blocked
  statement outside any end label: SPIN reports that as an invalid end
  state, capmodel's deadlock.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..ir import expr as X
from ..ir.model import Model
from .common import (ExportError, Printer, Spelling, ToolFailed, ToolRun, any_enabled, bit_sum, checked,
                     comment, header_lines, must, plan, run_measured)

SPELLING = Spelling(
    binary={"add": "+", "sub": "-", "eq": "==", "ne": "!=", "lt": "<", "le": "<="},
    conj="&&", disj="||", neg="!", true="1", false="0",
    ite="({c} -> {t} : {e})", to_bool="({x} != 0)", to_int="{x}",  # C: a condition is already 0/1
    popcount=bit_sum)

# How to run it (docs/export.md says why each flag): -o2 keeps variables that
# only assertions read, so the states are capmodel's; -DSAFETY and -DNOREDUCE:
# a plain safety search of every interleaving; -m: depth enough for any
# capmodel spec (pan says so when it is not).
SPIN = ["spin", "-o2", "-a"]
CFLAGS = ["-DSAFETY", "-DNOREDUCE"]
PAN = ["-m100000"]
WHOLE_GRAPH = ["-A", "-c0"]  # every state, past failed assertions and deadlocks: capmodel's whole graph


def how_to_run(file: str = "model.pml") -> str:
    return f"{' '.join(SPIN)} {file} && gcc -O2 {' '.join(CFLAGS)} -o pan pan.c && ./pan {' '.join(PAN)}"


COMMANDS = (how_to_run(), f"counts of the whole graph: ./pan {' '.join(PAN + WHOLE_GRAPH)}")


def type_for(size: int) -> str:
    if size <= 2:
        return "bit"
    if size <= 256:
        return "byte"
    if size <= 32768:
        return "short"
    if size <= 2**31:
        return "int"
    raise ExportError(f"a domain of {size} values does not fit a Promela int")


def render(model: Model, properties: list[str] | None = None, source: str = "") -> str:
    conditions = checked(model, properties)
    plain = Printer(SPELLING, model)
    out = ["/*"] + [f" * {line}" for line in header_lines(model, source, conditions, "Promela")]
    out += [" * run: " + cmd for cmd in COMMANDS] + [" */", ""]

    for i, v in enumerate(model.variables):
        out.append(f"{type_for(v.size)} v{i} = {v.initial};  /* {comment(v.name)}: 0..{v.size - 1} */")
    plans = [plan(inst) for inst in model.instances()]
    saved = sorted({i for p in plans for i in p.saved})
    if saved:
        out += ["", "/* old values for parallel assignment: hidden, so not part of the state */"]
        out += [f"hidden {type_for(model.variables[i].size)} t{i};" for i in saved]

    out += ["", "active proctype capmodel()", "{", "end:", "  do"]
    for k, (inst, p) in enumerate(zip(model.instances(), plans)):
        reads_old = Printer(SPELLING, model, {i: f"t{i}" for i in p.saved})
        body = [f"t{i} = v{i}" for i in p.saved] + [f"v{i} = {reads_old.value(e)}" for i, e in p.order]
        out.append(f"  /* {k}: {comment(inst.name)}: {comment(inst.label.text)} */")
        out.append(f"  :: atomic {{ {plain.cond(inst.guard)} -> {'; '.join(body) or 'skip'} }}")
    for c in conditions:
        out.append(f"  /* meaning: {comment(c.description)} */")
        out.append(f"  /* invariant {comment(c.name)} */")
        out.append(f"  :: atomic {{ {plain.cond(X.not_(c.expr))} -> skip;")
        out.append(f"       assert({plain.cond(c.expr)}) }}")
    stuck = X.and_(X.not_(model.done), X.not_(any_enabled(model)))
    out.append("  /* deadlock: no step enabled and the workload not done; blocks outside the end label */")
    out.append(f"  :: {plain.cond(stuck)} -> false")
    out += ["  od", "}", ""]
    return "\n".join(out)


def invariant_lines(text: str) -> dict[int, str]:
    """The line (1-based) of each invariant's branch guard -> the invariant's name."""
    lines = text.splitlines() + [""]
    found = {}
    for k, line in enumerate(lines[:-1]):
        m = re.fullmatch(r"  /\* invariant (.*) \*/", line)
        if m and lines[k + 1].startswith("  :: atomic {") and lines[k + 1].endswith("-> skip;"):
            found[k + 2] = m.group(1)
    return found


def run(text: str, workdir: str, *, optimise: str = "-O2", hash_bits: int | None = None) -> ToolRun:
    """Translate, compile and run an exported model over its whole graph (-A -c0)."""
    cc = shutil.which("gcc") or shutil.which("cc") or "cc"
    Path(workdir, "model.pml").write_text(text, encoding="utf-8")
    spin = must(run_measured(SPIN + ["model.pml"], workdir), "spin -a")
    build = must(run_measured([cc, optimise, *CFLAGS, "-o", "pan", "pan.c"], workdir), "compiling pan.c")
    search = run_measured(["./pan", *PAN, *WHOLE_GRAPH] + ([f"-w{hash_bits}"] if hash_bits else []), workdir)
    out = search.output
    if "max search depth too small" in out:
        raise ToolFailed("pan: max search depth too small (raise -m)")
    stored = re.search(r"(\d+) states, stored", out)
    moved = re.search(r"(\d+) transitions \(= stored\+matched\)", out)
    if not stored or not moved:
        raise ToolFailed(f"pan did not finish ({search.returncode}):\n{out[-4000:]}")
    unreached = {int(n) for n in re.findall(r"model\.pml:(\d+), state \d+,", out)}
    broken = [name for line, name in invariant_lines(text).items() if line not in unreached]
    deadlock = bool(re.search(r"pan:\d+: invalid end state", out))
    return ToolRun(int(stored.group(1)), int(moved.group(1)), broken, deadlock, search,
                   spin.cpu_seconds + build.cpu_seconds, out)
