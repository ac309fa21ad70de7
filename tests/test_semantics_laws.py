"""Laws of replication that must hold for every small system, checked on
generated configurations: no deadlocks, replayable traces, and the textbook
results (sync loses nothing, async with failover does, CP reads are never stale)."""
import pytest
from hypothesis import HealthCheck, given, settings

from capmodel.trace import replay

from helpers import NODES, Checked, config, run, systems, verdicts

# what each law has checked: Hypothesis draws some systems twice, and a law
# that fixes some fields makes more of them the same (helpers.Checked)
REPLAYED, SYNC, CP, FENCED = Checked(), Checked(), Checked(), Checked()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_no_deadlock_and_every_trace_replays(cfg):
    if cfg in REPLAYED:
        return
    model, result = run(cfg)
    assert result.stats.complete
    assert result.deadlock is None, [s.text for s in result.deadlock.steps]
    for p in result.properties:
        if p.trace:
            replay(model, p.trace)
    REPLAYED.add(cfg)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_sync_without_partitions_loses_no_acknowledged_write(cfg):
    cfg = config(**{**cfg.__dict__, "replication": "sync", "acks_needed": len(cfg.nodes) - 1,
                    "semi_sync_timeout": False, "partitions": 0})
    if cfg in SYNC:
        return
    assert verdicts(run(cfg)[1])["no_acked_write_lost"] == "holds"
    SYNC.add(cfg)


def test_async_with_failover_loses_an_acknowledged_write():
    three = NODES[1]
    for failover in ("promote_any", "promote_most_up_to_date", "elect"):
        cfg = config(nodes=three, failover=failover, crashes=1)
        assert verdicts(run(cfg)[1])["no_acked_write_lost"] == "violated", failover
    # two nodes: only a manager with a perfect failure detector promotes the survivor
    cfg = config(nodes=NODES[0], failover="promote_any", live_majority=True, crashes=1)
    assert verdicts(run(cfg)[1])["no_acked_write_lost"] == "violated"


def test_two_nodes_cannot_fail_over_on_a_majority():
    """One of two nodes is no majority of all: no promotion, so nothing is lost."""
    for failover in ("promote_any", "elect"):
        cfg = config(nodes=NODES[0], failover=failover, crashes=1, partitions=1)
        _, result = run(cfg)
        assert verdicts(result)["no_acked_write_lost"] == "holds", failover
        assert ("promote" if failover != "elect" else "elect") in result.unfired


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_cp_reads_without_failover_are_never_stale(cfg):
    cfg = config(**{**cfg.__dict__, "reads": "cp", "failover": "none", "fencing": False})
    if cfg in CP:
        return
    assert verdicts(run(cfg)[1])["no_stale_read"] == "holds"
    CP.add(cfg)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(systems())
def test_fencing_prevents_split_brain(cfg):
    cfg = config(**{**cfg.__dict__, "failover": "promote_any", "fencing": True})
    if cfg in FENCED:
        return
    assert verdicts(run(cfg)[1])["no_split_brain"] == "holds"
    FENCED.add(cfg)
