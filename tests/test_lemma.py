"""`lemma NAME: expr`: parsed, type-checked, checked on every explicit state
(a wrong lemma is caught with a trace), and handed to the Z3 engine."""
import pytest

from capmodel.engines import explicit
from capmodel.semantics.build import build_model
from capmodel.syntax.diagnostics import SpecError
from capmodel.syntax.load import load_text
from capmodel.trace import replay

SPEC = """system s {
  nodes master, slave
  replication sync
  workload { writes 1 reads 0 }
  check no_acked_write_lost
  lemma acked_on_live_nodes: forall w in writes: w.acked implies (forall n in nodes: n.up implies n.has(w))
  lemma wrong: not (exists w in writes: w.acked)
}
"""


def test_lemmas_reach_the_model_and_a_wrong_one_is_caught():
    cfg = load_text(SPEC, "s.cap")
    assert [c.name.text for c in cfg.lemmas] == ["acked_on_live_nodes", "wrong"]
    model = build_model(cfg)
    assert [c.name for c in model.lemmas] == ["acked_on_live_nodes", "wrong"]
    result = explicit.check(model, stop_when_decided=False)
    verdicts = {p.name: p.verdict for p in result.properties}
    assert verdicts == {"no_acked_write_lost": "holds", "acked_on_live_nodes": "holds", "wrong": "violated"}
    wrong = next(p for p in result.properties if p.name == "wrong")
    assert replay(model, wrong.trace) and wrong.trace.steps[-1].family == "answer_ok"


def test_lemma_body_must_be_a_condition_and_names_unique():
    with pytest.raises(SpecError) as err:
        load_text(SPEC.replace("not (exists w in writes: w.acked)", "count n in nodes: n.up"), "s.cap")
    assert "CAP402" in err.value.codes
    with pytest.raises(SpecError) as err:
        load_text(SPEC.replace("lemma wrong", "invariant acked_on_live_nodes"), "s.cap")
    assert "CAP211" in err.value.codes


def _with(path: str, lines: str):
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / path).read_text()
    end = text.rindex("}")
    return build_model(load_text(text[:end] + lines + text[end:], path))


def test_a_writes_term_is_the_term_its_node_accepted_it_in():
    """`w.term` (the generated Raft lemmas word a write's term by it): never
    above the highest term, reached above 0 once a master elected later takes
    a write; always 0 where nothing compares logs by term."""
    raft = _with("specs/textbook/raft_majority.cap",
                 "  lemma write_terms_issued: forall w in writes: w.term <= term\n"
                 "  reachable a_write_in_a_later_term: exists w in writes: w.term > 0\n")
    result = explicit.check(raft, stop_when_decided=False)
    assert {p.name: p.verdict for p in result.properties}["write_terms_issued"] == "holds"
    later = next(r for r in result.reachables if r.name == "a_write_in_a_later_term")
    assert later.verdict == "reached"
    replay(raft, later.trace)
    for path in ("specs/systems/cassandra_quorum.cap", "specs/async.cap"):
        model = _with(path, "  reachable a_term: exists w in writes: w.term > 0\n")
        assert explicit.check(model, stop_when_decided=False).reachables[-1].verdict == "unreachable", path
