"""The attributes that say what real systems hold (flushed and applied
positions, the ack wait, synchronous standbys, no-ops, the leaderless
coordinator's sends, acks and replies): each means in the explicit engine
what docs/language.md says, on the shipped spec of the system it describes."""
from __future__ import annotations

from pathlib import Path

import pytest

from capmodel import api

ROOT = Path(__file__).resolve().parent.parent


def verdicts(spec: str, lines: str) -> dict[str, str]:
    """The spec with these conditions added: each invariant's and reachable's verdict."""
    text = (ROOT / spec).read_text().rstrip()
    assert text.endswith("}")
    v = api.verify(text[:-1] + lines + "}\n")
    return {**v.verdicts, **v.reachables}


CASES = [
    ("specs/systems/postgres_sync_on.cap", """
  invariant applied_were_flushed: forall n in nodes: forall w in writes: n.applied(w) implies n.flushed(w)
  invariant flushed_are_held: forall n in nodes: forall w in writes: n.flushed(w) implies n.has(w)
  reachable flushed_not_applied: exists n in nodes: exists w in writes: n.flushed(w) and not n.applied(w)
  reachable held_not_flushed: exists n in nodes: exists w in writes: n.has(w) and not n.flushed(w)
  reachable master_beyond_its_position: exists w in writes: pg_primary.is_master and pg_primary.has(w) and not pg_primary.flushed(w)
  reachable s1_listed: s1.sync_standby
  invariant primary_not_listed: not pg_primary.sync_standby or not pg_primary.is_master
  reachable master_waits: exists w in writes: w.waiting
  invariant waits_while_pending: forall w in writes: w.waiting implies w.issued
  reachable a_timeout: exists w in writes: w.timed_out
  reachable read_after_an_ack: exists r in reads: exists w in writes: r.after_ack(w) and r.ok
  invariant acks_before_reads_were_acks: forall r in reads: forall w in writes: r.after_ack(w) implies w.acked
  invariant timeouts_are_unanswered: forall w in writes: w.timed_out implies w.unanswered
""", {"applied_were_flushed": "holds", "flushed_are_held": "holds", "flushed_not_applied": "reached",
      "held_not_flushed": "reached",
      "master_beyond_its_position": "reached", "s1_listed": "reached", "primary_not_listed": "holds",
      "master_waits": "reached", "waits_while_pending": "holds",
      "a_timeout": "reached", "timeouts_are_unanswered": "holds", "read_after_an_ack": "reached",
      "acks_before_reads_were_acks": "holds"}),
    ("specs/textbook/raft_majority.cap", """
  reachable a_noop: exists n in nodes: n.has_noop(1)
  invariant noops_after_elections: forall n in nodes: n.has_noop(1) implies term >= 1
  invariant no_noop_of_term_0: forall n in nodes: not n.has_noop(0)
  reachable acked_by_a_follower: exists w in writes: exists n in nodes: w.acked_by(n)
  invariant acked_by_is_acked: forall w in writes: forall n in nodes: w.acked_by(n) == n.acked(w)
  invariant nothing_in_flight: forall w in writes: forall n in nodes: not w.in_flight_to(n)
""", {"a_noop": "reached", "noops_after_elections": "holds", "no_noop_of_term_0": "holds",
      "acked_by_a_follower": "reached", "acked_by_is_acked": "holds", "nothing_in_flight": "holds"}),
    ("specs/systems/cassandra_quorum.cap", """
  reachable sent: exists w in writes: exists n in nodes: w.in_flight_to(n)
  reachable acked_by_a_replica: exists w in writes: exists n in nodes: w.acked_by(n)
  reachable a_reply: exists r in reads: exists n in nodes: r.replied_by(n)
  reachable a_read_waits: exists r in reads: r.pending
  invariant replies_to_sent_reads: forall r in reads: forall n in nodes: r.replied_by(n) implies r.issued
""", {"sent": "reached", "acked_by_a_replica": "reached", "a_reply": "reached", "a_read_waits": "reached",
      "replies_to_sent_reads": "holds"}),
]


@pytest.mark.parametrize("spec, lines, expected", CASES, ids=[Path(c[0]).stem for c in CASES])
def test_the_attributes_of_real_systems_mean_what_the_reference_says(spec, lines, expected):
    got = verdicts(spec, lines)
    assert {name: got[name] for name in expected} == expected
