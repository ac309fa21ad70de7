"""Cone of influence: leave out the variables no checked condition depends on.

A variable matters when a checked condition, the end-of-workload test or any
guard reads it, or when an update of a variable that matters reads it. The
rest (for example the ghost variables of a property that is not checked)
never change which actions are enabled nor any checked verdict, so the
reduced model has the same action sequences and the same verdicts, with
fewer distinct states. Every instance is kept, in the same order, so an
instance index means the same action in both models; `lift_path` replays a
reduced run on the full model to give the full states for the trace.
"""
from __future__ import annotations

from dataclasses import replace

from .expr import Expr
from .model import Action, ActionInstance, Condition, Model, State
from .pycompile import step
from .symmetry import Declaration


def variables_read(e: Expr, into: set[int]) -> set[int]:
    stack = [e]
    while stack:
        x = stack.pop()
        if x.op == "var":
            into.add(x.args[0])
        elif x.op != "const":
            stack.extend(x.args)
    return into


def relevant_variables(model: Model, conditions: list[Condition]) -> set[int]:
    keep: set[int] = set()
    for c in conditions:
        variables_read(c.expr, keep)
    variables_read(model.done, keep)
    instances = model.instances()
    for inst in instances:
        variables_read(inst.guard, keep)
    changed = True
    while changed:  # close under "an update of a kept variable reads it"
        changed = False
        for inst in instances:
            for index, value in inst.updates:
                if index in keep:
                    before = len(keep)
                    variables_read(value, keep)
                    changed |= len(keep) != before
    return keep


class _Reindexer:
    """Renumbers the variables of expressions. A subterm that the model's
    expressions share (the builders make DAGs: one `log[n] has w` in many
    guards) is renumbered once and stays shared in the result, so that the
    passes after the cone, which memoise on shared subterms (the symmetry
    check, the compilers), do not see a tree many times the DAG's size: the
    symmetry check of a 7-node spec took 10 s on the reduced model against
    4 s on the full one before."""

    def __init__(self, new_index: dict[int, int]):
        self.new_index = new_index
        self.memo: dict[int, tuple[Expr, Expr]] = {}  # id(expr) -> (expr kept alive, renumbered)

    def __call__(self, e: Expr) -> Expr:
        hit = self.memo.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        if e.op == "var":
            out = Expr("var", (self.new_index[e.args[0]],), e.type)
        elif e.op == "const":
            out = e
        else:
            out = Expr(e.op, tuple(self(a) for a in e.args), e.type)
        self.memo[id(e)] = (e, out)
        return out


def _reindex_declaration(decl: Declaration | None, new_index: dict[int, int]) -> Declaration | None:
    if decl is None:
        return None
    # an array keeps its place only whole: a partly dropped array would move
    # unevenly, and the symmetry check would then (rightly) refuse it
    arrays = [(s, tuple(new_index[i] for i in members)) for s, members in decl.arrays
              if all(i in new_index for i in members)]
    kinds = {new_index[i]: k for i, k in decl.kinds.items() if i in new_index}
    return Declaration(decl.sets, arrays, kinds, decl.candidates)


def restrict(model: Model, conditions: list[Condition], reachables: list[Condition]) -> Model | None:
    """The model reduced to the cone of the given conditions (checked
    invariants and lemmas, and the reachables), or None when every variable
    matters. The reduced model has no narration hooks: traces are told on
    the full model after `lift_path`."""
    keep = relevant_variables(model, conditions + reachables)
    if len(keep) == len(model.variables):
        return None
    order = sorted(keep)
    new_index = {old: new for new, old in enumerate(order)}
    _reindex = _Reindexer(new_index)

    def cond(c: Condition) -> Condition:
        return Condition(c.name, _reindex(c.expr), c.description)

    actions = []
    for a in model.actions:
        instances = tuple(
            ActionInstance(i.family, i.args, _reindex(i.guard),
                           tuple((new_index[v], _reindex(e)) for v, e in i.updates if v in keep),
                           i.label)
            for i in a.instances)
        actions.append(Action(a.name, a.params, instances))
    names = {c.name for c in conditions}
    return replace(model, variables=[model.variables[i] for i in order], actions=actions,
                   invariants=[cond(c) for c in model.invariants if c.name in names],
                   lemmas=[cond(c) for c in model.lemmas if c.name in names],
                   reachables=[cond(c) for c in reachables],
                   done=_reindex(model.done), narrate=None, view=None, explain={},
                   symmetry=_reindex_declaration(model.symmetry, new_index))


def lift_path(model: Model, actions: list[int]) -> list[tuple[int, State]]:
    """Replay instance indices on the full model: the path build_trace takes."""
    state = model.initial_state
    path = [(-1, state)]
    for k in actions:
        state = step(model, k, state)
        if state is None:  # cannot happen: the cone keeps every guard's variables
            raise AssertionError("cone of influence: a reduced step is not enabled in the full model")
        path.append((k, state))
    return path
