"""`verify --engine both` against `--engine explicit`: CPU seconds per spec.

Issue 15's goal: `--engine both` within 1 s of `--engine explicit` wherever the
explicit engine completes. Each command runs in a child process, `repeat`
times, and the least CPU (user + system of the child) is kept: CPU, not wall,
because the machine is shared. Both commands of a spec run side by side, so
their difference is what `both` adds.

    python bench/engine_both.py                 # every shipped spec
    python bench/engine_both.py specs/sync.cap  # some
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from child import CAPMODEL, ROOT, run_child  # noqa: E402

GOAL = 1.0  # seconds of CPU that `both` may add


def child_cpu(args: list[str]) -> float:
    return run_child(args)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    specs = args.specs or sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("specs/**/*.cap"))
    within = 0
    print(f"{'spec':50s} {'explicit':>8s} {'both':>6s} {'extra':>6s}")
    for spec in specs:
        base = CAPMODEL + ["verify", spec, "--no-render", "-q", "--engine"]
        cpu = {engine: min(child_cpu(base + [engine]) for _ in range(args.repeat)) for engine in ("explicit", "both")}
        extra = cpu["both"] - cpu["explicit"]
        within += extra <= GOAL
        print(f"{spec:50s} {cpu['explicit']:8.2f} {cpu['both']:6.2f} {extra:6.2f}", flush=True)
    print(f"within {GOAL:g} s of CPU: {within} of {len(specs)}")


if __name__ == "__main__":
    main()
