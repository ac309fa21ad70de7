"""out/<spec>/ holds the diagrams of the last run only: none outlives its counterexample,
and files capmodel did not write are never touched. (Two specs of one name in one run
get folders x and x-2: tests/test_robustness.py.)"""
import subprocess
import sys
from pathlib import Path

import pytest

from capmodel.engines import explicit
from capmodel.render.diagrams import WRITTEN_LIST, counterexamples, write_traces
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec

ROOT = Path(__file__).parent.parent


def async_traces():
    result = explicit.check(build_model(load_spec(str(ROOT / "specs" / "async.cap"))), stop_when_decided=False)
    traces = counterexamples(result)
    assert [key for key, _ in traces] == ["no_acked_write_lost", "no_stale_read"]
    return traces


def files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} - {WRITTEN_LIST}


def test_a_counterexample_gone_takes_its_diagrams_with_it(tmp_path):
    traces = async_traces()
    write_traces(traces, "async", tmp_path, "svg")
    folder = tmp_path / "async"
    first = files(folder)
    assert {"no_acked_write_lost.dot", "no_stale_read.mmd"} <= first
    (folder / "my_notes.txt").write_text("mine")

    write_traces(traces[:1], "async", tmp_path, "svg")  # no_stale_read fixed since
    assert not any(name.startswith("no_stale_read") for name in files(folder))
    assert {name for name in first if name.startswith("no_acked_write_lost")} <= files(folder)

    write_traces([], "async", tmp_path, "svg")  # nothing violated any more
    assert files(folder) == {"my_notes.txt"}  # not ours: kept

    (folder / "my_notes.txt").unlink()
    write_traces(traces, "async", tmp_path, "svg")
    write_traces([], "async", tmp_path, "svg")
    assert not folder.exists()  # nothing of the user's in it: the empty folder goes too


@pytest.mark.slow
def test_verify_twice_leaves_only_the_second_runs_diagrams(tmp_path):
    spec = tmp_path / "async.cap"
    spec.write_text((ROOT / "specs" / "async.cap").read_text())
    out = tmp_path / "out"

    def verify():
        return subprocess.run([sys.executable, "-m", "capmodel", "verify", str(spec), "--out", str(out), "-q"],
                              capture_output=True, text=True, timeout=300)

    assert verify().returncode == 1
    assert any(name.startswith("no_stale_read") for name in files(out / "async"))
    # the spec now checks only no_acked_write_lost
    text = spec.read_text()
    assert "check no_acked_write_lost, no_stale_read, write_availability\n" in text
    spec.write_text(text.replace("check no_acked_write_lost, no_stale_read, write_availability",
                                 "check no_acked_write_lost, write_availability"))
    assert verify().returncode == 1
    assert not any(name.startswith("no_stale_read") for name in files(out / "async"))
    assert any(name.startswith("no_acked_write_lost") for name in files(out / "async"))
