"""MongoDB replica sets: write concern w: 1 / w: "majority" on `failover
elect`, read concern local / majority / linearizable, rollback on rejoin.
The verdicts of issue 13, the stories the MongoDB Manual tells, and the
replay of every counterexample through the IR."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from capmodel.cap import analyse
from capmodel.trace import replay
from capmodel.syntax.load import load_spec

from helpers import config, run, verdicts

SYSTEMS = Path(__file__).parent.parent / "specs" / "systems"
H, V = "holds", "violated"

ISSUE = {
    "mongodb_w1": {"no_acked_write_lost": V},
    "mongodb_majority": {"no_acked_write_lost": H},
    "mongodb_linearizable": {"linearizable": H, "read_availability": V},
    "mongodb_read_local": {"no_read_of_lost_data": V, "no_acked_write_lost": H},
    "mongodb_read_majority": {"no_read_of_lost_data": H, "no_stale_read": V},
}


@lru_cache(maxsize=None)
def checked(name):
    model, result = run(load_spec(str(SYSTEMS / f"{name}.cap")))
    assert result.stats.complete and result.deadlock is None
    for p in [*result.properties, *result.reachables]:
        if p.trace is not None:
            replay(model, p.trace)
    return model, result


def trace(name, prop):
    _, result = checked(name)
    return next(p.trace for p in [*result.properties, *result.reachables] if p.name == prop)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ISSUE))
def test_verdicts_of_the_issue(name):
    got = verdicts(checked(name)[1])
    for prop, verdict in ISSUE[name].items():
        assert got[prop] == verdict, (name, prop)


def test_w1_rolls_the_acknowledged_write_back_on_rejoin():
    t = trace("mongodb_w1", "no_acked_write_lost")
    assert [s.family for s in t.steps][0] == "client_write" and t.steps[-1].family == "elect"
    story = [s.family for s in trace("mongodb_w1", "acked_write_rolled_back").steps]
    assert story.index("client_write") < story.index("elect") < story.index("discard_divergent")


def test_linearizable_reads_fail_on_the_minority_side():
    t = trace("mongodb_linearizable", "read_availability")
    assert t.steps[0].kind == "partition" and t.steps[-1].family == "client_read_refused"
    assert t.steps[-1].args["node"] == "primary1"


def test_read_concern_local_reads_what_is_rolled_back_and_majority_does_not():
    t = trace("mongodb_read_local", "no_read_of_lost_data")
    families = [s.family for s in t.steps]
    assert families.index("client_read") < families.index("elect")
    # majority: the new primary has not moved its commit point in its own term yet
    t = trace("mongodb_read_majority", "no_stale_read")
    read, elect = t.steps[-1], next(s for s in t.steps if s.family == "elect")
    assert read.family == "client_read" and read.args["node"] == elect.args["candidate"] != "primary1"
    assert [s.family for s in t.steps].index("answer_ok") < t.steps.index(elect)  # w1 was acknowledged first


MAJORITY = dict(nodes=("p", "s1", "s2"), leader="p", replication="quorum", acks_needed=1, reads="master_only",
                read_concern="majority", failover="elect", partitions=1, writes=1, read_count=2, clients=1)


def test_majority_reads_on_one_primary_never_go_back():
    """The commit point only moves forward: a primary that counted s1's ack
    for w1 keeps answering w1 after s1 leaves it for an election (computing
    the point from the current acks answered nothing: monotonic_reads was
    VIOLATED on a single node)."""
    model, result = run(config(**MAJORITY, read_nodes=("p",), checks=("monotonic_reads", "no_read_of_lost_data")))
    assert verdicts(result) == {"monotonic_reads": H, "no_read_of_lost_data": H}
    # reads may go to the new primary, whose commit point lags: then they do go back
    model, result = run(config(**MAJORITY, checks=("monotonic_reads",)))
    (p,) = result.properties
    assert p.verdict == V
    replay(model, p.trace)
    assert p.trace.steps[-1].args["node"] != "p" and any(s.family == "elect" for s in p.trace.steps)


def test_majority_read_on_a_cut_off_primary_misses_the_new_primarys_write():
    """The Manual's 'the most recent data on a node may not reflect the most
    recent version of the data in the system': the old primary, cut off,
    answers from its commit point while the majority elected s1 and
    acknowledged w1 there."""
    model, result = run(config(**{**MAJORITY, "read_count": 1}, read_nodes=("p",), checks=("no_stale_read",)))
    (p,) = result.properties
    assert p.verdict == V
    replay(model, p.trace)
    families = [s.family for s in p.trace.steps]
    assert families.index("elect") < families.index("answer_ok") < families.index("client_read")
    assert p.trace.steps[-1].args["node"] == "p"
    assert p.trace.steps[families.index("answer_ok")].args["node"] in ("s1", "s2")


def test_linearizable_without_a_majority_of_its_term_never_answers_stale():
    """The deposed primary cannot answer: with `local` instead, it does."""
    base = dict(nodes=("p", "s1", "s2"), leader="p", replication="quorum", acks_needed=1, reads="master_only",
                failover="elect", partitions=1, writes=1, read_count=1, clients=1,
                checks=("no_stale_read", "linearizable"))
    assert verdicts(run(config(**base, read_concern="linearizable"))[1]) == {"no_stale_read": H, "linearizable": H}
    assert verdicts(run(config(**base, read_concern="local"))[1])["no_stale_read"] == V


def test_the_cap_rows():
    row = analyse(load_spec(str(SYSTEMS / "mongodb_linearizable.cap")), "mongodb_linearizable.cap")
    assert (row.reads, row.label) == ("CP", "CP") and not row.both


@pytest.mark.parametrize("body,code", [
    ("replication async\n  reads master_only\n  read_concern majority", "CAP309"),
    ("replication quorum\n  reads any_node\n  read_concern local", "CAP309"),
    ("replication quorum\n  reads master_only\n  read_concern snapshot", "CAP212"),
])
def test_bad_read_concerns(tmp_path, body, code):
    import subprocess
    import sys
    path = tmp_path / "bad.cap"
    path.write_text(f"system bad {{\n  nodes p, s1, s2\n  {body}\n}}\n")
    p = subprocess.run([sys.executable, "-m", "capmodel", "check", str(path)], capture_output=True, text=True,
                       cwd=SYSTEMS.parent.parent, timeout=60)
    assert p.returncode == 2 and f"error[{code}]" in p.stdout + p.stderr and "hint:" in p.stdout + p.stderr


NEW_PRIMARY_COMMITS = """system new_primary_commits {
  nodes p, s1, s2
  replication quorum
  reads master_only
  read_concern majority
  failover elect
  faults { partitions 1 }
  workload { writes 1  reads 1  clients 1 }
  check no_read_of_lost_data
  reachable the_new_primary_shows_w1: exists r in reads: r.ok and r.saw(w1) and w1.node == p and r.node != p
}
"""


def test_a_new_primary_commits_older_writes_with_its_election_noop(monkeypatch):
    """w1 is the only write, of term 0: a new primary's majority read can
    show it only once a majority holds the no-op the primary wrote on
    election (semantics/noop.py), its first entry of its own term. Without
    the no-op's ack in the commit rule it never can."""
    from capmodel.ir import expr as X
    from capmodel.semantics import noop
    from capmodel.syntax.load import load_text

    def reached():
        _, result = run(load_text(NEW_PRIMARY_COMMITS, "new_primary_commits.cap"))
        (r,) = result.reachables
        assert verdicts(result) == {"no_read_of_lost_data": H}
        return r

    r = reached()
    assert r.verdict == "reached"
    families = [s.family for s in r.trace.steps]
    assert families.index("elect") < families.index("replicate_noop") < families.index("client_read")
    assert r.trace.steps[0].family == "client_write" and r.trace.steps[0].args["node"] == "p"  # w1, term 0
    monkeypatch.setattr(noop, "acked_leaders_noop", lambda st, f, m, step: X.FALSE)
    assert reached().verdict != "reached"
