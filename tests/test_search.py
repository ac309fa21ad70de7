"""engines/search.py: the cone of influence, symmetry and engine choice
together, against the plain Python search of the full model."""
from __future__ import annotations

from pathlib import Path

import pytest

from capmodel.cli import Progress
from capmodel.engines import search
from capmodel.ir.cone import relevant_variables, restrict
from capmodel.semantics.build import build_model
from capmodel.syntax.load import load_spec
from capmodel.trace import replay

from helpers import plain_search

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("specs/**/*.cap"))


def summary(result):
    return [(p.name, p.verdict, len(p.trace.steps) if p.trace else None)
            for p in result.properties + result.reachables]


def one_property_runs():
    for path in SPECS:
        model = build_model(load_spec(str(ROOT / path)))
        for c in model.invariants:
            yield pytest.param(path, c.name, id=f"{Path(path).stem}-{c.name}")


@pytest.mark.slow
@pytest.mark.parametrize("path,prop", list(one_property_runs()))
def test_reductions_keep_verdicts_and_real_traces(path, prop):
    """verify -p PROP: same verdict and counterexample length as the full
    model, and every trace replays on the full model (every variable in it)."""
    model, full = plain_search(str(ROOT / path))  # every property: the same graph, the same traces
    expected = [row for row in summary(full) if row[0] == prop or row[0] in {r.name for r in full.reachables}]
    for symmetry in (True, False):
        reduced = search.check(model, properties=[prop], stop_when_decided=False, symmetry=symmetry,
                               compiled=False)
        assert summary(reduced) == expected
        # the cone merges states that differ only in variables left out, so
        # the reduced graph may be shallower; shortest counterexamples are equal
        assert reduced.stats.depth <= full.stats.depth
        assert reduced.stats.states <= full.stats.states
        assert (reduced.deadlock is None) == (full.deadlock is None)
        for p in reduced.properties + reduced.reachables:
            if p.trace is not None:
                states = replay(model, p.trace)
                assert len(states[-1]) == len(model.variables)
        if reduced.stats.symmetry_order == 1:
            break  # no interchangeable nodes: the search without symmetry would be this one again


def test_cone_leaves_out_only_what_no_checked_property_reads():
    """async.cap checked for no_acked_write_lost alone: the read ghosts
    (what r1 saw, what was acked when it answered) are not needed; every
    guard's variables are."""
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    checked = [c for c in model.invariants if c.name == "no_acked_write_lost"]
    keep = relevant_variables(model, checked + model.reachables)
    names = {model.variables[i].name for i in keep}
    assert "acked_at[r1]" not in names and "seen[r1]" not in names
    assert {"up[master]", "log[slave1]", "status[w1]", "cut_links"} <= names
    reduced = restrict(model, checked, model.reachables)
    assert len(reduced.variables) == len(keep) < len(model.variables)
    assert [i.name for i in reduced.instances()] == [i.name for i in model.instances()]


def _distinct_nodes(exprs) -> int:
    """How many distinct expression objects the expressions are made of (shared ones counted once)."""
    seen, stack = set(), list(exprs)
    while stack:
        e = stack.pop()
        if id(e) not in seen:
            seen.add(id(e))
            stack.extend(a for a in e.args if hasattr(a, "op"))
    return len(seen)


def _expressions(model):
    for inst in model.instances():
        yield inst.guard
        yield from (value for _, value in inst.updates)


def test_cone_keeps_the_subterms_the_model_shares():
    """The builders share subterms between guards; the reduced model keeps
    them shared instead of copying them into every guard (which made the
    symmetry check of a 7-node spec 2.5 times slower on the reduced model)."""
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    checked = [c for c in model.invariants if c.name == "no_acked_write_lost"]
    reduced = restrict(model, checked, model.reachables)
    full, cut = _distinct_nodes(_expressions(model)), _distinct_nodes(_expressions(reduced))
    assert cut <= full  # before: 2,410 objects in the reduced model against 1,437 in the full one


def test_reductions_are_reported():
    model = build_model(load_spec(str(ROOT / "specs/async.cap")))
    r = search.check(model, stop_when_decided=False, compiled=False)
    assert r.stats.symmetry_order == 2
    assert any(n.startswith("symmetry: nodes slave1, slave2") for n in r.stats.reductions)
    assert any(n.startswith("cone of influence: 7 of 34") for n in r.stats.reductions)
    plain = search.check(model, stop_when_decided=False, compiled=False, symmetry=False)
    assert plain.stats.symmetry_order == 1 and plain.stats.states > r.stats.states


def test_piped_progress_prints_a_line_every_30_seconds(capsys):
    progress = Progress(enabled=True, terminal=False)
    for seconds in (1.5, 10, 29.9):
        progress(1000, 3, seconds)
    assert capsys.readouterr().err == ""
    progress(5000, 7, 30.2)
    progress(6000, 7, 45)
    progress(9000, 8, 61)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["exploring: 5,000 states, depth 7, 166 states/s, 30 s",
                     "exploring: 9,000 states, depth 8, 148 states/s, 61 s"]
    quiet = Progress(enabled=False, terminal=False)
    quiet(9000, 8, 100)
    assert capsys.readouterr().err == ""


def test_a_model_the_compiler_refuses_runs_on_the_python_engine(monkeypatch):
    from capmodel.engines import compiled

    if compiled.available() is not None:
        pytest.skip(compiled.available())

    def refuse(*args, **kwargs):
        raise compiled.Unsupported("a value does not fit its variable's bits")

    monkeypatch.setattr(compiled, "check", refuse)
    model = build_model(load_spec(str(ROOT / "specs/semisync.cap")))
    said = []
    r = search.check(model, stop_when_decided=False, warn=said.append)
    assert said == ["note: the Python engine runs, slower: a value does not fit its variable's bits"]
    assert r.stats.complete and r.stats.states == search.check(model, stop_when_decided=False,
                                                               compiled=False).stats.states
