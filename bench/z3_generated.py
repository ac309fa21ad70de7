"""Proofs with generated lemmas (issue 15): is every property that HOLDS on a
shipped spec PROVED by the Z3 engine with no lemma written by hand?

    .venv/bin/python bench/z3_generated.py                       # specs/, specs/systems/, specs/textbook/
    .venv/bin/python bench/z3_generated.py bench/specs/sync_n7_w6.cap --max-states 1000000
    .venv/bin/python bench/z3_generated.py bench/specs/sync_n7_w6_bare.cap --no-explicit --smaller

Per spec: the explicit engine's exhaustive verdicts, then for each property that
HOLDS, check_z3 on that property alone (reachable conditions left out, BMC to
depth 1: the time is that of the proof) with lemmas generated within
--work times the CLI's work budget (GENERATE_WORK; 1, the default: what
`capmodel verify --engine z3` gives). Prints wall and CPU seconds (the machine
is shared: CPU is the steadier figure; the C compiler's, when it runs, is counted), the verdict, how many lemmas the proof
used, and the work generation spent (Z3 resource units in millions, Python
steps in thousands: the same on any load); "(time)" after the verdict when
--timeout, a wall clock, cut generation short rather than the work budget.
Not a test: nothing here asserts timings.
"""
from __future__ import annotations

import argparse
import dataclasses
import glob
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capmodel.engines import search  # noqa: E402
from capmodel.engines.result import HOLDS  # noqa: E402
from capmodel.engines.z3_engine import GENERATE_WORK, check_z3  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402

SHIPPED = ["specs/*.cap", "specs/systems/*.cap", "specs/textbook/*.cap"]


def _cpu() -> float:
    """CPU seconds of this process and its children, user and system (Z3's
    questions run on threads: every core's time counts)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", nargs="*")
    ap.add_argument("--work", type=float, default=1.0, help="work budget for generating lemmas, "
                    "a multiple of the CLI's (GENERATE_WORK)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds for each Z3 run (a wall clock: "
                    "generation gets half; the work budget, not this, should decide it)")
    ap.add_argument("--max-states", type=int, default=2_000_000, help="bound of the explicit run")
    ap.add_argument("--smaller", action="store_true", help="where the generation's sample is not complete, "
                    "first the lemmas of a proof on a smaller instance, renamed (check_z3's from_smaller)")
    ap.add_argument("--no-explicit", action="store_true", help="skip the explicit run (a spec too big for "
                    "it): every property is asked")
    args = ap.parse_args()
    files = args.specs or sorted(f for pattern in SHIPPED for f in glob.glob(pattern))
    work = GENERATE_WORK.scaled(args.work)
    print(f"{'spec':40} {'property':28} {'explicit':9} {'z3':12} {'wall s':>7} {'cpu s':>7} lemmas "
          f"{'Munits':>7} {'ksteps':>7}")
    for f in files:
        model = build_model(load_spec(f))
        if model.lemmas:
            continue  # a proof the user wrote: bench/z3_bench.py --proofs
        bare = dataclasses.replace(model, reachables=[])
        if args.no_explicit:
            asked = [(c.name, "-") for c in bare.invariants]
        else:
            full = search.check(bare, stop_when_decided=False, max_states=args.max_states)
            asked = [(p.name, p.verdict) for p in full.properties if p.verdict == HOLDS or not full.stats.complete]
        for name, verdict in asked:
            wall, cpu = time.perf_counter(), _cpu()
            z = check_z3(bare, properties=[name], max_depth=1, timeout=args.timeout, generate=work,
                         from_smaller=args.smaller)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
            zp = z.properties[0]
            spent = z.generated_work or (0, 0)
            timed = any("--timeout left" in n or "the time ran out" in n for n in z.notes)
            said = zp.verdict + (" (time)" if timed else "")  # --timeout, not the work budget, cut it
            print(f"{f:40} {name:28} {verdict:9} {said:12} {wall:7.2f} {cpu:7.2f} "
                  f"{len(z.generated):6} {spent[0] / 1e6:7.0f} {spent[1] / 1e3:7.1f}", flush=True)


if __name__ == "__main__":
    main()
