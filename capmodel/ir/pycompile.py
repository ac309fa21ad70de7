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


def to_python(e: Expr, var: str = "s[{}]") -> str:
    """Python source for e; `var` spells variable i (the state's item, or a local)."""
    def code(e: Expr) -> str:
        op, args = e.op, e.args
        if op == "const":
            return str(int(args[0]))
        if op == "var":
            return var.format(int(args[0]))
        if op in _BINARY:
            return f"({code(args[0])} {_BINARY[op]} {code(args[1])})"
        if op == "and":
            return "(" + " and ".join(code(a) for a in args) + ")"
        if op == "or":
            return "(" + " or ".join(code(a) for a in args) + ")"
        if op == "not":
            return f"(not {code(args[0])})"
        if op == "ite":
            return f"({code(args[1])} if {code(args[0])} else {code(args[2])})"
        if op == "bdiff":
            return f"({code(args[0])} & ~{code(args[1])})"
        if op == "lowbit":
            x = code(args[0])
            return f"({x} & -{x})"
        if op == "popcount":
            return f"({code(args[0])}).bit_count()"
        if op == "b2i":
            return f"(1 if {code(args[0])} else 0)"
        raise ValueError(f"the Python compiler does not know the IR operator {op!r}")
    return code(e)


# The successor function reads variable i as the local v<i>, unpacked once per
# state (a local is read far faster than a tuple's item), and tests a
# conjunct that consecutive instances share once for all of them (instances
# of one action begin with the same conjuncts): with the search's own changes,
# 38 % less CPU on sync 3x3 (docs/performance.md). Nested no deeper than this,
# whatever the model.
_LOCAL = "v{}"
_MAX_NESTING = 16


def _value(e: Expr) -> str:
    """An update's value: booleans are stored as 0/1 so states hash and print alike."""
    code = to_python(e, _LOCAL)
    return f"(1 if {code} else 0)" if e.type == BOOL else code


def _conjuncts(guard: Expr) -> list[str]:
    parts = guard.args if guard.op == "and" else (guard,)
    return [to_python(c, _LOCAL) for c in parts]


def successor_source(model: Model) -> str:
    n = len(model.variables)
    lines = ["def successors(s):", "    out = []", "    push = out.append"]
    if n:
        lines.append("    " + "".join(_LOCAL.format(i) + ", " for i in range(n)) + "= s")
    instances = []  # (guard's conjuncts, the line that records the successor), in instance order
    for k, inst in enumerate(model.instances()):
        new = [_LOCAL.format(i) for i in range(n)]
        for index, value in inst.updates:
            new[index] = _value(value)
        # no instance name in a comment: nothing a spec says reaches this code
        instances.append((_conjuncts(inst.guard), f"push(({k}, ({''.join(v + ', ' for v in new)})))"))

    def emit(group: list[tuple[list[str], str]], depth: int) -> None:
        pad = "    " * depth
        i = 0
        while i < len(group):
            tests, line = group[i]
            j = i + 1
            while tests and depth < _MAX_NESTING and j < len(group) and group[j][0][:1] == tests[:1]:
                j += 1
            if j - i > 1:  # tests[0] opens a block for every instance that begins with it
                lines.append(f"{pad}if {tests[0]}:")
                emit([(t[1:], l) for t, l in group[i:j]], depth + 1)
            elif tests:
                lines.append(f"{pad}if {' and '.join(tests)}:")
                lines.append(f"{pad}    {line}")
            else:
                lines.append(f"{pad}{line}")
            i = j

    emit(instances, 1)
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
