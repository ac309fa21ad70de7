"""Generated lemmas said once for every node, write or read (engines/lemma_forall.py),
and the candidates true of every value, left out before Houdini (invgen.always_true)."""
from __future__ import annotations

from pathlib import Path

from capmodel.engines import invgen, lemma_forall
from capmodel.engines.invgen import Candidate
from capmodel.ir import expr as X
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_text

ROOT = Path(__file__).resolve().parent.parent
KINDS = {"nodes": ["master", "slave1", "slave2"], "writes": ["w1", "w2"], "reads": ["r1"]}


def test_the_same_fact_of_every_node_is_one_forall_and_the_rest_stay():
    texts = ["not master.is_fenced", "w1.issued", "not slave1.is_fenced", "not slave2.is_fenced"]
    assert lemma_forall.group(texts, KINDS) == [([0, 2, 3], "forall n in nodes: (not n.is_fenced)"),
                                                ([1], "w1.issued")]


def test_a_fact_of_some_nodes_only_is_not_said_of_all():
    texts = ["master.is_master implies (master.source != slave1)",
             "slave2.is_master implies (slave2.source != slave1)"]  # slave1's own would be false
    assert lemma_forall.group(texts, KINDS) == [([0], texts[0]), ([1], texts[1])]


def test_an_element_named_in_some_of_its_places_only():
    """`slave1.source == slave1` is `x.source == slave1` of slave1: the hole need not take every place."""
    texts = ["master.source == slave1", "slave1.source == slave1", "slave2.source == slave1"]
    assert lemma_forall.one_body(texts, KINDS) == ("nodes", "n", "n.source == slave1")


def test_the_bound_name_is_one_the_texts_do_not_use():
    texts = ["master.has(w1) and n", "slave1.has(w1) and n", "slave2.has(w1) and n"]
    assert lemma_forall.group(texts, KINDS)[0][1] == "forall m in nodes: (m.has(w1) and n)"


def test_a_count_needs_exactly_one_text_per_element():
    assert lemma_forall.one_body(["master.up", "slave1.up"], KINDS) is None
    assert lemma_forall.one_body(["master.up", "slave1.up", "slave1.up"], KINDS) is None
    assert lemma_forall.one_body(["w1.acked", "w2.acked"], KINDS) == ("writes", "w", "w.acked")


SPEC = """system s {
  nodes master, slave
  leader master
  replication async
  reads master_only
  failover none
  faults { crashes 1 }
  workload { writes 1  reads 0 }
}
"""


def test_candidates_true_of_every_value_are_found_and_others_are_not():
    model = build_model(load_text(SPEC, str(ROOT / "specs" / "s.cap")))
    up = X.var(model.index_of("up[master]"))
    role = X.var(model.index_of("role[slave]"))
    candidates = [Candidate(X.or_(X.ne(up, X.const(0)), X.ne(up, X.const(1))), ("t",)),  # always true
                  Candidate(X.eq(up, X.const(1)), ("u",)),  # false where master is down
                  Candidate(X.or_(X.eq(role, X.const(0)), X.eq(role, X.const(1)), X.eq(role, X.const(2))), ("r",)),
                  Candidate(X.or_(X.eq(role, X.const(0)), X.eq(role, X.const(1))), ("f",))]  # not fenced
    assert invgen.always_true(model, candidates) == {0, 2}


def test_a_count_over_nodes_writes_and_one_more_is_said_as_a_sum_that_means_the_same():
    """Raft's `at least k of: term, n1.term, .., w2.term are 0` (a count vocabulary()
    makes over one value of every term) was its k-subsets written out; it is a
    sum of counts and the one term by cases, and pasted into the spec it
    compiles to the same condition (Z3 finds no state within the domains where
    they differ), for every k."""
    import z3

    from capmodel.engines import z3_lemmas
    from capmodel.engines import z3_translate as Z

    text = (ROOT / "specs/textbook/raft_majority.cap").read_text()
    model = build_model(load_text(text, "raft_majority.cap"))
    index = {v.name: i for i, v in enumerate(model.variables)}
    names = ["term", "term[n1]", "term[n2]", "term[n3]", "term[w1]", "term[w2]"]
    atoms = [X.eq(X.var(index[n]), X.const(0)) for n in names]
    tr = Z.translate(model)
    end = text.rindex("}")
    for k in range(1, len(atoms) + 1):
        e = X.le(X.const(k), X.sum_(atoms))
        assert invgen.counted(e) == (k, atoms)
        words = z3_lemmas._words(model, tr, e)
        assert "(count n in nodes: (n.term == 0)) + (count w in writes: (w.term == 0))" in words, words
        pasted = build_model(load_text(text[:end] + f"  lemma mixed: {words}\n" + text[end:], "pasted.cap"))
        tr2 = Z.translate(pasted)
        s = z3.Solver(ctx=tr2.ctx)
        s.add(tr2.domain, tr2.condition("pasted", pasted.lemmas[0].expr) != tr2.condition("count", e))
        assert s.check() == z3.unsat, (k, words)


def test_counts_leave_out_what_is_not_one_body_over_a_kind():
    texts = ["term == 0", "master.term == 0", "slave1.term == 0", "slave2.term == 0", "w1.term == 0"]
    assert lemma_forall.counts(texts, KINDS) == (["(count n in nodes: (n.term == 0))"], [0, 4])
