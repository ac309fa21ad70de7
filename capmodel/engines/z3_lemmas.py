"""Lemmas no one wrote: candidates from invgen.py, kept by Z3 when inductive.

generate_lemmas() runs the pipeline of issue 15:
  1. candidates from templates over the model's own atoms, filtered on the
     states a breadth-first search reaches (all of them when they fit);
  2. Houdini in Z3 (induction.houdini): the largest inductive subset;
  3. of it, what the properties' proof needs (unsatisfiable cores);
  4. those, one lemma per template family, handed back as Conditions.
Nothing here is trusted: the caller (z3_engine.check_z3) checks the lemmas
exactly as a user's, base case and inductive step, and a property is PROVED
only when that check says so.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from ..ir import expr as X
from ..ir.model import Condition, Model
from ..ir.pycompile import compile_predicate, compile_successors
from . import invgen
from . import z3_translate as Z
from .bmc import Deadline
from .induction import houdini, support

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
    timed_out: bool = False

    def summary(self) -> str:
        sample = f"{self.sample:,} reachable states" + (" (all of them)" if self.sample_complete else "")
        return (f"lemmas generated: {self.candidates:,} candidates held on {sample}, "
                f"{self.inductive:,} of them inductive; "
                f"the proof uses {len(self.lemmas)} lemma(s) ({self.seconds:.1f} s)")


def generate_lemmas(model: Model, tr: Z.Translation, invariants: list[Condition], deadline: Deadline, *,
                    logic: str = Z.DEFAULT_LOGIC, facts: list = (), max_states: int = invgen.DEFAULT_SAMPLE,
                    say: Callable[[str], None] = lambda _m: None) -> Generated:
    started = time.perf_counter()
    out = Generated()
    states, out.sample_complete = invgen.explore(model, max_states)
    out.sample = len(states)
    say(f"z3: generating lemmas from {len(states):,} reachable states")
    candidates = invgen.generate(model, states)
    out.candidates = len(candidates)
    # the properties join as candidates, where they hold on the sample
    props = [c for c in invariants if all(map(compile_predicate(c.expr), states))]
    exprs = [c.expr for c in candidates] + [c.expr for c in props]
    kept = list(range(len(exprs)))
    say(f"z3: Houdini over {len(kept):,} candidates")
    goods = [tr.translator.as_bool(exprs[i], f"candidate {i}") for i in kept]
    successors = compile_successors(model)
    failing = invgen.failing_test([exprs[i] for i in kept])

    def more_broken(state, active):
        return invgen.broken_after(state, successors, failing)

    inductive = houdini(tr, goods, deadline, logic, facts=facts, more_broken=more_broken,
                        on_round=lambda r, n: say(f"z3: Houdini round {r}: {n:,} candidates left"))
    if inductive is None:
        out.timed_out = True
        out.seconds = time.perf_counter() - started
        return out
    out.inductive = len(inductive)
    first_prop = len(candidates)
    goals = [j for j, i in enumerate(kept) if i >= first_prop and j in set(inductive)]
    if not goals:
        out.seconds = time.perf_counter() - started
        return out
    sub = [goods[j] for j in inductive]
    needed = support(tr, sub, [inductive.index(j) for j in goals], deadline, logic, facts=facts)
    if needed is None:
        out.timed_out = True
        out.seconds = time.perf_counter() - started
        return out
    families: dict[tuple, list[int]] = {}
    for k in needed:
        i = kept[inductive[k]]
        if i < first_prop:
            families.setdefault(candidates[i].family, []).append(i)
    from .z3_chc import render_lemma  # the spec-language wording of a z3 formula

    for n, members in enumerate(families.values(), start=1):
        name = f"{GENERATED_PREFIX}{n}"
        expr = X.and_(*[candidates[i].expr for i in members])
        out.lemmas.append(Condition(name, expr, "generated lemma"))
        parts = [render_lemma(model, tr.translator.as_bool(candidates[i].expr, name), tr.s) for i in members]
        out.texts[name] = None if None in parts else " and ".join(
            p if len(parts) == 1 else f"({p})" for p in parts)
    out.seconds = time.perf_counter() - started
    return out
