"""How much of a generated proof's cost is the luck of the states Z3 hands
back? The blocking solver (engines/cti_blocking.py) run under several Z3
random seeds, the rest as `capmodel verify --engine z3` runs it (check_z3 on
one property, BMC to depth 1, the command's work budget).

    .venv/bin/python bench/blocking_seeds.py specs/textbook/raft_majority.cap no_split_brain --seeds 1,2,3,4,5

Prints, per seed, the CPU seconds, the states each blocking search blocked
(one number per stage that kept some) and the verdict. The shipped code
sets no seed: a run of it is one draw among these. Not a test.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capmodel.engines import cti_blocking  # noqa: E402
from capmodel.engines.z3_engine import GENERATE_WORK, check_z3  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("property")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds of wall time per run")
    args = ap.parse_args()
    original = cti_blocking.strengthen
    for seed in (int(x) for x in args.seeds.split(",")):
        blocked: list[int] = []

        def strengthen(model, tr, *rest, seed=seed, blocked=blocked, **kw):
            make = tr.solver

            def seeded(logic):
                s = make(logic)
                s.set("random_seed", seed)
                s.set("sat.random_seed", seed)
                return s
            tr.solver = seeded
            try:
                found = original(model, tr, *rest, **kw)
            finally:
                tr.solver = make
            if found:
                blocked.append(len(found[0]))
            return found
        cti_blocking.strengthen = strengthen
        model = build_model(load_spec(args.spec))
        started = time.process_time()
        result = check_z3(model, properties=[args.property], max_depth=1, generate=GENERATE_WORK,
                          timeout=args.timeout)
        verdict = next(p.verdict for p in result.properties if p.name == args.property)
        print(f"seed {seed}: {time.process_time() - started:6.1f} s of CPU, states blocked {blocked}, {verdict}",
              flush=True)
    cti_blocking.strengthen = original


if __name__ == "__main__":
    main()
