"""Clauses through a pointer: what holds of the member a variable names.

A variable p[f] of member f whose value names another member m of the same
set (the model's symmetry declaration says so: ir/symmetry's kinds) joins an
atom of f with one of m:

    a(f) and p[f] == m  implies  b(m)              (three literals)
    a(f) and p[f] == m  implies  t(f) == t(m)      (two members agree on a test)

for a literal a over one variable of f, a literal b over one variable of m,
and t an atom of one shape over a variable of each (the same bit of both
logs). Units and two-literal clauses cannot say these ("an ack goes only to
a live master", "a follower that acked write w agrees with its source on
every write up to w"), and no count can: at 3 nodes a count over the nodes
stood in for them, which says nothing at 7.

Each clause is kept when it holds on every sampled state (truth tables) and
its premise is met in one of them, even where a shorter clause already says
it (p == m implies b): on a small instance the shorter one may hold by
accident (with 2 followers a source is always a master) and fail renamed,
where the longer one is what holds. Only the small instance of invgen_small asks for them:
there the states are few and all known, and the clauses, renamed over every
member, are what carries a proof from 3 nodes to 7. Nothing here is trusted:
Houdini keeps only what is inductive.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.cone import variables_read
from ..ir.expr import Expr
from ..ir.model import Model
from .invgen import Candidate, shape


def _owners(model: Model) -> dict[int, tuple[str, int]]:
    """Variable index -> (set, member) for every variable of a declared array."""
    decl = model.symmetry
    out: dict[int, tuple[str, int]] = {}
    for set_name, members in (decl.arrays if decl is not None else ()):
        for m, i in enumerate(members):
            out[i] = (set_name, m)
    return out


def pointer_clauses(model: Model, atoms: list[Expr], tables: dict, everything: int, tick=lambda: None
                    ) -> list[Candidate]:
    """The clauses above over the atoms (each with its truth table in
    `tables`, over the same states; `everything`: the table of true)."""
    decl = model.symmetry
    if decl is None:
        return []
    owners = _owners(model)
    by_member: dict[tuple[str, int], list[Expr]] = {}  # atoms over one variable of a member
    for a in atoms:
        read = variables_read(a, set())
        if len(read) == 1:
            (i,) = read
            if i in owners and tables[a] not in (0, everything):
                by_member.setdefault(owners[i], []).append(a)
    by_shape: dict[tuple, Expr] = {}  # (shape, member) -> atom
    for member, ats in by_member.items():
        for a in ats:
            by_shape.setdefault((shape(model, a), member), a)
    out: list[Candidate] = []
    seen: set = set()
    for p, (set_name, f) in sorted(owners.items()):
        kind = decl.kinds.get(p)
        if kind is None or kind.bits:
            continue
        for value, label in enumerate(kind.labels):
            if len(label) != 1 or label[0][0] != set_name or label[0][1] == f:
                continue
            m = label[0][1]
            ptr = X.eq(X.var(p), X.const(value))
            tp = tables.get(ptr)  # `x == c` for every value: in the vocabulary
            if tp is None or tp in (0, everything):
                continue
            tick()
            premises = _literals(by_member.get((set_name, f), []), tables, everything)
            targets = _literals(by_member.get((set_name, m), []), tables, everything)
            for a, ta in premises:
                if ta & tp == 0:  # a rules the pointer out: a shorter clause
                    continue
                both = ta & tp
                for b, tb in targets:
                    if both & ~tb & everything == 0:
                        _add(out, seen, model, X.or_(X.not_(a), X.ne(X.var(p), X.const(value)), b))
                for t in by_member.get((set_name, f), []):
                    other = by_shape.get((shape(model, t), (set_name, m)))
                    if other is None:
                        continue
                    agree = everything & ~(tables[t] ^ tables[other])
                    if both & ~agree & everything == 0:
                        _add(out, seen, model, X.or_(X.not_(a), X.ne(X.var(p), X.const(value)),
                                                     X.eq(X.b2i(t), X.b2i(other))))
    return out


def _literals(atoms: list[Expr], tables: dict, everything: int) -> list[tuple[Expr, int]]:
    out = []
    for a in atoms:
        out.append((a, tables[a]))
        out.append((X.not_(a), everything ^ tables[a]))
    return out


def _add(out: list, seen: set, model: Model, clause: Expr) -> None:
    if clause not in seen:
        seen.add(clause)
        out.append(Candidate(clause, ("pointer", shape(model, clause))))
