"""The guarded-command model every engine consumes.

A Model is finite-domain variables, parameterised actions (each a family of
instances: a guard and a parallel assignment), named invariants and
reachability conditions. Labels say what an action means (who, to whom,
what kind of event) so traces can be told and drawn without the engine
knowing anything of masters or replicas.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .encoding import NUMBER, Encoding
from .expr import Expr

State = tuple[int, ...]


@dataclass(frozen=True)
class Variable:
    name: str  # e.g. "log[master]"
    size: int  # the domain is 0 .. size-1
    initial: int
    group: str = ""  # what it belongs to, for views: a node, a write, "global"
    encoding: Encoding = NUMBER  # what its integer stands for (ir/encoding.py): outputs only


@dataclass(frozen=True)
class Label:
    """What an action instance means, in terms an output can draw."""

    kind: str  # request | reply | replicate | ack | crash | recover | partition | heal | promote | local
    actor: str  # who acts (a node or a client)
    text: str  # plain words, e.g. "client1 sends w1 to master"
    src: str | None = None  # arrow tail, for messages
    dst: str | None = None  # arrow head
    message: str = ""  # what the arrow carries, e.g. "w1", "OK", "ERROR"


@dataclass(frozen=True)
class ActionInstance:
    family: str  # the parameterised action's name
    args: tuple[tuple[str, str], ...]  # (parameter, value name) pairs
    guard: Expr
    updates: tuple[tuple[int, Expr], ...]  # (variable index, new value); the rest keep theirs
    label: Label

    @property
    def name(self) -> str:
        if not self.args:
            return self.family
        return f"{self.family}({', '.join(v for _, v in self.args)})"


@dataclass(frozen=True)
class Action:
    """A parameterised action: its parameters and every instance of it."""

    name: str
    params: tuple[tuple[str, str], ...]  # (parameter, domain name)
    instances: tuple[ActionInstance, ...]


@dataclass(frozen=True)
class Condition:
    name: str
    expr: Expr
    description: str = ""


@dataclass
class Model:
    name: str
    variables: list[Variable]
    actions: list[Action]
    invariants: list[Condition]  # must hold in every reachable state
    reachables: list[Condition]  # must hold in some reachable state
    done: Expr  # the workload is finished: a state without successors is no deadlock
    lemmas: list[Condition] = field(default_factory=list)  # helper invariants: checked, and used by induction
    # Hooks given by the library that built the model (semantics/), so that
    # engines and outputs can tell a step in plain words without knowing what
    # the variables mean.
    narrate: Callable[[State, ActionInstance, State], str] | None = None
    view: Callable[[State], dict[str, Any]] | None = None
    explain: dict[str, Callable[[list[State]], str]] = field(default_factory=dict)
    participants: list[str] = field(default_factory=list)  # who appears in a trace, in drawing order
    # Interchangeable elements (ir/symmetry.py): which variables and values a
    # renaming of nodes or clients moves. None: no reduction is possible.
    symmetry: Any = None
    # The same system with fewer nodes and writes, built by the same library
    # (semantics/smaller.py), for generating lemmas where its state space is
    # small (engines/invgen_small.py); None: there is none.
    smaller: Callable[[], "Model | None"] | None = None

    @property
    def initial_state(self) -> State:
        return tuple(v.initial for v in self.variables)

    def instances(self) -> list[ActionInstance]:
        return [inst for a in self.actions for inst in a.instances]

    def index_of(self, name: str) -> int:
        for i, v in enumerate(self.variables):
            if v.name == name:
                return i
        raise KeyError(name)
