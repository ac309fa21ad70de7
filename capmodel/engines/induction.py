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
                logic: str = Z.DEFAULT_LOGIC) -> InductionResult:
    """The inductive step only: the caller establishes the base case (BMC up to k-1)."""
    if k < 1:
        raise ValueError("k-induction needs k >= 1")
    result = InductionResult(k)
    solver = Z.solver(logic)
    tag = f"ind{k}_"
    steps = [tr.step_vars(t, tag) for t in range(k + 1)]
    for t in range(k):
        solver.add(tr.step(steps[t], steps[t + 1]))
    assume = {}
    for c in conjuncts:
        lit = Z.Bool(f"{tag}assume[{c.name}]")
        solver.add(Z.Implies(lit, Z.And([tr.at(c.good, steps[t]) for t in range(k)])))
        assume[c.name] = lit
    active = list(conjuncts)
    rounds = 0
    try:
        while active:
            rounds += 1
            query = Z.Bool(f"{tag}query#{rounds}")
            after = {c.name: tr.at(c.good, steps[k]) for c in active}
            solver.add(Z.Implies(query, Z.Or([Z.Not(x) for x in after.values()])))
            deadline.arm(solver)
            answer = solver.check(query, *[assume[c.name] for c in active])
            if answer == Z.UNKNOWN:
                raise OutOfTime()
            if answer == Z.UNSAT:
                break
            zmodel = solver.model()
            path: Path = [(-1, tr.state_of(zmodel, steps[0]))]
            for t in range(k):
                path.append((tr.action_of(zmodel, steps[t]), tr.state_of(zmodel, steps[t + 1])))
            assumed = [c.name for c in active]
            broken = [c for c in active if not Z.is_true(zmodel.eval(after[c.name], model_completion=True))]
            assert broken, "the model meets the query, so it breaks some condition"
            for c in broken:
                result.ctis[c.name] = CTI(c, path, assumed)
            active = [c for c in active if c not in broken]
            solver.add(Z.Not(query))
    except OutOfTime:
        result.timed_out = True
        return result
    result.proved = [c.name for c in active]
    return result
