"""Every command's --json output has the one shape of docs/json.md and follows
capmodel/schema/capmodel.schema.json, the schema `render` checks saved traces
against: successes, verdicts of every engine, errors, Ctrl-C and --engine both."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from capmodel.cli import SCHEMA_VERSION, cli
from capmodel.engines import explicit
from capmodel.render.trace_json import SCHEMA_FILE, check_output, schema

ROOT = Path(__file__).resolve().parent.parent
IDENTIFIER = r"^[a-z][a-z_]*$"


def run(*args) -> tuple[dict, int]:
    """In-process (fast): the document on stdout, and the exit code, which it must state."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    doc = json.loads(result.stdout)
    assert doc["exit_code"] == result.exit_code, result.stdout
    return doc, result.exit_code


def subprocess_run(*args) -> tuple[dict, int]:
    """Through main(), as a shell runs it (usage errors are caught there)."""
    proc = subprocess.run([sys.executable, "-m", "capmodel", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["exit_code"] == proc.returncode
    return doc, proc.returncode


def valid(doc: dict, kind: str) -> dict:
    assert check_output(doc) == []
    assert doc["schema_version"] == SCHEMA_VERSION == 1 and doc["kind"] == kind
    assert list(doc)[:4] == ["schema_version", "kind", "results", "exit_code"]
    return doc


def verdicts_of(doc: dict) -> set[str]:
    out = set()
    for r in doc["results"]:
        for key in ("properties", "reachable", "lemmas"):
            out |= {p["verdict"] for p in r.get(key, [])}
    return out


def test_the_schema_is_one_valid_file_in_the_package():
    Draft202012Validator.check_schema(schema())
    assert SCHEMA_FILE.name == "capmodel.schema.json" and SCHEMA_FILE.parent.name == "schema"
    assert [p.name for p in SCHEMA_FILE.parent.glob("*.json")] == ["capmodel.schema.json"]


def test_verify_one_and_several_specs_have_the_same_shape(tmp_path):
    one, code = run("verify", str(ROOT / "specs/async.cap"), "--json", "--no-render")
    valid(one, "verify")
    assert code == 1 and len(one["results"]) == 1 and one["errors"] == [] and not one["interrupted"]
    two, code = run("verify", str(ROOT / "specs/async.cap"), str(ROOT / "specs/semisync.cap"), "--json",
                    "--no-render")
    valid(two, "verify")
    assert [r["spec"] for r in two["results"]] == ["async_replication", "semisync"]
    assert two["results"][0]["properties"] == one["results"][0]["properties"]


def test_verdicts_are_identifiers_and_not_reached_has_no_spaces(tmp_path):
    spec = tmp_path / "r.cap"
    spec.write_text((ROOT / "specs/async.cap").read_text())
    doc, code = run("verify", str(spec), "--json", "--no-render", "--max-states", "3")
    valid(doc, "verify")
    assert code in (1, 3)
    seen = verdicts_of(doc)
    assert "not_reached" in seen or "incomplete" in seen
    assert all(" " not in v for v in seen)
    # a schema that sees "not reached within bounds" refuses it
    doc["results"][0]["reachable"][0]["verdict"] = "not reached within bounds"
    assert check_output(doc)


def test_the_text_report_keeps_its_words():
    result = CliRunner().invoke(cli, ["verify", str(ROOT / "specs/async.cap"), "--no-render", "--max-states", "3"])
    assert "INCOMPLETE" in result.stdout and "not_reached" not in result.stdout


def test_z3_verdicts_follow_the_schema():
    doc, code = run("verify", str(ROOT / "specs/cp.cap"), "--engine", "z3", "--json", "--no-render")
    valid(doc, "verify")
    verdicts = {p["name"]: p["verdict"] for p in doc["results"][0]["properties"]}
    assert verdicts["read_availability"] == "violated" and verdicts["no_stale_read"] in ("bounded", "proved")


def test_engine_both_holds_the_comparison():
    doc, code = run("verify", str(ROOT / "specs/split_brain_fenced.cap"), "--engine", "both", "--json",
                    "--no-render")
    valid(doc, "verify")
    comparison = doc["results"][0]["comparison"]
    assert comparison["agree"] and comparison["verdicts_from"] == "explicit" and comparison["disagreements"] == []
    assert comparison["z3"]["engine"] == "z3" and comparison["explicit"]["engine"] == "explicit"


def test_an_engine_disagreement_is_a_document_with_exit_4(monkeypatch):
    from capmodel.engines import z3_engine

    monkeypatch.setattr(z3_engine, "compare", lambda a, b: ["no_split_brain: invented for the test"])
    doc, code = run("verify", str(ROOT / "specs/split_brain_fenced.cap"), "--engine", "both", "--json",
                    "--no-render")
    valid(doc, "verify")
    assert code == 4 and doc["errors"][0]["code"] == "engine_disagreement"
    comparison = doc["results"][0]["comparison"]
    assert not comparison["agree"] and comparison["disagreements"] == ["no_split_brain: invented for the test"]


def _interrupted_check(*args, **kwargs):
    kwargs.pop("warn", None)
    result = explicit.check(*args, **{k: v for k, v in kwargs.items() if k in ("properties", "max_depth")},
                            max_states=50)
    result.stats.bound, result.stats.complete = explicit.INTERRUPTED, False
    return result


def test_ctrl_c_gives_the_partial_document_with_exit_130(monkeypatch):
    from capmodel.engines import search

    monkeypatch.setattr(search, "check", _interrupted_check)
    doc, code = run("verify", str(ROOT / "specs/sync.cap"), str(ROOT / "specs/async.cap"), "--json", "--no-render")
    valid(doc, "verify")
    assert code == 130 and doc["interrupted"] and len(doc["results"]) == 1
    assert "holds" not in verdicts_of(doc)


def test_cap_rows_and_their_ctrl_c(monkeypatch):
    doc, code = run("cap", str(ROOT / "specs/cp.cap"), str(ROOT / "specs/ap.cap"), "--json", "--no-render")
    valid(doc, "cap")
    assert code == 0
    assert [(r["reads"], r["writes"], r["label"]) for r in doc["results"]] == [("CP", "CP", "CP"),
                                                                                ("AP", "neither", "neither")]
    from capmodel.engines import search

    monkeypatch.setattr(search, "check", _interrupted_check)
    doc, code = run("cap", str(ROOT / "specs/cp.cap"), str(ROOT / "specs/ap.cap"), "--json", "--no-render")
    valid(doc, "cap")
    assert code == 130 and doc["interrupted"] and [r["label"] for r in doc["results"]] == ["incomplete"]


@pytest.mark.slow
def test_check_properties_and_infer():
    doc, code = run("check", str(ROOT / "specs/async.cap"), "--json")
    valid(doc, "check")
    assert code == 0 and doc["results"][0]["spec"] == "async_replication" and doc["results"][0]["valid"]
    doc, code = run("properties", "--json")
    valid(doc, "properties")
    assert "no_acked_write_lost" in {p["name"] for p in doc["results"]}
    # Spacer proves one of cp.cap's properties and breaks the other in well under a second
    doc, code = run("infer", str(ROOT / "specs/cp.cap"), "--timeout", "300", "--json")  # far above it: load-proof
    valid(doc, "infer")
    assert code == 1 and {p["name"]: p["verdict"] for p in doc["results"][0]["properties"]} == {
        "no_stale_read": "proved", "read_availability": "violated"}
    # ... and cannot prove sync.cap's without lemmas (30 s in docs/z3.md): unknown, with its reason
    doc, code = run("infer", str(ROOT / "specs/sync.cap"), "-p", "no_acked_write_lost", "--timeout", "0.5", "--json")
    valid(doc, "infer")
    ((prop,),) = [doc["results"][0]["properties"]]
    assert code == 3 and prop["name"] == "no_acked_write_lost" and prop["verdict"] == "unknown" and prop["reason"]


def test_check_takes_many_specs_and_reports_the_valid_beside_the_invalid(tmp_path):
    bad = tmp_path / "bad.cap"
    bad.write_text("system x {\n  nodes a, b\n  leader c\n}\n")
    good = [str(ROOT / "specs/async.cap"), str(ROOT / "specs/cp.cap")]
    doc, code = run("check", *good, "--json")
    valid(doc, "check")
    assert code == 0 and [r["file"] for r in doc["results"]] == good and doc["errors"] == []
    doc, code = run("check", good[0], str(bad), good[1], "--json")
    valid(doc, "check")
    assert code == 2 and [r["file"] for r in doc["results"]] == good
    assert [(e["code"], e["file"], e["line"]) for e in doc["errors"]] == [("CAP201", str(bad), 3)]
    text = CliRunner().invoke(cli, ["check", good[0], str(bad), good[1]])
    assert text.exit_code == 2 and text.output.count("is valid") == 2 and f"{bad}:3:10" in text.output


@pytest.mark.parametrize("command", ["verify", "check", "cap", "infer"])
def test_a_bad_spec_is_a_json_error_on_stdout(tmp_path, command):
    bad = tmp_path / "bad.cap"
    bad.write_text("system x {\n  nodes a, b\n  leader c\n}\n")
    doc, code = run(command, str(bad), "--json")
    valid(doc, command)
    assert code == 2 and doc["results"] == []
    (error,) = doc["errors"]
    assert error["code"] == "CAP201" and error["file"] == str(bad) and (error["line"], error["column"]) == (3, 10)
    assert "unknown node" in error["message"] and error["hint"]


def test_a_missing_file_and_an_unknown_property_are_json_errors():
    doc, code = run("verify", "no/such.cap", "--json")
    valid(doc, "verify")
    assert code == 2 and doc["errors"][0]["code"] == "CAP001" and doc["errors"][0]["line"] is None
    doc, code = run("verify", str(ROOT / "specs/async.cap"), "-p", "no_stale_reads", "--json")
    valid(doc, "verify")
    assert doc["errors"][0]["code"] == "unknown_property"
    assert doc["errors"][0]["hint"] == "did you mean 'no_stale_read' for 'no_stale_reads'?"


def test_a_usage_error_under_json_is_a_json_error():
    doc, code = subprocess_run("verify", "specs/async.cap", "--json", "--max-states", "-5")
    valid(doc, "verify")
    assert code == 2 and doc["errors"][0]["code"] == "usage" and "--max-states" in doc["errors"][0]["message"]


def test_an_unwritable_out_folder_is_a_json_error_after_the_results(tmp_path):
    (tmp_path / "file").write_text("")
    doc, code = run("verify", str(ROOT / "specs/async.cap"), "--json", "--out", str(tmp_path / "file" / "sub"))
    valid(doc, "verify")
    assert code == 2 and len(doc["results"]) == 1 and doc["errors"][0]["code"] == "output_not_written"


def test_render_reads_the_new_document_and_refuses_other_kinds(tmp_path):
    doc, _ = run("verify", str(ROOT / "specs/async.cap"), "--json", "--no-render")
    saved = tmp_path / "v.json"
    saved.write_text(json.dumps(doc))
    drawn = CliRunner().invoke(cli, ["render", str(saved), "--out", str(tmp_path / "o")])
    assert drawn.exit_code == 0, drawn.output
    assert (tmp_path / "o" / "async" / "no_acked_write_lost.mmd").exists()
    cap, _ = run("properties", "--json")
    saved.write_text(json.dumps(cap))
    refused = CliRunner().invoke(cli, ["render", str(saved), "--out", str(tmp_path / "p")])
    assert refused.exit_code == 2 and "capmodel properties --json" in refused.output


def test_the_schema_refuses_a_document_without_its_version_or_with_an_unknown_kind():
    doc = {"schema_version": 1, "kind": "verify", "results": [], "exit_code": 0, "errors": [], "interrupted": False}
    assert check_output(doc) == []
    assert check_output({**doc, "schema_version": 2})
    assert check_output({**doc, "kind": "frobnicate"})
    assert check_output({**doc, "exit_code": 2})  # an exit 2 says why
    assert check_output({**doc, "results": [{"file": "x"}]})
