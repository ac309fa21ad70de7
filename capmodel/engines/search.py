"""The explicit search as the commands run it: reductions, then the fastest engine.

1. Cone of influence (ir/cone.py): variables no checked condition depends on
   are left out. Exact: same verdicts, same counterexamples.
2. Symmetry (ir/symmetry.py): one state per orbit of interchangeable nodes,
   unless `symmetry=False` (`--no-symmetry`). Same verdicts and shortest
   counterexample lengths; the state count is that of the orbits.
3. The compiled engine (engines/compiled.py) where a C compiler is usable,
   else the Python reference engine (engines/explicit.py), with one line
   saying why.

Traces found on the reduced model are replayed on the full model, so every
trace printed is a real run of the spec with every variable in it.
"""
from __future__ import annotations

import time
from typing import Callable

from ..ir.cone import lift_path, restrict
from ..ir.model import Model
from ..ir.symmetry import find_symmetry
from ..trace import Trace, build_trace
from . import explicit
from .result import CheckResult


def _compiled_engine():
    """The compiled engine module and None, or None and why it cannot be used."""
    try:
        from . import compiled
    except ImportError as err:  # not built in this version
        return None, f"the compiled engine is missing ({err})"
    why = compiled.available()
    return (compiled, None) if why is None else (None, why)


def _lift(full: Model, trace: Trace | None) -> Trace | None:
    if trace is None:
        return None
    index = {inst.name: k for k, inst in enumerate(full.instances())}
    path = lift_path(full, [index[s.action] for s in trace.steps])
    return build_trace(full, trace.property, trace.kind, path, full.participants)


def check(model: Model, *, properties: list[str] | None = None, symmetry: bool = True,
          compiled: bool | None = None, warn: Callable[[str], None] | None = None, **bounds) -> CheckResult:
    """explicit.check's contract (same keyword bounds), with the reductions,
    which Stats.reductions describes in plain words.

    compiled: True to require the compiled engine, False for the Python one,
    None for the compiled one where it is usable; `warn` is told, in one
    line, when the Python engine runs because the compiled one cannot."""
    started = time.perf_counter()
    warn = warn or (lambda line: None)
    notes: list[str] = []
    try:
        run_on, reduced, group, engine = _prepare(model, properties, symmetry, compiled, notes, warn)
    except KeyboardInterrupt:  # Ctrl-C while reducing or compiling: the partial report says so
        return explicit.interrupted_before_search(model, properties, time.perf_counter() - started)
    try:
        result = engine.check(run_on, properties=properties, symmetry=group, **bounds)
    except (getattr(engine, "CompileError", ()), getattr(engine, "Unsupported", ()), MemoryError) as err:
        if compiled or engine is explicit:
            raise
        # this model only: the compiler gave up, or a value outgrew its packed bits
        warn(f"note: the Python engine runs, slower: {err}")
        result = explicit.check(run_on, properties=properties, symmetry=group, **bounds)
    result.stats.reductions = list(notes)
    result.stats.symmetry_order = group.order if group is not None else 1
    if reduced is not None:
        for p in result.properties + result.reachables:
            p.trace = _lift(model, p.trace)
        result.deadlock = _lift(model, result.deadlock)
    return result


def _prepare(model: Model, properties, symmetry: bool, compiled: bool | None, notes: list[str], warn):
    """The model to search (reduced or not), the cone-reduced model or None,
    the symmetry group or None, and the engine module."""
    checked = [c for c in model.invariants + model.lemmas if properties is None or c.name in properties]
    reduced = restrict(model, checked, model.reachables)
    run_on = reduced or model
    if reduced is not None:
        notes.append(f"cone of influence: {len(model.variables) - len(reduced.variables)} of "
                     f"{len(model.variables)} variables left out (no checked property depends on them)")
    group = None
    if symmetry:
        group = find_symmetry(run_on, run_on.invariants + run_on.lemmas if reduced else checked)
        if group is not None:
            notes.append(f"symmetry: {'; '.join(group.describe())} (a group of {group.order}: one state "
                         "is stored per orbit; --no-symmetry to turn it off)")
    engine = explicit
    if compiled is not False:
        fast, why = _compiled_engine()
        if fast is not None:
            engine = fast
        elif compiled:
            raise RuntimeError(why)
        else:
            warn(f"note: the Python engine runs, slower: {why}")
    return run_on, reduced, group, engine
