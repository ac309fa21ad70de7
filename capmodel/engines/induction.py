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
from .bmc import Deadline, OutOfTime, Path
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
