"""Faults within the spec's budget: crashes (and recoveries), link cuts,
splits of the network into two sides, and the network healing."""
from __future__ import annotations

from itertools import combinations, product

from ..ir import expr as X
from ..ir.model import Label
from . import noop
from .state import FOLLOWER, W_LOST_DOWN, ActionSet, SystemState, client_name

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
            if st.noops is not None:  # and the no-ops after what it loses
                updates[st.noops[n]] = X.ite(st.is_role(n, FOLLOWER), noop.after_crash(st, n, st.flushed[n]),
                                             st.noops[n])
        if st.ackd is not None:
            # the acks a master had collected were in its memory
            for f in range(st.N):
                if f != n:
                    updates[st.ackd[f]] = X.ite(X.eq(st.src[f], X.const(n)), X.const(0), st.ackd[f])
        # the clients' connections die with the process: a waiting write gets
        # no answer, even if the node restarts; a restarted primary treats its
        # waiting commits as committed (PostgreSQL 27.2.8.4), so the server's
        # wait ends too
        st.end_waits(updates, {n: X.TRUE}, W_LOST_DOWN)
        acts.add("crash", NODE, (node,),
                 X.and_(st.is_up(n), X.lt(st.crashes, X.const(cfg.crashes))), updates,
                 Label("crash", node, f"{node} crashes"))
        if cfg.recover:
            # it comes back in the role it had: a fenced master was fenced at
            # the promotion, an unfenced one still believes it is master
            acts.add("recover", NODE, (node,), X.not_(st.is_up(n)),
                     {st.up[n]: X.const(1)},
                     Label("recover", node, f"{node} recovers with its log intact"))


def splits(n: int) -> list[tuple[int, ...]]:
    """Every way to cut n nodes into two sides, each named by its smaller
    side (with equal sides, the one holding the first node): one node alone
    first, in node order, then larger groups, so that the simplest
    partitions are tried first."""
    return [g for size in range(1, n // 2 + 1) for g in combinations(range(n), size)
            if 2 * size < n or 0 in g]


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
    for group in splits(st.N):
        add_split(st, acts, group, budget, count)
    broken = X.ne(st.cut, X.const(0))
    healed = {st.cut: X.const(0)}
    if st.ccut is not None:
        broken = X.or_(broken, X.ne(st.ccut, X.const(0)))
        healed[st.ccut] = X.const(0)
    acts.add("heal", (), (), broken, healed,
             Label("heal", "network", "the network heals: every link is restored"))


def add_split(st: SystemState, acts: ActionSet, group: tuple[int, ...], budget, count) -> None:
    """One event cuts every link between `group` and the other nodes. Clients
    reach every node, unless the spec places them (`place c with n`) or lets
    a partition cut them off (`with_clients`: every placement is explored)."""
    cfg = st.cfg
    rest = tuple(o for o in range(st.N) if o not in group)
    mask = sum(1 << st.pair_bit(a, b) for a in group for b in rest)
    side_names = ", ".join(st.nodes[g] for g in group)
    if len(group) == 1:
        text = f"{st.nodes[group[0]]} is cut off from every other node"
    else:
        text = f"the network splits into {{{side_names}}} and {{{', '.join(st.nodes[o] for o in rest)}}}"
    param = (("side", "node groups"),)
    # where each client may stand: None = reaches every node
    options = []
    for c in range(st.C):
        placed = cfg.client_sides[c] if c < len(cfg.client_sides) else ""
        if placed:
            options.append([group if st.nodes.index(placed) in group else rest])
        elif cfg.client_partitions:
            options.append([group, rest])
        else:
            options.append([None])
    for placement in product(*options):
        cmask = 0
        for c, side in enumerate(placement):
            if side is not None:
                cmask |= sum(1 << st.client_bit(c, o) for o in range(st.N) if o not in side)
        updates = {st.cut: X.bor(st.cut, X.const(mask)), st.partitions: count}
        new_cut = X.ne(X.band(st.cut, X.const(mask)), X.const(mask))
        if not cmask:
            if st.N > 2:  # with two nodes, a split that leaves the clients be is cutting the only link
                acts.add("split", param, (side_names,), X.and_(budget, new_cut), updates,
                         Label("partition", st.nodes[group[0]], text, st.nodes[group[0]]))
            continue
        updates[st.ccut] = X.bor(st.ccut, X.const(cmask))
        new_cut = X.or_(new_cut, X.ne(X.band(st.ccut, X.const(cmask)), X.const(cmask)))
        with_group = [client_name(c) for c, side in enumerate(placement) if side == group]
        with_rest = [client_name(c) for c, side in enumerate(placement) if side == rest]
        words = text + "".join(f"; {' and '.join(cl)} {'is' if len(cl) == 1 else 'are'} on the side of "
                               f"{st.nodes[side[0]]}" for cl, side in ((with_group, group), (with_rest, rest)) if cl)
        where = ", ".join(f"{client_name(c)} with {st.nodes[side[0]]}" for c, side in enumerate(placement)
                          if side is not None)
        acts.add("split_with_clients", param + (("clients", "placements"),), (side_names, where),
                 X.and_(budget, new_cut), updates,
                 Label("partition", st.nodes[group[0]], words, st.nodes[group[0]]))
