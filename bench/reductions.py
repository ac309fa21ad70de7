"""What the cone of influence and symmetry reduction save (not a test: times vary by machine).

    python bench/reductions.py                       # every shipped spec and bench/specs/quorum5.cap
    python bench/reductions.py specs/async.cap       # some specs
    python bench/reductions.py --python              # the Python engine instead of the compiled one

For each spec, in one run side by side: the states stored and the CPU
seconds of the search with no reduction, with the cone of influence only,
and with the cone and symmetry (what `capmodel verify` does), and whether
the verdicts and shortest counterexample lengths agree across the three
(they must). CPU time (time.process_time) is used, not wall time: the
machine is shared.
"""
from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from capmodel.engines import search  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402


def summary(result):
    return [(p.name, p.verdict, len(p.trace.steps) if p.trace else None)
            for p in result.properties + result.reachables]


def run(model, *, cone: bool, symmetry: bool, compiled: bool, max_states: int):
    started = time.process_time()
    if cone:
        result = search.check(model, symmetry=symmetry, compiled=compiled, stop_when_decided=False,
                              max_states=max_states)
    else:
        from capmodel.engines import compiled as fast, explicit

        engine = fast if compiled else explicit
        result = engine.check(model, stop_when_decided=False, max_states=max_states)
    return result, time.process_time() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("specs", nargs="*")
    ap.add_argument("--python", action="store_true", help="the Python reference engine")
    ap.add_argument("--max-states", type=int, default=20_000_000)
    args = ap.parse_args()
    specs = args.specs or sorted(glob.glob(str(ROOT / "specs/**/*.cap"), recursive=True)) + [
        str(ROOT / "bench/specs/quorum5.cap")]
    compiled = not args.python
    print(f"{'spec':<34} {'full':>10} {'cone':>10} {'cone+sym':>10} {'ratio':>6} "
          f"{'cpu full':>9} {'cpu c+s':>8}  same verdicts")
    for path in specs:
        model = build_model(load_spec(path))
        full, t_full = run(model, cone=False, symmetry=False, compiled=compiled, max_states=args.max_states)
        cone, _ = run(model, cone=True, symmetry=False, compiled=compiled, max_states=args.max_states)
        both, t_both = run(model, cone=True, symmetry=True, compiled=compiled, max_states=args.max_states)
        same = summary(full) == summary(cone) == summary(both)
        complete = full.stats.complete and both.stats.complete
        print(f"{Path(path).stem:<34} {full.stats.states:>10,} {cone.stats.states:>10,} {both.stats.states:>10,} "
              f"{full.stats.states / both.stats.states:>5.1f}x {t_full:>8.2f}s {t_both:>7.2f}s  "
              f"{'yes' if same else 'NO'}{'' if complete else ' (a bound was hit)'}")


if __name__ == "__main__":
    main()
