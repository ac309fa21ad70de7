"""Bad specs give SpecError with a stable code, file:line:col, a clear message and a hint;
no input whatsoever produces anything but SpecError."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capmodel.syntax.diagnostics import CODES, SpecError
from capmodel.syntax.load import MAX_FILE_BYTES, load_ast, load_spec, load_text
from capmodel.syntax.parser import parse

DATA = Path(__file__).parent / "data" / "syntax"


def error_of(fn, *args) -> SpecError:
    with pytest.raises(SpecError) as info:
        fn(*args)
    return info.value


def only(err: SpecError):
    assert len(err.diagnostics) == 1, err.render()
    return err.diagnostics[0]


# (id, source, code, line, col, message fragment, hint fragment or None)
TEXT_CASES = [
    ("missing-open-brace", "system s\n  nodes a, b\n}", "CAP102", 2, 3, "missing '{' after the system name",
     "system NAME {"),
    ("missing-close-brace", "system s {\n  nodes a, b\n", "CAP103", 2, 13, "missing '}'",
     "line 1, column 10 is never closed"),
    ("keyword-typo", "system s {\n  nodes a, b\n  replicaton async\n}", "CAP101", 3, 3, "unknown keyword 'replicaton'",
     "did you mean 'replication'?"),
    ("block-keyword-typo", "system s { nodes a, b\n faults { crash 1 } }", "CAP101", 2, 11, "unknown keyword 'crash'",
     "did you mean 'crashes'?"),
    ("block-item-outside-block", "system s { nodes a, b\n crashes 1 }", "CAP101", 2, 2,
     "'crashes' is not a statement on its own", "faults {"),
    ("nodes-without-commas", "system s {\n  nodes master slave1 slave2\n}", "CAP104", 2, 16,
     "expected ',' between node names, found 'slave1'", "`nodes master, slave1`"),
    ("option-typo", "system s { nodes a, b\n failover promote_any fence }", "CAP101", 2, 23,
     "unknown keyword 'fence'", "did you mean 'fencing'?"),
    ("doubled-operator", "system s { nodes a, b\n invariant i: a.up or or b.up }", "CAP100", 2, 23,
     "expected an expression, found 'or'", "invariant NAME: condition"),
    ("keyword-as-node", "system s { nodes a, true }", "CAP100", 1, 21, "expected a name, found 'true'",
     "nodes a, b, c"),
    ("statement-word-as-node", "system s { nodes leader, b }", "CAP210", 1, 18,
     "'leader' cannot name a node: it is a reserved word", "rename"),
    ("unknown-statement", "system s { nodes a, b\n  flurb 3 }", "CAP101", 2, 3, "unknown statement 'flurb'",
     "'nodes'"),
    ("chained-comparison", "system s { nodes a, b\n invariant i: 1 < crashes < 3 }", "CAP109", 2, 27,
     "comparisons do not chain", "a < b and b < c"),
    ("single-equals", "system s { nodes a, b\n invariant i: a.source = b }", "CAP105", 2, 24,
     "unexpected character '='", "'=='"),
    ("missing-colon", "system s { nodes a, b\n invariant i a.up }", "CAP100", 2, 14, "expected ':'",
     "invariant NAME: condition"),
    ("text-after-system", "system s { nodes a, b } extra", "CAP100", 1, 25, "after the end of the system block",
     "only comments"),
    ("duplicate-statement", "system s {\n  nodes a, b\n  reads cp\n  reads ap\n}", "CAP107", 4, 3,
     "'reads' is given twice", "first given at line 3"),
    ("mode-typo", "system s { nodes a, b\n replication asynch }", "CAP202", 2, 14, "unknown replication mode 'asynch'",
     "did you mean 'async'?"),
    ("read-policy-unknown", "system s { nodes a, b\n reads everywhere }", "CAP203", 2, 8, "unknown read policy",
     "'master_only', 'any_node', 'cp', 'ap' or 'connected_only'"),
    ("failover-typo", "system s { nodes a, b\n failover promote_most_uptodate }", "CAP204", 2, 11,
     "unknown failover strategy", "did you mean 'promote_most_up_to_date'?"),
    ("unknown-leader", "system s {\n  nodes master, slave1, slave2\n  leader slave3\n}", "CAP201", 3, 10,
     "unknown node 'slave3'", "did you mean 'slave2'?"),
    ("unknown-property", "system s { nodes a, b\n check no_stale_reads }", "CAP205", 2, 8,
     "unknown property 'no_stale_reads'", "did you mean 'no_stale_read'?"),
    ("negative-bound", "system s { nodes a, b\n faults { crashes -1 } }", "CAP302", 2, 19,
     "crashes cannot be negative", "bounds cannot be negative"),
    ("too-many-nodes", "system s { nodes a, b, c, d, e, f, g, h }", "CAP303", 1, 39, "8 nodes exceed the limit of 7",
     "state space"),
    ("writes-over-limit", "system s { nodes a, b\n workload { writes 9 } }", "CAP303", 2, 20,
     "writes 9 exceeds the limit of 8", "state space"),
    ("zero-writes", "system s { nodes a, b\n workload { writes 0 } }", "CAP308", 2, 20, "writes must be at least 1",
     "writes 1"),
    ("one-node", "system s { nodes solo }", "CAP304", 1, 18, "at least 2 nodes", "add a follower"),
    ("no-nodes", "system s { reads cp }", "CAP301", 1, 8, "has no `nodes` statement", "nodes master, slave1"),
    ("semi-sync-k-too-big", "system s { nodes a, b, c\n replication semi_sync 3 }", "CAP305", 2, 24,
     "K must be between 1 and 2", "semi_sync 2"),
    ("semi-sync-without-k", "system s { nodes a, b\n replication semi_sync timeout }", "CAP305", 2, 14,
     "semi_sync needs the number K", "semi_sync 1"),
    ("number-for-async", "system s { nodes a, b\n replication async 1 }", "CAP306", 2, 20, "takes no number",
     "only semi_sync"),
    ("fencing-without-failover", "system s { nodes a, b\n failover none fencing }", "CAP307", 2, 2,
     "nothing to fence", "promote_any fencing"),
    ("duplicate-node", "system s { nodes a, b, a }", "CAP209", 1, 24, "node 'a' is listed twice", None),
    ("node-named-like-a-write", "system s { nodes master, w1 }", "CAP210", 1, 26, "how expressions name a write",
     "rename"),
    ("node-named-like-a-global", "system s { nodes master, primary }", "CAP210", 1, 26, "a global", "rename"),
    ("unknown-identifier", "system s { nodes master, slave1\n invariant i: slave.up }", "CAP206", 2, 15,
     "unknown name 'slave'", "did you mean 'slave1'?"),
    ("write-beyond-workload", "system s { nodes a, b\n invariant i: w3.acked }", "CAP206", 2, 15,
     "unknown name 'w3'", "the workload has 2 writes (w1..w2)"),
    ("unknown-attribute", "system s { nodes a, b\n invariant i: forall n in nodes: n.is_leader }", "CAP207", 2, 36,
     "a node has no attribute 'is_leader'", "did you mean 'is_master'?"),
    ("attribute-of-other-type", "system s { nodes a, b\n invariant i: w1.ok }", "CAP207", 2, 18,
     "a write has no attribute 'ok'", "'ok' is an attribute of reads"),
    ("attribute-of-an-int", "system s { nodes a, b\n invariant i: crashes.up }", "CAP405", 2, 23,
     "a number (int) has no attributes", "n.up"),
    ("unknown-domain", "system s { nodes a, b\n invariant i: forall n in node: n.up }", "CAP208", 2, 27,
     "cannot range over 'node'", "did you mean 'nodes'?"),
    ("type-error-and", "system s { nodes a, b\n invariant i: crashes and a.up }", "CAP401", 2, 15,
     "'and' needs a condition (bool) on both sides, but the left side is a number (int)", None),
    ("type-error-eq", "system s { nodes a, b\n invariant i: a == w1 }", "CAP404", 2, 15,
     "'==' compares a node with a write", "same type"),
    ("attribute-argument-missing", "system s { nodes a, b\n invariant i: a.has }", "CAP403", 2, 15,
     "'has' needs a write as argument", ".has(w1)"),
    ("attribute-arguments-too-few", "system s { nodes a, b\n invariant i: a.hint_for(b) }", "CAP403", 2, 15,
     "'hint_for' needs a node and a write as arguments, not 1", ".hint_for(a, w1)"),
    ("attribute-arguments-swapped", "system s { nodes a, b\n invariant i: a.hint_for(b, a) }", "CAP403", 2, 29,
     "'hint_for' needs a write as second argument, not a node", ".hint_for(a, w1)"),
    ("arguments-missing-comma", "system s { nodes a, b\n invariant i: a.hint_for(b w1) }", "CAP104", 2, 28,
     "expected ',' or ')' in the arguments of '.hint_for', found 'w1'", "`.hint_for(n2, w1)`"),
    ("argument-then-a-name", "system s { nodes a, b\n invariant i: a.has(b w1) }", "CAP104", 2, 23,
     "in the arguments of '.has'", "`.has(w1)`"),
    ("parenthesis-then-a-name", "system s { nodes a, b\n invariant i: (a.up b.up) }", "CAP100", 2, 21,
     "expected an operator or ')', found 'b'", "the '(' at line 2, column 15 is still open"),
    ("attribute-argument-too-many", "system s { nodes a, b\n invariant i: a.has(w1, w1) }", "CAP403", 2, 15,
     "'has' needs a write as argument, not 2", ".has(w1)"),
    ("body-not-bool", "system s { nodes a, b\n invariant i: count n in nodes: n.up }", "CAP402", 2, 15,
     "is a number (int), not a condition", "(count n in nodes: n.is_master) <= 1"),
    ("clashing-condition-name", "system s { nodes a, b\n invariant no_stale_read: true }", "CAP211", 2, 12,
     "name of a built-in property", "another name"),
    ("extends-not-cap-in-text", 'system s extends "base.json" { nodes a, b }', "CAP007", 1, 18,
     'only reads .cap spec files', 'base.cap'),
]


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_bad_spec_text(case):
    _id, source, code, line, col, message, hint = case
    err = error_of(load_text, source, "bad.cap")
    d = only(err)
    assert d.code == code, err.render()
    assert (d.span.file, d.span.line, d.span.column) == ("bad.cap", line, col), err.render()
    assert message in d.message, err.render()
    if hint is None:
        assert d.hint is None or hint is None
    else:
        assert d.hint is not None and hint in d.hint, err.render()
    rendered = err.render()
    assert rendered.startswith(f"bad.cap:{line}:{col} - error[{code}]: ")
    assert "Traceback" not in rendered


def test_rendering_matches_the_house_style():
    err = error_of(load_spec, str(DATA / "errors" / "unknown_leader.cap"))
    path = str(DATA / "errors" / "unknown_leader.cap")
    assert err.render() == (
        f"{path}:3:10 - error[CAP201]: unknown node 'slave3'\n"
        "  3 |   leader slave3\n"
        "    |          ^^^^^^\n"
        "  = hint: did you mean 'slave2'?"
    )


def test_all_validation_errors_of_a_phase_are_reported_together():
    err = error_of(load_text, "system s {\n nodes a, a\n leader z\n replication synch\n faults { crashes 9 }\n"
                              " check nope\n invariant i: a.upp\n}", "many.cap")
    assert err.codes == ["CAP209", "CAP201", "CAP202", "CAP303", "CAP205", "CAP207"]
    assert [d.span.line for d in err.diagnostics] == [2, 3, 4, 5, 6, 7]
    assert err.render().endswith("6 errors")


def test_count_body_pitfall_gets_a_hint():
    # the body of count extends to the right: `count n in nodes: n.up <= 1` compares n.up with 1
    err = error_of(load_text, "system s { nodes a, b\n invariant i: count n in nodes: n.up <= 1 }", "c.cap")
    lte = [d for d in err.diagnostics if d.code == "CAP401"]
    assert lte and "parenthesize" in lte[0].hint
    assert (lte[0].span.line, lte[0].span.column) == (2, 33)


# ---------------------------------------------------------------- files


def test_missing_file():
    d = only(error_of(load_spec, "no/such/spec.cap"))
    assert d.code == "CAP001" and d.span.file == "no/such/spec.cap"
    assert "not found" in d.message and "check the path" in d.hint


def test_a_path_object_is_read_like_its_text():
    """load_spec(Path(...)), as a library user writes it: it gave CAP000, an
    internal error, before."""
    root = Path(__file__).resolve().parent.parent
    assert load_spec(root / "specs/async.cap") == load_spec(str(root / "specs/async.cap"))
    d = only(error_of(load_spec, Path("no/such/spec.cap")))
    assert d.code == "CAP001" and d.span.file == "no/such/spec.cap"


def test_directory(tmp_path):
    d = only(error_of(load_spec, str(tmp_path)))
    assert d.code == "CAP002" and "directory" in d.message and ".cap file" in d.hint


def test_unreadable_file(tmp_path, monkeypatch):
    # the OS refuses the read (chmod 0 would not stop root, so the refusal is simulated)
    import capmodel.syntax.load as load_module

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    p = tmp_path / "secret.cap"
    p.write_text("system s { nodes a, b }")
    monkeypatch.setattr(load_module, "open", refuse, raising=False)
    d = only(error_of(load_spec, str(p)))
    assert d.code == "CAP006" and "cannot read" in d.message and "Permission denied" in d.message


def test_binary_file_with_nul_bytes(tmp_path):
    p = tmp_path / "x.cap"
    p.write_bytes(b"system s {\x00\x01\x02 nodes a, b }")
    err = error_of(load_spec, str(p))
    d = only(err)
    assert d.code == "CAP003" and (d.span.line, d.span.column) == (1, 1)
    assert "not a text spec file" in d.message
    assert err.render().startswith(f"{p}:1:1 - error[CAP003]")


def test_non_utf8_file(tmp_path):
    p = tmp_path / "latin1.cap"
    p.write_bytes("system s { nodes caf\xe9, b }".encode("latin-1"))
    d = only(error_of(load_spec, str(p)))
    assert d.code == "CAP003" and "invalid UTF-8 at line 1, column 21" in d.message and "UTF-8" in d.hint


@pytest.mark.parametrize("content", ["", "   \n\n", "# just a comment\n# and another\n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.cap"
    p.write_text(content)
    d = only(error_of(load_spec, str(p)))
    assert d.code == "CAP005" and (d.span.line, d.span.column) == (1, 1)
    assert "empty" in d.message and "system" in d.hint


def test_file_too_large(tmp_path):
    p = tmp_path / "huge.cap"
    p.write_text("system s { nodes a, b }\n" + "#" * MAX_FILE_BYTES)
    d = only(error_of(load_spec, str(p)))
    assert d.code == "CAP004" and "too large" in d.message


def test_extends_cycle_names_the_cycle():
    a = str(DATA / "cycle_a.cap")
    d = only(error_of(load_spec, a))
    assert d.code == "CAP008"
    assert d.message == f"cyclic extends: {a} -> {DATA / 'cycle_b.cap'} -> {a}"
    assert d.span.file == str(DATA / "cycle_b.cap") and (d.span.line, d.span.column) == (1, 18)


def test_self_extends(tmp_path):
    p = tmp_path / "me.cap"
    p.write_text('system me extends "me.cap" { nodes a, b }')
    d = only(error_of(load_spec, str(p)))
    assert d.code == "CAP008" and d.message == f"cyclic extends: {p} -> {p}"


def test_missing_extends_target():
    d = only(error_of(load_spec, str(DATA / "missing_base.cap")))
    assert d.code == "CAP009" and (d.span.line, d.span.column) == (1, 23)
    assert "no_such_base.cap" in d.message and "relative to the directory" in d.hint


def test_extends_only_reads_cap_files():
    d = only(error_of(load_spec, str(DATA / "not_cap.cap")))
    assert d.code == "CAP007" and '"base.txt"' in d.message and "base.cap" in d.hint


def test_error_in_base_is_reported_in_the_base_file():
    err = error_of(load_spec, str(DATA / "bad_base_child.cap"))
    d = only(err)
    assert d.code == "CAP201" and d.span.file == str(DATA / "errors" / "unknown_leader.cap")
    assert "  3 |   leader slave3" in err.render()  # the base's source is shown


def test_extends_error_in_child_overridden_nodes(tmp_path):
    # the child changes the nodes; the base's leader is no longer among them
    shutil.copy(DATA / "base.cap", tmp_path / "base.cap")
    (tmp_path / "base.cap").write_text((DATA / "base.cap").read_text().replace("nodes master", "leader master\n  nodes master"))
    (tmp_path / "child.cap").write_text('system c extends "base.cap" { nodes x, y }')
    err = error_of(load_spec, str(tmp_path / "child.cap"))
    assert "CAP201" in err.codes  # leader master (in base.cap) is unknown now
    assert any(d.span.file == str(tmp_path / "base.cap") for d in err.diagnostics)


def test_load_ast_reports_syntax_errors():
    d = only(error_of(load_ast, str(DATA / "cycle_a.cap") + ".missing"))
    assert d.code == "CAP001"


def test_deep_nesting_is_refused():
    d = only(error_of(parse, "system s { nodes a, b\n invariant i: " + "(" * 500 + "true" + ")" * 500 + " }", "d.cap"))
    assert d.code == "CAP106" and "nested too deeply" in d.message


# ---------------------------------------------------------------- fuzz

VOCAB = ["system", "s", "{", "}", "nodes", "a", "b", ",", "leader", "replication", "semi_sync", "1", "-1",
         "timeout", "reads", "cp", "failover", "promote_any", "fencing", "faults", "crashes", "recover",
         "partitions", "workload", "writes", "clients", "check", "no_stale_read", "invariant", "reachable",
         ":", "forall", "exists", "count", "n", "in", "nodes", "writes", "n.up", "w1", "r1.ok", ".", "has",
         "(", ")", "and", "or", "not", "implies", "==", "!=", "<", "<=", "+", "-", "true", "false", "0",
         "extends", '"x.cap"', "#", "\n", "@", '"', "99999999999999999999999",
         # details of real systems
         "wait", "ack_after", "flushed", "visibility", "after_sync", "standbys", "first", "any", "min_replicas",
         "from", "with_clients", "promote_sync_standby", "connected_only", "sync", "async", "no_read_of_lost_data"]


def assert_only_spec_errors(fn, *args):
    try:
        fn(*args)
    except SpecError as e:
        assert e.diagnostics
        for d in e.diagnostics:
            assert d.code in CODES and d.code != "CAP000", e.render()
        e.render()  # rendering never fails either


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_fuzz_random_text_only_raises_spec_error(text):
    assert_only_spec_errors(load_text, text, "fuzz.cap")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCAB), max_size=40))
def test_fuzz_token_soup_only_raises_spec_error(tokens):
    assert_only_spec_errors(load_text, "system s { nodes a, b " + " ".join(tokens), "soup.cap")
    assert_only_spec_errors(load_text, " ".join(tokens), "soup.cap")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_fuzz_random_bytes_only_raise_spec_error(tmp_path, data):
    p = tmp_path / "bytes.cap"
    p.write_bytes(data)
    assert_only_spec_errors(load_spec, str(p))
    os.remove(p)
