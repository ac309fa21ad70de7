"""The details of real systems (docs/language.md, "Details of real systems"):
ack_after, visibility, standbys, min_replicas, `replication ... wait`,
`reads ... from`, `partitions ... with_clients`; parsed into the right
SystemConfig fields, checked with a code, a place and a hint for every mistake."""
from __future__ import annotations

from pathlib import Path

import pytest

from capmodel import catalogue as cat
from capmodel.config import SystemConfig
from capmodel.syntax.diagnostics import CODES, SpecError
from capmodel.syntax.load import load_ast, load_spec, load_text

DATA = Path(__file__).parent / "data" / "syntax" / "details"
DOC = Path(__file__).parent.parent / "docs" / "language.md"
NODES = "system s {\n nodes master, s1, s2\n"  # every case below starts with these two lines


def error_of(source: str, file: str = "bad.cap") -> SpecError:
    with pytest.raises(SpecError) as info:
        load_text(source, file)
    return info.value


# ---------------------------------------------------------------- parse + validate


def test_every_detail_lands_in_the_ast():
    path = str(DATA / "base.cap")
    spec = load_ast(path)
    rep = spec.replication
    assert (rep.mode.text, rep.acks, rep.timeout, rep.wait) == ("sync", None, True, False)
    assert [w.text for w in rep.endings] == ["timeout"]
    assert (spec.ack_after.text, spec.visibility.text) == ("flushed", "after_sync")
    assert (spec.ack_after.span.line, spec.ack_after.span.column) == (5, 13)
    sb = spec.standbys
    assert (sb.rule.text, sb.count.value, [n.text for n in sb.nodes]) == ("first", 1, ["s1", "s2"])
    assert (sb.span.line, sb.span.column) == (7, 3)
    assert (sb.nodes[1].span.line, sb.nodes[1].span.column) == (7, 25)
    assert spec.min_replicas.value == 1
    assert spec.reads.text == "connected_only" and [n.text for n in spec.read_from] == ["s1", "s2"]
    assert spec.faults.client_partitions is True
    assert (spec.spans["standbys"].line, spec.spans["min_replicas"].line) == (7, 8)


def test_every_detail_lands_in_the_config():
    cfg = load_spec(str(DATA / "base.cap"))
    assert (cfg.replication, cfg.acks_needed, cfg.semi_sync_timeout, cfg.client_wait) == ("sync", 1, True, False)
    assert (cfg.ack_after, cfg.visibility) == ("flushed", "after_sync")
    assert (cfg.standby_rule, cfg.standbys) == ("first", ("s1", "s2"))
    assert cfg.min_replicas == 1
    assert (cfg.reads, cfg.read_nodes) == ("connected_only", ("s1", "s2"))
    assert cfg.failover == "promote_sync_standby"
    assert (cfg.partitions, cfg.client_partitions) == (1, True)
    assert cfg.checks == ("no_acked_write_lost", "no_read_of_lost_data")


def test_without_details_the_defaults_of_config_hold():
    cfg = load_text("system s { nodes a, b\n replication semi_sync 1 timeout\n reads any_node\n"
                    " faults { partitions 1 } }")
    defaults = {f: SystemConfig.__dataclass_fields__[f].default
                for f in ("ack_after", "visibility", "standbys", "standby_rule", "client_wait", "min_replicas",
                          "read_nodes", "client_partitions")}
    assert {f: getattr(cfg, f) for f in defaults} == defaults
    assert (cfg.acks_needed, cfg.semi_sync_timeout) == (1, True)


@pytest.mark.parametrize(
    "statements, expected",
    [
        ("replication semi_sync 1 wait", dict(acks_needed=1, client_wait=True, semi_sync_timeout=False)),
        ("replication sync wait", dict(acks_needed=2, client_wait=True)),
        ("replication quorum timeout", dict(acks_needed=1, semi_sync_timeout=True, client_wait=False)),
        ("replication sync timeout", dict(acks_needed=2, semi_sync_timeout=True)),
        ("replication semi_sync 2\n ack_after received", dict(ack_after="received")),
        ("replication semi_sync 1\n ack_after flushed", dict(ack_after="flushed")),
        ("replication sync\n ack_after applied", dict(ack_after="applied", acks_needed=2)),
        ("replication semi_sync 1\n visibility after_sync", dict(visibility="after_sync")),
        ("replication quorum\n visibility after_commit", dict(visibility="after_commit")),
        # with standbys, their K is the number of acks, whatever the mode
        ("replication sync\n standbys first 1 (s2, s1)",
         dict(acks_needed=1, standby_rule="first", standbys=("s2", "s1"))),
        ("replication sync\n standbys any 2 (s1, s2)", dict(acks_needed=2, standby_rule="any", standbys=("s1", "s2"))),
        ("replication semi_sync timeout\n standbys any 1 (s1, s2)",
         dict(acks_needed=1, semi_sync_timeout=True, standbys=("s1", "s2"))),
        ("replication quorum\n standbys first 1 (s2)", dict(acks_needed=1, standbys=("s2",))),
        ("replication sync\n standbys first 1 (s1)\n failover promote_sync_standby fencing",
         dict(failover="promote_sync_standby", fencing=True)),
        ("min_replicas 0", dict(min_replicas=0)),
        ("min_replicas 2", dict(min_replicas=2, replication="async")),  # Redis: async with min-replicas
        ("reads any_node from s1", dict(reads="any_node", read_nodes=("s1",))),
        ("reads connected_only from s2, master", dict(reads="connected_only", read_nodes=("s2", "master"))),
        ("reads connected_only", dict(reads="connected_only", read_nodes=())),
        ("faults { partitions 2 with_clients crashes 1 }", dict(partitions=2, crashes=1, client_partitions=True)),
        ("faults { partitions 1 }", dict(partitions=1, client_partitions=False)),
        ("check no_read_of_lost_data", dict(checks=("no_read_of_lost_data",))),
        ("leader s1\n replication sync\n standbys first 1 (master)", dict(leader="s1", standbys=("master",))),
    ],
)
def test_each_statement_sets_its_field(statements, expected):
    cfg = load_text(f"{NODES} {statements}\n}}", "ok.cap")
    assert {k: getattr(cfg, k) for k in expected} == expected


def test_statements_come_in_any_order():
    cfg = load_text("system s { standbys any 1 (b)  min_replicas 1  ack_after applied  nodes a, b\n"
                    "visibility after_sync  replication semi_sync wait }")
    assert (cfg.acks_needed, cfg.client_wait, cfg.ack_after, cfg.visibility, cfg.min_replicas) == (
        1, True, "applied", "after_sync", 1)


# ---------------------------------------------------------------- extends


def test_extends_a_child_replaces_one_detail_and_inherits_the_rest():
    cfg = load_spec(str(DATA / "child.cap"))
    assert cfg.name == "pg_child"
    assert cfg.ack_after == "applied"  # overridden
    assert (cfg.visibility, cfg.standbys, cfg.standby_rule, cfg.min_replicas) == (
        "after_sync", ("s1", "s2"), "first", 1)  # inherited
    assert (cfg.replication, cfg.acks_needed, cfg.semi_sync_timeout) == ("sync", 1, True)
    # `reads any_node` replaces the base's `reads connected_only from s1, s2` as a whole
    assert (cfg.reads, cfg.read_nodes) == ("any_node", ())
    assert (cfg.failover, cfg.client_partitions) == ("promote_sync_standby", True)


def test_extends_a_child_changing_the_mode_to_async_reports_the_base_details():
    err = error_of_file(DATA / "async_child.cap")
    assert err.codes == ["CAP309", "CAP309", "CAP309"]
    base = str(DATA / "base.cap")
    assert [(d.span.file, d.span.line, d.span.column) for d in err.diagnostics] == [
        (base, 5, 3), (base, 6, 3), (base, 7, 3)]
    assert all("`replication async`" in d.message and "async does not wait for acks" in d.hint
               for d in err.diagnostics)
    assert "  5 |   ack_after flushed" in err.render()


def test_extends_child_from_text_overrides_standbys():
    cfg = load_text('system t extends "base.cap" { standbys any 2 (s2, s1) }', str(DATA / "virtual.cap"))
    assert (cfg.standby_rule, cfg.standbys, cfg.acks_needed) == ("any", ("s2", "s1"), 2)


def error_of_file(path: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(str(path))
    return info.value


# ---------------------------------------------------------------- bad inputs

# (id, the statements after NODES, code, line, col, message fragment, hint fragment)
BAD = [
    ("ack-point-typo", "replication sync\n ack_after flushd", "CAP212", 4, 12, "unknown ack point 'flushd'",
     "did you mean 'flushed'?"),
    ("ack-point-unknown", "replication sync\n ack_after committed", "CAP212", 4, 12,
     "unknown ack point 'committed'", "'received', 'flushed' or 'applied'"),
    ("visibility-typo", "replication sync\n visibility after_synch", "CAP212", 4, 13, "unknown visibility",
     "did you mean 'after_sync'?"),
    ("standby-rule-upper-case", "replication sync\n standbys FIRST 1 (s1)", "CAP212", 4, 11,
     "unknown standby rule 'FIRST'", "lower case: 'first'"),
    ("standby-rule-typo", "replication sync\n standbys frist 1 (s1)", "CAP212", 4, 11,
     "unknown standby rule 'frist'", "did you mean 'first'?"),
    ("standbys-unknown-node", "replication sync\n standbys first 1 (s1, s3)", "CAP201", 4, 24,
     "unknown node 's3'", "the standbys are followers: 's1' or 's2'"),
    ("standbys-node-typo", "replication sync\n standbys any 1 (s11)", "CAP201", 4, 18, "unknown node 's11'",
     "did you mean 's1'?"),
    ("standbys-include-the-leader", "replication sync\n standbys first 1 (s1, master)", "CAP306", 4, 24,
     "'master' is the leader: it cannot be its own standby", "list followers only: 's1' or 's2'"),
    ("standbys-duplicate", "replication sync\n standbys any 1 (s1, s1)", "CAP209", 4, 22,
     "standby 's1' is listed twice", "once"),
    ("standbys-k-too-big", "replication sync\n standbys any 3 (s1, s2)", "CAP305", 4, 15,
     "standbys any 3 is out of range: K must be between 1 and 2", "`standbys any 2 (...)`"),
    ("standbys-k-zero", "replication sync\n standbys first 0 (s1)", "CAP305", 4, 17,
     "K must be between 1 and 1", "`standbys first 1 (...)`"),
    ("standbys-k-negative", "replication sync\n standbys first -1 (s1)", "CAP305", 4, 17, "out of range",
     "standbys first 1"),
    ("standbys-k-on-replication-too", "replication semi_sync 1\n standbys first 1 (s1)", "CAP306", 3, 24,
     "with `standbys`, 'replication semi_sync' takes no number", "write `replication semi_sync`"),
    ("standbys-with-async", "replication async\n standbys first 1 (s1)", "CAP309", 4, 2,
     "'standbys' needs sync, semi_sync or quorum replication", "replication sync"),
    ("standbys-with-default-async", "standbys first 1 (s1)", "CAP309", 3, 2, "replicates async (the default)",
     "async does not wait for acks"),
    ("wait-and-timeout", "replication semi_sync 1 timeout wait", "CAP306", 3, 34,
     "'timeout' and 'wait' exclude each other", "keep one"),
    ("wait-twice", "replication sync wait wait", "CAP107", 3, 24, "'wait' is given twice", "once"),
    ("wait-with-async", "replication async wait", "CAP306", 3, 20, "'wait' applies only to 'sync', 'semi_sync'",
     "async does not wait for acks"),
    ("timeout-with-async", "replication async timeout", "CAP306", 3, 20, "'timeout' applies only to",
     "remove 'timeout'"),
    ("ack-after-with-async", "replication async\n ack_after flushed", "CAP309", 4, 2,
     "'ack_after' needs sync, semi_sync or quorum replication, but this spec replicates `replication async`",
     "async does not wait for acks"),
    ("visibility-with-default-async", "visibility after_sync", "CAP309", 3, 2,
     "'visibility' needs sync, semi_sync or quorum", "async does not wait for acks"),
    ("promote-sync-standby-without-standbys", "replication sync\n failover promote_sync_standby", "CAP309", 4, 11,
     "promote_sync_standby needs a `standbys` statement", "`standbys first 1 (s1)`"),
    ("with-clients-without-partitions", "faults { crashes 1  partitions 0 with_clients }", "CAP309", 3, 33,
     "'with_clients' needs at least 1 partition", "partitions 1 with_clients"),
    ("from-unknown-node", "reads any_node from s1, slave2", "CAP201", 3, 26, "unknown node 'slave2'",
     "reads go to nodes: 'master', 's1' or 's2'"),
    ("from-node-typo", "reads any_node from s1, mastr", "CAP201", 3, 26, "unknown node 'mastr'",
     "did you mean 'master'?"),
    ("from-duplicate", "reads cp from s1, s1", "CAP209", 3, 20, "listed twice after 'from'", "once"),
    ("min-replicas-too-big", "min_replicas 3", "CAP305", 3, 15, "min_replicas 3 is out of range",
     "`min_replicas 1` .. `min_replicas 2`"),
    ("min-replicas-negative", "min_replicas -1", "CAP302", 3, 15, "min_replicas cannot be negative", "use 0"),
    ("ack-after-twice", "replication sync\n ack_after flushed\n ack_after applied", "CAP107", 5, 2,
     "'ack_after' is given twice", "first given at line 4"),
    ("standbys-twice", "replication sync\n standbys any 1 (s1)\n standbys any 1 (s2)", "CAP107", 5, 2,
     "'standbys' is given twice", "first given at line 4"),
    ("ack-after-keyword-typo", "replication sync\n ack_afer flushed", "CAP101", 4, 2,
     "unknown keyword 'ack_afer'", "did you mean 'ack_after'?"),
    ("standbys-missing-comma", "replication sync\n standbys any 1 (s1 s2)", "CAP104", 4, 21,
     "expected ',' between node names", "`(s1, s2)`"),
    ("from-missing-comma", "reads any_node from s1 s2", "CAP104", 3, 25, "expected ',' between node names",
     "`from s1, s2`"),
    ("standbys-without-parentheses", "replication sync\n standbys first 1 s1", "CAP100", 4, 19,
     "expected '(', found 's1'", "`standbys first K (a, b)`"),
    ("standbys-without-k", "replication sync\n standbys first (s1)", "CAP100", 4, 17, "expected a number",
     "`standbys first K (a, b)`"),
    ("with-clients-alone", "with_clients", "CAP101", 3, 2, "'with_clients' is not a statement on its own",
     "faults {"),
    ("wait-before-k", "replication semi_sync wait 1", "CAP100", 3, 29, "found '1'", "`replication async`"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_detail(case):
    _id, statements, code, line, col, message, hint = case
    err = error_of(f"{NODES} {statements}\n}}")
    assert len(err.diagnostics) == 1, err.render()
    d = err.diagnostics[0]
    assert d.code == code, err.render()
    assert (d.span.file, d.span.line, d.span.column) == ("bad.cap", line, col), err.render()
    assert message in d.message, err.render()
    assert d.hint is not None and hint in d.hint, err.render()
    rendered = err.render()
    assert rendered.startswith(f"bad.cap:{line}:{col} - error[{code}]: ")
    assert "Traceback" not in rendered


def test_new_keywords_are_reserved_node_names():
    for word in ("wait", "from", "with_clients", "ack_after", "visibility", "standbys", "min_replicas"):
        err = error_of(f"system s {{ nodes master, {word} }}")
        assert err.codes in (["CAP210"], ["CAP100"]), err.render()


def test_several_detail_errors_are_reported_together():
    err = error_of(f"{NODES} replication async wait\n ack_after flushd\n standbys first 5 (s1, zz)\n"
                   " min_replicas 7\n failover promote_sync_standby\n}")
    assert err.codes == ["CAP306", "CAP309", "CAP212", "CAP309", "CAP305", "CAP201", "CAP305"]
    assert [d.span.line for d in err.diagnostics] == [3, 4, 4, 5, 5, 5, 6]
    assert err.render().endswith("7 errors")


# ---------------------------------------------------------------- docs


def test_docs_details_example_is_a_valid_spec():
    text = DOC.read_text()
    section = text.split("## Details of real systems", 1)[1]
    example = section.split("```\n", 2)[1]
    cfg = load_text(example, "details.cap")
    assert (cfg.ack_after, cfg.visibility, cfg.standbys, cfg.standby_rule, cfg.acks_needed) == (
        "applied", "after_sync", ("s1",), "first", 1)
    assert (cfg.failover, cfg.read_nodes, cfg.min_replicas, cfg.client_partitions) == (
        "promote_sync_standby", ("s1",), 1, True)


def test_docs_detail_tables_match_catalogue():
    text = DOC.read_text()
    section = text.split("## Details of real systems", 1)[1].split("\n## ", 1)[0]
    for table in (cat.ACK_POINTS, cat.VISIBILITY, cat.STANDBY_RULES):
        for word, meaning in table.items():
            assert f"| `{word}` | {meaning} |" in section
    for code in ("CAP212", "CAP309"):
        assert f"| {code} | {CODES[code]} |" in text
    for setting in ("synchronous_commit", "remote_apply", "synchronous_standby_names", "FIRST", "ANY",
                    "rpl_semi_sync_source_wait_point", "AFTER_SYNC", "AFTER_COMMIT", "rpl_semi_sync_source_timeout",
                    "WAIT", "min-replicas-to-write", "replica-serve-stale-data"):
        assert setting in section, setting


# ---------------------------------------------------------------- the parser tables' cache

def test_the_parser_tables_are_cached_in_the_users_folder_and_a_bad_cache_is_rebuilt(tmp_path, monkeypatch):
    from capmodel.syntax import parser

    monkeypatch.setenv("CAPMODEL_CACHE_DIR", str(tmp_path))
    text = (Path(__file__).resolve().parent.parent / "specs" / "async.cap").read_text()
    parser._lark.cache_clear()
    try:
        expected = parser.parse(text, "async.cap")
        (cached,) = tmp_path.glob("grammar-*.lark-cache")
        cached.write_bytes(b"not a pickle")  # truncated or foreign: Lark rebuilds the tables
        parser._lark.cache_clear()
        assert parser.parse(text, "async.cap") == expected
        monkeypatch.setenv("CAPMODEL_CACHE_DIR", "/proc/no-such-folder")  # no cache folder: built each time
        parser._lark.cache_clear()
        assert parser._tables_file("grammar") is None
        assert parser.parse(text, "async.cap") == expected
    finally:
        parser._lark.cache_clear()
