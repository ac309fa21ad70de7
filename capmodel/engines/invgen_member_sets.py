"""Candidate atoms over a set whose bits stand for the members of another family.

A model often keeps a set of members as bits of one variable S (bit j: the
j-th member), and a step that touches bit j also compares a variable T[j]
of that member with some other variable U (it adds j to S and folds T[j]
into U, say). What holds then is rarely "every member in S has T[j] <= U"
(T[j] may grow after j joined S) but a count:
    at least k members j with  f(T[j])  and  (j in S  implies  A_j)
where A_j is the step's own comparison of T[j] and U and f one of the
model's tests of T[j]. This module makes those counts as atoms, from the
model alone: which bit of S goes with which member is read off the steps
(the one comparison of a shape that the steps touching bit j make), never
from names or meanings. They join invgen's vocabulary as a tier of their
own (invgen.tiers), and a candidate over them is filtered and proved like
every other one.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.cone import variables_read
from ..ir.expr import Expr, subterms
from ..ir.model import Model

COMPARISONS = ("eq", "lt", "le")


def member_set_vocabulary(model: Model, atoms: list[Expr], shape) -> list[Expr]:
    """The count atoms above, for every set S and comparison shape the steps
    pair bit by bit; `atoms` are the vocabulary so far (the tests f come from
    it), `shape` invgen's naming of an expression by families."""
    out: dict[Expr, None] = {}
    tests = _tests_by_variable(model, atoms, shape)
    for s, members in _pairings(model, shape):
        common = set.intersection(*(variables_read(a, set()) for a in members.values()))
        if len(common) != 1:
            continue
        own = {j: (variables_read(a, set()) - common) for j, a in members.items()}
        if any(len(v) != 1 for v in own.values()):
            continue
        member_var = {j: next(iter(v)) for j, v in own.items()}
        bits = sorted(members)
        for polarity in (True, False):
            guarded = [X.implies(X.has_bit(X.var(s), j), members[j] if polarity else X.not_(members[j]))
                       for j in bits]
            _add_counts(out, guarded)
            # the same, for the members that also pass one of the model's tests of T[j]
            for test_shape in sorted(set.intersection(*(set(tests.get(member_var[j], {})) for j in bits))):
                _add_counts(out, [X.and_(tests[member_var[j]][test_shape], g) for j, g in zip(bits, guarded)])
    # "some member in S passes test f": S's bit j stands for the member whose
    # variable decides, in the step that fills S, whether bit j is set
    from .invgen import _member  # (invgen imports this module)

    by_member: dict[str, dict[str, Expr]] = {}
    for v, found in tests.items():
        for sh, a in found.items():
            by_member.setdefault(_member(model, a), {}).setdefault(sh, a)
    for s, members in _filled_by(model, _member):
        bits = sorted(members)
        for sh in sorted(set.intersection(*(set(by_member.get(members[j], {})) for j in bits))):
            some = [X.and_(X.has_bit(X.var(s), j), by_member[members[j]][sh]) for j in bits]
            out.setdefault(X.le(X.const(1), X.sum_(some)), None)
    _shared_member_counts(model, atoms, out, _member)
    return list(out)


def _shared_member_counts(model: Model, atoms: list[Expr], out: dict, member) -> None:
    """`at least k members m with flag f(m) and test t(m)`, where t is one of
    the model's own tests of a family with more members than f's (invgen's
    quorum atoms pair only families with the same members): `seen[r] == 1`
    and `status[r] == OK` over the reads, although writes have a status too."""
    from .invgen import _is_set_flag, _model_exprs, shape  # (invgen imports this module)

    own = {x for e in _model_exprs(model) for x in subterms(e)}
    groups: dict[str, dict[str, Expr]] = {}
    for a in atoms:
        if len(variables_read(a, set())) == 1:
            groups.setdefault(shape(model, a), {}).setdefault(member(model, a), a)
    for f in groups.values():
        if not all(_is_set_flag(model, a) for a in f.values()):
            continue
        for t in groups.values():
            if set(f) < set(t) and len(f) > 1 and all(t[m] in own for m in f):
                _add_counts(out, [X.and_(f[m], t[m]) for m in sorted(f)])


def _filled_by(model: Model, member):
    """(S, {j: member}) for every set S that some step fills bit by bit, bit j
    set under a condition on one variable (`if status[r_j] == OK then 2^j
    else 0`): that variable's member is bit j's. Bits with two members are
    left out; sets with fewer than two bits are."""
    found: dict[int, dict[int, set[str]]] = {}
    for inst in model.instances():
        for target, value in inst.updates:
            for x in subterms(value):
                if x.op != "ite" or x.args[2] != X.const(0) or x.args[1].op != "const":
                    continue
                c = x.args[1].args[0]
                read = variables_read(x.args[0], set())
                if c > 0 and not c & (c - 1) and len(read) == 1:
                    bit = c.bit_length() - 1
                    found.setdefault(target, {}).setdefault(bit, set()).add(member(model, X.var(next(iter(read)))))
    for s in sorted(found):
        members = {j: next(iter(m)) for j, m in sorted(found[s].items()) if len(m) == 1 and next(iter(m))}
        if len(members) > 1:
            yield s, members


def _add_counts(out: dict, members: list[Expr]) -> None:
    count = X.sum_(members)
    for k in range(1, len(members) + 1):
        out.setdefault(X.le(X.const(k), count), None)


def _tests_by_variable(model: Model, atoms: list[Expr], shape) -> dict[int, dict[str, Expr]]:
    """variable -> {shape: the first atom of that shape over it alone}, for
    the two kinds of test a count pairs with (as invgen's quorum atoms do):
    a bit of a set (`x & 2^i != 0`) and a flag set (`x == 1`, x two-valued).
    Other tests of the same variable mostly say the same on a sample (x == 1
    and bit 0 of x, for a one-bit x) and only add equivalences to check."""
    from .invgen import _is_set_flag  # (invgen imports this module)

    out: dict[int, dict[str, Expr]] = {}
    for a in atoms:
        read = variables_read(a, set())
        if len(read) == 1 and (is_bit(a) or _is_set_flag(model, a)):
            out.setdefault(next(iter(read)), {}).setdefault(shape(model, a), a)
    # a one-bit set's bit and its flag are one test: the bit stays
    for tests in out.values():
        if any(is_bit(a) for a in tests.values()):
            for sh in [sh for sh, a in tests.items() if not is_bit(a)]:
                del tests[sh]
    return out


def is_bit(a: Expr) -> bool:
    """`x & 2^i != 0`, as X.has_bit makes it."""
    return a.op == "ne" and a.args[1] == X.const(0) and bit_of(a.args[0]) is not None


def _pairings(model: Model, shape):
    """(S, {j: A_j}) for every set variable S and comparison shape such that
    the steps touching bit j of S (testing, adding or removing it) make
    exactly one comparison A_j of that shape over two other variables, for
    two bits j or more. In a fixed order."""
    seen: dict[tuple[int, int], dict[str, set[Expr]]] = {}
    for inst in model.instances():
        exprs = [inst.guard, *(value for _, value in inst.updates)]
        bits, comparisons = set(), []
        for e in exprs:
            for x in subterms(e):
                bit = bit_of(x)
                if bit is not None:
                    bits.add(bit)
                elif x.op in COMPARISONS and len(variables_read(x, set())) == 2:
                    comparisons.append(x)
        for s, j in bits:
            for a in comparisons:
                if s not in variables_read(a, set()):
                    seen.setdefault((s, j), {}).setdefault(shape(model, a), set()).add(a)
    by_set: dict[tuple[int, str], dict[int, Expr]] = {}
    for (s, j), shapes in sorted(seen.items()):
        for sh, found in sorted(shapes.items()):
            if len(found) == 1:
                by_set.setdefault((s, sh), {})[j] = next(iter(found))
    for (s, _), members in by_set.items():
        if len(members) > 1 and len(set(members.values())) == len(members):
            yield s, members


def bit_of(x: Expr) -> tuple[int, int] | None:
    """(S, j) for `S & 2^j` and the like: a bitwise operation of a variable and a one-bit constant."""
    if x.op not in ("band", "bor", "bdiff") or len(x.args) != 2:
        return None
    a, c = x.args
    if a.op != "var" or c.op != "const" or c.args[0] <= 0 or c.args[0] & (c.args[0] - 1):
        return None
    return a.args[0], c.args[0].bit_length() - 1


def owner_pairs(model: Model, literals: list[tuple[Expr, int]], mask: int, member) -> list[tuple[Expr, Expr]]:
    """`a implies b` for b a literal of these atoms (bit u of mask set) and a
    another literal of the same owner, whenever a's truth table lies within
    b's: every such pair, not only the covering ones. The owner of a literal
    over one variable is that variable's member (`seen[r2]`: r2); of a count
    here, the member of the variables every summand reads (`replied[r2]`,
    `seen[r2]`: r2). The counts are about the owner's sets, so the owner's
    own tests are what guard them, and a chain through a literal of another
    family (the covering pairs') loses the pair as soon as that literal's
    clause is not inductive. `literals`: (expression, truth table) as
    invgen.generate makes them; `member(model, atom)` names the member an
    atom over one variable tests."""
    owned: dict[str, list[int]] = {}
    for v, (a, _) in enumerate(literals):
        if mask >> v & 1:
            owners = {member(model, X.var(i)) for i in _common_variables(a)}
        elif len(variables_read(a, set())) == 1:
            owners = {member(model, a)}
        else:
            continue
        for m in sorted(o for o in owners if o):
            owned.setdefault(m, []).append(v)
    out = []
    for m, group in owned.items():
        for u in group:
            b, tb = literals[u]
            if not mask >> u & 1:
                continue
            for v in group:
                a, ta = literals[v]
                if v != u and ta & ~tb == 0:
                    out.append((a, b))
    return out


def _common_variables(e: Expr) -> set[int]:
    """The variables every summand of a count reads (e or its negation a count atom)."""
    while e.op == "not":
        e = e.args[0]
    summands, rest = [], e.args[1] if e.op == "le" else e
    while rest.op == "add":
        rest, last = rest.args
        summands.append(last)
    return set.intersection(*(variables_read(x, set()) for x in summands)) if summands else set()
