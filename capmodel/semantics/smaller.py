"""The same system with fewer nodes and writes: a small instance for
invariant generation (engines/invgen_small.py).

Lemmas are easy to find where the state space is small, and the followers of
a leader-based system are interchangeable, so what holds of 3 nodes and 3
writes often holds, renamed, of more ("invisible invariants", Pnueli et al.;
sync replication: of 4 nodes and 3 writes, not yet of 7 and 6, docs/z3.md).
This module only builds the smaller spec; nothing from it is trusted: the
engine checks every renamed candidate on the full model.

The small config keeps everything the spec says but the counts: every node a
condition, the leader, the standbys, the read nodes or a client's side names
stays, and so does every write a condition names; the other nodes are the
first followers of the list. The number of acks a mode derives from the
nodes (sync: every follower; quorum: a majority) is derived again, as the
validator does; a count written in the spec (semi_sync K, standbys K,
min_replicas) must still fit, or there is no smaller instance.
"""
from __future__ import annotations

import dataclasses
import re

from ..catalogue import derived_acks
from ..config import SystemConfig
from ..syntax import ast

# 3 writes, not 2: with 2, what the proof says of the last write does not
# carry over to a middle one (docs/z3.md, "7 x 6 from a small instance")
SMALL_NODES, SMALL_WRITES = 3, 3


def _names_in(node, out: set[str]) -> set[str]:
    """Every bare name (node, write, read, bound variable) in a condition's syntax tree."""
    if isinstance(node, ast.Ident):
        out.add(node.name)
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            _names_in(getattr(node, f.name), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _names_in(x, out)
    return out


def smaller_config(cfg: SystemConfig, nodes: int | None = None, writes: int | None = None
                   ) -> SystemConfig | None:
    """cfg with about `nodes` nodes and `writes` writes (more where the spec
    names more), or None when that is not smaller or the spec's counts would
    not fit it."""
    nodes = SMALL_NODES if nodes is None else nodes
    writes = SMALL_WRITES if writes is None else writes
    if cfg.replication == "leaderless":  # its own family: its node counts (replicas, levels) are the system
        return None
    named: set[str] = set()
    for c in (*cfg.invariants, *cfg.reachables, *cfg.lemmas):
        _names_in(c.expr, named)
    keep = {cfg.leader, *cfg.standbys, *cfg.read_nodes, *(n for n in cfg.client_sides if n)}
    keep |= named & set(cfg.nodes)
    kept = [n for n in cfg.nodes if n in keep]
    for n in cfg.nodes:
        if len(kept) >= nodes:
            break
        if n not in keep:
            kept.append(n)
    kept = [n for n in cfg.nodes if n in kept]  # the spec's order
    named_writes = [int(m.group(1)) for n in named if (m := re.fullmatch(r"w(\d+)", n))]
    w = max([writes, *named_writes])
    if len(kept) >= len(cfg.nodes) and w >= cfg.writes:
        return None  # not smaller
    w = min(w, cfg.writes)
    followers = len(kept) - 1
    acks = cfg.acks_needed
    if not cfg.standbys and cfg.replication in ("sync", "quorum"):
        acks = derived_acks(cfg.replication, len(kept))
    if acks > followers or cfg.min_replicas > followers:
        return None
    return dataclasses.replace(cfg, nodes=tuple(kept), writes=w, acks_needed=acks)
