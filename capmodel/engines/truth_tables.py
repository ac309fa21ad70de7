"""Truth tables of conditions over a sample of states, as big integers (bit
k: the condition's value in states[k]): invgen filters and classes its
candidates with them, cti_blocking chooses its cubes with them.
"""
from __future__ import annotations

import itertools

from ..ir.cone import variables_read
from ..ir.expr import Expr
from ..ir.model import State
from ..ir.pycompile import to_python

MAX_COMBINATIONS = 4_096  # an atom is tabled value by value when its variables take at most this many


def tables(atoms: list[Expr], states: list[State], tick=lambda: None) -> list[int]:
    """Each atom's truth table over the states (bit k: its value in states[k]),
    built from the values of its variables: for each variable and value, the
    set of states where it has that value (one pass in C over a column of
    bytes), then for an atom the union over the combinations of its
    variables' values that make it true. At 452,000 states (raft_linearizable,
    351 atoms) this took 3.3 s against 58 s for one evaluation per state and
    atom (by_state), at 50,000 0.6 s against 6.8 s. Atoms whose variables
    take too many combinations are still evaluated state by state. `tick` is
    called per atom."""
    n = len(states)
    if not n:
        return [0] * len(atoms)
    values = list(zip(*states))  # one tuple per variable
    columns: dict[int, bytes] = {}
    masks: dict[tuple[int, int], int] = {}

    def mask(i: int, v: int) -> int:
        if (i, v) not in masks:
            if i not in columns:
                columns[i] = bytes(values[i])
            hit = bytes.maketrans(bytes(range(256)), bytes(0x31 if b == v else 0x30 for b in range(256)))
            masks[(i, v)] = int(columns[i].translate(hit)[::-1], 2)
        return masks[(i, v)]

    highest: dict[int, int] = {}

    def top(i: int) -> int:
        if i not in highest:
            highest[i] = max(values[i])
        return highest[i]

    seen: dict[tuple, list] = {}

    def combinations(used: tuple) -> list:
        """The combinations of the variables' values to try: all of them when
        they are few, else those that occur in the states (shared by the
        atoms over the same variables, such as the counts of one family)."""
        if used not in seen:
            every = 1
            for i in used:
                every *= top(i) + 1
            seen[used] = (list(itertools.product(*(range(top(i) + 1) for i in used))) if every <= 256 else
                          sorted(set(zip(*(values[i] for i in used)))))
        return seen[used]

    out, slow = [], []
    for k, atom in enumerate(atoms):
        tick()
        used = sorted(variables_read(atom, set()))
        combos = combinations(tuple(used))
        if len(combos) > MAX_COMBINATIONS or any(top(i) > 255 for i in used):
            out.append(None)
            slow.append(k)
            continue
        test = eval(compile(f"lambda s: {to_python(atom)}", "<atom>", "eval"), {})
        table = 0
        for combo in combos:
            fake = dict(zip(used, combo))
            if test(_Row(fake)):
                part = (1 << n) - 1
                for i, v in fake.items():
                    part &= mask(i, v)
                    if not part:
                        break
                table |= part
        out.append(table)
    for k, table in zip(slow, by_state([atoms[k] for k in slow], states)):
        out[k] = table
    return out


def clause_tables(exprs: list[Expr], known: dict, states: list[State], tick=lambda: None) -> list[int]:
    """The truth table of each literal or clause (`or` of literals) over the
    states, from the tables of their atoms in `known` (atom -> table over
    these same states), which it fills with those it lacks, in one pass."""
    everything = (1 << len(states)) - 1
    split = [[(x, _atom(x)) for x in (e.args if e.op == "or" else (e,))] for e in exprs]
    missing = list(dict.fromkeys(a for parts in split for _, a in parts if a not in known))
    known.update(zip(missing, tables(missing, states, tick)))
    out = []
    for parts in split:
        table = 0
        for x, a in parts:
            table |= known[a] if x is a else everything ^ known[a]
        out.append(table)
    return out


def _atom(lit: Expr) -> Expr:
    """The atom of a literal: `not a` and `x != y` are its negation's."""
    if lit.op == "not":
        return lit.args[0]
    if lit.op == "ne":
        return Expr("eq", lit.args, lit.type)
    return lit


class _Row:
    """A state that knows only some variables' values (all an atom reads)."""

    def __init__(self, values: dict[int, int]) -> None:
        self.values = values

    def __getitem__(self, i: int) -> int:
        return self.values[i]


def by_state(exprs: list[Expr], states: list[State]) -> list[int]:
    """Each expression's truth table over the states (bit k: its value in
    states[k]), one evaluation per state and expression."""
    if not exprs:
        return []
    row = eval(compile("lambda s: (" + "".join(f"'1' if {to_python(e)} else '0', " for e in exprs) + ")",
                       "<atoms>", "eval"), {})
    columns = zip(*[row(s) for s in reversed(states)])
    return [int("".join(c) or "0", 2) for c in columns]
