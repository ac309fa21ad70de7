"""specs/systems/: PostgreSQL, MySQL and Redis, each from its own documentation.

tests/test_corpus.py already checks, for every spec under specs/ (rglob), its
`# expect:` verdicts, a complete exploration, its reachable conditions and the
replay of every counterexample. This file adds what is particular to the
system specs: the verdicts issue 5 asks for (written here, independently of
the specs' own `# expect:` lines), a header that names and quotes the
documentation, a small state space, and counterexamples that tell the story
the documentation tells.
"""
from functools import lru_cache
from pathlib import Path

import pytest

from capmodel.engines import explicit
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec

SYSTEMS = Path(__file__).parent.parent / "specs" / "systems"
H, V = "holds", "violated"

# issue 5, section 3: spec -> the verdicts it must show
ISSUE_TABLE = {
    "postgres_async": {"no_acked_write_lost": V},
    "postgres_sync_on": {"no_acked_write_lost": H, "write_availability": V, "read_your_writes": V},
    "postgres_remote_apply": {"read_your_writes": H, "no_acked_write_lost": H},
    "postgres_any1": {"no_acked_write_lost": V},
    "postgres_any1_most_up_to_date": {"no_acked_write_lost": H},
    "mysql_async": {"no_acked_write_lost": V},
    "mysql_semisync_after_sync": {"no_acked_write_lost": H, "no_read_of_lost_data": H},
    "mysql_semisync_after_commit": {"no_acked_write_lost": H, "no_read_of_lost_data": V},
    "mysql_semisync_timeout": {"no_acked_write_lost": V, "write_availability": H},
    "redis_async": {"no_acked_write_lost": V},
    "redis_partitioned_master": {"no_acked_write_lost": V, "no_split_brain": V},
    "redis_min_replicas": {"write_availability": V},
    "redis_wait": {"no_acked_write_lost": V},
    "redis_replica_reads_yes": {"no_stale_read": V},
    "redis_replica_reads_no": {"read_availability": V},
}

MAX_STATES = 500_000


@lru_cache(maxsize=None)
def checked(name: str):
    model = build_model(load_spec(str(SYSTEMS / f"{name}.cap")))
    return explicit.check(model, stop_when_decided=False)


def trace(name: str, prop: str):
    result = checked(name)
    found = {p.name: p.trace for p in result.properties} | {r.name: r.trace for r in result.reachables}
    assert found.get(prop) is not None, f"{name}: no trace for {prop}"
    return found[prop]


def families(t) -> list[str]:
    return [s.family for s in t.steps]


def first(t, family: str, **args) -> int:
    """Index of the first step of that family whose args include `args` (-1 if none)."""
    for k, s in enumerate(t.steps):
        if s.family == family and all(s.args.get(a) == v for a, v in args.items()):
            return k
    return -1


def test_every_system_of_the_issue_has_a_spec_and_nothing_else_is_there():
    stems = {p.stem for p in SYSTEMS.glob("*.cap")}
    assert set(ISSUE_TABLE) <= stems
    # the rest are issue 13's leaderless and MongoDB specs (tests/test_leaderless.py, tests/test_mongodb.py)
    assert all(s.startswith(("cassandra_", "mongodb_")) for s in stems - set(ISSUE_TABLE)), stems


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ISSUE_TABLE))
def test_issue_verdicts(name):
    result = checked(name)
    got = {p.name: p.verdict for p in result.properties}
    for prop, verdict in ISSUE_TABLE[name].items():
        assert got.get(prop) == verdict, f"{name}: {prop} is {got.get(prop)}, issue 5 says {verdict}"
    assert result.stats.complete and result.stats.states < MAX_STATES, (name, result.stats.states)


@pytest.mark.parametrize("name", sorted(ISSUE_TABLE))
def test_header_names_and_quotes_the_documentation(name):
    text = (SYSTEMS / f"{name}.cap").read_text()
    header = text.split("\nsystem ", 1)[0]
    assert all(line.startswith("#") or not line.strip() for line in header.splitlines()), name
    assert header.startswith(f"# specs/systems/{name}.cap - "), name
    assert "# Models:" in header, f"{name}: no 'Models:' line naming the documentation section"
    source = header.split("# Models:", 1)[1].split("\n")[0]
    assert any(doc in source for doc in ("PostgreSQL 16 docs", "MySQL 8.0 Reference Manual", "Redis docs",
                                         "redis.conf")), f"{name}: {source!r}"
    assert header.count('"') >= 2, f"{name}: the header quotes no documentation sentence"
    assert "# expect:" in header


# ------------------------------------------------------------ the stories
@pytest.mark.parametrize("name,master", [("postgres_async", "pg_primary"), ("mysql_async", "source"),
                                         ("redis_async", "master")])
def test_async_loses_the_write_the_primary_never_shipped(name, master):
    t = trace(name, "no_acked_write_lost")
    assert families(t) == ["client_write", "crash", "promote"]
    assert t.steps[1].args["node"] == master
    assert "never reached" in t.steps[1].text


def test_postgres_sync_on_blocks_when_s1_is_down():
    t = trace("postgres_sync_on", "write_availability")
    s1_gone = [s for s in t.steps if (s.family == "crash" and s.args["node"] == "s1")
               or (s.kind == "partition" and "s1" in s.args.values())]
    assert s1_gone, families(t)
    assert t.steps[-1].family == "write_timeout"


def test_postgres_sync_on_acks_after_the_flush_not_the_replay():
    t = trace("postgres_sync_on", "read_your_writes")
    ok = first(t, "answer_ok")
    read = first(t, "client_read", node="s1")
    assert 0 <= first(t, "flush", node="s1") < first(t, "ack", follower="s1") < ok < read
    assert first(t, "apply", node="s1") == -1, "s1 had not replayed the write when it answered"
    assert t.steps[read].args["client"] == t.steps[first(t, "client_write")].args["client"]


def test_postgres_remote_apply_acks_after_the_replay():
    t = trace("postgres_remote_apply", "commit_acknowledged")
    assert 0 <= first(t, "apply", node="s1") < first(t, "ack", follower="s1") < first(t, "answer_ok")


def test_postgres_any1_promotes_the_standby_that_did_not_ack():
    t = trace("postgres_any1", "no_acked_write_lost")
    acker = t.steps[first(t, "ack")].args["follower"]
    promoted = t.steps[-1]
    assert promoted.family == "promote" and promoted.args["candidate"] != acker
    assert first(t, "answer_ok") < first(t, "crash", node="pg_primary") < len(t.steps) - 1


def test_mysql_after_commit_a_client_reads_what_the_failover_loses():
    """client2 reads w1 on the source; the source crashes before any replica
    received w1; replica1 is promoted; w1 is gone."""
    t = trace("mysql_semisync_after_commit", "no_read_of_lost_data")
    write, read = first(t, "client_write", write="w1"), first(t, "client_read", node="source")
    crash, promote = first(t, "crash", node="source"), first(t, "promote")
    assert 0 <= write < read < crash < promote
    assert t.steps[read].args["client"] != t.steps[write].args["client"], "another client reads it"
    assert "w1" in t.steps[read].text
    assert first(t, "replicate") == -1 or first(t, "replicate") > crash, "no replica received w1"
    assert first(t, "answer_ok") == -1, "w1 was never acknowledged"


def test_mysql_after_sync_hides_the_write_until_a_replica_has_it():
    t = trace("mysql_semisync_after_sync", "read_on_source_sees_a_write")
    assert 0 <= first(t, "ack") < first(t, "client_read", node="source")


@pytest.mark.slow
def test_mysql_timeout_falls_back_to_async_then_loses_the_write():
    t = trace("mysql_semisync_timeout", "no_acked_write_lost")
    assert 0 <= first(t, "ack_wait_timeout") < first(t, "promote")
    assert first(t, "replicate") == -1


def test_redis_partitioned_master_two_masters_then_the_old_one_discards():
    t = trace("redis_partitioned_master", "no_split_brain")
    promote = first(t, "promote")
    writers = {s.args["node"] for s in t.steps[promote + 1:] if s.family == "client_write"}
    assert writers == {"master", t.steps[promote].args["candidate"]}
    story = families(trace("redis_partitioned_master", "acked_write_discarded_on_rejoin"))
    assert story.index("client_write") < story.index("promote") < story.index("rejoin") \
        < story.index("discard_divergent")


def test_redis_min_replicas_cut_off_master_answers_noreplicas():
    t = trace("redis_min_replicas", "refused_without_replicas")
    assert t.steps[-1].family == "client_write_no_replicas"
    assert "NOREPLICAS" in t.steps[-1].text
    assert first(t, "replica_lag_expires") >= 0, "the refusal comes once the lag has passed the limit"
    assert t.steps[0].kind == "partition"
    # the same invariant holds without min-replicas-to-write
    unguarded = {p.name: p.verdict for p in checked("redis_partitioned_master").properties}
    assert unguarded["master_never_refuses"] == H
    guarded = {p.name: p.verdict for p in checked("redis_min_replicas").properties}
    assert guarded["master_never_refuses"] == V
    assert guarded["no_acked_write_lost"] == V, "there is always a window for data loss"


def test_redis_wait_promotes_a_replica_that_did_not_ack():
    t = trace("redis_wait", "no_acked_write_lost")
    acker = t.steps[first(t, "ack")].args["follower"]
    assert first(t, "answer_ok") < first(t, "crash", node="master")
    assert t.steps[-1].family == "promote" and t.steps[-1].args["candidate"] != acker


def test_redis_replica_serve_stale_data_yes_and_no():
    yes = {p.name: p.verdict for p in checked("redis_replica_reads_yes").properties}
    no = {p.name: p.verdict for p in checked("redis_replica_reads_no").properties}
    assert (yes["no_stale_read"], yes["read_availability"]) == (V, H)
    assert no["read_availability"] == V
    t = trace("redis_replica_reads_no", "read_availability")
    assert families(t) == ["cut_link", "client_read_refused"]
    assert t.steps[-1].args["node"] == "replica1"
