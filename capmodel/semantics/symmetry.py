"""Which variables a renaming of nodes or clients moves, declared for ir/symmetry.py.

The declaration says what every node- or client-valued variable means; it
does not decide which nodes are interchangeable. ir/symmetry.py checks each
candidate renaming on the IR itself and keeps only the automorphisms, so a
leader, a listed standby, a node a client is placed with, or a node an
invariant names is told apart by the check, not by rules kept here.
"""
from __future__ import annotations

from ..ir.expr import Expr
from ..ir.symmetry import Declaration, Scalarset, index_kind, mask_kind
from .state import SystemState

NODES, CLIENTS = "nodes", "clients"


def _indices(exprs) -> tuple[int, ...]:
    return tuple(e.args[0] for e in exprs)


def declare_symmetry(st: SystemState) -> Declaration:
    sizes = {v: var.size for v, var in enumerate(st.variables)}
    decl = Declaration(sets=[Scalarset(NODES, tuple(st.nodes)),
                             Scalarset(CLIENTS, tuple(f"client{c + 1}" for c in range(st.C)))])
    per_node = [st.up, st.role, st.log, st.src, st.ackd, st.wrote, st.nterm, st.flushed, st.applied,
                st.in_touch, st.commit, st.noops, st.noop_acked]
    decl.arrays = [(NODES, _indices(family)) for family in per_node if family is not None]

    def values_name(set_name: str, size: int, exprs: list[Expr] | None) -> None:
        for e in exprs or ():
            i = e.args[0]
            decl.kinds[i] = index_kind(set_name, size, sizes[i])

    def bits_name(labels, exprs: list[Expr | None] | None) -> None:
        for e in exprs or ():
            if e is not None:
                decl.kinds[e.args[0]] = mask_kind(labels)

    node_bit = [((NODES, n),) for n in range(st.N)]
    values_name(NODES, st.N, st.src + [st.primary] + st.wnode + st.rnode)
    values_name(CLIENTS, st.C, st.wclient + st.rclient)
    bits_name(node_bit, (st.in_touch or []) + [st.sync_set])
    bits_name([((NODES, a), (NODES, b)) for a, b in st.pairs], [st.cut])
    bits_name([((CLIENTS, c), (NODES, n)) for c in range(st.C) for n in range(st.N)], [st.ccut])
    decl.candidates = [(NODES, tuple(range(st.N))), (CLIENTS, tuple(range(st.C)))]
    return decl
