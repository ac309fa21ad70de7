"""The command line as a user meets it: exit codes, output, JSON, bad input."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def capmodel(*args, cwd=ROOT):
    proc = subprocess.run([sys.executable, "-m", "capmodel", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def mask(text: str) -> str:
    """Durations and rates vary from run to run; nothing else may."""
    text = re.sub(r"in \d+\.\d+ s \([\d,]+ states/s\)", "in T s (R states/s)", text)
    return re.sub(r'"seconds": [\d.]+', '"seconds": T', text)


def test_verify_async_exit_1_with_the_story(tmp_path):
    p = capmodel("verify", "specs/async.cap", "--out", str(tmp_path))
    assert p.returncode == 1
    assert re.search(r"no_acked_write_lost\s+VIOLATED", p.stdout)
    assert re.search(r"write_availability\s+HOLDS\s+in all [\d,]+ reachable states", p.stdout)
    assert "2. master crashes: write w1 was acknowledged but never reached slave1, slave2" in p.stdout


def test_verify_holding_spec_exits_0():
    p = capmodel("verify", "specs/semisync.cap", "--no-render")
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"no_acked_write_lost\s+HOLDS", p.stdout)


def test_bounds_give_incomplete_and_exit_3():
    p = capmodel("verify", "specs/sync.cap", "--property", "no_acked_write_lost", "--max-states", "500",
                 "--no-render")
    assert p.returncode == 3
    assert re.search(r"no_acked_write_lost\s+INCOMPLETE", p.stdout) and "HOLDS" not in p.stdout
    p = capmodel("verify", "specs/sync.cap", "--property", "no_acked_write_lost", "--max-depth", "3",
                 "--no-render")
    assert p.returncode == 3 and "stopped at max depth 3" in p.stdout


def test_property_filter():
    p = capmodel("verify", "specs/sync.cap", "--property", "write_availability", "--no-render", "--json")
    (doc,) = json.loads(p.stdout)["results"]
    assert [x["name"] for x in doc["properties"]] == ["write_availability"]
    p = capmodel("verify", "specs/sync.cap", "--property", "no_such_thing", "--no-render")
    assert p.returncode == 2 and "does not check no_such_thing" in p.stderr


def test_json_document_shape_and_replayable_states():
    p = capmodel("verify", "specs/async.cap", "--json", "--no-render")
    assert p.returncode == 1
    whole = json.loads(p.stdout)
    assert (whole["schema_version"], whole["kind"], whole["exit_code"]) == (1, "verify", 1)
    (doc,) = whole["results"]
    assert doc["engine"] == "explicit" and doc["spec"] == "async_replication"
    assert set(doc["stats"]) >= {"states", "transitions", "depth", "seconds"}
    lost = next(x for x in doc["properties"] if x["name"] == "no_acked_write_lost")
    assert lost["verdict"] == "violated"
    steps = lost["trace"]["steps"]
    assert [s["actor"] for s in steps] == ["client1", "master", "slave1"]
    assert steps[-1]["state"]["nodes"]["slave1"]["role"] == "master"
    assert steps[-1]["state"]["nodes"]["slave1"]["log"] == []
    # the raw states replay through the IR
    from capmodel.semantics.build import build_model
    from capmodel.syntax.load import load_spec
    from capmodel.ir.pycompile import step

    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    names = [i.name for i in model.instances()]
    state = tuple(lost["trace"]["raw"]["initial"])
    for action, raw in zip(lost["trace"]["raw"]["actions"], lost["trace"]["raw"]["steps"]):
        state = step(model, names.index(action), state)
        assert state == tuple(raw)


def test_quiet_when_piped():
    p = capmodel("verify", "specs/sync.cap", "--no-render")
    assert "states/s, " not in p.stderr  # no progress line on a pipe


@pytest.mark.slow
def test_same_spec_same_output():
    a = capmodel("verify", "specs/async.cap", "--json", "--no-render")
    b = capmodel("verify", "specs/async.cap", "--json", "--no-render")
    assert mask(a.stdout) == mask(b.stdout)
    c = capmodel("verify", "specs/split_brain.cap", "--no-render")
    d = capmodel("verify", "specs/split_brain.cap", "--no-render")
    assert mask(c.stdout) == mask(d.stdout)


def test_check_and_properties():
    p = capmodel("check", "specs/semisync_timeout.cap")
    assert p.returncode == 0 and "semi_sync replication" in p.stdout
    p = capmodel("properties")
    assert p.returncode == 0
    for name in ["no_acked_write_lost", "no_stale_read", "read_your_writes", "monotonic_reads",
                 "write_availability", "read_availability", "no_split_brain"]:
        assert re.search(rf"^{name}\s+\S", p.stdout, re.M)
    # a property only one replication family has is listed, and says which
    assert re.search(r"^converges\s+\S.*\(leaderless replication only\)$", p.stdout, re.M)


BAD = {
    "syntax": ("system x {\n  nodes a, b\n  replication async\n", "CAP103"),
    "unknown_node": ("system x {\n  nodes a, b\n  leader c\n}\n", "CAP201"),
    "mode_typo": ("system x {\n  nodes a, b\n  replication asynch\n}\n", "CAP202"),
    "negative": ("system x {\n  nodes a, b\n  faults { crashes -1 }\n}\n", "CAP302"),
    "unknown_property": ("system x {\n  nodes a, b\n  check no_stale_reads\n}\n", "CAP205"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_spec_exit_2_with_location_and_no_traceback(tmp_path, name):
    text, code = BAD[name]
    f = tmp_path / f"{name}.cap"
    f.write_text(text)
    for command in ("verify", "check"):
        p = capmodel(command, str(f))
        assert p.returncode == 2
        assert f"error[{code}]" in p.stderr
        assert re.search(rf"{re.escape(str(f))}:\d+:\d+", p.stderr)


def test_binary_missing_and_cyclic_files(tmp_path):
    binary = tmp_path / "b.cap"
    binary.write_bytes(b"\x00\x01\x02\xff")
    assert capmodel("verify", str(binary)).returncode == 2
    assert capmodel("verify", str(tmp_path / "missing.cap")).returncode == 2
    (tmp_path / "a.cap").write_text('system a extends "c.cap" { nodes x, y }\n')
    (tmp_path / "c.cap").write_text('system c extends "a.cap" { nodes x, y }\n')
    p = capmodel("verify", str(tmp_path / "a.cap"))
    assert p.returncode == 2 and "CAP008" in p.stderr


def test_usage_errors_exit_2():
    assert capmodel("verify").returncode == 2
    assert capmodel("verify", "specs/async.cap", "--max-states", "-5").returncode == 2
    assert capmodel("frobnicate").returncode == 2


@pytest.mark.slow
def test_engine_both_agrees_and_z3_json():
    p = capmodel("verify", "specs/cp.cap", "--engine", "both", "--no-render")
    assert p.returncode == 1
    assert "the explicit and Z3 engines agree" in p.stdout
    assert re.search(r"read_availability\s+VIOLATED\s+shortest counterexample 2 steps", p.stdout)
    p = capmodel("verify", "specs/cp.cap", "--engine", "z3", "--json", "--no-render")
    (doc,) = json.loads(p.stdout)["results"]
    assert doc["engine"] == "z3"
    verdicts = {x["name"]: x["verdict"] for x in doc["properties"]}
    assert verdicts["read_availability"] == "violated"
    assert verdicts["no_stale_read"] in ("bounded", "proved")  # never "holds" from BMC alone
