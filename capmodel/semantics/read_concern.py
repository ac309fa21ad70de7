"""MongoDB read concern for reads on the primary (`read_concern`).

- local: the primary answers from its own data, which may include writes a
  failover will roll back (the master_only rule of reads.py);
- majority: the node answers from its majority-commit point ("Each replica
  set member maintains, in memory, a view of the data at the majority-commit
  point; the majority-commit point is calculated by the primary"): data that
  cannot be rolled back, but possibly stale on a primary that was cut off
  and replaced, or on a new primary that has not committed in its own term
  yet (a majority does not hold the no-op it wrote on election, noop.py).
  The point only moves forward: a follower that moves on to a new
  primary does not take back the acks the old one has counted (computing it
  from the current acks made a cut-off primary forget w1 and answer an
  older read than before: monotonic_reads VIOLATED on a single node);
- linearizable: the primary first confirms, with a majority of the set in
  its own term, that it is still primary and that every write it holds is on
  that majority (MongoDB writes a no-op and waits for it to be
  majority-committed); it then returns all it holds. When a majority can no
  longer confirm in the current state, the read fails (maxTimeMS, or the
  primary steps down); while they can but have not acked yet, it waits.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.expr import Expr
from . import noop
from .state import FENCED, FOLLOWER, MASTER, SystemState


def _majority(st: SystemState) -> int:
    return st.N // 2 + 1


def _in_its_term(st: SystemState, f: int, m: int) -> Expr:
    """f follows m in m's term, over a live link: f can ack m's writes."""
    same_term = X.eq(st.nterm[f], st.nterm[m]) if st.nterm is not None else X.TRUE
    return X.and_(st.is_role(f, FOLLOWER), X.eq(st.src[f], X.const(m)), st.connected(f, m), same_term)


def commit_points(st: SystemState) -> list[Expr] | None:
    """Each node's majority-commit point, as the writes at or before it (only
    under read concern majority, the one reader of it)."""
    if st.cfg.read_concern != "majority":
        return None
    return [st._new(f"commit_point[{x}]", 1 << st.W, 0, x, st.write_set) for x in st.nodes]


def majority_committed(st: SystemState, m: int, acks_now: dict[int, Expr] | None = None,
                       step: dict | None = None) -> Expr:
    """The writes of m's log up to the newest one m knows a majority holds
    (itself and its followers' acks; `acks_now`: acks given in this very
    step; `step`: all that step's updates, with the no-op an ack reports).
    As in Raft, whose commit rule MongoDB's protocol version 1 keeps, only
    an entry of m's own term moves the point: a write of an older term
    on a majority may still be overwritten by a node with a newer last term.
    Under elections m's first entry of its term is the no-op it wrote when
    elected, and its majority commits all m held then."""
    ackd = {f: (acks_now or {}).get(f, st.ackd[f]) for f in range(st.N) if f != m}
    bits = []
    for i in range(st.W):
        acks = X.sum_(X.and_(X.eq(st.src[f], X.const(m)), X.has_bit(a, i)) for f, a in ackd.items())
        held = X.and_(X.has_bit(st.log[m], i), X.le(X.const(_majority(st) - 1), acks))
        if st.wterm is not None and st.nterm is not None:
            held = X.and_(held, X.eq(st.wterm[i], st.nterm[m]))
        bits.append(X.ite(held, X.const((1 << (i + 1)) - 1), X.const(0)))  # the log is in write order
    if st.noop_acked is not None:
        # m's own no-op (noop.py) on a majority commits every entry before it:
        # the writes of older terms, all m held at its election
        holders = X.sum_(noop.acked_leaders_noop(st, f, m, step or {}) for f in range(st.N) if f != m)
        older = X.reduce_or([X.ite(X.lt(st.wterm[i], st.nterm[m]), X.const(1 << i), X.const(0))
                             for i in range(st.W)])
        bits.append(X.ite(X.le(X.const(_majority(st) - 1), holders), older, X.const(0)))
    return X.band(st.log[m], X.reduce_or(bits))


def advance_commit(st: SystemState, f: int, m: int, acked: Expr, updates: dict) -> None:
    """Follower f acks `acked` to m: m's commit point moves forward to cover
    what a majority now holds (it never moves back)."""
    if st.commit is not None:
        updates[st.commit[m]] = X.bor(st.commit[m], majority_committed(st, m, {f: acked}, updates))


def readable(st: SystemState, n: int) -> Expr:
    """What a read served by the primary n returns."""
    if st.cfg.read_concern == "majority":
        return X.band(st.commit[n], st.log[n])
    return st.readable(n)


def serves_and_refuses(st: SystemState, n: int) -> tuple[Expr, Expr]:
    """(n answers the read now, n refuses it now); neither: the read waits."""
    master, fenced = st.is_role(n, MASTER), st.is_role(n, FENCED)
    if st.cfg.read_concern != "linearizable":
        return master, fenced
    others = [f for f in range(st.N) if f != n]
    # with elections, the read's own no-op also follows the no-op n wrote when
    # elected: a follower that acks it holds that one too (noop.py)
    confirmed = X.sum_(X.and_(_in_its_term(st, f, n), X.subset(st.log[n], st.ackd[f]),
                              noop.holds_leaders_noop(st, f, n) if st.noops is not None else X.TRUE)
                       for f in others)
    could = X.sum_(_in_its_term(st, f, n) for f in others)
    need = X.const(_majority(st) - 1)
    return (X.and_(master, X.le(need, confirmed)),
            X.or_(fenced, X.and_(master, X.lt(could, need))))
