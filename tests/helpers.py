"""Shared test helpers: hand-built configs, and running a model."""
from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import lark
from hypothesis import strategies as st

from capmodel.catalogue import PROPERTIES
from capmodel.config import SystemConfig
from capmodel.engines import explicit
from capmodel.ir import expr as X
from capmodel.ir.model import Action, ActionInstance, Condition, Label, Model, Variable
from capmodel.ir.pycompile import compile_successors
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec


def config(**overrides) -> SystemConfig:
    """A small system, every field explicit; tests override what they study."""
    base = dict(name="tiny", file="tiny.cap", nodes=("master", "slave"), leader="master",
                replication="async", acks_needed=0, semi_sync_timeout=False, reads="any_node",
                failover="none", fencing=False, crashes=0, recover=False, partitions=0, writes=1,
                read_count=0, clients=1, checks=tuple(PROPERTIES), invariants=(), reachables=())
    base.update(overrides)
    return SystemConfig(**base)


def run(cfg: SystemConfig, **kw):
    model = build_model(cfg)
    return model, explicit.check(model, stop_when_decided=False, **kw)


ROOT = Path(__file__).resolve().parent.parent


def spec_key(path) -> str:
    """A spec's path from the repository's root: one name whichever way a test spells it."""
    return Path(path).resolve().relative_to(ROOT).as_posix()


def plain_search(path):
    """A spec's model and its search on the Python engine (the reference), with no
    reduction, of every property, to the end: what reduced searches are compared
    with and the corpus's verdicts, run once per spec in each test process (it was
    once per property and per test). Callers must not change it."""
    return _plain_search(spec_key(path))


@lru_cache(maxsize=None)
def _plain_search(key: str):
    model = build_model(load_spec(str(ROOT / key)))
    return model, explicit.check(model, stop_when_decided=False)


def reachable(model: Model) -> set:
    """Every reachable state of a small model, by breadth-first search."""
    succ = compile_successors(model)
    seen = {model.initial_state}
    frontier = [model.initial_state]
    while frontier:
        nxt = []
        for s in frontier:
            for _, t in succ(s):
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return seen


def verdicts(result) -> dict[str, str]:
    return {p.name: p.verdict for p in result.properties}


NODES = [("master", "slave"), ("master", "slave1", "slave2")]


@st.composite
def systems(draw, max_reads: int | None = None, max_clients: int | None = None):
    """Small generated systems; three-node ones get the smaller workloads, to
    keep each model under ~20k states."""
    nodes = draw(st.sampled_from(NODES))
    leaderless = max_reads is None or max_reads <= 1  # its reads take steps: two make large models
    mode = draw(st.sampled_from(["async", "sync", "semi_sync", "quorum"] + ["leaderless"] * leaderless))
    if mode == "leaderless":
        return draw(leaderless_systems(nodes, max_reads, max_clients))
    acks = {"async": 0, "sync": len(nodes) - 1, "quorum": len(nodes) // 2,
            "semi_sync": draw(st.integers(1, len(nodes) - 1))}[mode]
    failover = draw(st.sampled_from(["none", "promote_any", "promote_most_up_to_date", "elect"]))
    return config(
        nodes=nodes, replication=mode, acks_needed=acks,
        semi_sync_timeout=mode == "semi_sync" and draw(st.booleans()),
        reads=draw(st.sampled_from(["master_only", "any_node", "cp", "ap"])),
        failover=failover, fencing=failover != "none" and draw(st.booleans()),
        live_majority=failover not in ("none", "elect") and draw(st.booleans()),
        crashes=draw(st.integers(0, 1)), recover=draw(st.booleans()), partitions=draw(st.integers(0, 1)),
        writes=draw(st.integers(1, 2)),
        read_count=draw(st.integers(0, max_reads if max_reads is not None else 2 if len(nodes) == 2 else 1)),
        clients=draw(st.integers(1, max_clients if max_clients is not None else 2 if len(nodes) == 2 else 1)))


class Checked:
    """The generated systems one test has checked, in this process. Hypothesis
    draws some small systems more than once (the Z3 agreement's 200 draws were
    156 systems), and checking one again adds nothing. A system counts as
    checked only once its check has passed, so that a failing one is checked
    again when Hypothesis replays it to report it."""

    def __init__(self) -> None:
        self._done: set[str] = set()

    def __contains__(self, cfg) -> bool:
        return repr(cfg) in self._done

    def add(self, cfg) -> None:
        self._done.add(repr(cfg))

    def __len__(self) -> int:
        return len(self._done)


def chunk_of(cfg, chunks: int) -> int:
    """Which of `chunks` pieces a generated system belongs to: stable across
    processes (unlike hash()), so xdist can spread the pieces over the cores."""
    return zlib.crc32(repr(cfg).encode()) % chunks


@st.composite
def leaderless_systems(draw, nodes, max_reads: int | None = None, max_clients: int | None = None):
    """Small leaderless systems (docs/semantics.md, section 9): one write, and
    one client when there are three nodes, to keep each model small. Their
    read and write sets overlap (R + W > N), so that the laws every system
    obeys (tests/test_semantics_laws.py: no stale read without failover)
    hold for them too; cassandra_one.cap and tests/test_leaderless.py cover
    the levels that do not overlap."""
    n = len(nodes)
    w = draw(st.integers(1, n))
    r = draw(st.integers(n + 1 - w, n))
    name = {1: "one", n: "all", n // 2 + 1: "quorum"}
    reads = draw(st.integers(0, min(1, max_reads if max_reads is not None else 1)))
    return config(
        nodes=nodes, replication="leaderless", write_level=draw(st.sampled_from([str(w), name.get(w, str(w))])),
        read_level=name.get(r, str(r)), read_repair=draw(st.sampled_from(["none", "blocking"])),
        hinted_handoff=draw(st.booleans()), anti_entropy=draw(st.booleans()),
        crashes=draw(st.integers(0, 1)), recover=draw(st.booleans()), partitions=draw(st.integers(0, 1)),
        writes=1, read_count=reads,
        clients=draw(st.integers(1, min(2, max_clients or 2) if len(nodes) == 2 else 1)))


def counter_model(limit: int, done_at: int, bad_at: int | None = None) -> Model:
    """x counts up to `limit`; y toggles; `done` when x == done_at."""
    x, y = X.var(0), X.var(1)
    inc = ActionInstance("inc", (), X.lt(x, X.const(limit)), ((0, X.add(x, X.const(1))),),
                         Label("local", "c", "x grows"))
    flip = ActionInstance("flip", (), X.eq(y, X.const(0)), ((1, X.const(1)),), Label("local", "c", "y set"))
    invariants = [Condition("small", X.TRUE if bad_at is None else X.lt(x, X.const(bad_at)))]
    return Model("counter", [Variable("x", limit + 1, 0), Variable("y", 2, 0)],
                 [Action("inc", (), (inc,)), Action("flip", (), (flip,))], invariants,
                 [Condition("y_set", X.eq(y, X.const(1)))], X.eq(x, X.const(done_at)))


def grammar_keywords() -> set[str]:
    """The words of grammar.lark's keyword terminals (NAME: "word")."""
    import capmodel.syntax

    grammar = lark.Lark((Path(capmodel.syntax.__file__).parent / "grammar.lark").read_text(), parser="lalr",
                        lexer="contextual")
    return {t.pattern.value for t in grammar.terminals
            if isinstance(t.pattern, lark.lexer.PatternStr) and t.pattern.value.isidentifier()}
