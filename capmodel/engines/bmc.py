"""Incremental bounded model checking on one solver.

The solver holds the initial state and the steps unrolled so far. At each
depth t it asks, under a fresh assumption literal, "does some open goal hold at
step t?" (a goal is a bad state: an invariant broken, a reachable condition
met, a deadlock, a variable outside its domain). Depths are tried in order, so
the first path found for a goal is a shortest one: its length is the length of
the explicit engine's breadth-first counterexample. Only then is the next step
added, and the solver keeps everything it has learned.

A solver unrolled to depth d holds only paths that go on for d steps. A goal
that joins later and is checked at a shallower depth t < d (the deadlock goal,
after the properties went deeper) would miss every path that ends at t: a
deadlock, or a finished workload. Such a query goes to a second BMC unrolled
to exactly t (a deadlock in 3 steps was missed once the unrolling reached 4).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.model import State
from . import z3_translate as Z
from .budget import Deadline, OutOfTime
from .z3_translate import StepVars, Translation

Path = list[tuple[int, State]]  # (-1, s0), (instance index, state after), ... as trace.build_trace takes


@dataclass
class Goal:
    name: str
    kind: str  # violation | witness | deadlock | lemma | domain
    bad: object  # a Z3 template over the translation's s: the goal is met in such a state


@dataclass
class Found:
    goal: Goal
    depth: int
    path: Path


@dataclass
class BMCStatus:
    checked: dict[str, int] = field(default_factory=dict)  # goal -> every depth <= this was checked for it
    timed_out: bool = False
    found: dict[str, Found] = field(default_factory=dict)

    def depth_of(self, names) -> int:
        """Every depth up to this was checked for each of these goals (-1: none)."""
        names = list(names)
        return min((self.checked.get(n, -1) for n in names), default=-1)


class BMC:
    """One solver, deepened one step at a time; resumable (check up to a depth,
    then later further, with other goals)."""

    def __init__(self, tr: Translation, logic: str = Z.DEFAULT_LOGIC, tag: str = "", learn: bool = True) -> None:
        self.tr = tr
        self.tag = tag
        self.solver = tr.solver(logic)
        self.steps: list[StepVars] = [tr.step_vars(0, tag)]
        self.solver.add(tr.initial(self.steps[0]))
        self.status = BMCStatus()
        self._queries = 0
        self.learn = learn
        self.logic = logic
        self.facts: list = []  # templates proved invariant: asserted at every step
        self._shallow: BMC | None = None  # for queries at a depth this solver has gone past
        self._shallows = 0

    def _extend(self) -> None:
        t = len(self.steps) - 1
        nxt = self.tr.step_vars(t + 1, self.tag)
        self.solver.add(self.tr.step(self.steps[t], nxt))
        self.steps.append(nxt)
        for fact in self.facts:
            self.solver.add(self.tr.at(fact, nxt))

    def assert_invariant(self, template) -> None:
        """A condition proved to hold in every reachable state (by induction):
        asserting it at every step changes no answer and helps the solver."""
        self.facts.append(template)
        for cur in self.steps:
            self.solver.add(self.tr.at(template, cur))
        if self._shallow is not None:
            self._shallow.assert_invariant(template)

    def _unrolled_to(self, t: int) -> "BMC":
        """A BMC whose solver is unrolled to at most depth t, sharing the proved facts."""
        if self._shallow is None or len(self._shallow.steps) - 1 > t:
            self._shallows += 1
            self._shallow = BMC(self.tr, self.logic, tag=f"{self.tag}shallow{self._shallows}_", learn=self.learn)
            for fact in self.facts:
                self._shallow.assert_invariant(fact)
        return self._shallow

    def _path(self, zmodel, depth: int) -> Path:
        tr = self.tr
        path: Path = [(-1, tr.state_of(zmodel, self.steps[0]))]
        for t in range(depth):
            path.append((tr.action_of(zmodel, self.steps[t]), tr.state_of(zmodel, self.steps[t + 1])))
        return path

    def check_depth(self, t: int, goals: list[Goal], deadline: Deadline) -> list[Found]:
        """Every goal of `goals` that some path of exactly t steps meets."""
        if t < len(self.steps) - 1:
            return self._unrolled_to(t).check_depth(t, goals, deadline)
        while len(self.steps) <= t:
            self._extend()
        cur = self.steps[t]
        open_ = list(goals)
        found = []
        while open_:
            self._queries += 1
            lit = self.tr.literal(f"{self.tag}query#{self._queries}")
            bad = {g.name: self.tr.at(g.bad, cur) for g in open_}
            self.solver.add(Z.Implies(lit, Z.Or(list(bad.values()))))
            answer = deadline.check(self.solver, lit)
            if answer == Z.UNKNOWN:
                self.solver.add(Z.Not(lit))
                raise deadline.give_up(self.solver.reason_unknown())
            if answer == Z.UNSAT:
                self.solver.add(Z.Not(lit))  # retire the literal
                # No path of t steps meets an open goal: every such path keeps
                # each of them false at step t. That is a fact of the unrolling,
                # so asserting it loses nothing, and it prunes the deeper queries.
                if self.learn:
                    self.solver.add(Z.And([Z.Not(x) for x in bad.values()]))
                break
            zmodel = self.solver.model()
            path = self._path(zmodel, t)
            hit = [g for g in open_ if Z.is_true(zmodel.eval(bad[g.name], model_completion=True))]
            assert hit, "the model meets the disjunction, so it meets one of its goals"
            self.solver.add(Z.Not(lit))
            for g in hit:
                found.append(Found(g, t, path))
                open_.remove(g)
        return found

    def run(self, goals: list[Goal], max_depth: int, deadline: Deadline,
            on_depth=None, essential: set[str] | None = None) -> BMCStatus:
        """Check each goal at every depth up to max_depth that was not checked
        for it before, shallowest first, until it is found. Goals may join a
        later call: each goal remembers how deep it was checked. With
        `essential`, stop as soon as no goal of that set is open."""
        st = self.status
        open_ = [g for g in goals if g.name not in st.found]
        t = min((st.checked.get(g.name, -1) + 1 for g in open_), default=max_depth + 1)
        try:
            while open_ and t <= max_depth:
                if essential is not None and not any(g.name in essential for g in open_):
                    break
                due = [g for g in open_ if st.checked.get(g.name, -1) < t]
                for f in self.check_depth(t, due, deadline):
                    st.found[f.goal.name] = f
                for g in due:
                    st.checked[g.name] = t
                open_ = [g for g in open_ if g.name not in st.found]
                if on_depth:
                    on_depth(t)
                t += 1
        except OutOfTime:
            st.timed_out = True
        return st
