"""Candidates from a smaller instance of the same system, renamed to the full one.

Where the full model's state space is too big to sample well (7 nodes x 6
writes: millions of states), the lemmas of a proof are looked for on a
smaller instance built by the same library (Model.smaller: fewer nodes and
writes, the same spec otherwise), where the explicit search is complete and
the usual pipeline (z3_lemmas) finds a proof quickly. The candidates that
proof uses are then generalised ("invisible invariants", Pnueli et al.; what
Ivy and mypyvy users do by hand): each is renamed into the full model under
every map of the elements it mentions onto the full model's elements:

  interchangeable elements (a class of the small model's symmetry, ir/symmetry:
      the followers) go to any distinct elements of the same declared set
      that are not fixed;
  other elements that index variables (writes) keep their order: they go to
      any increasing choice of the full model's elements of the same kind
      (the same families of variables are indexed by them);
  everything else (the leader, a named node, a client, every constant that
      names no element) stays itself.

A variable `family[e]` becomes `family[image of e]`, and a constant becomes
the one that names the image of what it named (variables' encodings,
ir/encoding.py: a node index, a mask of writes, a mask of links), its kind
read from what it is compared or combined with, as ir/symmetry's renamer does.
Counts of atoms are renamed member by member. A candidate that mentions
something the full model lacks is left out.

Nothing here is trusted: a renamed candidate may be false or not inductive at
the full size (a count `at least 2 of 3 nodes` is no majority of 7); Z3's
Houdini at the full size (induction.houdini) drops it, and only the lemmas a
full-size check proves make a proof. This module only renames IR expressions;
it imports no solver.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..ir import expr as X
from ..ir.encoding import ENUMERATION, SET
from ..ir.expr import Expr
from ..ir.model import Model
from ..ir.symmetry import Normaliser, join_kinds
from .invgen import Candidate

_NAME = re.compile(r"\[([^\]]*)\]")
_FREE = None  # a constant's kind: that of its context


class Unmapped(Exception):
    """The renamed candidate would need something the full model lacks."""


def _split(name: str) -> tuple[str, tuple[str, ...]]:
    """`log[s1]` -> ("log", ("s1",)); `primary` -> ("primary", ())."""
    return name.split("[")[0], tuple(_NAME.findall(name))


@dataclass
class ElementMaps:
    """Which small elements move, and where they may go."""

    fixed: set[str]  # stay themselves
    classes: list[tuple[tuple[str, ...], tuple[str, ...]]]  # (small interchangeable elements, full targets)
    ordered: list[tuple[tuple[str, ...], tuple[str, ...]]]  # (small elements in order, full ones in order)

    def maps(self, mentioned: set[str]):
        """Every map (dict) of the mentioned movable elements to full-size
        ones: injective per class, increasing per ordered kind."""
        options = []
        for small, targets in self.classes:
            used = [e for e in small if e in mentioned]
            options.append([dict(zip(used, image)) for image in itertools.permutations(targets, len(used))])
        for small, targets in self.ordered:
            used = [e for e in small if e in mentioned]
            options.append([dict(zip(used, image)) for image in itertools.combinations(targets, len(used))])
        for combo in itertools.product(*options):
            phi: dict[str, str] = {}
            for part in combo:
                phi.update(part)
            yield phi


def element_maps(small: Model, full: Model, interchangeable: list[tuple[str, ...]]) -> ElementMaps:
    """The elements of the small model and where each may go in the full one.
    `interchangeable`: the small model's classes of interchangeable elements
    (its symmetry); their targets are the full model's elements of the same
    declared set, less the fixed ones."""
    moving = {e for cls in interchangeable for e in cls}
    declared_full = {s.name: s.elements for s in (full.symmetry.sets if full.symmetry else [])}
    declared_small = {e: s.name for s in (small.symmetry.sets if small.symmetry else []) for e in s.elements}
    small_kinds = _indexed_kinds(small)
    full_kinds = _indexed_kinds(full)
    fixed = {e for elements in small_kinds.values() for e in elements if e not in moving}
    fixed |= {e for e in declared_small if e not in moving}
    classes = []
    for cls in interchangeable:
        pool = declared_full.get(declared_small.get(cls[0], ""), ())
        classes.append((tuple(cls), tuple(e for e in pool if e not in fixed)))
    ordered = []
    for families, elements in small_kinds.items():
        if any(e in moving or e in declared_small for e in elements):
            continue
        ordered.append((tuple(elements), tuple(full_kinds.get(families, ()))))
        fixed -= set(elements)
    return ElementMaps(fixed, classes, ordered)


def _indexed_kinds(model: Model) -> dict[frozenset, list[str]]:
    """Elements that index variables, grouped by the families they index
    (a node indexes up, role, log...; a write status, node, term...), each
    group in the order its elements first appear."""
    families: dict[str, set[str]] = {}
    for v in model.variables:
        family, index = _split(v.name)
        for e in index:
            families.setdefault(e, set()).add(family)
    groups: dict[frozenset, list[str]] = {}
    for e, fams in families.items():
        groups.setdefault(frozenset(fams), []).append(e)
    return groups


class Renamer:
    """Renames IR expressions of the small model into the full model under an
    element map phi (small name -> full name; names not in it stay)."""

    def __init__(self, small: Model, full: Model) -> None:
        self.small, self.full = small, full
        self.full_index = {v.name: i for i, v in enumerate(full.variables)}
        self.parts = [_split(v.name) for v in small.variables]

    # -------------------------------------------------------------- kinds
    def kind_of(self, e: Expr):
        """The encoding a value of e has (an enumeration or a set), or _FREE."""
        op, a = e.op, e.args
        if op == "var":
            enc = self.small.variables[a[0]].encoding
            return enc if enc.kind in (ENUMERATION, SET) else _FREE
        if op == "ite":
            return _join(self.kind_of(a[1]), self.kind_of(a[2]))
        if op in ("band", "bor", "bdiff"):
            return _join(self.kind_of(a[0]), self.kind_of(a[1]))
        if op == "lowbit":
            return self.kind_of(a[0])
        return _FREE

    def _args(self, e: Expr, want):
        """(argument, kind it is renamed with) for each argument of e."""
        op, a = e.op, e.args
        if op in ("eq", "ne", "lt", "le"):
            k = _join(self.kind_of(a[0]), self.kind_of(a[1]))
            return [(a[0], k), (a[1], k)]
        if op == "ite":
            k = _join(want, self.kind_of(a[1]), self.kind_of(a[2]))
            return [(a[0], _FREE), (a[1], k), (a[2], k)]
        if op in ("band", "bor", "bdiff"):
            k = _join(want, self.kind_of(a[0]), self.kind_of(a[1]))
            return [(a[0], k), (a[1], k)]
        if op == "lowbit":
            return [(a[0], _join(want, self.kind_of(a[0])))]
        return [(x, self.kind_of(x)) for x in a]

    # ----------------------------------------------------------- mentions
    def mentions(self, e: Expr, want=_FREE, out: set[str] | None = None) -> set[str]:
        """The element names e depends on: indices of its variables, and what
        its constants name."""
        out = set() if out is None else out
        if e.op == "var":
            out.update(self.parts[e.args[0]][1])
        elif e.op == "const":
            if want is not _FREE:
                out.update(_flat(_names_of(want, e.args[0])))
        else:
            for x, k in self._args(e, want):
                self.mentions(x, k, out)
        return out

    # ------------------------------------------------------------- rename
    def rename(self, e: Expr, phi: dict[str, str], want=_FREE) -> Expr:
        """e renamed; raises Unmapped when the full model lacks a variable or value."""
        op, a = e.op, e.args
        if op == "var":
            family, index = self.parts[a[0]]
            name = family + "".join(f"[{phi.get(x, x)}]" for x in index)
            j = self.full_index.get(name)
            if j is None:
                raise Unmapped(name)
            return Expr("var", (j,), e.type)
        if op == "const":
            if want is _FREE:
                return e
            return Expr("const", (self._value(want, a[0], phi),), e.type)
        return Expr(op, tuple(self.rename(x, phi, k) for x, k in self._args(e, want)), e.type)

    def _value(self, kind, v: int, phi: dict[str, str]) -> int:
        target = self._full_encoding(kind, phi)
        if kind.kind == ENUMERATION:
            if v >= len(kind.names):
                raise Unmapped(f"value {v}")
            return _index(target.names, _image(kind.names[v], phi))
        if v >> len(kind.names):
            raise Unmapped(f"mask {v}")
        return sum(1 << _index(target.names, _image(kind.names[k], phi))
                   for k in range(len(kind.names)) if v >> k & 1)

    def _full_encoding(self, kind, phi):
        """The encoding of the full model's image of a small variable of this kind."""
        for i, v in enumerate(self.small.variables):
            if v.encoding == kind:
                family, index = self.parts[i]
                j = self.full_index.get(family + "".join(f"[{phi.get(x, x)}]" for x in index))
                if j is not None:
                    return self.full.variables[j].encoding
        raise Unmapped("no variable of this kind")


def _join(*kinds):
    return join_kinds(*kinds, error=Unmapped)


def _names_of(kind, v: int) -> list:
    if kind.kind == ENUMERATION:
        return [kind.names[v]] if v < len(kind.names) else []
    return [kind.names[k] for k in range(len(kind.names)) if v >> k & 1]


def _flat(names) -> list[str]:
    out = []
    for n in names:
        out.extend(n if isinstance(n, tuple) else (n,))
    return [n for n in out if isinstance(n, str)]


def _image(name, phi):
    if isinstance(name, tuple):
        return tuple(phi.get(x, x) if isinstance(x, str) else x for x in name)
    return phi.get(name, name) if isinstance(name, str) else name


def _index(names: tuple, name) -> int:
    """Where a name is among a full encoding's; a pair (a link) in either order."""
    if name in names:
        return names.index(name)
    if isinstance(name, tuple) and tuple(reversed(name)) in names:
        return names.index(tuple(reversed(name)))
    raise Unmapped(str(name))


def instances(small: Model, full: Model, candidates: list[Candidate], interchangeable: list[tuple[str, ...]],
              tick=lambda: None) -> list[tuple[Candidate, tuple]]:
    """Every renaming of every candidate into the full model, each function
    of the state once (normal forms: `a or b` and `b or a` are one), in the
    order of the candidates; each with its orbit: the candidate it renames
    and where the ordered elements went. The renamings of one orbit
    differ only in where the interchangeable elements went: where those are
    interchangeable in the full model too, they are all in the largest
    inductive subset or none is (it is closed under the symmetry), so their
    conjunction can be asked as one candidate (orbits())."""
    renamer = Renamer(small, full)
    maps = element_maps(small, full, interchangeable)
    ordered = {e for elements, _ in maps.ordered for e in elements}
    norm = Normaliser([v.size for v in full.variables])
    seen: set[int] = set()
    out: list[tuple[Candidate, tuple]] = []
    for n, c in enumerate(candidates):
        tick()
        try:
            mentioned = renamer.mentions(c.expr)
        except Unmapped:
            continue
        for phi in maps.maps(mentioned):
            try:
                e = renamer.rename(c.expr, phi)
            except Unmapped:
                continue
            if X.is_const(e):
                continue
            form = norm(e)
            if form not in seen:
                seen.add(form)
                out.append((Candidate(e, c.family), (n, *sorted((k, v) for k, v in phi.items() if k in ordered))))
    return out


def orbits(pairs: list[tuple[Candidate, tuple]], dropped: set = frozenset()) -> list[Candidate]:
    """One candidate per orbit (instances()), the conjunction of its
    renamings, in the order first met; an orbit in `dropped` is left out
    whole (one of its renamings is false in a reachable state)."""
    groups: dict[tuple, list[Candidate]] = {}
    for c, key in pairs:
        if key not in dropped:
            groups.setdefault(key, []).append(c)
    return [Candidate(X.and_(*[c.expr for c in members]), members[0].family) for members in groups.values()]
