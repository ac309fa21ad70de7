"""Log shipping from a master to its followers over FIFO links.

A follower receives the master's next write after its own position, one
write a step. Modelling the link as "the follower pulls from its position"
is exactly a FIFO channel whose in-flight messages are lost when the link is
cut or either end crashes: after a heal the follower resumes from its own
position, as the semantics asks. A follower whose log has diverged from its
master's (it holds writes the master lacks) first discards them.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from .state import FOLLOWER, MASTER, ActionSet, SystemState

PAIR = (("follower", "nodes"), ("master", "nodes"))


def add_log_shipping(st: SystemState, acts: ActionSet) -> None:
    for f, fname in enumerate(st.nodes):
        for m, mname in enumerate(st.nodes):
            if f == m:
                continue
            linked = X.and_(st.is_role(f, FOLLOWER), X.eq(st.src[f], X.const(m)),
                            st.is_role(m, MASTER), st.connected(f, m))
            missing = X.bdiff(st.log[m], st.log[f])
            prefix = st.is_prefix(st.log[f], st.log[m])
            acts.add("replicate", PAIR, (fname, mname),
                     X.and_(linked, prefix, X.ne(missing, X.const(0))),
                     {st.log[f]: X.bor(st.log[f], X.lowbit(missing))},
                     Label("replicate", mname, f"{mname} ships its next write to {fname}",
                           mname, fname))
            kept = st.common_prefix(st.log[f], st.log[m])
            updates = {st.log[f]: kept}
            if st.ackd is not None:
                updates[st.ackd[f]] = X.band(st.ackd[f], kept)
            acts.add("discard_divergent", PAIR, (fname, mname),
                     X.and_(linked, X.not_(prefix)), updates,
                     Label("local", fname, f"{fname} discards the writes {mname} does not have",
                           mname, fname))
            if st.ackd is not None:
                acts.add("ack", PAIR, (fname, mname),
                         X.and_(linked, X.ne(st.ackd[f], st.log[f])),
                         {st.ackd[f]: st.log[f]},
                         Label("ack", fname, f"{fname} acks its log to {mname}", fname, mname, "ACK"))
