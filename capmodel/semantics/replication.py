"""Log shipping from a master to its followers over FIFO links.

A follower receives the master's next write after its own position, one
write a step. Modelling the link as "the follower pulls from its position"
is exactly a FIFO channel whose in-flight messages are lost when the link is
cut or either end crashes: after a heal the follower resumes from its own
position, as the semantics asks. A follower whose log has diverged from its
master's (it holds writes the master lacks) first discards them.

Where a spec tracks follower positions (`ack_after flushed|applied`), a
received write is flushed to disk, then applied (replayed) in log order, and
each is a step of its own; readers of a follower see only applied writes.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from . import noop, read_concern
from .state import FOLLOWER, MASTER, ActionSet, SystemState

PAIR = (("follower", "nodes"), ("master", "nodes"))
NODE = (("node", "nodes"),)


def add_log_shipping(st: SystemState, acts: ActionSet) -> None:
    for f, fname in enumerate(st.nodes):
        for m, mname in enumerate(st.nodes):
            if f == m:
                continue
            linked = X.and_(st.is_role(f, FOLLOWER), X.eq(st.src[f], X.const(m)),
                            st.is_role(m, MASTER), st.connected(f, m))
            missing = X.bdiff(st.log[m], st.log[f])
            prefix = st.is_prefix(st.log[f], st.log[m])
            write_next = X.ne(missing, X.const(0))
            if st.noops is not None:  # elections: logs hold no-ops too
                prefix = X.and_(prefix, noop.within(st, f, m))
                write_next = X.and_(write_next, X.not_(noop.noop_is_next(st, f, m)))
            acts.add("replicate", PAIR, (fname, mname),
                     X.and_(linked, prefix, write_next),
                     {st.log[f]: X.bor(st.log[f], X.lowbit(missing))},
                     Label("replicate", mname, f"{mname} ships its next write to {fname}",
                           mname, fname))
            if st.noops is not None:
                noop.add_noop_shipping(st, acts, f, m, linked, prefix)
            kept = st.common_prefix(st.log[f], st.log[m])
            updates = {}
            if st.noops is not None:
                kept, updates[st.noops[f]] = noop.discard(st, f, m, kept)
            updates[st.log[f]] = kept
            if st.ackd is not None:
                updates[st.ackd[f]] = X.band(st.ackd[f], kept)
            if st.tracks_positions:
                updates[st.flushed[f]] = X.band(st.flushed[f], kept)
                updates[st.applied[f]] = X.band(st.applied[f], kept)
            acts.add("discard_divergent", PAIR, (fname, mname),
                     X.and_(linked, X.not_(prefix)), updates,
                     Label("local", fname, f"{fname} discards the writes {mname} does not have",
                           mname, fname))
            if st.ackd is not None:
                acked = st.position(f, st.cfg.ack_after)
                # only a log that is a prefix of the master's is acked: a node that
                # diverged must discard first, as a rejoining PostgreSQL primary
                # is rewound (pg_rewind) before it can stream from the new one
                acked_now = {st.ackd[f]: acked}
                news = X.ne(st.ackd[f], acked)
                if st.noops is not None:
                    news = X.or_(news, noop.ack(st, f, acked_now))
                read_concern.advance_commit(st, f, m, acked, acked_now)
                acts.add("ack", PAIR, (fname, mname),
                         X.and_(linked, prefix, news), acked_now,
                         Label("ack", fname, f"{fname} acks its {st.cfg.ack_after} position to {mname}",
                               fname, mname, "ACK"))
    if st.tracks_positions:
        for f, fname in enumerate(st.nodes):
            follower = X.and_(st.is_up(f), st.is_role(f, FOLLOWER))
            acts.add("flush", NODE, (fname,), X.and_(follower, X.ne(st.flushed[f], st.log[f])),
                     {st.flushed[f]: st.log[f]},
                     Label("local", fname, f"{fname} flushes what it received to disk"))
            unapplied = X.bdiff(st.flushed[f], st.applied[f])
            acts.add("apply", NODE, (fname,), X.and_(follower, X.ne(unapplied, X.const(0))),
                     {st.applied[f]: X.bor(st.applied[f], X.lowbit(unapplied))},
                     Label("local", fname, f"{fname} applies its next flushed write"))


def add_replica_lag(st: SystemState, acts: ActionSet) -> None:
    """min-replicas-to-write: a master counts a replica as in touch until the
    replica's lag passes the limit, which can happen only once the replica
    is cut off or down; it is in touch again once it is connected."""
    if st.in_touch is None:
        return
    for f, fname in enumerate(st.nodes):
        for m, mname in enumerate(st.nodes):
            if f == m:
                continue
            streaming = X.and_(st.is_role(f, FOLLOWER), X.eq(st.src[f], X.const(m)), st.is_role(m, MASTER),
                               st.connected(f, m))
            counted = X.has_bit(st.in_touch[m], f)
            acts.add("replica_lag_expires", PAIR, (fname, mname),
                     X.and_(st.is_up(m), counted, X.not_(streaming)),
                     {st.in_touch[m]: X.bdiff(st.in_touch[m], X.const(1 << f))},
                     Label("local", mname, f"{mname} has not heard from {fname} for longer than the "
                           f"allowed lag"))
            acts.add("replica_back_in_touch", PAIR, (fname, mname),
                     X.and_(X.not_(counted), streaming),
                     {st.in_touch[m]: X.bor(st.in_touch[m], X.const(1 << f))},
                     Label("local", mname, f"{mname} hears from {fname} again"))
