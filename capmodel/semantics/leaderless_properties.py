"""The built-in properties for leaderless replication, where a register holds
one version (last writer wins) instead of a log.

Definitions (docs/semantics.md, section 9):
- a version *reflects* write u when it is u, or supersedes it: a higher
  timestamp, and not a write acknowledged before u was sent (a write the
  client finished before sending u cannot legitimately overwrite u);
- no_acked_write_lost: every acknowledged write is reflected by some copy
  that can still be read: a replica's version, a hint, or a mutation in
  flight, on a node that is up (or down, when crashes recover);
- no_stale_read / read_your_writes: a successful read returns a version that
  reflects every write (of its own client) acknowledged before it began;
- monotonic_reads: a client's later read returns a version that reflects
  what its earlier read returned;
- linearizable: Wing and Gong's linearizability of the register, decided
  exactly by the zones of Gibbons and Korach (writes are unique);
- converges: a state where the workload is done, the faults are healed (no
  link cut; with crash-recover, every node up) and no delivery, hint
  handoff or anti-entropy step is enabled has every live home replica on
  the same version.
"""
from __future__ import annotations

from typing import Callable

from ..catalogue import LEADERLESS_PROPERTIES, PROPERTIES
from ..ir import expr as X
from ..ir.expr import Expr
from ..ir.model import Condition
from . import properties as P
from .leaderless import LeaderlessState
from .state import (R_ERROR, R_OK, R_TIMED_OUT, W_ERROR, W_NOT_SENT, W_OK, W_TIMED_OUT, client_name, read_name,
                    write_name, writes_in)


def copies(st: LeaderlessState) -> list[tuple[Expr, Expr]]:
    """(condition, version) of every copy that can still be read."""
    out = [(st.survives(n), st.log[n]) for n in st.home]
    out += [(st.survives(h), var) for (h, _), var in st.hint.items()]
    for i in range(st.W):  # a mutation in flight from a coordinator that can still send it
        sending = st.coordinated_by(st.wnode[i], st.survives)
        out.append((X.and_(sending, X.ne(st.inflight[i], X.const(0))), X.const(1 << i)))
    return [(c, v) for c, v in out if c != X.FALSE]


def kept(st: LeaderlessState, i: int) -> Expr:
    return X.or_(*(X.and_(cond, st.reflects(v, i)) for cond, v in copies(st)))


def no_acked_write_lost(st: LeaderlessState) -> Expr:
    return X.and_(*(X.implies(X.eq(st.wstatus[i], X.const(W_OK)), kept(st, i)) for i in range(st.W)))


def no_read_of_lost_data(st: LeaderlessState) -> Expr:
    return X.and_(*(X.implies(X.or_(*(X.and_(X.eq(st.rstatus[j], X.const(R_OK)), X.has_bit(st.rseen[j], i))
                                      for j in range(st.R))), kept(st, i)) for i in range(st.W)))


def _fresh(st: LeaderlessState, own: bool) -> Expr:
    terms = []
    for j in range(st.R):
        ok = X.eq(st.rstatus[j], X.const(R_OK))
        for i in range(st.W):
            before = X.has_bit(st.racked[j], i)
            if own:
                before = X.and_(before, X.eq(st.wclient[i], st.rclient[j]))
            terms.append(X.implies(X.and_(ok, before), st.reflects(st.rseen[j], i)))
    return X.and_(*terms)


def no_stale_read(st: LeaderlessState) -> Expr:
    return _fresh(st, own=False)


def read_your_writes(st: LeaderlessState) -> Expr:
    return _fresh(st, own=True)


def monotonic_reads(st: LeaderlessState) -> Expr:
    """A client's reads are sequential (one request at a time), so its read j
    was answered before its read k > j began."""
    terms = []
    for j in range(st.R):
        for k in range(j + 1, st.R):
            both = X.and_(X.eq(st.rstatus[j], X.const(R_OK)), X.eq(st.rstatus[k], X.const(R_OK)),
                          X.eq(st.rclient[j], st.rclient[k]))
            for i in range(st.W):
                terms.append(X.implies(X.and_(both, X.has_bit(st.rseen[j], i)), st.reflects(st.rseen[k], i)))
    return X.and_(*terms)


# ------------------------------------------------------------ linearizable
def _ops(st: LeaderlessState):
    """The operations of the history: ('w', i) and ('r', j)."""
    return [("w", i) for i in range(st.W)] + [("r", j) for j in range(st.R)]


def _member(st: LeaderlessState, op, cluster: int) -> Expr:
    """op belongs to the cluster of write cluster-1 (cluster 0: the initial
    empty register): the write itself, and the successful reads returning it."""
    kind, k = op
    if kind == "w":
        return X.ne(st.wstatus[k], X.const(W_NOT_SENT)) if cluster == k + 1 else X.FALSE
    value = X.const(0 if cluster == 0 else 1 << (cluster - 1))
    return X.and_(X.eq(st.rstatus[k], X.const(R_OK)), X.eq(st.rseen[k], value))


def _precedes(st: LeaderlessState, x, y) -> Expr:
    """x was answered OK before y was sent (the ghosts record it at y's send)."""
    (xk, xi), (yk, yi) = x, y
    if yk == "w":
        mask = st.wbefore[yi] if xk == "w" else (st.wreads[yi] if st.wreads is not None else X.const(0))
    else:
        mask = st.racked[yi] if xk == "w" else st.rreads[yi]
    return X.has_bit(mask, xi)


def _leads(st: LeaderlessState, a: int, b: int) -> Expr:
    """Some operation of cluster a precedes some operation of cluster b (the
    initial value precedes everything)."""
    if a == 0:
        return X.ne(st.wstatus[b - 1], X.const(W_NOT_SENT))
    ops = _ops(st)
    return X.or_(*(X.and_(_member(st, x, a), _member(st, y, b), _precedes(st, x, y)) for x in ops for y in ops))


def linearizable(st: LeaderlessState) -> Expr:
    """Gibbons and Korach: a register history with unique writes is
    linearizable iff no two forward zones overlap and no backward zone lies
    inside a forward zone; for two clusters a and b, either case is 'some op
    of a precedes some op of b, and some op of b precedes some op of a'.
    tests/test_leaderless.py checks this against a brute-force search."""
    clusters = range(st.W + 1)
    return X.and_(*(X.not_(X.and_(_leads(st, a, b), _leads(st, b, a))) for a in clusters for b in clusters if a < b))


def healed(st: LeaderlessState) -> Expr:
    """No link cut, and, when crashed nodes recover, every node back up: a
    node that is down but coming back (with its hints) is a fault not yet
    healed; a crash-stop node is gone for good, and its copies with it."""
    return X.and_(X.eq(st.cut, X.const(0)) if st.cut is not None else X.TRUE,
                  X.eq(st.ccut, X.const(0)) if st.ccut is not None else X.TRUE,
                  *(st.is_up(n) for n in range(st.N) if st.cfg.recover))


def converges(st: LeaderlessState, quiet: Expr, done: Expr) -> Expr:
    live = [(st.is_up(t), st.log[t]) for t in st.home]
    same = X.and_(*(X.implies(X.and_(ua, ub), X.eq(va, vb)) for k, (ua, va) in enumerate(live)
                    for ub, vb in live[k + 1:]))
    return X.implies(X.and_(done, healed(st), quiet), same)


BUILDERS: dict[str, Callable[[LeaderlessState], Expr]] = {
    "no_acked_write_lost": no_acked_write_lost,
    "no_stale_read": no_stale_read,
    "read_your_writes": read_your_writes,
    "monotonic_reads": monotonic_reads,
    "write_availability": P.write_availability,
    "read_availability": P.read_availability,
    "no_split_brain": lambda st: X.TRUE,  # no node ever acts as master
    "no_read_of_lost_data": no_read_of_lost_data,
    "linearizable": linearizable,
}
# what each property means for a register of versions (docs/semantics.md, section 9)
DESCRIPTIONS = {
    **PROPERTIES, **LEADERLESS_PROPERTIES,
    "no_acked_write_lost": "every acknowledged write is still held, or superseded by a newer version, by a "
    "copy that can be read: a replica, a hint or a mutation in flight",
    "no_stale_read": "a successful read returns the version of every write acknowledged before it began, "
    "or a version that supersedes it",
    "read_your_writes": "a successful read returns the version of every write its own client had "
    "acknowledged before it, or a version that supersedes it",
    "monotonic_reads": "a client's later successful read returns what its earlier read returned, or a "
    "version that supersedes it",
    "no_read_of_lost_data": "every version a client has read is still held, or superseded, by a copy that "
    "can be read",
    "no_split_brain": "never two masters acknowledging writes (a leaderless system has no master)",
    "linearizable": "the history of writes and reads on the register is linearizable (Gilbert and Lynch's "
    "C): some single order of the operations, agreeing with real time, explains every answer",
}


def leaderless_conditions(st: LeaderlessState, quiet: Expr, done: Expr) -> list[Condition]:
    return [Condition(name, converges(st, quiet, done) if name == "converges" else BUILDERS[name](st),
                      DESCRIPTIONS[name]) for name in st.cfg.checks]


# ------------------------------------------------------------------ why it fails
class LeaderlessExplainer(P.Explainer):
    """One sentence on why the last state of a trace breaks a property."""

    def version(self, state, var: str) -> str:
        held = writes_in(self.get(state, var))
        return held[0] if held else "no version"

    def no_acked_write_lost(self, states) -> str:
        from ..ir.pycompile import evaluate
        st, last = self.st, states[-1]
        for i in range(st.W):
            w = write_name(i)
            if self.get(last, f"status[{w}]") != W_OK or evaluate(kept(st, i), last):
                continue
            since = self.first_step(states, lambda s: self.get(s, f"status[{w}]") == W_OK)
            where = ", ".join(f"{st.nodes[t]} {'(down) ' if not self.get(last, f'up[{st.nodes[t]}]') else ''}holds "
                              f"{self.version(last, f'value[{st.nodes[t]}]')}" for t in st.home)
            text = (f"{w} was acknowledged at step {since}, but no copy that can still be read holds it or a "
                    f"version that supersedes it ({where})")
            newer = [v for n in st.home for v in writes_in(self.get(last, f"value[{st.nodes[n]}]"))
                     if self.get(last, f"acked_before[{w}]") >> (int(v[1:]) - 1) & 1]
            if newer:
                text += (f"; {newer[0]} carries a higher timestamp (a clock ran ahead), although it was "
                         f"acknowledged before {w} was sent, so last writer wins keeps {newer[0]}")
            return text + ": the write is lost"
        return "an acknowledged write is lost"

    def _bad(self, states, own: bool) -> str:
        st, last = self.st, states[-1]
        for j in range(st.R):
            r = read_name(j)
            if self.get(last, f"status[{r}]") != R_OK:
                continue
            got = self.version(last, f"seen[{r}]")
            for i in range(st.W):
                w = write_name(i)
                mine = self.get(last, f"client[{w}]") == self.get(last, f"client[{r}]")
                if self.get(last, f"acked_at[{r}]") >> i & 1 and (mine or not own) and got != w:
                    whose = f"{client_name(self.get(last, f'client[{r}]'))}'s own " if own else ""
                    why = "" if got == "no version" else f", and {got} does not supersede it"
                    return f"{r} returned {got}, but {whose}{w} had been acknowledged before {r} began{why}"
        return ""

    def no_stale_read(self, states) -> str:
        return self._bad(states, False) or "a read missed an acknowledged write"

    def read_your_writes(self, states) -> str:
        return self._bad(states, True) or "a read missed its own client's write"

    def monotonic_reads(self, states) -> str:
        st, last = self.st, states[-1]
        for j in range(st.R):
            for k in range(j + 1, st.R):
                rj, rk = read_name(j), read_name(k)
                if self.get(last, f"status[{rj}]") == R_OK == self.get(last, f"status[{rk}]") and \
                        self.get(last, f"client[{rj}]") == self.get(last, f"client[{rk}]"):
                    a, b = self.version(last, f"seen[{rj}]"), self.version(last, f"seen[{rk}]")
                    if a != b:
                        return (f"{client_name(self.get(last, f'client[{rj}]'))} read {a} in {rj}, then {b} in "
                                f"its later read {rk}: time went backwards")
        return "a later read returned an older version"

    def linearizable(self, states) -> str:
        st, last = self.st, states[-1]
        got = {read_name(j): self.version(last, f"seen[{read_name(j)}]") for j in range(st.R)
               if self.get(last, f"status[{read_name(j)}]") == R_OK}
        told = ", ".join(f"{r} returned {v}" for r, v in got.items())
        return (self._bad(states, False) or
                f"no single order of the operations explains the answers ({told}) and the order in which they "
                f"were sent and answered")

    def converges(self, states) -> str:
        st, last = self.st, states[-1]
        held = ", ".join(f"{st.nodes[t]} holds {self.version(last, f'value[{st.nodes[t]}]')}" for t in st.home
                         if self.get(last, f"up[{st.nodes[t]}]"))
        healed = "the network healed and every node up" if st.cfg.recover else "the network healed"
        return (f"the workload is done, {healed}, and nothing can bring the replicas together any more: {held}")

    def _unavailable(self, states, kind: str) -> str:
        st, last = self.st, states[-1]
        names = [write_name(i) for i in range(st.W)] if kind == "write" else [read_name(j) for j in range(st.R)]
        for name in names:
            status = self.get(last, f"status[{name}]")
            node = st.nodes[self.get(last, f"node[{name}]")]
            error, timeout = (W_ERROR, W_TIMED_OUT) if kind == "write" else (R_ERROR, R_TIMED_OUT)
            if status == error:
                return (f"{kind} {name} was sent to {node}, which is up, but reaches too few replicas: it "
                        f"answered Unavailable")
            if status == timeout:
                return (f"{kind} {name} was sent to {node}, which could not collect the replies it needs: the "
                        f"client got a timeout")
        return f"a {kind} to a live node got no OK"

    def no_read_of_lost_data(self, states) -> str:
        return "a write a client has read is no longer held by any copy that can still be read"
