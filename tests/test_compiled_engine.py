"""The compiled explicit engine against the Python one, its reference: every
shipped spec and generated systems give the same states, transitions, depth,
verdicts, bounds and counterexample traces, unbounded and under max_states,
max_depth and memory bounds, with and without symmetry reduction; random IR
expressions mean the same in C as in Python; the library cache is used."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import data as st_data

from capmodel.engines import compiled, explicit
from capmodel.engines.result import INCOMPLETE, VIOLATED
from capmodel.ir import expr as X
from capmodel.ir.expr import BOOL, INT, Expr
from capmodel.ir.model import Action, ActionInstance, Condition, Label, Model, Variable
from capmodel.ir.symmetry import find_symmetry
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec
from capmodel.trace import replay

from helpers import Checked, chunk_of, config, counter_model, plain_search, systems

SPECS = sorted(Path(__file__).resolve().parent.parent.joinpath("specs").rglob("*.cap"))
SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """One library cache for the whole run, shared by the xdist workers (writes are atomic)."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "capmodel-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CAPMODEL_CACHE_DIR", str(folder))
        reason = compiled.available()
        if reason is not None:
            pytest.skip(reason)
        yield folder


@pytest.fixture(autouse=True)
def _cache(cache, monkeypatch):
    monkeypatch.setenv("CAPMODEL_CACHE_DIR", str(cache))
    # small blocks of the parallel search, so that every model meets their edges
    monkeypatch.setattr(compiled, "BLOCK", 61)
    monkeypatch.setattr(compiled, "PAR_MIN", 2)


def told(trace):
    return None if trace is None else trace.to_json()


def summary(result) -> dict:
    s = result.stats
    return {"engine": result.engine,
            "stats": (s.states, s.transitions, s.depth, s.complete, s.bound, s.stopped_early),
            "properties": [(p.name, p.verdict, told(p.trace)) for p in result.properties],
            "reachables": [(r.name, r.verdict, told(r.trace)) for r in result.reachables],
            "deadlock": told(result.deadlock), "unfired": result.unfired}


def assert_same(model: Model, want=None, **kw):
    """The Python engine, the compiled one on one thread and on three.
    `want`: the Python engine's result for these bounds, when it is known already."""
    want = want or explicit.check(model, **kw)
    for workers in (1, 3):
        got = compiled.check(model, workers=workers, **kw)
        assert summary(got) == summary(want), (workers, kw)
    return want


def symmetry_of(model: Model):
    return find_symmetry(model, model.invariants + model.lemmas + model.reachables)


# ---------------------------------------------------------------- shipped specs
@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_every_spec_gives_the_same_search(path):
    model, reference = plain_search(path)  # the Python engine's whole search, shared with other tests
    full = assert_same(model, reference, stop_when_decided=False)
    assert full.stats.complete
    # stopping once every verdict is known, or at a state bound (mid-level; at most
    # 20,000 states, which is many levels deep in every spec, so that the Python
    # engine's run of the largest, 452,000 states, is not timed twice more)
    assert_same(model, max_states=max(1, min(full.stats.states // 3, 20_000)))
    # a depth bound, with one property checked
    assert_same(model, properties=[model.invariants[0].name], stop_when_decided=False,
                max_depth=full.stats.depth // 2)


SYMMETRIC = [p for p in SPECS if p.name in ("async.cap", "raft_majority.cap", "cp_fenced.cap",
                                            "redis_partitioned_master.cap")]


@pytest.mark.slow
@pytest.mark.parametrize("path", SYMMETRIC, ids=lambda p: p.name)
def test_symmetry_reduction_gives_the_same_search(path):
    model = build_model(load_spec(str(path)))
    sym = symmetry_of(model)
    assert sym is not None and sym.perms
    full = assert_same(model, stop_when_decided=False, symmetry=sym)
    assert full.stats.states < compiled.check(model, stop_when_decided=False).stats.states
    assert_same(model, symmetry=sym, max_states=full.stats.states // 2)
    for p in full.properties + full.reachables:
        if p.trace is not None:
            replay(model, p.trace)  # realised as a run of the unreduced model


def test_a_larger_symmetry_group():
    """Three interchangeable followers (a group of 6): a canonical form over many images."""
    cfg = config(nodes=("master", "s1", "s2", "s3"), replication="quorum", acks_needed=2,
                 failover="promote_most_up_to_date", crashes=1, writes=1, read_count=1)
    model = build_model(cfg)
    sym = symmetry_of(model)
    assert sym is not None and sym.order == 6
    assert_same(model, stop_when_decided=False, symmetry=sym)


# ---------------------------------------------------------------- generated systems
CHUNKS = 4
SAME = Checked()


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
@settings(max_examples=6, **SETTINGS)
@given(data=st_data())
def test_generated_systems_give_the_same_search(chunk, data):
    cfg = data.draw(systems().filter(lambda c: chunk_of(c, CHUNKS) == chunk))
    if cfg in SAME:
        return
    model = build_model(cfg)
    full = assert_same(model, stop_when_decided=False)
    assert_same(model, max_states=max(1, full.stats.states // 3), max_depth=max(0, full.stats.depth - 2))
    sym = symmetry_of(model)
    if sym is not None:
        assert_same(model, stop_when_decided=False, symmetry=sym)
    SAME.add(cfg)


# ---------------------------------------------------------------- the IR's meaning in C
def _leaf(n_vars: int):
    return st.one_of(st.integers(-3, 9).map(lambda v: Expr("const", (v,), INT)),
                     st.integers(0, n_vars - 1).map(lambda i: Expr("var", (i,), INT)),
                     st.integers(0, n_vars - 1).map(lambda i: Expr("var", (i,), BOOL)))


def _node(children):
    binary = st.sampled_from(["add", "sub", "eq", "ne", "lt", "le", "band", "bor", "bdiff"])
    unary = st.sampled_from(["not", "lowbit", "popcount", "b2i"])
    return st.one_of(
        st.tuples(binary, children, children).map(lambda t: Expr(t[0], t[1:], X.OPS[t[0]][0])),
        st.tuples(unary, children).map(lambda t: Expr(t[0], t[1:], X.OPS[t[0]][0])),
        st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3))
        .map(lambda t: Expr(t[0], tuple(t[1]), BOOL)),
        st.tuples(children, children, children).map(lambda t: Expr("ite", t, t[1].type)))


def expressions(n_vars: int):
    """Raw IR terms (no constant folding), with ints where booleans are expected
    and booleans in arithmetic, as Python gives every such mix a meaning."""
    return st.recursive(_leaf(n_vars), _node, max_leaves=10)


@pytest.mark.slow
@settings(max_examples=10, **SETTINGS)
@given(data=st_data())
def test_random_expressions_mean_the_same_in_c(data):
    """Four variables of 0..7 and six instances whose guards and updates are
    random terms (an update keeps three bits of its term, or tests its truth)."""
    n = 4
    terms = expressions(n)
    instances = []
    for k in range(6):
        target = data.draw(st.integers(0, n - 1))
        value = data.draw(terms)
        value = Expr("band", (value, X.const(7)), INT) if data.draw(st.booleans()) else Expr("ne", (value, X.const(0)), BOOL)
        instances.append(ActionInstance(f"a{k}", (), data.draw(terms), ((target, value),), Label("local", "x", "")))
    model = Model("terms", [Variable(f"v{i}", 8, i + 1) for i in range(n)],
                  [Action(inst.family, (), (inst,)) for inst in instances],
                  [Condition(f"inv{k}", data.draw(terms)) for k in range(3)],
                  [Condition(f"reach{k}", data.draw(terms)) for k in range(2)], data.draw(terms))
    assert_same(model, stop_when_decided=False)


def test_a_value_beyond_its_variable_bits_is_refused_not_stored():
    """x has 2 values (one bit); x := x + 1 from 1 gives 2, which Python would store."""
    x = X.var(0)
    inst = ActionInstance("inc", (), X.TRUE, ((0, X.add(x, X.const(1))),), Label("local", "x", ""))
    model = Model("overflow", [Variable("x", 2, 0)], [Action("inc", (), (inst,))], [], [], X.TRUE)
    with pytest.raises(compiled.Unsupported):
        compiled.check(model)


# ---------------------------------------------------------------- bounds and interruptions
def test_bounds_on_a_counter():
    model = counter_model(limit=50, done_at=50, bad_at=30)
    for kw in ({}, {"stop_when_decided": False}, {"max_states": 0}, {"max_states": 7}, {"max_depth": 0},
               {"max_depth": 12}, {"properties": []}, {"properties": ["small"], "max_depth": 40}):
        assert_same(model, **kw)


def test_a_memory_budget_stops_both_engines_at_the_same_point():
    """Memory is read at the same state counts: with a budget already spent,
    both stop at their first reading."""
    model = build_model(load_spec(str(SPECS[0].parent / "async.cap")))
    r = assert_same(model, max_memory=1, stop_when_decided=False)
    assert r.stats.bound == "memory budget 0 MB" and not r.stats.complete


def test_progress_is_told_and_ctrl_c_gives_the_partial_result(monkeypatch):
    model = build_model(load_spec(str(SPECS[0].parent / "sync.cap")))
    monkeypatch.setattr(compiled, "REPORT_EVERY", 0.0)
    seen = []
    full = compiled.check(model, stop_when_decided=False, progress=lambda *a: seen.append(a))
    assert seen and all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(seen, seen[1:]))
    assert seen[-1][0] <= full.stats.states and full.stats.complete

    def interrupt(states, depth, seconds):
        raise KeyboardInterrupt

    partial = compiled.check(model, stop_when_decided=False, progress=interrupt)
    assert partial.stats.bound == explicit.INTERRUPTED and not partial.stats.complete
    assert 0 < partial.stats.states < full.stats.states
    for p in partial.properties:
        assert p.verdict in (VIOLATED, INCOMPLETE)
        if p.trace is not None:
            replay(model, p.trace)


def test_ctrl_c_while_compiling_gives_the_empty_partial_result(monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(compiled, "build", interrupted)
    r = compiled.check(counter_model(limit=5, done_at=5, bad_at=3))
    assert (r.stats.states, r.stats.bound, r.stats.complete) == (0, explicit.INTERRUPTED, False)
    assert [p.verdict for p in r.properties] == [INCOMPLETE]


# ---------------------------------------------------------------- the cache
def test_a_second_build_does_not_compile(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPMODEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(compiled, "_loaded", {})
    model = counter_model(limit=9, done_at=9)
    before = compiled.compile_count
    compiled.build(model)
    assert compiled.compile_count == before + 1
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [p.name for p in (tmp_path / "cache").glob("model-*.so")]
    monkeypatch.setattr(compiled, "_loaded", {})  # a new process: only the files remain
    compiled.check(model)
    assert compiled.compile_count == before + 1
    other = dataclasses.replace(model, done=X.FALSE)  # another IR, another library
    compiled.check(other)
    assert compiled.compile_count == before + 2
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_an_unwritable_cache_compiles_into_a_temporary_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CAPMODEL_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(compiled, "_loaded", {})
    assert_same(counter_model(limit=5, done_at=5))
    assert blocker.read_text() == "not a folder"


def test_without_a_compiler_available_says_why(monkeypatch):
    monkeypatch.setattr(compiled, "compiler", lambda: None)
    monkeypatch.setattr(compiled, "_availability", [])
    monkeypatch.setattr(compiled, "_loaded", {})
    reason = compiled.available()
    assert reason is not None and "no C compiler" in reason and "\n" not in reason


def test_no_text_of_the_spec_reaches_the_c_source():
    from capmodel.ir.ccompile import c_source

    model = build_model(load_spec(str(SPECS[0].parent / "async.cap")))
    source = c_source(model, symmetry_of(model))
    assert '"' not in source  # no string at all
    texts = {v.name for v in model.variables} | {inst.label.text for inst in model.instances()}
    texts |= {inst.name for inst in model.instances() if inst.args}
    texts |= {c.description for c in model.invariants + model.reachables if c.description}
    assert not [t for t in texts if t in source]


@pytest.mark.parametrize("name, bound", [("semisync.cap", 10_000), ("semisync.cap", 500), ("ap.cap", 10_000)])
def test_reachable_states_in_c_are_the_python_searchs_in_its_order(name, bound, monkeypatch):
    """Lemma generation's sample of every reachable state (invgen.explore_all)
    from C: the states the Python search lists, in the same order, whether the
    bound cuts the search or not (and unpacked across several chunks)."""
    from capmodel.engines import invgen

    monkeypatch.setattr(compiled, "DUMP_CHUNK", 97)
    model = dataclasses.replace(build_model(load_spec(SPECS[0].parent / name)), reachables=[])
    expected = invgen.explore(model, bound)
    assert compiled.reachable_states(model, bound) == expected
    assert invgen.explore_all(model, bound) == expected
    assert expected[1] == (bound == 10_000)  # both kinds: the whole space, and a cut one


def test_lemma_generation_explores_in_python_when_c_cannot_run_the_model(monkeypatch):
    from capmodel.engines import invgen

    model = dataclasses.replace(build_model(load_spec(SPECS[0].parent / "ap.cap")), reachables=[])

    def refuse(*_a, **_k):
        raise compiled.CompileError("no compiler here")

    monkeypatch.setattr(compiled, "reachable_states", refuse)
    assert invgen.explore_all(model, 10_000) == invgen.explore(model, 10_000)


def test_reachable_states_count_the_same_budget_steps_however_long_the_search_takes(monkeypatch):
    """The work budget's steps must not depend on the machine's load: the
    search's slices of time (many on a slow machine) count none."""
    model = dataclasses.replace(build_model(load_spec(SPECS[0].parent / "semisync.cap")), reachables=[])
    monkeypatch.setattr(compiled, "DUMP_CHUNK", 97)
    counts = []
    for slice_seconds in (compiled.SLICE, 1e-7):
        monkeypatch.setattr(compiled, "SLICE", slice_seconds)
        ticks = []
        states, complete = compiled.reachable_states(model, 10_000, lambda: ticks.append(1))
        counts.append(len(ticks))
    assert counts[0] == counts[1] == 1 + -(-len(states) // 97)
