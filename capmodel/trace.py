"""The one Trace type: every engine produces it, every output consumes it.

A trace keeps the raw states (for replay through the IR) next to their plain
view and words (for people)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ir.model import Model, State


@dataclass
class Step:
    index: int  # 1-based
    action: str  # the action instance, e.g. "crash(master)"
    family: str  # the parameterised action, e.g. "crash"
    args: dict[str, str]
    kind: str  # request | reply | replicate | ack | crash | recover | partition | heal | promote | local
    actor: str
    src: str | None
    dst: str | None
    message: str
    text: str  # the step in plain words
    state: dict[str, Any]  # the view of the state after the step
    raw: State  # the state after the step, as IR values

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "action": self.action, "kind": self.kind, "actor": self.actor,
                "from": self.src, "to": self.dst, "message": self.message, "text": self.text,
                "state": self.state}


@dataclass
class Trace:
    spec: str
    property: str
    kind: str  # violation | deadlock | witness (a reachable condition reached)
    explanation: str  # why the last state breaks the property, in one sentence
    initial: dict[str, Any]
    initial_raw: State
    steps: list[Step] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)  # clients then nodes, for diagrams

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "property": self.property, "kind": self.kind,
                "explanation": self.explanation, "participants": self.participants,
                "initial": self.initial, "steps": [s.to_json() for s in self.steps],
                "raw": {"initial": list(self.initial_raw), "steps": [list(s.raw) for s in self.steps],
                        "actions": [s.action for s in self.steps]}}


def build_trace(model: Model, prop: str, kind: str, path: list[tuple[int, State]],
                participants: list[str]) -> Trace:
    """path: the initial state as (-1, s0), then (instance index, state after) per step."""
    instances = model.instances()
    initial = path[0][1]
    view = model.view or (lambda s: {v.name: x for v, x in zip(model.variables, s)})
    steps = []
    before = initial
    for k, (a, after) in enumerate(path[1:], start=1):
        inst = instances[a]
        told = (model.narrate(before, inst, after) if model.narrate else
                {"text": inst.label.text, "src": inst.label.src, "dst": inst.label.dst,
                 "message": inst.label.message})
        steps.append(Step(k, inst.name, inst.family, dict(inst.args), inst.label.kind, inst.label.actor,
                          told["src"], told["dst"], told["message"], told["text"], view(after), after))
        before = after
    states = [s for _, s in path]
    explanation = ""
    if kind == "violation" and prop in model.explain:
        explanation = model.explain[prop](states)
    elif kind == "deadlock":
        explanation = "no action is enabled, but the workload is not finished"
    elif kind == "witness":
        explanation = f"{prop} is reachable"
    return Trace(model.name, prop, kind, explanation, view(initial), initial, steps, participants)


def replay(model: Model, trace: Trace) -> list[State]:
    """Re-run a trace through the IR interpreter: every step's guard must hold
    and its update must give exactly the recorded state. Raises ValueError."""
    from .ir.pycompile import step as apply

    index = {inst.name: k for k, inst in enumerate(model.instances())}
    state = model.initial_state
    if tuple(trace.initial_raw) != state:
        raise ValueError("the trace does not start in the model's initial state")
    states = [state]
    for s in trace.steps:
        if s.action not in index:
            raise ValueError(f"step {s.index}: the model has no action {s.action}")
        nxt = apply(model, index[s.action], state)
        if nxt is None:
            raise ValueError(f"step {s.index}: {s.action} is not enabled")
        if nxt != tuple(s.raw):
            raise ValueError(f"step {s.index}: {s.action} leads to another state than recorded")
        state = nxt
        states.append(state)
    return states
