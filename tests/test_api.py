"""The Python API (capmodel/api.py, docs/api.md) against the CLI, and docs/notebook.ipynb executed.

The notebook is run cell by cell in one namespace (nbclient and ipykernel are
not dependencies), from docs/ as Jupyter would, and its results are asserted."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import capmodel
from capmodel.ir.pycompile import evaluate
from capmodel.render import sequence_dot
from capmodel.trace import Trace, replay

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


def cli_json(*args) -> dict:
    proc = subprocess.run([sys.executable, "-m", "capmodel", *args, "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    return json.loads(proc.stdout)


def test_import_is_cheap():
    code = ("import sys, capmodel; heavy = [m for m in ('capmodel.api', 'lark', 'z3', 'graphviz', 'click') "
            "if m in sys.modules]; assert not heavy, heavy; capmodel.verify('specs/cp.cap'); "
            "assert 'z3' not in sys.modules and 'graphviz' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=300)


def test_verify_agrees_with_the_cli_json():
    doc = cli_json("verify", "specs/async.cap", "--no-render")["results"][0]
    result = capmodel.verify(ROOT / "specs" / "async.cap")
    assert result.verdicts == {p["name"]: p["verdict"] for p in doc["properties"]}
    assert result.verdicts == {"no_acked_write_lost": "violated", "no_stale_read": "violated",
                               "write_availability": "holds"}
    for key in ("states", "transitions", "depth", "complete", "symmetry_order"):
        assert getattr(result.stats, key) == doc["stats"][key], key
    assert result.stats.states == 13_957
    mine = result.to_json()
    assert [p["trace"] and p["trace"]["raw"] for p in mine["properties"]] == \
        [p["trace"] and p["trace"]["raw"] for p in doc["properties"]]


def test_traces_replay_through_the_ir():
    result = capmodel.verify("specs/async.cap")
    assert set(result.traces) == {"no_acked_write_lost", "no_stale_read"}
    for name, trace in result.traces.items():
        assert isinstance(trace, Trace) and trace.kind == "violation"
        states = replay(result.model, trace)
        assert len(states) == len(trace.steps) + 1
        condition = next(c for c in result.model.invariants if c.name == name)
        assert evaluate(condition.expr, states[0]) and not evaluate(condition.expr, states[-1])
    assert len(result.traces["no_acked_write_lost"].steps) == 3


def test_text_is_not_written_anywhere(tmp_path, monkeypatch):
    text = (ROOT / "specs" / "cp.cap").read_text()
    monkeypatch.chdir(tmp_path)
    from_text = capmodel.verify(text)
    from_file = capmodel.verify(ROOT / "specs" / "cp.cap")
    assert from_text.verdicts == from_file.verdicts == {"no_stale_read": "holds", "read_availability": "violated"}
    assert from_text.stats.states == from_file.stats.states
    from_text._repr_html_()
    assert os.listdir(tmp_path) == []
    assert from_text.file == "<string>"


def test_spec_errors_carry_their_diagnostics(tmp_path):
    with pytest.raises(capmodel.SpecError) as err:
        capmodel.verify("system x {\n  nodes master, slave\n  leader slave3\n}")
    d = err.value.diagnostics[0]
    assert (d.code, d.span.file, d.span.line, d.span.column) == ("CAP201", "<string>", 3, 10)
    assert "slave3" in d.message and d.hint == "did you mean 'slave'?"
    assert "<string>:3:10" in str(err.value)
    with pytest.raises(capmodel.SpecError) as err:
        capmodel.load(tmp_path / "missing.cap")
    assert err.value.codes == ["CAP001"]
    with pytest.raises(capmodel.SpecError) as err:
        capmodel.verify("specs/sync.cap", properties=["no_acked_write_los"])
    assert err.value.codes == ["CAP205"] and "no_acked_write_lost" in err.value.diagnostics[0].hint
    with pytest.raises(capmodel.SpecError):
        capmodel.export("system y { nodes a }", to="promela")


def test_bounds_and_properties():
    bounded = capmodel.verify("specs/sync.cap", properties="no_acked_write_lost", max_states=500)
    assert bounded.verdicts == {"no_acked_write_lost": "incomplete"} and not bounded.ok
    assert bounded.stats.bound is not None and not bounded.stats.complete
    plain = capmodel.verify("specs/cp.cap", symmetry=False, max_depth=50)
    assert plain.stats.symmetry_order == 1 and plain.stats.complete


def test_z3_engine():
    pytest.importorskip("z3")
    result = capmodel.verify("specs/cp.cap", engine="z3", max_depth=6)
    assert result.result.engine == "z3"
    assert result.verdicts["read_availability"] == "violated"
    assert len(result.traces["read_availability"].steps) == \
        len(capmodel.verify("specs/cp.cap").traces["read_availability"].steps)
    with pytest.raises(ValueError):
        capmodel.verify("specs/cp.cap", engine="spin")


def test_html_shows_the_verdicts_and_diagrams(monkeypatch):
    result = capmodel.verify("specs/ap.cap")
    page = result._repr_html_()
    assert "no_stale_read" in page and "VIOLATED" in page and "HOLDS" in page
    if sequence_dot.have_dot():
        assert page.count("<svg") == 1
    monkeypatch.setattr(sequence_dot, "have_dot", lambda: False)
    page = result._repr_html_()
    assert "<svg" not in page and "sequenceDiagram" in page and "was not found" in page


def test_write_diagrams_stays_in_its_folder(tmp_path):
    result = capmodel.verify((ROOT / "specs" / "async.cap").read_text())  # text: named after its system
    paths = result.write_diagrams(tmp_path)
    assert set(paths) == set(result.traces)
    assert all(Path(p).resolve().is_relative_to(tmp_path.resolve()) for p in paths.values())


def test_cap_and_export_agree_with_the_cli():
    table = capmodel.cap(["specs/cp.cap", "specs/ap.cap"])
    rows = cli_json("cap", "specs/cp.cap", "specs/ap.cap", "--no-render")["results"]
    assert table.to_json() == rows
    assert table.labels()["specs/ap.cap"] == {"reads": "AP", "writes": "neither", "system": "neither"}
    assert "<table>" in table._repr_html_()
    for language in ("promela", "murphi", "tla"):
        proc = subprocess.run([sys.executable, "-m", "capmodel", "export", "specs/async.cap", "--to", language],
                              cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
        assert capmodel.export("specs/async.cap", to=language) == proc.stdout
    with pytest.raises(ValueError):
        capmodel.export("specs/async.cap", to="nusmv")


def code_cells() -> list[str]:
    notebook = json.loads(NOTEBOOK.read_text())
    for cell in notebook["cells"]:
        assert not cell.get("outputs") and cell.get("execution_count") is None, "store the notebook without outputs"
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def test_notebook_runs(monkeypatch, capsys):
    monkeypatch.chdir(NOTEBOOK.parent)
    namespace: dict = {}
    shown = []
    for k, source in enumerate(code_cells()):
        tree = ast.parse(source, f"cell {k}")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f"cell {k}", "exec"), namespace)
        if last is not None:  # the last expression's value is what Jupyter displays
            shown.append(eval(compile(ast.Expression(last.value), f"cell {k}", "eval"), namespace))
    printed = capsys.readouterr().out
    for value in shown:
        if hasattr(value, "_repr_html_"):
            assert "<table>" in value._repr_html_()
    assert namespace["async_result"].verdicts["no_acked_write_lost"] == "violated"
    assert namespace["async_result"].stats.states == 13_957
    assert len(namespace["lost"].steps) == 3 and "the write is lost" in printed
    assert namespace["sync_result"].verdicts["no_acked_write_lost"] == "holds"
    assert namespace["sync_result"].verdicts["write_availability"] == "violated"
    assert namespace["cp_result"].verdicts == {"no_stale_read": "holds", "read_availability": "violated"}
    assert namespace["ap_result"].verdicts == {"no_stale_read": "violated", "read_availability": "holds"}
    labels = {Path(f).name: v["system"] for f, v in namespace["table"].labels().items()}
    assert labels == {"cp.cap": "CP", "ap.cap": "neither"}
    assert namespace["variant"].verdicts["no_acked_write_lost"] == "holds"
    assert namespace["error"].codes == ["CAP201"] and "<string>:3:10" in printed
