"""Telling a model's states and steps in plain words: the `view` and
`narrate` hooks that engines and outputs call without knowing what a
master is."""
from __future__ import annotations

from typing import Any

from ..ir.model import ActionInstance, State
from .state import (MASTER, READ_STATUS, ROLE_NAMES, WRITE_STATUS, W_OK, SystemState, client_name,
                    read_name, write_name, writes_in)
from .writes import WRITE_CLIENT


class Story:
    def __init__(self, st: SystemState) -> None:
        self.st = st
        self.index = {v.name: i for i, v in enumerate(st.variables)}

    def get(self, s: State, name: str) -> int:
        return s[self.index[name]]

    def log(self, s: State, node: str) -> int:
        return self.get(s, f"log[{node}]")

    def acked(self, s: State) -> int:
        return sum(1 << i for i in range(self.st.W) if self.get(s, f"status[{write_name(i)}]") == W_OK)

    # ------------------------------------------------------------------ view
    def view(self, s: State) -> dict[str, Any]:
        st = self.st
        cut = self.get(s, "cut_links") if st.cut is not None else 0
        nodes = {}
        for node in st.nodes:
            nodes[node] = {
                "up": bool(self.get(s, f"up[{node}]")),
                "role": ROLE_NAMES[self.get(s, f"role[{node}]")],
                "log": writes_in(self.log(s, node)),
                "source": st.nodes[self.get(s, f"source[{node}]")],
            }
        writes = {}
        for i in range(st.W):
            w = write_name(i)
            status = self.get(s, f"status[{w}]")
            writes[w] = {"status": WRITE_STATUS[status]}
            if status:
                writes[w].update(node=st.nodes[self.get(s, f"node[{w}]")],
                                 client=client_name(self.get(s, f"client[{w}]")))
        reads = {}
        for j in range(st.R):
            r = read_name(j)
            status = self.get(s, f"status[{r}]")
            reads[r] = {"status": READ_STATUS[status]}
            if status:
                reads[r].update(node=st.nodes[self.get(s, f"node[{r}]")],
                                client=client_name(self.get(s, f"client[{r}]")),
                                returned=writes_in(self.get(s, f"seen[{r}]")))
        return {
            "nodes": nodes,
            "writes": writes,
            "reads": reads,
            "primary": st.nodes[self.get(s, "primary")],
            "cut_links": [f"{st.nodes[a]}-{st.nodes[b]}" for k, (a, b) in enumerate(st.pairs) if cut >> k & 1],
        }

    # --------------------------------------------------------------- narrate
    def narrate(self, before: State, inst: ActionInstance, after: State) -> dict[str, str]:
        """The step in words, and the arrow's ends and message where they depend on the state."""
        st, label = self.st, inst.label
        out = {"text": label.text, "src": label.src, "dst": label.dst, "message": label.message}
        args = dict(inst.args)
        if inst.family == "replicate":
            f, m = args["follower"], args["master"]
            new = writes_in(self.log(after, f) & ~self.log(before, f))
            out["message"] = ", ".join(new)
            out["text"] = f"{m} sends {out['message']} to {f}"
        elif inst.family == "replicate_noop":
            f, m = args["follower"], args["master"]
            new = self.get(after, f"noops[{f}]") & ~self.get(before, f"noops[{f}]")
            out["message"] = f"no-op of term {new.bit_length()}"
            out["text"] = f"{m} sends {f} the {out['message']}, written by the leader elected in that term"
        elif inst.family == "ack":
            f = args["follower"]
            held = writes_in(self.log(before, f))
            out["message"] = f"ACK {held[-1]}" if held else "ACK"
            held += self._noops(before, f)
            out["text"] = f"{f} acks to {args['master']} that it holds {', '.join(held) or 'nothing'}"
        elif inst.family == "discard_divergent":
            f = args["follower"]
            gone = writes_in(self.log(before, f) & ~self.log(after, f))
            gone += self._noops(before, f, after)
            out["text"] = f"{f} discards {', '.join(gone)}, which {args['master']} does not have"
            out["message"] = "discard " + ", ".join(gone)
        elif inst.family == "crash":
            out["text"] = self._crash(before, args["node"])
        elif inst.family == "promote":
            c = args["candidate"]
            missing = writes_in(self.acked(before) & ~self.log(before, c))
            if missing:
                out["text"] += f"; it does not hold the acknowledged {', '.join(missing)}"
        if out["dst"] == WRITE_CLIENT:
            w = args["write"]
            out["dst"] = client_name(self.get(before, f"client[{w}]"))
            out["text"] = out["text"].replace(WRITE_CLIENT, out["dst"])
        if inst.family == "client_read":
            r = args["read"]
            got = writes_in(self.get(after, f"seen[{r}]"))
            out["message"] = f"{r} -> {', '.join(got) or 'nothing'}"
            out["text"] += f", which answers {', '.join(got) or 'with no writes'}"
        return out

    def _noops(self, s: State, node: str, after: State | None = None) -> list[str]:
        """The election no-ops node holds in s (that it no longer holds in `after`), in words."""
        if self.st.noops is None:  # no-ops exist under elections only (noop.py)
            return []
        held = self.get(s, f"noops[{node}]") & ~(self.get(after, f"noops[{node}]") if after else 0)
        return [f"the no-op of term {t}" for t in range(1, held.bit_length() + 1) if held >> (t - 1) & 1]

    def _crash(self, s: State, node: str) -> str:
        """Name the acknowledged writes the crashing node alone holds."""
        st = self.st
        text = f"{node} crashes"
        if self.get(s, f"role[{node}]") != MASTER:
            return text
        others = [o for o in st.nodes if o != node and self.get(s, f"up[{o}]")]
        for w in writes_in(self.acked(s) & self.log(s, node)):
            bit = 1 << (int(w[1:]) - 1)
            missing = [o for o in others if not self.log(s, o) & bit]
            if missing and len(missing) == len(others):
                return f"{text}: write {w} was acknowledged but never reached {', '.join(missing)}"
        return text
