"""The no-op a leader writes at its election (semantics/noop.py): what
theory predicts of it, Raft's Figure 8 first."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import capmodel
from capmodel.ir.pycompile import evaluate
from capmodel.semantics import noop
from capmodel.semantics.build import build_model
from capmodel.semantics.state import SystemState

from helpers import config, reachable

FIGURE8 = Path(__file__).parent / "data" / "elections" / "raft_figure8.cap"
EXPECT = re.compile(r"^#\s*expect:\s*(holds|violated)\s+(\w+)", re.M)
THREE = ("p1", "p2", "p3")


@pytest.mark.slow
def test_figure8_holds_with_the_noop():
    """p1's linearizable read of w1 waits until p3 holds p1's no-op of term 2,
    so p2 (last term 1) cannot win p3's vote and w1 stays."""
    v = capmodel.verify(FIGURE8, max_states=10_000_000)  # 4.4 million
    expected = {prop: verdict for verdict, prop in EXPECT.findall(FIGURE8.read_text())}
    assert expected == {"linearizable": "holds", "no_acked_write_lost": "holds"}
    assert v.verdicts == expected
    assert v.stats.complete
    assert set(v.reachables.values()) == {"reached"}


@pytest.mark.slow
def test_without_the_noop_in_the_vote_figure8_is_violated(monkeypatch):
    """The mutation: a log's last term without its no-ops brings back the
    wrong VIOLATED, with Figure 8's story (so the spec exercises the no-op)."""
    monkeypatch.setattr(noop, "last_term", lambda st, n, last_write_term: last_write_term)
    v = capmodel.verify(FIGURE8, ["linearizable"], max_states=10_000_000)
    assert v.verdicts == {"linearizable": "violated"}
    steps = v.traces["linearizable"].steps
    families = [s.family for s in steps]
    assert families.count("elect") == 3
    first_read = families.index("client_read")
    assert "w1" in steps[first_read].text  # a linearizable read returned w1 ...
    gone = next(s for s in steps[first_read:] if s.family == "discard_divergent")
    assert "w1" in gone.text  # ... and a node of its majority then discarded it
    assert steps[-1].family == "client_read" and "w1" not in steps[-1].text.split("answers")[-1]


def _state(cfg, **values):
    model = build_model(cfg)
    names = {v.name: i for i, v in enumerate(model.variables)}
    state = list(model.initial_state)
    for name, value in values.items():
        state[names[name]] = value
    return tuple(state)


def test_a_noop_of_a_newer_term_makes_a_log_more_up_to_date():
    """p3 holds w1 of term 0 and p1's no-op of term 2; p2 holds w2 of term 1.
    By last term p3 is ahead (2 > 1), though by writes it is behind."""
    cfg = config(nodes=THREE, leader="p1", replication="quorum", acks_needed=1, reads="master_only",
                 failover="elect", partitions=3, writes=2)
    st = SystemState(cfg)
    s = _state(cfg, **{"log[p2]": 0b10, "log[p3]": 0b01, "term[w1]": 0, "term[w2]": 1, "noops[p2]": 0b001,
                       "noops[p3]": 0b010})
    assert evaluate(st.last_term(2), s) == 2 and evaluate(st.last_term(1), s) == 1
    assert not evaluate(st.at_least_as_up_to_date(1, 2), s)  # p3 refuses p2
    assert evaluate(st.at_least_as_up_to_date(2, 1), s)
    # without the no-op of term 2, p2 is ahead
    s = _state(cfg, **{"log[p2]": 0b10, "log[p3]": 0b01, "term[w2]": 1, "noops[p2]": 0b001})
    assert evaluate(st.at_least_as_up_to_date(1, 2), s)


@pytest.mark.slow
def test_logs_stay_well_formed_and_agree_up_to_every_shared_entry():
    """The representation's premise (noop.py): in every reachable state a
    write of term t > 0 follows the no-op of term t in its log, a no-op of
    term t follows no write of a later term, and two logs that share an entry
    hold the same entries before it (Raft's Log Matching)."""
    cfg = config(nodes=THREE, leader="p1", replication="quorum", acks_needed=1, reads="master_only",
                 failover="elect", partitions=2, crashes=0, writes=2, read_count=0)
    model = build_model(cfg)
    states = reachable(model)
    names = {v.name: i for i, v in enumerate(model.variables)}
    B = 2

    def entries(s, n):
        """n's log as (term, 0 for a no-op / 1 for a write, write number) in log order."""
        log, noops = s[names[f"log[{n}]"]], s[names[f"noops[{n}]"]]
        out = [(t, 0, 0) for t in range(1, B + 1) if noops >> (t - 1) & 1]
        out += [(s[names[f"term[w{i + 1}]"]], 1, i) for i in range(2) if log >> i & 1]
        return sorted(out)

    checked = 0
    for s in states:
        logs = {n: entries(s, n) for n in THREE}
        for n, log in logs.items():
            writes = [e for e in log if e[1]]
            assert [e[2] for e in writes] == sorted(e[2] for e in writes), (n, log)  # write order = log order
            for t, kind, _ in writes:
                assert t == 0 or (t, 0, 0) in log, (n, log)
        for a in THREE:
            for b in THREE:
                for k, e in enumerate(logs[a]):
                    if e in logs[b]:
                        assert logs[b][:logs[b].index(e)] == logs[a][:k], (a, b, logs)
                        checked += 1
    assert checked and len(states) > 1000
    # the no-op does reach followers, ahead of the new leader's own writes
    assert any(s[names["noops[p3]"]] and s[names["log[p3]"]] for s in states)
