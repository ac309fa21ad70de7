"""Client reads, per read policy.

A read is answered in the step it is sent (it holds no state while it waits);
a CP follower that is behind but can reach its master simply cannot answer
yet, and replication must catch it up first. What a read returns is the
serving node's log; the ghost variables keep it, together with the writes
acknowledged at that moment, for the properties.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from .state import (FENCED, FOLLOWER, MASTER, R_ERROR, R_LOST_DOWN, R_NOT_SENT, R_OK, ActionSet,
                    SystemState, client_name, read_name)

SEND = (("read", "reads"), ("client", "clients"), ("node", "nodes"))


def _targets(st: SystemState, n: int):
    """Which nodes a client may send a read to."""
    if st.cfg.reads == "master_only":
        return X.or_(st.is_role(n, MASTER), st.is_role(n, FENCED))
    return X.TRUE


def _cp_confirmed(st: SystemState, n: int):
    """A CP follower may answer: its master is reachable, still master, and
    every acknowledged write the master holds is already in the follower's log."""
    options = []
    for m in range(st.N):
        if m == n:
            continue
        known = X.band(st.acked_mask(), st.log[m])
        options.append(X.and_(X.eq(st.src[n], X.const(m)), st.is_role(m, MASTER), st.connected(n, m),
                              X.subset(known, st.log[n])))
    return X.or_(*options)


def _cp_unreachable(st: SystemState, n: int):
    """A CP follower cannot reach a live master to confirm with, so it refuses."""
    options = []
    for m in range(st.N):
        if m == n:
            continue
        options.append(X.and_(X.eq(st.src[n], X.const(m)),
                              X.not_(X.and_(st.is_role(m, MASTER), st.connected(n, m)))))
    return X.or_(*options)


def add_client_reads(st: SystemState, acts: ActionSet) -> None:
    cp = st.cfg.reads == "cp"
    for j in range(st.R):
        r = read_name(j)
        turn = st.next_to_send(st.rstatus, j, R_NOT_SENT)
        for c in range(st.C):
            cl = client_name(c)
            free = X.and_(turn, X.not_(st.client_busy(c)))
            for n, node in enumerate(st.nodes):
                base = {st.rnode[j]: X.const(n), st.rclient[j]: X.const(c)}
                can_send = X.and_(free, _targets(st, n))
                answer = {**base, st.rstatus[j]: X.const(R_OK), st.rseen[j]: st.log[n],
                          st.racked[j]: st.acked_mask()}
                if cp:
                    serves = X.or_(st.is_role(n, MASTER),
                                   X.and_(st.is_role(n, FOLLOWER), _cp_confirmed(st, n)))
                    refuses = X.or_(st.is_role(n, FENCED),
                                    X.and_(st.is_role(n, FOLLOWER), _cp_unreachable(st, n)))
                elif st.cfg.reads == "master_only":
                    serves, refuses = st.is_role(n, MASTER), st.is_role(n, FENCED)
                else:  # any_node / ap: every node answers from its own copy
                    serves, refuses = X.TRUE, X.FALSE
                acts.add("client_read", SEND, (r, cl, node),
                         X.and_(can_send, st.is_up(n), serves), answer,
                         Label("request", cl, f"{cl} reads from {node}", cl, node, r))
                acts.add("client_read_refused", SEND, (r, cl, node),
                         X.and_(can_send, st.is_up(n), refuses),
                         {**base, st.rstatus[j]: X.const(R_ERROR)},
                         Label("request", cl, f"{cl} reads from {node}, which refuses with ERROR",
                               cl, node, r))
                acts.add("client_read_unanswered", SEND, (r, cl, node),
                         X.and_(can_send, X.not_(st.is_up(n))),
                         {**base, st.rstatus[j]: X.const(R_LOST_DOWN)},
                         Label("request", cl, f"{cl} reads from {node}, which is down: no answer",
                               cl, node, r))
