"""A trace as the rows of a sequence diagram, shared by the Graphviz and the
Mermaid renderers so both tell the same story.

Each step becomes one or more rows: an arrow (request, replication, ack,
answer), a mark on a lifeline (crash, recovery, promotion, partition, heal, a
node discarding writes or following a new master), and at the key steps a
snapshot of what every node holds. Reads and immediately answered writes are
one step in the model; here they become a request row and an answer row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..trace import Trace

# arrow styles
REQUEST, REPLY_OK, REPLY_ERROR, NO_ANSWER, LOST, REPLICATE, ACK, STALE = (
    "request", "ok", "error", "no_answer", "lost", "replicate", "ack", "stale")


@dataclass
class Row:
    step: int  # the step the row belongs to (0: before the first step)
    kind: str  # arrow | mark | snapshot
    state: dict[str, Any]  # the state view in effect from this row on
    src: str | None = None  # arrow: from; mark: the node marked
    dst: str | None = None  # arrow: to; mark (partition of one link): the other end
    style: str = ""  # arrow: one of the styles above; mark: crash | recover | promote | partition | heal | local
    label: str = ""
    holds: dict[str, "Holding"] = field(default_factory=dict)  # snapshot: node -> what it holds


@dataclass
class Holding:
    writes: list[str]
    up: bool
    master: bool  # acts as master (up or not)
    lacks: list[str]  # acknowledged writes a live acting master does not hold

    def text(self) -> str:
        out = " ".join(self.writes) or "\u2205"
        if self.lacks:
            out += " (lacks " + " ".join(self.lacks) + ")"
        if not self.up:
            out += " (down)"
        return out


def nodes_of(trace: Trace) -> list[str]:
    return list(trace.initial.get("nodes", {}))


def clients_of(trace: Trace) -> list[str]:
    nodes = set(nodes_of(trace))
    return [p for p in trace.participants if p not in nodes]


def lifelines(trace: Trace) -> list[str]:
    """Left to right: clients, the initial master, then the other nodes in spec order."""
    nodes = nodes_of(trace)
    master = trace.initial.get("primary")
    ordered = ([master] if master in nodes else []) + [n for n in nodes if n != master]
    clients = clients_of(trace)
    extra = sorted({p for s in trace.steps for p in (s.src, s.dst, s.actor)
                    if p and p not in nodes and p not in clients and p != "network"})
    return clients + extra + ordered


def holdings(state: dict[str, Any]) -> dict[str, Holding]:
    acked = [w for w, info in state.get("writes", {}).items() if info.get("status") == "OK"]
    out = {}
    for name, n in state.get("nodes", {}).items():
        log = list(n.get("log", []))
        master = n.get("role") == "master"
        lacks = [w for w in acked if w not in log] if master and n.get("up", True) else []
        out[name] = Holding(log, bool(n.get("up", True)), master, lacks)
    return out


def _node_facts(state: dict[str, Any]) -> dict[str, tuple]:
    return {k: (tuple(v.get("log", [])), v.get("role"), v.get("up")) for k, v in state.get("nodes", {}).items()}


def _answer(step, before: dict[str, Any]) -> tuple[str, str] | None:
    """The answer a request got within its own step: (style, label), or None if it waits."""
    msg = step.message or ""
    name = msg.split(" ", 1)[0]
    after = step.state
    if name in after.get("reads", {}):
        info = after["reads"][name]
        status = info.get("status", "")
        if status == "OK":
            got = info.get("returned", [])
            acked = [w for w, i in before.get("writes", {}).items() if i.get("status") == "OK"]
            misses = [w for w in acked if w not in got]
            label = f"{name} -> {', '.join(got) or 'nothing'}"
            if misses:  # stale: acknowledged before the read began, yet not returned
                return STALE, f"{label} (misses {', '.join(misses)})"
            return REPLY_OK, label
        if status == "ERROR":
            return REPLY_ERROR, f"ERROR {name}"
        if status.startswith("no answer"):
            return LOST, "no answer"
        return None
    if name in after.get("writes", {}):
        was = before.get("writes", {}).get(name, {}).get("status")
        status = after["writes"][name].get("status", "")
        if status == was:
            return None
        if status == "OK":
            return REPLY_OK, f"OK {name}"
        if status == "ERROR":
            return REPLY_ERROR, f"ERROR {name}"
        if status.startswith("no answer"):
            return LOST, "no answer"
    return None


def rows(trace: Trace) -> list[Row]:
    out: list[Row] = []
    before = trace.initial
    first = holdings(trace.initial)
    if any(h.writes for h in first.values()):
        out.append(Row(0, "snapshot", trace.initial, holds=first))
    last = len(trace.steps)
    for step in trace.steps:
        k, after = step.index, step.state
        kind = step.kind
        if kind == "request":
            answer = _answer(step, before)
            name = (step.message or "").split(" ", 1)[0]
            is_read = name in after.get("reads", {})
            label = f"read {name}" if is_read else (step.message or "")
            if answer and answer[0] == LOST:
                out.append(Row(k, "arrow", after, step.src, step.dst, LOST, f"{label}: lost, node down"))
            else:
                out.append(Row(k, "arrow", after, step.src, step.dst, REQUEST, label))
                if answer:
                    out.append(Row(k, "arrow", after, step.dst, step.src, answer[0], answer[1]))
        elif kind == "reply":
            msg = step.message or ""
            style = (REPLY_ERROR if msg.startswith("ERROR") else NO_ANSWER if msg.startswith("no answer")
                     else REPLY_OK)
            out.append(Row(k, "arrow", after, step.src, step.dst, style, msg))
        elif kind == "replicate":
            out.append(Row(k, "arrow", after, step.src, step.dst, REPLICATE, step.message or "log"))
        elif kind == "ack":
            out.append(Row(k, "arrow", after, step.src, step.dst, ACK, step.message or "ACK"))
        elif kind == "crash":
            out.append(Row(k, "mark", after, step.actor, None, "crash", "crashes"))
        elif kind == "recover":
            out.append(Row(k, "mark", after, step.actor, None, "recover", "recovers"))
        elif kind == "promote":
            out.append(Row(k, "mark", after, step.actor, None, "promote", "promoted to master"))
        elif kind == "partition":
            if step.src and step.dst:
                out.append(Row(k, "mark", after, step.src, step.dst, "partition",
                               f"link {step.src} - {step.dst} cut"))
            else:
                node = step.src or step.actor
                out.append(Row(k, "mark", after, node, None, "partition", "cut off from every node"))
        elif kind == "heal":
            out.append(Row(k, "mark", after, None, None, "heal", "network heals"))
        else:  # local: a node discards writes or follows a new master
            node = step.dst or step.actor
            label = step.message or (f"follows {step.src}" if step.src and step.src != node else kind)
            out.append(Row(k, "mark", after, node, None, "local", label))
        changed = _node_facts(before) != _node_facts(after)
        if k == last or (changed and kind not in ("crash", "recover")):
            out.append(Row(k, "snapshot", after, holds=holdings(after)))
        before = after
    return out


def partition_gaps(state: dict[str, Any], order: list[str]) -> list[int]:
    """Gaps between neighbouring node lifelines (index of the left one in `order`)
    that separate two groups of nodes which cannot reach each other."""
    nodes = [n for n in order if n in state.get("nodes", {})]
    cut = set(state.get("cut_links", []))
    if not cut:
        return []
    group = {n: n for n in nodes}

    def find(n: str) -> str:
        while group[n] != n:
            n = group[n]
        return n

    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if f"{a}-{b}" not in cut and f"{b}-{a}" not in cut:
                group[find(a)] = find(b)
    return [order.index(a) for a, b in zip(nodes, nodes[1:]) if find(a) != find(b)]


def wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def caption(trace: Trace) -> str:
    if trace.kind == "deadlock":
        return f"{trace.spec}: deadlock"
    if trace.kind == "witness":
        return f"{trace.spec}: {trace.property} is reachable"
    return f"{trace.spec}: {trace.property} is violated"
