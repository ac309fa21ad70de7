"""Lemmas from a smaller instance of the same spec (semantics/smaller.py,
engines/invgen_small.py, z3_lemmas._via_smaller): the small proof only
proposes candidates, renamed into the full model; Z3 at the full size decides.

Budgets are work budgets, generous: these tests are about verdicts, never time."""
from __future__ import annotations

import pytest

from capmodel.engines import invgen
from capmodel.engines import z3_translate as Z
from capmodel.engines.budget import Deadline
from capmodel.engines.invgen import Candidate
from capmodel.engines.invgen_small import Renamer, instances, orbits
from capmodel.engines.z3_engine import GENERATE_WORK, PROVED, check_z3
from capmodel.engines.z3_lemmas import _prove, generate_lemmas, smaller_candidates
from capmodel.ir import expr as X
from capmodel.ir.pycompile import compile_predicate
from capmodel.semantics import smaller
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_text

BUDGET = GENERATE_WORK.scaled(4)

# 4 nodes, 3 writes; its smaller instance has 3 nodes and 2 writes
SYNC4 = """system sync4 {
  nodes master, s1, s2, s3
  leader master
  replication sync
  reads master_only
  failover none
  faults { crashes 1 }
  workload { writes 3  reads 0 }
  check no_acked_write_lost
}
"""


@pytest.fixture(autouse=True)
def two_writes(monkeypatch):
    """The smaller instance with 3 nodes and 2 writes (the default has 3 writes,
    as many as SYNC4 has): these tests rename writes too, and stay quick."""
    monkeypatch.setattr(smaller, "SMALL_WRITES", 2)


def model():
    return build_model(load_text(SYNC4, "sync4.cap"))


def reachable(m):
    states, complete = invgen.explore(m, 1_000_000)
    assert complete
    return states


def test_the_smaller_instance_keeps_the_leader_and_derives_the_acks():
    m = model()
    small = m.smaller()
    names = [v.name for v in small.variables]
    assert "up[master]" in names and "up[s2]" in names and "up[s3]" not in names
    assert "status[w2]" in names and "status[w3]" not in names
    # sync: every follower acks, so 2 acks at 3 nodes: a write is acknowledged there
    assert any(s[small.index_of("status[w1]")] == 2 for s in reachable(small))


def test_renaming_maps_variables_and_the_values_that_name_elements():
    m = model()
    small = m.smaller()
    r = Renamer(small, m)
    phi = {"s1": "s3", "s2": "s1", "w1": "w2", "w2": "w3"}
    # source[s1] == s2  ->  source[s3] == s1
    src = X.eq(X.var(small.index_of("source[s1]")), X.const(2))
    assert r.rename(src, phi) == X.eq(X.var(m.index_of("source[s3]")), X.const(1))
    # s1 holds w2 (bit 1 of its log)  ->  s3 holds w3 (bit 2)
    held = X.has_bit(X.var(small.index_of("log[s1]")), 1)
    assert r.rename(held, phi) == X.has_bit(X.var(m.index_of("log[s3]")), 2)
    assert r.mentions(src) == {"s1", "s2"} and r.mentions(held) == {"s1", "w2"}


def test_every_renaming_of_a_candidate_once():
    m = model()
    small = m.smaller()
    held = Candidate(X.has_bit(X.var(small.index_of("log[s1]")), 1), ("unit", "x"))
    out = [c for c, _ in instances(small, m, [held], [("s1", "s2")])]
    # s1 -> any of the 3 followers, w2 -> any of the 3 writes
    assert len(out) == 9 and len({c.expr for c in out}) == 9


def test_lemmas_from_the_smaller_instance_prove_the_full_one_and_read_back():
    m = model()
    tr = Z.translate(m)
    # a sample cut at 100 states is not complete: the smaller instance is asked first
    g = generate_lemmas(m, tr, m.invariants, Deadline(None, work=BUDGET), facts=[tr.domain], max_states=100,
                        smaller=True)
    assert g.smaller is not None and g.lemmas and g.provable == 1
    states = reachable(m)
    for lemma in g.lemmas:  # true at the full size (the full-size Houdini kept them)
        assert all(map(compile_predicate(lemma.expr), states))
    # checked again as a user's lemmas are, base case and step: the property PROVED
    res = check_z3(m, lemmas=g.lemmas, max_depth=1)
    assert [p.verdict for p in res.properties] == [PROVED]
    assert all(lem.verdict == PROVED for lem in res.lemmas)
    # those with a wording (a test of two logs at once has none) read back as lemma lines
    said = {name: text for name, text in g.texts.items() if text is not None}
    assert said
    lines = "".join(f"  lemma {name}: {text}\n" for name, text in said.items())
    spec = build_model(load_text(SYNC4.rstrip().removesuffix("}") + lines + "}\n", "sync4_lemmas.cap"))
    by_name = {c.name: c.expr for c in g.lemmas}
    for lemma in spec.lemmas:  # the same condition, read back from its text
        assert all(compile_predicate(lemma.expr)(s) == compile_predicate(by_name[lemma.name])(s) for s in states)


def test_a_renamed_candidate_false_at_the_full_size_is_dropped_by_the_full_size_check():
    m = model()
    small = m.smaller()
    tr = Z.translate(m)
    # "master's log holds at most 2 writes": true of every state with 2 writes,
    # renamed (a number stays a number) false with 3
    short = Candidate(X.le(X.popcount(X.var(small.index_of("log[master]"))), X.const(2)), ("unit", "short"))
    assert all(map(compile_predicate(short.expr), reachable(small)))
    pairs, _ = smaller_candidates(m, m.invariants, Deadline(None, work=BUDGET))
    renamed = [c for c, _ in instances(small, m, [short], []) + pairs]
    assert not all(map(compile_predicate(renamed[0].expr), reachable(m)))
    found = _prove(m, tr, renamed, m.invariants, "test", Deadline(None, work=BUDGET), Z.DEFAULT_LOGIC,
                   [tr.domain], lambda _m: None, block=False)
    kept, provable, needed = found
    assert provable == 1  # the property is proved at the full size ...
    assert 0 not in needed and kept < len(renamed)  # ... without the false candidate, which Houdini dropped


def test_an_orbit_is_the_conjunction_of_its_renamings_and_is_dropped_whole():
    m = model()
    small = m.smaller()
    held = Candidate(X.has_bit(X.var(small.index_of("log[s1]")), 1), ("unit", "x"))
    pairs = instances(small, m, [held], [("s1", "s2")])
    groups = orbits(pairs)
    # one orbit per image of w2: the three followers that hold it, together
    assert len(groups) == 3 and all(g.expr.op == "and" and len(g.expr.args) == 3 for g in groups)
    assert len(orbits(pairs, {pairs[0][1]})) == 2


def test_no_smaller_instance_where_it_would_not_be_smaller():
    assert smaller.smaller_config(load_text(SYNC4, "sync4.cap"), nodes=4, writes=3) is None
    # a node a condition names is kept: here s3, so s1 is left out of 3 nodes
    named = SYNC4.replace("check no_acked_write_lost", "check no_acked_write_lost\n  reachable s3_up: s3.up")
    small = smaller.smaller_config(load_text(named, "named.cap"), nodes=3, writes=2)
    assert small.nodes == ("master", "s1", "s3") and small.writes == 2
    assert small.acks_needed == 2  # sync: every follower of the 3 nodes
