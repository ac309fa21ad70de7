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
    # 8 s this way against 25-27 s the other two.
    # Houdini over the properties, lemmas and domains: a condition that can
    # break is dropped, and what was settled is asked again with fewer
    # assumptions. "No deadlock" and "R is never reached" are asked after, each
    # on top of that inductive set: if M is inductive and M and o imply o',
    # then M plus o is inductive. So their failing (they usually do) costs no
    # second pass.
    observers = [c for c in conjuncts if c.kind in ("no_deadlock", "unreachable")]
    active = [c for c in conjuncts if c not in observers]

    def ask(c: Conjunct, assumed: list[Conjunct]):
        """None when c cannot break after assumed; else a CTI's path and the conditions it breaks."""
        solver = Z.solver(logic)
        solver.add(*path_terms, *[x for a in assumed for x in before[a.name]], *known, Z.Not(after[c.name]))
        deadline.arm(solver)
        answer = solver.check()
        if answer == Z.UNKNOWN:
            raise OutOfTime()
        if answer == Z.UNSAT:
            return None
        zmodel = solver.model()
        path: Path = [(-1, tr.state_of(zmodel, steps[0]))]
        for t in range(k):
            path.append((tr.action_of(zmodel, steps[t]), tr.state_of(zmodel, steps[t + 1])))
        broken = [x for x in assumed if not Z.is_true(zmodel.eval(after[x.name], model_completion=True))]
        assert c in broken, "the model meets the query, so it breaks the condition asked about"
        return path, broken

    try:
        settled: set[str] = set()  # cannot break under the current assumptions
        while True:
            todo = [c for c in active if c.name not in settled]
            if not todo:
                break
            c = todo[0]
            found = ask(c, active)
            if found is None:
                settled.add(c.name)
                continue
            path, broken = found
            for x in broken:
                result.ctis[x.name] = CTI(x, path, [a.name for a in active])
            active = [x for x in active if x not in broken]
            settled.clear()  # fewer assumptions: what was settled must be asked again
        for o in observers:
            found = ask(o, active + [o])
            if found is None:
                active.append(o)
            else:
                result.ctis[o.name] = CTI(o, found[0], [a.name for a in active] + [o.name])
    except OutOfTime:
        result.timed_out = True
        return result
    order = {c.name: i for i, c in enumerate(conjuncts)}
    active.sort(key=lambda c: order[c.name])
    result.proved = [c.name for c in active]
    return result
