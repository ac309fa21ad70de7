"""Failover: a failover manager (Sentinel, Patroni, Orchestrator...) promotes
a follower, and nodes that are not following the new master rejoin it.

The manager acts on a majority's view, as Sentinel's quorum or Patroni's DCS
lease do. It promotes a live follower that reaches a majority of the live
nodes (itself included) when the master is down, or when the master is up
but cut off in a minority (it reaches fewer than a majority of all nodes)
while the follower reaches a majority of all nodes. So an isolated follower
is never promoted, and a single flaky link does not trigger a failover. With fencing, the old master's epoch is revoked
at the promotion (as a STONITH device or an epoch check at the storage layer
would), and it refuses client writes from then on. Without fencing a cut-off
old master goes on acting as master until it can reach the new one.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from .state import FENCED, FOLLOWER, MASTER, ActionSet, SystemState

PROMOTE = (("candidate", "nodes"), ("old_master", "nodes"))
REJOIN = (("node", "nodes"), ("master", "nodes"))


def _reach(st: SystemState, c: int):
    """How many nodes c reaches, itself included (0 when c is down)."""
    return X.sum_(st.connected(c, o) if o != c else st.is_up(c) for o in range(st.N))


def _reaches_majority(st: SystemState, c: int):
    return X.le(X.const(st.N // 2 + 1), _reach(st, c))


def _reaches_majority_of_live(st: SystemState, c: int):
    live = X.sum_(st.is_up(o) for o in range(st.N))
    # reach > live / 2, without division: 2 * reach > live
    return X.lt(live, X.add(_reach(st, c), _reach(st, c)))


def add_failover(st: SystemState, acts: ActionSet) -> None:
    cfg = st.cfg
    if cfg.failover == "none":
        return
    for c, cname in enumerate(st.nodes):
        for p, pname in enumerate(st.nodes):
            if c == p:
                continue
            guard = [X.eq(st.primary, X.const(p)), st.is_up(c), st.is_role(c, FOLLOWER),
                     X.or_(X.and_(X.not_(st.is_up(p)), _reaches_majority_of_live(st, c)),
                           X.and_(X.not_(_reaches_majority(st, p)), _reaches_majority(st, c))),
                     X.lt(st.term, X.const(cfg.crashes + cfg.partitions))]
            if cfg.failover == "promote_sync_standby" and cname not in cfg.standbys:
                continue
            if cfg.failover == "promote_most_up_to_date":
                length = X.popcount(st.log[c])
                for f in range(st.N):
                    if f not in (c, p):
                        guard.append(X.implies(X.and_(st.is_up(f), st.is_role(f, FOLLOWER)),
                                               X.le(X.popcount(st.log[f]), length)))
            updates = {st.primary: X.const(c), st.term: X.add(st.term, X.const(1)),
                       st.role[c]: X.const(MASTER), st.src[c]: X.const(c)}
            # a promotion starts a new period: from now on, an old master that
            # acknowledges a write does so while another node is master too
            updates.update({st.wrote[n]: X.const(0) for n in range(st.N)})
            if st.ackd is not None:
                updates[st.ackd[c]] = X.const(0)
            st.settle_positions(c, updates)  # it replays all it received before it takes writes
            if st.in_touch is not None:  # the new master counts the followers that move to it
                updates[st.in_touch[c]] = X.reduce_or(
                    [X.ite(X.and_(st.is_role(f, FOLLOWER), st.connected(f, c)), X.const(1 << f), X.const(0))
                     for f in range(st.N) if f not in (c, p)])
            if cfg.fencing:
                updates[st.role[p]] = X.ite(st.is_role(p, MASTER), X.const(FENCED), st.role[p])
            for f in range(st.N):
                if f in (c, p):
                    continue
                moves = X.and_(st.is_role(f, FOLLOWER), st.connected(f, c))
                updates[st.src[f]] = X.ite(moves, X.const(c), st.src[f])
                if st.ackd is not None:
                    updates[st.ackd[f]] = X.ite(moves, X.const(0), st.ackd[f])

            how = "the most up-to-date follower " if cfg.failover == "promote_most_up_to_date" else ""
            fenced = f"; {pname} is fenced" if cfg.fencing else ""
            acts.add("promote", PROMOTE, (cname, pname), X.and_(*guard), updates,
                     Label("promote", cname, f"{how}{cname} is promoted to master in place of "
                           f"{pname}{fenced}", cname))
    for n, nname in enumerate(st.nodes):
        for p, pname in enumerate(st.nodes):
            if n == p:
                continue
            following = X.and_(st.is_role(n, FOLLOWER), X.eq(st.src[n], X.const(p)))
            updates = {st.role[n]: X.const(FOLLOWER), st.src[n]: X.const(p), st.wrote[n]: X.const(0)}
            if st.ackd is not None:
                updates[st.ackd[n]] = X.const(0)
                # a master that steps down forgets the acks its followers sent it
                # (as a crash does, faults.py): they were kept in its memory
                for f in range(st.N):
                    if f not in (n, p):
                        updates[st.ackd[f]] = X.ite(X.eq(st.src[f], X.const(n)), X.const(0), st.ackd[f])
            if st.in_touch is not None:
                updates[st.in_touch[n]] = X.const(0)
            # a former master rejoins with its log flushed and applied; a follower keeps its positions
            if st.tracks_positions:
                was_master = X.not_(st.is_role(n, FOLLOWER))
                updates[st.flushed[n]] = X.ite(was_master, st.log[n], st.flushed[n])
                updates[st.applied[n]] = X.ite(was_master, st.log[n], st.applied[n])
            acts.add("rejoin", REJOIN, (nname, pname),
                     X.and_(X.eq(st.primary, X.const(p)), st.is_role(p, MASTER), st.connected(n, p),
                            X.not_(following)),
                     updates,
                     Label("local", nname, f"{nname} learns that {pname} is master and follows it",
                           pname, nname))
