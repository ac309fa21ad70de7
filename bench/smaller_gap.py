"""Does a proof on a smaller instance carry over, renamed, to a spec's own size?

    .venv/bin/python bench/smaller_gap.py bench/specs/sync_n4_w3.cap
    .venv/bin/python bench/smaller_gap.py bench/specs/sync_n4_w3.cap --nodes 3 --writes 2 --whole

The spec's lemmas are set aside; its smaller instance (semantics/smaller.py,
--nodes x --writes) is proved as check_z3 would (z3_lemmas, with the pointer
clauses), the candidates that proof uses (--whole: its whole inductive set)
are renamed into the spec (invgen_small), Houdini at the spec's size keeps
the inductive ones, and for each hand lemma and property this says whether
that set implies it (one query over a single state). Then which renamed
candidates a reachable state of the spec breaks (its first --max-states
states). Prints CPU seconds per step. Not a test: a tool for finding what a
small proof lacks (docs/z3.md, "7 x 6 from a small instance").
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lemma_gap import print_implied  # noqa: E402  (bench/, the script's own folder)

from capmodel.engines import invgen, truth_tables, z3_lemmas  # noqa: E402
from capmodel.engines import z3_translate as Z  # noqa: E402
from capmodel.engines.budget import Deadline  # noqa: E402
from capmodel.engines.induction import houdini  # noqa: E402
from capmodel.ir.pycompile import compile_successors  # noqa: E402
from capmodel.semantics import smaller  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("spec", help="a spec with lemmas")
    ap.add_argument("--nodes", type=int, default=smaller.SMALL_NODES)
    ap.add_argument("--writes", type=int, default=smaller.SMALL_WRITES)
    ap.add_argument("--whole", action="store_true", help="rename the small inductive set, not only its proof")
    ap.add_argument("--max-states", type=int, default=invgen.DEFAULT_SAMPLE)
    args = ap.parse_args()
    smaller.SMALL_NODES, smaller.SMALL_WRITES = args.nodes, args.writes
    spec = build_model(load_spec(args.spec))
    hand = spec.lemmas
    model = dataclasses.replace(spec, lemmas=[], reachables=[])
    tr = Z.translate(model, extra=hand)
    started = time.process_time()

    def say(msg: str) -> None:
        print(f"[{time.process_time() - started:7.1f} s] {msg}", flush=True)

    made = z3_lemmas.smaller_candidates(model, model.invariants, Deadline(None), whole=args.whole)
    if made is None:
        say("no smaller instance, or no proof on it")
        return
    pairs, size = made
    exprs = [c.expr for c, _ in pairs]
    say(f"{len(exprs):,} renamed candidates ({size})")
    goods = [tr.translator.as_bool(e, f"candidate {i}") for i, e in enumerate(exprs)]
    more = z3_lemmas.breaks_near(compile_successors(model), invgen.failing_test(exprs), Deadline(None))
    kept = houdini(tr, goods, Deadline(None), facts=[tr.domain], more_broken=more)
    say(f"Houdini keeps {len(kept):,}")
    print_implied(tr, [goods[i] for i in kept], hand, model.invariants)
    states, _ = invgen.explore(model, args.max_states)
    everything = (1 << len(states)) - 1
    tables = truth_tables.clause_tables(exprs, {}, states)
    broken: dict[int, list[tuple]] = {}
    for (c, key), t in zip(pairs, tables):
        if t != everything:
            broken.setdefault(key[0], []).append((c, key[1:]))
    say(f"renamings false on {len(states):,} reachable states, per small candidate:")
    for n, rows in sorted(broken.items()):
        total = sum(1 for _, key in pairs if key[0] == n)
        print(f"  {len(rows)} of {total}, e.g. {z3_lemmas._words(model, tr, rows[0][0].expr) or rows[0][0].expr}")


if __name__ == "__main__":
    main()
