"""`capmodel verify SPEC --engine z3` as a user runs it: CPU seconds and verdicts per spec.

bench/z3_generated.py times each proof alone (check_z3 on one property, BMC
to depth 1); this runs the whole command, every property at once, its
capped explicit pass for the BMC depth, BMC, induction and the deadlock
pass, in a child process, and asks of every property the explicit engine
says HOLDS: did `--engine z3` PROVE it? A property it did not prove costs a
BMC to the full depth, which is what a user then waits for (raft_majority
before GENERATE_WORK was raised: over 19 minutes, stopped by hand).

    python bench/engine_z3.py                    # every shipped spec
    python bench/engine_z3.py specs/sync.cap     # some
    python bench/engine_z3.py --limit 600        # seconds of wall time per command before it is stopped

Not a test: nothing here asserts timings.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import CAPMODEL, ROOT, run_child  # noqa: E402


def run(args: list[str], limit: float) -> tuple[float, dict | None]:
    """CPU seconds of the child (user + system) and its --json document; None when it ran past `limit`."""
    cpu, out = run_child(args, limit)
    return cpu, None if out is None else json.loads(out)["results"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*")
    parser.add_argument("--limit", type=float, default=900.0, help="wall seconds per command before it is stopped")
    args = parser.parse_args()
    specs = args.specs or sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("specs/**/*.cap"))
    proved_all = 0
    print(f"{'spec':50s} {'cpu s':>7s}  {'held':>4s} {'proved':>6s}  verdicts")
    for spec in specs:
        _, explicit = run(CAPMODEL + ["verify", spec, "--no-render", "--json"], args.limit)
        cpu, z3 = run(CAPMODEL + ["verify", spec, "--no-render", "--json", "--engine", "z3"], args.limit)
        # the explicit engine lists a spec's lemmas among its properties, Z3 apart (they are its proof)
        holds = {p["name"] for p in explicit["properties"] if p["verdict"] == "holds"} - {
            lemma["name"] for lemma in (z3 or {}).get("lemmas", [])}
        if z3 is None:
            print(f"{spec:50s} {cpu:7.1f}  {len(holds):4d} {'-':>6s}  stopped after {args.limit:g} s", flush=True)
            continue
        verdicts = {p["name"]: p["verdict"] for p in z3["properties"]}
        proved = sum(verdicts.get(name) == "proved" for name in holds)
        proved_all += proved == len(holds)
        seen = Counter(verdicts.values()) + Counter(p["verdict"] for p in z3["reachable"])
        said = ", ".join(f"{n} {v}" for v, n in sorted(seen.items()))
        print(f"{spec:50s} {cpu:7.1f}  {len(holds):4d} {proved:6d}  {said}", flush=True)
    print(f"every property that holds PROVED: {proved_all} of {len(specs)} specs")


if __name__ == "__main__":
    main()
