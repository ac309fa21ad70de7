"""Where one `capmodel verify SPEC --no-render -q` spends its CPU time, by phase.

    python bench/verdict_phases.py specs/async.cap            # one JSON line on stdout
    python bench/verdict_phases.py specs/async.cap --cprofile 15

Run in a fresh process by bench/time_to_verdict.py (one process per
measurement, as a user's command is). It imports capmodel.cli as the
console script does, then wraps the functions verify calls for each phase
and runs the command itself: the verdict is the command's, only timed.

Each phase's figure is exclusive CPU seconds (time.process_time): time in
a phase nested in another (the probe's compile inside the engine check, say)
counts for the inner one only. "start-up" is the CPU the interpreter used
before this script's first line (site, the editable-install finder), and
"imports on the verify path" the modules verify imports lazily, loaded here
up front so that the phases they would otherwise slow down do not hide them.
--cprofile N adds cProfile's N costliest functions (by own time) of the
command, imports excluded.
"""
from __future__ import annotations

import time

STARTED = time.process_time()  # before anything this script imports

import json  # noqa: E402
import sys  # noqa: E402

TRACKED: dict[str, float] = {}
_stack: list[list] = []  # [phase, start, CPU spent in nested phases, opaque]


def _timed(phase: str, fn, opaque: bool = False):
    """fn, with its exclusive CPU time added to TRACKED[phase]. Inside an
    opaque phase nested phases are not told apart."""
    def wrapper(*args, **kwargs):
        if _stack and _stack[-1][3]:
            return fn(*args, **kwargs)
        frame = [phase, time.process_time(), 0.0, opaque]
        _stack.append(frame)
        try:
            return fn(*args, **kwargs)
        finally:
            _stack.pop()
            spent = time.process_time() - frame[1]
            TRACKED[phase] = TRACKED.get(phase, 0.0) + spent - frame[2]
            if _stack:
                _stack[-1][2] += spent
    return wrapper


def _wrap(module, name: str, phase: str, opaque: bool = False) -> None:
    setattr(module, name, _timed(phase, getattr(module, name), opaque))


def main() -> None:
    args = sys.argv[1:]
    top = 0
    if "--cprofile" in args:
        at = args.index("--cprofile")
        top = int(args[at + 1])
        del args[at:at + 2]
    phases = {"start-up (interpreter, site)": STARTED}

    before = time.process_time()
    from capmodel import cli  # what the console script imports
    phases["import capmodel.cli"] = time.process_time() - before

    before = time.process_time()
    from capmodel.engines import compiled, search
    from capmodel.render import diagrams, text
    from capmodel.semantics import build
    from capmodel.syntax import load
    phases["imports on the verify path"] = time.process_time() - before
    del diagrams

    _wrap(load, "read_source", "read the file")
    _wrap(load, "parse", "parse (Lark, or the parse cache)")
    _wrap(load, "validate", "validate")
    _wrap(build, "build_model", "build IR")
    _wrap(search, "restrict", "cone of influence")
    _wrap(search, "find_symmetry", "symmetry detection")
    _wrap(compiled, "available", "compiled-engine probe (cached)", opaque=True)
    _wrap(compiled, "c_source", "generate C source")
    _wrap(compiled, "load", "compiled model: cache lookup and load")
    _wrap(compiled, "check", "search (compiled engine)")
    _wrap(search.explicit, "check", "search (Python engine)")
    _wrap(search, "_lift", "traces lifted to the full model")
    _wrap(text, "report", "report")

    sys.argv = ["capmodel", "verify", *args, "--no-render", "-q"]
    profile = None
    if top:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    before = time.process_time()
    code = None
    import contextlib
    import io

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            cli.main()
    except SystemExit as stop:
        code = stop.code
    command = time.process_time() - before
    if profile is not None:
        profile.disable()
    phases.update(TRACKED)
    phases["other (click, the rest of verify)"] = command - sum(TRACKED.values())
    record = {"exit": code, "cpu_total": time.process_time(), "phases": phases}
    if profile is not None:
        import pstats

        stats = pstats.Stats(profile)
        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
        record["cprofile"] = [{"function": f"{path.rsplit('/', 1)[-1]}:{line}({name})",
                               "calls": calls, "own_s": own, "cumulative_s": cum}
                              for (path, line, name), (_, calls, own, cum, _) in rows]
    print(json.dumps(record))


if __name__ == "__main__":
    main()
