"""Expressions of the IR: a small typed term language over finite-domain integers.

Every value is a non-negative integer (booleans are 0/1, sets of writes are bit
masks). The operator set is deliberately small so that each engine can give
it a meaning once: Python source for the explicit engine (ir/pycompile.py),
Z3 terms for the symbolic engine, and array operations for a future
vectorised engine. Constructors fold constants, so instantiated actions carry
no dead branches.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

BOOL = "bool"
INT = "int"

# op -> (result type, arity or None for n-ary). Documented in docs/semantics.md.
OPS: dict[str, tuple[str, int | None]] = {
    "const": (INT, 1),
    "var": (INT, 1),
    "add": (INT, 2),
    "sub": (INT, 2),
    "eq": (BOOL, 2),
    "ne": (BOOL, 2),
    "lt": (BOOL, 2),
    "le": (BOOL, 2),
    "and": (BOOL, None),
    "or": (BOOL, None),
    "not": (BOOL, 1),
    "ite": (INT, 3),  # its type is the type of its branches
    "band": (INT, 2),  # bitwise and
    "bor": (INT, 2),  # bitwise or
    "bdiff": (INT, 2),  # a & ~b: set difference of masks
    "lowbit": (INT, 1),  # x & -x: the lowest set bit (the next write in log order)
    "popcount": (INT, 1),  # number of set bits: the length of a log
    "b2i": (INT, 1),  # a boolean used as 0/1
}


@dataclass(frozen=True, slots=True)
class Expr:
    op: str
    args: tuple
    type: str

    def __repr__(self) -> str:  # compact, for debugging and the IR printer
        if self.op == "const":
            return str(self.args[0])
        if self.op == "var":
            return f"v{self.args[0]}"
        return f"{self.op}({', '.join(map(repr, self.args))})"


TRUE = Expr("const", (1,), BOOL)
FALSE = Expr("const", (0,), BOOL)


def const(value: int, type_: str = INT) -> Expr:
    if type_ == BOOL:
        return TRUE if value else FALSE
    return Expr("const", (int(value),), INT)


def var(index: int, type_: str = INT) -> Expr:
    return Expr("var", (index,), type_)


def is_const(e: Expr) -> bool:
    return e.op == "const"


def value_of(e: Expr) -> int:
    return e.args[0]


def _fold(op: str, args: tuple, type_: str, fn) -> Expr:
    if all(is_const(a) for a in args):
        return const(fn(*(value_of(a) for a in args)), type_)
    return Expr(op, args, type_)


def add(a: Expr, b: Expr) -> Expr:
    if is_const(b) and value_of(b) == 0:
        return a
    return _fold("add", (a, b), INT, lambda x, y: x + y)


def sub(a: Expr, b: Expr) -> Expr:
    return _fold("sub", (a, b), INT, lambda x, y: x - y)


def eq(a: Expr, b: Expr) -> Expr:
    if a == b:
        return TRUE
    return _fold("eq", (a, b), BOOL, lambda x, y: x == y)


def ne(a: Expr, b: Expr) -> Expr:
    return not_(eq(a, b))


def lt(a: Expr, b: Expr) -> Expr:
    return _fold("lt", (a, b), BOOL, lambda x, y: x < y)


def le(a: Expr, b: Expr) -> Expr:
    return _fold("le", (a, b), BOOL, lambda x, y: x <= y)


def gt(a: Expr, b: Expr) -> Expr:
    return lt(b, a)


def ge(a: Expr, b: Expr) -> Expr:
    return le(b, a)


def and_(*xs: Expr) -> Expr:
    flat: list[Expr] = []
    for x in xs:
        if x is FALSE or x == FALSE:
            return FALSE
        if x == TRUE:
            continue
        flat.extend(x.args if x.op == "and" else (x,))
    if not flat:
        return TRUE
    if len(flat) == 1:
        return flat[0]
    return Expr("and", tuple(flat), BOOL)


def or_(*xs: Expr) -> Expr:
    flat: list[Expr] = []
    for x in xs:
        if x == TRUE:
            return TRUE
        if x == FALSE:
            continue
        flat.extend(x.args if x.op == "or" else (x,))
    if not flat:
        return FALSE
    if len(flat) == 1:
        return flat[0]
    return Expr("or", tuple(flat), BOOL)


def not_(a: Expr) -> Expr:
    if is_const(a):
        return const(not value_of(a), BOOL)
    if a.op == "not":
        return a.args[0]
    if a.op == "eq":
        return Expr("ne", a.args, BOOL)
    if a.op == "ne":
        return Expr("eq", a.args, BOOL)
    return Expr("not", (a,), BOOL)


def implies(a: Expr, b: Expr) -> Expr:
    return or_(not_(a), b)


def ite(c: Expr, t: Expr, e: Expr) -> Expr:
    if is_const(c):
        return t if value_of(c) else e
    if t == e:
        return t
    return Expr("ite", (c, t, e), t.type)


def band(a: Expr, b: Expr) -> Expr:
    if (is_const(a) and value_of(a) == 0) or (is_const(b) and value_of(b) == 0):
        return const(0)
    return _fold("band", (a, b), INT, lambda x, y: x & y)


def bor(a: Expr, b: Expr) -> Expr:
    if is_const(a) and value_of(a) == 0:
        return b
    if is_const(b) and value_of(b) == 0:
        return a
    return _fold("bor", (a, b), INT, lambda x, y: x | y)


def bdiff(a: Expr, b: Expr) -> Expr:
    if is_const(b) and value_of(b) == 0:
        return a
    return _fold("bdiff", (a, b), INT, lambda x, y: x & ~y)


def lowbit(a: Expr) -> Expr:
    return _fold("lowbit", (a,), INT, lambda x: x & -x)


def popcount(a: Expr) -> Expr:
    return _fold("popcount", (a,), INT, lambda x: x.bit_count())


def b2i(a: Expr) -> Expr:
    if a.type == INT:
        return a
    return _fold("b2i", (a,), INT, int)


def subset(a: Expr, b: Expr) -> Expr:
    """Every bit of mask a is in mask b."""
    return eq(bdiff(a, b), const(0))


def has_bit(mask: Expr, bit: int) -> Expr:
    return ne(band(mask, const(1 << bit)), const(0))


def sum_(xs) -> Expr:
    return reduce(add, (b2i(x) for x in xs), const(0))


def select(index: Expr, options: list[Expr]) -> Expr:
    """options[index] for a finite-domain index: an ite chain."""
    result = options[-1]
    for i in range(len(options) - 2, -1, -1):
        result = ite(eq(index, const(i)), options[i], result)
    return result


def reduce_or(xs) -> Expr:
    """Bitwise or of many masks."""
    return reduce(bor, xs, const(0))


def subterms(e: Expr):
    """e and every expression inside it, e first (pre-order)."""
    yield e
    if e.op not in ("const", "var"):
        for a in e.args:
            yield from subterms(a)
