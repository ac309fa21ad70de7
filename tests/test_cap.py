"""`capmodel cap`: labels follow from the verdicts, and no system is ever
both consistent and available under a partition (CAP), shipped or generated."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from capmodel.cap import analyse, labels, partitioned
from capmodel.syntax.load import load_spec

from helpers import Checked, config, systems

ROOT = Path(__file__).parent.parent
SPECS = sorted(ROOT.joinpath("specs").rglob("*.cap"))


def test_labels_from_verdicts():
    h, v = "holds", "violated"
    both = {"linearizable": h, "read_availability": h, "write_availability": h}
    assert labels(both)[2].startswith("BUG")
    assert labels({**both, "read_availability": v}) == ("CP", "BUG: both C and A under a partition", "CP")
    assert labels({**both, "read_availability": v, "write_availability": v}) == ("CP", "CP", "CP")
    assert labels({**both, "write_availability": v}) == ("C and A", "CP", "CP")
    assert labels({**both, "linearizable": v}) == ("AP", "AP", "AP")
    assert labels({**both, "linearizable": v, "write_availability": v}) == ("AP", "neither", "neither")
    assert labels({**both, "linearizable": "incomplete"}) == ("INCOMPLETE",) * 3


def test_partitioned_config_always_allows_a_partition_with_clients():
    cfg = partitioned(config(partitions=0, read_count=0))
    assert cfg.partitions == 1 and cfg.client_partitions and cfg.read_count == 1


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT / "specs")))
def test_shipped_specs_are_never_both_c_and_a(path):
    row = analyse(load_spec(str(path)), str(path))
    assert not row.both, path.name
    assert "CA" not in row.label
    assert row.label == {"cp.cap": "CP", "sync.cap": "CP"}.get(path.name, row.label)


ANALYSED = Checked()


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_generated_systems_are_never_both_c_and_a(cfg):
    if cfg in ANALYSED:
        return
    row = analyse(cfg, "generated.cap")
    assert row.under_partition != "INCOMPLETE"
    assert not row.both, (cfg, row.verdicts)
    ANALYSED.add(cfg)


def test_cap_command_json_and_diagrams(tmp_path):
    p = subprocess.run([sys.executable, "-m", "capmodel", "cap", "specs/cp.cap", "specs/semisync.cap", "--json",
                        "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = {Path(r["file"]).name: r for r in json.loads(p.stdout)["results"]}
    assert (rows["cp.cap"]["reads"], rows["cp.cap"]["writes"], rows["cp.cap"]["label"]) == ("CP", "CP", "CP")
    assert rows["cp.cap"]["verdicts"]["linearizable"] == "holds"
    assert rows["semisync.cap"]["own_budget"]["linearizable"] == "holds"  # no partition of its own
    diagram = rows["cp.cap"]["failures"]["read_availability"]
    assert Path(diagram).exists() and Path(diagram).is_relative_to(tmp_path)
