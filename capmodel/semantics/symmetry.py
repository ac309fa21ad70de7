"""Which nodes and clients a spec treats alike, declared for ir/symmetry.py."""
from __future__ import annotations

from .state import SystemState


def declare_symmetry(st: SystemState):
    return None
