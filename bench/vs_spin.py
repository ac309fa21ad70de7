"""capmodel's explicit engine and SPIN side by side, on the same graphs (not a test: numbers vary by machine).

    python bench/vs_spin.py                          # async 3x3, sync 3x3, sync 4x2, sync 3x4
    python bench/vs_spin.py --cells sync:3:3 --repeat 3
    python bench/vs_spin.py --json

Each cell (mode:nodes:writes) is bench/run.py's system. capmodel runs in a
fresh interpreter (so that its peak memory is its own); SPIN runs the model
`capmodel export --to promela` writes, with every built-in property checked
by both, and the exact flags of docs/export.md (spin -o2 -a; gcc -O2 -DSAFETY
-DNOREDUCE; pan -m100000 -A -c0, so that it explores the whole graph as
capmodel does, with a hash table of 2^w slots for w one more than the bits
of the state count). CPU seconds are user + system of the search alone
(capmodel: explicit.check, timed inside; SPIN: the pan process), compile
times apart; peak memory is each process's largest resident set. The run
fails unless both store the same number of distinct states.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from capmodel.export import export, promela  # noqa: E402
from capmodel.export.common import run_measured  # noqa: E402
from run import system  # noqa: E402  (bench/run.py's grid cells)

CELLS = ["async:3:3", "sync:3:3", "sync:4:2", "sync:3:4"]


def cell_model(cell: str):
    from capmodel.semantics.build import build_model

    mode, nodes, writes = cell.split(":")
    return build_model(system(mode, int(nodes), int(writes)))


def capmodel_search(cell: str) -> None:
    """In the child interpreter: one full search, its counts and CPU seconds as JSON."""
    import time

    from capmodel.engines import explicit

    model = cell_model(cell)
    started = time.process_time()
    result = explicit.check(model, stop_when_decided=False)
    cpu = time.process_time() - started
    print(json.dumps({"states": result.stats.states, "transitions": result.stats.transitions, "cpu": cpu,
                      "complete": result.stats.complete}))


def measure(cell: str) -> dict:
    child = run_measured([sys.executable, __file__, "--capmodel-search", cell], str(ROOT))
    if child.returncode != 0:
        raise SystemExit(f"capmodel failed on {cell}:\n{child.output}")
    ours = json.loads(child.output.strip().splitlines()[-1])
    text = export(cell_model(cell), "promela")
    with tempfile.TemporaryDirectory() as work:
        spin = promela.run(text, work, optimise="-O2", hash_bits=ours["states"].bit_length() + 1)
    if spin.states != ours["states"]:
        raise SystemExit(f"{cell}: SPIN stored {spin.states:,} states, capmodel {ours['states']:,}")
    return {"cell": cell, "states": ours["states"], "transitions": ours["transitions"],
            "pan_transitions": spin.transitions,
            "capmodel_cpu": ours["cpu"], "spin_cpu": spin.search.cpu_seconds,
            "spin_compile_cpu": spin.compile_seconds,
            "capmodel_peak_mb": child.peak_bytes / 2**20, "spin_peak_mb": spin.search.peak_bytes / 2**20}


def summarise(runs: list[dict]) -> dict:
    """Several runs of one cell: the minimum of each time and memory, the median of the paired ratios."""
    row = dict(runs[0])
    for key in ("capmodel_cpu", "spin_cpu", "spin_compile_cpu", "capmodel_peak_mb", "spin_peak_mb"):
        row[key] = min(r[key] for r in runs)
    row["ratio"] = statistics.median(r["capmodel_cpu"] / r["spin_cpu"] for r in runs)
    row["runs"] = len(runs)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", nargs="+", default=CELLS, metavar="MODE:NODES:WRITES")
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell (minimum times, median ratio)")
    ap.add_argument("--json", action="store_true", help="one JSON row per cell")
    ap.add_argument("--capmodel-search", metavar="CELL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.capmodel_search:
        capmodel_search(args.capmodel_search)
        return
    if not args.json:
        print(f"{'cell':<10} {'states':>10} {'capmodel s':>10} {'SPIN s':>7} {'SPIN cc s':>9} "
              f"{'capmodel st/s':>13} {'SPIN st/s':>10} {'capmodel MB':>11} {'SPIN MB':>7} {'ratio':>6}")
    for cell in args.cells:
        row = summarise([measure(cell) for _ in range(args.repeat)])
        if args.json:
            print(json.dumps(row), flush=True)
            continue
        print(f"{row['cell']:<10} {row['states']:>10,} {row['capmodel_cpu']:>10.2f} {row['spin_cpu']:>7.2f} "
              f"{row['spin_compile_cpu']:>9.2f} {row['states'] / row['capmodel_cpu']:>13,.0f} "
              f"{row['states'] / row['spin_cpu']:>10,.0f} {row['capmodel_peak_mb']:>11.0f} "
              f"{row['spin_peak_mb']:>7.0f} {row['ratio']:>5.1f}x", flush=True)
    if not args.json:
        print("states equal in every cell; CPU s = search only (user + system); ratio = capmodel CPU / SPIN CPU "
              "(median); MB = peak resident memory of each process")


if __name__ == "__main__":
    main()
