"""Client writes and how they end, per replication mode.

A write goes to a node the client takes for the master. The master commits
it to its own log at once (commit, then wait); when it answers OK depends on
the mode: async answers at once, the others after enough follower acks.
A client stops waiting (no answer) only when what it waits for can no longer
come: its node is down, or too few followers can still ack.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from .state import (FENCED, MASTER, W_ERROR, W_LOST_DOWN, W_NOT_SENT, W_OK, W_PENDING,
                    W_TIMED_OUT, ActionSet, SystemState, client_name, write_name)

# the arrow of an answer goes to the write's client, which story.py looks up in the state
WRITE_CLIENT = "<client>"

SEND = (("write", "writes"), ("client", "clients"), ("node", "nodes"))
ANSWER = (("write", "writes"), ("node", "nodes"))


def add_client_writes(st: SystemState, acts: ActionSet) -> None:
    for i in range(st.W):
        w = write_name(i)
        turn = st.next_to_send(st.wstatus, i, W_NOT_SENT)
        for c in range(st.C):
            cl = client_name(c)
            free = X.and_(turn, X.not_(st.client_busy(c)))
            for n, node in enumerate(st.nodes):
                sent = {st.wstatus[i]: None, st.wnode[i]: X.const(n), st.wclient[i]: X.const(c)}
                believed_master = X.or_(st.is_role(n, MASTER), st.is_role(n, FENCED))
                acked_now = st.cfg.acks_needed == 0
                accept = dict(sent)
                accept[st.wstatus[i]] = X.const(W_OK if acked_now else W_PENDING)
                accept[st.log[n]] = X.bor(st.log[n], X.const(1 << i))
                if acked_now:
                    accept[st.wrote[n]] = X.const(1)
                acts.add("client_write", SEND, (w, cl, node),
                         X.and_(free, st.is_up(n), st.is_role(n, MASTER)), accept,
                         Label("request", cl, f"{cl} sends {w} to {node}" +
                               (f", which commits it and answers OK at once" if acked_now else
                                f", which commits it and waits for follower acks"),
                               cl, node, w))
                refuse = dict(sent)
                refuse[st.wstatus[i]] = X.const(W_ERROR)
                acts.add("client_write_refused", SEND, (w, cl, node),
                         X.and_(free, st.is_up(n), st.is_role(n, FENCED)), refuse,
                         Label("request", cl, f"{cl} sends {w} to {node}, which was fenced "
                               f"and answers ERROR", cl, node, w))
                lost = dict(sent)
                lost[st.wstatus[i]] = X.const(W_LOST_DOWN)
                acts.add("client_write_unanswered", SEND, (w, cl, node),
                         X.and_(free, X.not_(st.is_up(n)), believed_master), lost,
                         Label("request", cl, f"{cl} sends {w} to {node}, which is down: no answer",
                               cl, node, w))


def acks_for(st: SystemState, i: int, m: int):
    """Followers of m whose ack for write i has reached m."""
    return [X.and_(X.eq(st.src[f], X.const(m)), X.has_bit(st.ackd[f], i))
            for f in range(st.N) if f != m]


def acks_can_still_come(st: SystemState, i: int, m: int):
    """Followers of m, not yet acked, that are up and connected to m: their ack will come."""
    return [X.and_(st.is_role(f, 0), X.eq(st.src[f], X.const(m)), X.not_(X.has_bit(st.ackd[f], i)),
                   st.connected(f, m))
            for f in range(st.N) if f != m]


def add_write_answers(st: SystemState, acts: ActionSet) -> None:
    k = st.cfg.acks_needed
    for i in range(st.W):
        w = write_name(i)
        for m, node in enumerate(st.nodes):
            pending_here = X.and_(X.eq(st.wstatus[i], X.const(W_PENDING)), X.eq(st.wnode[i], X.const(m)))
            live_master = X.and_(st.is_up(m), st.is_role(m, MASTER), X.has_bit(st.log[m], i))
            if k > 0:
                have = X.sum_(acks_for(st, i, m))
                could = X.sum_(acks_can_still_come(st, i, m))
                acts.add("answer_ok", ANSWER, (w, node),
                         X.and_(pending_here, live_master, X.le(X.const(k), have)),
                         {st.wstatus[i]: X.const(W_OK), st.wrote[m]: X.const(1)},
                         Label("reply", node, f"{node} has {k} follower ack(s) for {w} and answers OK to {WRITE_CLIENT}",
                               node, WRITE_CLIENT, f"OK {w}"))
                stuck = X.and_(pending_here, live_master, X.lt(X.add(have, could), X.const(k)))
                if st.cfg.semi_sync_timeout:
                    acts.add("ack_wait_timeout", ANSWER, (w, node), stuck,
                             {st.wstatus[i]: X.const(W_OK), st.wrote[m]: X.const(1)},
                             Label("reply", node, f"{node}'s wait for acks of {w} times out: it falls "
                                   f"back to async and answers OK to {WRITE_CLIENT}", node, WRITE_CLIENT, f"OK {w}"))
                else:
                    acts.add("write_timeout", ANSWER, (w, node), stuck,
                             {st.wstatus[i]: X.const(W_TIMED_OUT)},
                             Label("reply", node, f"too few followers of {node} are up and connected to ack {w} ({k} "
                                   f"needed): {WRITE_CLIENT} times out with no answer", node, WRITE_CLIENT, "no answer"))
            acts.add("write_lost_with_node", ANSWER, (w, node),
                     X.and_(pending_here, X.not_(st.is_up(m))),
                     {st.wstatus[i]: X.const(W_LOST_DOWN)},
                     Label("reply", node, f"{node} is down: {WRITE_CLIENT} gets no answer for {w}",
                           node, WRITE_CLIENT, "no answer"))
            # a node that stopped being master, or discarded the write when it
            # rejoined another master, drops the client's connection
            acts.add("write_aborted", ANSWER, (w, node),
                     X.and_(pending_here, st.is_up(m),
                            X.or_(X.not_(st.is_role(m, MASTER)), X.not_(X.has_bit(st.log[m], i)))),
                     {st.wstatus[i]: X.const(W_ERROR)},
                     Label("reply", node, f"{node} no longer acts as master for {w} and answers ERROR "
                           f"to {WRITE_CLIENT}", node, WRITE_CLIENT, f"ERROR {w}"))
