"""Explicit-state breadth-first search over the IR.

Breadth-first order makes the first violating state found for a property a
shallowest one, so the path back through the parent links is a shortest
counterexample. Exploration order is the model's action order, so the same
spec always gives the same counterexample.
"""
from __future__ import annotations

import os
import time
from typing import Callable

from ..ir import expr as X
from ..ir.model import Model
from ..ir.pycompile import compile_predicate, compile_successors
from ..trace import build_trace
from .result import (HOLDS, INCOMPLETE, NOT_REACHED, REACHED, UNREACHABLE, VIOLATED, CheckResult,
                     PropertyResult, Stats)

Progress = Callable[[int, int, float], None]  # states, depth, seconds

INTERRUPTED = "interrupted (Ctrl-C)"  # Stats.bound of a search stopped by the user


def memory_in_use() -> int | None:
    """This process's resident memory in bytes (None where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def memory_available() -> int | None:
    """Memory the system can still give, in bytes (MemAvailable; None where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _noteworthy(invariants, violated: dict, reachables, reached: dict):
    """One compiled test of a new state: does it break an invariant not yet
    broken, or reach a condition not yet reached? Only then is each condition
    tested on its own (most states are neither); None once nothing is left to
    find. Made again each time a verdict is found, at most once per condition."""
    parts = [X.not_(c.expr) for k, c in enumerate(invariants) if k not in violated]
    parts += [c.expr for k, c in enumerate(reachables) if k not in reached]
    return compile_predicate(X.or_(*parts)) if parts else None


def interrupted_before_search(model: Model, properties: list[str] | None, seconds: float) -> CheckResult:
    """The partial report of a Ctrl-C that came before the first state was
    explored (while the model was reduced or compiled): nothing is known."""
    checked = [c for c in model.invariants + model.lemmas if properties is None or c.name in properties]
    stats = Stats(states=0, transitions=0, depth=0, seconds=seconds, complete=False, bound=INTERRUPTED)
    result = CheckResult(spec=model.name, engine="explicit", stats=stats)
    result.properties = [PropertyResult(c.name, INCOMPLETE, c.description) for c in checked]
    result.reachables = [PropertyResult(c.name, NOT_REACHED, c.description) for c in model.reachables]
    return result


def check_step(model: Model, **kwargs) -> CheckResult:
    """check() as one step of a larger run (a depth pass, a lemma check, the
    traces of a graph): a Ctrl-C ends that run (KeyboardInterrupt), where
    check() itself would return its partial result as the whole answer."""
    result = check(model, **kwargs)
    if result.stats.bound == INTERRUPTED:
        raise KeyboardInterrupt
    return result


def check(model: Model, *, properties: list[str] | None = None, max_states: int | None = None,
          max_depth: int | None = None, progress: Progress | None = None,
          stop_when_decided: bool = True, max_memory: int | None = None, symmetry=None) -> CheckResult:
    """Breadth-first search. Stops at max_states, max_depth or max_memory (bytes
    of resident memory), and on Ctrl-C: each gives a partial result whose
    Stats.bound says which bound stopped it (INCOMPLETE, never HOLDS).

    With a symmetry (ir/symmetry.py), every state is stored as its orbit's
    canonical member; the traces are turned back into real runs."""
    started = time.perf_counter()
    successors = compile_successors(model)
    if symmetry is not None:
        real_successors, canon = successors, symmetry.canon

        def successors(s):
            return [(a, canon(t)) for a, t in real_successors(s)]
    # lemmas are invariants too: one that fails on a reachable state is wrong, and says so with a trace
    invariants = [c for c in model.invariants + model.lemmas if properties is None or c.name in properties]
    inv_tests = [compile_predicate(c.expr) for c in invariants]
    reach_tests = [compile_predicate(c.expr) for c in model.reachables]
    done = compile_predicate(model.done)

    init = model.initial_state
    index = {init: 0}
    states = [init]
    parent = [-1]
    via = [-1]
    violated: dict[int, int] = {}  # invariant -> state id
    reached: dict[int, int] = {}  # reachable -> state id
    deadlock = -1
    n_instances = len(model.instances())
    fired = bytearray(n_instances)
    transitions = 0
    bound = None

    def examine(sid: int, s) -> None:
        nonlocal noteworthy
        for k, test in enumerate(inv_tests):
            if k not in violated and not test(s):
                violated[k] = sid
        for k, test in enumerate(reach_tests):
            if k not in reached and test(s):
                reached[k] = sid
        noteworthy = _noteworthy(invariants, violated, model.reachables, reached)

    def decided() -> bool:
        # every verdict is known; deadlocks and unfired actions are then left unchecked
        return bool(inv_tests) and len(violated) == len(inv_tests) and len(reached) == len(reach_tests)

    noteworthy = None
    examine(0, init)
    frontier = [0]
    limit = max_states if max_states is not None else float("inf")
    depth = 0
    last_report = started
    stopped_early = False
    try:
        while frontier and bound is None and not stopped_early:
            if max_depth is not None and depth >= max_depth:
                if any(successors(states[i]) for i in frontier):
                    bound = f"max depth {max_depth}"
                break
            nxt = []
            for sid in frontier:
                s = states[sid]
                succ = successors(s)
                if not succ and deadlock < 0 and not done(s):
                    deadlock = sid
                transitions += len(succ)
                for a, t in succ:
                    fired[a] = 1
                    tid = len(states)
                    if index.setdefault(t, tid) != tid:  # seen before (one hash of t, not two)
                        continue
                    if tid >= limit:
                        del index[t]
                        bound = f"max states {max_states}"  # a new state beyond the bound
                        break
                    states.append(t)
                    parent.append(sid)
                    via.append(a)
                    nxt.append(tid)
                    if noteworthy is not None and noteworthy(t):
                        examine(tid, t)
                if bound:
                    break
                if (len(states) & 0x3FFF) < 64:
                    # memory is read by state count, not by time, so that a
                    # given budget stops a given model at the same point
                    if max_memory is not None and (memory_in_use() or 0) > max_memory:
                        bound = f"memory budget {max_memory / 2**20:,.0f} MB"
                        break
                    now = time.perf_counter()
                    if now - last_report > 0.25:
                        last_report = now
                        if progress:
                            progress(len(states), depth + 1, now - started)
            frontier = nxt
            if frontier:
                depth += 1
            if stop_when_decided and decided():
                stopped_early = bool(frontier)
    except KeyboardInterrupt:
        # the lists may be one append apart: keep the states whose parent links are whole
        whole = min(len(states), len(parent), len(via))
        del states[whole:], parent[whole:], via[whole:]
        bound = INTERRUPTED
    complete = bound is None and not stopped_early
    stats = Stats(states=len(states), transitions=transitions, depth=depth,
                  seconds=time.perf_counter() - started, complete=complete, bound=bound,
                  stopped_early=stopped_early)

    def path_to(sid: int):
        path = []
        while sid >= 0:
            path.append((via[sid], states[sid]))
            sid = parent[sid]
        path.reverse()
        return symmetry.realise(model, path) if symmetry is not None else path

    result = CheckResult(spec=model.name, engine="explicit", stats=stats)

    def verdicts(conditions, found: dict[int, int], kind: str, yes: str, no: str, unknown: str):
        """found: condition -> the state where it was decided (violated, or reached)."""
        for k, c in enumerate(conditions):
            if k in found:
                trace = build_trace(model, c.name, kind, path_to(found[k]), model.participants)
                yield PropertyResult(c.name, yes, c.description, trace)
            else:
                yield PropertyResult(c.name, no if complete else unknown, c.description)

    result.properties = list(verdicts(invariants, violated, "violation", VIOLATED, HOLDS, INCOMPLETE))
    result.reachables = list(verdicts(model.reachables, reached, "witness", REACHED, UNREACHABLE,
                                      NOT_REACHED))
    if deadlock >= 0:
        result.deadlock = build_trace(model, "deadlock", "deadlock", path_to(deadlock), model.participants)
    if complete:
        fired_families = {inst.family for k, inst in enumerate(model.instances()) if fired[k]}
        result.unfired = [a.name for a in model.actions if a.name not in fired_families]
    return result
