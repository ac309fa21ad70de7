"""Explicit-engine throughput on a grid of systems (not a test: numbers vary by machine).

    python bench/run.py                    # the grid: nodes 2..5, writes 1..4, async and sync
    python bench/run.py --json             # one JSON row per cell
    python bench/run.py --nodes 3 --writes 3 --modes sync   # one cell

Each cell is a full exploration of: the given nodes, the first one master,
reads from any node, promote_any failover, 1 crash, 1 partition, 1 read,
1 client. A cell that reaches --max-states is marked incomplete.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capmodel.catalogue import PROPERTIES  # noqa: E402
from capmodel.config import SystemConfig  # noqa: E402
from capmodel.engines import explicit  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402


def system(mode: str, nodes: int, writes: int) -> SystemConfig:
    names = ("master",) + tuple(f"slave{k}" for k in range(1, nodes))
    return SystemConfig(
        name=f"{mode}_{nodes}n_{writes}w", file="bench", nodes=names, leader="master", replication=mode,
        acks_needed=0 if mode == "async" else nodes - 1, semi_sync_timeout=False, reads="any_node",
        failover="promote_any", fencing=False, crashes=1, recover=False, partitions=1, writes=writes,
        read_count=1, clients=1, checks=tuple(PROPERTIES), invariants=(), reachables=())


def measure(mode: str, nodes: int, writes: int, max_states: int | None) -> dict:
    model = build_model(system(mode, nodes, writes))
    started = time.perf_counter()
    result = explicit.check(model, max_states=max_states, stop_when_decided=False)
    seconds = time.perf_counter() - started
    return {"mode": mode, "nodes": nodes, "writes": writes, "states": result.stats.states,
            "transitions": result.stats.transitions, "seconds": round(seconds, 3),
            "states_per_s": round(result.stats.states / seconds) if seconds else 0,
            "complete": result.stats.complete}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, nargs="+", default=[2, 3, 4, 5])
    ap.add_argument("--writes", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--modes", nargs="+", default=["async", "sync"])
    ap.add_argument("--max-states", type=int, default=3_000_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.json:
        print(f"{'mode':<6} {'nodes':>5} {'writes':>6} {'states':>11} {'transitions':>12} "
              f"{'seconds':>8} {'states/s':>9}")
    for mode in args.modes:
        for nodes in args.nodes:
            for writes in args.writes:
                row = measure(mode, nodes, writes, args.max_states)
                if args.json:
                    print(json.dumps(row), flush=True)
                else:
                    mark = "" if row["complete"] else "  (incomplete: --max-states)"
                    print(f"{mode:<6} {nodes:>5} {writes:>6} {row['states']:>11,} {row['transitions']:>12,} "
                          f"{row['seconds']:>8.2f} {row['states_per_s']:>9,}{mark}", flush=True)


if __name__ == "__main__":
    main()
