"""Failover by election (`failover elect`), as in Raft: no manager, only
the nodes' own terms and votes.

A node that has lost touch with its master (it is not connected to a live
master of its own term) stands as a candidate. It wins when a majority of
*all* nodes, itself included, vote for it. Every node it reaches learns the
new term; a voter refuses a candidate whose log is less up to date than its
own by (term of the last entry, length), Raft's vote rule. The winner is
master of the new term; every node it reached follows it (a master among
them steps down). With `elect fencing` the masters it cannot reach are
fenced at once as well (a storage-level epoch check).

An election is one step. That loses no safety behaviour of Raft: a node
that has voted in term t ignores every master of a lower term, so nothing
changes in a voter's log between its vote and the end of the election; and
two candidates of one term cannot both win, since majorities intersect and a
voter votes once per term. What one step leaves out is a failed or split
election, which only delays the next one: it changes no log, and a spec
explores the elections that succeed later anyway. The new term is one more
than the highest term issued: a majority knows every term a master was
elected in, so the candidate learns it from its voters.

The winner appends a no-op entry of its new term to its log at once, and
ships it to its followers like a write (noop.py): a follower that has
caught up with it has a last entry of the new term, and refuses any
candidate whose log ends in an older one (Raft, section 5.4.2, Figure 8).

A master that reaches a node of a higher term steps down (it learns the term
from the reply to its next message); a node that reaches the master of a
term at least its own follows it.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.model import Label
from . import noop
from .failover import failover_budget
from .leadership import add_following, end_office, leave_office, set_when, take_office
from .state import FENCED, FOLLOWER, MASTER, ActionSet, SystemState

CANDIDATE = (("candidate", "nodes"),)
PAIR = (("node", "nodes"), ("other", "nodes"))


def hears_master(st: SystemState, c: int):
    """c is connected to a live master of its own term that it follows."""
    return X.or_(*(X.and_(X.eq(st.src[c], X.const(m)), st.acts_as_master(m), st.connected(c, m),
                          X.eq(st.nterm[m], st.nterm[c])) for m in range(st.N) if m != c))


def votes(st: SystemState, c: int):
    """The votes c gets: itself, and every node it reaches whose log is not more up to date."""
    return X.sum_(st.is_up(c) if v == c else X.and_(st.connected(c, v), st.at_least_as_up_to_date(c, v))
                  for v in range(st.N))


def add_election(st: SystemState, acts: ActionSet) -> None:
    cfg = st.cfg
    majority = st.N // 2 + 1
    for c, cname in enumerate(st.nodes):
        guard = X.and_(st.is_up(c), X.or_(st.is_role(c, FOLLOWER), st.is_role(c, FENCED)),
                       X.not_(hears_master(st, c)), failover_budget(st),
                       X.le(X.const(majority), votes(st, c)))
        updates: dict = {}
        new_term = take_office(st, c, updates)
        if st.noops is not None:
            noop.elect(st, c, new_term, updates)
        deposed = {}
        for v in range(st.N):
            if v == c:
                continue
            reached = st.connected(c, v)
            deposed[v] = leave_office(st, v, updates, reached, X.const(c), new_term)
            if cfg.fencing:
                fenced = X.and_(X.not_(reached), st.is_role(v, MASTER))
                set_when(updates, st.role[v], fenced, X.const(FENCED))
                deposed[v] = X.or_(deposed[v], fenced)
        end_office(st, updates, deposed)
        fenced = "; the masters it cannot reach are fenced" if cfg.fencing else ""
        acts.add("elect", CANDIDATE, (cname,), guard, updates,
                 Label("promote", cname, f"{cname} wins an election with the votes of a majority and "
                       f"becomes master in a new term{fenced}", cname))
    for n, nname in enumerate(st.nodes):
        for o, oname in enumerate(st.nodes):
            if n == o:
                continue
            updates: dict = {}
            deposed = leave_office(st, n, updates, X.TRUE, X.const(n), st.nterm[o])
            end_office(st, updates, {n: deposed})
            acts.add("step_down", PAIR, (nname, oname),
                     X.and_(st.acts_as_master(n), st.connected(n, o), X.lt(st.nterm[n], st.nterm[o])),
                     updates,
                     Label("local", nname, f"{nname} learns from {oname} of a higher term and steps down",
                           oname, nname))

    def may_follow(n: int, p: int):
        """n hears from a master of a term at least its own (Raft's AppendEntries)."""
        current = X.and_(st.is_role(n, FOLLOWER), X.eq(st.src[n], X.const(p)), X.eq(st.nterm[n], st.nterm[p]))
        return X.and_(st.acts_as_master(p), st.connected(n, p), X.le(st.nterm[n], st.nterm[p]), X.not_(current))
    add_following(st, acts, "follow", may_follow)
