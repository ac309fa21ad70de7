"""capmodel export --to tla: TLC explores the same graph as the explicit engine.

TLC (tla2tools.jar) is no package of PyPI, Debian or npm: these tests find it
through CAPMODEL_TLA2TOOLS=/path/to/tla2tools.jar and skip, saying so, without
it or without java. For every shipped spec, TLC's distinct states must equal
the explicit engine's (without symmetry), its generated states be capmodel's
transitions + the stuttering Done steps + 1, the invariants it finds broken be
exactly capmodel's violated ones, and each of its counterexamples be as short
as capmodel's and replay through the IR. docs/export.md records a run.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
from pathlib import Path

import pytest

from capmodel.engines import explicit
from capmodel.export import checked, export, files, tla
from capmodel.export.common import ExportError
from capmodel.ir.pycompile import compile_predicate, step
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec
from helpers import counter_model
from test_export import EVIL, ROOT, SPECS, Reference, adversarial_model, capmodel, reference, spec_model

JAR_VARIABLE = "CAPMODEL_TLA2TOOLS"


@functools.lru_cache(maxsize=None)
def _jar() -> str | None:
    path = os.environ.get(JAR_VARIABLE)
    return path if path and Path(path).is_file() and shutil.which("java") else None


def need_tlc() -> str:
    jar = _jar()
    if jar is None:
        pytest.skip(f"TLC not found: set {JAR_VARIABLE}=/path/to/tla2tools.jar (and install java)")
    return jar


def tlc(model, properties, workdir: Path) -> tla.ToolRun:
    workdir.mkdir(parents=True, exist_ok=True)
    return tla.run(tla.module(model, properties), tla.config(model, properties), str(workdir), need_tlc())


def agrees_with_tlc(model, ref: Reference, workdir: Path) -> None:
    # the holding properties (maybe none): no error state, so the whole graph
    run = tlc(model, list(ref.holding), workdir / "holding")
    assert run.broken == [] and run.deadlock == ref.deadlock
    if not ref.deadlock:  # TLC stops at a deadlock; the counts are then partial
        assert run.states == ref.states
        # TLC generates the initial state, every transition, and the Done step in each done state
        assert run.transitions == ref.transitions + ref.done_states + 1
    # each violated property alone: TLC must break it, by a shortest path that the IR replays
    explicit_traces = {p.name: p.trace for p in explicit.check(model, stop_when_decided=False).properties
                       if p.verdict == "violated"}
    for k, name in enumerate(sorted(ref.violated)):
        run = tlc(model, [name], workdir / f"violated{k}")
        assert run.broken == [name]
        replays(model, run.output, name)
        assert len(tla.trace_states(run.output, len(model.variables))) == len(explicit_traces[name].steps) + 1


def replays(model, output: str, prop: str) -> None:
    """TLC's trace starts in the initial state, each step is the IR step of the action it names,
    and its last state breaks the property."""
    states = tla.trace_states(output, len(model.variables))
    assert states and states[0] == (None, model.initial_state)
    for (_, before), (k, after) in zip(states, states[1:]):
        assert k is not None and step(model, k, before) == after, k
    condition = next(c for c in model.invariants + model.lemmas if c.name == prop)
    assert not compile_predicate(condition.expr)(states[-1][1])


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS)
def test_same_graph(path, tmp_path):
    need_tlc()
    agrees_with_tlc(*spec_model(path), tmp_path)


@pytest.mark.parametrize("done_at", [3, 2], ids=["done", "deadlock"])
def test_deadlock_is_reported(done_at, tmp_path):
    """counter_model(3, 2): x stops at 3 but the workload is done at 2, a deadlock."""
    model = counter_model(3, done_at)
    ref = reference(model)
    run = tlc(model, None, tmp_path)
    assert ref.deadlock == (done_at == 2) and run.deadlock == ref.deadlock
    assert run.states == ref.states


def test_adversarial_names_run(tmp_path):
    # (0,0) (1,0) (1,1) (2,1) (2,2) (3,2): the last one breaks the invariant (test_export works it out)
    model = adversarial_model()
    run = tlc(model, None, tmp_path)
    assert run.broken == [tla.tla_comment(EVIL)]
    replays(model, run.output, EVIL)
    assert len(tla.trace_states(run.output, 2)) == 6


# ------------------------------------------------ the text itself (no TLC)

KEYWORDS = {"MODULE", "capmodel", "EXTENDS", "Integers", "VARIABLES", "vars", "RECURSIVE", "BitAnd", "BitOr",
            "BitDiff", "LowBit", "PopCount", "IF", "THEN", "ELSE", "div", "a", "b", "x", "TypeOK", "in", "Init",
            "A0", "UNCHANGED", "Done", "Next", "Spec", "Inv0", "Reach0", "TRUE", "FALSE", "v0", "v1",
            "_", "_vars"}  # RECURSIVE F(_), [][Next]_vars


def test_names_reach_only_comments():
    text = export(adversarial_model(), "tla", source=EVIL)
    assert text.count("EVIL") > 10  # the names are there, in comments
    assert not any(ch in text for ch in "\"\u2028`") and "(*" not in text and "*)" not in text
    lines = text.splitlines()
    end = lines.index("=" * 40)
    assert lines[0] == "---- MODULE capmodel ----" and end > 0
    # no other line opens or closes a module: no run of 4 '-' or '=' anywhere else
    assert not any(re.search(r"-{4}|={4}", line) for k, line in enumerate(lines) if k not in (0, end))
    code = "\n".join(line.split("\\*", 1)[0] for line in lines)
    assert "EVIL" not in code
    assert set(re.findall(r"[A-Za-z_]\w*", code)) <= KEYWORDS | {"INIT", "NEXT", "INVARIANT"}


def test_updates_are_parallel():
    """x, y := y + 1, x: primed equations read only old values, so no temporary is needed."""
    text = tla.module(adversarial_model())
    assert "v0' = (v1 + 1)" in text and "v1' = v0" in text


def test_every_checked_property_is_in_the_configuration():
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    cfg = tla.config(model, None)
    names = [c.name for c in checked(model, None)]
    assert re.findall(r"^INVARIANT (Inv\d+)  \\\* (\w+)$", cfg, re.M) == [(f"Inv{k}", n) for k, n in enumerate(names)]
    assert cfg.splitlines()[1:4] == ["INIT Init", "NEXT Next", "INVARIANT TypeOK"]
    assert tla.invariant_names(tla.module(model)) == {f"Inv{k}": n for k, n in enumerate(names)}


def one_guard(guard) -> "Model":
    from capmodel.ir import expr as X
    from capmodel.ir.model import Action, ActionInstance, Label, Model, Variable

    inst = ActionInstance("a", (), guard, ((0, X.const(1)),), Label("local", "a", "a"))
    return Model("m", [Variable("x", 4, 0), Variable("y", 4, 0)], [Action("a", (), (inst,))], [], [], X.TRUE)


def test_bit_operators_that_might_not_end_are_refused():
    """The recursive bit operators end when an argument they stop at reaches 0, which -1 never
    does: BitAnd(x - 2, y - 2) is refused; BitAnd(x, y - 1) (as the shipped specs mask with lowbit - 1)
    is not, and TLC gives it C's meaning."""
    from capmodel.ir import expr as X

    x, y, two = X.var(0), X.var(1), X.const(2)
    for bad in [X.band(X.sub(x, two), X.sub(y, two)), X.bor(X.sub(x, two), X.sub(y, two)),
                X.bdiff(X.sub(x, two), y), X.popcount(X.sub(X.const(1), x))]:
        with pytest.raises(ExportError, match="negative"):
            tla.module(one_guard(X.eq(bad, X.const(0))))
    for fine in [X.band(x, X.sub(y, X.const(1))), X.bdiff(x, X.sub(y, two)), X.lowbit(X.sub(x, two))]:
        assert "BitAnd" in tla.module(one_guard(X.eq(fine, X.const(0))))


def test_bit_operators_mean_what_c_means(tmp_path):
    """TLC evaluates BitAnd, BitOr, BitDiff, LowBit and PopCount as Python's (two's complement) operators,
    on every pair of arguments in -4..7 that the export accepts."""
    jar = need_tlc()
    import subprocess

    ops = {"BitAnd": lambda a, b: a & b, "BitOr": lambda a, b: a | b, "BitDiff": lambda a, b: a & ~b}
    cases = [(name, a, b) for name in ops for a in range(-4, 8) for b in range(-4, 8)
             if a >= 0 or (name != "BitDiff" and b >= 0)]
    checks = [f"{name}({a}, {b}) = {ops[name](a, b)}" for name, a, b in cases]
    checks += [f"LowBit({a}) = {a & -a}" for a in range(-8, 17)] + [f"PopCount({a}) = {bin(a).count('1')}"
                                                                    for a in range(0, 33)]
    body = tla.BIT_OPERATORS + "\nASSUME " + " /\\ ".join(f"({c})" for c in checks)
    (tmp_path / "Bits.tla").write_text("---- MODULE Bits ----\nEXTENDS Integers\n" + body + "\n====\n")
    (tmp_path / "Bits.cfg").write_text("")
    run = subprocess.run(["java", "-cp", jar, "tlc2.TLC", "-noGenerateSpecTE", "-metadir", "states", "Bits.tla"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    # TLC evaluates every ASSUME first, and stops with "Assumption line N ... is false" at a false one
    assert run.returncode == 0 and "No error has been found" in run.stdout, run.stdout[-3000:]


def test_file_names():
    model = counter_model(2, 2)
    written = files(model, "tla", None, "", "out dir/My_spec2.tla")
    assert written["model"][0] == "out dir/My_spec2.tla" and written["config"][0] == "out dir/My_spec2.cfg"
    assert written["model"][1].startswith("---- MODULE My_spec2 ----")
    for bad in ["x.txt", "a-b.tla", "123.tla", "Integers.tla", "MODULE.tla", "x", "v0.tla", "Inv3.tla", "Next.tla"]:
        with pytest.raises(ExportError):
            files(model, "tla", None, "", bad)


# ------------------------------------------------------------------ the CLI

def test_cli_writes_module_and_configuration(tmp_path):
    out = tmp_path / "async_model.tla"
    p = capmodel("export", "specs/async.cap", "--to", "tla", "-o", str(out), "-p", "no_stale_read")
    assert p.returncode == 0, p.stderr
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    assert out.read_text() == tla.module(model, ["no_stale_read"], "specs/async.cap", "async_model")
    assert (tmp_path / "async_model.cfg").read_text() == tla.config(model, ["no_stale_read"], "async_model")
    assert "config: " in p.stdout and "run: " in p.stdout and "tlc2.TLC" in p.stdout
    if _jar():  # as a user runs it, from the printed command
        import subprocess
        run = subprocess.run(["java", "-cp", _jar(), "tlc2.TLC", "-workers", "1", "-noGenerateSpecTE", out.name],
                             cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert "Invariant Inv0 is violated" in run.stdout


def test_cli_stdout_and_bad_name(tmp_path):
    p = capmodel("export", "specs/ap.cap", "--to", "tla")
    assert p.returncode == 0 and p.stdout.startswith("---- MODULE capmodel ----")
    assert "\n" + "=" * 40 + "\n\\* TLC configuration" in p.stdout and "\nINIT Init\n" in p.stdout
    p = capmodel("export", "specs/ap.cap", "--to", "tla", "-o", str(tmp_path / "my-model.tla"))
    assert p.returncode == 2 and "cannot be a module name" in p.stderr and not list(tmp_path.iterdir())


def test_cli_json_names_both_files(tmp_path):
    import json

    from capmodel.render.trace_json import check_output

    out = tmp_path / "ap.tla"
    p = capmodel("export", "specs/ap.cap", "--to", "tla", "-o", str(out), "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 0 and check_output(doc) == []
    assert doc["results"][0]["written"] == {"model": str(out), "config": str(tmp_path / "ap.cfg")}
    assert doc["results"][0]["language"] == "tla" and "tlc2.TLC" in doc["results"][0]["run"]
    p = capmodel("export", "specs/ap.cap", "--to", "tla", "-o", str(tmp_path / "ap.pml"), "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 2 and check_output(doc) == [] and doc["errors"][0]["code"] == "not_expressible"
