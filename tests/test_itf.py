"""verify --itf: each counterexample as an ITF trace (Apalache/Quint's Informal
Trace Format) that parses back and whose states replay through the IR."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capmodel.cli import cli
from capmodel.engines import explicit
from capmodel.ir.pycompile import step
from capmodel.render.itf import states_of, trace_to_itf
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
    states = states_of(doc)
    assert states[0] == ("init", model.initial_state)
    for (_, before), (action, after) in zip(states, states[1:]):
        assert step(model, index[action], before) == after, action


def check_form(doc: dict, model) -> None:
    assert doc["#meta"]["format"] == "ITF" and "015adr-trace" in doc["#meta"]["format-description"]
    assert doc["vars"] == [v.name for v in model.variables]
    for k, state in enumerate(doc["states"]):
        assert state["#meta"]["index"] == k
        assert set(state) == {"#meta", *doc["vars"]}
        for name in doc["vars"]:  # every integer as ITF's {"#bigint": "N"}
            value = state[name]
            assert set(value) == {"#bigint"} and re.fullmatch(r"-?[0-9]+", value["#bigint"])


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
    doc = json.loads(json.dumps(trace_to_itf(trace, [v.name for v in model.variables])))
    assert [raw for _, raw in states_of(doc)] == replay(model, trace)
    with pytest.raises(ValueError, match="values"):
        trace_to_itf(trace, ["too", "few"])


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
