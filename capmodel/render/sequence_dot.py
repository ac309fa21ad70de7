"""A trace as a Graphviz sequence diagram, and running `dot`.

The only module that runs Graphviz's `dot`. Every element is pinned at a position
computed here (layout=neato with `pos="x,y!"`), so lifelines are straight,
arrows are horizontal and the output is the same on every run: one column
per participant (clients, master, slaves), one row per event, time flowing
down. Edges are drawn first (highlight, partition bands, lifelines, arrows),
then the nodes (headers, marks, labels, state boxes) on top of them.
"""
from __future__ import annotations

from pathlib import Path

from ..trace import Trace
from . import events as ev
from .events import Row

COL0 = 90  # x of the first lifeline; x=0 holds the step numbers
GAP = 170  # between lifelines
HEIGHT = {"arrow": 34, "mark": 36, "snapshot": 30}
TEXT_WRAP = 46  # characters per line of the step text on the right
LINE = 12  # points per line of that text

MASTER_BLUE = "#1f5fa8"
OK_GREEN = "#2a7a2a"
ERR_RED = "#c0392b"
GREY = "#9a9a9a"
HIGHLIGHT = "#fff1a8"
STALE_ORANGE = "#c05a00"
ARROW = {  # style -> edge attributes
    ev.REQUEST: 'color="#222222", arrowhead=normal',
    ev.REPLY_OK: f'color="{OK_GREEN}", fontcolor="{OK_GREEN}", style=dashed, arrowhead=normal',
    ev.REPLY_ERROR: f'color="{ERR_RED}", style=dashed, arrowhead=normal',
    ev.NO_ANSWER: f'color="{GREY}", style=dotted, arrowhead=tee',
    ev.LOST: f'color="{ERR_RED}", style=dashed, arrowhead=tee',
    ev.REPLICATE: f'color="{MASTER_BLUE}", arrowhead=vee',
    ev.ACK: f'color="{MASTER_BLUE}", style=dashed, arrowhead=vee',
    ev.STALE: f'color="{STALE_ORANGE}", style=dashed, arrowhead=normal',
}
LABEL_COLOR = {ev.REQUEST: "#222222", ev.REPLY_OK: OK_GREEN, ev.REPLY_ERROR: ERR_RED, ev.NO_ANSWER: "#666666",
               ev.LOST: ERR_RED, ev.REPLICATE: MASTER_BLUE, ev.ACK: MASTER_BLUE, ev.STALE: STALE_ORANGE}
MARK = {  # style -> (glyph, colour)
    "crash": ("\u2715", ERR_RED),
    "recover": ("\u21bb", OK_GREEN),
    "promote": ("\u2605", MASTER_BLUE),
    "partition": ("\u2702", ERR_RED),
    "local": ("\u25cf", "#555555"),
}


def q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def h(text: str) -> str:
    """Text inside an HTML-like label."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def pos(x: float, y: float) -> str:
    return f'pos="{round(x)},{round(y)}!"'


def trace_to_dot(trace: Trace) -> str:
    order = ev.lifelines(trace)
    nodes = set(ev.nodes_of(trace))
    col = {p: i for i, p in enumerate(order)}
    xs = [COL0 + i * GAP for i in range(len(order))]
    right = xs[-1] if xs else COL0
    text_x = right + 70  # left edge of the step texts
    rows = ev.rows(trace)
    last = len(trace.steps) if trace.kind in ("violation", "deadlock") else -1

    # ---- vertical positions: one y per row, steps tall enough for their text
    texts = {s.index: ev.wrap(f"{s.index}. {s.text}", TEXT_WRAP) for s in trace.steps}
    ys: list[int] = []
    y = -30
    k = 0
    while k < len(rows):
        step = rows[k].step
        group = [r for r in rows[k:] if r.step == step]
        top = y
        for r in group:
            y -= HEIGHT[r.kind]
            ys.append(y)
        need = len(texts.get(step, [])) * LINE + 6
        if top - y < need:
            y = top - need
        k += len(group)
    end_y = (ys[-1] if ys else -30) - 30

    N: list[str] = []  # node statements
    E: list[str] = []  # edge statements, drawn in this order, under the nodes

    def point(name: str, x: float, y: float) -> str:
        N.append(f"{name} [style=invis, {pos(x, y)}];")
        return name

    def text(name: str, x: float, y: float, label: str, extra: str = "") -> None:
        N.append(f"{name} [shape=plaintext, label={q(label)}, {pos(x, y)}{', ' + extra if extra else ''}];")

    # ---- the caption
    title = ev.caption(trace)
    wrapped = ev.wrap(trace.explanation, 90) if trace.explanation else []
    lines = "<br/>".join(h(line) for line in wrapped)
    cap_lines, cap_x = len(wrapped) + 1, (right + 60 - 30) / 2
    cap = f'<<font point-size="15"><b>{h(title)}</b></font>' + (f'<br/><font point-size="12">{lines}</font>'
                                                                 if lines else "") + ">"

    # ---- headers
    for p, x in zip(order, xs):
        role = "client" if p not in nodes else trace.initial["nodes"][p].get("role", "")
        fill = "#f0f0f0" if p not in nodes else ("#dce8f7" if role == "master" else "white")
        label = f'<<b>{h(p)}</b><br/><font point-size="9">{h(role)}</font>>'
        N.append(f"h{col[p]} [shape=box, style=\"rounded,filled\", fillcolor=\"{fill}\", label={label}, "
                 f"width=1.1, {pos(x, 0)}];")

    # ---- the highlighted (violating) step
    mine = [y for r, y in zip(rows, ys) if r.step == last]
    if mine:
        top, bottom = max(mine) + 18, min(mine) - 16
        mid = (top + bottom) / 2
        point("hl_a", -30, mid)
        point("hl_b", right + 60, mid)
        E.append(f'hl_a -> hl_b [arrowhead=none, color="{HIGHLIGHT}", penwidth={round(top - bottom)}];')

    # ---- partition bands: segments between consecutive rows where a gap is cut
    prev_y, prev_state = -20, trace.initial
    seg = 0
    for r, y in list(zip(rows, ys)) + [(None, end_y)]:
        for g in ev.partition_gaps(prev_state, order):
            gx = (xs[g] + xs[g + 1]) / 2
            a = point(f"band{seg}_a", gx, prev_y)
            b = point(f"band{seg}_b", gx, y)
            E.append(f'{a} -> {b} [arrowhead=none, color="#f3c1c1", penwidth=12];')
            seg += 1
        if r is not None:
            prev_y, prev_state = y, r.state

    # ---- lifelines: from each header down through every row
    for p in order:
        c = col[p]
        prev, state = f"h{c}", trace.initial
        for i, y in enumerate(ys + [end_y]):
            cur = point(f"p{i}_{c}", xs[c], y)
            E.append(f"{prev} -> {cur} [arrowhead=none, {_lifeline(p, state, nodes)}];")
            prev = cur
            if i < len(rows):
                state = rows[i].state

    # ---- rows
    for i, (r, y) in enumerate(zip(rows, ys)):
        first_of_step = i == 0 or rows[i - 1].step != r.step
        if first_of_step and r.step in texts:
            n = len(texts[r.step])
            body = "".join(line + "\\l" for line in texts[r.step])
            colour = ERR_RED if r.step == last else "#444444"
            N.append(f"t{r.step} [shape=plaintext, fixedsize=true, width={(TEXT_WRAP * 6.2) / 72:.2f}, "
                     f"height={n * LINE / 72:.2f}, fontsize=10, fontcolor=\"{colour}\", label=\"{_esc(body)}\", "
                     f"{pos(text_x + TEXT_WRAP * 3.1, y + 6 - n * LINE / 2)}];")
            num_style = f'fontcolor="{ERR_RED}", fontname="Helvetica-Bold"' if r.step == last else 'fontcolor="#444444"'
            text(f"n{r.step}", 0, y, str(r.step), f"fontsize=12, {num_style}")
        if r.kind == "arrow":
            _arrow(r, i, y, col, xs, order, nodes, E, text)
        elif r.kind == "mark":
            _mark(r, i, y, col, xs, order, E, text, trace,
                  HIGHLIGHT if r.step == last else "white")
        else:
            text(f"hold{i}", 0, y, "holds:", 'fontsize=9, fontcolor="#777777"')
            for p in order:
                if p not in r.holds:
                    continue
                hd = r.holds[p]
                fill, font, border = "white", "#222222", "#555555"
                if hd.master and hd.up:
                    fill, border = "#dce8f7", MASTER_BLUE
                if not hd.up:
                    fill, font, border = "#eeeeee", GREY, GREY
                if hd.lacks:
                    font, border = ERR_RED, ERR_RED
                N.append(f"s{i}_{col[p]} [shape=box, style=\"rounded,filled\", fillcolor=\"{fill}\", "
                         f"color=\"{border}\", fontcolor=\"{font}\", fontsize=10, height=0.22, width=0.3, "
                         f"margin=\"0.05,0.01\", label={q(hd.text())}, {pos(xs[col[p]], y)}];")

    head = ["digraph sequence {",
            '  graph [layout=neato, inputscale=72, splines=false, outputorder=edgesfirst, '
            'fontname="Helvetica", pad="0.3", bgcolor=white];',
            '  node [fontname="Helvetica", fontsize=11, shape=point, width=0.01, height=0.01];',
            '  edge [fontname="Helvetica", fontsize=11, arrowsize=0.8, headclip=false, tailclip=false];',
            f"  caption [shape=plaintext, label={cap}, {pos(cap_x, 30 + 8 * cap_lines)}];"]
    body = ["  " + line for line in N + E]
    return "\n".join(head + body + ["}"]) + "\n"


def _esc(text: str) -> str:
    """Escape quotes and backslashes but keep DOT's \\l line ends."""
    return text.replace('"', '\\"').replace("\\l", "\x00").replace("\\", "\\\\").replace("\x00", "\\l")


def _lifeline(p: str, state: dict, nodes: set[str]) -> str:
    if p not in nodes:
        return 'color="#8a8a8a", penwidth=1'
    n = state.get("nodes", {}).get(p, {})
    if not n.get("up", True):
        return f'color="{GREY}", style=dashed, penwidth=1'
    if n.get("role") == "master":
        return f'color="{MASTER_BLUE}", penwidth=3'
    if n.get("role") == "fenced":
        return 'color="#d08000", style=dashed, penwidth=1.5'
    return 'color="#555555", penwidth=1.2'


def _label_gap(a: int, b: int, order: list[str], nodes: set[str]) -> int:
    """The gap (index of its left lifeline) where an arrow from column a to b is labelled:
    the gap nearest its middle, ties going to the client's end (or the sender's)."""
    lo, hi = min(a, b), max(a, b)
    gaps = list(range(lo, hi))
    mid = (lo + hi - 1) / 2
    best = min(abs(g - mid) for g in gaps)
    near = [g for g in gaps if abs(g - mid) == best]
    if len(near) == 1:
        return near[0]
    client_end = a if order[a] not in nodes else b if order[b] not in nodes else a
    return near[0] if client_end == lo else near[-1]


def _arrow(r: Row, i: int, y: int, col, xs, order, nodes, E, text) -> None:
    if r.src not in col or r.dst not in col or r.src == r.dst:
        text(f"l{i}", (xs[0] + xs[-1]) / 2, y, r.label, 'fontsize=10, fontcolor="#555555"')
        return
    a, b = col[r.src], col[r.dst]
    E.append(f"p{i}_{a} -> p{i}_{b} [{ARROW[r.style]}];")
    g = _label_gap(a, b, order, nodes)
    colour = LABEL_COLOR[r.style]
    text(f"l{i}", (xs[g] + xs[g + 1]) / 2, y + 10, r.label, f'fontsize=11, fontcolor="{colour}"')


def _mark(r: Row, i: int, y: int, col, xs, order, E, text, trace: Trace, bg: str) -> None:
    if r.style == "heal":
        nodes = [col[n] for n in ev.nodes_of(trace) if n in col]
        x = (xs[min(nodes)] + xs[max(nodes)]) / 2 if nodes else xs[0]
        text(f"m{i}", x, y, "\u2713 the network heals: every link is restored",
             f'fontsize=11, fontcolor="{OK_GREEN}", style=filled, fillcolor="{bg}", margin="0.02,0"')
        return
    glyph, colour = MARK.get(r.style, MARK["local"])
    if r.src not in col:
        text(f"m{i}", (xs[0] + xs[-1]) / 2, y, f"{glyph} {r.label}", f'fontcolor="{colour}"')
        return
    c = col[r.src]
    if r.style == "partition" and r.dst in col:
        d = col[r.dst]
        E.append(f'p{i}_{c} -> p{i}_{d} [arrowhead=none, color="{ERR_RED}", style=dashed, penwidth=1.5];')
        g = _label_gap(c, d, order, set())
        text(f"m{i}", (xs[g] + xs[g + 1]) / 2, y + 10, f"{glyph} {r.label}", f'fontsize=10, fontcolor="{colour}"')
        return
    size = 20 if r.style in ("crash", "promote") else 14
    text(f"g{i}", xs[c], y, glyph, f'fontsize={size}, fontcolor="{colour}"')
    bold = ', fontname="Helvetica-Bold"' if r.style in ("crash", "promote") else ""
    width = len(r.label) * 6
    # filled with the background, so a partition band under the words does not cross them
    side = -1 if c == len(xs) - 1 and c > 0 else 1  # the rightmost lifeline is labelled on its left
    text(f"m{i}", xs[c] + side * (16 + width / 2), y, r.label,
         f'fontsize=11, fontcolor="{colour}", style=filled, fillcolor="{bg}", margin="0.02,0"{bold}')


# ------------------------------------------------------------------ rendering
class DotMissing(Exception):
    """The Graphviz `dot` program is not installed."""


INSTALL_HINT = ("note: Graphviz's `dot` program was not found, so only .dot and .mmd files were written; "
                "install it with `sudo apt-get install graphviz` (or `make install`, which does it)")


def have_dot() -> bool:
    # shutil and subprocess are imported where `dot` runs: every `capmodel`
    # command imports this module (for DOT_SECONDS), and most never run `dot`
    import shutil

    return shutil.which("dot") is not None


DOT_SECONDS = 60.0  # what one `dot` run may take: a large graph can keep it busy for hours


def render_dot(source: str, target: Path, fmt: str, timeout: float = DOT_SECONDS) -> Path:
    """Run `dot` on DOT text and write target (its suffix is replaced by fmt).
    Raises DotMissing without `dot`, RuntimeError when `dot` fails or runs
    longer than `timeout` seconds (it is then killed)."""
    import shutil
    import subprocess

    dot = shutil.which("dot")
    if dot is None:
        raise DotMissing()
    out = target.with_suffix("." + fmt)
    try:
        run = subprocess.run([dot, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                             timeout=timeout, check=False)
    except FileNotFoundError as err:
        raise DotMissing() from err
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"dot ran longer than {timeout:g} s and was stopped") from None
    if run.returncode != 0:
        detail = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(detail[0] if detail else f"dot exited with status {run.returncode}")
    out.write_bytes(run.stdout)
    return out
