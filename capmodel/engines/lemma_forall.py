"""Generated lemmas said with `forall`: the same fact of every node (or write,
or read) is one line, as a user would write it.

The wordings z3_lemmas prints are per instance: `(not master.is_master)
implies (master.source != master)`, then the same of slave1 and of slave2.
When the wordings of several conjuncts are one body with an element's name in
the places where the others have another element's, and every element of
that kind has one, they are said as `forall n in nodes: (body)`.

This changes the words only, never the lemma: the lemma is still the
conjunction of the same candidates, and the spec language's `forall` over a
declared set is the conjunction of its body with the variable bound to each
element (docs/language.md). The body is made by putting a fresh name where
the element's name stands as a word of its own (not after a `.`, which is
an attribute), and putting the element back gives the conjunct's wording
letter for letter (the fresh name appears nowhere else), so pasted into the
spec the line compiles to the same formula (tests/test_z3_generated.py asks
Z3 that of each line). This module works on text; it knows nothing of Z3.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?!\w)")
MAX_PLACES = 4  # an element's places in one text tried as holes, in every combination
_HOLE = "\x00"  # where the element stood: no text has it, so putting a name there is exact
# the bound variable of each kind: the first of these that its texts and the model leave free
_FRESH = {"nodes": ("n", "m", "node"), "writes": ("w", "v", "write"), "reads": ("r", "q", "read")}


def words(text: str) -> set[str]:
    """The names a text uses as words of their own (not attributes after a `.`)."""
    return set(_WORD.findall(text))


def _bodies(texts: Sequence[str], elements: list[str], skip: set[int]) -> dict[str, dict[str, int]]:
    """body (the element's name replaced by a hole) -> element -> the text it comes from."""
    out: dict[str, dict[str, int]] = {}
    for i, text in enumerate(texts):
        if i in skip:
            continue
        present = words(text)
        for e in elements:
            if e not in present:
                continue
            # the element's name in some of its places, not always all of
            # them: `slave1.source == slave1` is `x.source == slave1` of slave1
            places = [m.span() for m in _WORD.finditer(text) if m.group(0) == e][:MAX_PLACES]
            for k in range(1, len(places) + 1):
                for chosen in itertools.combinations(places, k):
                    body = text
                    for start, end in reversed(chosen):
                        body = body[:start] + _HOLE + body[end:]
                    out.setdefault(body, {}).setdefault(e, i)
    return out


def _said(kind: str, body: str, kinds: dict[str, list[str]]) -> tuple[str, str] | None:
    """(the bound variable, the body with it in the holes), or None when every name is taken."""
    used = words(body.replace(_HOLE, " ")) | {e for es in kinds.values() for e in es}
    var = next((x for x in _FRESH[kind] if x not in used), None)
    return None if var is None else (var, body.replace(_HOLE, var))


def group(texts: Sequence[str], kinds: dict[str, list[str]]) -> list[tuple[list[int], str]]:
    """The texts, those that are one body over every element of a kind said
    once as `forall x in kind: (body)`: (the indices of the texts, the
    wording), in the order of each group's first text. `kinds`: the elements
    of each declared set, e.g. {"nodes": ["n1", "n2"], "writes": [...]}."""
    grouped: dict[int, tuple[list[int], str]] = {}  # first index -> the group
    done: set[int] = set()
    for kind, elements in kinds.items():
        if len(elements) < 2:
            continue
        for body, of in _bodies(texts, elements, done).items():
            members = sorted(set(of.values()))
            if len(members) < len(elements) or done & set(members):
                continue
            said = _said(kind, body, kinds)
            if said is None:
                continue
            done |= set(members)
            grouped[members[0]] = (members, f"forall {said[0]} in {kind}: ({said[1]})")
    out = []
    for i in range(len(texts)):
        if i in grouped:
            out.append(grouped[i])
        elif i not in done:
            out.append(([i], texts[i]))
    return out


def one_body(texts: Sequence[str], kinds: dict[str, list[str]]) -> tuple[str, str, str] | None:
    """(kind, bound variable, body) when the texts are exactly the body of each
    element of the kind, one text each; else None. For a count `at least k of
    these`, said `(count x in kind: (body)) >= k`."""
    for kind, elements in kinds.items():
        if len(elements) != len(texts) or len(elements) < 2:
            continue
        for body, of in _bodies(texts, elements, set()).items():
            if len(set(of.values())) == len(texts) == len(of):
                said = _said(kind, body, kinds)
                if said is not None:
                    return kind, *said
    return None


def counts(texts: Sequence[str], kinds: dict[str, list[str]]) -> tuple[list[str], list[int]]:
    """The texts that are one body over every element of a kind, each such
    group said `(count x in kind: (body))`, and the indices of the texts left
    over. The counts plus one for each text left over that holds is the
    number of the texts that hold: a mixed count (`term == 0` and the same of
    every node and every write) is said as `(count n in nodes: ...) + (count
    w in writes: ...)` and a few texts of its own."""
    said_counts: list[str] = []
    done: set[int] = set()
    for kind, elements in kinds.items():
        if len(elements) < 2:
            continue
        for body, of in _bodies(texts, elements, done).items():
            members = set(of.values())
            if len(members) < len(elements) or done & members:
                continue
            said = _said(kind, body, kinds)
            if said is None:
                continue
            done |= members
            said_counts.append(f"(count {said[0]} in {kind}: ({said[1]}))")
    return said_counts, [i for i in range(len(texts)) if i not in done]
