"""How many generated candidates are true of every value within the
variables' domains (invgen.always_true), and does Z3 agree? Such candidates
are left out before Houdini when the proof assumes the domains (z3_lemmas).

    .venv/bin/python bench/always_true.py specs/sync.cap specs/textbook/raft_majority.cap

Per spec: the candidates generated on the breadth-first sample (50,000 states
at most, as the command's first stage), how many always_true finds, how many
Z3 finds valid within the domains (one question each), and the CPU seconds of
each. Not a test: tests/test_lemma_forall.py pins small cases.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import z3  # noqa: E402

from capmodel.engines import invgen  # noqa: E402
from capmodel.engines import z3_translate as Z  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402


def main() -> None:
    print(f"{'spec':45} {'candidates':>10} {'always true':>11} {'z3 valid':>8} {'cpu s':>6} {'z3 cpu s':>8}")
    for path in sys.argv[1:]:
        model = dataclasses.replace(build_model(load_spec(path)), reachables=[])
        states, _ = invgen.explore(model, invgen.DEFAULT_SAMPLE)
        candidates = invgen.generate(model, states)
        started = time.process_time()
        found = invgen.always_true(model, candidates)
        ours = time.process_time() - started
        tr = Z.translate(model)
        s = z3.Solver(ctx=tr.ctx)
        s.add(tr.domain)
        started = time.process_time()
        valid = {i for i, c in enumerate(candidates) if s.check(z3.Not(tr.condition("c", c.expr))) == z3.unsat}
        theirs = time.process_time() - started
        assert found <= valid, "always_true called a candidate true that Z3 says is not"
        print(f"{path:45} {len(candidates):>10,} {len(found):>11,} {len(valid):>8,} {ours:>6.2f} {theirs:>8.2f}")


if __name__ == "__main__":
    main()
