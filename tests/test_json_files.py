"""--json of the commands that write files (render, graph, export, examples):
the one versioned document of docs/json.md, checked against the published
schema, with what was written (and each file is really there) or the error."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from capmodel.render.trace_json import check_output

ROOT = Path(__file__).resolve().parent.parent


def run_json(*args, cwd: Path = ROOT) -> tuple[dict, int]:
    proc = subprocess.run([sys.executable, "-m", "capmodel", *args, "--json"], cwd=cwd, text=True,
                          capture_output=True, timeout=300)
    doc = json.loads(proc.stdout)
    assert check_output(doc) == [], check_output(doc)
    assert doc["exit_code"] == proc.returncode
    assert proc.stderr == ""  # under --json everything is in the document
    return doc, proc.returncode


def only_result(doc: dict, kind: str) -> dict:
    assert doc["kind"] == kind and len(doc["results"]) == 1
    return doc["results"][0]


def test_graph_lists_the_graph_it_wrote(tmp_path):
    doc, code = run_json("graph", "specs/split_brain.cap", "--max-states", "2000", "--out", str(tmp_path))
    result = only_result(doc, "graph")
    assert code == 0 and doc["errors"] == []
    assert result["states"] > 0 and result["transitions"] >= result["states"] - 1
    assert Path(result["written"]["graph"]).is_file()


def test_graph_with_too_many_states_is_an_error_object(tmp_path):
    doc, code = run_json("graph", "specs/async.cap", "--max-states", "10", "--out", str(tmp_path))
    assert code == 2 and [e["code"] for e in doc["errors"]] == ["too_many_states"]
    assert doc["errors"][0]["hint"] and not only_result(doc, "graph")["written"]


def test_graph_of_an_invalid_spec_gives_its_diagnostics(tmp_path):
    bad = tmp_path / "bad.cap"
    bad.write_text("system x {\n  nodes a\n  replication nonsense\n}\n")
    doc, code = run_json("graph", str(bad))
    assert code == 2 and doc["errors"] and all(e["file"] == str(bad) for e in doc["errors"])
    assert doc["errors"][0]["line"] is not None


def test_render_redraws_a_saved_verify_document(tmp_path):
    saved = tmp_path / "async.json"
    proc = subprocess.run([sys.executable, "-m", "capmodel", "verify", "specs/async.cap", "--json", "--no-render"],
                          cwd=ROOT, text=True, capture_output=True, timeout=300)
    saved.write_text(proc.stdout)
    doc, code = run_json("render", str(saved), "--out", str(tmp_path / "out"))
    written = only_result(doc, "render")["written"]
    assert code == 0 and "no_acked_write_lost" in " ".join(written)
    assert all(Path(p).is_file() for p in written.values())


@pytest.mark.parametrize("text, code", [("{not json", "not_json"), ('{"steps": 3}', "not_a_trace")])
def test_render_of_a_bad_file_is_an_error_object(tmp_path, text, code):
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    doc, exit_code = run_json("render", str(bad), "--out", str(tmp_path))
    assert exit_code == 2 and [e["code"] for e in doc["errors"]] == [code]


def test_export_without_output_carries_the_model(tmp_path):
    doc, code = run_json("export", "specs/async.cap", "--to", "promela")
    result = only_result(doc, "export")
    assert code == 0 and result["language"] == "promela" and "proctype" in result["model"]
    assert result["variables"] > 0 and result["written"] == {}


def test_export_to_a_file_names_it_and_how_to_run_it(tmp_path):
    target = tmp_path / "async.m"
    doc, code = run_json("export", "specs/async.cap", "--to", "murphi", "-o", str(target))
    result = only_result(doc, "export")
    assert code == 0 and result["written"] == {"model": str(target)} and target.is_file()
    assert "rumur" in result["run"] and "model" not in result


def test_export_with_an_unknown_property_is_an_error_object():
    doc, code = run_json("export", "specs/async.cap", "--to", "promela", "-p", "no_acked_write_los")
    assert code == 2 and doc["kind"] == "export" and doc["errors"][0]["code"] == "unknown_property"
    assert "no_acked_write_lost" in doc["errors"][0]["hint"]


def test_examples_lists_every_spec_it_copied(tmp_path):
    doc, code = run_json("examples", "ex", cwd=tmp_path)
    written = only_result(doc, "examples")["written"]
    assert code == 0 and "specs/async.cap" in written
    assert sorted(written) == sorted(str(p.relative_to(tmp_path / "ex")) for p in (tmp_path / "ex").rglob("*.cap"))
    again, code = run_json("examples", "ex", cwd=tmp_path)
    assert code == 2 and again["errors"][0]["code"] == "exists"
