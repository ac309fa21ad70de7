"""ast.Spec (with its extends chain) -> SystemConfig.

`validate(chain)` merges the chain (base first, the file given last): every
statement the child states replaces the base's; invariants and reachable
conditions accumulate by name, the child's winning. It then fills the
defaults, resolves and checks every name and bound, type-checks the
expressions, and either returns a SystemConfig or raises one SpecError with
ALL the problems it found.
"""
from __future__ import annotations

import re
from typing import Sequence

from .. import catalogue as cat
from ..config import SystemConfig
from . import ast
from .diagnostics import Diagnostic, SpecError, did_you_mean, one_of
from .parser import keywords

DEFAULT_WRITES = 2
DEFAULT_READS = 1
DEFAULT_CLIENTS = 1
DEFAULT_REPLICATION = "async"
DEFAULT_READ_POLICY = "master_only"
DEFAULT_FAILOVER = "none"

_WRITE_OR_READ = re.compile(r"^[wr][0-9]+$")
_WHY_LIMIT = "to keep the state space small enough to explore exhaustively"


def reserved_names() -> frozenset[str]:
    """Words a node may not be called: keywords, globals, domains."""
    return keywords() | frozenset(cat.GLOBALS) | frozenset(cat.DOMAINS)


def _big(v: int) -> str:
    return str(v) if abs(v) < 10**12 else ("a very large number" if v > 0 else "a very negative number")


class _Validator:
    def __init__(self, chain: Sequence[ast.Spec]):
        self.chain = list(chain)
        self.top = self.chain[-1]
        self.diags: list[Diagnostic] = []

    def error(self, code: str, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, message, span, hint))

    def latest(self, attr: str):
        for spec in reversed(self.chain):
            value = getattr(spec, attr)
            if value is not None:
                return value
        return None

    # ------------------------------------------------------------ sections

    def run(self, file: str) -> SystemConfig:
        nodes = self.check_nodes()
        leader = self.check_leader(nodes)
        replication, acks, timeout = self.check_replication(nodes)
        reads = self.check_word("reads", cat.READ_POLICIES, DEFAULT_READ_POLICY, "CAP203", "read policy",
                                "read policies")
        failover, fencing = self.check_failover()
        crashes, recover, partitions = self.check_faults()
        writes, read_count, clients = self.check_workload()
        checks = self.check_checks()
        invariants, reachables = self.check_conditions(nodes, writes, read_count)
        if self.diags:
            raise SpecError(self.sorted_diags())
        return SystemConfig(
            name=self.top.name.text, file=file, nodes=tuple(nodes), leader=leader,
            replication=replication, acks_needed=acks, semi_sync_timeout=timeout, reads=reads,
            failover=failover, fencing=fencing, crashes=crashes, recover=recover, partitions=partitions,
            writes=writes, read_count=read_count, clients=clients, checks=tuple(checks),
            invariants=tuple(invariants), reachables=tuple(reachables))

    def sorted_diags(self) -> list[Diagnostic]:
        order = {spec.file: i for i, spec in enumerate(self.chain)}
        return sorted(self.diags, key=lambda d: (order.get(d.span.file, -1), d.span.line, d.span.column))

    def check_nodes(self) -> list[str]:
        names: list[ast.Name] | None = self.latest("nodes")
        if names is None:
            self.error("CAP301", f"system '{self.top.name.text}' has no `nodes` statement", self.top.name.span,
                       "list the nodes, the first one starting as master: `nodes master, slave1, slave2`")
            return []
        reserved = reserved_names()
        result: list[str] = []
        for n in names:
            if n.text in result:
                self.error("CAP209", f"node '{n.text}' is listed twice", n.span, "give every node its own name")
                continue
            if _WRITE_OR_READ.match(n.text):
                kind = "write" if n.text[0] == "w" else "read"
                self.error("CAP210", f"'{n.text}' cannot name a node: it is how expressions name a {kind}",
                           n.span, f"rename the node, e.g. 'node_{n.text}'")
            elif n.text in reserved:
                what = "a global of the expression language" if n.text in cat.GLOBALS else "a reserved word"
                self.error("CAP210", f"'{n.text}' cannot name a node: it is {what}", n.span,
                           f"rename the node, e.g. '{n.text}_node'")
            result.append(n.text)
        span = names[0].span
        if len(names) < 2:
            self.error("CAP304", f"a replicated system needs at least 2 nodes, this one has {len(names)}",
                       span, "add a follower: `nodes master, slave1`")
        if len(result) > cat.MAX_NODES:
            self.error("CAP303", f"{len(result)} nodes exceed the limit of {cat.MAX_NODES}", names[cat.MAX_NODES].span,
                       f"the limit is there {_WHY_LIMIT}; use at most {cat.MAX_NODES} nodes")
        return result

    def check_leader(self, nodes: list[str]) -> str:
        leader: ast.Name | None = self.latest("leader")
        if leader is None:
            return nodes[0] if nodes else ""
        if nodes and leader.text not in nodes:
            self.error("CAP201", f"unknown node '{leader.text}'", leader.span,
                       did_you_mean(leader.text, nodes) or f"the leader must be one of the nodes: {one_of(nodes)}")
        return leader.text

    def check_word(self, attr, table, default, code, what, plural) -> str:
        word: ast.Name | None = self.latest(attr)
        if word is None:
            return default
        if word.text not in table:
            self.error(code, f"unknown {what} '{word.text}'", word.span,
                       did_you_mean(word.text, table) or f"the {plural} are {one_of(table)}")
        return word.text

    def check_replication(self, nodes: list[str]) -> tuple[str, int, bool]:
        rep: ast.Replication | None = self.latest("replication")
        if rep is None:
            return DEFAULT_REPLICATION, 0, False
        mode = rep.mode.text
        followers = max(len(nodes) - 1, 0)
        if mode not in cat.REPLICATION_MODES:
            self.error("CAP202", f"unknown replication mode '{mode}'", rep.mode.span,
                       did_you_mean(mode, cat.REPLICATION_MODES)
                       or f"the modes are {one_of(cat.REPLICATION_MODES)}")
            return mode, 0, rep.timeout
        if mode != "semi_sync":
            if rep.acks is not None:
                self.error("CAP306", f"'replication {mode}' takes no number", rep.acks.span,
                           f"only semi_sync counts acks (`replication semi_sync 1`); remove '{_big(rep.acks.value)}'")
            if rep.timeout:
                self.error("CAP306", f"'timeout' applies only to semi_sync, not to '{mode}'", rep.span,
                           "write `replication semi_sync 1 timeout`, or remove 'timeout'")
            acks = {"async": 0, "sync": followers, "quorum": len(nodes) // 2}[mode]
            return mode, acks, False
        if rep.acks is None:
            self.error("CAP305", "semi_sync needs the number K of follower acks to wait for", rep.mode.span,
                       "write `replication semi_sync 1` (K between 1 and the number of followers)")
            return mode, 1, rep.timeout
        k = rep.acks.value
        if nodes and not 1 <= k <= followers:
            self.error("CAP305", f"semi_sync {_big(k)} is out of range: K must be between 1 and {followers} "
                       f"(the number of followers)", rep.acks.span,
                       f"with {len(nodes)} nodes write `semi_sync 1` .. `semi_sync {followers}`"
                       if followers >= 1 else "add followers to the nodes")
        return mode, k, rep.timeout

    def check_failover(self) -> tuple[str, bool]:
        fo: ast.Failover | None = self.latest("failover")
        if fo is None:
            return DEFAULT_FAILOVER, False
        strategy = fo.strategy.text
        if strategy not in cat.FAILOVER_STRATEGIES:
            self.error("CAP204", f"unknown failover strategy '{strategy}'", fo.strategy.span,
                       did_you_mean(strategy, cat.FAILOVER_STRATEGIES)
                       or f"the strategies are {one_of(cat.FAILOVER_STRATEGIES)}")
        elif strategy == "none" and fo.fencing:
            self.error("CAP307", "'fencing' with failover none: there is no failover, so nothing to fence",
                       fo.span, "remove 'fencing', or choose `failover promote_any fencing`")
        return strategy, fo.fencing

    def bound(self, num: ast.Number | None, what: str, default: int, limit: int, minimum: int = 0) -> int:
        if num is None:
            return default
        v = num.value
        if v < 0:
            self.error("CAP302", f"{what} cannot be negative (got {_big(v)})", num.span,
                       "bounds cannot be negative: use 0 for none" if minimum == 0
                       else f"use at least {minimum}")
            return default
        if v < minimum:
            self.error("CAP308", f"{what} must be at least {minimum} (got {v})", num.span,
                       f"write `{what} {minimum}` or more")
            return default
        if v > limit:
            self.error("CAP303", f"{what} {_big(v)} exceeds the limit of {limit}", num.span,
                       f"the limit is there {_WHY_LIMIT}; use at most {limit}")
            return default
        return v

    def check_faults(self) -> tuple[int, bool, int]:
        f: ast.Faults | None = self.latest("faults")
        if f is None:
            return 0, False, 0
        crashes = self.bound(f.crashes, "crashes", 0, cat.MAX_FAULTS)
        partitions = self.bound(f.partitions, "partitions", 0, cat.MAX_FAULTS)
        return crashes, f.recover, partitions

    def check_workload(self) -> tuple[int, int, int]:
        w: ast.Workload | None = self.latest("workload")
        if w is None:
            return DEFAULT_WRITES, DEFAULT_READS, DEFAULT_CLIENTS
        writes = self.bound(w.writes, "writes", DEFAULT_WRITES, cat.MAX_WRITES, minimum=1)
        reads = self.bound(w.reads, "reads", DEFAULT_READS, cat.MAX_READS)
        clients = self.bound(w.clients, "clients", DEFAULT_CLIENTS, cat.MAX_CLIENTS, minimum=1)
        return writes, reads, clients

    def check_checks(self) -> list[str]:
        names: list[ast.Name] | None = self.latest("checks")
        if names is None:
            return list(cat.PROPERTIES)
        result: list[str] = []
        for n in names:
            if n.text not in cat.PROPERTIES:
                self.error("CAP205", f"unknown property '{n.text}'", n.span,
                           did_you_mean(n.text, cat.PROPERTIES)
                           or "`capmodel properties` lists them; write your own with `invariant NAME: ...`")
            elif n.text in result:
                self.error("CAP211", f"property '{n.text}' is listed twice", n.span, "list it once")
            else:
                result.append(n.text)
        return result

    # ------------------------------------------------------------ conditions

    def check_conditions(self, nodes, writes, reads):
        invariants: dict[str, ast.NamedCondition] = {}
        reachables: dict[str, ast.NamedCondition] = {}
        for spec in self.chain:  # base first: the child's condition of the same name wins
            for c in spec.invariants:
                invariants[c.name.text] = c
            for c in spec.reachables:
                reachables[c.name.text] = c
        for name in invariants.keys() & reachables.keys():
            c = reachables[name]
            self.error("CAP211", f"'{name}' names both an invariant and a reachable condition", c.name.span,
                       "give each condition its own name")
        for c in [*invariants.values(), *reachables.values()]:
            if c.name.text in cat.PROPERTIES:
                self.error("CAP211", f"'{c.name.text}' is the name of a built-in property", c.name.span,
                           "give your condition another name (built-in properties are chosen with `check`)")
        if nodes:  # without nodes every node name would be "unknown": skip, CAP301 says enough
            checker = _TypeChecker(self, nodes, writes, reads)
            for kind, table in (("invariant", invariants), ("reachable", reachables)):
                for c in table.values():
                    t = checker.check(c.expr, ())
                    if t not in ("bool", "error"):
                        hint = ("compare the count, e.g. `(count n in nodes: n.is_master) <= 1`"
                                if isinstance(c.expr, ast.Quantifier) and c.expr.kind == "count"
                                else "write a condition (true or false), e.g. a comparison")
                        self.error("CAP402", f"the body of {kind} '{c.name.text}' is {_a(t)}, not a condition",
                                   c.expr.span, hint)
        return list(invariants.values()), list(reachables.values())


def _a(t: str) -> str:
    return {"int": "a number (int)", "bool": "a condition (bool)", "node": "a node", "write": "a write",
            "read": "a read"}.get(t, t)


class _TypeChecker:
    """Resolves identifiers and computes types; reports with 'error' as a poison type
    so that one mistake gives one diagnostic."""

    def __init__(self, v: _Validator, nodes: list[str], writes: int, reads: int):
        self.v = v
        self.nodes = set(nodes)
        self.writes = writes
        self.reads = reads
        self.fixed: dict[str, str] = {n: "node" for n in nodes}
        self.fixed.update({f"w{i}": "write" for i in range(1, writes + 1)})
        self.fixed.update({f"r{i}": "read" for i in range(1, reads + 1)})
        self.fixed.update({g: t for g, (t, _) in cat.GLOBALS.items()})

    def check(self, e: ast.Expr, scope: tuple[tuple[str, str], ...], in_count: bool = False) -> str:
        if isinstance(e, ast.IntLit):
            return "int"
        if isinstance(e, ast.BoolLit):
            return "bool"
        if isinstance(e, ast.Ident):
            return self.ident(e, scope)
        if isinstance(e, ast.Attr):
            return self.attr(e, scope, in_count)
        if isinstance(e, ast.Unary):
            t = self.check(e.operand, scope, in_count)
            want = "bool" if e.op == "not" else "int"
            if t not in (want, "error"):
                self.v.error("CAP401", f"'{e.op}' needs {_a(want)}, but its operand is {_a(t)}", e.operand.span)
            return want
        if isinstance(e, ast.Binary):
            return self.binary(e, scope, in_count)
        if isinstance(e, ast.Quantifier):
            return self.quantifier(e, scope)
        raise TypeError(f"not an expression: {e!r}")

    def ident(self, e: ast.Ident, scope) -> str:
        for name, t in reversed(scope):
            if name == e.name:
                return t
        if e.name in self.fixed:
            return self.fixed[e.name]
        visible = [n for n, _ in scope] + list(self.fixed)
        m = _WRITE_OR_READ.match(e.name)
        if m:
            kind, count = ("write", self.writes) if e.name[0] == "w" else ("read", self.reads)
            letter = e.name[0]
            names = f"{letter}1" if count == 1 else f"{letter}1..{letter}{count}"
            hint = (f"the workload has {count} {kind}{'s' if count > 1 else ''} ({names}); "
                    f"raise it with `workload {{ {kind}s N }}`" if count else f"the workload has no {kind}s")
        elif e.name in cat.DOMAINS:
            hint = f"'{e.name}' is only used after `in` in a quantifier, e.g. `forall x in {e.name}: ...`"
        else:
            hint = did_you_mean(e.name, visible) or (
                "a name is a quantifier variable, a node, a write w1.., a read r1.., or one of "
                + one_of(cat.GLOBALS))
        self.v.error("CAP206", f"unknown name '{e.name}'", e.span, hint)
        return "error"

    def attr(self, e: ast.Attr, scope, in_count: bool) -> str:
        base = self.check(e.base, scope, in_count)
        arg_t = self.check(e.arg, scope, in_count) if e.arg is not None else None
        if base == "error":
            return "error"
        name = e.attr.text
        table = cat.ATTRIBUTES.get(base)
        if table is None:
            self.v.error("CAP405", f"{_a(base)} has no attributes ('.{name}')", e.attr.span,
                         "attributes belong to nodes, writes and reads, e.g. `n.up`, `w1.acked`, `r1.ok`")
            return "error"
        if name not in table:
            owners = [t for t, attrs in cat.ATTRIBUTES.items() if name in attrs]
            hint = did_you_mean(name, table)
            if hint is None and owners:
                hint = f"'{name}' is an attribute of {' and '.join(o + 's' for o in owners)}, not of {base}s"
            if hint is None:
                hint = f"the attributes of a {base} are {one_of(table)}"
            self.v.error("CAP207", f"{_a(base)} has no attribute '{name}'", e.attr.span, hint)
            return "error"
        want_arg, result, _ = table[name]
        if want_arg is None and e.arg is not None:
            self.v.error("CAP403", f"'{name}' takes no argument", e.arg.span, f"write `.{name}` alone")
        elif want_arg is not None and e.arg is None:
            example = {"write": "w1", "node": next(iter(sorted(self.nodes)), "a"), "read": "r1"}[want_arg]
            self.v.error("CAP403", f"'{name}' needs {_a(want_arg)} as argument", e.span,
                         f"write `.{name}({example})`")
        elif want_arg is not None and arg_t not in (want_arg, "error"):
            self.v.error("CAP403", f"'{name}' needs {_a(want_arg)} as argument, not {_a(arg_t)}", e.arg.span)
        return result

    def binary(self, e: ast.Binary, scope, in_count: bool) -> str:
        lt = self.check(e.left, scope, in_count)
        rt = self.check(e.right, scope, in_count)
        if e.op in ("and", "or", "implies"):
            want, result = "bool", "bool"
        elif e.op in ("+", "-"):
            want, result = "int", "int"
        elif e.op in ("<", "<=", ">", ">="):
            want, result = "int", "bool"
        else:  # == !=
            if "error" not in (lt, rt) and lt != rt:
                self.v.error("CAP404", f"'{e.op}' compares {_a(lt)} with {_a(rt)}", e.span,
                             "both sides of '==' / '!=' must have the same type")
            return "bool"
        for side, t, sub in (("left", lt, e.left), ("right", rt, e.right)):
            if t not in (want, "error"):
                hint = None
                if in_count and want == "int":
                    hint = ("a quantifier's body extends as far right as possible; to compare a count, "
                            "parenthesize it: `(count n in nodes: ...) <= 1`")
                self.v.error("CAP401", f"'{e.op}' needs {_a(want)} on both sides, but the {side} side is {_a(t)}",
                             sub.span, hint)
        return result

    def quantifier(self, e: ast.Quantifier, scope) -> str:
        domain = e.domain.text
        elem = cat.DOMAINS.get(domain)
        if elem is None:
            self.v.error("CAP208", f"cannot range over '{domain}'", e.domain.span,
                         did_you_mean(domain, cat.DOMAINS) or f"a quantifier ranges over {one_of(cat.DOMAINS)}")
            elem = "error"
        body = self.check(e.body, (*scope, (e.var.text, elem)), in_count=(e.kind == "count"))
        if body not in ("bool", "error"):
            self.v.error("CAP401", f"the body of '{e.kind}' must be a condition, but it is {_a(body)}", e.body.span)
        return "int" if e.kind == "count" else "bool"


def validate(chain: ast.Spec | Sequence[ast.Spec], file: str | None = None,
             sources: dict[str, str] | None = None) -> SystemConfig:
    """Merge and check a spec chain (base first, the given file last).

    `file` is recorded in SystemConfig.file (default: the last spec's file);
    `sources` (file -> text) is attached to a SpecError for excerpts.
    Raises SpecError listing every problem found."""
    specs = [chain] if isinstance(chain, ast.Spec) else list(chain)
    if not specs:
        raise ValueError("validate() needs at least one spec")
    if specs[0].extends is not None and len(specs) == 1:
        path, span = specs[0].extends
        raise SpecError([Diagnostic("CAP009", f"the spec extends \"{path}\", which was not loaded", span,
                                    "load the spec with capmodel.syntax.load.load_spec to resolve `extends`")],
                        sources)
    v = _Validator(specs)
    try:
        return v.run(file if file is not None else specs[-1].file)
    except SpecError as e:
        e.sources.update(sources or {})
        raise
