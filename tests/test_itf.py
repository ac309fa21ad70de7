"""verify --itf: each counterexample as an ITF trace (Apalache/Quint's Informal
Trace Format) whose values are typed by the variables' encodings (booleans,
names, sets), that reads back into the IR's integers and replays through the IR."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capmodel.cli import cli
from capmodel.engines import explicit
from capmodel.ir.pycompile import step
from capmodel.ir.encoding import BOOLEAN, ENUMERATION, INTEGER, SET
from capmodel.render.itf import from_itf, states_of, to_itf, trace_to_itf
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec
from capmodel.trace import replay

ROOT = Path(__file__).resolve().parent.parent


def itf_files(*args, tmp_path) -> tuple[list[Path], CliRunner]:
    out = tmp_path / "itf"
    result = CliRunner().invoke(cli, ["verify", *args, "--no-render", "--itf", str(out)], catch_exceptions=False)
    return sorted(out.rglob("*.itf.json")), result


def replays(model, doc: dict) -> None:
    """Every state of the ITF document follows from the one before by the action its #meta names."""
    index = {inst.name: k for k, inst in enumerate(model.instances())}
    states = states_of(doc, model.variables)
    assert states[0] == ("init", model.initial_state)
    for (_, before), (action, after) in zip(states, states[1:]):
        assert step(model, index[action], before) == after, action


def check_form(doc: dict, model) -> None:
    assert doc["#meta"]["format"] == "ITF" and "015adr-trace" in doc["#meta"]["format-description"]
    assert doc["vars"] == [v.name for v in model.variables]
    types = doc["#meta"]["varTypes"]
    assert list(types) == doc["vars"]
    for k, state in enumerate(doc["states"]):
        assert state["#meta"]["index"] == k
        assert set(state) == {"#meta", *doc["vars"]}
        for v in model.variables:  # each value as ITF writes its type
            assert is_itf_value(state[v.name], types[v.name]), (v.name, state[v.name], types[v.name])


def is_itf_value(value, type_: str) -> bool:
    """value is an ITF value of the Apalache type type_ (the few capmodel writes)."""
    if type_ == "Bool":
        return isinstance(value, bool)
    if type_ == "Str":
        return isinstance(value, str)
    if type_ == "Int":
        return set(value) == {"#bigint"} and re.fullmatch(r"-?[0-9]+", value["#bigint"]) is not None
    if type_.startswith("Set("):
        return set(value) == {"#set"} and all(is_itf_value(e, type_[4:-1]) for e in value["#set"])
    if type_.startswith("<<"):
        parts = type_[2:-2].split(", ")
        return set(value) == {"#tup"} and len(value["#tup"]) == len(parts) and all(
            is_itf_value(e, t) for e, t in zip(value["#tup"], parts))
    return False


def test_one_file_per_violated_property_that_parses_and_replays(tmp_path):
    files, result = itf_files(str(ROOT / "specs/async.cap"), tmp_path=tmp_path)
    assert result.exit_code == 1
    assert [f.name for f in files] == ["no_acked_write_lost.itf.json", "no_stale_read.itf.json"]
    assert {f.parent.name for f in files} == {"async"}
    assert "itf: no_acked_write_lost: " in result.stdout
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    for f in files:
        doc = json.loads(f.read_text())
        check_form(doc, model)
        replays(model, doc)
    lost = json.loads(files[0].read_text())
    assert len(lost["states"]) == 4  # the initial state and the 3 steps of the shortest counterexample
    assert lost["#meta"]["property"] == "no_acked_write_lost"


def test_a_holding_spec_writes_no_itf(tmp_path):
    files, result = itf_files(str(ROOT / "specs/semisync.cap"), tmp_path=tmp_path)
    assert result.exit_code == 0 and files == []


def test_the_itf_is_the_trace_type_s_own_states():
    model = build_model(load_spec(str(ROOT / "specs/split_brain.cap")))
    result = explicit.check(model, stop_when_decided=False)
    trace = next(p.trace for p in result.properties if p.trace is not None)
    doc = json.loads(json.dumps(trace_to_itf(trace, model.variables)))
    assert [raw for _, raw in states_of(doc, model.variables)] == replay(model, trace)
    with pytest.raises(ValueError, match="values"):
        trace_to_itf(trace, model.variables[:2])
    with pytest.raises(ValueError, match="variables"):
        states_of(doc, model.variables[1:])


@pytest.mark.slow  # 2-4 s: out of make test-quick (under a minute), in make test
def test_itf_of_z3_counterexamples_and_of_several_specs(tmp_path):
    files, result = itf_files(str(ROOT / "specs/cp.cap"), str(ROOT / "specs/async.cap"), "--engine", "z3",
                              tmp_path=tmp_path)
    assert result.exit_code == 1
    assert {f.parent.name for f in files} == {"cp", "async"}
    for f in files:
        spec = ROOT / "specs" / f"{f.parent.name}.cap"
        replays(build_model(load_spec(str(spec))), json.loads(f.read_text()))


def test_itf_paths_are_in_the_json_and_a_bad_folder_is_one_error(tmp_path):
    out = tmp_path / "itf"
    doc = json.loads(CliRunner().invoke(cli, ["verify", str(ROOT / "specs/async.cap"), "--no-render", "--json",
                                              "--itf", str(out)]).stdout)
    assert set(doc["results"][0]["itf"]) == {"no_acked_write_lost", "no_stale_read"}
    (tmp_path / "file").write_text("")
    bad = CliRunner().invoke(cli, ["verify", str(ROOT / "specs/async.cap"), "--no-render",
                                   "--itf", str(tmp_path / "file" / "sub")])
    assert bad.exit_code == 2 and "ITF traces not written to --itf" in bad.stderr


def test_values_are_typed_by_the_variables_encodings():
    """async.cap's initial state, read as a person would: the master up and master, empty logs."""
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    result = explicit.check(model, stop_when_decided=False)
    trace = next(p.trace for p in result.properties if p.name == "no_acked_write_lost")
    doc = trace_to_itf(trace, model.variables)
    first, last = doc["states"][0], doc["states"][-1]
    assert first["up[master]"] is True and first["role[master]"] == "master" and first["role[slave1]"] == "follower"
    assert first["log[master]"] == {"#set": []} and first["source[slave1]"] == "master"
    assert first["status[w1]"] == "not sent" and first["term"] == {"#bigint": "0"}
    assert doc["#meta"]["varTypes"]["log[master]"] == "Set(Str)" and doc["#meta"]["varTypes"]["up[slave1]"] == "Bool"
    # w1 acknowledged, held only by the crashed master, and slave1 promoted without it
    assert last["status[w1]"] == "OK" and last["up[master]"] is False and last["primary"] == "slave1"
    assert last["log[master]"] == {"#set": ["w1"]} and last["log[slave1]"] == {"#set": []}


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.cap")))
def test_every_value_of_every_variable_reads_back(path):
    """typed -> raw inverts raw -> typed over each variable's whole domain (up to 4096 values),
    through JSON; and every kind of encoding is in use across the specs."""
    model = build_model(load_spec(str(ROOT / path)))
    for v in model.variables:
        assert v.encoding.fits(v.size), v
        for raw in range(min(v.size, 4096)):
            j = json.loads(json.dumps(to_itf(v.encoding, raw)))
            assert from_itf(v.encoding, j) == raw, (v.name, raw, j)
    kinds = {v.encoding.kind for v in model.variables}
    assert {BOOLEAN, ENUMERATION, SET, INTEGER} <= kinds


def test_values_of_another_type_are_refused():
    model = build_model(load_spec(str(ROOT / "specs/split_brain.cap")))
    by_kind = {v.encoding.kind: v.encoding for v in model.variables}
    for kind, wrong in [(BOOLEAN, 1), (BOOLEAN, "true"), (ENUMERATION, "captain"), (SET, ["w9"]), (SET, "w1"),
                        (INTEGER, "3"), (INTEGER, True)]:
        with pytest.raises(ValueError):
            from_itf(by_kind[kind], wrong)
    assert from_itf(by_kind[INTEGER], 2) == 2  # ITF's plain integers are read too
