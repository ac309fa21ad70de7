"""What a variable's integer stands for.

The IR keeps every value as an integer in 0..size-1; the library that builds
a model (semantics/) says, for each variable, whether that integer is a
number, a boolean, one of a list of named values, or a set held as a bit
mask, so that an output can show the value itself and read it back
(render/itf.py). Engines never look at it.

Values: a number is an int, a boolean a bool, a named value its name (a str
or an int), a set a tuple of its elements in bit order (each a str, an int,
or a tuple of those).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INTEGER, BOOLEAN, ENUMERATION, SET = "integer", "boolean", "enumeration", "set"


@dataclass(frozen=True)
class Encoding:
    kind: str  # integer | boolean | enumeration | set
    names: tuple = ()  # enumeration: what each integer names; set: the element bit k stands for

    def fits(self, size: int) -> bool:
        """Every integer 0..size-1 has a value, and every value an integer."""
        if self.kind == BOOLEAN:
            return size == 2
        if self.kind == ENUMERATION:
            return size == len(self.names) and len(set(self.names)) == size
        if self.kind == SET:
            return size == 1 << len(self.names) and len(set(self.names)) == len(self.names)
        return self.kind == INTEGER

    def decode(self, raw: int) -> Any:
        if self.kind == BOOLEAN:
            return bool(raw)
        if self.kind == ENUMERATION:
            return self.names[raw]
        if self.kind == SET:
            return tuple(e for k, e in enumerate(self.names) if raw >> k & 1)
        return int(raw)

    def encode(self, value: Any) -> int:
        """The integer of a value that decode gives; ValueError for any other."""
        if self.kind == BOOLEAN and isinstance(value, bool):
            return int(value)
        if self.kind == ENUMERATION and value in self.names:
            return self.names.index(value)
        if self.kind == SET and isinstance(value, (tuple, list, frozenset, set)) and all(
                e in self.names for e in value):
            return sum(1 << self.names.index(e) for e in set(value))
        if self.kind == INTEGER and isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"{value!r} is not a value of {self.describe()}")

    def describe(self) -> str:
        if self.kind in (ENUMERATION, SET):
            return f"{self.kind} of {', '.join(map(str, self.names)) or 'nothing'}"
        return self.kind


NUMBER = Encoding(INTEGER)
TRUTH = Encoding(BOOLEAN)


def one_of(names) -> Encoding:
    return Encoding(ENUMERATION, tuple(names))


def named(words: dict[int, Any]) -> Encoding:
    """An enumeration from a table {integer: name} over 0..len-1."""
    return one_of(words[k] for k in range(len(words)))


def set_of(elements) -> Encoding:
    return Encoding(SET, tuple(elements))
