"""The IR as Murphi for Rumur (and CMurphi): one rule per action instance,
variables as ranges 0..size-1, the checked properties as invariants and the
`reachable` conditions as covers.

- variable i is v<i>; a rule that needs an old value after overwriting it
  first copies it to a rule-local t<i> (parallel assignment);
- popcount is a Murphi function over the widest mask the model counts;
- deadlock: run Rumur with `--deadlock-detection stuck` (a state with no
  enabled rule); a state where the workload is done has one more rule, which
  changes nothing, so that Rumur never calls it a deadlock.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..ir.model import Model
from .common import (Printer, Spelling, ToolFailed, ToolRun, bounds, checked, comment, expressions, header_lines,
                     label, must, plan, run_measured, subterms)

# docs/export.md says why each flag: one thread for a deterministic search;
# stuck: a deadlock is a state with no enabled rule (capmodel's); a signed
# value type for the intermediate values of lowbit and subtraction.
RUMUR = ["rumur", "--threads", "1", "--deadlock-detection", "stuck", "--value-type", "int32_t"]


def how_to_run(file: str = "model.m") -> str:
    return f"{' '.join(RUMUR)} {file} -o checker.c && cc -O2 checker.c -o checker -lpthread && ./checker"


COMMANDS = (how_to_run(),)


def _spelling() -> Spelling:
    return Spelling(
        binary={"add": "+", "sub": "-", "eq": "=", "ne": "!=", "lt": "<", "le": "<="},
        conj="&", disj="|", neg="!", true="true", false="false",
        ite="({c} ? {t} : {e})", to_bool="({x} != 0)", to_int="({x} ? 1 : 0)",
        popcount=lambda code, width: f"popcount({code})")


def _popcount_function(model: Model) -> list[str]:
    """popcount over 0..widest, the largest value any counted mask can take (no popcount: no function)."""
    counted = [bounds(e.args[0], model)[1] for e in expressions(model) for e in subterms(e) if e.op == "popcount"]
    if not counted:
        return []
    widest = max(1, *counted)
    bits = widest.bit_length()
    return ["", "-- the number of set bits of a mask: the length of a log",
            f"function popcount(x: 0..{widest}): 0..{bits};",
            f"var n: 0..{bits};",
            "begin",
            "  n := 0;",
            f"  for i := 0 to {bits - 1} do",
            "    if ((x >> i) & 1) = 1 then n := n + 1; end;",
            "  end;",
            "  return n;",
            "end;"]


def render(model: Model, properties: list[str] | None = None, source: str = "") -> str:
    conditions = checked(model, properties)
    spelling = _spelling()
    plain = Printer(spelling, model)
    out = [f"-- {line}" for line in header_lines(model, source, conditions, "Murphi")]
    out += ["-- run: " + cmd for cmd in COMMANDS] + ["", "var"]
    for i, v in enumerate(model.variables):
        out.append(f"  v{i} : 0..{v.size - 1};  -- {comment(v.name)}")
    out += _popcount_function(model)

    out += ["", "startstate \"initial\"", "begin"]
    out += [f"  v{i} := {v.initial};" for i, v in enumerate(model.variables)]
    out += ["end;"]

    for k, inst in enumerate(model.instances()):
        p = plan(inst)
        reads_old = Printer(spelling, model, {i: f"t{i}" for i in p.saved})
        out += ["", f"-- {k}: {comment(inst.label.text)}",
                f"rule \"{k} {label(inst.name)}\"", f"  {plain.cond(inst.guard)}", "==>"]
        if p.saved:
            out.append("var " + " ".join(f"t{i} : 0..{model.variables[i].size - 1};" for i in p.saved))
        out.append("begin")
        out += [f"  t{i} := v{i};" for i in p.saved]
        out += [f"  v{i} := {reads_old.value(e)};" for i, e in p.order]
        out.append("end;")

    out += ["", "-- a state where the workload is done is no deadlock even without a step: one that changes nothing",
            "rule \"done\"", f"  {plain.cond(model.done)}", "==>", "begin", "end;"]
    for c in conditions:
        out += ["", f"-- {comment(c.name)}: {comment(c.description)}",
                f"invariant \"{label(c.name)}\"", f"  {plain.cond(c.expr)};"]
    for c in model.reachables:
        out += ["", f"-- reachable {comment(c.name)}: some reachable state satisfies it",
                f"cover \"{label(c.name)}\"", f"  {plain.cond(c.expr)};"]
    out.append("")
    return "\n".join(out)


def run(text: str, workdir: str, *, optimise: str = "-O2", max_errors: int = 1_000_000_000) -> ToolRun:
    """Translate, compile and run an exported model; report every error (no traces)."""
    cc = shutil.which("cc") or shutil.which("gcc") or "cc"
    Path(workdir, "model.m").write_text(text, encoding="utf-8")
    gen = must(run_measured(RUMUR + ["--max-errors", str(max_errors), "--counterexample-trace", "off",
                                     "model.m", "-o", "checker.c"], workdir), "rumur")
    build = must(run_measured([cc, optimise, "-w", "checker.c", "-o", "checker", "-lpthread"], workdir),
                 "compiling checker.c")
    search = run_measured(["./checker"], workdir)
    out = search.output
    summary = re.search(r"(\d+) states, (\d+) rules fired", out)
    if not summary:
        raise ToolFailed(f"the Rumur checker did not finish ({search.returncode}):\n{out[-4000:]}")
    broken = sorted(set(re.findall(r'invariant "([^"]*)" failed', out)))
    deadlock = bool(re.search(r"^\s*deadlock\s*$", out, re.M))  # the error line, not a name that holds the word
    return ToolRun(int(summary.group(1)), int(summary.group(2)), broken, deadlock, search,
                   gen.cpu_seconds + build.cpu_seconds, out)
