"""Counterexamples as ITF traces: the Informal Trace Format of Apalache and Quint
(https://apalache-mc.org/docs/adr/015adr-trace.html), which their trace
viewers read.

A trace is written from the one Trace type (capmodel/trace.py): `vars` are the
model's variables (docs/semantics.md names them), `states` its raw states,
the initial one first, every value an integer written as {"#bigint": "N"} (as
Quint writes every integer; the format allows it for any integer). Each
state's `#meta` says its index and the action that led to it ("init" for the
first), so the steps replay through the IR (tests/test_itf.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..engines.result import VIOLATED, CheckResult
from ..trace import Trace
from .diagrams import DiagramsNotWritten, inside, not_written, safe_name, unique

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
SUFFIX = ".itf.json"


def bigint(value: int) -> dict[str, str]:
    return {"#bigint": str(int(value))}


def trace_to_itf(trace: Trace, variables: Sequence[str], source: str = "") -> dict[str, Any]:
    """The ITF document of one trace; `variables`: the model's variable names, in order."""
    names = list(variables)
    raws = [tuple(trace.initial_raw)] + [tuple(s.raw) for s in trace.steps]
    actions = ["init"] + [s.action for s in trace.steps]
    for k, raw in enumerate(raws):
        if len(raw) != len(names):
            raise ValueError(f"state {k} of the trace of {trace.property} has {len(raw)} values "
                             f"for {len(names)} variables")
    states = []
    for k, (raw, action) in enumerate(zip(raws, actions)):
        state: dict[str, Any] = {"#meta": {"index": k, "action": action}}
        state.update((name, bigint(v)) for name, v in zip(names, raw))
        states.append(state)
    return {"#meta": {"format": "ITF", "format-description": FORMAT_DESCRIPTION, "source": source,
                      "description": f"capmodel: {trace.kind} of {trace.property} in system {trace.spec}"
                                     + (f": {trace.explanation}" if trace.explanation else ""),
                      "spec": trace.spec, "property": trace.property, "kind": trace.kind},
            "vars": names, "states": states}


def itf_traces(result: CheckResult) -> list[tuple[str, Trace]]:
    """(key, trace) for every counterexample that starts in the initial state:
    each violated property, the deadlock, each wrong lemma (not a counterexample
    to induction, whose first state need not be reachable)."""
    out = [(p.name, p.trace) for p in result.properties if p.verdict == VIOLATED and p.trace is not None]
    if result.deadlock is not None:
        out.append(("deadlock", result.deadlock))
    out += [(f"lemma {m.name}", m.trace) for m in getattr(result, "lemmas", [])
            if m.verdict == VIOLATED and m.trace is not None]
    return out


def write_itf(result: CheckResult, variables: Sequence[str], source: str, out_dir: str | Path,
              folder: str) -> dict[str, str]:
    """Write out_dir/<folder>/<key>.itf.json per counterexample; {key: path}.
    Raises DiagramsNotWritten (the folder's one-line error) when it cannot."""
    traces = itf_traces(result)
    if not traces:
        return {}
    try:
        base = inside(Path(out_dir), safe_name(folder, "spec"))
        base.mkdir(parents=True, exist_ok=True)
        used: set[str] = set()
        paths = {}
        for key, trace in traces:
            path = inside(base, unique(safe_name(key, "property"), used) + SUFFIX)
            path.write_text(json.dumps(trace_to_itf(trace, variables, source), indent=1) + "\n", encoding="utf-8")
            paths[key] = str(path)
        return paths
    except (OSError, ValueError) as err:
        message = str(not_written(err, out_dir)).replace("diagrams not written to --out", "ITF traces not written to --itf")
        raise DiagramsNotWritten(message.replace("give --out a folder you can write to, or --no-render",
                                                 "give --itf a folder you can write to")) from None


def states_of(doc: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """(action, raw state) per state of an ITF document written by write_itf."""
    names = doc["vars"]
    out = []
    for state in doc["states"]:
        values = []
        for name in names:
            v = state[name]
            values.append(int(v["#bigint"]) if isinstance(v, dict) else int(v))
        out.append((state.get("#meta", {}).get("action", ""), tuple(values)))
    return out
