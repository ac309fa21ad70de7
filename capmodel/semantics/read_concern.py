"""MongoDB read concern for reads on the primary (`read_concern`).

- local: the primary answers from its own data, which may include writes a
  failover will roll back (the master_only rule of reads.py);
- majority: the primary answers with the writes it knows a majority holds
  (its own copy and its followers' acks): data that cannot be rolled back,
  but possibly stale on a primary that was cut off and replaced;
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
from .state import FENCED, FOLLOWER, MASTER, SystemState


def _majority(st: SystemState) -> int:
    return st.N // 2 + 1


def _in_its_term(st: SystemState, f: int, m: int) -> Expr:
    """f follows m in m's term, over a live link: f can ack m's writes."""
    same_term = X.eq(st.nterm[f], st.nterm[m]) if st.nterm is not None else X.TRUE
    return X.and_(st.is_role(f, FOLLOWER), X.eq(st.src[f], X.const(m)), st.connected(f, m), same_term)


def majority_committed(st: SystemState, m: int) -> Expr:
    """The writes of m's log that m knows a majority holds (itself and the followers' acks)."""
    bits = []
    for i in range(st.W):
        acks = X.sum_(X.and_(X.eq(st.src[f], X.const(m)), X.has_bit(st.ackd[f], i)) for f in range(st.N) if f != m)
        held = X.and_(X.has_bit(st.log[m], i), X.le(X.const(_majority(st) - 1), acks))
        bits.append(X.ite(held, X.const(1 << i), X.const(0)))
    return X.reduce_or(bits)


def readable(st: SystemState, n: int) -> Expr:
    """What a read served by the primary n returns."""
    if st.cfg.read_concern == "majority":
        return majority_committed(st, n)
    return st.readable(n)


def serves_and_refuses(st: SystemState, n: int) -> tuple[Expr, Expr]:
    """(n answers the read now, n refuses it now); neither: the read waits."""
    master, fenced = st.is_role(n, MASTER), st.is_role(n, FENCED)
    if st.cfg.read_concern != "linearizable":
        return master, fenced
    others = [f for f in range(st.N) if f != n]
    confirmed = X.sum_(X.and_(_in_its_term(st, f, n), X.subset(st.log[n], st.ackd[f])) for f in others)
    could = X.sum_(_in_its_term(st, f, n) for f in others)
    need = X.const(_majority(st) - 1)
    return (X.and_(master, X.le(need, confirmed)),
            X.or_(fenced, X.and_(master, X.lt(could, need))))
