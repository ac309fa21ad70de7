"""The verdict table and counterexamples in plain words."""
from __future__ import annotations

from ..engines.result import CheckResult
from ..trace import Trace

VERDICT_WORDS = {"holds": "HOLDS", "violated": "VIOLATED", "incomplete": "INCOMPLETE",
                 "reached": "REACHED", "unreachable": "UNREACHABLE",
                 "not reached within bounds": "INCOMPLETE"}


def stats_line(result: CheckResult) -> str:
    s = result.stats
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


def report(result: CheckResult, file: str, diagrams: dict[str, str] | None = None) -> str:
    diagrams = diagrams or {}
    out = [f"{file}: system {result.spec} ({result.engine} engine)", stats_line(result), ""]
    rows = [(p.name, VERDICT_WORDS[p.verdict], _detail(p, result)) for p in result.properties]
    rows += [(f"reachable {r.name}", VERDICT_WORDS[r.verdict], _detail(r, result)) for r in result.reachables]
    if result.deadlock is not None:
        rows.append(("no deadlock", "VIOLATED", f"{len(result.deadlock.steps)} steps"))
    width = max([len(r[0]) for r in rows] + [8])
    out.append(f"{'property':<{width}}  {'verdict':<11} detail")
    out += [f"{name:<{width}}  {verdict:<11} {detail}".rstrip() for name, verdict, detail in rows]
    for p in result.properties:
        if p.trace is not None:
            out += ["", f"{p.name} is VIOLATED ({p.description}):"] + trace_lines(p.trace)
            if p.name in diagrams:
                out.append(f"  diagram: {diagrams[p.name]}")
    if result.deadlock is not None:
        out += ["", "deadlock: no action is enabled before the workload is done:"]
        out += trace_lines(result.deadlock)
    for r in result.reachables:
        if r.verdict == "unreachable":
            out += ["", f"reachable {r.name} can never happen: the spec may be vacuous; "
                    "check its faults and workload"]
    if result.stats.complete and result.unfired:
        out += ["", "actions that never fired: " + ", ".join(result.unfired)]
    return "\n".join(out)


def _detail(p, result: CheckResult) -> str:
    if p.trace is not None:
        n = len(p.trace.steps)
        return f"{'shortest counterexample' if p.trace.kind == 'violation' else 'reached in'} {n} step{'s' * (n != 1)}"
    if p.verdict == "holds":
        return f"in all {result.stats.states:,} reachable states"
    if p.verdict == "unreachable":
        return f"in none of {result.stats.states:,} reachable states"
    why = result.stats.bound or "stopped early"
    if p.verdict == "not reached within bounds":
        return f"not reached in {result.stats.states:,} states ({why})"
    return f"no counterexample in {result.stats.states:,} states ({why})"
