"""A Z3 time budget spent before a phase starts is a timeout, never a crash.

Found by the fuzzer (resources campaign): `verify mid.cap --engine z3
--timeout 2` on a 5-node spec spent the budget in the capped explicit pass and
lemma generation, and the next solver question raised OutOfTime out of the
engine (exit 70, "internal error"). Every budget, however small, must give
INCOMPLETE verdicts and say how far BMC got."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("z3")

from capmodel.engines import z3_engine  # noqa: E402
from capmodel.engines.result import INCOMPLETE  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIVE_NODES = """system big {
  nodes n1, n2, n3, n4, n5
  replication async
  reads any_node
  failover promote_any
  faults { crashes 3  partitions 3 }
  workload { writes 3  reads 2 clients 2 }
}
"""


@pytest.mark.parametrize("spec", ["specs/sync.cap", "five_nodes"])
def test_a_spent_budget_gives_incomplete_verdicts(tmp_path, spec):
    budget = 1e-6  # spent before the first solver question, however fast the machine (no timing)
    if spec == "five_nodes":
        path = tmp_path / "big.cap"
        path.write_text(FIVE_NODES)
    else:
        path = ROOT / spec
    model = build_model(load_spec(str(path)))
    result = z3_engine.check_z3(model, timeout=budget)
    assert result.properties and {p.verdict for p in result.properties} == {INCOMPLETE}
    assert result.timed_out
    assert f"the time budget of {budget:g} s ran out; BMC had checked no depth yet" in result.notes


def test_an_unarmable_question_is_unknown_not_an_exception():
    import z3

    from capmodel.engines.budget import Deadline

    spent = Deadline(1e-9)
    solver = z3.Solver()
    solver.add(z3.Bool("x"))
    assert z3_engine.check_in_time(solver, spent) == z3.unknown
    assert z3_engine.check_in_time(solver, Deadline(None)) == z3.sat
