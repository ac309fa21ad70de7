"""A brute-force linearizability checker for one register whose value is a
set of writes (a write adds itself; a read returns a set), written from the
definition (Wing and Gong) and knowing nothing of capmodel's own property.

A history is a list of events in real-time order:

    ("invoke", i)        write i is sent
    ("ok", i)            write i is acknowledged (its response)
    ("read", j, S)       read j is answered, returning the set S of write ids

Reads are instantaneous (invocation = response = their event). A write with
an invocation and no OK is indeterminate: it may take effect at any point
after its invocation, or never. An operation a precedes b in real time when
a's response comes before b's invocation.

The history is linearizable when some total order of the completed operations
plus some subset of the indeterminate writes respects real-time order and
makes every read return exactly the writes ordered before it. The search
tries every subset of indeterminate writes and every real-time-respecting
order (depth first, memoised on the set of operations already placed).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Optional


@dataclass(frozen=True)
class Op:
    kind: str  # "write" | "read"
    ident: int  # the write's or the read's number
    inv: int  # event position of the invocation
    resp: Optional[int]  # event position of the response; None: never answered
    value: frozenset = frozenset()  # a read's result


def operations(history: Iterable[tuple]) -> list[Op]:
    """The history's operations with their real-time intervals."""
    invoked: dict[int, int] = {}
    answered: dict[int, int] = {}
    reads: list[Op] = []
    for pos, event in enumerate(history):
        kind = event[0]
        if kind == "invoke":
            assert event[1] not in invoked, f"write {event[1]} invoked twice"
            invoked[event[1]] = pos
        elif kind == "ok":
            assert event[1] in invoked, f"write {event[1]} answered before it was sent"
            assert event[1] not in answered, f"write {event[1]} answered twice"
            answered[event[1]] = pos
        elif kind == "read":
            reads.append(Op("read", event[1], pos, pos, frozenset(event[2])))
        else:
            raise ValueError(f"unknown event {event!r}")
    writes = [Op("write", i, p, answered.get(i)) for i, p in invoked.items()]
    return writes + reads


def precedes(a: Op, b: Op) -> bool:
    return a.resp is not None and a.resp < b.inv


def _order_exists(ops: list[Op]) -> bool:
    """Some order of all of `ops` respects real time and explains every read."""
    n = len(ops)
    before = [[precedes(ops[x], ops[y]) for y in range(n)] for x in range(n)]
    failed: set[frozenset] = set()

    def extend(placed: frozenset, value: frozenset) -> bool:
        if len(placed) == n:
            return True
        if placed in failed:
            return False
        for y in range(n):
            if y in placed or any(before[x][y] for x in range(n) if x not in placed):
                continue  # some unplaced op must come first
            op = ops[y]
            if op.kind == "read":
                if op.value == value and extend(placed | {y}, value):
                    return True
            elif extend(placed | {y}, value | {op.ident}):
                return True
        failed.add(placed)  # the value is a function of `placed`, so this is exact
        return False

    return extend(frozenset(), frozenset())


def is_linearizable(history: Iterable[tuple]) -> bool:
    ops = operations(history)
    required = [op for op in ops if op.kind == "read" or op.resp is not None]
    optional = [op for op in ops if op.kind == "write" and op.resp is None]
    for k in range(len(optional) + 1):
        for chosen in combinations(optional, k):
            if _order_exists(required + list(chosen)):
                return True
    return False


def linearization(history: Iterable[tuple]) -> list[Op] | None:
    """One witness order, for messages (slow path: plain permutations)."""
    from itertools import permutations
    ops = operations(history)
    required = [op for op in ops if op.kind == "read" or op.resp is not None]
    optional = [op for op in ops if op.kind == "write" and op.resp is None]
    for k in range(len(optional) + 1):
        for chosen in combinations(optional, k):
            for order in permutations(required + list(chosen)):
                if any(precedes(order[y], order[x]) for x in range(len(order)) for y in range(x + 1, len(order))):
                    continue
                value: set = set()
                for op in order:
                    if op.kind == "write":
                        value.add(op.ident)
                    elif op.value != value:
                        break
                else:
                    return list(order)
    return None
