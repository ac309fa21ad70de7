"""Candidate invariants from templates over the model's own vocabulary.

No lemma is written by hand and nothing here knows what the variables mean:
the vocabulary is the model's own atoms (every comparison its guards,
updates, properties and reachable conditions make, over one or two state
variables) and `x == c` for every variable x and value c of its domain.
The templates are
  counts    `at least k of these atoms hold`, for atoms of one shape over the
            variables of one family (the same test of every node);
  units     a literal (an atom or its negation) that holds in every state seen;
  clauses   `a or b` over two literals: implications between pairs of atoms
            (a write's status and where it is held, a role and a source,
            the order of two bits), and equivalences as two such clauses.
A candidate must hold in every state the explicit search reached (a
breadth-first sample, complete when the state space fits): one that fails in
a reachable state is dropped at once, by truth tables (one big integer per
literal, a bit per state), not by a solver.

Nothing here proves anything: Z3's Houdini loop (induction.houdini) keeps
the largest inductive subset, and only what Z3 then checks, as it checks a
user's lemmas, is what a proof may use. (A concrete Houdini pass before it,
on the neighbours of reachable states, cost as much as it saved on sync.cap
and was taken out.)

Candidates come in families, the same template with the variables of
another node or write (their names without the `[...]`): the report gives
one lemma per family, the conjunction of the members the proof used.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..ir import expr as X
from ..ir.expr import BOOL, Expr
from ..ir.model import Model, State
from ..ir.pycompile import compile_predicate, compile_successors, to_python

DEFAULT_SAMPLE = 50_000  # states of the explicit sample the candidates are filtered on
MAX_VALUES = 16  # `x == c` atoms only for variables with at most this many values


@dataclass(frozen=True)
class Candidate:
    expr: Expr  # a boolean IR condition
    family: tuple  # its template with variables named by family: members are reported together


def _variables(e: Expr, acc: set[int] | None = None) -> set[int]:
    acc = set() if acc is None else acc
    if e.op == "var":
        acc.add(e.args[0])
    for a in e.args:
        if isinstance(a, Expr):
            _variables(a, acc)
    return acc


def vocabulary(model: Model, sayable=None) -> list[Expr]:
    """The model's atoms over one or two variables, and `x == c` per variable value,
    in a fixed order (the model's, then the variables'); with `sayable`, only
    the atoms it accepts (those a lemma line can word)."""
    atoms: dict[Expr, None] = {}

    def walk(e: Expr) -> None:
        if e.op in ("eq", "lt", "le") or (e.op == "var" and e.type == BOOL):
            if 1 <= len(_variables(e)) <= 2:
                atoms.setdefault(e, None)
        for a in e.args:
            if isinstance(a, Expr):
                walk(a)

    for inst in model.instances():
        walk(inst.guard)
        for _, value in inst.updates:
            walk(value)
    for c in [*model.invariants, *model.reachables]:
        walk(c.expr)
    for i, v in enumerate(model.variables):
        if 1 < v.size <= MAX_VALUES:
            for c in range(v.size):
                atoms.setdefault(X.eq(X.var(i), X.const(c)), None)
    # counts against thresholds: atoms of one shape over one variable each (the
    # same test of every node's log, say) make a count, and `at least k of
    # them` is an atom for each k
    if sayable is not None:
        atoms = {a: None for a in atoms if sayable(a)}
    groups: dict[str, list[Expr]] = {}
    for atom in list(atoms):
        if len(_variables(atom)) == 1:
            groups.setdefault(shape(model, atom), []).append(atom)
    for members in groups.values():
        if len(members) > 1:
            count = X.sum_(members)
            for k in range(1, len(members) + 1):
                atoms.setdefault(X.le(X.const(k), count), None)
    return list(atoms)


def counted(e: Expr) -> tuple[int, list[Expr]] | None:
    """(k, atoms) when e is a count atom `at least k of atoms`, as vocabulary() makes them."""
    if e.op != "le" or e.args[0].op != "const":
        return None
    atoms, rest = [], e.args[1]
    while rest.op == "add":
        rest, last = rest.args
        if last.op != "b2i":
            return None
        atoms.append(last.args[0])
    if rest.op == "b2i":
        atoms.append(rest.args[0])
    elif rest != X.const(0):
        return None
    return e.args[0].args[0], atoms[::-1]


def _never() -> None:
    return None


def explore(model: Model, max_states: int = DEFAULT_SAMPLE, tick=_never) -> tuple[list[State], bool]:
    """Reachable states, breadth first, up to max_states; and whether that is all of them.
    `tick` is called now and then (a deadline's check, which raises when time is up)."""
    successors = compile_successors(model)
    seen = {model.initial_state: None}
    frontier = [model.initial_state]
    while frontier:
        nxt = []
        for n, s in enumerate(frontier):
            if n & 1023 == 0:
                tick()
            for _, t in successors(s):
                if t not in seen:
                    if len(seen) >= max_states:
                        return list(seen), False
                    seen[t] = None
                    nxt.append(t)
        frontier = nxt
    return list(seen), True


def _tables(exprs: list[Expr], states: list[State]) -> list[int]:
    """Each expression's truth table over the states: bit k is its value in states[k]."""
    if not exprs:
        return []
    row = eval(compile("lambda s: (" + "".join(f"'1' if {to_python(e)} else '0', " for e in exprs) + ")",
                       "<atoms>", "eval"), {})
    columns = zip(*[row(s) for s in reversed(states)])
    return [int("".join(c) or "0", 2) for c in columns]


def shape(model: Model, e: Expr) -> str:
    """e with each variable named by its family (`log[s1]` -> `log`)."""
    if e.op == "var":
        return model.variables[e.args[0]].name.split("[")[0]
    if e.op == "const":
        return str(e.args[0])
    return f"{e.op}({','.join(shape(model, a) for a in e.args)})"


def generate(model: Model, states: list[State], tick=_never, sayable=None) -> list[Candidate]:
    """Every unit and two-literal clause over the vocabulary that holds in all
    the states (non-empty; the initial state among them). Atoms with the same
    truth table are one class: its members are said equal (two clauses each)
    and only one of them enters the pairs."""
    everything = (1 << len(states)) - 1
    out: list[Candidate] = []
    classes: dict[int, Expr] = {}  # truth table -> the first atom with it
    atoms = vocabulary(model, sayable)
    tick()
    for atom, table in zip(atoms, _tables(atoms, states)):
        if table == everything:
            out.append(Candidate(atom, ("unit", shape(model, atom))))
        elif table == 0:
            neg = X.not_(atom)
            out.append(Candidate(neg, ("unit", shape(model, neg))))
        elif table in classes or (everything ^ table) in classes:
            same = table in classes
            rep = classes[table] if same else classes[everything ^ table]
            other = rep if same else X.not_(rep)
            for a, b in ((X.not_(atom), other), (atom, X.not_(other))):
                out.append(Candidate(X.or_(a, b), ("clause", *sorted((shape(model, a), shape(model, b))))))
        else:
            classes[table] = atom
    literals: list[tuple[Expr, int]] = []
    for table, atom in classes.items():
        literals.append((atom, table))
        literals.append((X.not_(atom), everything ^ table))
    # `a implies b` for literals a, b whose truth tables nest. Only the covering
    # pairs (no literal strictly between them) are kept: the rest follow by
    # chaining, so the set says as much with far fewer clauses (sync.cap: ...)
    above = []
    for u, (_, tu) in enumerate(literals):
        tick()
        mask = 0
        for v, (_, tv) in enumerate(literals):
            if u != v and tu & ~tv == 0:
                mask |= 1 << v
        above.append(mask)
    seen: set[frozenset] = set()
    for u, (a, _) in enumerate(literals):
        covers = above[u]
        rest = covers
        while rest:
            w = (rest & -rest).bit_length() - 1
            rest &= rest - 1
            covers &= ~above[w]
        while covers:
            v = (covers & -covers).bit_length() - 1
            covers &= covers - 1
            b = literals[v][0]
            clause = (X.not_(a), b)
            if frozenset(clause) in seen:
                continue
            seen.add(frozenset(clause))
            seen.add(frozenset((b, X.not_(a))))
            out.append(Candidate(X.or_(*clause), ("clause", *sorted(shape(model, x) for x in clause))))
    return out


def _conjunction(codes: list[str], cache: dict):
    """One compiled test: do all of these (Python source of conditions) hold in a state."""
    key = tuple(codes)
    if key not in cache:
        cache[key] = (eval(compile("lambda s: " + " and ".join(f"({c})" for c in codes), "<candidates>",
                                   "eval"), {}) if codes else (lambda s: True))
    return cache[key]


def failing_test(exprs: list[Expr]):
    """One compiled function: the indices of exprs false in a state."""
    if not exprs:
        return lambda s: []
    return eval(compile("lambda s: [i for i, ok in enumerate((" + "".join(f"{to_python(e)}, " for e in exprs)
                        + ")) if not ok]", "<failing>", "eval"), {})


def broken_after(start: State, successors, failing) -> set[int]:
    """What some step from `start` breaks (indices, as `failing` gives them)."""
    out: set[int] = set()
    for _, t in successors(start):
        out.update(failing(t))
    return out
