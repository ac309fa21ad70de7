"""z3_eval: a Z3 term evaluated in Python gives Z3's own value (the lemma
renderer words generated lemmas by it, instead of asking Z3 per valuation)."""
from __future__ import annotations

import itertools
import random

import pytest
import z3

from capmodel.engines import invgen, z3_eval
from capmodel.engines import z3_translate as Z
from capmodel.engines.z3_chc import lemma_renderer
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec

from helpers import ROOT


def z3_value(t, s, state):
    r = z3.simplify(z3.substitute(t, *[(x, z3.BitVecVal(v, x.size(), x.ctx)) for x, v in zip(s, state)]))
    return z3.is_true(r) if z3.is_bool(r) else r.as_long()


@pytest.mark.parametrize("spec", ["specs/semisync.cap", "specs/textbook/raft_majority.cap",
                                  "specs/systems/cassandra_quorum.cap"])
def test_every_atom_and_guard_has_z3s_value_on_reachable_states(spec):
    """The vocabulary of generated lemmas (counts, bits of sets, tests of
    roles and terms) and the guards, on reachable states: Python's value is
    Z3's, term by term."""
    model = build_model(load_spec(ROOT / spec))
    tr = Z.translate(model)
    index = {x.get_id(): i for i, x in enumerate(tr.s)}
    states, _ = invgen.explore(model, 2_000)
    states = random.Random(7).sample(states, 6)
    exprs = invgen.vocabulary(model) + [inst.guard for inst in model.instances()]
    compiled = 0
    for e in exprs[::3]:
        t = tr.translator.as_bool(e, "atom")
        run = z3_eval.compile_term(t, index)
        if run is None:
            continue
        compiled += 1
        for state in states:
            assert run(dict(enumerate(state))) == z3_value(t, tr.s, state), (e, state)
    assert compiled > len(exprs[::3]) * 0.9  # the translation's operators all have rules


def test_bit_vector_operators_wrap_and_sign_as_z3_does():
    x, y = z3.BitVec("x", 4), z3.BitVec("y", 4)
    terms = [x + y == 3, x - y == 15, z3.ULE(x, y), x < y, x <= y, z3.Extract(2, 1, x) == 2,
             z3.Concat(x, y) == 0x1F, z3.SignExt(2, x) == 0x3E, z3.ZeroExt(3, y) == 9, ~x == 7,
             (x & y) | (x ^ y) == 6, z3.If(x > y, x, y) == 5, z3.Distinct(x, y, 3), x * y == 6,
             z3.Implies(x == 1, y == 2), z3.Xor(x == 1, y == 2), x > y, x >= y, z3.UGT(x, y), z3.UGE(x, y)]
    index = {x.get_id(): 0, y.get_id(): 1}
    for t in terms:
        run = z3_eval.compile_term(t, index)
        assert run is not None, t
        for a, b in itertools.product(range(16), repeat=2):
            assert run({0: a, 1: b}) == z3_value(t, [x, y], (a, b)), (t, a, b)


def test_an_operator_without_a_rule_is_left_to_z3():
    x = z3.BitVec("x", 4)
    assert z3_eval.compile_term(z3.UDiv(x, 2) == 3, {x.get_id(): 0}) is None


def test_the_renderer_words_a_lemma_the_same_through_either_path(monkeypatch):
    """What the closures give, the renderer words exactly as it did by asking Z3."""
    model = build_model(load_spec(ROOT / "specs/semisync.cap"))
    tr = Z.translate(model)
    terms = [tr.translator.as_bool(c.expr, "candidate")
             for c in invgen.generate(model, invgen.explore(model, 2_000)[0])[::7]]
    fast = [lemma_renderer(model, tr.s)(t) for t in terms]
    monkeypatch.setattr(z3_eval, "compile_term", lambda t, index: None)
    slow = [lemma_renderer(model, tr.s)(t) for t in terms]
    assert fast == slow
    assert sum(w is not None for w in fast) >= 20  # many have a wording: the closures were used
