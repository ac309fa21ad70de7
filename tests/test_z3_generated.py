"""Lemmas generated from the model's own terms (engines/invgen.py, z3_lemmas.py):
they prove what holds, they never prove what is violated, the proof's lemmas
are `lemma` lines a user can paste into the spec, and a run is deterministic.

Budgets are work budgets (engines/budget.py: counts, not seconds, so the
verdicts do not depend on the machine's load), generous: these tests are about
verdicts, never about time (bench/z3_generated.py measures that)."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import z3

from capmodel.engines import cti_blocking, explicit, invgen
from capmodel.engines import z3_translate as Z
from capmodel.engines.budget import Deadline, Work
from capmodel.engines.result import HOLDS, VIOLATED
from capmodel.engines.z3_engine import GENERATE_WORK, PROVED, check_lemmas_explicit, check_z3
from capmodel.engines.z3_lemmas import generate_lemmas
from capmodel.ir import expr as X
from capmodel.ir.pycompile import compile_predicate
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_text

SLOW = pytest.mark.slow  # over ~5 s each: left out of `make test-quick`, kept in `make test`

ROOT = Path(__file__).resolve().parent.parent
BUDGET = GENERATE_WORK.scaled(4)


def model_of(path: str):
    return build_model(load_text((ROOT / path).read_text(), str(ROOT / path)))


def bare(model):
    return dataclasses.replace(model, reachables=[])


def test_the_candidates_hold_on_every_state_they_were_filtered_on():
    model = model_of("specs/cp.cap")
    states, complete = invgen.explore(model)
    assert complete and model.initial_state in states
    candidates = invgen.generate(model, states)
    assert candidates
    for c in candidates:
        test = compile_predicate(c.expr)
        assert all(test(s) for s in states), c.expr


def test_a_capped_sample_says_it_is_not_complete():
    model = model_of("specs/sync.cap")
    states, complete = invgen.explore(model, max_states=100)
    assert len(states) == 100 and not complete


@pytest.mark.parametrize("path", ["specs/ap.cap", "specs/cp.cap", pytest.param("specs/sync.cap", marks=SLOW)])
def test_what_holds_is_proved_without_a_lemma_written_by_hand(path):
    model = bare(model_of(path))
    assert not model.lemmas
    e = explicit.check(model, stop_when_decided=False)
    holds = [p.name for p in e.properties if p.verdict == HOLDS]
    z = check_z3(model, properties=holds, max_depth=1, generate=BUDGET)
    assert {p.name: p.verdict for p in z.properties} == {n: PROVED for n in holds}
    assert z.generated and all(line.startswith("lemma gen_") for line in z.generated)


def test_the_generated_lemma_lines_parse_and_prove_the_spec_by_themselves():
    """Pasted into the spec, the lines parse, every engine finds them true, and
    Z3 proves the property with them (now as the user's lemmas: no generation)."""
    path = ROOT / "specs/cp.cap"
    model = bare(model_of("specs/cp.cap"))
    z = check_z3(model, max_depth=1, generate=BUDGET)
    lines = [line for line in z.generated if line.startswith("lemma ")]
    assert lines and len(lines) == len(z.generated)  # every one has a wording
    # each part said once, and none is `true` (cp.cap printed `gen_6: true`, and gen_1 twice)
    texts = [line.split(": ", 1)[1] for line in lines]
    parts = [p for t in texts for p in (t[1:-1].split(") and (") if ") and (" in t else [t])]
    assert len(parts) == len(set(parts)) and "true" not in parts
    text = path.read_text()
    end = text.rindex("}")
    pasted = text[:end] + "".join(f"  {line}\n" for line in lines) + text[end:]
    with_lemmas = build_model(load_text(pasted, "pasted.cap"))
    assert [c.name for c in with_lemmas.lemmas] == [line.split(":")[0].split()[1] for line in lines]
    assert all(p.verdict == HOLDS for p in check_lemmas_explicit(with_lemmas, with_lemmas.lemmas))
    again = check_z3(bare(with_lemmas), max_depth=1, generate=BUDGET)
    assert not again.generated  # the user's lemmas now: nothing is generated
    proved = {p.name for p in z.properties if p.verdict == PROVED}
    assert proved and proved == {p.name for p in again.properties if p.verdict == PROVED}
    assert all(m.verdict == PROVED for m in again.lemmas)


SAID_ONCE_FOR_ALL = re.compile(r"\b(forall|exists|count) \w+ in (nodes|writes|reads):")


# specs whose lemmas read a hint, a commit point, an acked no-op or a read's
# ghost: each has an attribute (`hint_for`, `committed`, `noop_acked`,
# `after_read`), so every lemma of theirs is worded
EVERY_LEMMA_WORDED = {"specs/systems/cassandra_any.cap": "hint_for(",
                      "specs/systems/mongodb_read_majority.cap": ".noop_acked",
                      "specs/systems/cassandra_read_repair_blocking.cap": ".after_read("}


@pytest.mark.parametrize("path", ["specs/cp.cap", pytest.param("specs/sync.cap", marks=SLOW),
                                  pytest.param("specs/systems/cassandra_quorum.cap", marks=SLOW),
                                  *(pytest.param(p, marks=SLOW) for p in EVERY_LEMMA_WORDED)])
def test_each_generated_lemma_line_compiles_to_the_lemma_z3_proved(path):
    """A fact of every node (or write, or read) is said once, with `forall`,
    `exists` or `count` (engines/lemma_forall.py): the words change, the
    lemma must not. Pasted into the spec, each line compiles to exactly the
    conjunction of candidates Z3 proved (Z3 asks for a state within the
    domains where the two differ, and finds none)."""
    model = bare(model_of(path))
    tr = Z.translate(model)
    g = generate_lemmas(model, tr, model.invariants, Deadline(None, work=BUDGET), facts=[tr.domain])
    said = {c.name: (c, g.texts[c.name]) for c in g.lemmas if g.texts.get(c.name)}
    assert said, g.summary()
    text = (ROOT / path).read_text()
    end = text.rindex("}")
    lines = "".join(f"  lemma {name}: {words}\n" for name, (_, words) in said.items())
    pasted = build_model(load_text(text[:end] + lines + text[end:], str(ROOT / path)))
    assert [v.name for v in pasted.variables] == [v.name for v in model.variables]
    tr2 = Z.translate(pasted)
    for lemma in pasted.lemmas:
        mine, words = said[lemma.name]
        s = z3.Solver(ctx=tr2.ctx)
        s.add(tr2.domain, tr2.condition("pasted", lemma.expr) != tr2.condition("proved", mine.expr))
        assert s.check() == z3.unsat, words
    if path != "specs/cp.cap":  # cp.cap's 2 nodes give few; these say some facts once for all
        assert any(SAID_ONCE_FOR_ALL.search(words) for _, words in said.values())
    if path in EVERY_LEMMA_WORDED:
        assert len(said) == len(g.lemmas), [c.name for c in g.lemmas if c.name not in said]
        assert any(EVERY_LEMMA_WORDED[path] in words for _, words in said.values())


def test_generated_lemma_names_leave_out_the_specs_own_names():
    """A spec whose own conditions are called gen_1 and gen_2: the generated
    lemmas are named around them, so that pasting them gives a spec that loads
    (a name given twice is refused, CAP211)."""
    text = (ROOT / "specs/cp.cap").read_text()
    end = text.rindex("}")
    own = text[:end] + "  invariant gen_1: true\n  reachable gen_2: partitioned\n" + text[end:]
    model = build_model(load_text(own, "own_names.cap"))
    z = check_z3(model, max_depth=1, generate=BUDGET)
    names = [line.split(":")[0].split()[1] for line in z.generated if line.startswith("lemma ")]
    assert names and not {"gen_1", "gen_2"} & set(names)
    assert names[0] == "gen_3" and len(set(names)) == len(names)
    # the note counts candidates, not the spec's own properties (gen_1, true, is inductive too)
    note = next(n for n in z.notes if n.startswith("lemmas generated:"))
    held, inductive = map(int, re.search(r"(\d+) candidates held.*?(\d+) of them inductive", note).groups())
    assert inductive <= held
    pasted = own[:end] + "".join(f"  {line}\n" for line in z.generated) + own[end:]
    assert [c.name for c in build_model(load_text(pasted, "pasted.cap")).lemmas] == names


VIOLATING = [pytest.param("specs/async.cap", marks=SLOW), pytest.param("specs/sync.cap", marks=SLOW), "specs/split_brain.cap",
             "specs/semisync_timeout.cap", "specs/cp.cap", "specs/ap.cap"]


@pytest.mark.parametrize("path", VIOLATING)
@pytest.mark.parametrize("sample", [2, 40])
def test_generated_lemmas_never_make_a_violated_property_proved(path, sample, monkeypatch):
    """Soundness. With a tiny sample the violated properties hold on it, so they
    join the candidates, and so do many candidates that are false: only Z3's
    Houdini loop and the final check stand between them and a wrong PROVED."""
    model = bare(model_of(path))
    e = explicit.check(model, stop_when_decided=False)
    if not any(p.verdict == VIOLATED for p in e.properties):
        pytest.skip("no violation here")
    assert_violated_stay_violated(model, e, sample, 8, monkeypatch)


def assert_violated_stay_violated(model, e, sample: int, depth: int, monkeypatch) -> None:
    """With lemmas generated on a `sample` of that many states (the blocking's
    too), Z3's BMC to `depth` finds every property the complete explicit run `e`
    found violated VIOLATED, and every lemma Z3 kept is true in every reachable state."""
    violated = [p.name for p in e.properties if p.verdict == VIOLATED]
    assert violated
    monkeypatch.setattr(invgen, "DEFAULT_SAMPLE", sample)
    monkeypatch.setattr(cti_blocking, "BLOCKING_SAMPLE", sample)  # its clauses made on the tiny sample too
    z = check_z3(model, max_depth=depth, generate=BUDGET)
    verdicts = {p.name: p.verdict for p in z.properties}
    for name in violated:
        assert verdicts[name] == VIOLATED, (name, verdicts[name])
    tr = Z.translate(model)
    g = generate_lemmas(model, tr, model.invariants, Deadline(None, work=BUDGET), facts=[tr.domain], max_states=sample)
    assert all(p.verdict == HOLDS for p in check_lemmas_explicit(model, g.lemmas))


def test_a_run_is_deterministic():
    model = bare(model_of("specs/ap.cap"))
    one = check_z3(model, max_depth=1, generate=BUDGET).generated
    two = check_z3(model, max_depth=1, generate=BUDGET).generated
    assert one == two and one


def test_no_work_budget_to_generate_is_said_and_proves_nothing():
    model = bare(model_of("specs/sync.cap"))
    z = check_z3(model, properties=["no_acked_write_lost"], max_depth=1, generate=Work(1, 1))
    assert z.properties[0].verdict != PROVED
    assert any("the work budget for generating them (1 Z3 resource units and 1 steps) ran out" in note
               for note in z.notes)


# ---------------------------------------------------------------- safety checks (issue 15 §4)
def test_an_initial_state_outside_its_domain_is_reported_not_proved():
    model = bare(model_of("specs/cp.cap"))
    broken = dataclasses.replace(model.variables[0], initial=model.variables[0].size)
    model = dataclasses.replace(model, variables=[broken, *model.variables[1:]])
    z = check_z3(model, max_depth=1, generate=None)
    assert z.failed
    assert any("leaves its declared domain after 0 steps" in note and broken.name in note for note in z.notes)


def test_a_term_cut_narrower_than_its_values_is_caught(monkeypatch):
    """If the interval analysis were wrong, a cut would lose bits silently; the
    engine checks every cut over the states within the domains instead."""
    model = bare(model_of("specs/sync.cap"))
    real = Z.RangeAnalysis._of

    def too_narrow(self, e, where):
        r = real(self, e, where)
        return Z.Interval(0, 0) if e.op == "bor" else r  # a union of masks said to be always empty

    monkeypatch.setattr(Z.RangeAnalysis, "_of", too_narrow)
    with pytest.raises(Z.UnsupportedConstruct, match="bit width"):
        check_z3(model, max_depth=1, generate=None)


def test_every_cut_of_the_shipped_specs_loses_nothing():
    for path in ["specs/sync.cap", "specs/async.cap", "specs/semisync.cap"]:
        model = model_of(path)
        tr = Z.translate(model)
        for c in [*model.invariants, *model.reachables]:
            tr.condition(c.name, c.expr)
        assert tr.lossy is not None  # the check has something to check
        s = tr.solver()
        s.add(tr.domain, tr.lossy)
        assert s.check() == Z.UNSAT


# ---------------------------------------------------------------- --engine both / z3 bounds, progress
def test_both_checks_the_explicit_counterexamples_only_to_their_length():
    from capmodel.engines.z3_engine import BOTH_GENERATE_STATES, bounds_for

    model = model_of("specs/async.cap")
    e = explicit.check(model, stop_when_decided=False)
    lengths = [len(p.trace.steps) for p in [*e.properties, *e.reachables] if p.trace is not None]
    b = bounds_for(model, e, None)
    assert b["max_depth"] == max(lengths) < e.stats.depth
    assert (b["generate"] is not None) == (e.stats.states <= BOTH_GENERATE_STATES)
    assert bounds_for(model, e, 7) == {"max_depth": 7}  # the user's --max-depth wins
    assert bounds_for(model, None, 7)["max_depth"] == 7
    z = check_z3(model, **b)
    from capmodel.engines.z3_engine import compare
    assert compare(e, z) == []


def test_z3_alone_takes_its_depth_from_a_capped_explicit_pass():
    from capmodel.engines.z3_engine import bounds_for

    model = model_of("specs/cp.cap")
    e = explicit.check(model, stop_when_decided=False)
    assert e.stats.complete
    assert bounds_for(model, None, None)["diameter"] == e.stats.depth


def test_z3_progress_follows_the_explicit_engines_rules(capsys):
    from capmodel.cli import Progress

    quiet = Progress(enabled=False, terminal=False)
    quiet.started -= 100
    quiet.say("z3: BMC depth 3 of 9 checked")
    piped = Progress(enabled=True, terminal=False)
    piped.say("z3: too early")  # under a second: nothing
    piped.started -= 31
    piped.say("z3: BMC depth 4 of 9 checked")
    piped.say("z3: BMC depth 5 of 9 checked")  # within 30 s of the last line: nothing
    piped.close()
    err = capsys.readouterr().err.splitlines()
    assert err == [err[0]] and err[0].startswith("z3: BMC depth 4 of 9 checked, 31 s")


# ---------------------------------------------------------------- quorum atoms (issue 15)
def test_quorum_atoms_count_the_nodes_that_are_up_and_hold_a_write():
    """`at least k nodes up and holding write j`, one of the quorum atoms, has
    the truth value counted directly on every reachable state of semisync.cap."""
    model = model_of("specs/semisync.cap")
    names = [v.name for v in model.variables]
    nodes = [n[len("up["):-1] for n in names if n.startswith("up[")]
    states, complete = invgen.explore(model)
    assert complete
    atoms = invgen.vocabulary(model)
    checked = 0
    for j in range(2):
        for k in range(1, len(nodes) + 1):
            wanted = [a for a in atoms if (c := invgen.counted(a)) is not None and c[0] == k
                      and {frozenset(map(str, x.args)) for x in c[1]} == {frozenset({
                          str(X.eq(X.var(names.index(f"up[{n}]")), X.const(1))),
                          str(X.has_bit(X.var(names.index(f"log[{n}]")), j))}) for n in nodes}]
            assert len(wanted) == 1, (j, k)
            test = compile_predicate(wanted[0])
            for s in states:
                direct = sum(1 for n in nodes if s[names.index(f"up[{n}]")] == 1
                             and s[names.index(f"log[{n}]")] >> j & 1)
                assert test(s) == (direct >= k)
            checked += 1
    assert checked == 2 * len(nodes)


@pytest.mark.parametrize("path", ["specs/semisync.cap", "specs/sync.cap", "specs/systems/mongodb_read_local.cap"])
def test_the_quorum_atoms_only_add_candidates(path, monkeypatch):
    """More atoms never lose a proof: every candidate made without the quorum
    atoms is still made with them (a covering pair is not replaced by a chain
    through a quorum atom), so Houdini's largest inductive subset only grows."""
    model = model_of(path)
    states, _ = invgen.explore(model, max_states=5_000)
    with_quorum = {c.expr for c in invgen.generate(model, states)}
    monkeypatch.setattr(invgen, "quorum_vocabulary", lambda *_a, **_k: [])
    without = {c.expr for c in invgen.generate(model, states)}
    assert without < with_quorum


def test_lemmas_kept_from_a_tiny_sample_with_quorum_atoms_hold_in_every_reachable_state():
    """With 50 states many quorum candidates are false: whatever Houdini keeps
    is still true in every reachable state."""
    model = model_of("specs/semisync.cap")
    _, quorum = invgen.tiers(model)
    assert any(invgen.counted(a) for a in quorum)
    tr = Z.translate(model)
    g = generate_lemmas(model, tr, model.invariants, Deadline(None, work=BUDGET), facts=[tr.domain], max_states=50)
    assert g.candidates and all(p.verdict == HOLDS for p in check_lemmas_explicit(model, g.lemmas))


@SLOW
def test_semisync_is_proved_with_quorum_lemmas_some_of_which_have_no_wording(monkeypatch):
    """semisync.cap needs "an acknowledged write is on at least 2 nodes" (a
    quorum atom) and facts about the terms of writes. With the renderer
    given no words for a write's term (as before the language had `w.term`),
    the second stage, with every atom, proves it, and the lemmas without a
    wording are said to have none (not dropped silently)."""
    from capmodel.engines import z3_chc

    value_set = z3_chc._value_set

    def no_write_terms(model, index, values):
        return None if model.variables[index].name.startswith("term[w") else value_set(model, index, values)

    monkeypatch.setattr(z3_chc, "_value_set", no_write_terms)
    model = bare(model_of("specs/semisync.cap"))
    z = check_z3(model, max_depth=1, generate=BUDGET)
    assert [p.verdict for p in z.properties] == [PROVED]
    assert any(line.startswith("# lemma gen_") and "no wording" in line for line in z.generated)
    assert any(line.startswith("lemma gen_") for line in z.generated)


@pytest.mark.slow  # 2-4 s: out of make test-quick (under a minute), in make test
def test_random_walks_reach_only_reachable_states_and_drop_only_false_candidates():
    """When the breadth-first sample is cut, random walks add deep states:
    each one reachable (in the complete state space of sync.cap), the same
    every run, and a candidate is dropped by them only if some reachable
    state breaks it."""
    model = model_of("specs/sync.cap")
    everything, complete = invgen.explore(model, max_states=10**6)
    assert complete
    walks = invgen.walk_states(model, walks=50, depth=40)
    assert walks == invgen.walk_states(model, walks=50, depth=40)
    assert set(walks) <= set(everything)
    shallow, complete = invgen.explore(model, max_states=200)
    assert not complete
    candidates = invgen.generate(model, shallow)
    kept = invgen.survivors(candidates, walks)
    assert len(kept) < len(candidates)  # the walks go deeper than 200 states
    true_everywhere = set(invgen.survivors(candidates, everything))
    assert true_everywhere <= set(kept)
