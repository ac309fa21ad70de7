"""Details of the Z3 engine: per-variable widths, the domain check, deadlocks
checked as deep as the rest, counterexamples to induction in the report and
as diagrams, and the expression-language additions that lemmas need."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from capmodel.engines import explicit
from capmodel.engines import z3_translate as Z
from capmodel.engines.result import HOLDS, VIOLATED
from capmodel.engines.z3_engine import PROVED, check_lemmas_explicit, check_z3, compare
from capmodel.ir.pycompile import step as apply
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_text
from capmodel.trace import replay

from helpers import config, counter_model

ROOT = Path(__file__).resolve().parent.parent


def seven_nodes():
    return config(name="n7", nodes=("master",) + tuple(f"s{i}" for i in range(1, 7)), writes=6,
                  failover="promote_most_up_to_date", crashes=1, partitions=1, reads="master_only",
                  checks=("no_acked_write_lost",))


def test_each_variable_is_as_wide_as_its_own_values():
    model = build_model(seven_nodes())
    tr = Z.translate(model)
    width = dict(zip((v.name for v in model.variables), tr.widths))
    assert width["cut_links"] == 21 + 1  # 21 links at 7 nodes, plus the sign bit
    assert width["log[master]"] == 6 + 1  # 6 writes
    assert width["up[s3]"] == 2
    assert tr.escape is not None  # counters such as `crashes + 1` need their guard to stay in range


@pytest.mark.slow
def test_narrow_variables_keep_the_shortest_counterexample_at_seven_nodes():
    model = build_model(seven_nodes())
    e = explicit.check(model)
    z = check_z3(model, prove=False, max_depth=6, timeout=120)
    (p,), (q,) = e.properties, z.properties
    assert p.verdict == q.verdict == VIOLATED
    assert len(q.trace.steps) == len(p.trace.steps) == 3
    replay(model, q.trace)


def test_deadlocks_are_checked_as_deep_as_the_properties():
    # x stops at 2 but the workload is done only at 3: stuck once y is set too (3 steps)
    model = counter_model(2, 3)
    e = explicit.check(model, stop_when_decided=False)
    z = check_z3(model, max_depth=5, stop_when_decided=False, timeout=60)
    assert e.deadlock is not None and z.deadlock is not None
    assert len(z.deadlock.steps) == len(e.deadlock.steps) == 3
    assert z.deadlock_depth == 3  # found there: deeper is not needed
    replay(model, z.deadlock)
    assert compare(e, z) == []


def test_a_run_decided_early_leaves_deadlocks_unchecked_and_says_so():
    model = counter_model(2, 3, bad_at=1)  # violated after one step
    e = explicit.check(model, stop_when_decided=False)
    z = check_z3(model, max_depth=5, timeout=60)
    assert z.properties[0].verdict == VIOLATED and len(z.properties[0].trace.steps) == 1
    assert z.deadlock is None and z.deadlock_depth < 3
    assert z.to_json()["bmc"]["deadlocks_checked_to"] == z.deadlock_depth
    assert compare(e, z) == []  # not a disagreement: the deadlock lies deeper than was checked


def test_both_checks_deadlocks_only_to_the_explicit_deadlock_and_not_where_there_is_none():
    from capmodel.engines.z3_engine import bounds_for

    # a deadlock in 3 steps: BMC cross-checks that length, and no deeper
    model = counter_model(2, 3)
    e = explicit.check(model, stop_when_decided=False)
    b = bounds_for(model, e, None)
    assert b["deadlocks_to"] == len(e.deadlock.steps) == 3
    z = check_z3(model, **b)
    assert z.deadlock is not None and len(z.deadlock.steps) == 3 and compare(e, z) == []
    replay(model, z.deadlock)
    # none in the complete search (async.cap): BMC does not look again, and says so
    model = build_model(load_text((ROOT / "specs/async.cap").read_text(), str(ROOT / "specs/async.cap")))
    e = explicit.check(model, stop_when_decided=False)
    assert e.stats.complete and e.deadlock is None
    b = bounds_for(model, e, None)
    assert b["deadlocks_to"] == -1
    z = check_z3(model, **b)
    assert z.deadlock is None and z.deadlock_depth < b["max_depth"] and compare(e, z) == []
    assert any(n.startswith("deadlocks: the explicit engine's complete search found none") for n in z.notes)


LEMMA_SPEC = """
system sync_lemmas {
  nodes master, s1, s2
  leader master
  replication sync
  reads master_only
  failover promote_most_up_to_date
  faults { crashes 1  partitions 1 }
  workload { writes 2  reads 0 }
  check no_acked_write_lost
  invariant sent_in_order: forall v in writes: forall w in writes: (v < w and w.issued) implies v.issued
  lemma acks_are_true: forall n in nodes: forall w in writes: n.acked(w) implies n.has(w)
  lemma acked_everywhere: forall w in writes: w.acked implies (forall n in nodes: n.up implies n.has(w))
}
"""


def test_a_nodes_ack_view_and_write_order_can_be_named():
    model = build_model(load_text(LEMMA_SPEC, "lemmas.cap"))
    e = explicit.check(model, stop_when_decided=False)
    assert {p.name: p.verdict for p in e.properties}["sent_in_order"] == HOLDS
    assert all(p.verdict == HOLDS for p in check_lemmas_explicit(model, model.lemmas))
    z = check_z3(model, max_depth=2, timeout=60)
    verdicts = {m.name: m.verdict for m in z.lemmas}
    assert verdicts["acks_are_true"] == PROVED  # 1-inductive on its own


def test_without_acks_no_node_has_acked_anything():
    spec = LEMMA_SPEC.replace("replication sync", "replication async").replace(
        "n.acked(w) implies n.has(w)", "not n.acked(w)")
    model = build_model(load_text(spec, "async_lemmas.cap"))
    assert all(p.verdict == HOLDS for p in check_lemmas_explicit(model, model.lemmas[:1]))


def test_nodes_have_no_order():
    from capmodel.syntax.diagnostics import SpecError
    import pytest

    with pytest.raises(SpecError) as err:
        load_text(LEMMA_SPEC.replace("(v < w and w.issued)", "(master < s1)"), "bad.cap")
    assert "CAP401" in str(err.value)


@pytest.mark.slow
def test_a_counterexample_to_induction_is_told_drawn_and_a_real_step(tmp_path):
    spec = tmp_path / "lemmas.cap"
    spec.write_text(LEMMA_SPEC)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "capmodel", "verify", str(spec), "--engine", "z3",
                          "--max-depth", "2", "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 3, run.stderr  # bounded: no counterexample up to depth 2 is not HOLDS
    assert "why induction cannot prove acked_everywhere" in run.stdout
    assert "start in this state, which need not be reachable:" in run.stdout
    dot = out / "lemmas" / "acked_everywhere_cti.dot"
    mmd = out / "lemmas" / "acked_everywhere_cti.mmd"
    assert dot.exists() and mmd.exists() and "digraph" in dot.read_text()

    model = build_model(load_text(LEMMA_SPEC, "lemmas.cap"))
    z = check_z3(model, max_depth=2, timeout=60)
    (lemma,) = [m for m in z.lemmas if m.name == "acked_everywhere"]
    cti = lemma.cti
    index = {inst.name: k for k, inst in enumerate(model.instances())}
    assert apply(model, index[cti.steps[0].action], tuple(cti.initial_raw)) == tuple(cti.steps[0].raw)


def _without(model, lemma_name):
    import dataclasses
    return dataclasses.replace(model, lemmas=[c for c in model.lemmas if c.name != lemma_name])


@pytest.mark.slow
def test_the_shipped_lemmas_prove_sync_for_every_depth():
    model = build_model(load_text((ROOT / "specs/proofs/sync_lemmas.cap").read_text(),
                                  str(ROOT / "specs/proofs/sync_lemmas.cap")))
    assert all(p.verdict == HOLDS for p in check_lemmas_explicit(model, model.lemmas))
    z = check_z3(model, timeout=120)
    assert [p.verdict for p in z.properties] == [PROVED]
    assert all(m.verdict == PROVED for m in z.lemmas), [(m.name, m.verdict) for m in z.lemmas]
    # the heart of the argument cannot go: without it the step fails, with a CTI
    weaker = check_z3(_without(model, "agree_up_to_acked"), max_depth=2, timeout=120)
    (p,) = weaker.properties
    assert p.verdict != PROVED
    assert any(m.cti is not None for m in [*weaker.properties, *weaker.lemmas])


@pytest.mark.slow
def test_induction_gives_the_same_ctis_on_one_core_as_on_several(monkeypatch):
    """The questions of an induction round run on every core; what comes back
    must not depend on how many there are (each is copied into a fresh
    context either way)."""
    model = build_model(load_text((ROOT / "specs/proofs/sync_lemmas.cap").read_text(),
                                  str(ROOT / "specs/proofs/sync_lemmas.cap")))
    weaker = _without(model, "agree_up_to_acked")

    def run(cores):
        monkeypatch.setattr(Z, "workers", lambda: cores)
        z = check_z3(weaker, max_depth=2, timeout=120)
        return [(m.name, m.verdict, None if m.cti is None else (m.cti.initial_raw, [(s.action, s.raw) for s in m.cti.steps]))
                for m in [*z.properties, *z.lemmas]]

    one, three = run(1), run(3)
    assert one == three
    assert any(cti is not None for _, _, cti in one)


@pytest.mark.slow
def test_a_run_does_not_depend_on_what_ran_before_it_in_the_process():
    """Each translation has a Z3 context of its own; in a shared one, Z3's
    choices (which depend on the terms' ids) changed with the runs before."""
    async_model = build_model(load_text((ROOT / "specs/async.cap").read_text(), str(ROOT / "specs/async.cap")))
    sync_model = build_model(load_text((ROOT / "specs/sync.cap").read_text(), str(ROOT / "specs/sync.cap")))

    def counterexamples():
        z = check_z3(async_model, max_depth=4, timeout=120)
        return [(p.name, p.verdict, None if p.trace is None else [(s.action, s.raw) for s in p.trace.steps])
                for p in z.properties]

    first = counterexamples()
    check_z3(sync_model, max_depth=3, timeout=120)  # other terms, other ids, in between
    assert counterexamples() == first
    assert any(trace for _, _, trace in first)


@pytest.mark.slow
def test_the_same_lemmas_prove_seven_nodes_and_six_writes():
    from capmodel.syntax.load import load_spec

    import dataclasses

    # without the reachable conditions: BMC searches, not part of the proof
    model = dataclasses.replace(build_model(load_spec(str(ROOT / "bench/specs/sync_n7_w6.cap"))), reachables=[])
    assert len(model.lemmas) == 9 and sum(1 for v in model.variables if v.name.startswith("log[")) == 7
    z = check_z3(model, timeout=600)
    assert [p.verdict for p in z.properties] == [PROVED]
    assert z.bmc_depth == -1  # induction alone: no bounded search


def test_infer_proves_with_a_checked_invariant_whose_parts_are_true_lemmas(tmp_path):
    run = subprocess.run([sys.executable, "-m", "capmodel", "infer", "specs/cp.cap", "-p", "no_stale_read"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no_stale_read: PROVED by Spacer" in run.stdout and "checked independently" in run.stdout
    suggested = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("lemma spacer_")]
    assert suggested
    # the suggestions are spec text: added to the spec, every engine finds them true
    text = (ROOT / "specs/cp.cap").read_text()
    spec = tmp_path / "cp_with_lemmas.cap"
    spec.write_text(text[:text.rindex("}")] + "\n".join(f"  {s}" for s in suggested) + "\n}\n")
    from capmodel.syntax.load import load_spec

    model = build_model(load_spec(str(spec)))
    assert len(model.lemmas) == len(suggested)
    assert all(p.verdict == HOLDS for p in check_lemmas_explicit(model, model.lemmas))


@pytest.mark.slow
def test_infer_never_proves_a_violated_property():
    run = subprocess.run([sys.executable, "-m", "capmodel", "infer", "specs/async.cap", "-p",
                          "no_acked_write_lost", "--timeout", "20"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode in (1, 3), run.stdout  # violated, or out of time: never 0
    assert "PROVED" not in run.stdout
