"""User invariants and `reachable` conditions: spec expressions -> IR terms.

Quantifiers are expanded over the finite domains (nodes, writes, reads), so
the IR stays quantifier-free. The validator has already resolved every name
and checked every type, so this module only translates.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import expr as X
from ..ir.expr import Expr
from ..syntax import ast as A
from . import noop
from .state import (FENCED, FOLLOWER, MASTER, R_ERROR, R_LOST_DOWN, R_NOT_SENT, R_OK, W_ERROR,
                    W_LOST_DOWN, W_NOT_SENT, W_OK, W_PENDING, W_TIMED_OUT, R_TIMED_OUT, SystemState, read_name,
                    write_name)


@dataclass(frozen=True)
class Ref:
    """A node, write or read, by (possibly state-dependent) index."""

    kind: str  # node | write | read
    index: Expr


class ExpressionCompiler:
    def __init__(self, st: SystemState) -> None:
        self.st = st
        self.sizes = {"node": st.N, "write": st.W, "read": st.R}

    def compile(self, e: A.Expr) -> Expr:
        result = self._c(e, {})
        assert not isinstance(result, Ref), "the validator lets only bool bodies through"
        return result

    # -------------------------------------------------------------- dispatch
    def _c(self, e, env):
        if isinstance(e, A.IntLit):
            return X.const(e.value)
        if isinstance(e, A.BoolLit):
            return X.const(e.value, X.BOOL)
        if isinstance(e, A.Ident):
            return self._ident(e.name, env)
        if isinstance(e, A.Unary):
            v = self._c(e.operand, env)
            return X.not_(v) if e.op == "not" else X.sub(X.const(0), v)
        if isinstance(e, A.Binary):
            return self._binary(e, env)
        if isinstance(e, A.Quantifier):
            kind = {"nodes": "node", "writes": "write", "reads": "read"}[e.domain.text]
            parts = [self._c(e.body, {**env, e.var.text: Ref(kind, X.const(k))})
                     for k in range(self.sizes[kind])]
            if e.kind == "forall":
                return X.and_(*parts)
            if e.kind == "exists":
                return X.or_(*parts)
            return X.sum_(parts)
        if isinstance(e, A.Attr):
            base = self._c(e.base, env)
            args = [self._c(a, env) for a in e.args]
            return self._per_element(base, lambda k: self._attr(base.kind, k, e.attr.text, *args))
        raise TypeError(f"unknown expression node {type(e).__name__}")

    def _ident(self, name: str, env):
        st = self.st
        if name in env:
            return env[name]
        if name in st.nodes:
            return Ref("node", X.const(st.nodes.index(name)))
        for i in range(st.W):
            if name == write_name(i):
                return Ref("write", X.const(i))
        for j in range(st.R):
            if name == read_name(j):
                return Ref("read", X.const(j))
        return {
            "crashes": lambda: st.crashes,
            "partitions": lambda: st.partitions,
            "term": lambda: st.term,
            "primary": lambda: Ref("node", st.primary),
            "partitioned": lambda: X.ne(st.cut, X.const(0)) if st.cut is not None else X.FALSE,
        }[name]()

    def _binary(self, e: A.Binary, env):
        a, b = self._c(e.left, env), self._c(e.right, env)
        if isinstance(a, Ref):
            a, b = a.index, b.index  # == and != on nodes, writes, reads compare identities
        op = e.op
        return {
            "and": lambda: X.and_(a, b), "or": lambda: X.or_(a, b), "implies": lambda: X.implies(a, b),
            "==": lambda: X.eq(a, b), "!=": lambda: X.ne(a, b), "<": lambda: X.lt(a, b),
            "<=": lambda: X.le(a, b), ">": lambda: X.gt(a, b), ">=": lambda: X.ge(a, b),
            "+": lambda: X.add(a, b), "-": lambda: X.sub(a, b),
        }[op]()

    def _per_element(self, ref: Ref, build):
        """Apply build(k) for the element ref denotes; a chain of cases when
        ref depends on the state (e.g. `r.node.up`)."""
        if X.is_const(ref.index):
            return build(X.value_of(ref.index))
        options = [build(k) for k in range(self.sizes[ref.kind])]
        if isinstance(options[0], Ref):
            return Ref(options[0].kind, X.select(ref.index, [o.index for o in options]))
        return X.select(ref.index, options)

    # ------------------------------------------------------------ attributes
    def _attr(self, kind: str, k: int, name: str, arg=None, arg2=None):
        st = self.st
        if kind == "node":
            if name == "committed":  # the writes at or before the commit point (read_concern.py)
                commit = getattr(st, "commit", None)
                return X.FALSE if commit is None else self._per_element(arg, lambda i: X.has_bit(commit[k], i))
            if name == "hint_for":  # only leaderless replication keeps hints (leaderless_model.py)
                return X.FALSE
            if name == "cut_from_client":  # clients are numbered from 1, as `w.client` says
                return X.or_(*(X.and_(X.eq(arg, X.const(c + 1)), X.not_(st.client_reaches(c, k)))
                               for c in range(st.C)))
            if name == "has":
                return self._per_element(arg, lambda i: X.has_bit(st.log[k], i))
            if name == "acked":
                if st.ackd is None:
                    return X.FALSE
                return self._per_element(arg, lambda i: X.has_bit(st.ackd[k], i))
            if name == "cut_from":
                return self._per_element(arg, lambda m: st.link_cut(k, m))
            if name == "has_noop":  # bit t-1 of noops: the no-op of term t (noop.py)
                noops = getattr(st, "noops", None)
                if noops is None:
                    return X.FALSE
                # not noop.term_mask: a term past the budget (a user's `has_noop(9)`) holds no no-op
                return X.or_(*(X.and_(X.eq(arg, X.const(t)), X.has_bit(noops[k], t - 1))
                               for t in range(1, noop.budget(st) + 1)))
            if name in ("flushed", "applied"):  # all of the log where positions are not tracked
                held = getattr(st, name, None)
                held = st.log[k] if held is None else held[k]
                return self._per_element(arg, lambda i: X.has_bit(held, i))
            return {
                "up": lambda: st.is_up(k),
                "crashed": lambda: X.not_(st.is_up(k)),
                "is_master": lambda: st.is_role(k, MASTER),
                "is_follower": lambda: st.is_role(k, FOLLOWER),
                "is_fenced": lambda: st.is_role(k, FENCED),
                "length": lambda: X.popcount(st.log[k]),
                "source": lambda: Ref("node", st.src[k]),
                "term": lambda: st.node_term(k),
                "sync_standby": lambda: (X.has_bit(st.sync_set, k) if getattr(st, "sync_set", None) is not None
                                         else X.FALSE),
                "acked_as_master": lambda: X.eq(st.wrote[k], X.const(1)),
                "noop_acked": lambda: (st.noop_acked[k] if getattr(st, "noop_acked", None) is not None
                                       else X.const(0)),
            }[name]()
        if kind == "write":
            s = st.wstatus[k]
            if name == "acked_by":  # to its master: the node's `acked(w)`
                return self._per_element(arg, lambda m: self._attr("node", m, "acked", Ref("write", X.const(k))))
            if name == "in_flight_to":  # a master ships its log: no copy of a write is in flight
                return self._per_element(arg, lambda _m: X.FALSE)
            waiting = getattr(st, "waiting", None)
            return {
                "issued": lambda: X.ne(s, X.const(W_NOT_SENT)),
                "pending": lambda: X.eq(s, X.const(W_PENDING)),
                "acked": lambda: X.eq(s, X.const(W_OK)),
                "failed": lambda: X.eq(s, X.const(W_ERROR)),
                "unanswered": lambda: X.or_(X.eq(s, X.const(W_LOST_DOWN)), X.eq(s, X.const(W_TIMED_OUT))),
                "node": lambda: Ref("node", st.wnode[k]),
                "client": lambda: X.add(st.wclient[k], X.const(1)),
                "term": lambda: st.wterm[k] if st.wterm is not None else X.const(0),
                "timed_out": lambda: X.eq(s, X.const(W_TIMED_OUT)),
                "waiting": lambda: (X.eq(waiting[k], X.const(1)) if waiting is not None
                                    else X.eq(s, X.const(W_PENDING))),
            }[name]()
        s = st.rstatus[k]
        if name == "saw":
            return self._per_element(arg, lambda i: X.has_bit(st.rseen[k], i))
        if name == "after_ack":
            return self._per_element(arg, lambda i: X.has_bit(st.racked[k], i))
        if name == "after_read":  # recorded only where a leaderless system checks linearizable
            reads_at = getattr(st, "rreads", None)
            return X.FALSE if reads_at is None else self._per_element(arg, lambda j: X.has_bit(reads_at[k], j))
        if name == "replied_by":  # a read answered in one step has no replies to collect
            return self._per_element(arg, lambda _m: X.FALSE)
        return {
            "issued": lambda: X.ne(s, X.const(R_NOT_SENT)),
            "ok": lambda: X.eq(s, X.const(R_OK)),
            "failed": lambda: X.eq(s, X.const(R_ERROR)),
            "unanswered": lambda: X.or_(X.eq(s, X.const(R_LOST_DOWN)), X.eq(s, X.const(R_TIMED_OUT))),
            "node": lambda: Ref("node", st.rnode[k]),
            "seen": lambda: X.popcount(st.rseen[k]),
            "client": lambda: X.add(st.rclient[k], X.const(1)),
            "timed_out": lambda: X.eq(s, X.const(R_TIMED_OUT)),
            "pending": lambda: X.FALSE,
        }[name]()
