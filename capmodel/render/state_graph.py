"""The reachable state graph of a small model, as DOT: states with short
labels, edges labelled with the actions, counterexample paths in red."""
from __future__ import annotations

import time
from collections import deque
from typing import Any

from ..ir.model import Model, State
from ..ir.pycompile import compile_successors
from ..trace import Trace
from .sequence_dot import h, q

PATH_RED = "#c0392b"


class TooManyStates(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} reachable states")
        self.limit = limit


class ExplorationInterrupted(Exception):
    """Ctrl-C before the state space was whole: how far it got."""

    def __init__(self, states: int, transitions: int, seconds: float) -> None:
        rate = f", {states / seconds:,.0f} states/s" if seconds > 0 else ""
        super().__init__(f"{states:,} states and {transitions:,} transitions explored in {seconds:.1f} s{rate}")


def explore(model: Model, max_states: int) -> tuple[list[State], list[tuple[int, int, int]]]:
    """Breadth-first: the reachable states (initial first) and the edges
    (from, to, action instance). Raises TooManyStates beyond max_states, and
    ExplorationInterrupted on Ctrl-C."""
    started = time.perf_counter()
    successors = compile_successors(model)
    index = {model.initial_state: 0}
    states = [model.initial_state]
    edges: list[tuple[int, int, int]] = []
    queue = deque([0])
    try:
        while queue:
            sid = queue.popleft()
            for inst, nxt in successors(states[sid]):
                if nxt not in index:
                    if len(states) >= max_states:
                        raise TooManyStates(max_states)
                    index[nxt] = len(states)
                    states.append(nxt)
                    queue.append(index[nxt])
                edges.append((sid, index[nxt], inst))
    except KeyboardInterrupt:
        raise ExplorationInterrupted(len(states), len(edges), time.perf_counter() - started) from None
    return states, edges


def short_label(view: dict[str, Any]) -> list[str]:
    """A few lines: each node (★ acting master, ✕ down) with its log, then writes, reads and cuts."""
    lines = []
    for name, n in view.get("nodes", {}).items():
        marks = ("\u2605" if n.get("role") == "master" else "") + ("" if n.get("up", True) else " \u2715")
        lines.append(f"{name}{marks}: {' '.join(n.get('log', [])) or chr(0x2205)}")
    writes = [f"{w} {info['status']}" for w, info in view.get("writes", {}).items()
              if info.get("status") != "not sent"]
    if writes:
        lines.append(", ".join(writes))
    reads = [f"{r} -> {' '.join(info.get('returned', [])) or 'nothing'}" if info.get("status") == "OK"
             else f"{r} {info['status']}"
             for r, info in view.get("reads", {}).items() if info.get("status") != "not sent"]
    if reads:
        lines.append(", ".join(reads))
    if view.get("cut_links"):
        lines.append("cut " + ", ".join(view["cut_links"]))
    return lines


def graph_to_dot(model: Model, states: list[State], edges: list[tuple[int, int, int]],
                 traces: list[Trace] = ()) -> str:
    instances = model.instances()
    ids = {s: k for k, s in enumerate(states)}
    on_path: set[tuple[int, int]] = set()
    bad: dict[int, list[str]] = {}
    for t in traces:
        path = [tuple(t.initial_raw)] + [tuple(s.raw) for s in t.steps]
        if not all(s in ids for s in path):
            continue
        on_path.update((ids[a], ids[b]) for a, b in zip(path, path[1:]))
        bad.setdefault(ids[path[-1]], []).append(t.property)
    highlighted = {a for a, _ in on_path} | {b for _, b in on_path}
    out = ["digraph states {",
           '  graph [rankdir=TB, fontname="Helvetica", labelloc=t, fontsize=14, nodesep=0.25, ranksep=0.45,',
           f"         label={q(f'{model.name}: {len(states)} reachable states, {len(edges)} transitions')}];",
           '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=9];',
           '  edge [fontname="Helvetica", fontsize=8, color="#777777", fontcolor="#555555", arrowsize=0.6];']
    for k, s in enumerate(states):
        lines = short_label(model.view(s)) if model.view else [", ".join(map(str, s))]
        label = "<br/>".join(h(line) for line in lines)
        attrs = []
        if k in bad:
            label += f'<br/><b><font color="{PATH_RED}">violates {h(", ".join(sorted(bad[k])))}</font></b>'
            attrs += ['fillcolor="#f8d0d0"', f'color="{PATH_RED}"', "penwidth=2"]
        elif k in highlighted:
            attrs += [f'color="{PATH_RED}"', "penwidth=1.5"]
        if k == 0:
            attrs += ['fillcolor="#dce8f7"' if k not in bad else "", "peripheries=2"]
        attrs = [a for a in attrs if a]
        out.append(f"  s{k} [label=<{label}>{', ' + ', '.join(attrs) if attrs else ''}];")
    merged: dict[tuple[int, int], list[str]] = {}
    for a, b, inst in edges:
        merged.setdefault((a, b), []).append(instances[inst].name)
    for (a, b), names in sorted(merged.items()):
        attrs = f'color="{PATH_RED}", fontcolor="{PATH_RED}", penwidth=2.2' if (a, b) in on_path else ""
        out.append(f"  s{a} -> s{b} [label={q(chr(10).join(sorted(set(names))))}{', ' + attrs if attrs else ''}];")
    out.append("}")
    return "\n".join(out) + "\n"
