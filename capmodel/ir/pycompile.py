"""Compile IR to Python source, for the explicit engine's hot loop.

The generated code is made only from IR operators and integer constants:
no text from a spec ever reaches it, so a spec cannot run code.
"""
from __future__ import annotations

from typing import Callable

from .expr import BOOL, Expr
from .model import Model, State

_BINARY = {"add": "+", "sub": "-", "eq": "==", "ne": "!=", "lt": "<", "le": "<=",
           "band": "&", "bor": "|"}


def to_python(e: Expr) -> str:
    op, args = e.op, e.args
    if op == "const":
        return str(int(args[0]))
    if op == "var":
        return f"s[{int(args[0])}]"
    if op in _BINARY:
        return f"({to_python(args[0])} {_BINARY[op]} {to_python(args[1])})"
    if op == "and":
        return "(" + " and ".join(to_python(a) for a in args) + ")"
    if op == "or":
        return "(" + " or ".join(to_python(a) for a in args) + ")"
    if op == "not":
        return f"(not {to_python(args[0])})"
    if op == "ite":
        return f"({to_python(args[1])} if {to_python(args[0])} else {to_python(args[2])})"
    if op == "bdiff":
        return f"({to_python(args[0])} & ~{to_python(args[1])})"
    if op == "lowbit":
        x = to_python(args[0])
        return f"({x} & -{x})"
    if op == "popcount":
        return f"({to_python(args[0])}).bit_count()"
    if op == "b2i":
        return f"(1 if {to_python(args[0])} else 0)"
    raise ValueError(f"the Python compiler does not know the IR operator {op!r}")


def _value(e: Expr) -> str:
    """An update's value: booleans are stored as 0/1 so states hash and print alike."""
    code = to_python(e)
    return f"(1 if {code} else 0)" if e.type == BOOL else code


def successor_source(model: Model) -> str:
    n = len(model.variables)
    lines = ["def successors(s):", "    out = []", "    push = out.append"]
    for k, inst in enumerate(model.instances()):
        new = [f"s[{i}]" for i in range(n)]
        for index, value in inst.updates:
            new[index] = _value(value)
        lines.append(f"    if {to_python(inst.guard)}:  # {inst.name}")
        lines.append(f"        push(({k}, ({', '.join(new)},)))")
    lines.append("    return out")
    return "\n".join(lines)


def compile_successors(model: Model) -> Callable[[State], list[tuple[int, State]]]:
    """successors(state) -> [(instance index, next state)], in instance order."""
    namespace: dict = {}
    exec(compile(successor_source(model), f"<successors of {model.name}>", "exec"), namespace)
    return namespace["successors"]


def compile_predicate(e: Expr) -> Callable[[State], bool]:
    return eval(compile(f"lambda s: {to_python(e)}", "<predicate>", "eval"), {})


def evaluate(e: Expr, s: State) -> int:
    """A direct interpreter, independent of the compiler above: replay checks
    traces with it, so a bug in code generation cannot vouch for itself."""
    op, a = e.op, e.args
    if op == "const":
        return a[0]
    if op == "var":
        return s[a[0]]
    if op == "and":
        return int(all(evaluate(x, s) for x in a))
    if op == "or":
        return int(any(evaluate(x, s) for x in a))
    if op == "ite":
        return evaluate(a[1], s) if evaluate(a[0], s) else evaluate(a[2], s)
    v = [evaluate(x, s) for x in a]
    if op == "not":
        return int(not v[0])
    if op == "b2i":
        return int(bool(v[0]))
    if op == "lowbit":
        return v[0] & -v[0]
    if op == "popcount":
        return v[0].bit_count()
    return {
        "add": lambda: v[0] + v[1], "sub": lambda: v[0] - v[1],
        "eq": lambda: int(v[0] == v[1]), "ne": lambda: int(v[0] != v[1]),
        "lt": lambda: int(v[0] < v[1]), "le": lambda: int(v[0] <= v[1]),
        "band": lambda: v[0] & v[1], "bor": lambda: v[0] | v[1],
        "bdiff": lambda: v[0] & ~v[1],
    }[op]()


def step(model: Model, inst_index: int, s: State) -> State | None:
    """Apply one action instance with the interpreter; None when its guard is false."""
    inst = model.instances()[inst_index]
    if not evaluate(inst.guard, s):
        return None
    new = list(s)
    for index, value in inst.updates:
        new[index] = int(evaluate(value, s))
    return tuple(new)
