"""The no-op entry a newly elected leader appends to its log (`failover
elect`): Raft, sections 5.4.2 and 8 ("a leader ... commit[s] a blank no-op
entry into the log at the start of its term"), and MongoDB, whose new
primary writes one on election.

Why it matters for safety, not only for speed: the no-op gives every node
that has caught up with the new leader a last entry of the new term, so no
candidate whose log ends in an older term wins that node's vote (Raft's
Figure 8: without it, an entry of an old term that a majority holds, and a
linearizable read returned, can still be overwritten); and it is an entry of
the leader's own term, so once a majority holds it everything before it is
committed (read_concern.py).

Representation: `noops[n]` is the set of terms whose no-op n holds (bit t-1
for term t; the first leader, of term 0, writes none). A log is its writes
and its no-ops, and their order is fixed: entries are in term order and the
no-op of term t is the first entry of term t, written by its leader before
any write it accepts. So no-op t comes before write i exactly when
t <= term[i]. Every entry is written once, at one index, by one leader, and
is copied only as part of a prefix of a log: an entry sits at the same index
in every log that holds it, so two logs agree up to every entry they share,
and a log whose entries are all in another log is a prefix of it. The module
keeps the rest of the model unaware of no-ops: state.py asks it for a log's
last term and length, replication.py for the next entry, the prefix test and
what a divergent follower keeps.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.expr import Expr
from ..ir.model import Label
from .state import ActionSet, SystemState

PAIR = (("follower", "nodes"), ("master", "nodes"))


def budget(st: SystemState) -> int:
    """The highest term a run can reach (terms 1.. have a no-op)."""
    return st.cfg.crashes + st.cfg.partitions


def term_mask(st: SystemState, term: Expr) -> Expr:
    """The set holding only the no-op of `term` (empty for term 0)."""
    return X.select(term, [X.const(0)] + [X.const(1 << (t - 1)) for t in range(1, budget(st) + 1)])


def highest(st: SystemState, noops: Expr) -> Expr:
    """The term of the newest no-op in the set (0 when empty)."""
    result = X.const(0)
    for t in range(1, budget(st) + 1):
        result = X.ite(X.has_bit(noops, t - 1), X.const(t), result)
    return result


def lowest(st: SystemState, noops: Expr) -> Expr:
    """The term of the oldest no-op in a non-empty set."""
    result = X.const(budget(st))
    for t in range(budget(st), 0, -1):
        result = X.ite(X.has_bit(noops, t - 1), X.const(t), result)
    return result


def lowest_write_term(st: SystemState, writes: Expr) -> Expr:
    """The term of the lowest-numbered write of a non-empty set of writes of
    one log: the first of them in the log, so the oldest term among them."""
    result = X.const(0)
    for i in range(st.W - 1, -1, -1):
        result = X.ite(X.has_bit(writes, i), st.wterm[i], result)
    return result


def last_term(st: SystemState, n: int, last_write_term: Expr) -> Expr:
    """The term of the last entry of n's log: its newest write's or its newest no-op's."""
    newest = highest(st, st.noops[n])
    return X.ite(X.lt(last_write_term, newest), newest, last_write_term)


def length(st: SystemState, n: int) -> Expr:
    return X.add(X.popcount(st.log[n]), X.popcount(st.noops[n]))


def within(st: SystemState, f: int, m: int) -> Expr:
    """Every no-op f holds is in m's log too (with the writes' prefix test:
    f's log is a prefix of m's, since shared entries sit at the same index)."""
    return X.subset(st.noops[f], st.noops[m])


def noop_is_next(st: SystemState, f: int, m: int) -> Expr:
    """The next entry of m's log after f's (a prefix of it) is a no-op:
    m holds a no-op f lacks, and it comes before the first write f lacks."""
    missing_noops = X.bdiff(st.noops[m], st.noops[f])
    missing_writes = X.bdiff(st.log[m], st.log[f])
    return X.and_(X.ne(missing_noops, X.const(0)),
                  X.or_(X.eq(missing_writes, X.const(0)),
                        X.le(lowest(st, missing_noops), lowest_write_term(st, missing_writes))))


def kept(st: SystemState, n: int, dropped_writes: Expr, dropped_noops: Expr, kept_writes: Expr
         ) -> tuple[Expr, Expr]:
    """n's log loses its first dropped entry and all after it: (the writes it
    keeps, narrowed from `kept_writes`, and the no-ops it keeps). A write
    stays only if it comes before every dropped no-op (its term is lower); a
    no-op stays only if it comes before every dropped entry."""
    any_noop, any_write = X.ne(dropped_noops, X.const(0)), X.ne(dropped_writes, X.const(0))
    first_noop, first_write_term = lowest(st, dropped_noops), lowest_write_term(st, dropped_writes)
    writes = X.reduce_or([X.ite(X.or_(X.not_(any_noop), X.lt(st.wterm[i], first_noop)),
                                X.const(1 << i), X.const(0)) for i in range(st.W)])
    noops = X.reduce_or([X.ite(X.and_(X.or_(X.not_(any_noop), X.lt(X.const(t), first_noop)),
                                      X.or_(X.not_(any_write), X.le(X.const(t), first_write_term))),
                               X.const(1 << (t - 1)), X.const(0)) for t in range(1, budget(st) + 1)])
    return X.band(kept_writes, writes), X.band(st.noops[n], noops)


def discard(st: SystemState, f: int, m: int, kept_writes: Expr) -> tuple[Expr, Expr]:
    """What f keeps when it cuts back to the longest common prefix with m:
    every entry before its first entry that m lacks."""
    return kept(st, f, X.bdiff(st.log[f], st.log[m]), X.bdiff(st.noops[f], st.noops[m]), kept_writes)


def after_crash(st: SystemState, n: int, flushed: Expr) -> Expr:
    """The no-ops a follower keeps when a crash drops its writes received
    but not flushed (and everything after them). A no-op is on disk once
    received: it is written with the entries before it."""
    return kept(st, n, X.bdiff(st.log[n], flushed), X.const(0), flushed)[1]


def holds_leaders_noop(st: SystemState, f: int, m: int) -> Expr:
    """f holds the no-op master m wrote at its election (true for term 0, which has none)."""
    return X.subset(term_mask(st, st.nterm[m]), st.noops[f])


def elect(st: SystemState, c: int, new_term: Expr, updates: dict) -> None:
    """The new leader appends its no-op after every entry it holds."""
    updates[st.noops[c]] = X.bor(st.noops[c], term_mask(st, new_term))


def ack(st: SystemState, f: int, updates: dict) -> Expr:
    """f's ack reports its newest no-op too (recorded where a rule reads it:
    the majority-commit point). Returns the condition that this is news."""
    if st.noop_acked is None:
        return X.FALSE
    newest = highest(st, st.noops[f])
    updates[st.noop_acked[f]] = newest
    return X.ne(st.noop_acked[f], newest)


def acked_leaders_noop(st: SystemState, f: int, m: int, step: dict) -> Expr:
    """m knows from f's acks (counting one given in this `step`'s updates) that f holds m's no-op."""
    return X.and_(X.eq(st.src[f], X.const(m)),
                  X.eq(step.get(st.noop_acked[f], st.noop_acked[f]), st.nterm[m]))


def add_noop_shipping(st: SystemState, acts: ActionSet, f: int, m: int, linked: Expr, prefix: Expr) -> None:
    """m ships the next entry of its log to f when it is a no-op
    (replication.py ships the writes; `prefix` includes within())."""
    fname, mname = st.nodes[f], st.nodes[m]
    missing = X.bdiff(st.noops[m], st.noops[f])
    acts.add("replicate_noop", PAIR, (fname, mname), X.and_(linked, prefix, noop_is_next(st, f, m)),
             {st.noops[f]: X.bor(st.noops[f], X.lowbit(missing))},
             Label("replicate", mname, f"{mname} ships the next no-op entry of its log to {fname}",
                   mname, fname, "no-op"))
