"""What every failover family shares: a node taking office as master in a
new term, a master leaving office (it is deposed, steps down or rejoins
another master), and a node following the current master.

The families themselves decide *when* these happen: failover.py (a
failover manager such as Sentinel or Patroni, an oracle outside the nodes)
and election.py (Raft-style votes among the nodes).
"""
from __future__ import annotations

from typing import Callable

from ..ir import expr as X
from ..ir.expr import Expr
from ..ir.model import Label
from .state import FOLLOWER, MASTER, W_ERROR, ActionSet, SystemState

FOLLOW = (("node", "nodes"), ("master", "nodes"))


def set_when(updates: dict, var: Expr, cond: Expr, value: Expr) -> None:
    """var := value when cond holds, else whatever this step already gives it."""
    updates[var] = X.ite(cond, value, updates.get(var, var))


def take_office(st: SystemState, c: int, updates: dict) -> Expr:
    """c becomes master in a new term, the highest so far. Returns that term."""
    new_term = X.add(st.term, X.const(1))
    updates.update({st.primary: X.const(c), st.term: new_term, st.role[c]: X.const(MASTER),
                    st.src[c]: X.const(c)})
    if st.nterm is not None:
        updates[st.nterm[c]] = new_term
    # a promotion starts a new period: from now on, an old master that
    # acknowledges a write does so while another node is master too
    updates.update({st.wrote[n]: X.const(0) for n in range(st.N)})
    if st.ackd is not None:
        updates[st.ackd[c]] = X.const(0)
    st.settle_positions(c, updates)  # it replays all it received before it takes writes
    if st.in_touch is not None:  # the new master counts the followers that move to it
        updates[st.in_touch[c]] = X.reduce_or(
            [X.ite(X.and_(st.is_role(f, FOLLOWER), st.connected(f, c)), X.const(1 << f), X.const(0))
             for f in range(st.N) if f != c])
    if st.sync_set is not None:  # no standby has confirmed the new master's log yet (failover.py names one)
        updates[st.sync_set] = X.const(0)
    return new_term


def leave_office(st: SystemState, n: int, updates: dict, when: Expr, new_src: Expr,
                 new_term: Expr | None) -> Expr:
    """When `when` holds, n becomes a follower of `new_src` (knowing
    `new_term`, if given). Returns the condition that n was a master, whose
    clients' waiting writes the caller must end (see end_office)."""
    was_master = X.and_(when, st.is_role(n, MASTER))
    was_not_follower = X.and_(when, X.not_(st.is_role(n, FOLLOWER)))
    set_when(updates, st.role[n], when, X.const(FOLLOWER))
    set_when(updates, st.src[n], when, new_src)
    set_when(updates, st.wrote[n], when, X.const(0))
    if new_term is not None and st.nterm is not None:
        set_when(updates, st.nterm[n], when, new_term)
    if st.ackd is not None:
        set_when(updates, st.ackd[n], when, X.const(0))
        # a master that steps down forgets the acks its followers sent it
        # (as a crash does, faults.py): they were kept in its memory
        for f in range(st.N):
            if f != n:
                set_when(updates, st.ackd[f], X.and_(when, X.eq(st.src[f], X.const(n))), X.const(0))
    if st.in_touch is not None:
        set_when(updates, st.in_touch[n], when, X.const(0))
    # a former master rejoins with its log flushed and applied; a follower keeps its positions
    if st.tracks_positions:
        set_when(updates, st.flushed[n], was_not_follower, st.log[n])
        set_when(updates, st.applied[n], was_not_follower, st.log[n])
    return was_master


def end_office(st: SystemState, updates: dict, deposed: dict[int, Expr]) -> None:
    """The waiting writes of masters deposed in this step end: their clients
    get ERROR (the connection is dropped), except under MySQL's semi-sync
    timeout, where the wait goes on and ends in OK (writes.py)."""
    st.end_waits(updates, deposed, None if st.cfg.semi_sync_timeout else W_ERROR)


def follow_updates(st: SystemState, n: int, p: int) -> dict:
    """n learns that p is master, and follows it in p's term."""
    updates: dict = {}
    new_term = st.nterm[p] if st.nterm is not None else None
    deposed = leave_office(st, n, updates, X.TRUE, X.const(p), new_term)
    end_office(st, updates, {n: deposed})
    return updates


def add_following(st: SystemState, acts: ActionSet, family: str, may_follow: Callable[[int, int], Expr]) -> None:
    """n starts following master p when may_follow(n, p) holds (each family
    says how a node learns who the master is)."""
    for n, nname in enumerate(st.nodes):
        for p, pname in enumerate(st.nodes):
            if n != p:
                acts.add(family, FOLLOW, (nname, pname), may_follow(n, p), follow_updates(st, n, p),
                         Label("local", nname, f"{nname} learns that {pname} is master and follows it",
                               pname, nname))
