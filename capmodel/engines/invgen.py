"""Candidate invariants from templates over the model's own vocabulary.

No lemma is written by hand and nothing here knows what the variables mean:
the vocabulary is the model's own atoms (every comparison its guards,
updates, properties and reachable conditions make, over one or two state
variables) and `x == c` for every variable x and value c of its domain.
The templates are
  counts    `at least k of these atoms hold`, for atoms of one shape over the
            variables of one family (the same test of every node);
  quorums   bits of the sets the model treats bitwise, and counts of
            conjunctions `at least k members with flag f and test t` (a node
            up and holding write j): quorum_vocabulary;
  units     a literal (an atom or its negation) that holds in every state seen;
  clauses   `a or b` over two literals: implications between pairs of atoms
            (a write's status and where it is held, a role and a source,
            the order of two bits), and equivalences as two such clauses.
A candidate must hold in every state the explicit search reached (a
breadth-first sample, complete when the state space fits, and random walks
to deeper states when it is not): one that fails in a reachable state is
dropped at once, by truth tables (one big integer per literal, a bit per
state), not by a solver.

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
import math
from dataclasses import dataclass

from ..ir import expr as X
from ..ir.cone import variables_read
from ..ir.expr import BOOL, Expr, subterms
from ..ir.model import Model, State
from ..ir.pycompile import compile_successors, to_python
from . import truth_tables
from .invgen_member_sets import member_set_vocabulary, owner_pairs
from .invgen_places import places_vocabulary

DEFAULT_SAMPLE = 50_000  # states of the explicit sample the candidates are filtered on
MAX_VALUES = 16  # `x == c` atoms only for variables with at most this many values


@dataclass(frozen=True)
class Candidate:
    expr: Expr  # a boolean IR condition
    family: tuple  # its template with variables named by family: members are reported together


def vocabulary(model: Model, sayable=None) -> list[Expr]:
    """The model's atoms over one or two variables, `x == c` per variable value,
    counts, then the quorum atoms (quorum_vocabulary), in a fixed order; with
    `sayable`, only the atoms it accepts (those a lemma line can word)."""
    return [a for tier in all_tiers(model, sayable) for a in tier]


def all_tiers(model: Model, sayable=None) -> list[list[Expr]]:
    """tiers(), then the atoms over sets whose bits stand for members of
    another family (invgen_member_sets) and the places a bit comes from
    (invgen_places): a tier of their own, so that the clauses of the first
    two are what they were without it. Only with every atom (no `sayable`):
    these atoms are counts of compound tests, which seldom have a wording
    and cost a rendering each to ask (cassandra_read_repair_blocking: 1 s)."""
    base, quorum = tiers(model, sayable)
    if sayable is not None:
        return [base, quorum, []]
    seen = set(base) | set(quorum)
    sets = member_set_vocabulary(model, base + quorum, shape) + places_vocabulary(model, _masks(model))
    return [base, quorum, [a for a in dict.fromkeys(sets) if a not in seen]]


def tiers(model: Model, sayable=None) -> tuple[list[Expr], list[Expr]]:
    """The vocabulary in two parts: the atoms of the first templates, and the
    quorum atoms (bits of sets, counts of conjunctions) added after them.
    generate() keeps every clause of the first part that it kept before the
    second existed: more atoms never lose a proof (see generate)."""
    atoms: dict[Expr, None] = {}
    for e in _model_exprs(model):
        for x in subterms(e):
            test = x.op in ("eq", "lt", "le") or (x.op == "var" and x.type == BOOL)
            if test and 1 <= len(variables_read(x, set())) <= 2:
                atoms.setdefault(x, None)
    own = list(atoms)  # the model's own tests, before the enumerations below
    for i, v in enumerate(model.variables):
        if 1 < v.size <= MAX_VALUES:
            for c in range(v.size):
                atoms.setdefault(X.eq(X.var(i), X.const(c)), None)
    if sayable is not None:
        atoms = {a: None for a in atoms if sayable(a)}
    # counts against thresholds: atoms of one shape over one variable each (the
    # same test of every node's log, say) make a count, and `at least k of
    # them` is an atom for each k
    for members in _groups(model, atoms):
        _add_counts(atoms, members)
    base = list(atoms)
    quorum = quorum_vocabulary(model, own, sayable)
    return base, [a for a in quorum if a not in atoms]


def quorum_vocabulary(model: Model, own: list[Expr], sayable=None) -> list[Expr]:
    """Atoms for quorum reasoning ("an acknowledged write is on at least k
    nodes that are up"), still from the model's own vocabulary only:
      bits    for a variable the model treats as a set of bits (an operand of
              a bitwise operation), `bit j of x is set` for each j: the same
              test of every member of its family (is write j in this log);
      counts  `at least k of them` over the bits of one position, and counts
              of conjunctions, `at least k members i with f(i) and t(i)`: a
              flag f of one family set (a node is up) and t one of the
              model's own tests or a bit on another family with the same
              members (that node's log holds write j).
    Only flags (two-valued variables tested for the value 1) pair with tests,
    which keeps the new atoms to a few per pair of families."""
    tests: dict[Expr, None] = dict.fromkeys(own)
    for i in sorted(_masks(model)):
        width = model.variables[i].size.bit_length() - 1
        if model.variables[i].size == 1 << width:
            for j in range(width):
                tests.setdefault(X.has_bit(X.var(i), j), None)
    if sayable is not None:
        tests = {a: None for a in tests if sayable(a)}
    atoms: dict[Expr, None] = {a: None for a in tests if a not in own}
    groups = _groups(model, tests)
    for members in groups:
        if not any(a in own for a in members):  # the bits: the model's own counts come first
            _add_counts(atoms, members)
    flags = [m for m in groups if all(_is_set_flag(model, a) for a in m)]
    for flag in flags:
        by_member = {_member(model, a): a for a in flag}
        for test in groups:
            members = [_member(model, a) for a in test]
            if (len(set(members)) != len(members) or set(members) != set(by_member)
                    or _family(model, flag[0]) == _family(model, test[0])):
                continue
            _add_counts(atoms, [X.and_(by_member[m], a) for m, a in zip(members, test)])
    return list(atoms)


def _groups(model: Model, atoms) -> list[list[Expr]]:
    """Atoms over one variable each, grouped by shape (the same test of every
    member of a family); groups of one left out."""
    groups: dict[str, list[Expr]] = {}
    for atom in atoms:
        if len(variables_read(atom, set())) == 1:
            groups.setdefault(shape(model, atom), []).append(atom)
    return [members for members in groups.values() if len(members) > 1]


def _add_counts(atoms: dict, members: list[Expr]) -> None:
    count = X.sum_(members)
    for k in range(1, len(members) + 1):
        atoms.setdefault(X.le(X.const(k), count), None)


def _masks(model: Model) -> set[int]:
    """The variables that some bitwise operation of the model takes as an operand."""
    return {a.args[0] for e in _model_exprs(model) for x in subterms(e)
            if x.op in ("band", "bor", "bdiff", "lowbit", "popcount") for a in x.args if a.op == "var"}


def _model_exprs(model: Model):
    """Every expression the model is made of: guards, updates, properties, reachable conditions."""
    for inst in model.instances():
        yield inst.guard
        for _, value in inst.updates:
            yield value
    for c in [*model.invariants, *model.reachables]:
        yield c.expr


def _only_variable(e: Expr) -> int:
    (i,) = variables_read(e, set())
    return i


def _member(model: Model, atom: Expr) -> str:
    """Which member of its family an atom over one variable tests (`up[s1]` -> `s1`)."""
    name = model.variables[_only_variable(atom)].name
    return name[name.find("["):] if "[" in name else ""


def _family(model: Model, atom: Expr) -> str:
    return model.variables[_only_variable(atom)].name.split("[")[0]


def _is_set_flag(model: Model, atom: Expr) -> bool:
    """`x == 1` (or a boolean x) for a two-valued x."""
    if atom.op == "var":
        return True
    return (atom.op == "eq" and atom.args[0].op == "var" and atom.args[1] == X.const(1)
            and model.variables[atom.args[0].args[0]].size == 2)


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


# Up to this many action instances the C search (engines/compiled.py), compiler
# run included, explores a large state space faster than the Python one:
# raft_linearizable (112 instances, 452,000 states) 0.5 s to compile and 0.5 s
# to search and unpack, against 2.5 s in Python; sync at 7 nodes x 6 writes
# (512 instances) 11.3 s to compile, against 7.0 s in Python for 500,000 states.
COMPILED_UP_TO = 200


def explore_all(model: Model, max_states: int, tick=_never) -> tuple[list[State], bool]:
    """explore(), in C where that is quicker and a compiler is at hand: the
    same states in the same order (compiled.reachable_states)."""
    from . import compiled  # here: only a search this large needs it

    if len(model.instances()) <= COMPILED_UP_TO and compiled.available() is None:
        try:
            return compiled.reachable_states(model, max_states, tick)
        except (compiled.CompileError, compiled.Unsupported, MemoryError):
            pass  # the Python search can run whatever C cannot
    return explore(model, max_states, tick)


WALKS, WALK_DEPTH = 400, 60  # random walks that add deep states to a sample that is not complete


def walk_states(model: Model, walks: int = WALKS, depth: int = WALK_DEPTH, seed: int = 0, tick=_never) -> list[State]:
    """States of random walks from the initial state (a fixed seed: the same
    states every run), each `depth` steps or until no step is enabled. They are
    reachable, so they filter candidates as soundly as the breadth-first
    sample does, and they reach the deep states that sample stops short of
    (at 7 nodes x 6 writes it ends at depth 6 or so of more than 20)."""
    import random

    rng = random.Random(seed)
    successors = compile_successors(model)
    out: dict[State, None] = {}
    for n in range(walks):
        if n & 15 == 0:
            tick()
        s = model.initial_state
        for _ in range(depth):
            nxt = successors(s)
            if not nxt:
                break
            s = rng.choice(nxt)[1]
            out.setdefault(s, None)
    return list(out)


def survivors(candidates: list[Candidate], states: list[State], tick=_never) -> list[Candidate]:
    """The candidates that hold in every one of the states."""
    if not states:
        return candidates
    failing = failing_test([c.expr for c in candidates])
    broken: set[int] = set()
    for n, s in enumerate(states):
        if n & 1023 == 0:
            tick()
        broken.update(failing(s))
    return [c for i, c in enumerate(candidates) if i not in broken]


MAX_ASSIGNMENTS = 4_096  # the most assignments of a candidate's variables tried to see it is always true


def always_true(model: Model, candidates: list[Candidate], tick=_never) -> set[int]:
    """The candidates true in every assignment of the variables they read,
    within the variables' domains (`x != 0 or x != 1`; a count of nodes
    holding a write or not holding it): they say nothing a proof that
    assumes the domains could use. Found by trying every assignment, the
    candidates over the same variables together; those over more than
    MAX_ASSIGNMENTS assignments are not tried (kept)."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, c in enumerate(candidates):
        groups.setdefault(tuple(sorted(variables_read(c.expr, set()))), []).append(i)
    out: set[int] = set()
    base = list(model.initial_state)
    tried = 0
    for reads, members in groups.items():
        sizes = [model.variables[v].size for v in reads]
        if math.prod(sizes) > MAX_ASSIGNMENTS:
            continue
        tried += math.prod(sizes)
        if tried >= MAX_ASSIGNMENTS:  # a step of the work budget per so many assignments
            tried = 0
            tick()
        failing = failing_test([candidates[i].expr for i in members])
        broken: set[int] = set()
        state = list(base)
        for values in itertools.product(*map(range, sizes)):
            for v, x in zip(reads, values):
                state[v] = x
            broken.update(failing(tuple(state)))
            if len(broken) == len(members):
                break
        out.update(m for k, m in enumerate(members) if k not in broken)
    return out


def shape(model: Model, e: Expr) -> str:
    """e with each variable named by its family (`log[s1]` -> `log`)."""
    if e.op == "var":
        return model.variables[e.args[0]].name.split("[")[0]
    if e.op == "const":
        return str(e.args[0])
    return f"{e.op}({','.join(shape(model, a) for a in e.args)})"


def generate(model: Model, states: list[State], tick=_never, sayable=None, tables: dict | None = None,
             pointers: bool = False, within: set[int] | None = None) -> list[Candidate]:
    """Every unit and two-literal clause over the vocabulary that holds in all
    the states (non-empty; the initial state among them). Atoms with the same
    truth table are one class: its members are said equal (two clauses each)
    and only one of them enters the pairs. `tables`: atom -> truth table on
    these same states, filled here and read by a later call (the second stage
    of z3_lemmas asks again for a superset of the atoms). `pointers`, for a
    smaller instance whose candidates are renamed into a larger one
    (invgen_small): the three-literal clauses through a pointer too
    (invgen_pointers), and no count `at least k of n` with k < n: "2 of 3
    nodes" renamed is "2 of these 3" at 7 nodes, no majority, where "all 3"
    renamed over every 3 is "all 7"; nor `x == c` for a set x (a log that is
    exactly {w1, w2}: at 6 writes the same constant says {w1, w2} and
    nothing else), whose bits are atoms of their own, nor the size of a set
    against 2 or more (_size_count). `within`: only atoms over these
    variables (the properties' cone, cti_blocking.update_cone)."""
    everything = (1 << len(states)) - 1
    out: list[Candidate] = []
    classes: dict[int, Expr] = {}  # truth table -> the first atom with it
    levels = all_tiers(model, sayable)
    if pointers:  # for renaming into a larger instance (see above)
        masks = _masks(model)
        levels = [[a for a in tier if not _partial_count(a) and not _mask_value(a, masks) and not _size_count(a)]
                  for tier in levels]
    if within is not None:
        levels = [[a for a in tier if variables_read(a, set()) <= within] for tier in levels]
    atoms = [a for tier in levels for a in tier]
    level = {a: n for n, tier in reversed(list(enumerate(levels))) for a in tier}
    tick()
    tables = {} if tables is None else tables
    missing = [a for a in atoms if a not in tables]
    tables.update(zip(missing, truth_tables.tables(missing, states, tick)))
    for atom, table in ((a, tables[a]) for a in atoms):
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
    in_tier = [0] * len(levels)  # bits of the literals whose atom is of each tier
    for table, atom in classes.items():
        in_tier[level[atom]] |= 0b11 << len(literals)
        literals.append((atom, table))
        literals.append((X.not_(atom), everything ^ table))
    # `a implies b` for literals a, b whose truth tables nest. Only the covering
    # pairs (no literal strictly between them) are kept: the rest follow by
    # chaining, so the set says as much with far fewer clauses (sync.cap: 1,220
    # -> 390). But a chain through a literal whose own clauses are not
    # inductive loses the pair it replaced, so the pairs of the first tier are
    # those covering within it alone (what they were before the quorum atoms
    # existed: no proof found then is lost), and the pairs with an atom of a
    # later tier at either end those covering among the literals of that tier
    # and the ones before it.
    above = []
    for u, (_, tu) in enumerate(literals):
        tick()
        mask = 0
        for v, (_, tv) in enumerate(literals):
            if u != v and tu & ~tv == 0:
                mask |= 1 << v
        above.append(mask)
    seen: set[frozenset] = set()
    clauses = []
    within = 0
    for n, this in enumerate(in_tier):
        lower = within
        within |= this
        if not this:
            continue
        last = n == len(in_tier) - 1
        for u, (a, _) in enumerate(literals):
            if not within >> u & 1 or (last and not this >> u & 1):
                continue
            covers = above[u] & (lower if last else within)
            rest = covers
            while rest:
                w = (rest & -rest).bit_length() - 1
                rest &= rest - 1
                covers &= ~above[w]
            if not last:
                covers &= within if this >> u & 1 else this
            while covers:
                v = (covers & -covers).bit_length() - 1
                covers &= covers - 1
                clauses.append((a, literals[v][0]))
    clauses += owner_pairs(model, literals, in_tier[-1], _member)
    for a, b in clauses:
        clause = (X.not_(a), b)
        if frozenset(clause) in seen:
            continue
        seen.add(frozenset(clause))
        seen.add(frozenset((b, X.not_(a))))
        out.append(Candidate(X.or_(*clause), ("clause", *sorted(shape(model, x) for x in clause))))
    if pointers:
        from .invgen_pointers import pointer_clauses

        out += pointer_clauses(model, atoms, tables, everything, tick)
    return out


def _mask_value(atom: Expr, masks: set[int]) -> bool:
    """`x == c` for a variable x the model treats as a set of bits."""
    return atom.op == "eq" and atom.args[0].op == "var" and atom.args[0].args[0] in masks \
        and atom.args[1].op == "const"


def _size_count(atom: Expr) -> bool:
    """A number of bits of a set compared with a constant of 2 or more (`a log
    holds 2 writes`: all of them at 2 writes, not at 6); 0 and 1 (empty,
    some) say the same at any size."""
    if atom.op not in ("eq", "ne", "lt", "le"):
        return False
    a, b = atom.args
    return any(x.op == "popcount" for x in (a, b)) and any(x.op == "const" and x.args[0] >= 2 for x in (a, b))


def _partial_count(atom: Expr) -> bool:
    """A count `at least k of n atoms` with k < n."""
    found = counted(atom)
    return found is not None and found[0] < len(found[1])


def failing_test(exprs: list[Expr]):
    """One compiled function: the indices of exprs false in a state."""
    if not exprs:
        return lambda s: []
    return eval(compile("lambda s: [i for i, ok in enumerate((" + "".join(f"{to_python(e)}, " for e in exprs)
                        + ")) if not ok]", "<failing>", "eval"), {})

