"""Rebuild a Trace from the JSON that `verify --json` writes (Trace.to_json).

A saved document is first checked against the published JSON Schema
(capmodel/schema/capmodel.schema.json, which every --json output follows), so
that what is drawn has the types the drawing code expects; then against the
bounds of what `render` draws."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..trace import Step, Trace

KINDS = {"request", "reply", "replicate", "ack", "crash", "recover", "partition", "heal", "promote", "local"}
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "capmodel.schema.json"
# What `render` draws at most: capmodel's counterexamples are shortest ones, a
# few dozen steps; a diagram of thousands of rows keeps Graphviz busy for minutes.
MAX_STEPS = 500
MAX_TRACES = 200
_SHOWN = 160  # characters of a schema message shown (it may quote a huge value)


class TraceFormatError(ValueError):
    """The JSON is not a trace written by `capmodel verify --json`."""


@lru_cache(maxsize=1)
def schema() -> dict:
    """The published schema of --json output and saved traces (docs/json.md)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def check_schema(doc: Any) -> None:
    """Raise TraceFormatError naming the first place where doc breaks the schema.

    The document's form is chosen by its keys (as traces_in reads it), so that
    the error is about that form and not about all three at once."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    form = "trace"
    if isinstance(doc, dict) and "schema_version" in doc:
        form = "output"
    elif isinstance(doc, dict) and "results" in doc:
        form = "run"
    elif isinstance(doc, dict) and "properties" in doc:
        form = "document"
    defs = schema()["$defs"]
    validator = Draft202012Validator({"$ref": f"#/$defs/{form}", "$defs": defs})
    error = best_match(validator.iter_errors(doc))
    if error is None:
        return
    message = error.message if len(error.message) <= _SHOWN else error.message[:_SHOWN - 3] + "..."
    where = "the document" if error.json_path == "$" else error.json_path
    raise TraceFormatError(f"{where}: {message} (see {SCHEMA_FILE.name}, the schema of `verify --json`)")


def check_output(doc: Any) -> list[str]:
    """Every place where a --json document breaks the schema's `output` (empty: it follows it)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator({"$ref": "#/$defs/output", "$defs": schema()["$defs"]})
    return [f"{e.json_path}: {e.message[:_SHOWN]}" for e in validator.iter_errors(doc)]


def _too_long(name: str, steps: int) -> TraceFormatError:
    return TraceFormatError(f"the trace of {name[:80]!r} has {steps:,} steps; render draws at "
                            f"most {MAX_STEPS} (capmodel's counterexamples are shortest ones)")


def within_bounds(doc: Any) -> None:
    """Refuse, before the schema is checked (which takes seconds on a huge
    document), any 'steps' list longer than render draws."""
    stack = [doc]
    while stack:  # iterative: a deeply nested document must not overflow the stack
        x = stack.pop()
        if isinstance(x, dict):
            steps = x.get("steps")
            if isinstance(steps, list) and len(steps) > MAX_STEPS:
                raise _too_long(x.get("property") if isinstance(x.get("property"), str) else "a trace", len(steps))
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


def drawable(found: list[tuple[str, str, Trace]]) -> list[tuple[str, str, Trace]]:
    """found, if render may draw it all; else TraceFormatError saying which bound it passes."""
    if len(found) > MAX_TRACES:
        raise TraceFormatError(f"the file holds {len(found):,} traces; render draws at most {MAX_TRACES}")
    for _, key, trace in found:
        if len(trace.steps) > MAX_STEPS:
            raise _too_long(key, len(trace.steps))
    return found


def _need(doc: dict, key: str, types, where: str):
    if key not in doc:
        raise TraceFormatError(f"{where} has no {key!r}")
    value = doc[key]
    if not isinstance(value, types):
        raise TraceFormatError(f"{where}: {key!r} should be {_kind(types)}, not {type(value).__name__}")
    return value


def _kind(types) -> str:
    names = {str: "text", list: "a list", dict: "an object", int: "a number", type(None): "null"}
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def trace_from_json(doc: Any) -> Trace:
    """A Trace from one trace document. Raises TraceFormatError naming what is wrong."""
    if not isinstance(doc, dict):
        raise TraceFormatError(f"a trace should be a JSON object, not {type(doc).__name__}")
    prop = _need(doc, "property", str, "the trace")
    steps_doc = _need(doc, "steps", list, "the trace")
    initial = _need(doc, "initial", dict, "the trace")
    if not isinstance(initial.get("nodes"), dict) or not initial["nodes"]:
        raise TraceFormatError("the trace's 'initial' state has no 'nodes'")
    participants = doc.get("participants") or []
    if not isinstance(participants, list) or not all(isinstance(p, str) for p in participants):
        raise TraceFormatError("the trace's 'participants' should be a list of names")
    raw = doc.get("raw") if isinstance(doc.get("raw"), dict) else {}
    raw_steps = raw.get("steps") if isinstance(raw.get("steps"), list) else []
    steps = []
    for k, s in enumerate(steps_doc, start=1):
        where = f"step {k}"
        if not isinstance(s, dict):
            raise TraceFormatError(f"{where} should be an object")
        kind = _need(s, "kind", str, where)
        if kind not in KINDS:
            raise TraceFormatError(f"{where}: unknown kind {kind!r} (one of {', '.join(sorted(KINDS))})")
        action = s.get("action") if isinstance(s.get("action"), str) else kind
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)", action)
        state = _need(s, "state", dict, where)
        steps.append(Step(
            index=s.get("index") if isinstance(s.get("index"), int) else k,
            action=action, family=m.group(1) if m else kind, args={}, kind=kind,
            actor=_need(s, "actor", str, where),
            src=_need(s, "from", (str, type(None)), where), dst=_need(s, "to", (str, type(None)), where),
            message=s.get("message") or "", text=s.get("text") or "", state=state,
            raw=tuple(raw_steps[k - 1]) if k - 1 < len(raw_steps) else ()))
    return Trace(spec=str(doc.get("spec") or "trace"), property=prop, kind=str(doc.get("kind") or "violation"),
                 explanation=str(doc.get("explanation") or ""), initial=initial,
                 initial_raw=tuple(raw.get("initial") or ()), steps=steps, participants=participants)


def traces_in(doc: Any) -> list[tuple[str, str, Trace]]:
    """Every trace in a saved JSON file, as (folder name, key, trace).

    Accepts what `verify --json` prints ({"schema_version": 1, "kind": "verify",
    "results": [...]}; each result's properties[].trace and deadlock), one spec's
    result alone, the {"results": [...]} of older versions, or a bare trace."""
    if isinstance(doc, dict) and doc.get("schema_version") is not None and doc.get("kind") != "verify":
        raise TraceFormatError(f"this is the output of `capmodel {str(doc.get('kind'))[:40]} --json`, which holds no "
                               "traces; give the output of `capmodel verify --json`")
    if isinstance(doc, dict) and isinstance(doc.get("results"), list):
        out = []
        for r in doc["results"]:
            out += traces_in(r)
        return out
    if isinstance(doc, dict) and "properties" in doc:
        props = doc["properties"]
        if not isinstance(props, list):
            raise TraceFormatError("'properties' should be a list")
        folder = _stem(doc.get("file")) or str(doc.get("spec") or "trace")
        out = []
        for p in props:
            if isinstance(p, dict) and p.get("trace") is not None and p.get("verdict", "violated") == "violated":
                out.append((folder, str(p.get("name") or p["trace"].get("property")), trace_from_json(p["trace"])))
        if doc.get("deadlock") is not None:
            out.append((folder, "deadlock", trace_from_json(doc["deadlock"])))
        return out
    if isinstance(doc, dict) and "steps" in doc:
        t = trace_from_json(doc)
        return [(t.spec, t.property, t)]
    raise TraceFormatError("this JSON is neither a trace nor the output of `capmodel verify --json`")


def _stem(file: Any) -> str | None:
    if not isinstance(file, str) or not file:
        return None
    name = re.split(r"[\\/]", file)[-1]
    return name[:-4] if name.endswith(".cap") else name.rsplit(".", 1)[0] or name
