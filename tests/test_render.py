"""Counterexample diagrams: golden .dot/.mmd text for every shipped spec,
rendering with and without Graphviz, safe file names, `render` and `graph`.

Regenerate the golden files after a deliberate change with
    UPDATE_GOLDEN=1 pytest tests/test_render.py
and review the diff."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from capmodel.cli import cli
from capmodel.engines import explicit
from capmodel.ir.pycompile import compile_successors
from capmodel.render import events
from capmodel.render.diagrams import (DiagramsNotWritten, counterexamples, safe_name, write_counterexamples,
                                     write_traces)
from capmodel.render.mermaid import trace_to_mermaid
from capmodel.render.sequence_dot import trace_to_dot
from capmodel.render.trace_json import KINDS, TraceFormatError, trace_from_json, traces_in
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec
from capmodel.trace import build_trace
from helpers import config

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
SPECS = sorted((ROOT / "specs").glob("*.cap"))
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")

_results: dict[Path, object] = {}


def result_of(spec: Path):
    if spec not in _results:
        _results[spec] = explicit.check(build_model(load_spec(str(spec))))
    return _results[spec]


def walk_trace(seed: int, steps: int = 14):
    """A seeded random walk through a model where every kind of step can happen."""
    cfg = config(nodes=("master", "slave1", "slave2"), replication="semi_sync", acks_needed=1,
                 semi_sync_timeout=True, failover="promote_any", crashes=1, recover=True, partitions=1,
                 writes=2, read_count=1)
    model = build_model(cfg)
    successors = compile_successors(model)
    rng = random.Random(seed)
    path = [(-1, model.initial_state)]
    for _ in range(steps):
        nxt = successors(path[-1][1])
        if not nxt:
            break
        path.append(rng.choice(nxt))
    trace = build_trace(model, "walk", "violation", path, ["client1", *cfg.nodes])
    trace.explanation = f"a random walk (seed {seed}) through every kind of step"
    return trace


def check_golden(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.relative_to(ROOT)} changed; if deliberate, run UPDATE_GOLDEN=1 pytest tests/test_render.py")


# ------------------------------------------------------------------ golden text
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_golden_diagrams_of_every_shipped_spec(spec):
    found = counterexamples(result_of(spec))
    names = set()
    for key, trace in found:
        names |= {f"{key}.dot", f"{key}.mmd"}
        check_golden(GOLDEN / spec.stem / f"{key}.dot", trace_to_dot(trace))
        check_golden(GOLDEN / spec.stem / f"{key}.mmd", trace_to_mermaid(trace))
    folder = GOLDEN / spec.stem
    stale = {p.name for p in folder.glob("*")} - names if folder.exists() else set()
    if UPDATE:
        for name in stale:
            (folder / name).unlink()
    else:
        assert not stale, f"golden files without a counterexample any more: {sorted(stale)}"


@pytest.mark.parametrize("seed", [2, 3])
def test_golden_diagram_of_every_kind_of_step(seed):
    trace = walk_trace(seed)
    kinds = {s.kind for s in trace.steps}
    if seed == 3:  # this walk has every kind of step (a seed found by search when the actions changed)
        assert kinds == KINDS
    check_golden(GOLDEN / "walks" / f"seed{seed}.dot", trace_to_dot(trace))
    check_golden(GOLDEN / "walks" / f"seed{seed}.mmd", trace_to_mermaid(trace))


def test_output_is_deterministic():
    trace = walk_trace(2)
    assert trace_to_dot(trace) == trace_to_dot(walk_trace(2))
    assert trace_to_mermaid(trace) == trace_to_mermaid(walk_trace(2))


def test_shipped_specs_with_a_violation_have_diagrams():
    with_trace = [s.stem for s in SPECS if counterexamples(result_of(s))]
    assert "async" in with_trace and len(with_trace) >= 4


# ------------------------------------------------------------- what is drawn
def test_rows_tell_the_async_story():
    trace = dict(counterexamples(result_of(ROOT / "specs" / "async.cap")))["no_acked_write_lost"]
    rows = events.rows(trace)
    arrows = [(r.src, r.dst, r.label) for r in rows if r.kind == "arrow"]
    assert arrows == [("client1", "master", "w1"), ("master", "client1", "OK w1")]
    assert [(r.src, r.style) for r in rows if r.kind == "mark"] == [("master", "crash"), ("slave1", "promote")]
    final = rows[-1]
    assert final.kind == "snapshot" and final.holds["slave1"].lacks == ["w1"]
    assert final.holds["master"].up is False
    assert events.lifelines(trace) == ["client1", "master", "slave1", "slave2"]


def test_reads_get_a_request_and_an_answer_arrow():
    trace = dict(counterexamples(result_of(ROOT / "specs" / "async.cap")))["no_stale_read"]
    arrows = [(r.src, r.dst, r.label) for r in events.rows(trace) if r.kind == "arrow"]
    assert ("client1", "slave1", "read r1") in arrows and ("slave1", "client1", "r1 -> nothing (misses w1)") in arrows


def test_partition_band_separates_the_isolated_master():
    state = {"nodes": {"master": {}, "slave1": {}, "slave2": {}}, "cut_links": ["master-slave1", "master-slave2"]}
    order = ["client1", "master", "slave1", "slave2"]
    assert events.partition_gaps(state, order) == [1]
    middle = {**state, "cut_links": ["master-slave1", "slave1-slave2"]}
    assert events.partition_gaps(middle, order) == [1, 2]


def test_mermaid_text_is_escaped():
    trace = walk_trace(2)
    trace.explanation = "a; b # c <script>"
    text = trace_to_mermaid(trace)
    last = text.splitlines()[-1]
    assert ";" not in last.split(": ", 1)[1].replace("#59;", "").replace("#35;", "").replace("#60;", "")
    assert "<script>" not in text


# -------------------------------------------------------------- rendering
@needs_dot
@pytest.mark.parametrize("spec", [s for s in SPECS if s.stem in ("async", "split_brain", "sync")],
                         ids=lambda p: p.stem)
def test_svg_parses_and_names_every_lifeline(spec, tmp_path):
    result = result_of(spec)
    paths, notes = write_counterexamples(result, str(spec), tmp_path, "svg")
    assert notes == []
    assert paths
    for key, trace in counterexamples(result):
        path = Path(paths[key])
        assert path == tmp_path / spec.stem / f"{key}.svg"
        root = ET.parse(path).getroot()
        words = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
        for p in trace.participants:
            assert p in words
        assert (tmp_path / spec.stem / f"{key}.dot").exists() and (tmp_path / spec.stem / f"{key}.mmd").exists()


@needs_dot
def test_png_format(tmp_path):
    paths, notes = write_counterexamples(result_of(ROOT / "specs" / "async.cap"), "specs/async.cap", tmp_path, "png")
    assert notes == [] and Path(paths["no_acked_write_lost"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_dot_writes_dot_and_mmd_and_one_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    paths, notes = write_counterexamples(result_of(ROOT / "specs" / "async.cap"), "specs/async.cap", tmp_path, "svg")
    assert set(paths) == {"no_acked_write_lost", "no_stale_read"}
    assert all(p.endswith(".dot") and Path(p).exists() for p in paths.values())
    assert (tmp_path / "async" / "no_stale_read.mmd").exists()
    assert not list(tmp_path.rglob("*.svg"))
    assert len(notes) == 1 and "apt-get install graphviz" in notes[0] and "\n" not in notes[0]


def test_verify_without_dot_on_path_gives_the_hint_not_a_traceback(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "nothing-here")}
    code = "import sys; from capmodel.cli import main; sys.argv = ['capmodel'] + sys.argv[1:]; main()"
    run = subprocess.run([sys.executable, "-c", code, "verify", str(ROOT / "specs" / "async.cap"),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    # the one note about Graphviz (and, with no compiler on this PATH either, the engine's own note)
    lines = [line for line in run.stderr.splitlines() if not line.startswith("note: the Python engine runs")]
    assert [line for line in lines if "graphviz" in line.lower()] == lines and len(lines) == 1
    assert (tmp_path / "out" / "async" / "no_acked_write_lost.dot").exists()
    assert (tmp_path / "out" / "async" / "no_acked_write_lost.mmd").exists()
    assert "no_acked_write_lost.dot" in run.stdout


# ------------------------------------------------------------------ file names
@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/path", "..", "a/../../b", "-rf", "", "é\x00\n.cap",
                                  "C:\\windows"])
def test_safe_name(name):
    out = safe_name(name)
    assert out and all(c.isascii() and (c.isalnum() or c in "_-") for c in out) and not out.startswith("-")


def test_names_from_specs_cannot_escape_out_dir(tmp_path):
    trace = walk_trace(3, steps=3)
    out = tmp_path / "out"
    paths, _ = write_traces([("../../evil", trace), ("../..", trace), ("a/b", trace)], "../../up", out, "svg")
    for p in paths.values():
        assert Path(p).resolve().is_relative_to(out.resolve())
    for f in tmp_path.rglob("*"):
        assert f == out or f.resolve().is_relative_to(out.resolve())
    assert len(set(paths.values())) == 3  # names that sanitise alike do not overwrite each other


def test_symlinked_spec_folder_outside_out_dir_is_refused(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "async").symlink_to(elsewhere)
    with pytest.raises(DiagramsNotWritten, match="outside"):
        write_counterexamples(result_of(ROOT / "specs" / "async.cap"), "specs/async.cap", out, "svg")
    assert not list(elsewhere.iterdir())


# --------------------------------------------------------- saved JSON traces
def test_trace_json_round_trip():
    trace = walk_trace(2)
    again = trace_from_json(json.loads(json.dumps(trace.to_json())))
    assert trace_to_dot(again) == trace_to_dot(trace)
    assert trace_to_mermaid(again) == trace_to_mermaid(trace)
    assert [tuple(s.raw) for s in again.steps] == [tuple(s.raw) for s in trace.steps]


def test_render_of_saved_json_gives_the_same_mmd_as_verify(tmp_path):
    runner = CliRunner()
    spec = str(ROOT / "specs" / "async.cap")
    first = runner.invoke(cli, ["verify", spec, "--json", "--out", str(tmp_path / "a")])
    assert first.exit_code == 1
    saved = tmp_path / "async.json"
    saved.write_text(first.stdout)
    (doc,) = json.loads(first.stdout)["results"]
    assert set(doc["diagrams"]) == {"no_acked_write_lost", "no_stale_read"}
    again = runner.invoke(cli, ["render", str(saved), "--out", str(tmp_path / "b")])
    assert again.exit_code == 0, again.output
    for key in doc["diagrams"]:
        a, b = tmp_path / "a" / "async" / f"{key}.mmd", tmp_path / "b" / "async" / f"{key}.mmd"
        assert a.read_text() == b.read_text()
        assert (tmp_path / "a" / "async" / f"{key}.dot").read_text() == \
            (tmp_path / "b" / "async" / f"{key}.dot").read_text()
    # a bare trace, as saved from one property
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(doc["properties"][0]["trace"]))
    third = runner.invoke(cli, ["render", str(bare), "--out", str(tmp_path / "c")])
    assert third.exit_code == 0, third.output
    made = list((tmp_path / "c").rglob("no_acked_write_lost.mmd"))
    assert len(made) == 1 and made[0].read_text() == (tmp_path / "a" / "async" / "no_acked_write_lost.mmd").read_text()


@pytest.mark.parametrize("content, says", [
    (None, "no such file"),
    ("{ not json", "not JSON"),
    ("[1, 2]", "[1, 2] is not of type 'object'"),
    ('{"steps": []}', "'property' is a required property"),
    ('{"property": "p", "steps": [{"kind": "teleport"}], "initial": {"nodes": {"a": {}}}}',
     "$.steps[0]"),
    ('{"properties": 3}', "'spec' is a required property"),
])
def test_render_bad_input_is_one_clear_line(tmp_path, content, says):
    path = tmp_path / "t.json"
    if content is not None:
        path.write_text(content)
    run = CliRunner().invoke(cli, ["render", str(path), "--out", str(tmp_path / "o")])
    assert run.exit_code == 2
    assert run.exception is None or isinstance(run.exception, SystemExit)
    lines = run.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and says in lines[0]


def test_traces_in_rejects_wrong_shapes():
    with pytest.raises(TraceFormatError):
        trace_from_json({"property": "p", "steps": [], "initial": {}})
    with pytest.raises(TraceFormatError):
        traces_in("a string")


# ------------------------------------------------------------------ graph
TINY = """system tiny {
  nodes master, slave
  leader master
  replication async
  reads any_node
  failover promote_any live_majority   # two nodes: no majority of all survives a crash
  faults { crashes 1 }
  workload { writes 1 reads 0 }
  check no_acked_write_lost
}
"""


def test_graph_refuses_big_models(tmp_path):
    run = CliRunner().invoke(cli, ["graph", str(ROOT / "specs" / "async.cap"), "--out", str(tmp_path)])
    assert run.exit_code == 2
    assert "more than 300 reachable states" in run.output and "smaller" in run.output
    assert not list(tmp_path.rglob("*"))


def test_graph_of_a_small_model_highlights_the_counterexample(tmp_path, monkeypatch):
    spec = tmp_path / "tiny.cap"
    spec.write_text(TINY)
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)  # the .dot is what is checked here
    run = CliRunner().invoke(cli, ["graph", str(spec), "--out", str(tmp_path / "out")])
    assert run.exit_code == 0, run.output
    assert "15 states" in run.output
    text = (tmp_path / "out" / "tiny" / "state_graph.dot").read_text()
    assert text.count("s0 ->") >= 2 and "violates no_acked_write_lost" in text
    assert text.count('penwidth=2.2') == 3  # the three steps of the counterexample
    assert "apt-get install graphviz" in run.output


def test_graph_limit_is_adjustable(tmp_path):
    spec = tmp_path / "tiny.cap"
    spec.write_text(TINY)
    run = CliRunner().invoke(cli, ["graph", str(spec), "--max-states", "10", "--out", str(tmp_path / "o")])
    assert run.exit_code == 2 and "more than 10" in run.output
