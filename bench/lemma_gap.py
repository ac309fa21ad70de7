"""Which of a spec's hand-written lemmas do the generated ones not give?

    .venv/bin/python bench/lemma_gap.py specs/proofs/sync_lemmas.cap
    .venv/bin/python bench/lemma_gap.py bench/specs/sync_n4_w3.cap --stage 1

The spec's lemmas are set aside; candidates are generated as check_z3 would
(first stage: the atoms a lemma line can word; --stage 1: every atom), Houdini
keeps the largest inductive subset, and for each hand lemma and property
this says whether that subset implies it (one query over a single state). A
lemma it does not imply is one a template is missing for. Then Houdini again
with the hand lemmas among the candidates: which of them it keeps, and
whether the properties are then inductive. Prints CPU seconds per step.
Not a test: a tool for writing templates (invgen.py).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capmodel.engines import invgen, z3_lemmas  # noqa: E402
from capmodel.engines import z3_translate as Z  # noqa: E402
from capmodel.engines.budget import Deadline  # noqa: E402
from capmodel.engines.induction import houdini  # noqa: E402
from capmodel.ir.pycompile import compile_successors  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402


def print_implied(tr, kept: list, hand, properties) -> None:
    """For each hand lemma and property: does the set `kept` (Z3 templates
    over s) imply it? One query over a single state each."""
    cur = tr.step_vars(0, "gap_")
    held = [tr.at(g, cur) for g in kept] + [tr.at(tr.domain, cur)]
    for c in [*hand, *properties]:
        s = tr.solver()
        s.add(*held, Z.Not(tr.at(tr.translator.as_bool(c.expr, c.name), cur)))
        kind = "lemma" if c in hand else "property"
        print(f"  {kind} {c.name}: {'implied' if s.check() == Z.UNSAT else 'NOT implied'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("spec", help="a spec with lemmas")
    ap.add_argument("--stage", type=int, default=0, choices=(0, 1), help="0: wordable atoms only; 1: every atom")
    ap.add_argument("--max-states", type=int, default=invgen.DEFAULT_SAMPLE)
    args = ap.parse_args()
    spec = build_model(load_spec(args.spec))
    hand = spec.lemmas
    model = dataclasses.replace(spec, lemmas=[], reachables=[])
    tr = Z.translate(model, extra=hand)
    facts = [tr.domain]
    started = time.process_time()

    def say(msg: str) -> None:
        print(f"[{time.process_time() - started:7.1f} s] {msg}", flush=True)

    states, complete = invgen.explore(model, args.max_states)
    deep = [] if complete else invgen.walk_states(model)
    said: dict = {}
    sayable = (lambda a: z3_lemmas._words(model, tr, a, said) is not None) if args.stage == 0 else None
    exprs = [c.expr for c in invgen.survivors(invgen.generate(model, states, sayable=sayable), deep)]
    say(f"{len(exprs):,} candidates on {len(states) + len(deep):,} states")

    def inductive(extra):
        every = exprs + [c.expr for c in extra]
        goods = [tr.translator.as_bool(e, f"candidate {i}") for i, e in enumerate(every)]
        more = z3_lemmas.breaks_near(compile_successors(model), invgen.failing_test(every), Deadline(None))
        kept = houdini(tr, goods, Deadline(None), facts=facts, more_broken=more)
        return goods, kept

    goods, kept = inductive([])
    say(f"Houdini keeps {len(kept):,}")
    print_implied(tr, [goods[i] for i in kept], hand, model.invariants)
    extra = [*hand, *model.invariants]
    goods, kept = inductive(extra)
    names = {len(exprs) + k: f"{'lemma' if c in hand else 'property'} {c.name}" for k, c in enumerate(extra)}
    say(f"with the hand lemmas and properties among the candidates, Houdini keeps {len(kept):,}: "
        + ", ".join(names[i] for i in kept if i in names))


if __name__ == "__main__":
    main()
