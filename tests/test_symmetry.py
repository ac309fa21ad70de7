"""Symmetry reduction (ir/symmetry.py) against the unreduced search.

For each model: the reduced search stores exactly one state per orbit (its
count equals the number of distinct canonical forms of the unreduced
reachable states), gives the same verdicts and the same shortest
counterexample lengths, and every trace it prints replays through the IR
interpreter as a real run of the unreduced model.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capmodel.engines import explicit
from capmodel.ir import expr as X
from capmodel.ir.model import Action, ActionInstance, Condition, Label, Model, Variable
from capmodel.ir.symmetry import Declaration, Scalarset, find_symmetry, index_kind
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec
from capmodel.trace import replay

from helpers import Checked, chunk_of, config, plain_search, reachable, systems

SPECS = sorted(str(p) for p in Path(__file__).resolve().parent.parent.glob("specs/**/*.cap"))


def summary(result):
    return [(p.name, p.verdict, len(p.trace.steps) if p.trace else None)
            for p in result.properties + result.reachables]


def assert_reduction_exact(model: Model, full=None) -> bool:
    """False when the model has no interchangeable nodes (nothing to compare).
    `full`: the model's unreduced search, when it is known already."""
    sym = find_symmetry(model, model.invariants + model.lemmas + model.reachables)
    if sym is None:
        return False
    full = full or explicit.check(model, stop_when_decided=False)
    reduced = explicit.check(model, stop_when_decided=False, symmetry=sym)
    orbits = {sym.canon(s) for s in reachable(model)}
    assert reduced.stats.states == len(orbits) < full.stats.states
    assert summary(reduced) == summary(full)
    assert reduced.stats.depth == full.stats.depth
    assert (reduced.deadlock is None) == (full.deadlock is None)
    assert reduced.unfired == full.unfired
    for p in reduced.properties + reduced.reachables:
        if p.trace is not None:
            states = replay(model, p.trace)  # raises when a step is not a real step
            assert states[-1] == p.trace.steps[-1].raw
    return True


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=lambda p: Path(p).stem)
def test_shipped_spec_reduction_is_exact(path):
    if not assert_reduction_exact(*plain_search(path)):
        pytest.skip("no two nodes are interchangeable in this spec")


CHUNKS = 4
EXACT = Checked()


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_systems_reduction_is_exact(chunk, data):
    cfg = data.draw(systems().filter(lambda c: chunk_of(c, CHUNKS) == chunk))
    # three nodes so that two followers can be interchangeable
    if cfg.nodes == ("master", "slave") and cfg.writes == 1:
        cfg = replace(cfg, nodes=("master", "slave1", "slave2"))
    if cfg in EXACT:
        return
    assert_reduction_exact(build_model(cfg))
    EXACT.add(cfg)


def test_async_spec_pinned():
    """async.cap: slave1 and slave2 are interchangeable; the master is not."""
    model = build_model(load_spec("specs/async.cap"))
    sym = find_symmetry(model, model.invariants + model.reachables)
    assert sym.describe() == ["nodes slave1, slave2 are interchangeable"]
    assert sym.order == 2
    r = explicit.check(model, stop_when_decided=False, symmetry=sym)
    assert (r.stats.states, r.stats.depth) == (14867, 14)


def test_three_followers_give_the_full_group():
    model = build_model(config(nodes=("m", "a", "b", "c"), leader="m", crashes=1))
    sym = find_symmetry(model, model.invariants)
    assert sym.classes == [("nodes", (1, 2, 3))] and sym.order == 6 and len(sym.perms) == 5


def test_a_listed_standby_is_told_apart():
    """Acks count only from the listed standby: it is not interchangeable with the other follower."""
    model = build_model(config(nodes=("m", "a", "b"), leader="m", replication="sync", acks_needed=1,
                               standbys=("a",)))
    assert find_symmetry(model, model.invariants) is None


def test_an_invariant_naming_a_node_tells_it_apart(tmp_path):
    spec = tmp_path / "named.cap"
    spec.write_text(
        "system named {\n  nodes m, a, b\n  leader m\n  replication async\n  reads any_node\n"
        "  failover promote_any\n  faults { crashes 1 }\n  workload { writes 1  reads 1 }\n"
        "  check no_stale_read\n  invariant a_never_primary: primary != a\n}\n")
    model = build_model(load_spec(str(spec)))
    assert find_symmetry(model, model.invariants) is None
    # leaving the invariant unchecked gives the symmetry back
    checked = [c for c in model.invariants if c.name != "a_never_primary"]
    assert find_symmetry(model, checked).classes == [("nodes", (1, 2))]


def two_token_model(tie_break: bool) -> Model:
    """Two elements race for a token (owner = 2 is free). With tie_break the
    first element may take it only when it is... lower numbered: an ordering
    of element values, which the scalarset check must refuse."""
    owner = X.var(0)
    free = X.eq(owner, X.const(2))
    instances = []
    for e in (0, 1):
        guard = free if not tie_break else X.and_(free, X.lt(X.const(e), X.const(1)) if e == 0 else X.TRUE,
                                                       X.le(X.const(e), owner))
        instances.append(ActionInstance("take", (("e", f"e{e}"),), guard, ((0, X.const(e)),),
                                        Label("local", f"e{e}", "takes")))
    model = Model("tokens", [Variable("owner", 3, 2)], [Action("take", (("e", "elements"),), tuple(instances))],
                  [Condition("one_owner", X.le(owner, X.const(2)))], [], X.TRUE)
    model.symmetry = Declaration(sets=[Scalarset("elements", ("e0", "e1"))],
                                 kinds={0: index_kind("elements", 2, 3)},
                                 candidates=[("elements", (0, 1))])
    return model


def test_ir_level_symmetry_found_and_ordering_refused():
    sym = find_symmetry(two_token_model(False), [])
    assert sym is not None and sym.order == 2
    r = explicit.check(two_token_model(False), stop_when_decided=False, symmetry=sym)
    assert r.stats.states == 2  # free, and taken (by either: one orbit)
    refused = two_token_model(True)
    assert find_symmetry(refused, []) is None


def test_counterexample_is_a_real_run_of_the_unreduced_model():
    """The stored states are canonical; the printed trace is the real run, so
    its last state need not be canonical, and it still replays."""
    model = build_model(load_spec("specs/async.cap"))
    sym = find_symmetry(model, model.invariants + model.reachables)
    r = explicit.check(model, symmetry=sym, properties=["no_acked_write_lost"])
    trace = r.properties[0].trace
    assert r.properties[0].verdict == "violated"
    assert replay(model, trace)[-1] == trace.steps[-1].raw


def test_an_expression_renamed_holds_in_the_renamed_state_exactly_where_it_held():
    """Symmetry.images (cti_blocking adds the image of each clause it learns):
    on every reachable state of sync.cap, an expression over slave1 (its log,
    its source, a write's node) holds iff its image holds in the renamed state;
    the image names slave2 where the expression named slave1."""
    from capmodel.ir.pycompile import compile_predicate
    from capmodel.ir.symmetry import StateMap

    model = build_model(load_spec(str(Path(__file__).resolve().parent.parent / "specs" / "sync.cap")))
    model = replace(model, reachables=[])
    sym = find_symmetry(model, model.invariants)
    assert sym.describe() == ["nodes slave1, slave2 are interchangeable"]
    log, source, node = (model.index_of(n) for n in ("log[slave1]", "source[slave1]", "node[w1]"))
    e = X.or_(X.eq(X.var(log), X.const(1)), X.and_(X.ne(X.var(source), X.const(0)), X.eq(X.var(node), X.const(1))))
    [image] = sym.images(e)
    assert model.index_of("log[slave2]") in {a.args[0] for a in X.subterms(image) if a.op == "var"}
    before, after = compile_predicate(e), compile_predicate(image)
    [perm] = sym.perms
    rename = StateMap(*perm).apply
    states = reachable(model)
    assert len(states) > 1000 and any(before(s) for s in states) and not all(before(s) for s in states)
    assert all(before(s) == after(rename(s)) for s in states)


def test_the_images_a_set_lacks_close_it_under_the_renaming():
    """Symmetry.missing_images (cti_blocking closes Houdini's set with them,
    so that one clause of each orbit is asked): an expression over slave1
    lacks its image over slave2; with the image the set is closed; a
    property that names no slave is its own image."""
    from capmodel.ir.symmetry import Normaliser

    model = replace(build_model(load_spec(str(Path(__file__).resolve().parent.parent / "specs" / "sync.cap"))),
                    reachables=[])
    sym = find_symmetry(model, model.invariants)
    e = X.eq(X.var(model.index_of("log[slave1]")), X.const(1))
    norm = Normaliser([v.size for v in model.variables])
    [image] = sym.missing_images(model, [e])
    assert norm(image) == norm(X.eq(X.var(model.index_of("log[slave2]")), X.const(1)))
    assert sym.missing_images(model, [e, image]) == []
    assert sym.missing_images(model, [c.expr for c in model.invariants]) == []
