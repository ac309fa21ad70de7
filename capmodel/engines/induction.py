"""k-induction over properties and lemmas, with Houdini pruning.

A set A of conditions (the properties still open, the user's lemmas, the
variables' domains, "no deadlock", "R is never reached") is proved for every
depth when
  base:  every condition of A holds in every state reachable in fewer than k
         steps (bounded model checking up to depth k-1 shows it), and
  step:  any k consecutive states (connected by steps, not necessarily
         reachable) that all satisfy A are followed only by states satisfying A.
Then A holds in every reachable state, by induction on the depth.

When the step fails, the solver's states are a counterexample to induction
(CTI): k states that satisfy A, then one that breaks some condition c. The
conditions so broken are dropped from A and the step is tried again with
what is left (Houdini). What remains at the end is inductive; each dropped
condition keeps its CTI, which shows the student why the lemmas are too weak:
the first state is *not necessarily reachable*, and a lemma that rules it out
would repair the proof.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import z3_translate as Z
from .bmc import Path
from .budget import Deadline, OutOfTime
from .z3_translate import Translation


@dataclass
class Conjunct:
    name: str
    kind: str  # property | lemma | domain | unreachable | no_deadlock
    good: object  # a Z3 template over the translation's s


@dataclass
class CTI:
    conjunct: Conjunct
    path: Path  # k + 1 states: k satisfying `assumed`, then one breaking `conjunct`
    assumed: list[str]


@dataclass
class InductionResult:
    k: int
    proved: list[str] = field(default_factory=list)  # names, in the order given
    ctis: dict[str, CTI] = field(default_factory=dict)
    timed_out: bool = False


def k_induction(tr: Translation, conjuncts: list[Conjunct], k: int, deadline: Deadline,
                logic: str = Z.DEFAULT_LOGIC, facts: list[Conjunct] = ()) -> InductionResult:
    """The inductive step only: the caller establishes the base case (BMC up to k-1).
    `facts`: conditions already proved for every reachable state, assumed and not asked again."""
    if k < 1:
        raise ValueError("k-induction needs k >= 1")
    result = InductionResult(k)
    tag = f"ind{k}_"
    steps = [tr.step_vars(t, tag) for t in range(k + 1)]
    path_terms = [tr.step(steps[t], steps[t + 1]) for t in range(k)]
    before = {c.name: [tr.at(c.good, steps[t]) for t in range(k)] for c in conjuncts}
    after = {c.name: tr.at(c.good, steps[k]) for c in conjuncts}
    known = [tr.at(f.good, steps[t]) for f in facts for t in range(k + 1)]
    # One fresh solver per question "can this condition break, assuming all
    # the others?", with the assumptions as hard constraints, rather than one
    # incremental solver with assumption literals or one query for their
    # disjunction: the solver simplifies hard constraints before it searches,
    # and at 7 nodes and 6 writes the ten conditions of the sync proof took
    # 8 s this way against 25-27 s the other two. The questions of a round
    # are independent, so they run on every core there is.
    # Houdini over the properties, lemmas and domains: every condition that
    # can break is dropped with its CTI, and the rest is asked again with
    # fewer assumptions, until none can break. "No deadlock" and "R is never
    # reached" are asked after, each on top of that inductive set M: if M and
    # o imply o', then M plus o is inductive, and so is M plus every such o.
    # So their failing (they usually do) costs no second round.
    observers = [c for c in conjuncts if c.kind in ("no_deadlock", "unreachable")]
    active = [c for c in conjuncts if c not in observers]

    def ask(questions: list[tuple[Conjunct, list[Conjunct]]]) -> list[Path | None]:
        """For each (c, assumed): None when c cannot break after the states
        satisfying `assumed`; else a CTI's path, in the order asked."""
        queries = [[*path_terms, *[x for a in assumed for x in before[a.name]], *known, Z.Not(after[c.name])]
                   for c, assumed in questions]
        paths: list[Path | None] = []
        for answer, zmodel, why in Z.check_each(queries, logic, deadline.remaining_ms):
            if answer == Z.UNKNOWN:
                raise deadline.give_up(why)
            if answer == Z.UNSAT:
                paths.append(None)
                continue
            path: Path = [(-1, tr.state_of(zmodel, steps[0]))]
            for t in range(k):
                path.append((tr.action_of(zmodel, steps[t]), tr.state_of(zmodel, steps[t + 1])))
            paths.append(path)
        return paths

    try:
        while active:
            assumed = [a.name for a in active]
            broken = {c.name: CTI(c, path, assumed)
                      for c, path in zip(active, ask([(c, active) for c in active])) if path is not None}
            if not broken:
                break
            result.ctis.update(broken)
            active = [c for c in active if c.name not in broken]
        for o, path in zip(observers, ask([(o, active + [o]) for o in observers])):
            if path is None:
                active.append(o)
            else:
                result.ctis[o.name] = CTI(o, path, [a.name for a in active] + [o.name])
    except OutOfTime:
        result.timed_out = True
        return result
    order = {c.name: i for i, c in enumerate(conjuncts)}
    active.sort(key=lambda c: order[c.name])
    result.proved = [c.name for c in active]
    return result


def houdini(tr: Translation, goods: list, deadline: Deadline, logic: str = Z.DEFAULT_LOGIC,
            facts: list = (), more_broken=None, on_round=None, settled: list[int] = (),
            mirrors: list[list[int]] | None = None) -> list[int] | None:
    """The largest subset of `goods` (templates over s) that is inductive
    (1-induction, relative to `facts`), for many candidates at once: each round
    is one query "from a state satisfying every candidate left, can a step
    break one?"; its model's states break some, which are dropped. With
    `more_broken(state, live)`, the CTI's first state (which satisfies every
    candidate in `live`) also drops what the function returns: it must be
    candidates that some state reachable from that one breaks (computed in
    Python), and it is then asked before the model itself, whose every term
    Z3 would have to evaluate. Returns the indices kept (the base case is the
    caller's), or None when the deadline ran out. Only an unsatisfiable answer
    keeps anything: the result is inductive by Z3's word, not by the sample's.

    The largest inductive subset is unique (the union of two inductive sets
    is inductive), so any order of dropping gives the same result.

    `settled`: indices of goods that form an inductive set by themselves
    (Z3 said so in an earlier run, relative to the same facts). They are in
    the largest inductive subset, so a state satisfying every candidate left
    satisfies them, and so does its successor: they are assumed, never asked
    (raft_linearizable's second stage: 472 of its 965 candidates). They are
    not checked here: a wrong claim would be kept (z3_lemmas' lemmas are
    checked again afterwards, base case and step, as a user's are).

    `mirrors`: for each candidate, the others that are its images under the
    model's symmetry (Symmetry.mirrors). A step that breaks a candidate has a
    mirror step that breaks each image, from the mirror state, which
    satisfies every candidate left when that set is closed under the
    renaming: the images are dropped with it, without a question each. Where
    the set is not closed (a sample cut short), this may drop what the plain
    loop would keep: a weaker set, never a wrong one, as the set kept is
    still the one an unsatisfiable question found inductive."""
    cur, nxt = tr.step_vars(0, "houdini_"), tr.step_vars(1, "houdini_")
    active = list(range(len(goods)))
    fixed = set(settled)
    rounds = 0
    try:
        deadline.remaining_ms()
        before, after = at_all(tr, goods, cur), at_all(tr, goods, nxt)
        base = [tr.step(cur, nxt), *[tr.at(f, cur) for f in facts]]
        while active:
            rounds += 1
            # A fresh solver each round, the candidates left as hard constraints
            # (they simplify far better than assumption literals: sync.cap 0.4 s
            # a query against 3 s). Within the round, every candidate that some
            # step from a state satisfying all of them breaks is found, each
            # answer taking the ones it breaks out of the question; then the
            # next round starts from what is left. Rounds are then the depth of
            # the cascade, not the number of candidates dropped.
            asked = [i for i in active if i not in fixed]
            if not asked:
                return active
            s = tr.solver(logic)
            breaks = [tr.literal(f"houdini_breaks#{rounds}#{i}") for i in asked]
            s.add(*base, *[before[i] for i in active], Z.Or(breaks),
                  *[Z.Implies(b, Z.Not(after[i])) for b, i in zip(breaks, asked)])
            literal = dict(zip(asked, breaks))
            live = set(active)
            while True:
                answer = deadline.check(s)
                if answer == Z.UNKNOWN:
                    deadline.give_up(s.reason_unknown())
                    return None
                if answer == Z.UNSAT:
                    break
                zmodel = s.model()
                now = set()
                if more_broken is not None:
                    now = more_broken(tr.state_of(zmodel, cur), live) & live
                if not now:  # Python saw no break (none asked for): Z3's own word, term by term
                    now = {i for i in live - fixed if not Z.is_true(zmodel.eval(after[i], model_completion=True))}
                assert now and not now & fixed, "a model of the query breaks some candidate, none settled"
                if mirrors is not None:  # the mirror state breaks the images
                    now |= {k for i in now for k in mirrors[i]} & live - fixed
                live -= now
                s.add(*[Z.Not(literal[i]) for i in now])
            if len(live) == len(active):
                return active
            active = [i for i in active if i in live]
            if on_round:
                on_round(rounds, len(active))
    except OutOfTime:
        return None
    return active


def at_all(tr: Translation, terms: list, cur) -> list:
    """Each template over s instantiated at one step, by one substitution for
    all of them (one per term took seconds for a thousand candidates: each
    call walks the substitution list again)."""
    if not terms:
        return []
    together = tr.at(Z.And(terms), cur)
    parts = together.children()
    if len(parts) != len(terms):  # Z3 rewrote the conjunction after all: one by one
        return [tr.at(t, cur) for t in terms]
    return parts


def support(tr: Translation, goods: list, goals: list[int], deadline: Deadline, logic: str = Z.DEFAULT_LOGIC,
            facts: list = ()) -> list[int] | None:
    """A subset of an inductive set `goods` that contains `goals` and is itself
    inductive: the goals, then what an unsatisfiable core of their step query
    needs, then what that needs, and so on (one query per layer). Sorted
    indices; None when the deadline ran out."""
    cur, nxt = tr.step_vars(0, "support_"), tr.step_vars(1, "support_")
    s = tr.solver(logic)
    s.add(tr.step(cur, nxt), *[tr.at(f, cur) for f in facts])
    lits = [tr.literal(f"support#{i}") for i in range(len(goods))]
    for lit, g in zip(lits, goods):
        s.add(Z.Implies(lit, tr.at(g, cur)))
    index = {lit.get_id(): i for i, lit in enumerate(lits)}
    chosen, frontier = set(goals), list(goals)
    layer = 0
    try:
        while frontier:
            layer += 1
            goal = tr.literal(f"support_goal#{layer}")
            s.add(Z.Implies(goal, Z.Or([Z.Not(tr.at(goods[i], nxt)) for i in frontier])))
            # what is chosen stays chosen: asserted, it is no longer asked
            # about (fewer assumptions; a unit simplifies the rest)
            s.add(*[lits[i] for i in frontier])
            answer = deadline.check(s, *[lit for i, lit in enumerate(lits) if i not in chosen], goal)
            if answer != Z.UNSAT:  # UNKNOWN: out of time; SAT would mean goods is not inductive
                if answer == Z.UNKNOWN:
                    deadline.give_up(s.reason_unknown())
                return None
            core = {index[c.get_id()] for c in s.unsat_core() if c.get_id() in index}
            frontier = sorted(core - chosen)
            chosen |= core
    except OutOfTime:
        return None
    return sorted(chosen)
