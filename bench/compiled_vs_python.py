"""The compiled explicit engine against the Python one, side by side on the bench cells
(not a test: numbers vary by machine).

    python bench/compiled_vs_python.py                 # sync 3x3, sync 3x4, async 3x3 and quorum5
    python bench/compiled_vs_python.py --cells sync:3:3 --repeat 5
    python bench/compiled_vs_python.py --json          # one JSON row per cell

Each engine runs every cell in a fresh process of its own, so that its peak
resident memory is its own: bytes per state is (peak RSS - RSS before the
search) / states. For the compiled engine the size of its tables (packed
states, parent and action ids, the visited set) per state is shown too, and the
C compile time apart (CPU seconds of the compiler), measured with an empty
cache (the search runs use the cached library). Times are the least of
--repeat runs: CPU seconds of the search on one thread (Python, and the
compiled engine with 1 worker), wall seconds for the compiled engine with 2
workers (threads), whose speed-up is over the 1-worker run's wall time; that
wall-clock speed-up means something only on idle cores, so "on idle" gives
the speed-up the 2-worker run would have there: its CPU time less the
expansion work done beside its longest worker (measured by thread CPU
clocks in the C runtime), against the 1-worker CPU time. The load average
is printed before and after. The engines must agree on the counts; a cell
where they do not stops the run. The quorum5 cell (bench/specs/quorum5.cap, 5 nodes, with
symmetry reduction) is run by the compiled engine only, unless --python-all.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CELLS = ["sync:3:3", "sync:3:4", "async:3:3", "quorum5"]
SLOW_IN_PYTHON = {"quorum5"}  # about 6 minutes in the Python engine


def model_of(cell: str):
    from capmodel.ir.symmetry import find_symmetry
    from capmodel.semantics.build import build_model
    from capmodel.syntax.load import load_spec
    from run import system  # bench/run.py's grid cells

    if cell == "quorum5":
        model = build_model(load_spec(str(ROOT / "bench" / "specs" / "quorum5.cap")))
        return model, find_symmetry(model, model.invariants + model.lemmas + model.reachables)
    mode, nodes, writes = cell.split(":")
    return build_model(system(mode, int(nodes), int(writes))), None


def worker(engine: str, cell: str, repeat: int) -> dict:
    """One engine ("python", or "compiled" and a number of workers) on one cell, in this (fresh) process."""
    from capmodel.engines import compiled, explicit

    model, symmetry = model_of(cell)
    row: dict = {"engine": engine, "cell": cell, "symmetry": symmetry.order if symmetry else 1}
    if engine.startswith("compiled"):
        with tempfile.TemporaryDirectory() as empty:
            os.environ["CAPMODEL_CACHE_DIR"] = empty
            wall, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            compiled.build(model, symmetry)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            row["compile_s"] = round(time.perf_counter() - wall, 2)
            row["compile_cpu_s"] = round(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 2)
        workers = int(engine[len("compiled"):])

        def check(model, **kw):
            return compiled.check(model, workers=workers, **kw)
    else:
        check = explicit.check
    before = explicit.memory_in_use() or 0
    cpu_best = wall_best = critical_best = float("inf")
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        result = check(model, stop_when_decided=False, symmetry=symmetry)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        cpu_best, wall_best = min(cpu_best, cpu), min(wall_best, wall)
        if engine.startswith("compiled"):
            # the time on idle cores: the CPU time less the expansion work done beside the longest worker
            phases = compiled.last_search
            critical_best = min(critical_best, cpu - (phases["phase1_cpu_s"] - phases["phase1_longest_s"]))
        if "peak_delta" not in row:
            row["peak_delta"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    s = result.stats
    row.update(states=s.states, transitions=s.transitions, depth=s.depth, complete=s.complete,
               cpu_s=round(cpu_best, 3), wall_s=round(wall_best, 3),
               states_per_s=round(s.states / cpu_best) if cpu_best else 0,
               states_per_wall_s=round(s.states / wall_best) if wall_best else 0,
               bytes_per_state=round(row.pop("peak_delta") / s.states, 1))
    if engine.startswith("compiled"):
        row["table_bytes_per_state"] = round(compiled.last_search["table_bytes"] / s.states, 1)
        row["critical_s"] = round(critical_best, 3)
    return row


def run_worker(engine: str, cell: str, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", engine, cell, "--repeat", str(repeat)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", nargs="+", default=CELLS, help="MODE:NODES:WRITES of bench/run.py, or quorum5")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python-all", action="store_true", help="run the Python engine on quorum5 too")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", nargs=2, metavar=("ENGINE", "CELL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.repeat)))
        return
    from capmodel.engines import compiled

    reason = compiled.available()
    if reason:
        sys.exit(reason)
    if not args.json:
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'cell':<17} {'states':>9} {'transitions':>11} | {'python s':>8} {'states/s':>8} {'B/st':>4} | "
              f"{'compiled s':>10} {'states/s':>9} {'B/st':>4} {'tables':>6} {'compile s':>9} {'vs py':>6} | "
              f"{'2 threads s':>11} {'speed-up':>8} {'on idle':>7}")
    for cell in args.cells:
        fast = run_worker("compiled1", cell, args.repeat)
        two = run_worker("compiled2", cell, args.repeat)
        slow = None
        if cell not in SLOW_IN_PYTHON or args.python_all:
            slow = run_worker("python", cell, max(1, args.repeat if cell not in SLOW_IN_PYTHON else 1))
        counts = {(r["states"], r["transitions"], r["depth"]) for r in (fast, two, slow) if r}
        if len(counts) != 1:
            sys.exit(f"{cell}: the engines disagree: python {slow} compiled {fast} on 2 threads {two}")
        if args.json:
            print(json.dumps({"cell": cell, "compiled": fast, "compiled_2_threads": two, "python": slow}),
                  flush=True)
            continue
        name = cell + (f" (sym {fast['symmetry']})" if fast["symmetry"] > 1 else "")
        py = (f"{slow['cpu_s']:>8.2f} {slow['states_per_s']:>8,} {slow['bytes_per_state']:>4.0f}" if slow
              else f"{'-':>8} {'-':>8} {'-':>4}")
        ratio = f"{slow['cpu_s'] / fast['cpu_s']:.0f}x" if slow and fast["cpu_s"] else "-"
        print(f"{name:<17} {fast['states']:>9,} {fast['transitions']:>11,} | {py} | {fast['cpu_s']:>10.3f} "
              f"{fast['states_per_s']:>9,} {fast['bytes_per_state']:>4.0f} {fast['table_bytes_per_state']:>6.0f} "
              f"{fast['compile_cpu_s']:>9.2f} {ratio:>6} | {two['wall_s']:>11.3f} "
              f"{fast['wall_s'] / two['wall_s']:>7.2f}x {fast['cpu_s'] / two['critical_s']:>6.2f}x", flush=True)
    if not args.json:
        print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
