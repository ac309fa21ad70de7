"""The work budget for generating lemmas (engines/budget.py): a count of Z3's
resource units and of Python steps, not seconds, so that the same spec gives
the same verdict on an idle and on a busy machine. A slow machine is played
by the clock the budget reads (budget.clock) running fast: deterministic,
where a CPU hog would not be. Only the --timeout, a wall clock, may still cut
a run short, and the report then says that the time ran out, not the work.

specs/cp.cap: no_stale_read holds and needs generated lemmas (without them
it is not inductive), read_availability is violated in 2 steps; 80 states."""
from __future__ import annotations

import dataclasses
import itertools
import time
from pathlib import Path

import pytest

pytest.importorskip("z3")

from capmodel.engines import budget  # noqa: E402
from capmodel.engines.budget import Work  # noqa: E402
from capmodel.engines.result import INCOMPLETE, VIOLATED  # noqa: E402
from capmodel.engines.z3_engine import BOUNDED, GENERATE_WORK, PROVED, check_z3  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK_RAN_OUT = "lemmas generated: none, the work budget for generating them ({}) ran out"
TIME_RAN_OUT = "s for generating them (half of what --timeout left) ran out"


@pytest.fixture(scope="module")
def model():
    return dataclasses.replace(build_model(load_spec(str(ROOT / "specs/cp.cap"))), reachables=[])


def run(model, work, timeout=None):
    z = check_z3(model, max_depth=2, timeout=timeout, generate=work)
    return {p.name: p.verdict for p in z.properties}, z


def outcome(model, work, timeout=None):
    """What must not depend on the machine: verdicts, lemmas, the work spent, the notes' wording."""
    verdicts, z = run(model, work, timeout)
    notes = [n.rsplit(" (", 1)[0] for n in z.notes]  # the seconds at the end of the summary vary
    return verdicts, z.generated, z.generated_work, notes


@pytest.fixture(scope="module")
def idle(model):
    return outcome(model, GENERATE_WORK)


def test_the_default_budget_proves_what_holds_and_finds_what_is_violated(idle):
    verdicts, generated, (units, steps), _ = idle
    assert verdicts == {"no_stale_read": PROVED, "read_availability": VIOLATED}
    assert generated and 0 < units < GENERATE_WORK.units and 0 < steps < GENERATE_WORK.steps


def test_a_machine_thousands_of_times_slower_gives_the_same_verdicts(model, idle, monkeypatch):
    minutes = itertools.count(start=0.0, step=60.0)  # every look at the clock is a minute later
    monkeypatch.setattr(budget, "clock", lambda: next(minutes))
    assert outcome(model, GENERATE_WORK) == idle


def test_under_a_timeout_a_ten_times_slower_machine_gives_the_same_verdicts(model, monkeypatch):
    """With --timeout the clock is armed (each solver call gets a timeout too),
    yet the work spent, and so the verdicts, are the same."""
    before = outcome(model, GENERATE_WORK, timeout=3600)
    monkeypatch.setattr(budget, "clock", lambda: 10 * time.perf_counter())
    assert outcome(model, GENERATE_WORK, timeout=3600) == before


def test_the_budget_is_exact_and_what_runs_out_is_named(model, idle):
    """The work the idle run spent is enough, to the unit; half of either
    count is not, and the note says the work budget ran out."""
    _, generated, (units, steps), _ = idle
    assert outcome(model, Work(units + 1, steps)) == idle
    for short in (Work(units // 2, 10 * steps), Work(10 * units, steps // 2), Work(1, 1)):
        verdicts, z = run(model, short)
        assert verdicts == {"no_stale_read": BOUNDED, "read_availability": VIOLATED}, short
        assert not z.generated
        assert any(n.startswith(WORK_RAN_OUT.format(short)) for n in z.notes), z.notes
        assert not any(TIME_RAN_OUT in n for n in z.notes)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.3, 0.6, 0.9, 0.999])
def test_a_budget_running_out_only_loses_proofs(model, idle, share):
    """Whatever the budget, a violated property stays VIOLATED (its shortest
    counterexample), and what holds is PROVED or left bounded, never more."""
    _, _, (units, steps), _ = idle
    verdicts, z = run(model, Work(max(1, int(units * share)), steps))
    assert verdicts == {"no_stale_read": BOUNDED, "read_availability": VIOLATED}
    assert len(z.properties[1].trace.steps) == 2


def test_a_generous_budget_proves_no_more(model, idle):
    assert outcome(model, GENERATE_WORK.scaled(100)) == idle


def test_the_timeout_running_out_is_said_as_time_not_work(model, monkeypatch):
    seconds = itertools.count(start=0.0, step=1.0)  # a very slow machine: each look at the clock a second later
    monkeypatch.setattr(budget, "clock", lambda: next(seconds))
    verdicts, z = run(model, GENERATE_WORK, timeout=40)
    assert verdicts["no_stale_read"] in (BOUNDED, INCOMPLETE)
    assert verdicts["read_availability"] in (VIOLATED, INCOMPLETE)
    assert any(n.startswith("lemmas generated: none, the ") and TIME_RAN_OUT in n for n in z.notes), z.notes
    assert not any("work budget" in n for n in z.notes)


def test_a_ctrl_c_while_generating_is_said_as_such_not_as_time_or_work():
    from capmodel.engines import z3_translate as Z
    from capmodel.engines.z3_lemmas import Generated

    deadline = budget.Deadline(None, work=GENERATE_WORK)
    assert isinstance(deadline.give_up(Z.CTRL_C_REASON), budget.OutOfTime)
    assert deadline.interrupted and deadline.exhausted == budget.INTERRUPTED
    note = Generated(ran_out=deadline.exhausted, work=GENERATE_WORK).summary()
    assert note.startswith("lemmas generated: none, interrupted (Ctrl-C) while generating them")


def test_a_solver_out_of_units_is_out_of_work():
    """Z3 stops a check at its rlimit (unknown); the budget counts what it spent and names the work."""
    import z3

    deadline = budget.Deadline(None, work=Work(50, 10))
    x = [z3.BitVec(f"x{i}", 32) for i in range(3)]
    s = z3.Solver()
    s.add(x[0] * x[1] * x[2] == 12345, x[0] * x[2] == x[1] + 7)
    assert deadline.check(s) == z3.unknown
    assert deadline.units >= 50 and deadline.steps == 1
    assert isinstance(deadline.give_up(s.reason_unknown()), budget.OutOfWork)
    assert deadline.exhausted == budget.WORK
    with pytest.raises(budget.OutOfWork):
        deadline.check(s)  # nothing left to give the next one


@pytest.mark.parametrize("engine, share", [("z3", "4%"), ("both", "52%")])
def test_the_command_says_how_much_of_its_work_budget_generation_spent(engine, share):
    """`verify` gives --engine z3 GENERATE_WORK and --engine both BOTH_GENERATE_WORK
    (cp.cap stores 80 states): the same spec spends the same share of it in every run."""
    import json

    from click.testing import CliRunner

    from capmodel.cli import cli

    out = CliRunner().invoke(cli, ["verify", str(ROOT / "specs/cp.cap"), "--engine", engine, "--json", "--no-render"])
    [doc] = json.loads(out.stdout)["results"]
    z3 = doc["comparison"]["z3"] if engine == "both" else doc
    [note] = [n for n in z3["notes"] if n.startswith("lemmas generated:")]
    assert note.endswith(f" s, {share} of the work budget)"), note
    assert "the proof uses 13 of them, said in 11 lemmas" in note


def test_other_processes_spend_the_same_work(idle):
    """What the command does: a fresh process (another hash seed, another Z3
    context) spends the same units and steps on the same spec."""
    import os
    import subprocess
    import sys

    script = ("import dataclasses; from capmodel.engines.z3_engine import GENERATE_WORK, check_z3; "
              "from capmodel.semantics.build import build_model; from capmodel.syntax.load import load_spec; "
              f"m = dataclasses.replace(build_model(load_spec({str(ROOT / 'specs/cp.cap')!r})), reachables=[]); "
              "print(check_z3(m, max_depth=2, generate=GENERATE_WORK).generated_work)")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed})
        assert out.stdout.strip() == str(idle[2])


def test_a_ctrl_c_in_the_second_stage_is_said_after_what_the_first_found():
    """Stopped in the search over every atom, generation reports the first
    stage's result: the note must say it was cut short, not only that the
    properties are not inductive with those lemmas."""
    from capmodel.engines.z3_lemmas import Generated

    note = Generated(candidates=915, inductive=624, sample=50_105, stopped=budget.INTERRUPTED,
                     work=GENERATE_WORK).summary()
    assert "with them no property is inductive" in note
    assert "; interrupted (Ctrl-C) in the search over every atom" in note


def test_a_run_stopped_before_bmc_does_not_claim_bmc_was_not_needed():
    from capmodel.render.text import stats_line

    z = check_z3(dataclasses.replace(build_model(load_spec(str(ROOT / "specs/cp.cap"))), reachables=[]),
                 max_depth=2, generate=None)
    assert z.bmc_depth >= 0 and stats_line(z).startswith("bounded model checking to depth")
    z.bmc_depth, z.stats.bound = -1, "interrupted (Ctrl-C)"
    assert stats_line(z).startswith("stopped before any bounded search (interrupted (Ctrl-C)) after ")
    z.stats.bound = None
    assert stats_line(z).startswith("induction (no bounded search was needed)")
