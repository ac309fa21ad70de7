"""The terminal (issue 14 §5): coloured verdicts and --color/NO_COLOR, tables
through rich, `cap` printing each row as its spec is done with progress and
--format png, every --help with an example and the exit codes, did-you-mean
for -p, the invariants -p leaves unchecked, shell completion, --version."""
from __future__ import annotations

import importlib
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from capmodel.cli import Progress, cli
from capmodel.engines import explicit

ROOT = Path(__file__).resolve().parent.parent
CAP = importlib.import_module("capmodel.cap")  # the module; `capmodel.cap` is the API function
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RED_VIOLATED = re.compile(r"\x1b\[1;31mVIOLATED")
GREEN_HOLDS = re.compile(r"\x1b\[32mHOLDS")

# a model Spacer proves in well under a second, with an invariant of its own
SMALL = """system small {
  nodes master, slave
  leader master
  replication async
  reads any_node
  failover promote_any
  faults { crashes 1  partitions 1 }
  workload { writes 1  reads 1 }
  check no_acked_write_lost, write_availability
  invariant one_write: (count w in writes: w.acked) <= 1
}
"""


def capmodel(*args, env: dict | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    """As a shell runs it, stdout piped."""
    proc = subprocess.run([sys.executable, "-m", "capmodel", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def on_a_terminal(*args, env: dict | None = None) -> tuple[str, int]:
    """stdout on a pseudo-terminal, as a user at a shell sees it (stderr piped)."""
    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen([sys.executable, "-m", "capmodel", *args], cwd=ROOT, stdout=slave,
                            stderr=subprocess.PIPE, env={**environ, "TERM": "xterm", **(env or {})})
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    proc.wait(timeout=300)
    return b"".join(chunks).decode().replace("\r\n", "\n"), proc.returncode


# --- colour -----------------------------------------------------------------------------------------------

def test_color_always_paints_violated_red_and_holds_green():
    p = capmodel("verify", "specs/async.cap", "--no-render", "--color", "always")
    assert p.returncode == 1
    assert RED_VIOLATED.search(p.stdout) and GREEN_HOLDS.search(p.stdout)
    assert re.search(r"no_acked_write_lost\s+\x1b\[1;31mVIOLATED", p.stdout)
    # the colour changes no word: without the escapes it is the plain report
    plain = capmodel("verify", "specs/async.cap", "--no-render", "--color", "never")
    assert mask(ANSI.sub("", p.stdout)) == mask(plain.stdout)


def mask(text: str) -> str:
    return re.sub(r"in \d+\.\d+ s \([\d,]+ states/s\)", "in T s", text)


def test_piped_output_and_color_never_have_no_escapes():
    for args in ([], ["--color", "never"], ["--color", "auto"]):
        p = capmodel("verify", "specs/async.cap", "--no-render", *args)
        assert "\x1b[" not in p.stdout + p.stderr and "VIOLATED" in p.stdout, args


def test_auto_colours_a_terminal_unless_no_color_is_set():
    out, code = on_a_terminal("verify", "specs/async.cap", "--no-render")
    assert code == 1 and RED_VIOLATED.search(out) and GREEN_HOLDS.search(out)
    out, code = on_a_terminal("verify", "specs/async.cap", "--no-render", env={"NO_COLOR": "1"})
    assert code == 1 and "VIOLATED" in out and "\x1b[" not in out
    out, _ = on_a_terminal("verify", "specs/async.cap", "--no-render", "--color", "never")
    assert "VIOLATED" in out and "\x1b[" not in out


def test_color_always_overrides_no_color():
    # no-color.org: a flag given on the command line wins over the variable
    p = capmodel("verify", "specs/async.cap", "--no-render", "--color", "always", env={"NO_COLOR": "1"})
    assert RED_VIOLATED.search(p.stdout)


def test_json_never_carries_colour():
    p = capmodel("verify", "specs/async.cap", "--no-render", "--json", "--color", "always")
    assert "\x1b" not in p.stdout
    assert json.loads(p.stdout)["exit_code"] == 1


def test_every_command_that_prints_verdicts_takes_color():
    for name in ("verify", "cap", "infer"):
        options = {o for param in cli.commands[name].params for o in param.opts}
        assert "--color" in options, name


def test_cap_colours_an_incomplete_label():
    p = capmodel("cap", "specs/cp.cap", "--no-render", "--max-states", "50", "--color", "always", "-q")
    assert p.returncode == 3
    assert "\x1b[33mINCOMPLETE" in p.stdout


@pytest.mark.slow
def test_infer_colours_its_verdict_and_names_what_p_left_out(tmp_path):
    spec = tmp_path / "small.cap"
    spec.write_text(SMALL)
    p = capmodel("infer", str(spec), "-p", "write_availability", "--color", "always", "--timeout", "60")
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"write_availability: \x1b\[32mPROVED", p.stdout)
    assert p.stdout.rstrip().endswith("not checked (left out by -p): one_write")
    doc = json.loads(capmodel("infer", str(spec), "-p", "write_availability", "--json", "--timeout", "60").stdout)
    assert doc["results"][0]["unchecked"] == ["one_write"]
    doc = json.loads(capmodel("infer", str(spec), "--json", "--timeout", "60").stdout)
    assert doc["results"][0]["unchecked"] == []
    assert {p["name"] for p in doc["results"][0]["properties"]} >= {"one_write", "write_availability"}


# --- tables through rich -------------------------------------------------------------------------------

def test_cap_columns_line_up_whatever_the_label():
    # the header is printed before any row, and an INCOMPLETE label is the longest
    p = capmodel("cap", "specs/cp.cap", "specs/ap.cap", "--no-render", "--max-states", "50", "-q")
    header, incomplete = p.stdout.splitlines()[:2]
    assert incomplete.split()[1:4] == ["INCOMPLETE"] * 3
    assert header.index("writes") == incomplete.index("INCOMPLETE", incomplete.index("INCOMPLETE") + 1)
    assert header.index("system") == incomplete.rindex("INCOMPLETE")


def test_properties_is_a_table_of_two_aligned_columns():
    p = capmodel("properties")
    lines = p.stdout.splitlines()
    starts = {len(line) - len(line.split(None, 1)[1]) for line in lines}
    assert len(lines) >= 8 and len(starts) == 1
    assert not any(line != line.rstrip() for line in lines)


# --- cap: rows as they come, progress, png ---------------------------------------------------------------

def test_cap_prints_each_row_before_the_next_spec_starts(monkeypatch, capsys):
    real = CAP.analyse
    seen: list[str] = []

    def analyse(cfg, file, **kw):
        seen.append(capsys.readouterr().out)  # what the user has seen when this spec starts
        return real(cfg, file, **kw)

    monkeypatch.setattr(CAP, "analyse", analyse)
    with pytest.raises(SystemExit) as stop:
        cli.main(["cap", "specs/cp.cap", "specs/ap.cap", "--no-render", "-q"], standalone_mode=False)
    assert stop.value.code == 0
    assert len(seen) == 2
    assert "cp.cap" not in seen[0] and seen[0].startswith("spec ")  # the header first, then cp.cap's run
    assert re.search(r"^cp\.cap\s+CP\s+CP\s+CP$", seen[1], re.M)  # cp.cap's row before ap.cap's run
    assert re.search(r"^ap\.cap\s+AP\s+neither\s+neither$", capsys.readouterr().out, re.M)


@pytest.mark.parametrize("flags,enabled", [([], True), (["--quiet"], False), (["-q"], False),
                                           (["--json"], False)])
def test_cap_shows_progress_unless_json_or_quiet(monkeypatch, flags, enabled):
    asked: list[tuple[str, Progress]] = []
    bounds: dict = {}

    def analyse(cfg, file, *, progress=None, **given):
        bounds.update(given)
        # both searches of a spec without partitions, as analyse asks for them
        for phase in (CAP.UNDER_PARTITION, CAP.OWN_FAULTS):
            asked.append((phase, progress(phase)))
        return CAP.CapRow(file, cfg.name, "CP", "CP", "CP", {}, None, {}, None)

    monkeypatch.setattr(CAP, "analyse", analyse)
    result = CliRunner().invoke(cli, ["cap", "specs/semisync.cap", "--no-render", *flags])
    assert result.exit_code == 0, result.output
    assert [phase for phase, _ in asked] == ["under a partition", "under its own faults"]
    assert all(isinstance(p, Progress) and p.enabled == enabled for _, p in asked)
    assert [p.label for _, p in asked][-1] == "semisync.cap, under its own faults: "
    # bounded as verify is by default: 3,000,000 states and half the memory available
    assert bounds["max_states"] == 3_000_000
    assert bounds["max_memory"] is not None or explicit.memory_available() is None


def test_a_new_phase_restarts_the_piped_clock_and_names_itself(capsys):
    progress = Progress(enabled=True, terminal=False).phase("a.cap, under a partition: ")
    progress(4000, 5, 31.0)
    again = progress.phase("a.cap, under its own faults: ")
    assert again is progress
    progress(100, 1, 5.0)  # the new search's clock starts at 0: 30 s more before its first line
    progress(3100, 6, 31.0)
    assert capsys.readouterr().err.splitlines() == [
        "a.cap, under a partition: exploring: 4,000 states, depth 5, 129 states/s, 31 s",
        "a.cap, under its own faults: exploring: 3,100 states, depth 6, 100 states/s, 31 s"]


def test_a_solver_call_of_minutes_still_gives_a_piped_line_every_30_seconds(capsys):
    """One Z3 call can last minutes (raft_majority's BMC at depth 20: 125 s):
    the heartbeat repeats the engine's last step with the time so far."""
    now = [0.0]
    progress = Progress(enabled=True, terminal=False, clock=lambda: now[0])
    progress.beat()  # nothing said yet: nothing to repeat
    now[0] = 31.0
    progress.say("z3: BMC depth 20 of 20 checked")
    now[0] = 50.0
    progress.beat()  # within 30 s of the last line: nothing
    now[0] = 62.0
    progress.beat()
    progress.close()
    assert not progress._heartbeat.is_alive()
    assert capsys.readouterr().err.splitlines() == [
        "z3: BMC depth 20 of 20 checked, 31 s", "z3: BMC depth 20 of 20 checked; still working, 62 s"]
    quiet = Progress(enabled=False, terminal=False, clock=lambda: now[0])
    quiet.say("z3: BMC depth 3 of 9 checked")
    quiet.beat()
    quiet.close()
    assert quiet._heartbeat is None and capsys.readouterr().err == ""


def test_live_progress_on_a_terminal_starts_and_stops():
    progress = Progress(enabled=True, terminal=True)
    progress(10, 1, 0.5)
    assert progress.live is None  # not for a run of under a second
    progress(5000, 3, 1.5)
    assert progress.live is not None and progress.live.is_started
    progress.close()
    assert not progress.live.is_started


def test_analyse_asks_for_each_search_it_starts():
    from capmodel.syntax.load import load_spec

    asked: list[str] = []

    def told(phase):
        asked.append(phase)
        return None

    CAP.analyse(load_spec(str(ROOT / "specs/semisync.cap")), "semisync.cap", progress=told)
    assert asked == [CAP.UNDER_PARTITION, CAP.OWN_FAULTS]  # semisync.cap has no partition of its own
    asked.clear()
    CAP.analyse(load_spec(str(ROOT / "specs/cp.cap")), "cp.cap", progress=told)
    assert asked == [CAP.UNDER_PARTITION]


def test_ctrl_c_in_either_search_marks_the_row_interrupted(monkeypatch):
    from capmodel.syntax.load import load_spec

    real = CAP.search.check
    runs: list[str] = []

    def check_stopped_in(stopped_phase):
        def check(model, **kw):
            phase = kw["progress"]
            runs.append(phase)
            result = real(model, **{**kw, "progress": None})
            if phase == stopped_phase:
                result.stats.bound = explicit.INTERRUPTED
            return result
        return check

    cfg = load_spec(str(ROOT / "specs/semisync.cap"))
    monkeypatch.setattr(CAP.search, "check", check_stopped_in(CAP.OWN_FAULTS))
    row = CAP.analyse(cfg, "semisync.cap", progress=lambda phase: phase)
    assert row.interrupted and runs == [CAP.UNDER_PARTITION, CAP.OWN_FAULTS]
    runs.clear()
    monkeypatch.setattr(CAP.search, "check", check_stopped_in(CAP.UNDER_PARTITION))
    row = CAP.analyse(cfg, "semisync.cap", progress=lambda phase: phase)
    assert row.interrupted and runs == [CAP.UNDER_PARTITION]  # the second search is not started
    runs.clear()
    monkeypatch.setattr(CAP.search, "check", check_stopped_in(None))
    assert not CAP.analyse(cfg, "semisync.cap", progress=lambda phase: phase).interrupted


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz `dot` is not installed")
def test_cap_format_png_writes_png_diagrams(tmp_path):
    p = capmodel("cap", "specs/cp.cap", "--format", "png", "--out", str(tmp_path), "-q")
    assert p.returncode == 0, p.stderr
    drawn = re.findall(r"fails (\w+): (\S+)", p.stdout)
    assert {prop for prop, _ in drawn} == {"read_availability", "write_availability"}
    for _, path in drawn:
        assert path.endswith(".png") and Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- help, did-you-mean, unchecked, completion, version ---------------------------------------------------

@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_help_has_an_example_and_the_exit_codes(name):
    out = CliRunner().invoke(cli, [name, "--help"]).output
    assert re.search(r"^  Examples?:\n(    capmodel .*\n)*    capmodel " + name + r"\b", out, re.M), out
    assert re.search(r"^  Exit codes?: 0\b", out, re.M), out


def test_top_level_help_has_an_example_and_the_exit_codes():
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "capmodel verify specs/async.cap" in out and "Exit codes: 0" in out


@pytest.mark.parametrize("command", [["verify", "--no-render"], ["infer"], ["export", "--to", "promela"]])
def test_p_with_a_misspelt_name_says_did_you_mean(command):
    p = capmodel(command[0], "specs/async.cap", *command[1:], "-p", "no_stale_reads")
    assert p.returncode == 2
    assert "does not check no_stale_reads" in p.stderr
    assert "did you mean 'no_stale_read' for 'no_stale_reads'?" in p.stderr


@pytest.mark.slow
def test_verify_names_the_invariants_p_leaves_unchecked():
    p = capmodel("verify", "specs/sync.cap", "--no-render", "-q", "-p", "no_stale_read")
    assert "not checked (left out by -p): acked_everywhere" in p.stdout
    assert not re.search(r"^acked_everywhere ", p.stdout, re.M)
    doc = json.loads(capmodel("verify", "specs/sync.cap", "--no-render", "--json", "-p", "no_stale_read").stdout)
    assert doc["results"][0]["unchecked"] == ["acked_everywhere"]
    # asked for by -p, or no -p at all: nothing is left out
    p = capmodel("verify", "specs/sync.cap", "--no-render", "-q", "-p", "acked_everywhere")
    assert "not checked" not in p.stdout
    assert re.search(r"^acked_everywhere\s+HOLDS", p.stdout, re.M)
    doc = json.loads(capmodel("verify", "specs/sync.cap", "--no-render", "--json").stdout)
    assert doc["results"][0]["unchecked"] == []


def test_shell_completion_works_as_the_readme_says():
    readme = (ROOT / "README.md").read_text()
    assert '"$(_CAPMODEL_COMPLETE=bash_source capmodel)"' in readme
    script = capmodel(env={"_CAPMODEL_COMPLETE": "bash_source"})
    assert script.returncode == 0 and "complete -o nosort -F _capmodel_completion capmodel" in script.stdout
    words = capmodel(env={"_CAPMODEL_COMPLETE": "bash_complete", "COMP_WORDS": "capmodel verify --color ",
                          "COMP_CWORD": "3"})
    assert words.stdout.split() == ["plain,auto", "plain,always", "plain,never"]
    words = capmodel(env={"_CAPMODEL_COMPLETE": "bash_complete", "COMP_WORDS": "capmodel ca", "COMP_CWORD": "1"})
    assert words.stdout.split() == ["plain,cap"]


def complete(line: str) -> list[str]:
    """What bash completion offers for the last word of `line`."""
    words = line.split(" ")
    p = capmodel(env={"_CAPMODEL_COMPLETE": "bash_complete", "COMP_WORDS": line,
                      "COMP_CWORD": str(len(words) - 1)})
    assert p.returncode == 0, p.stderr
    return [w.removeprefix("plain,") for w in p.stdout.split()]


@pytest.mark.slow
def test_p_completes_the_names_each_command_takes_from_the_spec():
    from capmodel import catalogue
    from capmodel.syntax.load import load_spec

    sync = load_spec(str(ROOT / "specs/proofs/sync_lemmas.cap"))
    checks = set(sync.checks) | {c.name.text for c in sync.invariants}
    lemmas = {c.name.text for c in sync.lemmas}
    assert lemmas and not lemmas & checks
    # verify and infer take the spec's properties and invariants, export its lemmas as well
    assert complete("capmodel verify specs/proofs/sync_lemmas.cap -p ") == sorted(checks)
    assert complete("capmodel infer specs/proofs/sync_lemmas.cap -p ") == sorted(checks)
    assert complete("capmodel export specs/proofs/sync_lemmas.cap --to murphi -p ") == sorted(checks | lemmas)
    # the prefix typed so far, and every spec on the line
    async_checks = set(load_spec(str(ROOT / "specs/async.cap")).checks)
    cp_checks = set(load_spec(str(ROOT / "specs/cp.cap")).checks)
    assert complete("capmodel verify specs/async.cap specs/cp.cap -p ") == sorted(async_checks | cp_checks)
    assert complete("capmodel verify specs/async.cap -p no_s") == sorted(
        n for n in async_checks if n.startswith("no_s"))
    # before any spec, or with one that does not load: the built-in properties, and no error printed
    builtins = sorted(set(catalogue.PROPERTIES) | set(catalogue.LEADERLESS_PROPERTIES))
    assert complete("capmodel verify -p ") == builtins
    assert complete("capmodel verify no/such.cap -p ") == builtins


def test_python_m_capmodel_version_says_capmodel():
    for argv in ([sys.executable, "-m", "capmodel", "--version"], [str(Path(sys.executable).parent / "capmodel"),
                                                                   "--version"]):
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
        assert re.fullmatch(r"capmodel \d+\.\d+\S*\n", out), out


# --- the Python API shows the same table (issue 14 §1) ---------------------------------------------------

def test_api_names_the_invariants_properties_leave_unchecked():
    import capmodel

    result = capmodel.verify(ROOT / "specs" / "sync.cap", properties=["no_stale_read"])
    assert result.unchecked == ["acked_everywhere"]
    assert result.to_json()["unchecked"] == ["acked_everywhere"]
    assert "not checked (left out by -p): acked_everywhere" in result.report()
    assert "acked_everywhere" in result._repr_html_()
    assert capmodel.verify(ROOT / "specs" / "sync.cap").unchecked == []


def test_api_html_has_every_row_of_the_text_table_deadlock_included():
    from capmodel.api import Verification
    from helpers import counter_model

    model = counter_model(2, 3)  # x stops at 2, but the workload is only done at 3: a deadlock
    result = explicit.check(model)
    assert result.deadlock is not None
    page = Verification("counter", result, model)._repr_html_()
    assert "<td>no deadlock</td><td style='color:#c0392b;font-weight:bold'>VIOLATED</td>" in page


def test_api_cap_is_bounded_as_the_command_is():
    import capmodel

    (row,) = capmodel.cap("specs/cp.cap", max_states=50).rows
    assert (row.reads, row.writes, row.label) == ("INCOMPLETE", "INCOMPLETE", "INCOMPLETE")
    assert "max states 50" in row.result.stats.bound
