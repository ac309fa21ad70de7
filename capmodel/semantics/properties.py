"""The built-in properties as IR invariants, each with a one-sentence
explanation of why a given violating state breaks it (for the counterexample)."""
from __future__ import annotations

from typing import Callable

from ..catalogue import PROPERTIES
from ..ir import expr as X
from ..ir.expr import Expr
from ..ir.model import Condition
from .state import (MASTER, R_ERROR, R_OK, R_TIMED_OUT, W_ERROR, W_OK, W_TIMED_OUT, SystemState, read_name,
                    writes_in, write_name, client_name)


def held_by_current_master(st: SystemState, writes: Expr) -> Expr:
    """The current master holds all of `writes`: the node promoted last (the
    master of the highest term), while it is up and acts as master.

    That copy is the authoritative one: an old master cut off in a lower
    term that lacks a write loses nothing (the write is on the current
    master; if the old one serves reads, that is a stale read), whereas a
    write the current master lacks is one that no authoritative read can
    return any more: whoever else still holds it discards it when it
    rejoins. With the current master down, nothing is judged until the next
    promotion, which must then bring the write along."""
    return X.and_(*(X.implies(X.and_(X.eq(st.primary, X.const(n)), st.acts_as_master(n)),
                              X.subset(writes, st.log[n])) for n in range(st.N)))


def no_acked_write_lost(st: SystemState) -> Expr:
    return held_by_current_master(st, st.acked_mask())


def no_read_of_lost_data(st: SystemState) -> Expr:
    read = X.reduce_or([X.ite(X.eq(st.rstatus[j], X.const(R_OK)), st.rseen[j], X.const(0)) for j in range(st.R)])
    return held_by_current_master(st, read)


def no_stale_read(st: SystemState) -> Expr:
    return X.and_(*(X.implies(X.eq(st.rstatus[j], X.const(R_OK)), X.subset(st.racked[j], st.rseen[j]))
                    for j in range(st.R)))


def read_your_writes(st: SystemState) -> Expr:
    terms = []
    for j in range(st.R):
        for c in range(st.C):
            mine = X.band(st.racked[j], st.own_mask(c))
            terms.append(X.implies(X.and_(X.eq(st.rstatus[j], X.const(R_OK)), X.eq(st.rclient[j], X.const(c))),
                                   X.subset(mine, st.rseen[j])))
    return X.and_(*terms)


def _reads_grow(st: SystemState, same_client: bool) -> Expr:
    """For two successful reads rj, rk with j < k (rj was answered first):
    rk returned everything rj did; only between reads of one client, or all."""
    terms = []
    for j in range(st.R):
        for k in range(j + 1, st.R):
            both = X.and_(X.eq(st.rstatus[j], X.const(R_OK)), X.eq(st.rstatus[k], X.const(R_OK)),
                          X.eq(st.rclient[j], st.rclient[k]) if same_client else X.TRUE)
            terms.append(X.implies(both, X.subset(st.rseen[j], st.rseen[k])))
    return X.and_(*terms)


def monotonic_reads(st: SystemState) -> Expr:
    return _reads_grow(st, same_client=True)


def linearizable(st: SystemState) -> Expr:
    """Wing and Gong linearizability of the history, for one register whose
    value is the set of writes in the log (a write adds itself).

    Reads are single steps, so they are totally ordered in real time, in
    number order. A write may take effect at any point between its send and
    its OK (a write with no OK may take effect at any point, or never), and
    writes commute, so each write's point can be chosen on its own. A point
    for write w exists iff every read that saw w comes after every read that
    missed it (reads only grow, whichever client sent them) and every read
    answered after w's OK saw it (no stale read). docs/semantics.md gives the
    argument; tests/test_linearizable.py checks it against a brute-force
    checker over recorded histories."""
    return X.and_(no_stale_read(st), _reads_grow(st, same_client=False))


def write_availability(st: SystemState) -> Expr:
    return X.and_(*(X.and_(X.ne(st.wstatus[i], X.const(W_ERROR)), X.ne(st.wstatus[i], X.const(W_TIMED_OUT)))
                    for i in range(st.W)))


def read_availability(st: SystemState) -> Expr:
    return X.and_(*(X.and_(X.ne(st.rstatus[j], X.const(R_ERROR)), X.ne(st.rstatus[j], X.const(R_TIMED_OUT)))
                    for j in range(st.R)))


def no_split_brain(st: SystemState) -> Expr:
    terms = []
    for a in range(st.N):
        for b in range(a + 1, st.N):
            terms.append(X.not_(X.and_(st.acts_as_master(a), st.acts_as_master(b),
                                       X.eq(st.wrote[a], X.const(1)), X.eq(st.wrote[b], X.const(1)))))
    return X.and_(*terms)


BUILDERS: dict[str, Callable[[SystemState], Expr]] = {
    "no_acked_write_lost": no_acked_write_lost,
    "no_stale_read": no_stale_read,
    "read_your_writes": read_your_writes,
    "monotonic_reads": monotonic_reads,
    "write_availability": write_availability,
    "read_availability": read_availability,
    "no_split_brain": no_split_brain,
    "no_read_of_lost_data": no_read_of_lost_data,
    "linearizable": linearizable,
}
assert set(BUILDERS) == set(PROPERTIES), "every catalogued property needs a builder"


def builtin_conditions(st: SystemState) -> list[Condition]:
    return [Condition(name, BUILDERS[name](st), PROPERTIES[name]) for name in st.cfg.checks]


# ------------------------------------------------------------------ why it fails
class Explainer:
    """Reads a violating trace's states (by variable name) to say why, in one sentence."""

    def __init__(self, st: SystemState) -> None:
        self.st = st
        self.names = {v.name: i for i, v in enumerate(st.variables)}

    def get(self, state, name: str) -> int:
        return state[self.names[name]]

    def first_step(self, states, test) -> int:
        return next((k for k, s in enumerate(states) if test(s)), len(states) - 1)

    def __call__(self, prop: str, states) -> str:
        return getattr(self, prop)(states)

    def _current_master(self, state) -> str | None:
        node = self.st.nodes[self.get(state, "primary")]
        if self.get(state, f"up[{node}]") and self.get(state, f"role[{node}]") == MASTER:
            return node
        return None

    def _lost(self, states, missing_writes, what: str) -> str:
        """Say which writes the current master lacks, and where (if anywhere) they still are."""
        st, last = self.st, states[-1]
        node = self._current_master(last)
        if node is None:
            return ""
        term = self.get(last, "term")
        for w, since in missing_writes(last):
            bit = 1 << (int(w[1:]) - 1)
            if self.get(last, f"log[{node}]") & bit:
                continue
            holders = [o for o in st.nodes if o != node and self.get(last, f"log[{o}]") & bit]
            down = {o for o in holders if not self.get(last, f"up[{o}]")}
            if len(holders) == 1:
                who = f"{holders[0]}{', which is down,' if down else ''}"
            else:  # say of each holder whether it is down
                who = " and ".join(f"{o} (down)" if o in down else o for o in holders)
            where = ("no node holds it any more" if not holders else
                     f"{who} must discard it to follow {node}")
            return (f"{w} {what} at step {since}, but {node}, the current master (term {term}), does not "
                    f"hold it, and {where}: the write is lost")
        return ""

    def no_acked_write_lost(self, states) -> str:
        st = self.st

        def acked(last):
            for i in range(st.W):
                w = write_name(i)
                if self.get(last, f"status[{w}]") == W_OK:
                    yield w, self.first_step(states, lambda s: self.get(s, f"status[{w}]") == W_OK)
        return self._lost(states, acked, "was acknowledged") or \
            "an acknowledged write is missing from the current master"

    def no_read_of_lost_data(self, states) -> str:
        st = self.st

        def read(last):
            for j in range(st.R):
                r = read_name(j)
                if self.get(last, f"status[{r}]") == R_OK:
                    when = self.first_step(states, lambda s: self.get(s, f"status[{r}]") == R_OK)
                    for w in writes_in(self.get(last, f"seen[{r}]")):
                        yield w, when
        return self._lost(states, read, "was read by a client") or \
            "a write that was read is missing from the current master"

    def _bad_read(self, states, wanted) -> str:
        st, last = self.st, states[-1]
        for j in range(st.R):
            r = read_name(j)
            if self.get(last, f"status[{r}]") != R_OK:
                continue
            need = wanted(last, j)
            seen = self.get(last, f"seen[{r}]")
            if need & ~seen:
                node = st.nodes[self.get(last, f"node[{r}]")]
                got = ", ".join(writes_in(seen)) or "nothing"
                return (f"{r} on {node} returned {got}, but {', '.join(writes_in(need & ~seen))} had "
                        f"already been acknowledged")
        return ""

    def no_stale_read(self, states) -> str:
        return self._bad_read(states, lambda s, j: self.get(s, f"acked_at[{read_name(j)}]")) \
            or "a read missed an acknowledged write"

    def read_your_writes(self, states) -> str:
        st = self.st

        def own(s, j):
            c = self.get(s, f"client[{read_name(j)}]")
            mask = sum(1 << i for i in range(st.W) if self.get(s, f"client[{write_name(i)}]") == c)
            return self.get(s, f"acked_at[{read_name(j)}]") & mask
        text = self._bad_read(states, own)
        return (text.replace("had already been acknowledged", "of the same client had already been acknowledged")
                or "a read missed its own client's write")

    def _shrinking_reads(self, states, same_client: bool) -> str:
        st, last = self.st, states[-1]
        for j in range(st.R):
            for k in range(j + 1, st.R):
                rj, rk = read_name(j), read_name(k)
                cj, ck = self.get(last, f"client[{rj}]"), self.get(last, f"client[{rk}]")
                if (self.get(last, f"status[{rj}]") == R_OK == self.get(last, f"status[{rk}]")
                        and (cj == ck or not same_client)):
                    gone = self.get(last, f"seen[{rj}]") & ~self.get(last, f"seen[{rk}]")
                    if gone:
                        if cj == ck:
                            return (f"{client_name(cj)} saw {', '.join(writes_in(gone))} in {rj}, but its "
                                    f"later read {rk} did not: time went backwards")
                        return (f"{client_name(cj)} saw {', '.join(writes_in(gone))} in {rj}, but "
                                f"{client_name(ck)}'s later read {rk} did not: no single order of the "
                                f"operations explains both answers")
        return ""

    def monotonic_reads(self, states) -> str:
        return self._shrinking_reads(states, True) or "a later read returned less than an earlier one"

    def linearizable(self, states) -> str:
        return (self.no_stale_read(states) if self._bad_read(states, lambda s, j: self.get(
            s, f"acked_at[{read_name(j)}]")) else self._shrinking_reads(states, False)) \
            or "the history of writes and reads is not linearizable"

    def _unavailable(self, states, kind: str) -> str:
        st, last = self.st, states[-1]
        count = st.W if kind == "write" else st.R
        for i in range(count):
            name = write_name(i) if kind == "write" else read_name(i)
            status = self.get(last, f"status[{name}]")
            bad = (W_ERROR, W_TIMED_OUT) if kind == "write" else (R_ERROR, R_TIMED_OUT)
            if status in bad:
                node = st.nodes[self.get(last, f"node[{name}]")]
                if status in (W_ERROR, R_ERROR):
                    return f"{kind} {name} was sent to {node}, which is up, and got an ERROR"
                if kind == "write" and any(self.get(last, f"log[{o}]") >> i & 1 for o in st.nodes):
                    return (f"write {name} was sent to {node}, which took it but could not collect the "
                            f"acks it needs, so the client gave up with no answer")
                client = client_name(self.get(last, f"client[{name}]"))
                return (f"{client} could not reach {node} or any other master, though it reaches a live "
                        f"node: {kind} {name} got no answer")
        return f"a {kind} to a live node got no OK"

    def write_availability(self, states) -> str:
        return self._unavailable(states, "write")

    def read_availability(self, states) -> str:
        return self._unavailable(states, "read")

    def no_split_brain(self, states) -> str:
        st, last = self.st, states[-1]
        masters = [node for node in st.nodes if self.get(last, f"up[{node}]")
                   and self.get(last, f"role[{node}]") == MASTER
                   and self.get(last, f"acked_writes_as_master[{node}]")]
        return (f"{' and '.join(masters)} both act as master at the same time, and both have "
                f"acknowledged client writes")
