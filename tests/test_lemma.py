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
