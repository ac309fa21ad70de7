"""invgen's third tier (issue 15): counts over a set whose bits stand for the
members of another family (engines/invgen_member_sets.py), and "a bit is in
X or in a place X takes it from" (engines/invgen_places.py). The atoms mean
what they say on every state of a spec, they only add candidates, they let
the leaderless specs' properties be PROVED without a lemma written by hand,
and they never make a violated property PROVED.

Budgets are generous (the machine is shared): these tests are about
verdicts, never about time (bench/z3_generated.py measures that)."""
from __future__ import annotations

import pytest

from capmodel.engines import explicit, invgen
from capmodel.engines import invgen_places
from capmodel.engines.result import HOLDS, VIOLATED
from capmodel.engines.z3_engine import PROVED, check_z3
from capmodel.ir import expr as X
from capmodel.ir.cone import variables_read
from capmodel.ir.pycompile import compile_predicate
from test_z3_generated import BUDGET, assert_violated_stay_violated, bare, model_of  # the same specs and budget


def third_tier(model):
    return invgen.all_tiers(model)[2]


def test_a_read_count_pairs_each_bit_of_its_replies_with_that_replica():
    """The steps pair bit j of `replied[r1]` with node j's version: the count
    `at least k nodes n holding w1, which r1 has not heard from or whose
    version it has folded in` has, on every state of a capped sample, the
    value counted directly (one write and no clock skew: `seen < value[n]`
    is `seen is empty and value[n] holds w1`)."""
    model = model_of("specs/systems/cassandra_quorum.cap")
    names = [v.name for v in model.variables]
    at = {n: names.index(n) for n in names}
    nodes = [n[len("value["):-1] for n in names if n.startswith("value[")]
    states, _ = invgen.explore(model, max_states=5_000)
    wanted = {}
    for a in third_tier(model):
        k, summands = invgen.counted(a)
        read = [sorted(names[i] for i in variables_read(s, set())) for s in summands]
        holding = [X.has_bit(X.var(at[f"value[{n}]"]), 0) for n in nodes]
        if (all(s.op == "and" and s.args[0] == h for s, h in zip(summands, holding))
                and read == [sorted({"replied[r1]", "seen[r1]", f"value[{n}]"}) for n in nodes]
                and all(x.op == "or" and X.not_(x.args[1]).op == "lt" for x in (s.args[1] for s in summands))):
            wanted[k] = a
    assert sorted(wanted) == [1, 2, 3]
    for k, atom in wanted.items():
        test = compile_predicate(atom)
        for s in states:
            seen = s[at["seen[r1]"]]
            direct = sum(1 for j, n in enumerate(nodes) if s[at[f"value[{n}]"]] == 1
                         and (not s[at["replied[r1]"]] >> j & 1 or seen == 1))
            assert test(s) == (direct >= k), (k, s)


def test_a_replicas_version_has_its_hints_and_the_mutation_in_flight_as_places():
    """cassandra_any: n1 gets w1 from a hint another node keeps for it, or
    from the coordinator's mutation in flight to it (bit 0 of in_flight[w1]),
    both read off the steps; nothing else (a read's `seen` copies the
    versions, but no message brings a write to it)."""
    model = model_of("specs/systems/cassandra_any.cap")
    names = [v.name for v in model.variables]

    def bit(name, j):
        return X.has_bit(X.var(names.index(name)), j)

    places = [invgen.counted(a)[1] for a in invgen_places.places_vocabulary(model, invgen._masks(model))]
    mine = [p for p in places if bit("value[n1]", 0) in p]
    assert len(mine) == 1
    assert set(mine[0]) == {bit("value[n1]", 0), bit("in_flight[w1]", 0), bit("hint[n2->n1]", 0),
                            bit("hint[n3->n1]", 0)}


def test_copies_alone_make_no_places():
    """sync.cap's logs and reads only copy from one another (no message carries
    a write to them): no places atom, and so no third tier at all."""
    assert third_tier(model_of("specs/sync.cap")) == []


@pytest.mark.parametrize("path", ["specs/systems/cassandra_quorum.cap", "specs/systems/cassandra_any.cap"])
def test_the_third_tier_only_adds_candidates(path, monkeypatch):
    """Every candidate made without the third tier is still made with it: the
    clauses of the first two tiers are what they were, so Houdini's largest
    inductive subset only grows."""
    model = model_of(path)
    states, _ = invgen.explore(model, max_states=5_000)
    assert third_tier(model)
    with_sets = {c.expr for c in invgen.generate(model, states)}
    monkeypatch.setattr(invgen, "member_set_vocabulary", lambda *_a, **_k: [])
    monkeypatch.setattr(invgen, "places_vocabulary", lambda *_a, **_k: [])
    monkeypatch.setattr(invgen, "owner_pairs", lambda *_a, **_k: [])
    assert not third_tier(model)
    without = {c.expr for c in invgen.generate(model, states)}
    assert without < with_sets


# One property proved by each template family: a count over a read's replies
# (cassandra_quorum), places (cassandra_any). The three proofs of the
# read-repair specs take 8-11 s of CPU each: bench/z3_generated.py measures them.
@pytest.mark.slow  # 5 s each
@pytest.mark.parametrize("path, prop", [
    ("specs/systems/cassandra_quorum.cap", "no_stale_read"),
    ("specs/systems/cassandra_any.cap", "converges"),
])
def test_the_leaderless_properties_are_proved_with_generated_lemmas(path, prop):
    model = bare(model_of(path))
    assert not model.lemmas
    e = explicit.check(model, stop_when_decided=False)
    assert {p.name: p.verdict for p in e.properties}[prop] == HOLDS
    z = check_z3(model, properties=[prop], max_depth=1, generate=BUDGET)
    assert [p.verdict for p in z.properties] == [PROVED]
    assert z.generated


@pytest.mark.slow  # 5-10 s each
@pytest.mark.parametrize("path", ["specs/systems/cassandra_any.cap", "specs/systems/cassandra_read_repair_none.cap"])
@pytest.mark.parametrize("sample", [2])  # the tiniest sample lets the most false candidates through
def test_the_third_tier_never_makes_a_violated_property_proved(path, sample, monkeypatch):
    """Soundness, as tests/test_z3_generated.py checks it for specs/: with a
    tiny sample the violated property and many false candidates over the new
    atoms join the candidates; Houdini and the final check must stop them."""
    model = bare(model_of(path))
    e = explicit.check(model, stop_when_decided=False)
    depth = max(len(p.trace.steps) for p in e.properties if p.verdict == VIOLATED)  # BMC reaches each one
    assert_violated_stay_violated(model, e, sample, depth, monkeypatch)
