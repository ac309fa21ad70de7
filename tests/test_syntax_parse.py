"""The parser builds the right AST (with spans); validation fills defaults and resolves extends."""
from __future__ import annotations

from pathlib import Path

import pytest

from capmodel import catalogue as cat
from capmodel.syntax import ast
from capmodel.syntax.load import load_ast, load_chain, load_spec, load_text
from capmodel.syntax.parser import parse

DATA = Path(__file__).parent / "data" / "syntax"


def at(node, line: int, col: int, end_col: int | None = None) -> None:
    assert (node.span.line, node.span.column) == (line, col), node.span
    if end_col is not None:
        assert node.span.end_column == end_col, node.span


# ---------------------------------------------------------------- a full spec


def test_full_spec_every_field_lands_in_the_ast():
    path = str(DATA / "full.cap")
    spec = load_ast(path)
    assert spec.file == path
    assert spec.name.text == "async_replication"
    at(spec.name, 2, 8, 25)
    assert spec.extends is None
    assert [n.text for n in spec.nodes] == ["master", "slave1", "slave2"]
    at(spec.nodes[0], 3, 9, 15)
    at(spec.nodes[1], 3, 17, 23)
    assert spec.leader.text == "master"
    at(spec.leader, 4, 10, 16)
    rep = spec.replication
    assert (rep.mode.text, rep.acks.value, rep.timeout) == ("semi_sync", 1, True)
    at(rep, 5, 3)
    at(rep.acks, 5, 25, 26)
    assert spec.reads.text == "any_node"
    assert (spec.failover.strategy.text, spec.failover.fencing) == ("promote_any", True)
    f = spec.faults
    assert (f.crashes.value, f.recover, f.partitions.value) == (1, True, 1)
    at(f, 8, 3)
    at(f.partitions, 8, 42, 43)
    w = spec.workload
    assert (w.writes.value, w.reads.value, w.clients.value) == (2, 1, 1)
    assert [c.text for c in spec.checks] == ["no_acked_write_lost", "no_stale_read", "write_availability"]
    at(spec.checks[2], 10, 45, 63)
    [inv] = spec.invariants
    assert inv.name.text == "one_master"
    at(inv, 11, 3)
    assert isinstance(inv.expr, ast.Binary) and inv.expr.op == "<="
    # the parenthesized count: its span includes the parentheses
    at(inv.expr.left, 11, 25)
    assert isinstance(inv.expr.left, ast.Quantifier) and inv.expr.left.kind == "count"
    [rch] = spec.reachables
    assert rch.name.text == "slave_serves_read"
    q = rch.expr
    assert isinstance(q, ast.Quantifier)
    assert (q.kind, q.var.text, q.domain.text) == ("exists", "r", "reads")
    assert q.body.op == "and" and q.body.right.op == "!="
    assert q.body.right.right == ast.Ident("primary", ast.Span(path, 12, 70, 12, 77))


def test_full_spec_validates_to_config():
    path = str(DATA / "full.cap")
    cfg = load_spec(path)
    assert cfg.name == "async_replication" and cfg.file == path
    assert cfg.nodes == ("master", "slave1", "slave2")
    assert cfg.leader == "master"
    assert (cfg.replication, cfg.acks_needed, cfg.semi_sync_timeout) == ("semi_sync", 1, True)
    assert cfg.reads == "any_node"
    assert (cfg.failover, cfg.fencing) == ("promote_any", True)
    assert (cfg.crashes, cfg.recover, cfg.partitions) == (1, True, 1)
    assert (cfg.writes, cfg.read_count, cfg.clients) == (2, 1, 1)
    assert cfg.checks == ("no_acked_write_lost", "no_stale_read", "write_availability")
    assert [c.name.text for c in cfg.invariants] == ["one_master"]
    assert [c.name.text for c in cfg.reachables] == ["slave_serves_read"]


def test_defaults_are_filled():
    cfg = load_spec(str(DATA / "minimal.cap"))
    assert cfg.leader == "a"
    assert (cfg.replication, cfg.acks_needed, cfg.semi_sync_timeout) == ("async", 0, False)
    assert cfg.reads == "master_only"
    assert (cfg.failover, cfg.fencing) == ("none", False)
    assert (cfg.crashes, cfg.recover, cfg.partitions) == (0, False, 0)
    assert (cfg.writes, cfg.read_count, cfg.clients) == (2, 1, 1)
    assert cfg.checks == tuple(cat.PROPERTIES)
    assert cfg.invariants == () and cfg.reachables == ()


@pytest.mark.parametrize(
    "nodes, mode, acks",
    [
        (3, "async", 0),
        (3, "sync", 2),
        (2, "sync", 1),
        (3, "quorum", 1),  # master + 1 = 2 of 3
        (4, "quorum", 2),  # master + 2 = 3 of 4
        (5, "quorum", 2),  # master + 2 = 3 of 5
        (4, "semi_sync 3", 3),
    ],
)
def test_acks_needed(nodes, mode, acks):
    names = ", ".join(f"n{i}" for i in range(nodes))
    cfg = load_text(f"system s {{ nodes {names}\n replication {mode} }}")
    assert cfg.acks_needed == acks


def test_statements_in_any_order_and_comments():
    cfg = load_text(
        "# header\nsystem s {  # trailing\n  reads cp\n  leader b\n  nodes a, b  # the nodes\n"
        "  workload { clients 2 writes 3 }\n}\n# footer"
    )
    assert (cfg.reads, cfg.leader, cfg.nodes, cfg.writes, cfg.clients, cfg.read_count) == (
        "cp", "b", ("a", "b"), 3, 2, 1)


# ---------------------------------------------------------------- extends


def test_extends_overrides_sections_and_accumulates_conditions():
    child = str(DATA / "sub" / "child.cap")
    chain = load_chain(child)
    assert [s.name.text for s in chain] == ["base", "child"]
    cfg = load_spec(child)
    assert cfg.name == "child" and cfg.file == child
    assert cfg.nodes == ("master", "slave1", "slave2")  # inherited
    assert cfg.reads == "cp"  # inherited
    assert (cfg.replication, cfg.acks_needed, cfg.semi_sync_timeout) == ("semi_sync", 1, True)  # overridden
    # the child's faults section replaces the base's as a whole: partitions back to the default
    assert (cfg.crashes, cfg.partitions) == (2, 0)
    assert [c.name.text for c in cfg.invariants] == ["held", "replaced", "added"]
    held, replaced, added = cfg.invariants
    assert held.span.file.endswith("base.cap")
    assert replaced.span.file == child  # child wins
    assert replaced.expr.right.base.name == "slave1"
    assert [c.name.text for c in cfg.reachables] == ["some_read"]


def test_extends_from_text_is_relative_to_the_given_file():
    cfg = load_text('system t extends "base.cap" { reads ap }', str(DATA / "virtual.cap"))
    assert (cfg.reads, cfg.replication, cfg.acks_needed) == ("ap", "semi_sync", 2)


# ---------------------------------------------------------------- expressions


def expr(src: str) -> ast.Expr:
    return parse(f"system s {{ invariant x: {src} }}", "e.cap").invariants[0].expr


def shape(e) -> object:
    """A compact structural view of an expression."""
    if isinstance(e, ast.Ident):
        return e.name
    if isinstance(e, ast.IntLit):
        return e.value
    if isinstance(e, ast.BoolLit):
        return e.value
    if isinstance(e, ast.Binary):
        return (e.op, shape(e.left), shape(e.right))
    if isinstance(e, ast.Unary):
        return (e.op, shape(e.operand))
    if isinstance(e, ast.Attr):
        return (".", shape(e.base), e.attr.text) + tuple(shape(a) for a in e.args)
    if isinstance(e, ast.Quantifier):
        return (e.kind, e.var.text, e.domain.text, shape(e.body))
    raise AssertionError(e)


@pytest.mark.parametrize(
    "src, expected",
    [
        ("a implies b or c", ("implies", "a", ("or", "b", "c"))),
        ("a implies b implies c", ("implies", "a", ("implies", "b", "c"))),  # right-assoc
        ("a or b and c", ("or", "a", ("and", "b", "c"))),
        ("a and b and c", ("and", ("and", "a", "b"), "c")),  # left-assoc
        ("not a and b", ("and", ("not", "a"), "b")),
        ("not a == b", ("not", ("==", "a", "b"))),
        ("a + 1 < b - 2", ("<", ("+", "a", 1), ("-", "b", 2))),
        ("-x.length + 1 >= 0", (">=", ("+", ("-", (".", "x", "length")), 1), 0)),
        ("a - b - c == 0", ("==", ("-", ("-", "a", "b"), "c"), 0)),
        ("r.node.up", (".", (".", "r", "node"), "up")),
        ("n.has(w1) and true", ("and", (".", "n", "has", "w1"), True)),
        ("(a or b) and c", ("and", ("or", "a", "b"), "c")),
        ("crashes <= partitions", ("<=", "crashes", "partitions")),
    ],
)
def test_precedence(src, expected):
    assert shape(expr(src)) == expected


def test_quantifier_body_extends_as_far_right_as_possible():
    assert shape(expr("forall n in nodes: n.up and n.is_master or false")) == (
        "forall", "n", "nodes", ("or", ("and", (".", "n", "up"), (".", "n", "is_master")), False))
    assert shape(expr("a and exists w in writes: w.acked implies b")) == (
        "and", "a", ("exists", "w", "writes", ("implies", (".", "w", "acked"), "b")))
    assert shape(expr("(count r in reads: r.ok) >= 1 and c")) == (
        "and", (">=", ("count", "r", "reads", (".", "r", "ok")), 1), "c")
    # nested quantifiers
    assert shape(expr("forall n in nodes: exists w in writes: n.has(w)")) == (
        "forall", "n", "nodes", ("exists", "w", "writes", (".", "n", "has", "w")))


def test_expression_spans():
    e = expr("a implies b or c")
    # 'system s { invariant x: ' is 24 characters: the expression starts at column 25
    at(e, 1, 25, 41)
    at(e.right, 1, 35, 41)
    at(e.right.right, 1, 40, 41)


def test_keywords_of_statements_are_names_inside_expressions():
    # `crashes`, `partitions` are globals in expressions; `nodes`/`reads` are domains
    e = expr("count r in reads: crashes > r.seen")
    assert shape(e) == ("count", "r", "reads", (">", "crashes", (".", "r", "seen")))


def test_typechecked_conditions_are_kept_as_ast():
    cfg = load_text(
        "system s { nodes a, b\n workload { writes 3 reads 2 }\n"
        "invariant i: forall n in nodes: n.has(w3) implies n.length >= 1\n"
        "reachable r: r2.saw(w1) and r2.node == b and primary != a and term == 1 and partitioned }")
    assert isinstance(cfg.invariants[0].expr, ast.Quantifier)
    assert cfg.reachables[0].name.text == "r"


def test_quantifier_variable_shadows_node_name():
    cfg = load_text("system s { nodes a, b\n invariant i: forall a in writes: a.acked or not a.acked }")
    assert cfg.invariants[0].expr.var.text == "a"


# ---------------------------------------------------------------- docs


DOC = Path(__file__).parent.parent / "docs" / "language.md"


def test_docs_example_is_a_valid_spec():
    text = DOC.read_text()
    example = text.split("```\n", 2)[1]  # the first code block: the complete example
    cfg = load_text(example, "example.cap")
    assert cfg.name == "async_replication" and cfg.checks == (
        "no_acked_write_lost", "no_stale_read", "write_availability")


def test_docs_tables_match_catalogue_and_error_codes():
    from capmodel.syntax.diagnostics import CODES

    text = DOC.read_text()
    for g, (t, meaning) in cat.GLOBALS.items():
        assert f"| `{g}` | {t} | {meaning} |" in text
    for attrs in cat.ATTRIBUTES.values():
        for a, (arg, result, meaning) in attrs.items():
            assert f"| `{a}` | {arg or '-'} | {result} | {meaning} |" in text
    for table in (cat.REPLICATION_MODES, cat.READ_POLICIES, cat.FAILOVER_STRATEGIES, cat.PROPERTIES,
                  cat.ACK_POINTS, cat.VISIBILITY, cat.STANDBY_RULES):
        for word, meaning in table.items():
            assert f"| `{word}` | {meaning} |" in text
    for code, title in CODES.items():
        assert f"| {code} | {title} |" in text
