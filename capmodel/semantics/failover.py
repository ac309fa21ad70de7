"""Failover by a manager (Sentinel, Patroni, Orchestrator...): an oracle
outside the nodes promotes a node, and nodes that are not following the new
master rejoin it.

The manager acts on a majority's view, as Sentinel's quorum or Patroni's DCS
lease do: it promotes a live node that reaches a majority of *all* nodes
(itself included) in place of a primary that does not (it is down, or cut
off in a minority). So an isolated node is never promoted, a single flaky
link does not trigger a failover, and with half the nodes or more down
there is no failover at all: the system is unavailable, not lossy.
`live_majority` is the weaker manager of a perfect failure detector: with
the primary down, a majority of the *live* nodes is enough (so with two of
three nodes down, the lone survivor is promoted).

The candidate is a follower, or a master fenced at an earlier failover. With
fencing, the old master's epoch is revoked at the promotion (as a STONITH
device or an epoch check at the storage layer would), and it refuses client
writes from then on. Without fencing a cut-off old master goes on acting as
master until it can reach the new one.

promote_most_up_to_date compares the candidate with every node the manager
reaches (the nodes the candidate reaches, deposed masters included) by the
term of their last log entry, then by length, as Raft's vote rule and
PostgreSQL's timelines do. promote_sync_standby promotes only a current
synchronous standby (state.sync_set).
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from .leadership import add_following, end_office, leave_office, set_when, take_office
from .state import FENCED, FOLLOWER, MASTER, ActionSet, SystemState

PROMOTE = (("candidate", "nodes"), ("old_master", "nodes"))


def reach(st: SystemState, c: int):
    """How many nodes c reaches, itself included (0 when c is down)."""
    return X.sum_(st.connected(c, o) if o != c else st.is_up(c) for o in range(st.N))


def reaches_majority(st: SystemState, c: int):
    return X.le(X.const(st.N // 2 + 1), reach(st, c))


def _reaches_majority_of_live(st: SystemState, c: int):
    live = X.sum_(st.is_up(o) for o in range(st.N))
    # reach > live / 2, without division: 2 * reach > live
    return X.lt(live, X.add(reach(st, c), reach(st, c)))


def failover_budget(st: SystemState):
    """At most crashes + partitions promotions in a run (terms are bounded)."""
    return X.lt(st.term, X.const(st.cfg.crashes + st.cfg.partitions))


def _trigger(st: SystemState, c: int, p: int):
    if st.cfg.live_majority:
        return X.or_(X.and_(X.not_(st.is_up(p)), _reaches_majority_of_live(st, c)),
                     X.and_(X.not_(reaches_majority(st, p)), reaches_majority(st, c)))
    return X.and_(reaches_majority(st, c), X.not_(reaches_majority(st, p)))


def add_failover(st: SystemState, acts: ActionSet) -> None:
    cfg = st.cfg
    if cfg.failover == "none":
        return
    for c, cname in enumerate(st.nodes):
        for p, pname in enumerate(st.nodes):
            if c == p:
                continue
            guard = [X.eq(st.primary, X.const(p)), st.is_up(c),
                     X.or_(st.is_role(c, FOLLOWER), st.is_role(c, FENCED)), _trigger(st, c, p),
                     failover_budget(st)]
            if cfg.failover == "promote_sync_standby":
                guard.append(X.has_bit(st.sync_set, c))
            if cfg.failover == "promote_most_up_to_date":
                guard += [X.implies(st.connected(c, f), st.at_least_as_up_to_date(c, f))
                          for f in range(st.N) if f != c]
            updates: dict = {}
            new_term = take_office(st, c, updates)
            deposed = {}
            if cfg.fencing:
                deposed[p] = st.is_role(p, MASTER)
                set_when(updates, st.role[p], deposed[p], X.const(FENCED))
            for f in range(st.N):
                if f not in (c, p):  # followers the new master reaches move to it
                    leave_office(st, f, updates, X.and_(st.is_role(f, FOLLOWER), st.connected(f, c)),
                                 X.const(c), new_term)
            end_office(st, updates, deposed)
            how = "the most up-to-date node " if cfg.failover == "promote_most_up_to_date" else ""
            fenced = f"; {pname} is fenced" if cfg.fencing else ""
            acts.add("promote", PROMOTE, (cname, pname), X.and_(*guard), updates,
                     Label("promote", cname, f"{how}{cname} is promoted to master in place of "
                           f"{pname}{fenced}", cname))
    if cfg.failover == "promote_sync_standby":
        add_sync_standby_naming(st, acts)

    def may_rejoin(n: int, p: int):
        """The manager tells n that p, the primary it named, is master."""
        following = X.and_(st.is_role(n, FOLLOWER), X.eq(st.src[n], X.const(p)))
        return X.and_(X.eq(st.primary, X.const(p)), st.is_role(p, MASTER), st.connected(n, p),
                      X.not_(following))
    add_following(st, acts, "rejoin", may_rejoin)


def add_sync_standby_naming(st: SystemState, acts: ActionSet) -> None:
    """Patroni names a synchronous standby (its /sync key) once that standby
    streams from the primary and has confirmed all the primary holds: from
    then on it may be promoted. A commit answered OK later narrows the set to
    the standbys whose acks covered it (writes.py)."""
    for m, mname in enumerate(st.nodes):
        for f in st.standby_list(m):
            fname = st.nodes[f]
            acts.add("name_sync_standby", PROMOTE, (fname, mname),
                     X.and_(X.eq(st.primary, X.const(m)), st.acts_as_master(m), st.is_role(f, FOLLOWER),
                            X.eq(st.src[f], X.const(m)), st.connected(f, m),
                            X.not_(X.has_bit(st.sync_set, f)), X.subset(st.log[m], st.ackd[f])),
                     {st.sync_set: X.bor(st.sync_set, X.const(1 << f))},
                     Label("local", mname, f"{mname} names {fname}, which has confirmed all it holds, "
                           f"a synchronous standby", mname))
