"""Counterexamples as ITF traces: the Informal Trace Format of Apalache and Quint
(https://apalache-mc.org/docs/adr/015adr-trace.html), which their trace
viewers read.

A trace is written from the one Trace type (capmodel/trace.py): `vars` are the
model's variables (docs/semantics.md names them), `states` its states, the
initial one first. Each value is written as what its integer stands for, by
the variable's encoding (ir/encoding.py, declared by semantics/): a boolean
as true/false, a named value (a role, a node, a status) as its name, a set
held as a bit mask as {"#set": [...]} of its elements (a pair as {"#tup":
[...]}), a number as {"#bigint": "N"} (as Quint writes every integer).
`#meta.varTypes` gives each variable's type as Apalache writes it. The same
encodings read a document back into the IR's integers (`states_of`), and
each state's `#meta` says the action that led to it ("init" for the first),
so the steps replay through the IR (tests/test_itf.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..engines.result import VIOLATED, CheckResult
from ..ir.encoding import BOOLEAN, ENUMERATION, SET, Encoding
from ..ir.model import Variable
from ..trace import Trace
from .diagrams import DiagramsNotWritten, inside, not_written, safe_name, unique

FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
SUFFIX = ".itf.json"


def bigint(value: int) -> dict[str, str]:
    return {"#bigint": str(int(value))}


def _element(e: Any) -> Any:
    """A named value or a set's element: a str as itself, an int as a bigint, a tuple as #tup."""
    if isinstance(e, tuple):
        return {"#tup": [_element(x) for x in e]}
    return e if isinstance(e, str) else bigint(e)


def _element_back(j: Any) -> Any:
    if isinstance(j, dict) and "#tup" in j:
        return tuple(_element_back(x) for x in j["#tup"])
    if isinstance(j, dict) and "#bigint" in j:
        return int(j["#bigint"])
    if isinstance(j, int) and not isinstance(j, bool):  # ITF allows plain integers too
        return j
    if isinstance(j, str):
        return j
    raise ValueError(f"{j!r} is not an ITF value capmodel writes")


def to_itf(encoding: Encoding, raw: int) -> Any:
    """One variable's integer as the ITF value of what it stands for."""
    value = encoding.decode(raw)
    if encoding.kind == BOOLEAN:
        return value
    if encoding.kind == SET:
        return {"#set": [_element(e) for e in value]}
    return _element(value)


def from_itf(encoding: Encoding, j: Any) -> int:
    """The integer of an ITF value that to_itf wrote; ValueError for anything else."""
    if encoding.kind == BOOLEAN:
        return encoding.encode(j)
    if encoding.kind == SET:
        if not (isinstance(j, dict) and isinstance(j.get("#set"), list)):
            raise ValueError(f"{j!r} is not an ITF set")
        return encoding.encode(tuple(_element_back(e) for e in j["#set"]))
    return encoding.encode(_element_back(j))


def element_type(e: Any) -> str:
    if isinstance(e, tuple):
        return "<<" + ", ".join(element_type(x) for x in e) + ">>"
    return "Str" if isinstance(e, str) else "Int"


def itf_type(encoding: Encoding) -> str:
    """The variable's type as Apalache writes it in #meta.varTypes."""
    if encoding.kind == BOOLEAN:
        return "Bool"
    if encoding.kind == ENUMERATION:
        return element_type(encoding.names[0])
    if encoding.kind == SET:
        return f"Set({element_type(encoding.names[0]) if encoding.names else 'Int'})"
    return "Int"


def trace_to_itf(trace: Trace, variables: Sequence[Variable], source: str = "") -> dict[str, Any]:
    """The ITF document of one trace; `variables`: the model's variables, in order."""
    names = [v.name for v in variables]
    raws = [tuple(trace.initial_raw)] + [tuple(s.raw) for s in trace.steps]
    actions = ["init"] + [s.action for s in trace.steps]
    for k, raw in enumerate(raws):
        if len(raw) != len(names):
            raise ValueError(f"state {k} of the trace of {trace.property} has {len(raw)} values "
                             f"for {len(names)} variables")
    states = []
    for k, (raw, action) in enumerate(zip(raws, actions)):
        state: dict[str, Any] = {"#meta": {"index": k, "action": action}}
        state.update((v.name, to_itf(v.encoding, x)) for v, x in zip(variables, raw))
        states.append(state)
    return {"#meta": {"format": "ITF", "format-description": FORMAT_DESCRIPTION, "source": source,
                      "description": f"capmodel: {trace.kind} of {trace.property} in system {trace.spec}"
                                     + (f": {trace.explanation}" if trace.explanation else ""),
                      "varTypes": {v.name: itf_type(v.encoding) for v in variables},
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


def write_itf(result: CheckResult, variables: Sequence[Variable], source: str, out_dir: str | Path,
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


def states_of(doc: dict[str, Any], variables: Sequence[Variable]) -> list[tuple[str, tuple[int, ...]]]:
    """(action, the IR's state) per state of an ITF document written by write_itf,
    each value read back through its variable's encoding. ValueError when the
    document's variables or values are not the model's."""
    if list(doc["vars"]) != [v.name for v in variables]:
        raise ValueError("the trace's variables are not the model's")
    return [(state.get("#meta", {}).get("action", ""), tuple(from_itf(v.encoding, state[v.name]) for v in variables))
            for state in doc["states"]]
