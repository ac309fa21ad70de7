"""Symmetry reduction: interchangeable elements (scalarsets), checked on the IR.

A library that builds a model (semantics/) may declare *scalarsets*: sets of
elements, such as nodes or clients, together with

* the arrays of variables indexed by an element (``up[n]`` for every node n),
  which a renaming of the elements moves, and
* the variables whose *values* name elements: an element index (``source[n]``)
  or a mask with one bit per element or per group of elements (``cut_links``).

Nothing here knows what a node is. This module

1. **checks** which renamings are automorphisms of the model, on the IR
   itself: a transposition of two elements is kept only when it maps the
   initial state to itself, every action instance to an instance of the model
   (guard and updates, after normal forms), and every checked condition to
   itself. The check follows Murphi's scalarset discipline: a value that names
   an element may be compared for equality, used as a mask bit, or counted,
   never ordered or added, so a model that breaks ties by index is refused
   symmetry rather than reduced wrongly. The kept transpositions generate the
   group: the full symmetric group of each connected class.
2. **canonicalises** a state: the lexicographically least image under the
   group (the identity included), so each orbit is stored once.
3. **realises** a path of canonical states as a real trace of the unreduced
   model, by replaying through the IR interpreter, so every counterexample is
   an honest run of the spec.

A declaration that the check refuses costs reduction, never soundness.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import factorial

from .expr import Expr
from .model import Condition, Model, State
from .pycompile import step

Label = tuple[tuple[str, int], ...]  # the elements a value or a bit stands for, sorted


@dataclass(frozen=True)
class Scalarset:
    name: str
    elements: tuple[str, ...]  # element names, for the report


@dataclass(frozen=True)
class ValueKind:
    """A variable's values (bits=False) or bits (bits=True) that stand for
    elements: labels[k] names the elements of value/bit k, or is () for one
    that names none (it never moves)."""

    bits: bool
    labels: tuple[Label, ...]


@dataclass
class Declaration:
    """What a model's builder declares; checked by `find_symmetry`."""

    sets: list[Scalarset]
    arrays: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # (set, variable per element)
    kinds: dict[int, ValueKind] = field(default_factory=dict)  # variable index -> what its values name
    candidates: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # (set, elements) to try


def index_kind(set_name: str, size: int, domain: int) -> ValueKind:
    """Values 0..size-1 name elements of the set; larger values name none."""
    return ValueKind(False, tuple(((set_name, v),) if v < size else () for v in range(domain)))


def mask_kind(labels: list[Label]) -> ValueKind:
    """Bit k stands for the elements labels[k] (one for a node mask, two for a link)."""
    return ValueKind(True, tuple(tuple(sorted(lab)) for lab in labels))


class Asymmetric(Exception):
    """The renaming does not map the model onto itself."""


# ------------------------------------------------------------ renamings
Renaming = dict[str, tuple[int, ...]]  # set -> new element of each element


def _map_label(label: Label, ren: Renaming) -> Label:
    return tuple(sorted((s, ren[s][e] if s in ren else e) for s, e in label))


@dataclass(frozen=True)
class StateMap:
    """A renaming as it acts on states: variable i moves to dest[i], its value through maps[i]."""

    dest: tuple[int, ...]
    maps: tuple  # None | ("table", tuple[int, ...]) | ("bits", tuple[int, ...])

    def apply(self, s: State) -> State:
        t = [0] * len(s)
        for i, v in enumerate(s):
            m = self.maps[i]
            if m is not None:
                if m[0] == "table":
                    v = m[1][v]
                else:
                    v = sum(1 << b for k, b in enumerate(m[1]) if v >> k & 1)
            t[self.dest[i]] = v
        return tuple(t)


def _state_map(decl: Declaration, n_vars: int, ren: Renaming) -> StateMap:
    dest = list(range(n_vars))
    for set_name, members in decl.arrays:
        if set_name in ren:
            for e, var_index in enumerate(members):
                dest[var_index] = members[ren[set_name][e]]
    maps: list = [None] * n_vars
    for i, kind in decl.kinds.items():
        where = {lab: k for k, lab in enumerate(kind.labels) if lab}
        moved = tuple(where[_map_label(lab, ren)] if lab else k for k, lab in enumerate(kind.labels))
        if moved != tuple(range(len(kind.labels))):
            maps[i] = ("bits" if kind.bits else "table", moved)
    return StateMap(tuple(dest), tuple(maps))


# ------------------------------------------------ renaming IR expressions
_PLAIN = ValueKind(False, ())  # a value that names nothing
_FREE = None  # a constant: it takes the kind of its context


def join_kinds(*kinds, error: type[Exception] | None = None):
    """The one kind of values compared or combined (None, _FREE, for constants
    only); two different kinds raise `error` (Asymmetric by default)."""
    found = _FREE
    for k in kinds:
        if k is _FREE:
            continue
        if found is _FREE:
            found = k
        elif k != found:
            raise (error or Asymmetric)("values of different kinds are compared or combined")
    return found


class _Renamer:
    """Rewrites an expression e into one whose value on the renamed state is
    the renamed value of e on the original state."""

    def __init__(self, decl: Declaration, smap: StateMap):
        self.kinds = decl.kinds
        self.smap = smap
        self.memo: dict[tuple[int, int], tuple[Expr, Expr]] = {}  # shared subterms are renamed once
        self.kinds_seen: dict[int, tuple] = {}
        self.moved_by_kind: dict[ValueKind, tuple[int, ...]] = {}  # a constant's renaming, once per kind

    def kind_of(self, e: Expr):
        hit = self.kinds_seen.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        kind = self._kind_of(e)
        self.kinds_seen[id(e)] = (e, kind)
        return kind

    def _kind_of(self, e: Expr):
        op, a = e.op, e.args
        if op == "const":
            return _FREE
        if op == "var":
            return self.kinds.get(a[0], _PLAIN)
        if op == "ite":
            return join_kinds(self.kind_of(a[1]), self.kind_of(a[2]))
        if op in ("band", "bor", "bdiff"):
            return join_kinds(self.kind_of(a[0]), self.kind_of(a[1]))
        return _PLAIN

    def value(self, kind, v: int) -> int:
        if kind is _FREE or kind == _PLAIN:
            return v
        moved = self._moved(kind)
        if kind.bits:
            if v >> len(moved):
                raise Asymmetric("a mask constant has bits that name no element")
            return sum(1 << moved[k] for k in range(len(moved)) if v >> k & 1)
        if v >= len(moved):
            raise Asymmetric("a constant lies outside its variable's domain")
        return moved[v]

    def _moved(self, kind: ValueKind) -> tuple[int, ...]:
        moved = self.moved_by_kind.get(kind)
        if moved is None:
            moved = self.moved_by_kind[kind] = self._find_moved(kind)
        return moved

    def _find_moved(self, kind: ValueKind) -> tuple[int, ...]:
        # the renamed kind is found through any variable of that kind
        for i, k in self.kinds.items():
            if k == kind:
                m = self.smap.maps[i]
                return m[1] if m is not None else tuple(range(len(kind.labels)))
        raise AssertionError("unknown kind")

    def rename(self, e: Expr, want=_FREE) -> Expr:
        key = (id(e), id(want))
        hit = self.memo.get(key)
        if hit is not None and hit[0] is e:
            return hit[1]
        renamed = self._rename(e, want)
        self.memo[key] = (e, renamed)
        return renamed

    def _rename(self, e: Expr, want) -> Expr:
        op, a = e.op, e.args
        if op == "const":
            return Expr("const", (self.value(want, a[0]),), e.type)
        if op == "var":
            join_kinds(want, self.kinds.get(a[0], _PLAIN))  # a variable of another kind: Asymmetric
            return Expr("var", (self.smap.dest[a[0]],), e.type)
        if op in ("eq", "ne"):
            k = join_kinds(self.kind_of(a[0]), self.kind_of(a[1]))
            return Expr(op, (self.rename(a[0], k), self.rename(a[1], k)), e.type)
        if op in ("lt", "le", "add", "sub", "lowbit"):
            k = join_kinds(want, *(self.kind_of(x) for x in a))
            if k not in (_FREE, _PLAIN):
                raise Asymmetric(f"'{op}' orders or adds values that name elements")
            return Expr(op, tuple(self.rename(x, _PLAIN) for x in a), e.type)
        if op in ("and", "or", "not", "b2i"):
            return Expr(op, tuple(self.rename(x, _PLAIN) for x in a), e.type)
        if op == "ite":
            k = join_kinds(want, self.kind_of(a[1]), self.kind_of(a[2]))
            return Expr(op, (self.rename(a[0], _PLAIN), self.rename(a[1], k), self.rename(a[2], k)), e.type)
        if op in ("band", "bor", "bdiff"):
            k = join_kinds(want, self.kind_of(a[0]), self.kind_of(a[1]))
            if k is not _FREE and k != _PLAIN and not k.bits:
                raise Asymmetric(f"'{op}' on values that name elements")
            return Expr(op, (self.rename(a[0], k), self.rename(a[1], k)), e.type)
        if op == "popcount":
            k = self.kind_of(a[0])
            if k is not _FREE and k != _PLAIN and not k.bits:
                raise Asymmetric("popcount of a value that names an element")
            return Expr(op, (self.rename(a[0], k),), e.type)
        raise Asymmetric(f"no renaming rule for the IR operator {op!r}")


# ------------------------------------------------------------ normal forms
_AC = ("and", "or", "add", "band", "bor")  # associative and commutative




class Normaliser:
    """Normal forms as interned integers: equal numbers mean equal functions
    of the state (the converse need not hold; a miss only costs reduction).
    Associative-commutative arguments are sorted by number, which is
    canonical because one table numbers the original and the renamed
    expressions alike; shared subterms are normalised once."""

    def __init__(self, sizes: list[int]):
        self.sizes = sizes
        self.ids: dict[tuple, int] = {}
        self.forms: list[tuple] = []
        self.memo: dict[int, tuple[Expr, int]] = {}  # id(expr) -> (expr kept alive, form)

    def intern(self, form: tuple) -> int:
        n = self.ids.get(form)
        if n is None:
            n = self.ids[form] = len(self.forms)
            self.forms.append(form)
        return n

    def __call__(self, e: Expr) -> int:
        hit = self.memo.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        n = self.intern(self._form(e))
        self.memo[id(e)] = (e, n)
        return n

    def _form(self, e: Expr) -> tuple:
        op, a = e.op, e.args
        if op in ("const", "var"):
            return (op, a[0])
        if op in _AC:
            flat = []
            stack = list(a)
            while stack:
                x = stack.pop()
                if x.op == op:
                    stack.extend(x.args)
                else:
                    flat.append(self(x))
            return (op, tuple(sorted(flat)))
        if op in ("eq", "ne"):
            return (op, tuple(sorted((self(a[0]), self(a[1])))))
        if op == "ite":
            case = self._case_table(e)
            if case is not None:
                return case
            test, then, other = (self(x) for x in a)
            inner = self.forms[other]
            if inner[0] == "ite" and inner[1][1] == then:
                # `a ? t : (b ? t : e)` is `(a or b) ? t : e`: a renaming may swap a and b
                return ("ite", (self._or(test, inner[1][0]), then, inner[1][2]))
        return (op, tuple(self(x) for x in a))

    def _or(self, *ns: int) -> int:
        flat = []
        for n in ns:
            form = self.forms[n]
            flat.extend(form[1] if form[0] == "or" else (n,))
        return self.intern(("or", tuple(sorted(flat))))

    def _case_table(self, e: Expr):
        """An ite chain that tests one variable against constants, as a table
        from each value of its domain to a branch: a chain and its renaming
        list the same cases in different orders."""
        table: dict[int, Expr] = {}
        scrutinee = None
        while e.op == "ite":
            test = _case_test(e.args[0])
            if test is None or (scrutinee is not None and test[0] != scrutinee):
                break
            scrutinee, v, positive = test
            # `x != v ? a : b` is `x == v ? b : a`
            hit, miss = (e.args[1], e.args[2]) if positive else (e.args[2], e.args[1])
            table.setdefault(v, hit)  # an earlier test of the same value wins
            e = miss
        if scrutinee is None or len(table) < 2 or self.sizes[scrutinee] > 64:
            return None
        rest = self(e)
        return ("case", scrutinee, tuple(self(table[v]) if v in table else rest
                                         for v in range(self.sizes[scrutinee])))

    def instance(self, guard: Expr, updates) -> tuple:
        return (self(guard), tuple(sorted((i, self(v)) for i, v in updates)))


def _case_test(c: Expr):
    """(variable, value, positive) when c is `var == const` or `var != const`."""
    if c.op in ("eq", "ne"):
        x, y = c.args
        if y.op == "var" and x.op == "const":
            x, y = y, x
        if x.op == "var" and y.op == "const":
            return x.args[0], y.args[0], c.op == "eq"
    return None


# ------------------------------------------------------------ the check
def _transposition(decl: Declaration, set_name: str, a: int, b: int) -> Renaming:
    size = len(next(s for s in decl.sets if s.name == set_name).elements)
    ren = list(range(size))
    ren[a], ren[b] = b, a
    return {set_name: tuple(ren)}


def _is_automorphism(model: Model, decl: Declaration, ren: Renaming, conditions: list[Condition],
                     norm: Normaliser, originals) -> str | None:
    """None when the renaming maps the model onto itself, else why not."""
    smap = _state_map(decl, len(model.variables), ren)
    init = model.initial_state
    if smap.apply(init) != init:
        return "the initial state tells them apart"
    renamer = _Renamer(decl, smap)
    try:
        for c in conditions:
            if norm(renamer.rename(c.expr)) != norm(c.expr):
                return f"{c.name} tells them apart"
        if norm(renamer.rename(model.done)) != norm(model.done):
            return "the end of the workload tells them apart"
        images: dict = {}
        for inst in model.instances():
            form = norm.instance(renamer.rename(inst.guard),
                                 [(smap.dest[i], renamer.rename(v, decl.kinds.get(i, _PLAIN)))
                                  for i, v in inst.updates])
            images[form] = images.get(form, 0) + 1
    except Asymmetric as why:
        return str(why)
    if images != originals:
        return "an action treats them differently"
    return None


@dataclass
class Symmetry:
    """The group found for one model and one set of checked conditions."""

    decl: Declaration
    classes: list[tuple[str, tuple[int, ...]]]  # interchangeable elements, per set
    perms: list[tuple[tuple[int, ...], tuple]]  # every non-identity group element as (dest, maps)
    refused: list[str]  # why some declared candidates are not interchangeable
    _canon: object = None
    _renamers: list | None = None

    @property
    def order(self) -> int:
        result = 1
        for _, members in self.classes:
            result *= factorial(len(members))
        return result

    def describe(self) -> list[str]:
        """The classes in words, e.g. 'nodes slave1, slave2 are interchangeable'."""
        names = {s.name: s.elements for s in self.decl.sets}
        return [f"{set_name} {', '.join(names[set_name][e] for e in members)} are interchangeable"
                for set_name, members in self.classes]

    def canon(self, s: State) -> State:
        return self._canon(s)

    def mirrors(self, model: Model, exprs: list[Expr]) -> list[list[int]]:
        """For each expression, the others among `exprs` that are its images
        (the same function of the state, by Normaliser's forms)."""
        norm = Normaliser([v.size for v in model.variables])
        where: dict[int, int] = {}
        for i, e in enumerate(exprs):
            where.setdefault(norm(e), i)
        return [sorted({where[n] for n in map(norm, self.images(e)) if n in where} - {i})
                for i, e in enumerate(exprs)]

    def missing_images(self, model: Model, exprs: list[Expr]) -> list[Expr] | None:
        """The images of the expressions that are not among them (one of each,
        by Normaliser's forms), in order: with them the set is closed under
        the group. None when some renaming cannot rename one of them."""
        norm = Normaliser([v.size for v in model.variables])
        forms = {norm(e) for e in exprs}
        out = []
        for e in exprs:
            images = self.images(e)
            if len(images) < len(self.perms):
                return None
            for image in images:
                form = norm(image)
                if form not in forms:
                    forms.add(form)
                    out.append(image)
        return out

    def images(self, e: Expr) -> list[Expr]:
        """e renamed by each element of the group but the identity (those that
        can rename it): in every state, e holds iff its image holds in the
        renamed state, so an image of an invariant is an invariant."""
        if self._renamers is None:
            self._renamers = [_Renamer(self.decl, StateMap(dest, maps)) for dest, maps in self.perms]
        out = []
        for renamer in self._renamers:
            try:
                out.append(renamer.rename(e))
            except Asymmetric:
                continue
        return out

    def realise(self, model: Model, path: list[tuple[int, State]]) -> list[tuple[int, State]]:
        """Turn a path of canonical states into a real run of the model: from
        the real state reached so far, take the first action instance (the
        recorded one first) whose successor lies in the next state's orbit."""
        if not path:
            return path
        real = [(path[0][0], path[0][1])]
        n = len(model.instances())
        for via, target in path[1:]:
            here = real[-1][1]
            for k in itertools.chain((via,), range(n)):
                t = step(model, k, here)
                if t is not None and self.canon(t) == target:
                    real.append((k, t))
                    break
            else:  # the symmetry check makes this impossible; say so loudly if it is not
                raise AssertionError("symmetry: a canonical step has no real counterpart")
        return real


def _compile_canon(perms, n_vars: int):
    """canon(s) = min(s, image1, image2, ...), generated once per model; the
    code holds only integers and tables of integers."""
    namespace: dict = {}
    images = []
    for p, (dest, maps) in enumerate(perms):
        slots = [""] * n_vars
        for i in range(n_vars):
            m = maps[i]
            if m is None:
                code = f"s[{i}]"
            elif m[0] == "table":
                name = f"T{p}_{i}"
                namespace[name] = m[1]
                code = f"{name}[s[{i}]]"
            elif len(m[1]) <= 12:
                name = f"T{p}_{i}"
                namespace[name] = tuple(sum(1 << b for k, b in enumerate(m[1]) if v >> k & 1)
                                        for v in range(1 << len(m[1])))
                code = f"{name}[s[{i}]]"
            else:
                code = "(" + " | ".join(f"(((s[{i}] >> {k}) & 1) << {b})" for k, b in enumerate(m[1])) + ")"
            slots[dest[i]] = code
        images.append("(" + ", ".join(slots) + ",)")
    source = "def canon(s):\n    return min((s, " + ", ".join(images) + "))\n"
    exec(compile(source, "<symmetry canon>", "exec"), namespace)
    return namespace["canon"]


def _group(decl: Declaration, classes, n_vars: int):
    """Every renaming the classes generate, the identity left out, in a fixed order."""
    per_class = []
    for set_name, members in classes:
        options = []
        for image in itertools.permutations(members):
            options.append((set_name, dict(zip(members, image))))
        per_class.append(options)
    perms = []
    sizes = {s.name: len(s.elements) for s in decl.sets}
    for combo in itertools.product(*per_class):
        ren: dict[str, list[int]] = {}
        for set_name, mapping in combo:
            row = ren.setdefault(set_name, list(range(sizes[set_name])))
            for e, image in mapping.items():
                row[e] = image
        renaming = {k: tuple(v) for k, v in ren.items()}
        if all(v == tuple(range(len(v))) for v in renaming.values()):
            continue
        smap = _state_map(decl, n_vars, renaming)
        perms.append((smap.dest, smap.maps))
    return perms


# Canonicalising enumerates the group, so its size is capped: a larger
# class is cut down to a subgroup (still sound: fewer states are merged).
MAX_GROUP = 120


def _capped(classes):
    """The classes cut down so that the group has at most MAX_GROUP elements,
    and a note for each element left apart."""
    kept, notes, order = [], [], 1
    for set_name, members in classes:
        m = len(members)
        while m > 1 and order * factorial(m) > MAX_GROUP:
            m -= 1
        if m > 1:
            kept.append((set_name, members[:m]))
            order *= factorial(m)
        if m < len(members):
            notes.append(f"{set_name} {len(members) - m} of {len(members)} interchangeable elements are "
                         f"kept apart (the group is capped at {MAX_GROUP})")
    return kept, notes


def find_symmetry(model: Model, conditions: list[Condition]) -> Symmetry | None:
    """The symmetry of the model for the given checked invariants (its
    reachable conditions are always checked too), or None when the builder
    declared none or no two elements are interchangeable."""
    decl = model.symmetry
    if decl is None:
        return None
    conditions = list(conditions) + [r for r in model.reachables if r not in conditions]
    norm = Normaliser([v.size for v in model.variables])
    originals: dict = {}
    for inst in model.instances():
        form = norm.instance(inst.guard, inst.updates)
        originals[form] = originals.get(form, 0) + 1
    classes, refused = [], []
    for set_name, members in decl.candidates:
        # union-find over the transpositions that pass: each component is a class
        parent = {e: e for e in members}

        def root(e):
            while parent[e] != e:
                e = parent[e]
            return e

        names = next(s for s in decl.sets if s.name == set_name).elements
        for a, b in itertools.combinations(members, 2):
            if root(a) == root(b):
                continue  # already generated by the transpositions kept
            why = _is_automorphism(model, decl, _transposition(decl, set_name, a, b), conditions,
                                   norm, originals)
            if why is None:
                parent[root(b)] = root(a)
            elif len(refused) < 8:
                refused.append(f"{set_name} {names[a]} and {names[b]}: {why}")
        groups: dict[int, list[int]] = {}
        for e in members:
            groups.setdefault(root(e), []).append(e)
        classes += [(set_name, tuple(g)) for g in groups.values() if len(g) > 1]
    if not classes:
        return None
    classes, left_apart = _capped(classes)
    if not classes:
        return None
    sym = Symmetry(decl, classes, [], refused + left_apart)
    sym.perms = _group(decl, classes, len(model.variables))
    sym._canon = _compile_canon(sym.perms, len(model.variables))
    return sym
