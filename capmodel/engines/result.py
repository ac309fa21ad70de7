"""What every engine reports: verdicts per property, traces, statistics."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..trace import Trace

HOLDS, VIOLATED, INCOMPLETE = "holds", "violated", "incomplete"
REACHED, UNREACHABLE, NOT_REACHED = "reached", "unreachable", "not reached within bounds"

# The verdicts as JSON gives them (docs/json.md): identifiers, never words with
# spaces; the text report keeps its own wording for people.
VERDICT_IDS = {NOT_REACHED: "not_reached"}


def verdict_id(verdict: str) -> str:
    """The JSON identifier of a verdict: "not reached within bounds" -> "not_reached",
    "not inductive" -> "not_inductive", "check failed" -> "check_failed"."""
    return VERDICT_IDS.get(verdict) or verdict.replace(" ", "_")


@dataclass
class PropertyResult:
    name: str
    verdict: str  # holds | violated | incomplete
    description: str = ""
    trace: Trace | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "verdict": verdict_id(self.verdict), "description": self.description,
                "trace": self.trace.to_json() if self.trace else None}


@dataclass
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    complete: bool = True  # the whole reachable state space was explored
    bound: str | None = None  # which bound stopped the search, if one did
    stopped_early: bool = False  # every property was decided before the end
    # what made the search smaller or faster, in plain words (engines/search.py)
    reductions: list[str] = field(default_factory=list)
    symmetry_order: int = 1  # > 1: one state was stored per orbit of a group this large

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"states": self.states, "transitions": self.transitions, "depth": self.depth,
                "seconds": round(self.seconds, 3), "complete": self.complete, "bound": self.bound,
                "stopped_early": self.stopped_early,
                "reductions": self.reductions, "symmetry_order": self.symmetry_order}


@dataclass
class CheckResult:
    spec: str
    engine: str
    properties: list[PropertyResult] = field(default_factory=list)
    reachables: list[PropertyResult] = field(default_factory=list)  # verdict: reached | unreachable | ...
    deadlock: Trace | None = None
    unfired: list[str] = field(default_factory=list)  # action families that never fired
    stats: Stats = field(default_factory=Stats)

    @property
    def failed(self) -> bool:
        return (any(p.verdict == VIOLATED for p in self.properties) or self.deadlock is not None
                or any(r.verdict == UNREACHABLE for r in self.reachables))

    @property
    def incomplete(self) -> bool:
        return not self.stats.complete

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec, "engine": self.engine,
                "properties": [p.to_json() for p in self.properties],
                "reachable": [r.to_json() for r in self.reachables],
                "deadlock": self.deadlock.to_json() if self.deadlock else None,
                "never_fired": self.unfired,
                "stats": self.stats.to_json()}
