"""SystemConfig -> IR Model for leaderless replication: the actions of
leaderless.py, the faults every family shares (faults.py), the properties
of leaderless_properties.py, and the words of its traces."""
from __future__ import annotations

from typing import Any

from ..config import SystemConfig
from ..ir import expr as X
from ..ir.model import ActionInstance, Condition, Model, State
from .expressions import ExpressionCompiler, Ref
from .faults import add_crashes, add_partitions
from .leaderless import (LEADERLESS_READ_STATUS, R_PENDING, LeaderlessState, add_leaderless_reads,
                         add_leaderless_writes, add_repair, repair_steps)
from .leaderless_properties import LeaderlessExplainer, leaderless_conditions
from .state import R_NOT_SENT, WRITE_STATUS, W_NOT_SENT, W_PENDING, ActionSet, client_name, read_name, writes_in

COORDINATOR, CLIENT = "<coordinator>", "<client>"


class LeaderlessCompiler(ExpressionCompiler):
    """Spec conditions over a leaderless system: a node's `has(w)` is 'holds
    version w'; master words (is_master, source, term, primary) have their
    leaderless meaning: no node is a master, each is its own source."""

    def _attr(self, kind: str, k: int, name: str, arg=None, arg2=None):
        if kind == "node" and name in ("is_master", "is_follower", "is_fenced", "acked", "acked_as_master"):
            return X.FALSE
        if kind == "node" and name == "source":
            return Ref("node", X.const(k))
        if name == "term" and kind in ("node", "write"):  # no terms without a master
            return X.const(0)
        st = self.st
        held = {("write", "acked_by"): st.wacks, ("write", "in_flight_to"): st.inflight,
                ("read", "replied_by"): st.replied}.get((kind, name))
        if held is not None:  # the nodes that acked, were sent, replied
            return self._per_element(arg, lambda m: X.has_bit(held[k], m))
        if (kind, name) == ("read", "pending"):
            return X.eq(st.rstatus[k], X.const(R_PENDING))
        if (kind, name) == ("node", "hint_for"):  # k's hint for replica t is version w
            return self._per_element(arg, lambda t: self._per_element(
                arg2, lambda i: X.has_bit(st.hint[k, t], i) if (k, t) in st.hint else X.FALSE))
        return super()._attr(kind, k, name, arg, arg2)


class LeaderlessStory:
    def __init__(self, st: LeaderlessState) -> None:
        self.st = st
        self.index = {v.name: i for i, v in enumerate(st.variables)}

    def get(self, s: State, name: str) -> int:
        return s[self.index[name]]

    def version(self, s: State, name: str) -> str:
        held = writes_in(self.get(s, name))
        return held[0] if held else "nothing"

    def view(self, s: State) -> dict[str, Any]:
        st = self.st
        cut = self.get(s, "cut_links") if st.cut is not None else 0
        nodes = {}
        for n, node in enumerate(st.nodes):
            nodes[node] = {"up": bool(self.get(s, f"up[{node}]")),
                           "role": "replica" if n in st.home else "stand-in",
                           "log": writes_in(self.get(s, f"value[{node}]"))}  # its one version
            hints = {st.nodes[t]: writes_in(s[var.args[0]]) for (h, t), var in st.hint.items()
                     if h == n and s[var.args[0]]}
            if hints:
                nodes[node]["hints"] = hints
        writes, reads = {}, {}
        for i in range(st.W):
            w = f"w{i + 1}"
            status = self.get(s, f"status[{w}]")
            writes[w] = {"status": WRITE_STATUS[status]}
            if status != W_NOT_SENT:
                writes[w].update(node=st.nodes[self.get(s, f"node[{w}]")],
                                 client=client_name(self.get(s, f"client[{w}]")),
                                 acked_by=[st.nodes[n] for n in range(st.N) if self.get(s, f"acks[{w}]") >> n & 1])
        for j in range(st.R):
            r = read_name(j)
            status = self.get(s, f"status[{r}]")
            reads[r] = {"status": LEADERLESS_READ_STATUS[status]}
            if status != R_NOT_SENT:
                reads[r].update(node=st.nodes[self.get(s, f"node[{r}]")],
                                client=client_name(self.get(s, f"client[{r}]")),
                                returned=writes_in(self.get(s, f"seen[{r}]")))
        return {"nodes": nodes, "writes": writes, "reads": reads,
                "cut_links": [f"{st.nodes[a]}-{st.nodes[b]}" for k, (a, b) in enumerate(st.pairs) if cut >> k & 1]}

    def narrate(self, before: State, inst: ActionInstance, after: State) -> dict[str, str]:
        st, label = self.st, inst.label
        out = {"text": label.text, "src": label.src, "dst": label.dst, "message": label.message}
        args = dict(inst.args)
        request = args.get("write") or args.get("read")
        if request:
            coordinator = st.nodes[self.get(before, f"node[{request}]")]
            client = client_name(self.get(before, f"client[{request}]"))
            for key in out:
                if isinstance(out[key], str):
                    out[key] = out[key].replace(COORDINATOR, coordinator).replace(CLIENT, client)
        if inst.family == "client_write":
            w = args["write"]
            node = args["node"]
            sent = [st.nodes[n] for n in range(st.N) if self.get(after, f"in_flight[{w}]") >> n & 1]
            own = "writes it to its own replica and " if st.nodes.index(node) in st.home else ""
            out["text"] = (f"{args['client']} sends {w} to {node}, which coordinates it: it {own}sends {w} to "
                           f"{', '.join(sent) or 'no other replica'}")
            missing = [st.nodes[t] for t in st.home if st.nodes[t] not in sent and st.nodes[t] != node]
            if missing:
                out["text"] += f" ({', '.join(missing)} out of reach)"
        elif inst.family == "read_reply":
            r, t = args["read"], args["replica"]
            out["message"] = f"{r}: {self.version(before, f'value[{t}]')}"
            out["text"] = f"{t} answers {r} with {self.version(before, f'value[{t}]')}"
        elif inst.family == "read_answer":
            r = args["read"]
            out["message"] = f"{r} -> {self.version(after, f'seen[{r}]')}"
            out["text"] += f": {self.version(after, f'seen[{r}]')}"
        elif inst.family == "message_lost" and st.hints_on:
            coordinator = st.nodes[self.get(before, f"node[{args['write']}]")]
            if not self.get(before, f"up[{coordinator}]"):  # the label says a hint is kept: only a live one keeps it
                out["text"] = out["text"].replace("(the coordinator keeps a hint)",
                                                  f"({coordinator}, its coordinator, is down: no hint is kept)")
        elif inst.family == "deliver":
            w, t = args["write"], args["replica"]
            if self.get(after, f"value[{t}]") == self.get(before, f"value[{t}]"):
                out["text"] = (f"{out['src']} sends {w} to {t}, which keeps its own "
                               f"{self.version(before, f'value[{t}]')} (a higher timestamp) and acks")
        return out


def build_leaderless_model(cfg: SystemConfig) -> Model:
    st = LeaderlessState(cfg)
    acts = ActionSet()
    # clients first, faults late (the order of exploration)
    add_leaderless_writes(st, acts)
    add_leaderless_reads(st, acts)
    add_repair(st, acts)
    add_crashes(st, acts)
    add_partitions(st, acts)
    actions = acts.actions()
    done = X.and_(*(X.and_(X.ne(s, X.const(W_NOT_SENT)), X.ne(s, X.const(W_PENDING))) for s in st.wstatus),
                  *(X.and_(X.ne(s, X.const(R_NOT_SENT)), X.ne(s, X.const(R_PENDING))) for s in st.rstatus))
    quiet = X.not_(X.or_(*(inst.guard for a in actions if a.name in repair_steps() for inst in a.instances)))
    compiler = LeaderlessCompiler(st)
    invariants = leaderless_conditions(st, quiet, done)
    invariants += [Condition(c.name.text, compiler.compile(c.expr), "user invariant") for c in cfg.invariants]
    reachables = [Condition(c.name.text, compiler.compile(c.expr), "must be reachable") for c in cfg.reachables]
    lemmas = [Condition(c.name.text, compiler.compile(c.expr), "lemma") for c in cfg.lemmas]
    story, explainer = LeaderlessStory(st), LeaderlessExplainer(st)
    return Model(
        name=cfg.name, variables=st.variables, actions=actions, invariants=invariants, reachables=reachables,
        done=done, lemmas=lemmas, narrate=story.narrate, view=story.view,
        participants=[client_name(c) for c in range(cfg.clients)] + list(cfg.nodes),
        explain={name: (lambda states, name=name: explainer(name, states)) for name in cfg.checks},
        symmetry=None)
