"""The verdict table and counterexamples in plain words."""
from __future__ import annotations

from ..engines.result import CheckResult
from ..trace import Trace

VERDICT_WORDS = {"holds": "HOLDS", "violated": "VIOLATED", "incomplete": "INCOMPLETE",
                 "reached": "REACHED", "unreachable": "UNREACHABLE",
                 "not reached within bounds": "INCOMPLETE",
                 # the Z3 engine's own verdicts
                 "proved": "PROVED", "bounded": "NO COUNTEREXAMPLE UP TO DEPTH {depth}",
                 "not inductive": "NOT INDUCTIVE"}


def verdict_words(p) -> str:
    return VERDICT_WORDS.get(p.verdict, p.verdict.upper()).format(depth=getattr(p, "depth", "?"))


def stats_line(result: CheckResult) -> str:
    s = result.stats
    if result.engine != "explicit":
        depth = getattr(result, "bmc_depth", s.depth)
        if depth < 0:
            return f"induction (no bounded search was needed) in {s.seconds:.2f} s"
        return f"bounded model checking to depth {depth} and induction in {s.seconds:.2f} s"
    if s.complete:
        cover = "the whole state space"
    elif s.stopped_early:
        cover = "stopped once every property was violated"
    else:
        cover = f"INCOMPLETE: stopped at {s.bound}"
    return (f"explored {s.states:,} states, {s.transitions:,} transitions, depth {s.depth} "
            f"in {s.seconds:.2f} s ({s.states_per_second:,.0f} states/s): {cover}")


def trace_lines(trace: Trace, indent: str = "  ") -> list[str]:
    lines = [f"{indent}{step.index}. {step.text}" for step in trace.steps]
    if not trace.steps:
        lines.append(f"{indent}(the initial state already breaks it)")
    if trace.explanation:
        lines.append(f"{indent}=> {trace.explanation}")
    return lines


def state_lines(view, prefix: str = "") -> list[str]:
    """A state view (nested dicts, as the model's `view` hook gives) one line per
    entity: `master: up, role follower, log [w2], source s2`."""
    if not isinstance(view, dict):
        return [f"{prefix}{view}"]
    lines, flat = [], []
    for key, value in view.items():
        if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            lines += state_lines(value, prefix)
        elif isinstance(value, dict) and value:
            lines.append(f"{prefix}{key}: " + ", ".join(_field(k, v) for k, v in value.items()))
        elif not isinstance(value, dict) and value not in ([], None):
            flat.append(_field(key, value))
    if flat:
        lines.append(prefix + ", ".join(flat))
    return lines


def _field(key: str, value) -> str:
    if value is True:
        return key
    if value is False:
        return f"not {key}"
    if isinstance(value, list):
        return f"{key} [{', '.join(map(str, value))}]"
    return f"{key} {value}"


def report(result: CheckResult, file: str, diagrams: dict[str, str] | None = None) -> str:
    diagrams = diagrams or {}
    out = [f"{file}: system {result.spec} ({result.engine} engine)", stats_line(result),
           *(f"  {note}" for note in result.stats.reductions), ""]
    rows = [(p.name, verdict_words(p), _detail(p, result)) for p in result.properties]
    rows += [(f"reachable {r.name}", verdict_words(r), _detail(r, result)) for r in result.reachables]
    rows += [(f"lemma {m.name}", verdict_words(m), _detail(m, result)) for m in getattr(result, "lemmas", [])]
    if result.deadlock is not None:
        rows.append(("no deadlock", "VIOLATED", f"{len(result.deadlock.steps)} steps"))
    width = max([len(r[0]) for r in rows] + [8])
    vwidth = max([len(r[1]) for r in rows] + [11])
    out.append(f"{'property':<{width}}  {'verdict':<{vwidth}} detail")
    out += [f"{name:<{width}}  {verdict:<{vwidth}} {detail}".rstrip() for name, verdict, detail in rows]
    for p in result.properties:
        if p.trace is not None:
            out += ["", f"{p.name} is VIOLATED ({p.description}):"] + trace_lines(p.trace)
            if p.name in diagrams:
                out.append(f"  diagram: {diagrams[p.name]}")
    if result.deadlock is not None:
        out += ["", "deadlock: no action is enabled before the workload is done:"]
        out += trace_lines(result.deadlock)
    for m in getattr(result, "lemmas", []):
        if m.trace is not None:
            out += ["", f"lemma {m.name} is VIOLATED: it is wrong, and no proof may assume it:"]
            out += trace_lines(m.trace)
            if f"lemma {m.name}" in diagrams:
                out.append(f"  diagram: {diagrams[f'lemma {m.name}']}")
    for p in [*result.properties, *getattr(result, "lemmas", [])]:
        cti = getattr(p, "cti", None)
        if cti is None:
            continue
        out += ["", f"why induction cannot prove {p.name} yet (a counterexample to induction):",
                "  0. start in this state, which need not be reachable:"]
        out += [f"       {line}" for line in state_lines(cti.initial)]
        out += trace_lines(cti)
        if f"{p.name} cti" in diagrams:
            out.append(f"  diagram: {diagrams[f'{p.name} cti']}")
    for r in result.reachables:
        if r.verdict == "unreachable":
            out += ["", f"reachable {r.name} can never happen: the spec may be vacuous; "
                    "check its faults and workload"]
    for note in getattr(result, "notes", []):
        out += ["", f"note: {note}"]
    if result.stats.complete and result.unfired:
        out += ["", "actions that never fired: " + ", ".join(result.unfired)]
    further = going_further(result)
    if further:
        out += ["", further]
    return "\n".join(out)


def going_further(result: CheckResult) -> str | None:
    """What to do after an explicit run that a bound (or Ctrl-C) stopped."""
    s = result.stats
    if result.engine != "explicit" or s.complete or s.stopped_early or not s.bound:
        return None
    if s.bound.startswith("interrupted"):
        return "interrupted: the verdicts above are those known when the search stopped"
    if s.bound.startswith("max depth"):
        return "to go further: raise --max-depth, or check one property with -p"
    bigger = "--max-memory" if s.bound.startswith("memory") else "--max-states"
    return (f"to go further: make the model smaller (fewer nodes, writes, reads, crashes or partitions), "
            f"check one property with -p (the search stops once it is decided), or raise {bigger}")


def _detail(p, result: CheckResult) -> str:
    if p.trace is not None:
        n = len(p.trace.steps)
        return f"{'shortest counterexample' if p.trace.kind == 'violation' else 'reached in'} {n} step{'s' * (n != 1)}"
    if p.verdict == "proved":
        return f"at every depth, by {getattr(p, 'method', 'induction')}"
    if p.verdict == "bounded":
        return "bounded model checking; not a proof"
    why = result.stats.bound or "stopped early"
    if result.engine != "explicit":
        depth = getattr(p, "depth", None)
        if p.verdict in ("incomplete", "not reached within bounds") and depth is not None:
            what = "not reached" if p.verdict == "not reached within bounds" else "no counterexample"
            upto = f"up to depth {depth}" if depth >= 0 else "at no depth yet"
            return f"{what} {upto} ({why})"
        return getattr(p, "method", "") or ""
    # with symmetry each stored state stands for its whole orbit
    reachable = "reachable states up to symmetry" if result.stats.symmetry_order > 1 else "reachable states"
    if p.verdict == "holds":
        return f"in all {result.stats.states:,} {reachable}"
    if p.verdict == "unreachable":
        return f"in none of {result.stats.states:,} {reachable}"
    if p.verdict == "not reached within bounds":
        return f"not reached in {result.stats.states:,} states ({why})"
    return f"no counterexample in {result.stats.states:,} states ({why})"
