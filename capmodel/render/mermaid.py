"""A trace as a Mermaid `sequenceDiagram` (renders in Markdown and slides).

Same rows as the Graphviz diagram (see events.py): arrows for requests,
replication, acks and answers; notes for crashes, recoveries, promotions,
partitions and what each node holds; the partition as a red band until it
heals and the violating step as a yellow band."""
from __future__ import annotations

import re

from ..trace import Trace
from . import events as ev

ARROW = {ev.REQUEST: "->>", ev.REPLY_OK: "-->>", ev.REPLY_ERROR: "-->>", ev.NO_ANSWER: "--x",
         ev.LOST: "-x", ev.REPLICATE: "-)", ev.ACK: "--)", ev.STALE: "-->>"}
GLYPH = {"crash": "\u2715", "recover": "\u21bb", "promote": "\u2605", "partition": "\u2702",
         "local": "\u25cf", "heal": "\u2713"}
KEYWORDS = {"end", "participant", "actor", "note", "loop", "alt", "else", "opt", "par", "and", "rect",
            "critical", "break", "box", "activate", "deactivate", "title", "autonumber", "link", "links",
            "create", "destroy", "over", "left", "right", "of", "option", "properties", "details"}
PARTITION_BAND = "rgba(230, 120, 120, 0.15)"
HIGHLIGHT_BAND = "rgba(255, 225, 90, 0.35)"


def text(s: str) -> str:
    """Message and note text: Mermaid ends them at a newline and reads ; and # as syntax."""
    return (s.replace("\n", " ").replace("#", "#35;").replace(";", "#59;")
            .replace("<", "#60;"))


def trace_to_mermaid(trace: Trace) -> str:
    order = ev.lifelines(trace)
    nodes = set(ev.nodes_of(trace))
    ids = {}
    for k, p in enumerate(order):
        ok = re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", p) and p.lower() not in KEYWORDS
        ids[p] = p if ok else f"p{k}"
    rows = ev.rows(trace)
    last = len(trace.steps) if trace.kind in ("violation", "deadlock") else -1

    out = ["sequenceDiagram", f"    title {text(ev.caption(trace))}"]
    for p in order:
        word = "participant" if p in nodes else "actor"
        out.append(f"    {word} {ids[p]}" + (f" as {text(p)}" if ids[p] != p else ""))
    node_ids = [ids[p] for p in order if p in nodes]
    span = f"{node_ids[0]},{node_ids[-1]}" if len(node_ids) > 1 else (node_ids[0] if node_ids else ids[order[0]])
    everyone = f"{ids[order[0]]},{ids[order[-1]]}" if len(order) > 1 else ids[order[0]]

    indent = "    "
    open_blocks: list[str] = []  # "partition" / "highlight", innermost last
    cut = bool(trace.initial.get("cut_links"))
    if cut:
        out.append(f"{indent}rect {PARTITION_BAND}")
        open_blocks.append("partition")

    def pad() -> str:
        return indent * (1 + len(open_blocks))

    step_texts = {s.index for s in trace.steps}
    for i, r in enumerate(rows):
        first = i == 0 or rows[i - 1].step != r.step
        if first and r.step == last:
            out.append(f"{pad()}rect {HIGHLIGHT_BAND}")
            open_blocks.append("highlight")
        num = f"{r.step}. " if first and r.step in step_texts else ""
        if r.kind == "arrow" and r.src in ids and r.dst in ids:
            out.append(f"{pad()}{ids[r.src]}{ARROW[r.style]}{ids[r.dst]}: {num}{text(r.label)}")
        elif r.kind == "mark":
            glyph = GLYPH.get(r.style, GLYPH["local"])
            if r.style == "partition" and not cut:
                out.append(f"{pad()}rect {PARTITION_BAND}")
                open_blocks.append("partition")
                cut = True
            if r.style == "heal":
                out.append(f"{pad()}Note over {span}: {num}{glyph} {text(r.label)}")
            elif r.src in ids and r.dst in ids:
                out.append(f"{pad()}Note over {ids[r.src]},{ids[r.dst]}: {num}{glyph} {text(r.label)}")
            elif r.src in ids:
                out.append(f"{pad()}Note over {ids[r.src]}: {num}{glyph} {text(r.src)} {text(r.label)}")
            else:
                out.append(f"{pad()}Note over {span}: {num}{glyph} {text(r.label)}")
            if r.style == "heal" and open_blocks and open_blocks[-1] == "partition":
                # (a band opened before the highlighted step is closed at the end instead)
                open_blocks.pop()
                out.append(f"{pad()}end")
                cut = False
        elif r.kind == "snapshot":
            held = " | ".join(f"{p}: {r.holds[p].text()}" for p in order if p in r.holds)
            out.append(f"{pad()}Note over {span}: holds {text(held)}")
    while open_blocks:  # the highlighted step runs to the end; a partition may outlast it
        open_blocks.pop()
        out.append(f"{pad()}end")
    if trace.explanation:
        out.append(f"{indent}Note over {everyone}: {text(trace.explanation)}")
    return "\n".join(out) + "\n"

