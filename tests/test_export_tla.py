"""capmodel export --to tla: TLC explores the same graph as the explicit engine.

TLC (tla2tools.jar) is no package of PyPI, Debian or npm: these tests find it
through CAPMODEL_TLA2TOOLS=/path/to/tla2tools.jar and skip, saying so, without
it or without java. For every shipped spec, TLC's distinct states must equal
the explicit engine's (without symmetry), its generated states be capmodel's
transitions + the stuttering Done steps + 1, the invariants it finds broken be
exactly capmodel's violated ones, each of its counterexamples be as short
as capmodel's and replay through the IR, read back from the readable values
that Alias prints, and each reachable condition's configuration be broken
exactly when capmodel reaches it. docs/export.md records a run.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from capmodel.engines import explicit
from capmodel.export import checked, export, files, tla
from capmodel.engines.result import REACHED, UNREACHABLE
from capmodel.export.common import ExportError
from capmodel.ir import expr as X
from capmodel.ir.encoding import one_of, set_of
from capmodel.ir.model import Condition, Variable
from capmodel.ir.pycompile import compile_predicate, step
from capmodel.render.itf import trace_to_itf
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


def tlc(model, properties, workdir: Path, cfg: str | None = None) -> tla.ToolRun:
    """TLC on the export of `properties`, with its configuration or `cfg`."""
    workdir.mkdir(parents=True, exist_ok=True)
    return tla.run(tla.module(model, properties), tla.config(model, properties) if cfg is None else cfg,
                   str(workdir), need_tlc())


def agrees_with_tlc(model, ref: Reference, workdir: Path) -> None:
    # the holding properties (maybe none): no error state, so the whole graph
    run = tlc(model, list(ref.holding), workdir / "holding")
    assert run.broken == [] and run.deadlock == ref.deadlock
    if not ref.deadlock:  # TLC stops at a deadlock; the counts are then partial
        assert run.states == ref.states
        # TLC generates the initial state, every transition, and the Done step in each done state
        assert run.transitions == ref.transitions + ref.done_states + 1
    # each violated property alone: TLC must break it, by a shortest path that the IR replays
    result = explicit.check(model, stop_when_decided=False)
    explicit_traces = {p.name: p.trace for p in result.properties if p.verdict == "violated"}
    for k, name in enumerate(sorted(ref.violated)):
        run = tlc(model, [name], workdir / f"violated{k}")
        assert run.broken == [name]
        replays(model, run.output, next(c for c in model.invariants + model.lemmas if c.name == name).expr, False)
        assert len(tla.trace_states(run.output, model.variables)) == len(explicit_traces[name].steps) + 1
    reaches_as_capmodel(model, result, workdir)


def reaches_as_capmodel(model, result, workdir: Path) -> None:
    """Each reachable condition's configuration: TLC breaks NotReach<k> exactly when capmodel
    reaches the condition, by a witness as short as capmodel's that the IR replays."""
    assert [r.name for r in result.reachables] == [c.name for c in model.reachables]
    for k, (c, verdict) in enumerate(zip(model.reachables, result.reachables)):
        assert verdict.verdict in (REACHED, UNREACHABLE)
        run = tlc(model, [], workdir / f"reach{k}", tla.reach_config(model, k))
        assert run.broken == ([f"NotReach{k}"] if verdict.verdict == REACHED else []) and not run.deadlock
        if verdict.verdict == REACHED:
            replays(model, run.output, c.expr, True)
            assert len(tla.trace_states(run.output, model.variables)) == len(verdict.trace.steps) + 1
        else:
            assert "No error has been found" in run.output


def replays(model, output: str, condition, holds_at_end: bool) -> None:
    """TLC's trace starts in the initial state, each step is the IR step of the action it names,
    and `condition` holds in its last state (a witness) or not (a counterexample)."""
    states = tla.trace_states(output, model.variables)
    assert states and states[0] == (None, model.initial_state)
    for (_, before), (k, after) in zip(states, states[1:]):
        assert k is not None and step(model, k, before) == after, k
    assert compile_predicate(condition)(states[-1][1]) == holds_at_end


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
    replays(model, run.output, model.invariants[0].expr, False)
    assert len(tla.trace_states(run.output, model.variables)) == 6


# ------------------------------------------------ the text itself (no TLC)

KEYWORDS = {"MODULE", "capmodel", "EXTENDS", "Integers", "TLC", "VARIABLES", "vars", "RECURSIVE", "BitAnd",
            "BitOr", "BitDiff", "LowBit", "PopCount", "IF", "THEN", "ELSE", "div", "a", "b", "x", "TypeOK", "in",
            "Init", "A0", "UNCHANGED", "Done", "Next", "Spec", "Inv0", "Reach0", "NotReach0", "TRUE", "FALSE", "v0",
            "v1", "Named", "Members", "names", "k", "DOMAIN", "Alias", "_", "_vars"}  # RECURSIVE F(_), [][Next]_vars
STRING = re.compile(r'"([^"\\]*)"')  # a TLA+ string without escapes: all that Alias writes


def test_names_reach_only_comments_and_strings():
    """Spec text is in comments, and in Alias's strings (its field names), through the same whitelist."""
    text = export(adversarial_model(), "tla", source=EVIL)
    assert text.count("EVIL") > 10  # the names are there, in comments
    assert "\u2028" not in text and "`" not in text and "(*" not in text and "*)" not in text
    lines = text.splitlines()
    end = lines.index("=" * 40)
    assert lines[0] == "---- MODULE capmodel ----" and end > 0
    # no other line opens or closes a module: no run of 4 '-' or '=' anywhere else
    assert not any(re.search(r"-{4}|={4}", line) for k, line in enumerate(lines) if k not in (0, end))
    code = "\n".join(line.split("\\*", 1)[0] for line in lines)
    strings = STRING.findall(code)
    assert strings == [tla.tla_comment(f"{EVIL} {k}") for k in range(2)]  # the variables' names, in Alias
    assert all(re.fullmatch(r"[A-Za-z0-9 _.,:;()\[\]{}=<>+!&|%^~'@$/-]*", s) and "--" not in s for s in strings)
    code = STRING.sub("", code)
    assert "EVIL" not in code and '"' not in code
    assert set(re.findall(r"[A-Za-z_]\w*", code)) <= KEYWORDS | {"INIT", "NEXT", "INVARIANT", "ALIAS"}


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


def alias_fields(text: str) -> list[tuple[str, str]]:
    """(field name, expression) per line of the module's Alias, in order."""
    lines = text[text.index("\nAlias ==\n") + 10:].split("\n\n", 1)[0].splitlines()
    fields = [re.fullmatch(r'(?:     |  @@ )\("([^"]*)" :> (.*)\)', line) for line in lines]
    assert all(fields), lines
    return [(m.group(1), m.group(2)) for m in fields]


def itf_document(model, path: str) -> dict:
    """The ITF document of capmodel's first counterexample for the spec (verify --itf writes the same)."""
    result = explicit.check(model)
    trace = next(p.trace for p in result.properties if p.trace is not None)
    return trace_to_itf(trace, model.variables, path)


@pytest.mark.parametrize("path", ["specs/ap.cap", "specs/async.cap", "specs/systems/mongodb_majority.cap"])
def test_alias_names_every_field_of_the_itf_trace(path):
    """Alias has one field per variable, named as the ITF trace names it, in the same order, each the
    readable value of its own v<i> by its encoding; the configuration prints the trace through it."""
    model = build_model(load_spec(str(ROOT / path)))
    doc = itf_document(model, path)
    fields = alias_fields(tla.module(model))
    assert [name for name, _ in fields] == doc["vars"] == [k for k in doc["states"][0] if k != "#meta"]
    for i, ((_, code), v) in enumerate(zip(fields, model.variables)):
        names = ", ".join(tla.tla_value(e) for e in v.encoding.names)
        assert code == {"boolean": f"(v{i} # 0)", "integer": f"v{i}", "enumeration": f"Named(<<{names}>>, v{i})",
                        "set": f"Members(<<{names}>>, v{i})"}[v.encoding.kind]
    if path == "specs/ap.cap":  # every kind: booleans, numbers, names, sets of names and of pairs
        assert {v.encoding.kind for v in model.variables} == {"boolean", "integer", "enumeration", "set"}
        assert {tla.element_type(e) for v in model.variables for e in v.encoding.names} == {"Str", "<<Str, Str>>"}
    assert "\nALIAS Alias  \\* a counterexample's states printed with readable values\n" in tla.config(model)
    assert all("\nALIAS Alias\n" in tla.reach_config(model, k) for k in range(len(model.reachables)))


def test_every_shipped_spec_prints_as_its_itf_trace():
    """In every spec, Alias's field names are the variables' names (ITF's vars) and every named value and
    set element is written as itself: the whitelist changes none, and every set is one TLC can order."""
    for path in SPECS:
        model = build_model(load_spec(str(ROOT / path)))
        assert tla.field_names(model.variables) == [v.name for v in model.variables], path
        words = {w for v in model.variables for e in v.encoding.names for w in (e if isinstance(e, tuple) else (e,))}
        assert all(tla.tla_comment(w) == w for w in words if isinstance(w, str)), path
        assert all(tla.readable(v.encoding) for v in model.variables), path


def test_names_that_the_whitelist_merges_stay_apart():
    variables = [Variable("a\nb", 2, 0), Variable("a b", 2, 0), Variable("a*b", 2, 0), Variable("a_b", 2, 0)]
    assert tla.field_names(variables) == ["a b", "a b v1", "a_b", "a_b v3"]


def test_a_set_tlc_cannot_order_stays_an_integer():
    """TLC cannot compare a string with a number, so a set of both is printed as its bit mask, and read back so."""
    model = dataclasses.replace(one_guard(X.TRUE), variables=[Variable("x", 4, 0, encoding=set_of(["a", 1])),
                                                              Variable("y", 4, 0, encoding=set_of(["a", "b"]))])
    assert alias_fields(tla.module(model)) == [("x", "v0"), ("y", 'Members(<<"a", "b">>, v1)')]
    output = 'State 1: <Initial predicate>\n/\\ x = 3\n/\\ y = {"a", "b"}\n\n'
    assert tla.trace_states(output, model.variables) == [(None, (3, 3))]


def test_tlc_values_read_back():
    """What TLC prints (sets in its own order, long values wrapped) reads back as ITF values."""
    assert tla.tlc_value('{<<"master", "slave">>, <<"a b (c)", "d">>}') == \
        {"#set": [{"#tup": ["master", "slave"]}, {"#tup": ["a b (c)", "d"]}]}
    assert tla.tlc_value("  {}") == {"#set": []} and tla.tlc_value("-3") == {"#bigint": "-3"}
    assert tla.tlc_value("TRUE") is True and tla.tlc_value("<<>>") == {"#tup": []}
    model = dataclasses.replace(one_guard(X.TRUE), variables=[
        Variable("log[n1]", 8, 0, encoding=set_of(["w1", "w2", "w3"])), Variable("role", 2, 0, encoding=one_of(["a", "b"]))])
    output = ('Error: Invariant Inv0 is violated by the initial state:\n/\\ log[n1] = {"w1",\n   "w3"}\n'
              '/\\ role = "b"\n\nFinished')
    assert tla.trace_values(output, model.variables) == [(None, {"log[n1]": {"#set": ["w1", "w3"]}, "role": "b"})]
    assert tla.trace_states(output, model.variables) == [(None, (5, 1))]
    for bad in ['/\\ log[n1] = {"w4"}\n/\\ role = "b"', '/\\ v0 = 5\n/\\ v1 = 1', '/\\ role = "b"']:
        with pytest.raises(tla.ToolFailed):
            tla.trace_states("State 1: <Initial predicate>\n" + bad + "\n\n", model.variables)


def test_each_reachable_condition_has_its_configuration(tmp_path):
    """NAME_reach<k>.cfg checks NotReach<k>, defined as ~Reach<k>, the k-th reachable condition's, with
    the deadlock check off (a deadlock would end the search first) and the readable trace."""
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    written = files(model, "tla", None, "specs/async.cap", str(tmp_path / "a.tla"))
    assert list(written) == ["model", "config"] + [f"reachable {c.name}" for c in model.reachables]
    text = written["model"][1]
    plain = tla.Printer(tla.SPELLING, model)
    for k, c in enumerate(model.reachables):
        path, cfg = written[f"reachable {c.name}"]
        assert path == str(tmp_path / f"a_reach{k}.cfg")
        assert re.findall(r"^[A-Z_]+ .*$", cfg, re.M) == ["INIT Init", "NEXT Next", f"INVARIANT NotReach{k}",
                                                          "CHECK_DEADLOCK FALSE", "ALIAS Alias"]
        assert f"reachable condition {c.name} (a_reach{k}.cfg)" in cfg.splitlines()[0]
        assert f"\\* reachable {c.name}: " in text and f"\nReach{k} == {plain.cond(c.expr)}\nNotReach{k} == ~Reach{k}\n" in text
        assert f"-config a_reach{k}.cfg a.tla reports Invariant NotReach{k} violated when it is reached" in text
    assert "NotReach" not in written["config"][1]


def counter_with_an_unreachable_condition():
    """counter_model(2, 1) with x in 0..3: x = 3 is in x's domain but never reached; y = 1 is. It
    deadlocks at x = 2, y = 1 (the workload is done at x = 1 only), which must not hide the verdict."""
    model = counter_model(2, 1)
    x = X.var(0)
    return dataclasses.replace(model, variables=[Variable("x", 4, 0), model.variables[1]],
                               reachables=model.reachables + [Condition("x_is_3", X.eq(x, X.const(3)))])


def test_reachable_verdicts_agree_with_tlc(tmp_path):
    """TLC breaks NotReach<k> exactly where capmodel says REACHED (ap.cap: both; the counter: one of two)."""
    need_tlc()
    model = counter_with_an_unreachable_condition()
    result = explicit.check(model, stop_when_decided=False)
    assert [r.verdict for r in result.reachables] == [REACHED, UNREACHABLE] and result.deadlock is not None
    reaches_as_capmodel(model, result, tmp_path / "counter")
    model = build_model(load_spec(str(ROOT / "specs/ap.cap")))
    reaches_as_capmodel(model, explicit.check(model, stop_when_decided=False), tmp_path / "ap")


def normal(value):
    """An ITF value with each set's elements in one order (ITF writes bit order, TLC its own)."""
    if isinstance(value, dict) and "#set" in value:
        return {"#set": sorted((normal(x) for x in value["#set"]), key=json.dumps)}
    if isinstance(value, dict) and "#tup" in value:
        return {"#tup": [normal(x) for x in value["#tup"]]}
    return value


@pytest.mark.parametrize("path, prop", [("specs/ap.cap", "no_stale_read"), ("specs/split_brain.cap", "no_split_brain")])
def test_tlc_prints_capmodels_counterexample(path, prop, tmp_path):
    """TLC's counterexample, as Alias prints it, is capmodel's ITF trace: as long, by the same actions,
    with the same readable value of every variable at every step (both searches are breadth-first and
    try the actions in the same order); and it replays through the IR."""
    need_tlc()
    model = build_model(load_spec(str(ROOT / path)))
    run = tlc(model, [prop], tmp_path)
    assert run.broken == [prop]
    printed = tla.trace_values(run.output, model.variables)
    trace = next(p.trace for p in explicit.check(model, properties=[prop]).properties if p.name == prop)
    doc = trace_to_itf(trace, model.variables, path)
    assert len(printed) == len(doc["states"]) == len(trace.steps) + 1 > 2
    for (k, values), state in zip(printed, doc["states"]):
        assert (state["#meta"]["action"] == "init") if k is None else (model.instances()[k].name == state["#meta"]["action"])
        assert {name: normal(v) for name, v in values.items()} == \
            {name: normal(v) for name, v in state.items() if name != "#meta"}
    replays(model, run.output, next(c for c in model.invariants if c.name == prop).expr, False)


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
    for k, c in enumerate(model.reachables):
        assert (tmp_path / f"async_model_reach{k}.cfg").read_text() == tla.reach_config(model, k, "async_model")
        assert f"reachable {c.name}: {tmp_path / f'async_model_reach{k}.cfg'}" in p.stdout
    assert "config: " in p.stdout and "run: " in p.stdout and "tlc2.TLC" in p.stdout
    if _jar():  # as a user runs it, from the printed command
        import subprocess
        run = subprocess.run(["java", "-cp", _jar(), "tlc2.TLC", "-workers", "1", "-noGenerateSpecTE", out.name],
                             cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert "Invariant Inv0 is violated" in run.stdout
        run = subprocess.run(["java", "-cp", _jar(), "tlc2.TLC", "-workers", "1", "-noGenerateSpecTE", "-config",
                              "async_model_reach0.cfg", out.name], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert "Invariant NotReach0 is violated" in run.stdout


def test_cli_stdout_and_bad_name(tmp_path):
    p = capmodel("export", "specs/ap.cap", "--to", "tla")
    assert p.returncode == 0 and p.stdout.startswith("---- MODULE capmodel ----")
    assert "\n" + "=" * 40 + "\n\\* TLC configuration" in p.stdout and "\nINIT Init\n" in p.stdout
    p = capmodel("export", "specs/ap.cap", "--to", "tla", "-o", str(tmp_path / "my-model.tla"))
    assert p.returncode == 2 and "cannot be a module name" in p.stderr and not list(tmp_path.iterdir())


def test_cli_json_names_every_file(tmp_path):
    import json

    from capmodel.render.trace_json import check_output

    out = tmp_path / "ap.tla"
    p = capmodel("export", "specs/ap.cap", "--to", "tla", "-o", str(out), "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 0 and check_output(doc) == []
    assert doc["results"][0]["written"] == {"model": str(out), "config": str(tmp_path / "ap.cfg"),
                                            "reachable partition_happens": str(tmp_path / "ap_reach0.cfg"),
                                            "reachable slave_answers_cut_off": str(tmp_path / "ap_reach1.cfg")}
    assert doc["results"][0]["language"] == "tla" and "tlc2.TLC" in doc["results"][0]["run"]
    p = capmodel("export", "specs/ap.cap", "--to", "tla", "-o", str(tmp_path / "ap.pml"), "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 2 and check_output(doc) == [] and doc["errors"][0]["code"] == "not_expressible"
