"""Time to a verdict: `capmodel verify SPEC --no-render -q` in a fresh process, per shipped spec.

    python bench/time_to_verdict.py                    # every spec in specs/**/*.cap
    python bench/time_to_verdict.py specs/async.cap    # some specs
    python bench/time_to_verdict.py --repeat 5 --slowest 3
    python bench/time_to_verdict.py --cache ~/.cache/capmodel   # an existing cache, not a fresh one

Issue 12's goal: under 1 s on every shipped spec, start-up and compile
included, once cached. For each spec the command runs once to warm the
caches (the compiled model, Lark's parser tables, Python's bytecode), then
--repeat more times; the table gives the first run and the cheapest cached
run (minimum CPU of the repeats). CPU is user+sys of the child process
(getrusage(RUSAGE_CHILDREN) before and after): on this shared machine it is
the robust figure, wall time moves with the load, which is printed at the
start and the end.

By default the caches start empty in a private temporary folder
($CAPMODEL_CACHE_DIR), so "first run" includes building Lark's tables and
compiling the model; --cache DIR uses that folder instead. Python's bytecode
is cached there too ($PYTHONPYCACHEPREFIX, $PYTHONDONTWRITEBYTECODE unset), as
it is for a user; --as-is runs with this environment's bytecode settings
instead (with PYTHONDONTWRITEBYTECODE=1, as on the agents' machine, every run
compiles capmodel's own modules from source).

Every run's report must be the same (search times masked), or the bench
stops: with --before, the same in both checkouts too.

--before DIR measures another checkout of capmodel (say `git worktree add
/tmp/before HEAD~3`) in the same run, the two alternating spec by spec, each
with its own fresh caches, so that the load weighs on both alike. Both are
then run as `python -c "from capmodel.cli import main; main()"` from their
own folder (what the console script does).

For the --slowest specs (by cached CPU) it then prints where the time goes:
the costliest imports by package (python -X importtime), the CPU of each
phase of the command (bench/verdict_phases.py, one fresh process), and
cProfile's costliest functions.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_CPU = 1.0  # seconds


# what the console script runs; from the current folder, so that a --before checkout uses its own code
CONSOLE_SCRIPT = "import sys; from capmodel.cli import main; sys.argv[0] = 'capmodel'; sys.exit(main())"


class Variant:
    """One checkout of capmodel to measure: its folder, caches and environment."""

    def __init__(self, name: str, root: Path, scratch: Path, cache: str | None, as_is: bool, script: bool):
        self.name, self.root = name, root
        self.env = dict(os.environ)
        self.env["CAPMODEL_CACHE_DIR"] = cache or str(scratch / name / "capmodel")
        if not as_is:
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
            self.env["PYTHONPYCACHEPREFIX"] = str(scratch / name / "pycache")
        console = Path(sys.executable).parent / "capmodel"
        # the installed console script, as a user runs it, when it runs this checkout
        self.command = ([str(console)] if script and console.exists()
                        else [sys.executable, "-c", CONSOLE_SCRIPT])

    def verify_argv(self, spec: str) -> list[str]:
        return [*self.command, "verify", spec, "--no-render", "-q"]


def run_once(variant: Variant, spec: str) -> tuple[int, float, float, str, str]:
    """(exit code, wall s, CPU s of the child, stdout with its times masked, stderr) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(variant.verify_argv(spec), env=variant.env, cwd=variant.root, capture_output=True,
                          text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.returncode, wall, cpu, SEARCH_TIME.sub("in ? s (? states/s)", proc.stdout), proc.stderr


SEARCH_TIME = re.compile(r"in [0-9.]+ s \([0-9,]+ states/s\)")  # the one line of a report that varies


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def measure_spec(variant: Variant, spec: str, repeat: int) -> dict:
    code, first_wall, first_cpu, report, err = run_once(variant, spec)
    if code not in (0, 1, 3):
        sys.exit(f"{variant.name}: {spec}: capmodel verify exited {code}:\n{err}")
    runs = [run_once(variant, spec) for _ in range(repeat)]
    if any(r[0] != code or r[3] != report for r in runs):
        sys.exit(f"{variant.name}: {spec}: the report changed between runs")
    best = min(runs, key=lambda r: r[2])
    return {"spec": spec, "exit": code, "first_wall": first_wall, "first_cpu": first_cpu,
            "wall": best[1], "cpu": best[2], "median_wall": statistics.median(r[1] for r in runs), "report": report}


def measure(specs: list[str], variants: list[Variant], repeat: int) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {v.name: [] for v in variants}
    for spec in specs:
        for variant in variants:
            row = measure_spec(variant, spec, repeat)
            rows[variant.name].append(row)
            if len(variants) > 1 and row["report"] != rows[variants[0].name][-1]["report"]:
                sys.exit(f"{spec}: the report (verdicts, counts, traces) differs between {variants[0].name} and "
                         f"{variant.name}")
            label = f"{spec} ({variant.name})" if len(variants) > 1 else spec
            print(f"{label:<60} {row['exit']:>4} {row['first_cpu']:>9.2f} {row['first_wall']:>9.2f} "
                  f"{row['cpu']:>9.2f} {row['wall']:>9.2f} {row['median_wall']:>9.2f}", flush=True)
    return rows


IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_costs(variant: Variant, spec: str) -> list[tuple[str, float]]:
    """Own import time (s) summed by top-level package, costliest first."""
    argv = variant.verify_argv(spec)
    if argv[0] != sys.executable:
        argv = [sys.executable, *argv]  # the console script run by this Python
    argv.insert(1, "-Ximporttime")
    proc = subprocess.run(argv, env=variant.env, cwd=variant.root, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    by_package: dict[str, float] = {}
    for match in IMPORT_LINE.finditer(proc.stderr):
        package = match.group(4).split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + int(match.group(1)) / 1e6
    return sorted(by_package.items(), key=lambda kv: -kv[1])


def phases(variant: Variant, spec: str, cprofile: int = 0) -> dict:
    """bench/verdict_phases.py's record (this checkout's script, run on the variant's code)."""
    argv = [sys.executable, str(ROOT / "bench/verdict_phases.py"), spec]
    if cprofile:
        argv += ["--cprofile", str(cprofile)]
    env = dict(variant.env, PYTHONPATH=str(variant.root))
    proc = subprocess.run(argv, env=env, cwd=variant.root, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def breakdown(variant: Variant, spec: str) -> None:
    print(f"\n--- {spec} ({variant.name})")
    costs = import_costs(variant, spec)
    total = sum(s for _, s in costs)
    print(f"imports (python -X importtime, own time by package; {total:.3f} s in all, wall):")
    print("  " + ", ".join(f"{name} {s * 1000:.0f} ms" for name, s in costs[:12]))
    record = phases(variant, spec)
    print(f"phases (bench/verdict_phases.py, CPU s; {record['cpu_total']:.3f} s in all):")
    for name, seconds in sorted(record["phases"].items(), key=lambda kv: -kv[1]):
        if seconds >= 0.0005:
            print(f"  {name:<42} {seconds:>7.3f}")
    record = phases(variant, spec, cprofile=8)
    print("cProfile, costliest functions by own time (imports included, profiler overhead too):")
    for row in record["cprofile"]:
        print(f"  {row['function']:<60} {row['calls']:>7} calls {row['own_s']:>7.3f} s own "
              f"{row['cumulative_s']:>7.3f} s cumulative")


def summary(name: str, rows: list[dict]) -> None:
    over = [r for r in rows if r["cpu"] >= GOAL_CPU]
    worst = max(rows, key=lambda r: r["cpu"])
    print(f"{name}: cached CPU at most {worst['cpu']:.2f} s ({worst['spec']}), median "
          f"{statistics.median(r['cpu'] for r in rows):.2f} s, total {sum(r['cpu'] for r in rows):.2f} s; "
          f"wall at most {max(r['wall'] for r in rows):.2f} s; "
          f"{len(over)} of {len(rows)} spec(s) at or over {GOAL_CPU:.0f} s CPU"
          + (": " + ", ".join(r["spec"] for r in over) if over else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("specs", nargs="*")
    ap.add_argument("--repeat", type=int, default=3, help="cached runs per spec (the cheapest is reported)")
    ap.add_argument("--slowest", type=int, default=3, help="specs to break down, by cached CPU")
    ap.add_argument("--cache", help="the capmodel cache folder to use (default: a fresh temporary one)")
    ap.add_argument("--as-is", action="store_true", help="keep this environment's bytecode settings")
    ap.add_argument("--before", type=Path, help="another checkout of capmodel, measured alongside")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    specs = args.specs or sorted(str(Path(p).relative_to(ROOT))
                                 for p in glob.glob(str(ROOT / "specs/**/*.cap"), recursive=True))
    scratch = Path(tempfile.mkdtemp(prefix="capmodel-ttv-"))
    try:
        variants = [Variant("after" if args.before else "this", ROOT, scratch, args.cache, args.as_is,
                            script=args.before is None)]
        if args.before:
            variants.insert(0, Variant("before", args.before.resolve(), scratch, None, args.as_is, script=False))
        for v in variants:
            print(f"{v.name}: {' '.join(v.verify_argv('SPEC'))}  in {v.root}")
        print(f"caches: {'CAPMODEL_CACHE_DIR=' + args.cache if args.cache else 'fresh, in ' + str(scratch)}; "
              f"bytecode: {'as this environment has it' if args.as_is else 'cached (PYTHONPYCACHEPREFIX)'}")
        print(f"load average at start: {load()}  ({os.cpu_count()} cores)")
        print(f"{'':<60} {'':>4} {'first run':>19} {f'cached (best of {args.repeat})':>19} {'median':>9}")
        print(f"{'spec':<60} {'exit':>4} {'CPU s':>9} {'wall s':>9} {'CPU s':>9} {'wall s':>9} {'wall s':>9}")
        rows = measure(specs, variants, args.repeat)
        print(f"load average at end: {load()}")
        for v in variants:
            summary(v.name, rows[v.name])
        if len(variants) > 1:
            print("every report (verdicts, counts, counterexamples; search times masked) is the same in both")
        if args.json:
            Path(args.json).write_text(json.dumps({"load_end": load(), "rows": rows}, indent=1))
        for v in variants:
            for row in sorted(rows[v.name], key=lambda r: -r["cpu"])[:args.slowest]:
                breakdown(v, row["spec"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
