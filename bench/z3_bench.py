"""Explicit vs Z3: time to the first counterexample and time to a proof.

    .venv/bin/python bench/z3_bench.py                 # the shipped specs
    .venv/bin/python bench/z3_bench.py --grid          # nodes x writes on async, semi_sync, sync
    .venv/bin/python bench/z3_bench.py --logic QF_BV   # another solver logic (QF_FD | QF_BV | default)
    .venv/bin/python bench/z3_bench.py --proofs        # induction with the shipped lemmas (specs/proofs, bench/specs)

Per spec and property:
  first_cex  explicit BFS until the property is violated, and Z3 BMC until it is
             (no proof attempt); both give a shortest counterexample of the same length
  proof      explicit exhaustive search; Z3 BMC to the explicit diameter; Z3 k-induction
             (with the spec's own invariants as the only help: no lemmas)
Cells that run out of --timeout print '>T'. Not a test: nothing here asserts timings.
"""
from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capmodel.engines import explicit  # noqa: E402
from capmodel.engines.result import HOLDS, VIOLATED  # noqa: E402
from capmodel.engines.z3_engine import PROVED, check_z3, diameter_of  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t


def bench_model(name, model, logic, timeout, max_states):
    bare = dataclasses.replace(model, reachables=[])
    full, t_full = timed(lambda: explicit.check(bare, stop_when_decided=False, max_states=max_states))
    diameter = diameter_of(full)
    rows = []
    for p in full.properties:
        row = {"spec": name, "property": p.name, "explicit": p.verdict, "states": full.stats.states,
               "diameter": diameter}
        if p.verdict == VIOLATED:
            e1, t1 = timed(lambda: explicit.check(bare, properties=[p.name]))
            z1, tz = timed(lambda: check_z3(bare, properties=[p.name], prove=False, timeout=timeout,
                                            max_depth=len(p.trace.steps) + 5, logic=logic))
            zp = z1.properties[0]
            row.update(length=len(p.trace.steps), explicit_first_cex_s=round(t1, 3),
                       z3_first_cex_s=round(tz, 3) if zp.verdict == VIOLATED else None,
                       z3_length=len(zp.trace.steps) if zp.trace else None)
        elif p.verdict == HOLDS:
            zb, tb = timed(lambda: check_z3(bare, properties=[p.name], prove=False, timeout=timeout,
                                            diameter=diameter, logic=logic))
            zi, ti = timed(lambda: check_z3(bare, properties=[p.name], prove=True, max_depth=1,
                                            timeout=timeout, logic=logic))
            row.update(explicit_exhaustive_s=round(t_full, 3),
                       z3_bmc_to_diameter_s=None if zb.timed_out else round(tb, 3),
                       z3_bmc_depth=zb.bmc_depth,
                       z3_induction=zi.properties[0].verdict,
                       z3_induction_s=round(ti, 3) if zi.properties[0].verdict == PROVED else None)
        rows.append(row)
    return rows


def prove_with_lemmas(timeout: float, logic: str) -> None:
    """Whole-engine time (translation, base case, induction) per spec, best of 3.
    The specs' reachable conditions are left out: they are BMC searches (at 7
    nodes a first acknowledged write is 8 steps deep), not part of the proof."""
    root = Path(__file__).resolve().parent.parent
    paths = sorted(root.glob("specs/proofs/*.cap")) + sorted(root.glob("bench/specs/*.cap"))
    print(f"logic {logic}, best of 3 runs")
    print(f"{'spec':<34} {'property':<22} {'verdict':<8} {'seconds':>8}  lemmas")
    for path in paths:
        model = dataclasses.replace(build_model(load_spec(str(path))), reachables=[])
        best, result = None, None
        for _ in range(3):
            result, seconds = timed(lambda: check_z3(model, timeout=timeout, logic=logic))
            best = seconds if best is None else min(best, seconds)
        proved = sum(1 for m in result.lemmas if m.verdict == PROVED)
        for p in result.properties:
            print(f"{str(path.relative_to(root)):<34} {p.name:<22} {p.verdict:<8} {best:>8.2f}  "
                  f"{proved}/{len(result.lemmas)} proved")


def node_names(n: int) -> tuple[str, ...]:
    return ("master",) + tuple(f"slave{i}" for i in range(1, n))


def sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def lemma_grid(ns: list[int], ws: list[int], timeout: float, logic: str) -> None:
    """specs/proofs/sync_lemmas.cap's lemmas on the sync grid: seconds to PROVED."""
    root = Path(__file__).resolve().parent.parent
    base = load_spec(str(root / "specs/proofs/sync_lemmas.cap"))
    print(f"\nsync, the 9 lemmas of specs/proofs/sync_lemmas.cap: seconds to PROVED (one run each)")
    print("nodes\\writes " + " ".join(f"{w:>6}" for w in ws))
    for n in ns:
        cells = []
        for w in ws:
            cfg = dataclasses.replace(base, nodes=node_names(n), writes=w,
                                      acks_needed=n - 1)  # sync: every other node acks
            model = dataclasses.replace(build_model(cfg), reachables=[])
            result, seconds = timed(lambda: check_z3(model, timeout=timeout, logic=logic))
            ok = result.properties[0].verdict == PROVED
            cells.append(f"{seconds:>6.2f}" if ok else f"{result.properties[0].verdict[:6]:>6}")
        print(f"{n:>12} " + " ".join(cells))


def fmt(v, timeout):
    if v is None:
        return f">{timeout:g}"
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", action="store_true", help="nodes x writes on async, semi_sync, sync")
    ap.add_argument("--nodes", default="2,3,4", help="grid node counts (the issue's grid is 2..7)")
    ap.add_argument("--writes", default="1,2,3", help="grid write counts (the issue's grid is 1..6)")
    ap.add_argument("--logic", default="QF_FD")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per Z3 run")
    ap.add_argument("--max-states", type=int, default=2_000_000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--proofs", action="store_true", help="time the lemma proofs of specs/proofs and bench/specs")
    args = ap.parse_args()

    if args.proofs:
        prove_with_lemmas(args.timeout, args.logic)
        if args.grid:
            lemma_grid(sizes(args.nodes), sizes(args.writes), args.timeout, args.logic)
        return
    rows = []
    if args.grid:
        from capmodel.config import SystemConfig
        from capmodel.catalogue import PROPERTIES
        for mode in ("async", "semi_sync", "sync"):
            for n in sizes(args.nodes):
                for w in sizes(args.writes):
                    nodes = node_names(n)
                    cfg = SystemConfig(
                        name=f"{mode}_n{n}_w{w}", file="-", nodes=nodes, leader="master", replication=mode,
                        acks_needed={"async": 0, "semi_sync": 1, "sync": n - 1}[mode], semi_sync_timeout=False,
                        reads="master_only", failover="promote_most_up_to_date", fencing=False, crashes=1,
                        recover=False, partitions=1, writes=w, read_count=0, clients=1,
                        checks=("no_acked_write_lost", "write_availability"), invariants=(), reachables=())
                    assert set(cfg.checks) <= set(PROPERTIES)
                    rows += bench_model(cfg.name, build_model(cfg), args.logic, args.timeout, args.max_states)
    else:
        for path in sorted(glob.glob(str(Path(__file__).resolve().parent.parent / "specs" / "*.cap"))):
            cfg = load_spec(path)
            rows += bench_model(Path(path).name, build_model(cfg), args.logic, args.timeout, args.max_states)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"logic {args.logic}, timeout {args.timeout:g} s per Z3 run")
    print(f"{'spec':<24} {'property':<22} {'verdict':<9} {'len':>3} {'expl 1st':>8} {'z3 1st':>8}"
          f" {'expl all':>8} {'z3 bmc':>8} {'depth':>5} {'z3 ind':>8}")
    for r in rows:
        print(f"{r['spec']:<24} {r['property']:<22} {r['explicit']:<9} {r.get('length', ''):>3} "
              f"{fmt(r.get('explicit_first_cex_s'), args.timeout) if 'length' in r else '':>8} "
              f"{fmt(r.get('z3_first_cex_s'), args.timeout) if 'length' in r else '':>8} "
              f"{fmt(r.get('explicit_exhaustive_s'), args.timeout) if 'z3_bmc_depth' in r else '':>8} "
              f"{fmt(r.get('z3_bmc_to_diameter_s'), args.timeout) if 'z3_bmc_depth' in r else '':>8} "
              f"{r.get('z3_bmc_depth', ''):>5} "
              f"{(fmt(r.get('z3_induction_s'), args.timeout) if r.get('z3_induction') == PROVED else r.get('z3_induction', '')):>8}")


if __name__ == "__main__":
    main()
