"""The failures a fuzzing campaign found (issue 11), one test or more per row;
the reproducers it minimised are in tests/data/robustness/."""
from __future__ import annotations

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
