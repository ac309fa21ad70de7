"""Lemmas no one wrote: candidates from invgen.py, kept by Z3 when inductive.

generate_lemmas() runs the pipeline of issue 15:
  1. candidates from templates over the model's own atoms, filtered on the
     states a breadth-first search reaches (all of them when they fit) and
     on random walks when it is cut; first over the atoms a lemma line can
     word, then, if a property is left unproved, over all of them;
  2. Houdini in Z3 (induction.houdini): the largest inductive subset;
  3. of it, what the properties' proof needs (unsatisfiable cores);
  4. those, one lemma per template family, handed back as Conditions.
Nothing here is trusted: the caller (z3_engine.check_z3) checks the lemmas
exactly as a user's, base case and inductive step, and a property is PROVED
only when that check says so.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Callable

from ..ir import expr as X
from ..ir.model import Condition, Model
from ..ir.pycompile import compile_predicate, compile_successors
from ..ir.symmetry import find_symmetry
from . import cti_blocking, invgen, invgen_small, lemma_forall, truth_tables
from . import z3_translate as Z
from .budget import INTERRUPTED, TIME, WORK, Deadline, OutOfTime, Work
from .induction import houdini, support
from .z3_chc import elements, lemma_renderer, tidy  # the spec-language wording of a z3 formula

GENERATED_PREFIX = "gen_"


@dataclass
class Generated:
    lemmas: list[Condition] = field(default_factory=list)  # one per family, in the order found
    texts: dict[str, str | None] = field(default_factory=dict)  # name -> spec-language text, None if unsayable
    candidates: int = 0  # after the filter on reachable states
    inductive: int = 0  # the largest inductive subset, properties included
    sample: int = 0  # states the candidates were filtered on
    sample_complete: bool = False
    seconds: float = 0.0
    ran_out: str | None = None  # budget.WORK, TIME or INTERRUPTED when generation gave up for it
    work: Work | None = None  # the work budget it had
    time_left: float | None = None  # the seconds it had (half of what --timeout left), None: no clock
    stopped: str | None = None  # budget.WORK or budget.TIME when one ran out, even after a first result
    units: int = 0  # Z3 resource units it spent
    steps: int = 0  # Python steps it spent
    provable: int = 0  # properties in the inductive set
    used: int = 0  # candidates the proof needs (said in `lemmas`, fewer)
    candidates_list: list = field(default_factory=list, repr=False)
    inductive_list: list = field(default_factory=list, repr=False)  # the candidates Houdini kept
    smaller: str | None = None  # when the candidates came from a smaller instance: what it was

    @property
    def timed_out(self) -> bool:
        return self.ran_out is not None

    def summary(self) -> str:
        found = f"({self.candidates:,} candidates, {self.sample:,} reachable states)"
        if self.ran_out == WORK:
            return f"lemmas generated: none, the work budget for generating them ({self.work}) ran out " + found
        if self.ran_out == INTERRUPTED:
            return "lemmas generated: none, interrupted (Ctrl-C) while generating them " + found
        if self.ran_out is not None and self.time_left is None:  # no clock: Z3 said unknown for another reason
            return "lemmas generated: none, Z3 gave up on a question while generating them " + found
        if self.ran_out is not None:
            return (f"lemmas generated: none, the {self.time_left:g} s for generating them (half of what "
                    "--timeout left) ran out " + found)
        sample = f"{self.sample:,} reachable states" + (" (all of them)" if self.sample_complete else "")
        said = f", said in {len(self.lemmas)} lemmas" if len(self.lemmas) != self.used else ""
        used = (f"the proof uses {self.used} of them{said}" if self.lemmas else
                "the properties need none of them" if self.provable else
                "with them no property is inductive (a counterexample to induction says why)")
        share = ""
        if self.work:
            share = f", {max(self.units / self.work.units, self.steps / self.work.steps):.0%} of the work budget"
        if self.stopped == WORK:
            used += "; the work budget ran out in the search over every atom"
        elif self.stopped == TIME:
            used += "; the time ran out in the search over every atom"
        elif self.stopped == INTERRUPTED:
            used += "; interrupted (Ctrl-C) in the search over every atom"
        if self.smaller:
            sample += f" (renamed from a smaller instance: {self.smaller})"
        return (f"lemmas generated: {self.candidates:,} candidates held on {sample}, "
                f"{self.inductive:,} of them inductive; {used} ({self.seconds:.1f} s{share})")


def generate_lemmas(model: Model, tr: Z.Translation, invariants: list[Condition], deadline: Deadline, *,
                    logic: str = Z.DEFAULT_LOGIC, facts: list = (), max_states: int | None = None,
                    say: Callable[[str], None] = lambda _m: None, smaller: bool = False) -> Generated:
    """Steps 1-4 of the module docstring. `smaller`: when the sample of this
    model is not complete, first try the candidates of a proof on a smaller
    instance of it, renamed (_via_smaller, invgen_small)."""
    started = time.perf_counter()
    left = deadline.seconds_left()
    out = Generated(work=deadline.work, time_left=None if left is None else round(left, 1))
    said = _Wordings(model, tr)  # atoms are worded to choose them, then again in the lemmas
    try:
        needed = _search(model, tr, invariants, deadline, logic, facts, max_states, say, out, said,
                         smaller=smaller)
    except OutOfTime:
        needed = None
    out.seconds = time.perf_counter() - started
    out.units, out.steps, out.stopped = deadline.units, deadline.steps, deadline.exhausted
    if not needed:
        if needed is None:
            out.ran_out = deadline.exhausted or TIME
        return out
    candidates = out.candidates_list
    out.used = len(needed)
    families: dict[tuple, list[int]] = {}
    for i in needed:
        families.setdefault(candidates[i].family, []).append(i)
    for name, (members, text) in zip(_fresh_names(model), _worded_once(model, tr, candidates, families, said)):
        out.lemmas.append(Condition(name, X.and_(*[candidates[i].expr for i in members]), "generated lemma"))
        out.texts[name] = text
    out.seconds = time.perf_counter() - started
    return out


def _worded_once(model, tr, candidates, families: dict[tuple, list[int]], said) -> list[tuple[list[int], str | None]]:
    """The lemmas to print, one per family of needed candidates: (their
    candidates, the wording of their conjunction; None if one has none). A
    part worded as another already said, or as `true` (a clause that holds
    in every state within the variables' domains: `v == 1` and `v != 0` of a
    flag are one wording), is said once or not at all: its candidate joins
    the lemma that says it (a `true` one the first), so the lemmas are still
    the whole proof and each one's text says exactly as much as it (cp.cap
    printed `gen_6: true`, and gen_1's text twice; cassandra_quorum's gen_1
    once held parts of later lemmas). The same fact of every node, write or
    read is then said once, with `forall` (lemma_forall)."""
    lemmas: list[tuple[list[int], list[str] | None]] = []
    said_by: dict[str, int] = {}  # a part's wording -> the lemma that says it
    true: list[int] = []  # candidates worded `true` (within the domains)
    for members in families.values():
        parts = [_words(model, tr, candidates[i].expr, said) for i in members]
        if None in parts:
            lemmas.append((list(members), None))
            continue
        here, mine, new = len(lemmas), [], []
        for i, p in zip(members, parts):
            if p == "true":
                true.append(i)
            elif said_by.setdefault(p, here) != here:
                lemmas[said_by[p]][0].append(i)  # said already: it joins the lemma that says it
            else:
                mine.append(i)
                new += [] if p in new else [p]
        if mine:
            lemmas.append((mine, new))
    if not lemmas:  # every part was true: one lemma says so
        return [(true, "true")]
    lemmas[0][0].extend(true)
    # The same fact of every node (write, read) said once with `forall`: within
    # a lemma's parts, then across lemmas of one part each (the words only:
    # each lemma is still the conjunction of its candidates, lemma_forall).
    kinds = said.kinds
    lemmas = [(members, parts if parts is None else [text for _, text in lemma_forall.group(parts, kinds)])
              for members, parts in lemmas]
    single = [k for k, (_, parts) in enumerate(lemmas) if parts is not None and len(parts) == 1]
    merged: dict[int, tuple[list[int], list[str]]] = {}
    gone: set[int] = set()
    for together, text in lemma_forall.group([lemmas[k][1][0] for k in single], kinds):
        if len(together) > 1:
            ks = [single[j] for j in together]
            merged[ks[0]] = ([i for k in ks for i in lemmas[k][0]], [text])
            gone |= set(ks[1:])
    lemmas = [merged.get(k, lemma) for k, lemma in enumerate(lemmas) if k not in gone]
    return [(members, None if parts is None else tidy(" and ".join(p if len(parts) == 1 else f"({p})" for p in parts)))
            for members, parts in lemmas]


def _fresh_names(model: Model):
    """gen_1, gen_2, ... leaving out every name the spec already gives a
    property, lemma or reachable condition: pasted into it, the lemmas must
    not clash with them (the spec would then be refused)."""
    taken = {c.name for c in model.invariants + model.lemmas + model.reachables}
    return (name for n in itertools.count(1) if (name := f"{GENERATED_PREFIX}{n}") not in taken)


def _search(model, tr, invariants, deadline, logic, facts, max_states, say, out: Generated, said: _Wordings,
            pointers: bool = False, smaller: bool = False) -> list[int] | None:
    """Steps 1-4: the indices of the candidates (out.candidates_list) the proof
    needs; [] when no property can be proved; None when time ran out."""
    tick = deadline.remaining_ms  # raises OutOfTime once the budget is spent
    max_states = invgen.DEFAULT_SAMPLE if max_states is None else max_states
    states, out.sample_complete = invgen.explore(model, max_states, tick)
    out.sample = len(states)
    say(f"z3: generating lemmas from {len(states):,} reachable states")
    # A sample that is not complete stops at a shallow depth; random walks
    # reach deep states, on which about half of the candidates are false at
    # 7 nodes x 6 writes (1,140 of 2,303). They only drop candidates (made
    # on the breadth-first sample, whose truth tables merge more atoms into
    # classes: made on both, there were twice as many).
    sampled = set(states)
    deep = [] if out.sample_complete else [s for s in invgen.walk_states(model, tick=tick) if s not in sampled]
    out.sample += len(deep)
    # the properties join as candidates, where they hold on the sample
    props = [c for c in invariants if all(map(compile_predicate(c.expr), states + deep))]
    if not props:  # every property fails on a reachable state: nothing to prove
        return []
    if smaller and not out.sample_complete:  # too many states to sample well: first from a smaller instance
        found = _via_smaller(model, tr, props, deadline, logic, facts, say, states + deep)
        if found is not None and found[2] == len(props):
            out.candidates_list, out.inductive, out.provable, needed = found[0], found[1], found[2], found[3]
            out.candidates = len(out.candidates_list)
            out.smaller = found[4]
            return needed
    # First only the atoms a `lemma` line can word: the proof is then the
    # user's to keep. When that leaves a property unproved, again with every
    # atom (a node's no-ops, say, have no spec-language attribute, and Raft's
    # vote rule compares the terms of the last entries, no-ops included); the
    # lemmas that then have no wording are reported as such.
    # A superset of candidates: its inductive subset proves at least as much.
    def wordable(atom) -> bool:  # a translation and a rendering per atom: the budget counts them
        tick()
        text = _words(model, tr, atom, said)
        return text is not None and not any(word in text for word in SECOND_STAGE_WORDS)

    # the first stage's inductive set (expression -> candidate; None for a
    # property): inductive by itself, so within the largest inductive subset
    # of any superset of candidates. The second stage's candidates are not
    # quite a superset of the first's (a pair covering among the atoms a lemma
    # can word may be a chain through another atom among all of them), so
    # those missing join them: a superset, which proves at least as much.
    settled: dict = {}
    # Only atoms over the properties' cone: the variables they read, closed
    # under what the updates of those and the guards of the actions making
    # them read. The rest cannot change whether a step breaks a property, and
    # the reachable states projected on the cone are an inductive invariant
    # over it, so no proof needs them (mysql_semisync_timeout's
    # write_availability: 1,246 candidates -> 669, 11.5 s of CPU -> 3.7).
    cone = cti_blocking.update_cone(model, [c.expr for c in props])
    # Over half of the candidates are true of every value within the
    # variables' domains (sync.cap: 448 of 829; raft_majority 622 of 1,492):
    # `x != 0 or x != 1`, a count of the nodes that hold a write or do not.
    # When the proof assumes the domains (a fact: check_z3 proved the model
    # stays in them), they only weigh on every query; else they are kept,
    # as they then say something of values outside the domains.
    within_domains = any(f is tr.domain for f in facts)
    best, tables, made_first = None, {}, 0  # truth tables: the second stage's atoms are a superset of the first's
    for stage, sayable in enumerate((wordable, None)):
        try:
            made = invgen.generate(model, states, tick, sayable=sayable, tables=tables, pointers=pointers,
                                   within=cone)
            candidates = invgen.survivors(made, deep, tick)
            if within_domains:  # what is true of every value in the domains helps no proof
                useless = invgen.always_true(model, candidates, tick)
                candidates = [c for i, c in enumerate(candidates) if i not in useless]
            if best is not None and len(made) == made_first:
                break  # every atom has a wording: the same candidates again
            made_first = len(made)
            # When the first stage's blocking explored every reachable state, a
            # candidate false in one of them is not in the largest inductive
            # subset (whose members hold wherever the initial state leads): it
            # is dropped here, by truth tables, not by Houdini's solver calls
            # (raft_majority's second stage: 1,463 candidates -> 1,232).
            full = None if out.sample_complete else cti_blocking.complete_sample(model, deadline)
            if full is not None:  # those over the variables blocking projected the states on
                holding = full.holding([c.expr for c in candidates], tick)
                candidates = [c for c, h in zip(candidates, holding) if h is not False]
            have = {c.expr for c in candidates}
            candidates += [c for e, c in settled.items() if c is not None and e not in have]
            if best is None:
                out.candidates = len(candidates)  # for the summary, should time run out
            # every reachable state, when they are known: where the candidates were filtered
            everywhere = sampled if out.sample_complete else None if full is None else full.state_set
            found = _prove(model, tr, candidates, props, stage, deadline, logic, facts, say, states + deep,
                           everywhere, settled)
        except OutOfTime:
            found = None
        if found is None:  # out of time: what the first stage found, if anything
            if best is None:
                return None
            break
        provable = found[1]
        if best is None or provable > best[2]:
            best = (candidates, *found)  # candidates, inductive, provable, needed
        if best[2] == len(props):
            break
    out.candidates_list, out.inductive, out.provable, needed = best
    out.inductive_list = [c for c in settled.values() if c is not None]
    out.candidates = len(out.candidates_list)
    return needed


def _via_smaller(model, tr, props, deadline, logic, facts, say, sample) -> tuple | None:
    """The proof from a smaller instance (invgen_small): the candidates its
    proof uses, renamed into this model, then Houdini and the support here.
    (candidates, inductive, provable, needed, the smaller instance in words),
    or None when there is no smaller instance or it proves nothing. Only
    this model's Houdini keeps anything: the small proof only proposes."""
    made = smaller_candidates(model, props, deadline, logic, say)
    if made is None:
        return None
    pairs, size = made
    # Renamed, many are false at this size (a fact of the last of 3 writes is
    # not one of the 4th of 6): the reachable states drop those by truth
    # tables, before any solver call (7 x 6: 12,224 renamed candidates,
    # Houdini's first round over them alone 174 s of CPU). `sample`: the
    # breadth-first sample and the random walks' states (_search).
    everything = (1 << len(sample)) - 1
    held = truth_tables.clause_tables([c.expr for c, _ in pairs], {}, sample, deadline.remaining_ms)
    # One candidate per orbit of the interchangeable elements: where they are
    # interchangeable here too, an orbit is in the largest inductive subset
    # whole or not at all, so a false renaming drops it whole, and Houdini
    # asks a few hundred conjunctions, not thousands of clauses (where they
    # are not, an orbit is dropped that a finer search might have kept part
    # of: a proof lost, never a wrong one)
    candidates = invgen_small.orbits(pairs, {key for (_, key), t in zip(pairs, held) if t != everything})
    say(f"z3: {len(candidates):,} orbits of them hold on {len(sample):,} reachable states")
    found = _prove(model, tr, candidates, props, "smaller", deadline, logic, facts, say, sample, block=False)
    if found is None:
        return None
    return (candidates, *found, size)


SMALL_SAMPLE = 200_000  # the smaller instance's states are all wanted: its proof is renamed, not checked


def smaller_candidates(model, props, deadline, logic=Z.DEFAULT_LOGIC, say=lambda _m: None, whole: bool = False
                       ) -> tuple[list, str] | None:
    """The candidates a proof on the smaller instance (Model.smaller) uses,
    with the three-literal clauses through pointers among those it may
    choose (invgen_pointers), renamed into `model` (invgen_small.instances:
    each with its orbit); and the smaller instance in words. None when there is none or it proves nothing.
    `whole`: every candidate of the small inductive set, not only those its
    proof uses."""
    small = model.smaller() if model.smaller is not None else None
    if small is None:
        return None
    names = {c.name for c in props}
    kept = {c.name for c in model.reachables}
    small = dataclasses.replace(small, invariants=[c for c in small.invariants if c.name in names],
                                reachables=[c for c in small.reachables if c.name in kept], lemmas=[],
                                smaller=None)
    if not small.invariants:
        return None
    tr_small = Z.translate(small)
    inner = Generated()
    small_facts = [tr_small.domain] if _stays_in_domains(small, tr_small, deadline, logic) else []
    needed = _search(small, tr_small, small.invariants, deadline, logic, small_facts, SMALL_SAMPLE, say, inner,
                     _Wordings(small, tr_small), pointers=True)
    if not needed or not inner.sample_complete:
        return None
    sym = find_symmetry(small, small.invariants)
    classes = []
    if sym is not None:
        elements = {s.name: s.elements for s in sym.decl.sets}
        classes = [tuple(elements[set_name][e] for e in members) for set_name, members in sym.classes]
    used = inner.inductive_list if whole else [inner.candidates_list[i] for i in needed]
    pairs = invgen_small.instances(small, model, used, classes, deadline.remaining_ms)
    say(f"z3: {len(used)} candidates from a smaller instance ({inner.sample:,} states), "
        f"{len(pairs):,} renamed into this one")
    return pairs, f"{inner.sample:,} states of the smaller instance, {len(used)} candidates there"


def _stays_in_domains(model, tr, deadline, logic) -> bool:
    """Every variable stays within its domain in every reachable state, as
    check_z3 establishes it before it assumes so: by the interval analysis,
    or one query over a single step (a counter's `+ 1`)."""
    if not all(0 <= v.initial < v.size for v in model.variables):
        return False
    if tr.escape is None:
        return True
    probe = tr.solver(logic)
    probe.add(tr.escape)
    return deadline.check(probe) == Z.UNSAT


def _prove(model, tr, candidates, props, stage, deadline, logic, facts, say, sample=(), everywhere=None,
           settled: dict | None = None, block: bool = True) -> tuple | None:
    """Houdini over the candidates and the properties, then the support of the
    properties it keeps: (inductive, provable, the indices of the candidates
    the proof needs), or None when time ran out. `settled`: the candidates
    (expression -> candidate) that a former Houdini run found inductive by
    themselves, all among these; those Houdini keeps here are added to it."""
    exprs = [c.expr for c in candidates] + [c.expr for c in props]
    deadline.remaining_ms()
    say(f"z3: Houdini over {len(exprs):,} candidates")
    # hundreds of translations: the budget counts them too
    goods = [tr.translator.as_bool(e, f"candidate {stage}.{i}") for i, e in deadline.paced(enumerate(exprs))]
    more_broken = breaks_near(compile_successors(model), invgen.failing_test(exprs), deadline,
                              known=everywhere)
    settled = {} if settled is None else settled
    symmetry = find_symmetry(model, props)
    inductive = houdini(tr, goods, deadline, logic, facts=facts, more_broken=more_broken,
                        on_round=lambda r, n: say(f"z3: Houdini round {r}: {n:,} candidates left"),
                        settled=[i for i, e in enumerate(exprs) if e in settled],
                        mirrors=None if symmetry is None else symmetry.mirrors(model, exprs))
    if inductive is None:
        return None
    settled.update((exprs[i], candidates[i] if i < len(candidates) else None) for i in inductive)
    if block and sum(i >= len(candidates) for i in inductive) < len(props):  # too weak: block its CTIs
        inductive = cti_blocking.extend(model, tr, candidates, props, goods, inductive, sample, deadline,
                                        logic, facts, say)
        if inductive is None:
            return None
        # What blocking kept is inductive with Houdini's set (Z3's word), so a
        # later stage assumes it too: raft_majority's first stage blocked 668
        # states to prove one property, and the second blocked them again
        # (766) before it could prove both.
        settled.update((candidates[i].expr, candidates[i]) if i < len(candidates)
                       else (props[i - len(candidates)].expr, None) for i in inductive)
    goals = [k for k, i in enumerate(inductive) if i >= len(candidates)]
    kept = len(inductive) - len(goals)  # the candidates kept (the properties kept are `goals`)
    if not goals:
        return kept, 0, []
    needed = support(tr, [goods[i] for i in inductive], goals, deadline, logic, facts=facts)
    if needed is None:
        return None
    return kept, len(goals), [inductive[k] for k in needed if inductive[k] < len(candidates)]


# States explored from each counterexample to induction (sync_n4_w3, first
# stage, 1,641 candidates: 338 solver answers with s's successors only, as
# before, 193 with 30 states, 177 with 100, 136 with 300; the Python time
# grows with it, the solver's falls, and past 100 they even out)
NEAR_STATES = 100


def breaks_near(successors, failing, deadline: Deadline, limit: int = NEAR_STATES, known=None):
    """Houdini's `more_broken`: the candidates false in some state reachable
    from a counterexample to induction's first state s (breadth first, at most
    `limit` states from each, each state explored once per run). Sound to drop:
    s satisfies every candidate still held, so it satisfies the largest
    inductive subset M, and so does every state reachable from s (M is
    inductive); a candidate false in one of them is not in M. Each such state
    is one answer Z3 would otherwise give, for a solver query each.
    `known`: states not to explore: every reachable state, when they are all
    known (a set closed under steps), where the candidates were filtered
    (those over the projected variables, or all of them on a complete
    sample), so few break there (raft_majority: 147,594 of them). Skipping a
    state only leaves what it would drop to Z3: it never keeps a candidate."""
    explored: set = set()
    known = known or ()

    def more_broken(start, live) -> set[int]:
        out: set[int] = set()
        frontier, n = [start], 0
        while frontier and n < limit:
            nxt = []
            for s in frontier:
                if s in explored or s in known:
                    continue
                explored.add(s)
                n += 1
                if n & 63 == 0:
                    deadline.remaining_ms()
                out.update(failing(s))
                nxt.extend(t for _, t in successors(s))
                if n >= limit:
                    break
            frontier = nxt
        return out

    return more_broken


# Words whose atoms wait for the second stage, which still words them. The
# two kinds of unanswered apart: where `not w1.unanswered` does, they said it
# in two lemmas (cp.cap's proof went from 9 lemmas to 18). The flushed and
# applied positions: in the first stage they made mysql_semisync_timeout's
# Houdini 3 times as slow (1,246 candidates, 11.5 s of CPU against 3.8 s),
# and the proofs that need them get them in the second. The attributes of
# the sixth session (hints, commit points, acked no-ops, client links,
# `acked_as_master`, `after_read`) are first-stage words: raft_majority's
# first stage then proves both its properties, and `capmodel verify
# specs/textbook/raft_majority.cap --engine z3` takes 14 s of CPU, not 25
# (docs/z3.md).
SECOND_STAGE_WORDS = (".timed_out", ".flushed(", ".applied(")
MAX_SUBSETS = 40  # `at least k of n` is written out as its k-subsets when there are at most this many


class _Wordings:
    """The wordings found so far (expression -> text, or None where there is
    none), and the one renderer that makes them all."""

    def __init__(self, model: Model, tr: Z.Translation) -> None:
        self.texts: dict = {}
        self.render = lemma_renderer(model, tr.s)
        self.kinds = elements(model)  # the declared sets' elements, for `forall`


def _words(model: Model, tr: Z.Translation, e, said: _Wordings | None = None) -> str | None:
    """A candidate in the spec's condition syntax, or None where some part has no wording.
    Whole first (z3_chc's renderer reads `a implies b` best), then part by part:
    a count `at least k of these` becomes the disjunction of its k-subsets.
    `said`: the wordings found so far, read and added to."""
    if said is None:
        said = _Wordings(model, tr)
    if e not in said.texts:
        said.texts[e] = _wording(model, tr, e, said)
    return said.texts[e]


def _wording(model: Model, tr: Z.Translation, e, said: _Wordings) -> str | None:
    whole = said.render(tr.translator.as_bool(e, "generated lemma"))
    if whole is not None or e.op not in ("or", "not", "le"):
        return whole
    if e.op == "or":
        parts = _all_words(model, tr, e.args, said)
        return None if parts is None else " or ".join(f"({p})" for p in parts)
    if e.op == "not":
        inner = _words(model, tr, e.args[0], said)
        return None if inner is None else f"not ({inner})"
    members = invgen.counted(e)
    if members is None:
        return None
    k, atoms = members
    if math.comb(len(atoms), k) > MAX_SUBSETS:
        return None
    words = _all_words(model, tr, atoms, said)
    if words is None:
        return None
    over = lemma_forall.one_body(words, said.kinds)  # the same of every node, say: a count
    if over is not None:
        kind, var, body = over
        if k == len(atoms):
            return f"forall {var} in {kind}: ({body})"
        return f"exists {var} in {kind}: ({body})" if k == 1 else f"(count {var} in {kind}: ({body})) >= {k}"
    mixed = _mixed_count(words, k, said.kinds)
    if mixed is not None:
        return mixed
    return " or ".join("(" + " and ".join(f"({words[i]})" for i in chosen) + ")"
                       for chosen in itertools.combinations(range(len(atoms)), k))


MAX_SINGLES = 2  # texts outside every count that a mixed count still says by cases


def _mixed_count(words: list[str], k: int, kinds: dict[str, list[str]]) -> str | None:
    """`at least k of these` as a sum of counts, one per group of the words
    that is one body over a kind, with the few words left over said by cases
    (m of them hold and the counts reach k - m); None when no group is found
    or more than MAX_SINGLES words are left over. Raft's `at least 4 of term,
    n1.term, .., w2.term are 0` was its 15 4-subsets written out."""
    groups, rest = lemma_forall.counts(words, kinds)
    if not groups or len(rest) > MAX_SINGLES or len(groups) == 1 and not rest:
        return None  # one group alone: one_body has said it
    total = " + ".join(groups)
    most = len(words) - len(rest)  # the largest value of the sum
    singles = [words[i] for i in rest]
    cases = []
    for m in range(len(singles) + 1):  # m of the words left over hold
        need = k - m
        if need > most:
            continue
        held = (None if m == 0 else " or ".join(
            "(" + " and ".join(f"({singles[i]})" for i in chosen) + ")"
            for chosen in itertools.combinations(range(len(singles)), m)))
        reached = None if need <= 0 else f"{total} >= {need}"
        cases.append(f"({held}) and ({reached})" if held and reached else held or reached)
        if need <= 0:  # the cases of more words held are inside this one
            break
    if not cases:
        return None
    return cases[0] if len(cases) == 1 else " or ".join(f"({c})" for c in cases)


def _all_words(model: Model, tr: Z.Translation, parts, said: _Wordings) -> list[str] | None:
    """The wording of every part, or None as soon as one has none (each try is
    a rendering: a count over a read's replies has a dozen parts, none sayable)."""
    out = []
    for part in parts:
        words = _words(model, tr, part, said)
        if words is None:
            return None
        out.append(words)
    return out
