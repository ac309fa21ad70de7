"""The spec's abstract syntax: plain dataclasses, each carrying its source span.

The parser (parser.py) builds these from the Lark tree; the validator
(validate.py) checks them; semantics/ turns a validated Spec into IR.
Nothing here knows about Lark, Z3 or the IR.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Where a construct came from: file, 1-based line/column of its start and end."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:  # file:line:col, as every diagnostic prints it
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Name:
    """An identifier with its span (node names, mode names, property names...)."""

    text: str
    span: Span


@dataclass(frozen=True)
class Number:
    value: int
    span: Span


# ---------------------------------------------------------------- expressions
# The small expression language of user invariants and `reachable` conditions.


@dataclass(frozen=True)
class IntLit:
    value: int
    span: Span


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span


@dataclass(frozen=True)
class Ident:
    """A bare name: a node (master), a write (w1), a read (r1), a bound
    variable of a quantifier, or a global (crashes, partitions, term, primary)."""

    name: str
    span: Span


@dataclass(frozen=True)
class Attr:
    """`base.attr`, `base.attr(arg)` or `base.attr(arg, arg)`, e.g. `n.up`,
    `n.has(w1)`, `r.node`, `n1.hint_for(n2, w1)`."""

    base: "Expr"
    attr: Name
    args: "tuple[Expr, ...]"  # () for `n.up`
    span: Span


@dataclass(frozen=True)
class Unary:
    op: str  # "not" | "-"
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class Binary:
    # "and" | "or" | "implies" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-"
    op: str
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class Quantifier:
    """`forall n in nodes: body`, `exists w in writes: body`, `count r in reads: body`."""

    kind: str  # "forall" | "exists" | "count"
    var: Name
    domain: Name  # "nodes" | "writes" | "reads"
    body: "Expr"
    span: Span


Expr = IntLit | BoolLit | Ident | Attr | Unary | Binary | Quantifier


# ---------------------------------------------------------------- statements


@dataclass
class Replication:
    mode: Name  # async | sync | semi_sync | quorum
    acks: Number | None = None  # k for semi_sync
    timeout: bool = False  # the ack wait times out and falls back to async
    wait: bool = False  # Redis WAIT: too few acks -> the client gets an error, the write stays
    span: Span | None = None
    # the words after the mode and K (`timeout`, `wait`) in order, for diagnostics
    endings: list[Name] = field(default_factory=list)


@dataclass
class Failover:
    strategy: Name  # none | promote_any | promote_most_up_to_date | promote_sync_standby | elect
    fencing: bool = False
    span: Span | None = None
    live_majority: bool = False  # the manager needs a majority of the live nodes only


@dataclass
class Faults:
    crashes: Number | None = None
    recover: bool = False  # crash-recover instead of crash-stop
    partitions: Number | None = None
    client_partitions: bool = False  # `partitions N with_clients`: a partition may cut clients off too
    span: Span | None = None


@dataclass
class Workload:
    writes: Number | None = None
    reads: Number | None = None
    clients: Number | None = None
    span: Span | None = None


@dataclass
class Standbys:
    """`standbys first 1 (s1, s2)`: which followers' acks count (PostgreSQL
    synchronous_standby_names FIRST k / ANY k)."""

    rule: Name  # first | any
    count: Number  # K: how many of them must ack
    nodes: list[Name]
    span: Span | None = None


@dataclass
class NamedCondition:
    """`invariant NAME: expr` or `reachable NAME: expr`."""

    name: Name
    expr: Expr
    span: Span


@dataclass
class Spec:
    """One spec file as written: every section optional here (an `extends`
    child overrides only what it states); the validator fills and checks."""

    name: Name
    file: str
    span: Span
    extends: "tuple[str, Span] | None" = None
    nodes: list[Name] | None = None
    leader: Name | None = None
    replication: Replication | None = None
    reads: Name | None = None  # master_only | any_node | cp | ap | connected_only
    # `reads POLICY from a, b`: set by the same statement as `reads` (None: no `from`)
    read_from: list[Name] | None = None
    failover: Failover | None = None
    faults: Faults | None = None
    workload: Workload | None = None
    checks: list[Name] | None = None
    # details of real systems
    ack_after: Name | None = None  # received | flushed | applied
    visibility: Name | None = None  # after_commit | after_sync
    standbys: Standbys | None = None
    min_replicas: Number | None = None
    place: list[tuple[Name, Name]] | None = None  # `place client2 with s2`: (client, node) pairs
    # leaderless replication
    replicas: Number | None = None
    write_consistency: Name | None = None  # one | quorum | all | any | a count (digits)
    read_consistency: Name | None = None
    read_repair: Name | None = None  # none | blocking
    hinted_handoff: Name | None = None  # flags: the keyword itself, for its span
    sloppy_quorum: Name | None = None
    anti_entropy: Name | None = None
    clock_skew: Number | None = None
    read_concern: Name | None = None  # MongoDB: local | majority | linearizable
    invariants: list[NamedCondition] = field(default_factory=list)
    reachables: list[NamedCondition] = field(default_factory=list)
    lemmas: list[NamedCondition] = field(default_factory=list)  # helper invariants for Z3's induction
    # statement keyword ("replication", "ack_after", ...) -> the span of that whole statement
    spans: dict[str, Span] = field(default_factory=dict)
