"""Candidate atoms: "bit i is in X, or in one of the places X takes it from".

A set variable X (a replica's version, as bits) gets bit i from places the
model's steps name: another set variable Y a step copies into X (`X := Y`,
`X := newer of X and Y`), or a constant bit a step writes into X while a
bit of another set is in its guard (a message in flight: `X := bit i` when
bit t of F is set). What holds of such a variable is often that the bit has
not vanished: it is in X or still on its way, in one of those places. For
every set variable X and bit i this module makes the atom
    at least 1 of:  bit i of X,  bit i of each Y,  each guard bit
read off the steps (the values an update may assign: the branches of its
if-then-else), never from names or meanings. The atoms join invgen's third
tier (invgen.all_tiers); candidates over them are filtered and proved like
every other one.
"""
from __future__ import annotations

from ..ir import expr as X
from ..ir.expr import Expr
from ..ir.model import Model
from .invgen_member_sets import is_bit


def places_vocabulary(model: Model, masks: set[int]) -> list[Expr]:
    """`at least 1 of` the places of each bit of each set variable (`masks`:
    those the model treats bitwise), in a fixed order."""
    # X -> its sources: ("var", Y), or ("bit", a guard bit, the constant bit it lets in)
    sources: dict[int, dict[tuple, None]] = {}
    for inst in model.instances():
        guard_bits = [b for b in _conjuncts(inst.guard) if is_bit(b)]
        for target, value in inst.updates:
            if target not in masks:
                continue
            for leaf in _assigned(value):
                if leaf.op == "var" and leaf.args[0] != target and leaf.args[0] in masks:
                    sources.setdefault(target, {})[("var", leaf)] = None
                elif leaf.op == "const" and leaf.args[0] > 0 and not leaf.args[0] & (leaf.args[0] - 1):
                    for b in guard_bits:
                        sources.setdefault(target, {})[("bit", b, leaf.args[0].bit_length() - 1)] = None
    out: dict[Expr, None] = {}
    for target in sorted(sources):
        width = model.variables[target].size.bit_length() - 1
        for i in range(width):
            places = [X.has_bit(X.var(target), i)]
            for src in sources[target]:
                if src[0] == "var":
                    places.append(X.has_bit(src[1], i))
                elif src[2] == i:
                    places.append(src[1])
            places = list(dict.fromkeys(places))
            # Only where some step lets the bit in from a guard bit (a message
            # on its way): with copies alone the count says where the bit may
            # have come from, which the quorum counts of a family's bits say
            # already (sync.cap: 2 atoms, and 10 % more time, for nothing). Two
            # places are a clause `a or b`, which invgen makes anyway.
            if len(places) > 2 and any(src[0] == "bit" and src[2] == i for src in sources[target]):
                out.setdefault(X.le(X.const(1), X.sum_(places)), None)
    return list(out)


def _assigned(e: Expr) -> list[Expr]:
    """The values an update may assign: the leaves of its if-then-else tree."""
    if e.op == "ite":
        return _assigned(e.args[1]) + _assigned(e.args[2])
    return [e]


def _conjuncts(e: Expr) -> list[Expr]:
    if e.op == "and":
        return [c for a in e.args for c in _conjuncts(a)]
    return [e]
