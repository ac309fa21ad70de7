"""Tiny models whose reachable states are counted by hand (see each docstring),
pinned so that a change of semantics or engine shows up as a changed count."""
import pytest

from capmodel.ir.pycompile import compile_successors, step
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec

from helpers import config, run


def test_one_async_write_no_faults():
    """s0 -w1 OK-> s1 -master ships w1-> s2. Three states, two transitions."""
    _, r = run(config())
    assert (r.stats.states, r.stats.transitions, r.stats.depth) == (3, 2, 2)
    assert r.stats.complete and r.deadlock is None


def test_one_async_write_one_crash():
    """(status w1, log master, log slave, up master, up slave):
    s0 -> s1 (w1 OK), s2 (master down), s3 (slave down)
    s1 -> s4 (slave gets w1), s5 (master down), s6 (slave down)
    s2 -> s7 (w1 sent to the crashed master: no answer)
    s3 -> s6 (w1 OK while the slave is down: the same state as s1 then slave crash)
    s4 -> s9 (master down), s10 (slave down)
    Ten states, ten transitions, depth three."""
    _, r = run(config(crashes=1))
    assert (r.stats.states, r.stats.transitions, r.stats.depth) == (10, 10, 3)


def test_sync_write_needs_the_ack():
    """sync, two nodes, one write: s0 -w1 sent-> s1 (pending) -ship-> s2 -ack-> s3 -OK-> s4."""
    model, r = run(config(replication="sync", acks_needed=1))
    assert (r.stats.states, r.stats.transitions, r.stats.depth) == (5, 4, 4)
    # the only path: no action family other than these four ever fires
    fired = {a.name for a in model.actions} - set(r.unfired)
    assert fired == {"client_write", "replicate", "ack", "answer_ok"}


def test_successor_order_is_deterministic():
    model, _ = run(config(crashes=1, partitions=1, writes=2, read_count=1))
    succ = compile_successors(model)
    s0 = model.initial_state
    assert succ(s0) == succ(s0)
    model2, _ = run(config(crashes=1, partitions=1, writes=2, read_count=1))
    assert [a for a, _ in succ(s0)] == [a for a, _ in compile_successors(model2)(s0)]


@pytest.mark.parametrize("spec", ["specs/cp.cap", "specs/semisync.cap", "specs/split_brain_fenced.cap",
                                  "specs/systems/mysql_async.cap", "specs/systems/redis_wait.cap",
                                  "specs/textbook/raft_too_many_crashes.cap"])
def test_compiled_successors_are_the_interpreters_steps(spec):
    """The generated successor function (locals, shared conjuncts tested once)
    against the IR interpreter, action instance by instance, on every reachable
    state: the same successors in instance order."""
    model = build_model(load_spec(spec))
    succ = compile_successors(model)
    seen, frontier = {model.initial_state}, [model.initial_state]
    while frontier:
        nxt = []
        for s in frontier:
            got = succ(s)
            want = [(k, t) for k in range(len(model.instances())) if (t := step(model, k, s)) is not None]
            assert got == want, s
            for _, t in got:
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    assert len(seen) >= 80  # each a shipped model, not a toy (cp.cap, the smallest here, has 80 states)
