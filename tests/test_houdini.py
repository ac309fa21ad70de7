"""Houdini (engines/induction.houdini) as the generated lemmas use it: the
largest inductive subset of the candidates is unique, so the batched loop,
with or without the states explored from each counterexample to induction
(z3_lemmas.breaks_near), must keep exactly what the plain loop keeps (one
solver query per candidate, drop what breaks, ask again)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from capmodel.engines import invgen
from capmodel.engines import z3_translate as Z
from capmodel.engines.budget import Deadline
from capmodel.engines.induction import at_all, houdini
from capmodel.engines.z3_lemmas import breaks_near
from capmodel.ir.pycompile import compile_successors
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_text

ROOT = Path(__file__).resolve().parent.parent


def setting(path: str, sample: int):
    """The model, its translation, the domains as a fact, and the candidates
    (and properties) filtered on a breadth-first sample of `sample` states: a
    small sample leaves many candidates that are not inductive."""
    model = build_model(load_text((ROOT / path).read_text(), str(ROOT / path)))
    model = dataclasses.replace(model, reachables=[])
    tr = Z.translate(model)
    states, _ = invgen.explore(model, sample)
    exprs = [c.expr for c in invgen.generate(model, states)] + [c.expr for c in model.invariants]
    goods = [tr.translator.as_bool(e, f"candidate {i}") for i, e in enumerate(exprs)]
    return model, tr, [tr.domain], exprs, goods


def one_by_one(tr, goods, facts) -> list[int]:
    """The textbook loop: for each candidate left, can a step from a state
    satisfying all of them break it? Drop those that can; again until none.
    (One solver per round, each candidate's question between push and pop: a
    fresh solver per question took 16 s on cp.cap.)"""
    cur, nxt = tr.step_vars(0, "ref_"), tr.step_vars(1, "ref_")
    active = list(range(len(goods)))
    while True:
        s = tr.solver()
        s.add(tr.step(cur, nxt), *[tr.at(f, cur) for f in facts], *[tr.at(goods[j], cur) for j in active])
        broken = []
        for i in active:
            s.push()
            s.add(Z.Not(tr.at(goods[i], nxt)))
            answer = s.check()
            s.pop()
            assert answer != Z.UNKNOWN
            if answer == Z.SAT:
                broken.append(i)
        if not broken:
            return active
        active = [i for i in active if i not in broken]


@pytest.mark.parametrize("path, sample", [("specs/cp.cap", 30), ("specs/ap.cap", 30),
                                          ("specs/split_brain_fenced.cap", 60)])
def test_batched_houdini_keeps_what_the_one_by_one_loop_keeps(path, sample):
    model, tr, facts, exprs, goods = setting(path, sample)
    expected = one_by_one(tr, goods, facts)
    assert 0 < len(expected) < len(goods)  # something is dropped, something kept: the comparison says something
    plain = houdini(tr, goods, Deadline(None), facts=facts)
    near = houdini(tr, goods, Deadline(None), facts=facts,
                   more_broken=breaks_near(compile_successors(model), invgen.failing_test(exprs), Deadline(None)))
    assert plain == expected
    assert near == expected


@pytest.mark.parametrize("path", ["specs/cp.cap", "specs/split_brain_fenced.cap"])
def test_houdini_with_a_settled_subset_keeps_what_it_keeps_without(path):
    """The inductive set of a subset of the candidates (a first stage's) is
    passed as settled: assumed, never asked. Houdini over all of them keeps
    the same as without it."""
    model, tr, facts, exprs, goods = setting(path, 30)
    expected = houdini(tr, goods, Deadline(None), facts=facts)
    half = list(range(0, len(goods), 2))
    first = houdini(tr, [goods[i] for i in half], Deadline(None), facts=facts)
    settled = [half[k] for k in first]
    assert settled and set(settled) < set(expected)
    assert houdini(tr, goods, Deadline(None), facts=facts, settled=settled) == expected


@pytest.mark.parametrize("path, sample", [("specs/sync.cap", 300), ("specs/split_brain_fenced.cap", 60)])
def test_dropping_a_candidates_images_with_it_keeps_what_houdini_keeps_without(path, sample):
    """With interchangeable followers, a step that breaks a candidate has a
    mirror step that breaks each of its images (ir/symmetry), so Houdini drops
    them together: the same set is kept as when Z3 finds each mirror step."""
    from capmodel.ir.symmetry import find_symmetry

    model, tr, facts, exprs, goods = setting(path, sample)
    mirrors = find_symmetry(model, model.invariants).mirrors(model, exprs)
    assert sum(map(len, mirrors)) > len(exprs) // 4  # many candidates have images among them
    expected = houdini(tr, goods, Deadline(None), facts=facts)
    assert 0 < len(expected) < len(goods)
    assert houdini(tr, goods, Deadline(None), facts=facts, mirrors=mirrors) == expected


def test_states_near_a_counterexample_to_induction_break_only_what_they_falsify():
    model, tr, facts, exprs, goods = setting("specs/cp.cap", 30)
    successors = compile_successors(model)
    failing = invgen.failing_test(exprs)
    # a state from far outside the sample: every variable at its last value
    start = tuple(v.size - 1 for v in model.variables)
    more = breaks_near(successors, failing, Deadline(None), limit=50)
    broken = more(start, set(range(len(exprs))))
    assert broken
    # each index returned is false in some state reachable from start
    seen, frontier = {start}, [start]
    while frontier:
        frontier = [t for s in frontier for _, t in successors(s) if t not in seen and not seen.add(t)]
    assert broken <= set().union(*map(failing, seen))
    # a state is explored once per run: asked again, the same start adds nothing
    assert more(start, set(range(len(exprs)))) == set()


def test_one_substitution_for_all_candidates_gives_what_one_each_gives():
    model, tr, facts, exprs, goods = setting("specs/sync.cap", 500)
    cur = tr.step_vars(0, "t_")
    together = at_all(tr, goods, cur)
    assert len(together) == len(goods) > 100
    assert all(a.eq(tr.at(g, cur)) for a, g in zip(together, goods))


def test_truth_tables_kept_from_the_first_stage_give_the_second_the_same_candidates():
    model = build_model(load_text((ROOT / "specs/semisync.cap").read_text(), str(ROOT / "specs/semisync.cap")))
    states, _ = invgen.explore(model, 3000)
    tables: dict = {}
    first = invgen.generate(model, states, sayable=lambda atom: atom.op != "le", tables=tables)
    kept = len(tables)
    second = invgen.generate(model, states, tables=tables)
    assert 0 < kept < len(tables)  # the first stage filled some, the second added its own
    assert first != second and second == invgen.generate(model, states)
