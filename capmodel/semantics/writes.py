"""Client writes and how they end, per replication mode.

A write goes to a node the client takes for the master. The master commits
it to its own log at once (commit, then wait); when it answers OK depends on
the mode: async answers at once, the others after enough follower acks.
A client stops waiting (no answer) only when what it waits for can no longer
come: too few followers can still ack. When its master crashes or stops
being master, the wait ends in that very step (faults.py, leadership.py):
the client's connection dies with the process, and a deposed master answers
no more.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from .state import (FENCED, FOLLOWER, MASTER, W_ERROR, W_LOST_DOWN, W_NOT_SENT, W_OK, W_PENDING,
                    W_TIMED_OUT, ActionSet, SystemState, client_name, write_name)

# the arrow of an answer goes to the write's client, which story.py looks up in the state
WRITE_CLIENT = "<client>"

SEND = (("write", "writes"), ("client", "clients"), ("node", "nodes"))
ANSWER = (("write", "writes"), ("node", "nodes"))


def believed_master(st: SystemState, n: int):
    """Clients send writes (and master_only reads) to nodes that act or acted as master."""
    return X.or_(st.is_role(n, MASTER), st.is_role(n, FENCED))


def no_master_reachable(st: SystemState, c: int):
    """Client c is cut off from every live node it takes for a master, though
    it still reaches some live node: the system is unavailable to it."""
    return X.and_(X.not_(X.or_(*(X.and_(st.is_up(m), believed_master(st, m), st.client_reaches(c, m))
                                 for m in range(st.N)))),
                  st.client_reaches_live(c))


def replicas_in_touch(st: SystemState, m: int):
    """How many replicas master m still counts as in touch (its own view)."""
    return X.popcount(st.in_touch[m])


def add_client_writes(st: SystemState, acts: ActionSet) -> None:
    cfg = st.cfg
    acked_now = cfg.acks_needed == 0
    for i in range(st.W):
        w = write_name(i)
        turn = st.next_to_send(st.wstatus, i, W_NOT_SENT)
        for c in range(st.C):
            cl = client_name(c)
            free = X.and_(turn, X.not_(st.client_busy(c)))
            for n, node in enumerate(st.nodes):
                sent = {st.wnode[i]: X.const(n), st.wclient[i]: X.const(c)}
                reach = X.and_(free, st.client_reaches(c, n))
                admitted = X.TRUE
                if cfg.min_replicas:
                    admitted = X.le(X.const(cfg.min_replicas), replicas_in_touch(st, n))
                    acts.add("client_write_no_replicas", SEND, (w, cl, node),
                             X.and_(reach, st.is_up(n), st.is_role(n, MASTER), X.not_(admitted)),
                             {**sent, st.wstatus[i]: X.const(W_ERROR)},
                             Label("request", cl, f"{cl} sends {w} to {node}, which has fewer than "
                                   f"{cfg.min_replicas} replica(s) in touch and refuses it (NOREPLICAS)",
                                   cl, node, w))
                accept = {**sent, st.wstatus[i]: X.const(W_OK if acked_now else W_PENDING),
                          st.log[n]: X.bor(st.log[n], X.const(1 << i))}
                if acked_now:
                    accept[st.wrote[n]] = X.const(1)
                if st.wterm is not None:  # the entry records the term in which it was accepted
                    accept[st.wterm[i]] = st.node_term(n)
                if st.waiting is not None:
                    accept[st.waiting[i]] = X.const(1)
                acts.add("client_write", SEND, (w, cl, node),
                         X.and_(reach, st.is_up(n), st.is_role(n, MASTER), admitted), accept,
                         Label("request", cl, f"{cl} sends {w} to {node}" +
                               (", which commits it and answers OK at once" if acked_now else
                                ", which commits it and waits for follower acks"),
                               cl, node, w))
                acts.add("client_write_refused", SEND, (w, cl, node),
                         X.and_(reach, st.is_up(n), st.is_role(n, FENCED)),
                         {**sent, st.wstatus[i]: X.const(W_ERROR)},
                         Label("request", cl, f"{cl} sends {w} to {node}, which was fenced "
                               f"and answers ERROR", cl, node, w))
                acts.add("client_write_unanswered", SEND, (w, cl, node),
                         X.and_(free, X.not_(st.is_up(n)), believed_master(st, n),
                                X.not_(st.client_reaches_live(c))) if st.ccut is not None else
                         X.and_(free, X.not_(st.is_up(n)), believed_master(st, n)),
                         {**sent, st.wstatus[i]: X.const(W_LOST_DOWN)},
                         Label("request", cl, f"{cl} sends {w} to {node}, which is down: no answer",
                               cl, node, w))
                if st.ccut is not None:
                    acts.add("client_write_no_master", SEND, (w, cl, node),
                             X.and_(free, st.is_up(n), believed_master(st, n),
                                    X.not_(st.client_reaches(c, n)), no_master_reachable(st, c)),
                             {**sent, st.wstatus[i]: X.const(W_TIMED_OUT)},
                             Label("request", cl, f"{cl} cannot reach {node} or any other master: "
                                   f"{w} gets no answer", cl, node, w))


def _ack_terms(st: SystemState, i: int, m: int):
    """For write i pending at master m: (enough acks have come, acks can no longer come)."""
    cfg = st.cfg
    k = cfg.acks_needed
    listed = st.standby_list(m)
    acked = {f: X.and_(X.eq(st.src[f], X.const(m)), X.has_bit(st.ackd[f], i)) for f in listed}
    # still streaming from m: its ack for i will come
    streaming = {f: X.and_(st.is_role(f, FOLLOWER), X.eq(st.src[f], X.const(m)), st.connected(f, m))
                 for f in listed}
    hopeful = {f: X.or_(acked[f], streaming[f]) for f in listed}
    if cfg.standby_rule == "first" and cfg.standbys:
        # FIRST k: the first k listed standbys that acked or stream are the synchronous ones
        chosen = {}
        for pos, f in enumerate(listed):
            before = X.sum_(hopeful[g] for g in listed[:pos])
            chosen[f] = X.and_(hopeful[f], X.lt(before, X.const(k)))
        enough = X.and_(X.le(X.const(k), X.sum_(chosen.values())),
                        *(X.implies(chosen[f], acked[f]) for f in listed))
    else:
        enough = X.le(X.const(k), X.sum_(acked.values()))
    stuck = X.lt(X.sum_(hopeful.values()), X.const(k))
    return enough, stuck, acked


def add_write_answers(st: SystemState, acts: ActionSet) -> None:
    cfg = st.cfg
    k = cfg.acks_needed
    if k == 0:
        return  # async: the OK went out with the commit
    for i in range(st.W):
        w = write_name(i)
        for m, node in enumerate(st.nodes):
            pending_here = X.and_(X.eq(st.wstatus[i], X.const(W_PENDING)), X.eq(st.wnode[i], X.const(m)))
            live_master = X.and_(st.is_up(m), st.is_role(m, MASTER), X.has_bit(st.log[m], i))
            enough, stuck, acked = _ack_terms(st, i, m)
            done = {}  # the server's ack wait is over
            if st.waiting is not None:
                done[st.waiting[i]] = X.const(0)
            ok = {st.wstatus[i]: X.const(W_OK), st.wrote[m]: X.const(1), **done}
            if st.sync_set is not None:
                # Patroni: the standbys whose acks covered this commit hold every
                # commit answered so far (acks are cumulative); only they may be promoted
                ok[st.sync_set] = X.reduce_or([X.ite(a, X.const(1 << f), X.const(0)) for f, a in acked.items()])
            acts.add("answer_ok", ANSWER, (w, node),
                     X.and_(pending_here, live_master, enough), ok,
                     Label("reply", node, f"{node} has {k} follower ack(s) for {w} and answers OK to "
                           f"{WRITE_CLIENT}", node, WRITE_CLIENT, f"OK {w}"))
            if st.waiting is not None:
                # the client gave up, but the server still waits; the acks end
                # the wait and the commit becomes visible
                acts.add("ack_wait_ends", ANSWER, (w, node),
                         X.and_(st.waits_at(i, m), X.ne(st.wstatus[i], X.const(W_PENDING)), live_master,
                                enough), done,
                         Label("local", node, f"{node} has {k} follower ack(s) for {w}: its wait ends and "
                               f"{w} becomes visible to its readers", node))
            stuck = X.and_(pending_here, live_master, stuck)
            if cfg.semi_sync_timeout:
                # MySQL: the commit is done and stays done; whatever happened to the
                # node meanwhile (demoted, its copy discarded), the wait ends in OK
                gone = X.and_(st.is_up(m), X.or_(X.not_(st.is_role(m, MASTER)),
                                                 X.not_(X.has_bit(st.log[m], i))))
                acts.add("ack_wait_timeout", ANSWER, (w, node), X.or_(stuck, X.and_(pending_here, gone)),
                         {st.wstatus[i]: X.const(W_OK), **done,
                          st.wrote[m]: X.ite(st.is_role(m, MASTER), X.const(1), st.wrote[m])},
                         Label("reply", node, f"{node}'s wait for acks of {w} times out: it falls "
                               f"back to async and answers OK to {WRITE_CLIENT}", node, WRITE_CLIENT,
                               f"OK {w}"))
            elif cfg.client_wait:
                acts.add("wait_returns_short", ANSWER, (w, node), stuck,
                         {st.wstatus[i]: X.const(W_ERROR)},
                         Label("reply", node, f"WAIT for {w} times out at {node} with fewer than {k} "
                               f"ack(s): {WRITE_CLIENT} gets an error, the write stays",
                               node, WRITE_CLIENT, f"WAIT < {k}"))
            else:
                # the server keeps waiting (and, under after_sync, hiding the
                # write); only the client stops
                acts.add("write_timeout", ANSWER, (w, node), stuck,
                         {st.wstatus[i]: X.const(W_TIMED_OUT)},
                         Label("reply", node, f"{node} cannot collect the {k} follower ack(s) {w} needs "
                               f"(too few followers stream from it now): {WRITE_CLIENT} gives up "
                               f"waiting, with no answer", node, WRITE_CLIENT, "no answer"))
