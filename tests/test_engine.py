"""The explicit engine on hand-built IR models: it knows nothing of replication."""
from capmodel.engines import explicit
from capmodel.ir import expr as X
from capmodel.ir.model import Condition
from capmodel.trace import replay

from helpers import counter_model


def test_full_exploration_counts_and_holds():
    r = explicit.check(counter_model(3, 3))
    # x in 0..3, y in 0..1: 8 states; transitions: 3 incs per y value + 4 flips from y=0
    assert (r.stats.states, r.stats.transitions, r.stats.depth) == (8, 10, 4)
    assert r.properties[0].verdict == "holds"
    assert r.reachables[0].verdict == "reached" and len(r.reachables[0].trace.steps) == 1
    assert r.deadlock is None and r.unfired == []


def test_shortest_counterexample_and_replay():
    m = counter_model(5, 5, bad_at=3)
    r = explicit.check(m, stop_when_decided=False)
    p = r.properties[0]
    assert p.verdict == "violated"
    assert [s.action for s in p.trace.steps] == ["inc", "inc", "inc"]
    assert replay(m, p.trace)[-1][0] == 3


def test_deadlock_is_reported_not_crashed():
    # x stops at 2, but the workload is only done at 3
    r = explicit.check(counter_model(2, 3))
    assert r.deadlock is not None
    assert r.deadlock.steps[-1].raw[0] == 2
    assert r.failed


def test_max_states_bound_gives_incomplete_never_holds():
    r = explicit.check(counter_model(50, 50), max_states=10)
    assert not r.stats.complete and r.stats.bound == "max states 10"
    assert r.properties[0].verdict == "incomplete"
    assert r.reachables[0].verdict == "reached"  # found before the bound
    assert r.unfired == []  # unknown on an incomplete run: never claimed


def test_max_depth_bound_gives_incomplete():
    r = explicit.check(counter_model(50, 50), max_depth=5)
    assert r.stats.bound == "max depth 5" and r.properties[0].verdict == "incomplete"
    assert r.stats.depth == 5


def test_depth_bound_at_the_diameter_is_complete():
    # the diameter of counter_model(3, 3) is 4: bounding there loses nothing
    r = explicit.check(counter_model(3, 3), max_depth=4)
    assert r.stats.complete and r.properties[0].verdict == "holds"


def test_unreachable_condition_fails_the_run():
    m = counter_model(2, 2)
    m.reachables.append(Condition("x_is_9", X.eq(X.var(0), X.const(9))))
    r = explicit.check(m)
    assert r.reachables[1].verdict == "unreachable" and r.failed
