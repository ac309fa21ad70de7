"""A Z3 term over the state variables, evaluated in Python.

The lemma renderer (z3_chc._Renderer) words a leaf by its truth on every
value of its one or two variables: thousands of valuations for the hundreds
of lemmas a generated proof uses. Asking Z3 (substitute, then simplify) cost
0.2 ms each, 3 s of raft_majority's 25 s proof. Here each term is turned once
into a Python closure over its variables' values, for the operators the
IR's translation (z3_translate) makes; a term with any other operator is
not compiled (compile_term gives None) and the caller asks Z3 as before.

Bit-vectors are Python ints in [0, 2**width), as Z3's values are; the signed
operators read them in two's complement.
"""
from __future__ import annotations

from typing import Callable

import z3

Valuation = dict[int, int]  # state variable index -> value
Closure = Callable[[Valuation], object]  # bool for a boolean term, an int for a bit-vector


class Unsupported(Exception):
    """An operator with no rule here: the caller falls back to Z3."""


def _signed(v: int, width: int) -> int:
    return v - (1 << width) if v >> (width - 1) & 1 else v


def _nary(op):
    def make(args, _t):
        def run(env):
            return op([a(env) for a in args])
        return run
    return make


def _binary_bv(op):
    def make(args, t):
        mask = (1 << t.size()) - 1
        first, rest = args[0], args[1:]

        def run(env):
            out = first(env)
            for a in rest:
                out = op(out, a(env))
            return out & mask
        return run
    return make


def _compare(op, signed: bool):
    def make(args, t):
        if len(args) != 2:
            raise Unsupported(str(t.decl()))
        a, b = args
        if not signed:
            return lambda env: op(a(env), b(env))
        width = t.arg(0).size()
        return lambda env: op(_signed(a(env), width), _signed(b(env), width))
    return make


def _extract(args, t):
    hi, lo = t.params()
    (a,) = args
    mask = (1 << (hi - lo + 1)) - 1
    return lambda env: a(env) >> lo & mask


def _concat(args, t):
    widths = [t.arg(k).size() for k in range(t.num_args())]

    def run(env):
        out = 0
        for a, w in zip(args, widths):
            out = out << w | a(env)
        return out
    return run


def _sign_ext(args, t):
    (a,) = args
    width, out = t.arg(0).size(), (1 << t.size()) - 1
    return lambda env: _signed(a(env), width) & out


def _ite(args, _t):
    c, a, b = args
    return lambda env: a(env) if c(env) else b(env)


def _implies(args, _t):
    a, b = args
    return lambda env: (not a(env)) or b(env)


def _bnot(args, t):
    (a,) = args
    mask = (1 << t.size()) - 1
    return lambda env: ~a(env) & mask


def _distinct(args, _t):
    return lambda env: len({a(env) for a in args}) == len(args)


_RULES = {
    z3.Z3_OP_AND: _nary(all),
    z3.Z3_OP_OR: _nary(any),
    z3.Z3_OP_NOT: lambda args, _t: (lambda env: not args[0](env)),
    z3.Z3_OP_IMPLIES: _implies,
    z3.Z3_OP_XOR: lambda args, _t: (lambda env: bool(args[0](env)) != bool(args[1](env))),
    z3.Z3_OP_EQ: lambda args, _t: (lambda env: args[0](env) == args[1](env)),
    z3.Z3_OP_IFF: lambda args, _t: (lambda env: bool(args[0](env)) == bool(args[1](env))),
    z3.Z3_OP_DISTINCT: _distinct,
    z3.Z3_OP_ITE: _ite,
    z3.Z3_OP_BADD: _binary_bv(lambda a, b: a + b),
    z3.Z3_OP_BSUB: _binary_bv(lambda a, b: a - b),
    z3.Z3_OP_BMUL: _binary_bv(lambda a, b: a * b),
    z3.Z3_OP_BAND: _binary_bv(lambda a, b: a & b),
    z3.Z3_OP_BOR: _binary_bv(lambda a, b: a | b),
    z3.Z3_OP_BXOR: _binary_bv(lambda a, b: a ^ b),
    z3.Z3_OP_BNOT: _bnot,
    z3.Z3_OP_ULEQ: _compare(lambda a, b: a <= b, False),
    z3.Z3_OP_ULT: _compare(lambda a, b: a < b, False),
    z3.Z3_OP_UGEQ: _compare(lambda a, b: a >= b, False),
    z3.Z3_OP_UGT: _compare(lambda a, b: a > b, False),
    z3.Z3_OP_SLEQ: _compare(lambda a, b: a <= b, True),
    z3.Z3_OP_SLT: _compare(lambda a, b: a < b, True),
    z3.Z3_OP_SGEQ: _compare(lambda a, b: a >= b, True),
    z3.Z3_OP_SGT: _compare(lambda a, b: a > b, True),
    z3.Z3_OP_EXTRACT: _extract,
    z3.Z3_OP_CONCAT: _concat,
    z3.Z3_OP_SIGN_EXT: _sign_ext,
    z3.Z3_OP_ZERO_EXT: lambda args, _t: args[0],
}


def compile_term(t: z3.ExprRef, index: dict[int, int]) -> Closure | None:
    """t as a closure over a valuation of the state variables (`index`: a
    variable's Z3 id -> its index), or None when t has an operator with no
    rule here. The closure raises KeyError for a variable not in the valuation."""
    memo: dict[int, Closure] = {}
    try:
        return _compile(t, index, memo)
    except Unsupported:
        return None


def _compile(t: z3.ExprRef, index: dict[int, int], memo: dict[int, Closure]) -> Closure:
    key = t.get_id()
    if key in memo:
        return memo[key]
    if key in index:
        i = index[key]
        run: Closure = lambda env: env[i]  # noqa: E731
    elif z3.is_true(t) or z3.is_false(t):
        value = z3.is_true(t)
        run = lambda env: value  # noqa: E731
    elif z3.is_bv_value(t):
        number = t.as_long()
        run = lambda env: number  # noqa: E731
    else:
        rule = _RULES.get(t.decl().kind()) if z3.is_app(t) else None
        if rule is None:
            raise Unsupported(str(t.decl()))
        run = rule([_compile(c, index, memo) for c in t.children()], t)
    memo[key] = run
    return run
