"""The attributes that say what real systems hold (flushed and applied
positions, the ack wait, synchronous standbys, no-ops, the leaderless
coordinator's sends, acks and replies, hints, commit points, the ghosts the
properties read): each means in the explicit engine what docs/language.md
says, on the shipped spec of the system it describes."""
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
  reachable acked_as_a_master: exists n in nodes: n.acked_as_master
  invariant acked_as_master_answered_ok: forall n in nodes: n.acked_as_master implies exists w in writes: w.acked
  invariant acked_as_master_is_master: forall n in nodes: n.acked_as_master implies n.is_master
  invariant split_brain_by_hand: not (exists n in nodes: exists m in nodes: n != m and n.up and m.up and n.is_master and m.is_master and n.acked_as_master and m.acked_as_master)
  invariant no_commit_point_kept: forall n in nodes: n.noop_acked == 0 and not (exists w in writes: n.committed(w))
""", {"a_noop": "reached", "noops_after_elections": "holds", "no_noop_of_term_0": "holds",
      "acked_by_a_follower": "reached", "acked_by_is_acked": "holds", "nothing_in_flight": "holds",
      "acked_as_a_master": "reached", "acked_as_master_answered_ok": "holds", "split_brain_by_hand": "holds",
      "acked_as_master_is_master": "holds",
      "no_commit_point_kept": "holds"}),
    # Raft's commit rule (read_concern.py): a node's commit point covers a
    # write a majority held, so by Leader Completeness no node that knows it
    # committed ever loses it; a no-op acked is one of a term already begun.
    ("specs/systems/mongodb_read_majority.cap", """
  reachable a_commit: exists n in nodes: exists w in writes: n.committed(w)
  invariant committed_is_kept: forall n in nodes: forall w in writes: n.committed(w) implies n.has(w)
  invariant committed_was_acked_or_pending: forall n in nodes: forall w in writes: n.committed(w) implies w.issued
  reachable a_noop_acked: exists n in nodes: n.noop_acked >= 1
  invariant noop_acks_of_begun_terms: forall n in nodes: n.noop_acked <= term
""", {"a_commit": "reached", "committed_is_kept": "holds", "committed_was_acked_or_pending": "holds",
      "a_noop_acked": "reached", "noop_acks_of_begun_terms": "holds"}),
    # ANY: the coordinator keeps a hint for each replica it cannot reach (leaderless.py)
    ("specs/systems/cassandra_any.cap", """
  reachable a_hint: exists n in nodes: exists m in nodes: n.hint_for(m, w1)
  invariant hints_kept_by_the_coordinator: forall n in nodes: forall m in nodes: n.hint_for(m, w1) implies w1.node == n
  invariant no_hint_for_oneself: forall n in nodes: not n.hint_for(n, w1)
  reachable a_client_cut_off: exists n in nodes: n.cut_from_client(1)
  invariant clients_cut_off_by_splits: (exists n in nodes: n.cut_from_client(1) or n.cut_from_client(2)) implies partitioned
  invariant no_client_3: forall n in nodes: not n.cut_from_client(3)
""", {"a_hint": "reached", "hints_kept_by_the_coordinator": "holds", "no_hint_for_oneself": "holds",
      "a_client_cut_off": "reached", "clients_cut_off_by_splits": "holds", "no_client_3": "holds"}),
    ("specs/systems/cassandra_read_repair_blocking.cap", """
  reachable read_after_a_read: r2.after_read(r1)
  invariant after_reads_answered_ok: forall r in reads: forall q in reads: r.after_read(q) implies q.ok
  invariant not_after_itself: forall r in reads: not r.after_read(r)
""", {"read_after_a_read": "reached", "after_reads_answered_ok": "holds", "not_after_itself": "holds"}),
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
