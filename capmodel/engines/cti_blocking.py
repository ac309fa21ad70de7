"""Strengthening a Houdini set by blocking its counterexamples to induction.

Houdini (induction.houdini) keeps the largest inductive subset of the
candidates. When a property is not in it, the set is too weak: some step
leads from a state that satisfies all of it (and the property) to one that
breaks the property, and that first state is unreachable. Templates of two
literals cannot rule such states out in a protocol like Raft, where the
reason a state is unreachable ties three or four facts together (a write
acknowledged, held by this node, not by that one, which a majority elected).

So, as IC3 and PDR do, each such state is *blocked*: from the atoms of the
vocabulary (the same atoms the candidates are made of, over the variables
the properties depend on) a small cube is chosen that the state satisfies
and no state of the reachable sample does, and its negation, a clause, joins
the set as a new condition to keep. The clause holds on every sampled
reachable state by construction (truth tables, no solver), so it is a
candidate like the others. It need not be inductive: when a later step
breaks it, the state that step starts from is blocked in turn. A state in
the sample is reachable and cannot be blocked: what it breaks is dropped,
as in Houdini. The loop ends when one round finds no step that breaks
anything: the conditions left are then inductive by Z3's word (an
unsatisfiable query), not by the sample's, and a property among them is
proved exactly as Houdini's survivors are (z3_lemmas checks them again as
lemmas, base case and step).

The cube is built from the literals of the state, first those over the
variables that decide the step that breaks a condition (the condition's,
those its updates read, the guard's: every state that agrees with this one
on them takes the same step to a broken condition, as IC3 lifts a
predecessor), then the rest; within each, simplest first (fewest variables,
then the smallest term); each taken when it leaves out more sampled states,
until none is left; then each literal the others do without is taken out
again. Without the first part the cubes named whatever simple atoms came
first in the vocabulary: raft_majority's no_split_brain blocked 898 states
in 12 rounds (30 s of its 54 s of CPU); with it 80 to 372 (which states Z3
hands back varies with everything asked before it in the context). Small
cubes of plain atoms are general clauses, so fewer states need blocking
(raft_linearizable: 247 states against 600 and no proof for the literal
that leaves out the most states first, which is kept as the fallback when
the first cube was tried before and dropped).
Where nodes are interchangeable (ir/symmetry), each clause is learned with
its images under the renamings, which the reachable states satisfy as well
(raft_majority, n2 and n3: no_acked_write_lost 14-16 s of CPU against
20-22 s over the same three seeds, docs/z3.md).
The sample should be every reachable state: a cut one makes clauses that
are false in states it left out, and blocking then chases reachable ones;
so the search explores up to BLOCKING_SAMPLE states first.
"""
from __future__ import annotations

from functools import cached_property
from operator import itemgetter

from ..ir import expr as X
from ..ir.cone import variables_read
from ..ir.expr import Expr
from ..ir.model import Condition, Model, State
from ..ir.symmetry import find_symmetry
from ..ir.pycompile import to_python
from . import invgen, truth_tables
from . import z3_translate as Z
from .budget import Deadline, OutOfTime
from .invgen import Candidate
from .z3_translate import Translation

STRATEGIES = ("simple", "greedy")  # how cubes are chosen: the second when the first gives a clause tried before
BLOCKING_SAMPLE = 500_000  # states explored for the cubes when the candidates' sample was cut
MAX_BLOCKED = 2_000  # states blocked at most in one search (a bound on the loop, besides the deadline)
# the last (model, budget) explored for blocking and its Sample (None when not every state); per
# budget, so that each run spends the same steps of its work budget on it, whatever ran before
_explored: list = [None, None, None]


class Sample:
    """Every reachable state, and their projections on sets of variables (the
    others set to 0, each projection once) with the truth tables of atoms
    over them: an atom over those variables has the same value in a state and
    in its projection, and there are far fewer projections than states
    (raft_linearizable's 452,000 states: 7,254 projections on the 30 of 44
    variables in no_acked_write_lost's cone, 77,194 on linearizable's 36;
    raft_majority's 147,594: 30,314 on either property's cone)."""

    def __init__(self, states: list[State]) -> None:
        self.states = states
        self.projections: dict[frozenset, tuple[list[State], dict]] = {}  # cone -> (projections, tables)

    @cached_property
    def state_set(self) -> set[State]:
        """The states as a set, made once for every stage that asks."""
        return set(self.states)

    def on(self, cone: set[int]) -> tuple[list[State], dict]:
        """The projections on `cone` and the truth tables over them found so far (atom -> table)."""
        key = frozenset(cone)
        if key not in self.projections:
            self.projections[key] = (project(self.states, cone), {})
        return self.projections[key]

    def holding(self, exprs: list[Expr], tick) -> list[bool | None]:
        """For each literal or clause: whether it holds in every reachable
        state, known from the projections on a set of variables that holds all
        it reads; None when no projection has them all."""
        out: list[bool | None] = [None] * len(exprs)
        for cone, (states, known) in self.projections.items():
            which = [k for k, e in enumerate(exprs) if out[k] is None and variables_read(e, set()) <= cone]
            everything = (1 << len(states)) - 1
            for k, t in zip(which, truth_tables.clause_tables([exprs[k] for k in which], known, states, tick)):
                out[k] = t == everything
        return out


def project(states: list[State], cone: set[int]) -> list[State]:
    """Each state with the variables outside `cone` set to 0, each result once, in order."""
    if not states:
        return []
    order, n = sorted(cone), len(states[0])
    pick = itemgetter(*order) if len(order) > 1 else (lambda s: tuple(s[i] for i in order))
    out = []
    for sub in dict.fromkeys(map(pick, states)):
        full = [0] * n
        for i, v in zip(order, sub):
            full[i] = v
        out.append(tuple(full))
    return out


def complete_sample(model: Model, deadline: Deadline) -> Sample | None:
    """Every reachable state, when blocking has explored them all in this run
    (the first stage's), with what it has tabled over them; else None."""
    return _explored[2] if _explored[0] is model and _explored[1] is deadline else None


def update_cone(model: Model, exprs: list[Expr]) -> set[int]:
    """The variables the conditions read, and those that an update of such a
    variable, or the guard of an action making one, reads (closed). The other
    variables (a read's ghost, say, when only writes are checked) change
    nothing these conditions see, so atoms over them make poor cubes."""
    keep: set[int] = set()
    for e in exprs:
        variables_read(e, keep)
    instances = model.instances()
    changed = True
    while changed:
        changed = False
        for inst in instances:
            if any(index in keep for index, _ in inst.updates):
                before = len(keep)
                variables_read(inst.guard, keep)
                for index, value in inst.updates:
                    if index in keep:
                        variables_read(value, keep)
                changed |= len(keep) != before
    return keep


def atoms_of(candidates: list[Candidate]) -> list[Expr]:
    """The atoms the candidates are made of (their literals without `not`), in order."""
    out: dict[Expr, None] = {}
    for c in candidates:
        for lit in c.expr.args if c.expr.op == "or" else (c.expr,):
            out.setdefault(lit.args[0] if lit.op == "not" else lit, None)
    return list(out)


def _size(e: Expr) -> int:
    return 1 if e.op in ("var", "const") else 1 + sum(_size(a) for a in e.args)


class Blocker:
    """Cubes over the atoms that exclude every sampled reachable state."""

    def __init__(self, atoms: list[Expr], states: list[State], tick, known: dict | None = None,
                 cone: set[int] | None = None) -> None:
        """`known`: atom -> truth table over these same states, read and added to
        (the second stage's vocabulary is a superset of the first's). `cone`:
        the states are projections on these variables (Sample), which the
        atoms are all over; a state asked about is projected too."""
        self.atoms = atoms
        self.cone = cone
        self.reachable = set(states)
        self.everything = (1 << len(states)) - 1
        known = {} if known is None else known
        missing = [a for a in atoms if a not in known]
        known.update(zip(missing, truth_tables.tables(missing, states, tick)))
        self.tables = [known[a] for a in atoms]
        self.reads = [frozenset(variables_read(a, set())) for a in atoms]
        self.order = sorted(range(len(atoms)), key=lambda k: (len(self.reads[k]), _size(atoms[k])))
        tick()
        self.row = eval(compile("lambda s: (" + "".join(f"bool({to_python(a)}), " for a in atoms) + ")",
                                "<atoms>", "eval"), {}) if atoms else (lambda s: ())

    def cube(self, state: State, strategy: str, relevant: set[int] | None = None) -> list[Expr] | None:
        """Literals true in `state` whose conjunction no sampled state satisfies;
        None when the state is in the sample or no such cube exists."""
        if (state if self.cone is None else project([state], self.cone)[0]) in self.reachable:
            return None
        lits = [(a, t) if v else (X.not_(a), self.everything ^ t)
                for a, t, v in zip(self.atoms, self.tables, self.row(state))]
        if strategy == "greedy":
            left, chosen = self.everything, []
            while left:
                lit = min(lits, key=lambda lt: ((left & lt[1]).bit_count(), -lt[1].bit_count()))
                if left & lit[1] == left:
                    return None  # the sample has a state with the same atoms
                chosen.append(lit)
                left &= lit[1]
        else:
            left, chosen = self.everything, []
            order = self.order if relevant is None else (
                [k for k in self.order if self.reads[k] <= relevant]
                + [k for k in self.order if not self.reads[k] <= relevant])
            for k in order:
                lit = lits[k]
                if left & lit[1] != left:
                    chosen.append(lit)
                    left &= lit[1]
                    if not left:
                        break
            if left:
                return None
            chosen.reverse()
        for lit in list(chosen):  # take out what the others do without
            rest = [x for x in chosen if x is not lit]
            both = self.everything
            for _, t in rest:
                both &= t
            if both == 0:
                chosen = rest
        return [a for a, _ in chosen]


def _lifted(inst, reads: list[set[int]], broken: list[int]) -> set[int] | None:
    """The variables that decide that `inst` breaks one of the broken
    conditions (the smallest such set): those the condition reads, those its
    updates of them read, and its guard's. Every state that agrees with the
    counterexample's first state on them takes the same step to a state that
    breaks the condition, so a cube over them blocks all those states at once."""
    best = None
    for i in broken:
        need = set(reads[i])
        variables_read(inst.guard, need)
        for index, value in inst.updates:
            if index in reads[i]:
                variables_read(value, need)
        if best is None or len(need) < len(best):
            best = need
    return best


def orbit_completion(model: Model, symmetry, kept: list[Expr], goals: list[Expr]) -> list[Expr] | None:
    """The images that close Houdini's set under the symmetry, when asking one
    clause of each orbit is sound: the goals closed already, and every
    condition renamed by every renaming. None otherwise (every clause asked)."""
    if symmetry is None or symmetry.missing_images(model, goals) != []:
        return None
    return symmetry.missing_images(model, kept)


def same_orbits(model: Model, symmetry, conditions: list[Expr], chosen: set[int]) -> set[int]:
    """The indices of the conditions that are images of the chosen ones (by Normaliser's forms)."""
    mirrors = symmetry.mirrors(model, conditions)
    return {k for i in chosen for k in mirrors[i]}


def strengthen(model: Model, tr: Translation, kept: list[Expr], goals: list[Expr], atoms: list[Expr],
               states: list[State], deadline: Deadline, logic: str = Z.DEFAULT_LOGIC, facts: list = (),
               say=lambda _m: None, sample: Sample | None = None) -> tuple[list[Expr], list[int]] | None:
    """Block the counterexamples to induction of `goals` (properties outside
    Houdini's set), assuming `kept` (Houdini's set, inductive by itself).
    Returns (the clauses learned that stay, the indices of the goals that
    stay): together with `kept` an inductive set, by an unsatisfiable query.
    ([], []) when no goal can be kept; None when the deadline ran out."""
    cone = update_cone(model, goals)
    vocabulary = [a for a in atoms if variables_read(a, set()) <= cone]
    try:
        projected, known = (sample or Sample(states)).on(cone)
        blocker = Blocker(vocabulary, projected, deadline.remaining_ms, known, cone)
        cur, nxt = tr.step_vars(0, "block_"), tr.step_vars(1, "block_")
        instances = model.instances()
        # Interchangeable nodes (ir/symmetry; raft_majority's n2 and n3): the
        # reachable states are closed under renaming them, so the image of a
        # clause true in all of them is true in all of them too. It is learned
        # with the clause, before Z3 hands back the mirror state to block.
        symmetry = find_symmetry(model, [Condition(f"goal {k}", g) for k, g in enumerate(goals)])
        # And only one clause of each orbit is asked in the second state: when
        # everything assumed in the first is closed under the renamings, a step
        # that breaks an image has a mirror step, from a mirror state that
        # satisfies it all, that breaks the clause (raft_majority
        # no_acked_write_lost: 13.4-16.1 s of CPU -> 10.1-12.8 over five Z3
        # seeds, docs/z3.md). Houdini's set is closed by adding the images it
        # lacks: images of invariants are invariants, and kept by the same
        # mirror argument, so they are assumed and never asked.
        completion = orbit_completion(model, symmetry, kept, goals)
        orbits = completion is not None
        assumed = [tr.step(cur, nxt), *[tr.at(f, cur) for f in facts],
                   *[tr.at(g, cur) for g in deadline.paced([tr.translator.as_bool(e, "kept") for e in kept])]]
        conditions = list(goals) + (completion or [])  # the goals, then the clauses learned
        unasked: set[Expr] = set(completion or ())  # assumed in the first state only
        learned: set[Expr] = set()
        # One solver for the rounds, as long as no condition is dropped: what
        # Z3 learned in one round then serves the next (a fresh solver per
        # round spent most of the loop's time on the last rounds' hard
        # questions). A condition is assumed in the first state for good; in
        # the second, a literal of its own says it is broken.
        s = None
        broken: dict[Expr, object] = {}
        rounds = 0
        while True:
            rounds += 1
            good = [tr.translator.as_bool(e, "blocking") for e in conditions]
            # the conditions' conjuncts, each with the variables it reads: what a step must break
            parts = [(i, x) for i, e in enumerate(conditions) for x in (e.args if e.op == "and" else (e,))]
            failing = invgen.failing_test([x for _, x in parts])
            reads = [variables_read(x, set()) for _, x in parts]
            if s is None:
                s, broken = tr.solver(logic), {}
                s.add(*assumed, *[tr.at(g, cur) for g in good])
            for e, g in zip(conditions, good):
                if e not in broken and e not in unasked:
                    broken[e] = tr.literal(f"block_breaks#{len(broken)}")
                    s.add(Z.Implies(broken[e], Z.Not(tr.at(g, nxt))))
            some = tr.literal(f"block_some#{rounds}")  # this round's question: one of its conditions broken
            s.add(Z.Implies(some, Z.Or([broken[e] for e in conditions if e in broken])))
            assumptions = [some]
            dropped: set[int] = set()
            new: list[Expr] = []
            while True:
                answer = deadline.check(s, *assumptions)
                if answer == Z.UNKNOWN:
                    raise deadline.give_up(s.reason_unknown())
                if answer == Z.UNSAT:
                    break
                zmodel = s.model()
                start = tr.state_of(zmodel, cur)
                relevant = _lifted(instances[tr.action_of(zmodel, cur)], reads,
                                   [k for k in failing(tr.state_of(zmodel, nxt)) if parts[k][0] not in dropped])
                clause = None
                for strategy in STRATEGIES if len(learned) < MAX_BLOCKED else ():
                    cube = blocker.cube(start, strategy, relevant)
                    clause = None if cube is None else X.or_(*[X.not_(a) for a in cube])
                    if clause not in learned:
                        break
                if clause is not None and clause not in learned:
                    images = symmetry.images(clause) if symmetry is not None else []
                    if orbits and len(images) < len(symmetry.perms):  # not closed: ask every clause from now on
                        orbits = False
                        unasked.clear()
                    for c in [clause, *images]:
                        if c not in learned:
                            learned.add(c)
                            new.append(c)
                            if orbits and c is not clause:
                                unasked.add(c)
                            s.add(tr.at(tr.translator.as_bool(c, "blocking"), cur))
                    continue
                now = {i for i, g in enumerate(good) if i not in dropped
                       and not Z.is_true(zmodel.eval(tr.at(g, nxt), model_completion=True))}
                assert now, "a model of the query breaks some condition"
                if orbits:  # what a reachable state breaks, the mirror states break too: whole orbits go
                    now |= same_orbits(model, symmetry, conditions, now) - dropped
                dropped |= now
                assumptions += [Z.Not(broken[conditions[i]]) for i in now if conditions[i] in broken]
            if dropped:
                s = None  # a dropped condition is no longer assumed in the first state
            if not new and not dropped:
                break
            conditions = [c for i, c in enumerate(conditions) if i not in dropped] + new
            say(f"z3: blocking round {rounds}: {len(learned):,} states blocked, "
                f"{len(conditions):,} conditions left")
            if not any(g in conditions for g in goals):
                return [], []
    except OutOfTime:
        return None
    index = {g: i for i, g in enumerate(goals)}
    return [c for c in conditions if c not in index], [index[c] for c in conditions if c in index]


def extend(model: Model, tr: Translation, candidates: list[Candidate], props: list, goods: list,
           inductive: list[int], states: list[State], deadline: Deadline, logic: str = Z.DEFAULT_LOGIC,
           facts: list = (), say=lambda _m: None) -> list[int] | None:
    """z3_lemmas' hook: Houdini kept `inductive` (indices into `goods`, the
    candidates' templates then the properties'). Blocks the CTIs of the
    properties left out; the clauses learned are appended to `candidates`
    (and their templates to `goods`, before the properties', which move
    up), in place. Returns the indices of the new inductive set (Houdini's
    when nothing more could be kept), or None when the deadline ran out."""
    sample = None  # every reachable state, kept for the second stage
    if invgen.DEFAULT_SAMPLE <= len(states) and invgen.DEFAULT_SAMPLE < BLOCKING_SAMPLE:
        # A cut sample makes clauses that are false in reachable states it
        # left out, and blocking then chases states that are reachable
        # (raft_linearizable: 600 states blocked in 100 s with 50,000 states
        # and walks, no proof; 224 and both properties proved with all 452,000).
        if _explored[0] is not model or _explored[1] is not deadline:  # the second stage asks again
            more, complete = invgen.explore_all(model, BLOCKING_SAMPLE, deadline.remaining_ms)
            _explored[:] = [model, deadline, Sample(more) if complete else None]
        if _explored[2] is not None:
            sample = _explored[2]
            states = sample.states
    n = len(candidates)
    kept = [candidates[i].expr for i in inductive if i < n]
    goals = [k for k in range(len(props)) if n + k not in inductive]
    found = strengthen(model, tr, kept, [props[k].expr for k in goals], atoms_of(candidates), states,
                       deadline, logic, facts, say, sample)
    if found is None:
        return None
    clauses, stay = found
    if not stay:
        return inductive
    for clause in clauses:
        shapes = sorted(invgen.shape(model, x) for x in clause.args) if clause.op == "or" else [
            invgen.shape(model, clause)]
        candidates.append(Candidate(clause, ("blocked", *shapes)))
    goods[n:n] = [tr.translator.as_bool(c, "blocked state") for c in clauses]
    k = len(clauses)
    return ([i for i in inductive if i < n] + list(range(n, n + k))
            + sorted({i + k for i in inductive if i >= n} | {n + k + goals[j] for j in stay}))
