"""Faults within the spec's budget: crashes (and recoveries), link cuts,
node isolation, and the network healing."""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from .state import FOLLOWER, ActionSet, SystemState

NODE = (("node", "nodes"),)
LINK = (("a", "nodes"), ("b", "nodes"))


def add_crashes(st: SystemState, acts: ActionSet) -> None:
    cfg = st.cfg
    if cfg.crashes == 0:
        return
    for n, node in enumerate(st.nodes):
        updates = {st.up[n]: X.const(0), st.crashes: X.add(st.crashes, X.const(1))}
        if st.tracks_positions:
            # a follower loses what it had received but not yet flushed to disk
            updates[st.log[n]] = X.ite(st.is_role(n, FOLLOWER), st.flushed[n], st.log[n])
        if st.ackd is not None:
            # the acks a master had collected were in its memory
            for f in range(st.N):
                if f != n:
                    updates[st.ackd[f]] = X.ite(X.eq(st.src[f], X.const(n)), X.const(0), st.ackd[f])
        acts.add("crash", NODE, (node,),
                 X.and_(st.is_up(n), X.lt(st.crashes, X.const(cfg.crashes))), updates,
                 Label("crash", node, f"{node} crashes"))
        if cfg.recover:
            # it comes back in the role it had: a fenced master was fenced at
            # the promotion, an unfenced one still believes it is master
            acts.add("recover", NODE, (node,), X.not_(st.is_up(n)),
                     {st.up[n]: X.const(1)},
                     Label("recover", node, f"{node} recovers with its log intact"))


def add_partitions(st: SystemState, acts: ActionSet) -> None:
    cfg = st.cfg
    if cfg.partitions == 0:
        return
    budget = X.lt(st.partitions, X.const(cfg.partitions))
    count = X.add(st.partitions, X.const(1))
    for a, b in st.pairs:
        bit = 1 << st.pair_bit(a, b)
        na, nb = st.nodes[a], st.nodes[b]
        acts.add("cut_link", LINK, (na, nb), X.and_(budget, X.not_(st.link_cut(a, b))),
                 {st.cut: X.bor(st.cut, X.const(bit)), st.partitions: count},
                 Label("partition", na, f"the link between {na} and {nb} is cut", na, nb))
    if st.N > 2:  # with two nodes, isolating one is cutting the only link
        for n, node in enumerate(st.nodes):
            mask = sum(1 << st.pair_bit(n, o) for o in range(st.N) if o != n)
            acts.add("isolate", NODE, (node,),
                     X.and_(budget, X.ne(X.band(st.cut, X.const(mask)), X.const(mask))),
                     {st.cut: X.bor(st.cut, X.const(mask)), st.partitions: count},
                     Label("partition", node, f"{node} is cut off from every other node", node))
    if st.ccut is not None:
        # the client ends up on the node's side: cut from every other node
        for n, node in enumerate(st.nodes):
            mask = sum(1 << st.pair_bit(n, o) for o in range(st.N) if o != n)
            for c in range(st.C):
                cl = f"client{c + 1}"
                cmask = sum(1 << st.client_bit(c, o) for o in range(st.N) if o != n)
                acts.add("isolate_with_client", (("node", "nodes"), ("client", "clients")), (node, cl),
                         X.and_(budget, X.ne(X.band(st.ccut, X.const(cmask)), X.const(cmask))),
                         {st.cut: X.bor(st.cut, X.const(mask)), st.ccut: X.bor(st.ccut, X.const(cmask)),
                          st.partitions: count},
                         Label("partition", node, f"{node} and {cl} are cut off from every other node",
                               node))
    broken = X.ne(st.cut, X.const(0))
    healed = {st.cut: X.const(0)}
    if st.ccut is not None:
        broken = X.or_(broken, X.ne(st.ccut, X.const(0)))
        healed[st.ccut] = X.const(0)
    acts.add("heal", (), (), broken, healed,
             Label("heal", "network", "the network heals: every link is restored"))
