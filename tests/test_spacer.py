"""Spacer (CHC) invariant inference: what it proves is re-checked here, by
the module's own checker and by every reachable state of the explicit
search; the lemma suggestions in the spec language are compiled back by the
spec compiler and compared with the conjunct they render."""
from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path

import pytest
import z3
from z3.z3util import get_vars

from capmodel.engines.z3_chc import (CHECK_FAILED, PROVED, UNKNOWN, VIOLATED, check_invariant,
                                     format_suggestions, render_lemma, spacer_prove)
from capmodel.engines.z3_translate import translate
from capmodel.ir.pycompile import compile_successors
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec, load_text

ROOT = Path(__file__).resolve().parent.parent
# Seconds per property. These take 2-5 s of CPU; the budget is far above that
# so that the verdicts do not depend on the machine's load: 30 s ran out at load
# 12 on 2 cores (async.cap's no_acked_write_lost: "Spacer gave up: timeout", and
# split_brain_fenced's suggestions left undecided). The budget's own behaviour is
# test_a_tiny_budget_gives_unknown_not_a_crash's.
BUDGET = 600.0

# properties that hold and that Spacer proves quickly
SMALL_PROOFS = [("cp.cap", "no_stale_read"), ("ap.cap", "read_availability"),
                ("async.cap", "write_availability"),
                pytest.param("split_brain_fenced.cap", "no_split_brain", marks=pytest.mark.slow)]


@lru_cache(maxsize=None)
def model(spec: str):
    return build_model(load_spec(str(ROOT / "specs" / spec)))


@lru_cache(maxsize=None)
def proof(spec: str, prop: str, api: str = "horn"):
    (r,) = spacer_prove(model(spec), [prop], timeout=BUDGET, api=api)
    return r


def reachable_states(m):
    successors = compile_successors(m)
    seen, todo = {m.initial_state}, [m.initial_state]
    while todo:
        for _, t in successors(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def into(f, tr):
    """f (from another translation: each has a Z3 context of its own) over
    tr's symbols, matched by name and width."""
    return f.translate(tr.ctx)


def holds_in(f, tr, state) -> bool:
    f = into(f, tr)
    pairs = [(x, z3.BitVecVal(v, x.size(), tr.ctx)) for x, v in zip(tr.s, state)]
    r = z3.simplify(z3.substitute(f, *pairs))
    assert z3.is_true(r) or z3.is_false(r), r
    return z3.is_true(r)


def holds_everywhere(f, tr, states) -> bool:
    """f in every state; evaluated once per distinct valuation of its variables
    (29,494 states of async.cap would take 20 s one by one)."""
    f = into(f, tr)
    names = {str(x) for x in get_vars(f)}
    used = [i for i, x in enumerate(tr.s) if str(x) in names]
    views = {tuple(st[i] for i in used) for st in states}
    for view in views:
        pairs = [(tr.s[i], z3.BitVecVal(v, tr.s[i].size(), tr.ctx)) for i, v in zip(used, view)]
        r = z3.simplify(z3.substitute(f, *pairs))
        assert z3.is_true(r) or z3.is_false(r), r
        if z3.is_false(r):
            return False
    return True


def good_of(m, prop):
    tr = translate(m)
    c = next(c for c in m.invariants if c.name == prop)
    return tr, tr.condition(c.name, c.expr)


@pytest.mark.parametrize("spec,prop", SMALL_PROOFS)
def test_proofs_pass_the_independent_check_and_cover_every_reachable_state(spec, prop):
    r = proof(spec, prop)
    assert r.verdict == PROVED, r.reason
    assert r.checked and r.invariant is not None
    m = model(spec)
    tr, good = good_of(m, prop)
    # the module's checker again, and a state-by-state check it cannot influence
    assert check_invariant(tr, into(r.invariant, tr), good, BUDGET) == (True, "")
    states = reachable_states(m)
    assert holds_everywhere(r.invariant, tr, states)
    # the conjuncts are the invariant: together they are as strong as it
    parts = [into(sug.formula, tr) for sug in r.suggestions]
    whole = z3.And(*parts) if parts else z3.BoolVal(True, tr.ctx)
    s = z3.Solver(ctx=tr.ctx)
    s.add(tr.domain, whole != into(r.invariant, tr))
    assert s.check() == z3.unsat
    for sug in r.suggestions:
        assert sug.holds_initially and holds_in(sug.formula, tr, m.initial_state)
    # the conjuncts marked needed are an inductive invariant that implies the property
    needed = [into(sug.formula, tr) for sug in r.suggestions if sug.needed]
    core = z3.And(*needed) if needed else z3.BoolVal(True, tr.ctx)
    assert check_invariant(tr, core, good, BUDGET) == (True, "")


def test_the_fixedpoint_api_proves_and_checks_too():
    r = proof("cp.cap", "no_stale_read", "fixedpoint")
    assert r.verdict == PROVED and r.checked, r.reason
    tr, good = good_of(model("cp.cap"), "no_stale_read")
    assert holds_everywhere(r.invariant, tr, reachable_states(model("cp.cap")))


@pytest.mark.slow  # 2-4 s: out of make test-quick (under a minute), in make test
def test_violated_properties_are_never_proved():
    for spec, prop in [("async.cap", "no_acked_write_lost"), ("cp.cap", "read_availability")]:
        r = proof(spec, prop)
        assert r.verdict == VIOLATED, (spec, prop, r.verdict, r.reason)
        assert not r.checked and r.invariant is None and not r.suggestions
        assert "VIOLATED" in format_suggestions(r)


def test_the_checker_rejects_wrong_invariants():
    m = model("cp.cap")
    tr, good = good_of(m, "no_stale_read")
    ok, why = check_invariant(tr, z3.BoolVal(True, tr.ctx), good, BUDGET)  # inductive, but says nothing
    assert ok is False and "imply the property" in why
    ok, why = check_invariant(tr, z3.BoolVal(False, tr.ctx), good, BUDGET)  # implies everything, excludes the start
    assert ok is False and "initial state" in why
    # the property alone holds initially and implies itself, but is not inductive (docs/z3.md)
    ok, why = check_invariant(tr, good, good, BUDGET)
    assert ok is False and "not inductive" in why
    # Spacer's invariant without one of the conjuncts it needs
    r = proof("cp.cap", "no_stale_read")
    needed = [k for k, sug in enumerate(r.suggestions) if sug.needed]
    assert needed
    for k in needed:
        weaker = z3.And(*[into(sug.formula, tr) for j, sug in enumerate(r.suggestions) if j != k], tr.ctx)
        assert check_invariant(tr, weaker, good, BUDGET)[0] is False


def test_a_tiny_budget_gives_unknown_not_a_crash():
    m = model("sync.cap")
    for api in ("horn", "fixedpoint"):
        (r,) = spacer_prove(m, ["no_acked_write_lost"], timeout=0.01, api=api)
        assert r.verdict == UNKNOWN and not r.checked and r.reason
        assert r.verdict in format_suggestions(r).lower()


def test_unknown_property_names_are_refused():
    with pytest.raises(ValueError, match="no_such_property"):
        spacer_prove(model("cp.cap"), ["no_such_property"])


CP_SOURCE = (ROOT / "specs" / "cp.cap").read_text()


def with_lemma(source: str, line: str):
    head, _, _ = source.rpartition("}")
    return build_model(load_text(head + f"  {line}\n}}\n", file=str(ROOT / "specs" / "x.cap")))


@pytest.mark.parametrize("spec,prop", [("cp.cap", "no_stale_read"), ("async.cap", "write_availability")])
def test_lemmas_in_the_spec_language_mean_their_conjunct(spec, prop):
    r = proof(spec, prop)
    rendered = [sug for sug in r.suggestions if sug.lemma is not None]
    assert rendered, format_suggestions(r)
    source = (ROOT / "specs" / spec).read_text()
    for k, sug in enumerate(rendered):
        m2 = with_lemma(source, f"lemma spacer_{k}: {sug.lemma}")
        tr2 = translate(m2)
        lem = tr2.condition("l", m2.lemmas[0].expr)
        s = z3.Solver(ctx=tr2.ctx)
        s.add(tr2.domain, lem != into(sug.formula, tr2))  # the same symbols: names and widths
        assert s.check() == z3.unsat, (sug.text, sug.lemma)
    assert "lemma spacer_" in format_suggestions(r)


def test_a_wrong_lemma_does_not_make_a_property_violated():
    m2 = with_lemma(CP_SOURCE, "lemma never_cut: not partitioned")
    (r,) = spacer_prove(m2, ["no_stale_read"], timeout=BUDGET, lemmas=m2.lemmas)
    assert r.verdict == PROVED and r.checked
    assert "lemma" in r.reason
    m3 = with_lemma(CP_SOURCE, "lemma master_stays: master.is_master")
    (r,) = spacer_prove(m3, ["no_stale_read"], timeout=BUDGET, lemmas=m3.lemmas)
    assert r.verdict == PROVED and r.checked and not r.reason
    tr, _ = good_of(m3, "no_stale_read")
    lem = tr.condition("l", m3.lemmas[0].expr)
    s = z3.Solver(ctx=tr.ctx)  # proved together with the property: the invariant implies the lemma
    s.add(tr.domain, into(r.invariant, tr), z3.Not(lem))
    assert s.check() == z3.unsat


def test_check_failed_is_reported_not_proved(monkeypatch):
    from capmodel.engines import z3_chc
    monkeypatch.setattr(z3_chc, "_spacer", lambda tr, good, budget, api: (PROVED, z3.BoolVal(True, tr.ctx), ""))
    (r,) = spacer_prove(model("cp.cap"), ["no_stale_read"], timeout=BUDGET)
    assert r.verdict == CHECK_FAILED and not r.checked and "imply the property" in r.reason
    assert "PROVED" not in format_suggestions(r)


RICH = """system rich {
  nodes a, b, c
  replication semi_sync 1
  reads any_node
  failover promote_most_up_to_date fencing
  faults { crashes 1  partitions 1 }
  workload { writes 2  reads 1  clients 2 }
}
"""


# PostgreSQL's positions, after_sync's ack wait and Patroni's synchronous standbys
POSITIONS = """system positions {
  nodes p, s1, s2
  leader p
  replication sync
  standbys first 1 (s1)
  ack_after flushed
  visibility after_sync
  reads any_node
  failover promote_sync_standby
  faults { crashes 1  partitions 1 }
  workload { writes 2  reads 1 }
}
"""

# a leaderless system: versions, hints, the coordinator's sends, acks and replies
LEADERLESS = """system quorums {
  nodes n1, n2, n3
  replication leaderless
  write_consistency ANY
  read_consistency ONE
  hinted_handoff
  faults { partitions 1 with_clients }
  workload { writes 2  reads 1  clients 2 }
}
"""


# Raft: elections, and the no-op a leader appends in its term
ELECTIONS = """system elections {
  nodes n1, n2, n3
  replication quorum
  reads master_only
  failover elect
  faults { crashes 1  partitions 1 }
  workload { writes 2  reads 1 }
}
"""


def assert_compiles_to_itself(cases, source=RICH):
    """Each (formula, its wording) pasted into the spec (RICH) as a lemma is that formula again."""
    lines = "".join(f"  lemma l{k}: {text}\n" for k, (_, text) in enumerate(cases))
    m2 = build_model(load_text(source.rstrip().rstrip("}") + lines + "}\n", file=str(ROOT / "specs" / "rich.cap")))
    tr2 = translate(m2)
    for (f, text), lem in zip(cases, m2.lemmas):
        s = z3.Solver(ctx=tr2.ctx)
        s.add(tr2.domain, tr2.condition(lem.name, lem.expr) != (f(tr2) if callable(f) else into(f, tr2)))
        assert s.check() == z3.unsat, text


def rendered_value_sets(source):
    """(formula, wording) for each variable the renderer knows, with single
    values, complements and single bits of masks."""
    m = build_model(load_text(source, file=str(ROOT / "specs" / "rich.cap")))
    tr = translate(m)
    cases = []
    for i, v in enumerate(m.variables):
        sets = [{k} for k in range(min(v.size, 6))] + [set(range(v.size)) - {0}, {v.size - 2, v.size - 1},
                                                        set(range(v.size)) - {v.size - 1}]  # a mask: not all bits
        if v.size > 2 and v.size & (v.size - 1) == 0:  # a mask: each bit set, each bit clear
            bits = v.size.bit_length() - 1
            sets += [{x for x in range(v.size) if x >> b & 1} for b in range(bits)]
            sets += [{x for x in range(v.size) if not x >> b & 1} for b in range(bits)]
        for vals in sets:
            if not vals:  # z3.Or([]) would be a constant of Z3's main context, not of tr's
                continue
            f = z3.Or([tr.s[i] == z3.BitVecVal(k, tr.s[i].size(), tr.ctx) for k in sorted(vals)])
            text = render_lemma(m, f, tr.s)
            if text is not None and text not in ("true", "false"):  # the formula over the other translation
                cases.append((lambda tr2, i=i, vals=vals: z3.Or([tr2.s[i] == z3.BitVecVal(k, tr2.s[i].size(), tr2.ctx)
                                                                 for k in sorted(vals)]), text))
    return cases


def test_every_value_set_rendered_in_the_spec_language_compiles_to_itself():
    """Each variable the renderer knows, compiled back by the spec compiler."""
    cases = rendered_value_sets(RICH)
    assert len(cases) > 60, len(cases)
    assert_compiles_to_itself(cases)
    said = " ".join(text for _, text in cases)
    for attribute in ("up", "crashed", "is_master", "is_fenced", "has(w2)", "acked(w1)", "saw(w2)", "source ==",
                      "primary ==", "term", "crashes", "partitions", "cut_from", "partitioned", "length", "seen", "issued", "pending", "acked",
                      "failed", "unanswered", "ok", "node ==", "client ==", "w1.term", "w2.term",
                      "not (a.cut_from(b) and a.cut_from(c) and b.cut_from(c))"):
        assert attribute in said, attribute


@pytest.mark.parametrize("source, words", [
    (POSITIONS, ["s1.flushed(w1)", "not p.applied(w2)", "w1.waiting", "s1.sync_standby", "w2.timed_out",
                 "w1.unanswered and not w1.timed_out", "r1.timed_out", "r1.after_ack(w2)"]),
    (LEADERLESS, ["n1.has(w1)", "w1.acked_by(n2)", "not w2.in_flight_to(n3)", "r1.replied_by(n1)", "r1.pending",
                  "r1.timed_out", "w1.timed_out", "r1.after_ack(w1)"]),
    (ELECTIONS, ["n1.has_noop(1)", "not n3.has_noop(2)", "n2.term", "w1.term"]),
], ids=["positions", "leaderless", "elections"])
def test_the_words_of_real_systems_compile_to_themselves(source, words):
    """PostgreSQL's and MySQL's positions (flushed, applied), the ack wait,
    Patroni's synchronous standbys, a status's two kinds of unanswered, Raft's no-ops, and
    the leaderless coordinator's sends, acks and replies have attributes, and
    the lemmas generated over them are worded with them (they were printed
    as the IR's terms, `ne(v16, 3)`), each compiling back to its formula."""
    cases = rendered_value_sets(source)
    assert_compiles_to_itself(cases, source)
    said = " ".join(text for _, text in cases)
    for word in words:
        assert word in said, word


def test_a_comparison_of_two_terms_or_two_nodes_is_worded_as_one_and_compiles_to_itself():
    """`n1.term < n2.term`, `w1.node == primary`: the renderer says a leaf over
    two variables of one sort as their comparison (a table of their values
    before: `((a.term == 0) implies (b.term >= 1)) and ...`), and the spec
    compiler reads it back as the same formula. Nodes are compared for
    equality only."""
    from capmodel.engines.z3_chc import _scalar

    m = build_model(load_text(RICH, file=str(ROOT / "specs" / "rich.cap")))
    tr = translate(m)
    sorts = {i: _scalar(m, i) for i in range(len(m.variables))}
    relations = {"term": ("==", "!=", "<", "<=", ">", ">="), "node": ("==", "!=")}
    ops = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": z3.ULT, "<=": z3.ULE, ">": z3.UGT,
           ">=": z3.UGE}
    cases = []
    for i, j in itertools.combinations(sorted(k for k, s in sorts.items() if s is not None), 2):
        if sorts[i][1] != sorts[j][1]:
            continue
        for word in relations[sorts[i][1]]:
            x, y = tr.s[i], tr.s[j]
            width = max(x.size(), y.size())
            x, y = z3.ZeroExt(width - x.size(), x), z3.ZeroExt(width - y.size(), y)
            f = ops[word](x, y)
            text = render_lemma(m, f, tr.s)
            assert text == f"{sorts[i][0]} {word} {sorts[j][0]}", (text, word)
            cases.append((f, text))
    assert {t.split()[1] for _, t in cases} >= {"<", "==", ">="}
    # the negation of a comparison, and a conjunction that is one, are worded as one too
    a, b = [i for i, s in sorts.items() if s is not None and s[1] == "term"][:2]
    x, y = tr.s[a], tr.s[b]
    for f, word in ((z3.Not(z3.ULT(x, y)), ">="), (z3.And(z3.ULE(x, y), x != y), "<"),
                    (z3.Or(z3.UGT(x, y), x == y), ">=")):
        assert render_lemma(m, f, tr.s) == f"{sorts[a][0]} {word} {sorts[b][0]}"
        cases.append((f, render_lemma(m, f, tr.s)))
    assert any("primary" in t for _, t in cases) and any("w1.term" in t for _, t in cases)
    assert_compiles_to_itself(cases)


def test_a_two_variable_atom_that_is_a_product_is_worded_as_one_and_compiles_to_itself():
    """An atom over two variables true on exactly A x B is `(a in A) and (b in
    B)`; one false on exactly a product is an `or`, and a whole lemma its
    implication (`_Renderer.split`): once `((not a.up) implies (not b.up)) and
    (not a.up)`-like tables of clauses."""
    m = build_model(load_text(RICH, file=str(ROOT / "specs" / "rich.cap")))
    tr = translate(m)
    up_a, up_b = (tr.s[m.index_of(n)] for n in ("up[a]", "up[b]"))
    role = tr.s[m.index_of("role[c]")]
    one = lambda x: z3.BitVecVal(1, x.size(), tr.ctx)  # noqa: E731
    zero = lambda x: z3.BitVecVal(0, x.size(), tr.ctx)  # noqa: E731
    both_down = z3.And(up_a == zero(up_a), z3.Or(up_b == zero(up_b), z3.And(up_b == zero(up_b), up_a == one(up_a))))
    cases = [(both_down, "a.crashed and b.crashed"),
             (z3.Not(both_down), "a.crashed implies b.up"),
             (z3.Or(z3.Not(both_down), role == one(role)), None)]
    out = []
    for f, expected in cases:
        text = render_lemma(m, f, tr.s)
        if expected is not None:
            assert text == expected, text
        else:  # inside a clause: `or`, no implication
            assert "(a.up or b.up)" in text, text
        out.append((f, text))
    assert_compiles_to_itself(out)


def test_spacer_tells_each_step_for_the_progress_line():
    """`capmodel infer` shows these on stderr (cli.Progress), so that a run of
    minutes is not silent: each property's search, then the check of what it found."""
    said: list[str] = []
    (r,) = spacer_prove(model("cp.cap"), ["no_stale_read"], timeout=BUDGET, progress=said.append)
    assert r.verdict == PROVED
    assert said == ["spacer: no_stale_read (1 of 1): looking for an invariant",
                    "spacer: no_stale_read (1 of 1): checking the invariant found"]


def test_a_noop_is_asked_of_a_term_and_any_term_compiles():
    """`n.has_noop(t)` takes an int, a constant or not (`term` here): true when
    n's log holds the no-op of the term t names."""
    m = build_model(load_text(ELECTIONS.rstrip().rstrip("}") + "  lemma l: n1.has_noop(term) implies n1.has_noop(1)\n}\n",
                              file=str(ROOT / "specs" / "rich.cap")))
    tr = translate(m)
    noops, term = (tr.s[[v.name for v in m.variables].index(name)] for name in ("noops[n1]", "term"))
    bv = lambda k, x: z3.BitVecVal(k, x.size(), tr.ctx)  # noqa: E731
    expected = z3.Or([z3.And(term == bv(t, term), z3.Extract(t - 1, t - 1, noops) == 1) for t in (1, 2)])
    s = z3.Solver(ctx=tr.ctx)
    s.add(tr.domain, tr.condition("l", m.lemmas[0].expr) != z3.Implies(expected, z3.Extract(0, 0, noops) == 1))
    assert s.check() == z3.unsat
