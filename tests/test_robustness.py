"""The failures a fuzzing campaign found (issue 11), one test or more per row;
the reproducers it minimised are in tests/data/robustness/."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from capmodel.syntax.diagnostics import SpecError
from capmodel.syntax.load import load_spec, load_text

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "robustness"


def capmodel(*args, cwd=ROOT, timeout=120):
    proc = subprocess.run([sys.executable, "-m", "capmodel", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


# ---------------------------------------------------------------- row 1: blank runs among leading comments

@pytest.mark.parametrize("name", ["redos_indented_header.cap", "redos_leading_blank_lines.cap"])
def test_a_blank_run_among_the_leading_comments_parses(name):
    assert load_spec(str(DATA / name)).nodes == ("a", "b")


def test_five_thousand_blank_lines_before_the_system_parse():
    cfg = load_text("# header\n" + "\n" * 5000 + "  \t \n" * 50 + "system x {\n  nodes a, b\n}\n", "many.cap")
    assert cfg.name == "x"


def test_only_comments_and_blanks_is_the_empty_file_error():
    with pytest.raises(SpecError) as err:
        load_text("# a\n" + " \t\f\r\n" * 5000 + "   # b\n", "empty.cap")
    assert err.value.codes == ["CAP005"]


# ---------------------------------------------------------------- row 2: engines agree on a late deadlock

def test_z3_finds_a_deadlock_that_ends_before_the_unrolling_does():
    from capmodel.engines import explicit, z3_engine
    from capmodel.semantics.build import build_model

    model = build_model(load_spec(str(DATA / "diff_deadlock_disagree.cap")))
    exp = explicit.check(model, stop_when_decided=False)
    z3r = z3_engine.check_z3(model, diameter=z3_engine.diameter_of(exp))
    assert len(exp.deadlock.steps) == 3
    assert z3r.deadlock is not None and len(z3r.deadlock.steps) == 3
    assert z3_engine.compare(exp, z3r) == []


def test_both_engines_agree_on_the_fuzzer_spec():
    p = capmodel("verify", "--engine", "both", "--no-render", str(DATA / "diff_deadlock_disagree.cap"))
    assert p.returncode != 4, p.stderr
    assert "agree on every verdict" in p.stdout


# ---------------------------------------------------------------- row 10: every diagnostic has a hint

def _codes_raised_in_the_code_base() -> set[str]:
    import re

    package = ROOT / "capmodel"
    return {code for path in package.rglob("*.py")
            for code in re.findall(r"[\"'](CAP\d{3})[\"']", path.read_text(encoding="utf-8"))}


def test_every_diagnostic_code_in_the_code_base_carries_a_hint():
    from capmodel.syntax.ast import Span
    from capmodel.syntax.diagnostics import CODES, Diagnostic

    codes = _codes_raised_in_the_code_base()
    assert len(codes) > 40
    assert codes <= set(CODES), "every code used is listed in CODES (and docs/language.md)"
    for code in sorted(codes):
        # raised with no hint of its own, as several call sites do
        assert Diagnostic(code, "a problem", Span("x.cap", 1, 1, 1, 2)).hint, code


@pytest.mark.parametrize("name, code, words", [
    ("cap105_bom_no_hint.cap", "CAP105", "byte-order mark"),
    ("check_no_hint_66f8c775.cap", "CAP105", "NEL line break"),
    ("check_no_hint_4486fd26.cap", "CAP401", "condition"),
    ("check_no_hint_8f661bbd.cap", "CAP403", "argument"),
])
def test_the_fuzzer_errors_without_a_hint_have_one(name, code, words):
    with pytest.raises(SpecError) as err:
        load_spec(str(DATA / name))
    assert err.value.codes[0] == code
    assert words in err.value.diagnostics[0].hint
    assert "= hint: " in err.value.render()


def test_a_no_break_space_is_named_and_explained():
    with pytest.raises(SpecError) as err:
        load_text("system x {\u00a0nodes a, b }", "nbsp.cap")
    d = err.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == ("CAP105", 1, 11)
    assert "U+00A0" in d.message and "ordinary space" in d.hint


def test_a_symbolic_link_loop_is_cap006_with_a_hint(tmp_path):
    (tmp_path / "a.cap").symlink_to(tmp_path / "b.cap")
    (tmp_path / "b.cap").symlink_to(tmp_path / "a.cap")
    with pytest.raises(SpecError) as err:
        load_spec(str(tmp_path / "a.cap"))
    d = err.value.diagnostics[0]
    assert d.code == "CAP006" and "symbolic link" in d.hint


# ---------------------------------------------------------------- row 3: an unusable --out loses nothing

@pytest.mark.parametrize("out", ["under_a_file/sub", "x" * 300])
def test_an_unusable_out_folder_prints_the_report_then_one_error(tmp_path, out):
    (tmp_path / "under_a_file").write_text("a file, not a folder")
    p = capmodel("verify", "specs/async.cap", "--out", str(tmp_path / out))
    assert p.returncode == 2
    assert re.search(r"no_acked_write_lost\s+VIOLATED", p.stdout) and "is VIOLATED" in p.stdout
    errors = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: diagrams not written to --out")
    assert "--no-render" in errors[0]


def test_render_into_an_unusable_out_folder_is_one_error(tmp_path):
    saved = tmp_path / "async.json"
    saved.write_text(capmodel("verify", "specs/async.cap", "--json", "--no-render").stdout)
    (tmp_path / "f").write_text("")
    p = capmodel("render", str(saved), "--out", str(tmp_path / "f" / "sub"))
    assert p.returncode == 2 and p.stderr.startswith("error: diagrams not written")


# ---------------------------------------------------------------- row 4: render checks what it is given

@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("render_internal_error_*.json")))
def test_render_of_a_malformed_trace_says_where_it_breaks_the_schema(name, tmp_path):
    p = capmodel("render", str(DATA / name), "--out", str(tmp_path))
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith(f"error: {DATA / name}: $.") and "capmodel.schema.json" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("text, words", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"steps": [], "property": "p", "initial": {"nodes": {"a": {}}}, "n": ' + "9" * 100_000 + "}",
     "unreadable JSON"),
    ('{"steps": 3}', "'property' is a required property"),
    ('{"property": "p", "initial": {"nodes": {"a": {}}}, "steps": 3}', "$.steps: 3 is not of type 'array'"),
])
def test_render_of_hostile_json_is_a_clear_error(tmp_path, text, words):
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    p = capmodel("render", str(bad), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and words in p.stderr


def _saved_async(tmp_path) -> dict:
    import json

    return json.loads(capmodel("verify", "specs/async.cap", "--json", "--no-render").stdout)


def test_render_draws_at_most_max_steps(tmp_path):
    import json

    from capmodel.render.trace_json import MAX_STEPS

    trace = next(p["trace"] for p in _saved_async(tmp_path)["results"][0]["properties"] if p["trace"])
    trace["steps"] = (trace["steps"] * 20_000)[:20_000]
    trace["raw"] = {}
    long = tmp_path / "long.json"
    long.write_text(json.dumps(trace))
    p = capmodel("render", str(long), "--out", str(tmp_path / "out"))
    assert p.returncode == 2
    assert f"has 20,000 steps; render draws at most {MAX_STEPS}" in p.stderr
    assert not (tmp_path / "out").exists()


def test_a_long_trace_is_refused_before_the_schema_is_checked():
    """The full-volume fuzz run found render spending its 20 s on the schema
    of a 20,000-step document before refusing it; the bound now comes first,
    wherever the trace sits in the document, however deep the nesting."""
    from capmodel.render.trace_json import MAX_STEPS, TraceFormatError, within_bounds

    doc = {"results": [{"properties": [{"trace": {"property": "p", "steps": [{}] * (MAX_STEPS + 1)}}]}]}
    with pytest.raises(TraceFormatError, match=f"has {MAX_STEPS + 1:,} steps"):
        within_bounds(doc)
    within_bounds({"properties": [{"trace": {"property": "p", "steps": [{}] * MAX_STEPS}}]})
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    within_bounds(deep)  # no RecursionError


def test_verify_json_follows_the_published_schema(tmp_path):
    from jsonschema import Draft202012Validator

    from capmodel.render.trace_json import schema

    Draft202012Validator.check_schema(schema())
    doc = _saved_async(tmp_path)
    assert list(Draft202012Validator(schema()).iter_errors(doc)) == []
    several = json_of("verify", "specs/async.cap", "specs/sync.cap", "--json", "--no-render")
    assert list(Draft202012Validator(schema()).iter_errors(several)) == []


def json_of(*args) -> dict:
    import json

    return json.loads(capmodel(*args).stdout)


# ---------------------------------------------------------------- row 5: --timeout is a finite number of seconds

@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "-1", "0", "ten"])
@pytest.mark.parametrize("command", ["verify", "infer"])
def test_a_timeout_that_is_not_a_finite_number_of_seconds_is_a_usage_error(command, value):
    args = ["--engine", "z3"] if command == "verify" else []
    p = capmodel(command, "specs/async.cap", *args, f"--timeout={value}")
    assert p.returncode == 2
    assert "Invalid value for '--timeout'" in p.stderr and "number of seconds" in p.stderr


# ---------------------------------------------------------------- row 6: a default bound and Ctrl-C

def test_verify_has_a_documented_default_bound():
    from capmodel.cli import DEFAULT_MAX_STATES

    help_text = capmodel("verify", "--help").stdout
    assert f"default: {DEFAULT_MAX_STATES}" in help_text and "--max-memory" in help_text
    assert f"{DEFAULT_MAX_STATES:,}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_memory_budget_gives_incomplete_never_holds():
    from capmodel.engines import explicit
    from capmodel.engines.result import HOLDS
    from capmodel.semantics.build import build_model

    model = build_model(load_spec("specs/async.cap"))
    r = explicit.check(model, max_memory=1, stop_when_decided=False)
    assert r.stats.bound.startswith("memory budget") and not r.stats.complete
    assert HOLDS not in {p.verdict for p in r.properties}


def test_a_bounded_run_says_how_to_go_further():
    p = capmodel("verify", "specs/async.cap", "--no-render", "--max-states", "100")
    assert p.returncode in (1, 3)
    assert "INCOMPLETE: stopped at max states 100" in p.stdout and "to go further" in p.stdout


# ---------------------------------------------------------------- row 7: infer --timeout bounds the command

@pytest.mark.slow  # 2-4 s: out of make test-quick (under a minute), in make test
def test_infer_shares_its_timeout_between_the_properties(monkeypatch):
    from capmodel.engines import z3_chc
    from capmodel.semantics.build import build_model

    given = []
    original = z3_chc._Budget.__init__

    def spy(self, seconds):
        given.append(seconds)
        original(self, seconds)

    monkeypatch.setattr(z3_chc._Budget, "__init__", spy)
    model = build_model(load_spec("specs/async.cap"))
    results = z3_chc.spacer_prove(model, timeout=2.0)
    assert len(results) == len(model.invariants) == 3
    # the first property gets a third of the command's 2 s, not 2 s of its own
    assert given[0] <= 2.0 / 3


# ---------------------------------------------------------------- row 8: Graphviz is bounded

def test_a_dot_that_runs_too_long_is_stopped(tmp_path, monkeypatch):
    from capmodel.render.sequence_dot import render_dot

    fake = tmp_path / "dot"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="ran longer than 0.5 s"):
        render_dot("digraph { a }", tmp_path / "g.svg", "svg", timeout=0.5)


def test_graph_takes_a_dot_timeout():
    assert "--dot-timeout" in capmodel("graph", "--help").stdout


@pytest.mark.slow
def test_a_graph_too_large_to_lay_out_is_written_as_dot_only(tmp_path):
    """The fuzzer's `graph --max-states 10000000` on async.cap (29,494 states)
    ran Graphviz until its 60 s limit; now the .dot is written and dot is not
    run unless --dot-timeout asks for it."""
    run = capmodel("graph", str(ROOT / "specs/async.cap"), "--max-states", "10000000", "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "async" / "state_graph.dot").stat().st_size > 0
    assert not (tmp_path / "async" / "state_graph.svg").exists()
    assert "too many for Graphviz to draw quickly" in run.stderr and "--dot-timeout" in run.stderr


# ---------------------------------------------------------------- row 11: extends depth, folder names

def _chain_of(tmp_path, extends: int) -> Path:
    (tmp_path / "s0.cap").write_text("system s0 { nodes a, b }\n")
    for k in range(1, extends + 1):
        (tmp_path / f"s{k}.cap").write_text(f'system s{k} extends "s{k - 1}.cap" {{ }}\n')
    return tmp_path / f"s{extends}.cap"


def test_exactly_32_levels_of_extends_are_accepted(tmp_path):
    assert load_spec(str(_chain_of(tmp_path, 32))).nodes == ("a", "b")


def test_33_levels_of_extends_are_refused(tmp_path):
    with pytest.raises(SpecError) as err:
        load_spec(str(_chain_of(tmp_path, 33)))
    assert err.value.codes == ["CAP008"] and "more than 32 levels" in err.value.render()


def test_two_specs_with_one_file_name_get_two_folders(tmp_path):
    from capmodel.render.diagrams import folder_names

    assert folder_names(["a/x.cap", "b/x.cap", "x.cap", "y.cap"]) == ["x", "x-2", "x-3", "y"]
    for side in ("left", "right"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "async.cap").write_text((ROOT / "specs" / "async.cap").read_text())
    out = tmp_path / "out"
    p = capmodel("verify", str(tmp_path / "left" / "async.cap"), str(tmp_path / "right" / "async.cap"),
                 "--out", str(out))
    assert p.returncode == 1
    assert sorted(d.name for d in out.iterdir()) == ["async", "async-2"]


@pytest.mark.slow
def test_engine_both_gives_one_combined_verdict_and_the_comparison_in_json():
    """Row 12: the explicit engine's verdict when it explores everything (Z3
    cross-checks it), its exit code, and the comparison inside the document."""
    from jsonschema import Draft202012Validator

    from capmodel.render.trace_json import schema

    p = capmodel("verify", "specs/split_brain_fenced.cap", "--engine", "both", "--no-render", "--json")
    assert p.returncode == 0, p.stderr  # HOLDS, not Z3's "no counterexample up to depth d" (exit 3)
    whole = json.loads(p.stdout)
    (doc,) = whole["results"]
    assert doc["engine"] == "explicit" and [q["verdict"] for q in doc["properties"]] == ["holds"]
    assert doc["comparison"]["agree"] and doc["comparison"]["verdicts_from"] == "explicit"
    assert doc["comparison"]["z3"]["engine"] == "z3"
    assert list(Draft202012Validator(schema()).iter_errors(whole)) == []
    bounded = capmodel("verify", "specs/split_brain_fenced.cap", "--engine", "both", "--no-render", "--json",
                       "--max-states", "50")
    assert json.loads(bounded.stdout)["results"][0]["comparison"]["verdicts_from"] == "z3"


@pytest.mark.parametrize("argv", [["check", "a\0b"], ["verify", "specs/async.cap", "--out", "o\0x"]])
def test_a_nul_byte_in_an_argument_is_one_clear_error(argv, monkeypatch, capsys):
    """Found by the fuzzer calling main() in-process: exit 2, not an internal error (70)."""
    from capmodel.cli import main

    monkeypatch.setattr(sys, "argv", ["capmodel", *argv])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2 and "NUL byte" in capsys.readouterr().err
