"""Client reads, per read policy.

A read is answered in the step it is sent (it holds no state while it waits);
a CP follower that is behind but can reach its master simply cannot answer
yet, and replication must catch it up first. What a read returns is what the
serving node shows its readers (state.readable); the ghost variables keep it,
together with the writes acknowledged at that moment, for the properties.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from . import read_concern
from .state import (FENCED, FOLLOWER, MASTER, R_ERROR, R_LOST_DOWN, R_NOT_SENT, R_OK, R_TIMED_OUT,
                    ActionSet, SystemState, client_name, read_name)
from .writes import believed_master, no_master_reachable

SEND = (("read", "reads"), ("client", "clients"), ("node", "nodes"))


def _allowed(st: SystemState, n: int):
    """Which nodes a client may send a read to."""
    if st.cfg.read_nodes and st.nodes[n] not in st.cfg.read_nodes:
        return X.FALSE
    if st.cfg.reads == "master_only":
        return believed_master(st, n)
    return X.TRUE


def _master_link(st: SystemState, n: int, confirmed: bool):
    """Follower n reaches its master, which still acts as master; with
    `confirmed`, n also holds every acknowledged write that master holds."""
    options = []
    for m in range(st.N):
        if m == n:
            continue
        terms = [X.eq(st.src[n], X.const(m)), st.is_role(m, MASTER), st.connected(n, m)]
        if confirmed:
            terms.append(X.subset(X.band(st.acked_mask(), st.log[m]), st.readable(n)))
        options.append(X.and_(*terms))
    return X.or_(*options)


def _serves_and_refuses(st: SystemState, n: int):
    if st.cfg.read_concern:  # MongoDB, reads on the primary (read_concern.py)
        return read_concern.serves_and_refuses(st, n)
    policy = st.cfg.reads
    if policy == "cp":
        return (X.or_(st.is_role(n, MASTER), X.and_(st.is_role(n, FOLLOWER), _master_link(st, n, True))),
                X.or_(st.is_role(n, FENCED), X.and_(st.is_role(n, FOLLOWER), X.not_(_master_link(st, n, False)))))
    if policy == "connected_only":
        return (X.or_(st.is_role(n, MASTER), X.and_(st.is_role(n, FOLLOWER), _master_link(st, n, False))),
                X.or_(st.is_role(n, FENCED), X.and_(st.is_role(n, FOLLOWER), X.not_(_master_link(st, n, False)))))
    if policy == "master_only":
        return st.is_role(n, MASTER), st.is_role(n, FENCED)
    return X.TRUE, X.FALSE  # any_node / ap: every node answers from its own copy


def add_client_reads(st: SystemState, acts: ActionSet) -> None:
    allowed_nodes = [n for n in range(st.N) if _allowed(st, n) != X.FALSE]
    for j in range(st.R):
        r = read_name(j)
        turn = st.next_to_send(st.rstatus, j, R_NOT_SENT)
        for c in range(st.C):
            cl = client_name(c)
            free = X.and_(turn, X.not_(st.client_busy(c)))
            for n, node in enumerate(st.nodes):
                base = {st.rnode[j]: X.const(n), st.rclient[j]: X.const(c)}
                can_send = X.and_(free, _allowed(st, n))
                reach = X.and_(can_send, st.client_reaches(c, n))
                serves, refuses = _serves_and_refuses(st, n)
                answer = {**base, st.rstatus[j]: X.const(R_OK), st.rseen[j]: read_concern.readable(st, n),
                          st.racked[j]: st.acked_mask()}
                acts.add("client_read", SEND, (r, cl, node),
                         X.and_(reach, st.is_up(n), serves), answer,
                         Label("request", cl, f"{cl} reads from {node}", cl, node, r))
                acts.add("client_read_refused", SEND, (r, cl, node),
                         X.and_(reach, st.is_up(n), refuses),
                         {**base, st.rstatus[j]: X.const(R_ERROR)},
                         Label("request", cl, f"{cl} reads from {node}, which refuses with ERROR",
                               cl, node, r))
                # a down node gets no read, unless the client reaches no node it may read from
                down = X.and_(can_send, X.not_(st.is_up(n)))
                if st.ccut is not None:
                    down = X.and_(down, X.not_(st.client_reaches_live(c, allowed_nodes)))
                acts.add("client_read_unanswered", SEND, (r, cl, node), down,
                         {**base, st.rstatus[j]: X.const(R_LOST_DOWN)},
                         Label("request", cl, f"{cl} reads from {node}, which is down: no answer",
                               cl, node, r))
                if st.ccut is not None and st.cfg.reads == "master_only":
                    acts.add("client_read_no_master", SEND, (r, cl, node),
                             X.and_(can_send, st.is_up(n), X.not_(st.client_reaches(c, n)),
                                    no_master_reachable(st, c)),
                             {**base, st.rstatus[j]: X.const(R_TIMED_OUT)},
                             Label("request", cl, f"{cl} cannot reach {node} or any other master: "
                                   f"{r} gets no answer", cl, node, r))
