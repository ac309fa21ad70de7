"""Every shipped spec gives the verdicts written in its `# expect:` lines, and
every counterexample replays through the IR interpreter."""
import re
from pathlib import Path

import pytest

from capmodel.trace import replay

from helpers import plain_search

SPECS = sorted(Path(__file__).parent.parent.joinpath("specs").rglob("*.cap"))
EXPECT = re.compile(r"^#\s*expect:\s*(holds|violated)\s+(\w+)", re.M)


def expectations(path: Path) -> dict[str, str]:
    return {prop: verdict for verdict, prop in EXPECT.findall(path.read_text())}


@pytest.fixture(scope="module", params=SPECS, ids=lambda p: p.name)
def checked(request):
    path = request.param
    return (path, *plain_search(str(path)))  # shared with the other tests of this worker


def test_every_spec_states_its_expectations():
    assert len(SPECS) >= 8
    for path in SPECS:
        assert expectations(path), f"{path} has no '# expect:' line"


@pytest.mark.slow
def test_expected_verdicts(checked):
    path, _, result = checked
    got = {p.name: p.verdict for p in result.properties}
    for prop, verdict in expectations(path).items():
        assert got.get(prop) == verdict, f"{path.name}: {prop} is {got.get(prop)}, expected {verdict}"
    assert result.stats.complete, "shipped specs must be explored to the end"
    assert result.deadlock is None


def test_reachable_conditions_are_reached(checked):
    path, _, result = checked
    assert result.reachables, f"{path.name} states no reachable condition"
    assert all(r.verdict == "reached" for r in result.reachables), path.name


def test_counterexamples_replay_and_end_in_a_violation(checked):
    _, model, result = checked
    from capmodel.ir.pycompile import evaluate

    invariants = {c.name: c.expr for c in model.invariants}
    for p in result.properties:
        if p.trace is None:
            continue
        states = replay(model, p.trace)
        assert not evaluate(invariants[p.name], states[-1]), f"{p.name}: the last state does not violate it"
        assert all(evaluate(invariants[p.name], s) for s in states[:-1]), \
            f"{p.name}: violated earlier, so the trace is not the shortest"
    for r in result.reachables:
        replay(model, r.trace)


def test_seed_stories(checked):
    """The counterexamples tell the seed's stories."""
    path, _, result = checked
    traces = {p.name: p.trace for p in result.properties if p.trace}
    if path.name == "async.cap":
        kinds = [s.family for s in traces["no_acked_write_lost"].steps]
        assert kinds == ["client_write", "crash", "promote"]
        assert "never reached" in traces["no_acked_write_lost"].steps[1].text
    if path.name == "ap.cap":
        assert any(s.kind == "partition" for s in traces["no_stale_read"].steps)
    if path.name == "cp.cap":
        assert [s.family for s in traces["read_availability"].steps] == ["cut_link", "client_read_refused"]
    if path.name == "sync.cap":
        assert traces["write_availability"].steps[-1].family == "write_timeout"
    if path.name == "split_brain.cap":
        assert any(s.family == "promote" for s in traces["no_split_brain"].steps)
