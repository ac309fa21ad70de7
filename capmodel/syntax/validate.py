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
from .parse_cache import keywords

DEFAULT_WRITES = 2
DEFAULT_READS = 1
DEFAULT_CLIENTS = 1
DEFAULT_REPLICATION = "async"
DEFAULT_READ_POLICY = "master_only"
DEFAULT_FAILOVER = "none"
DEFAULT_ACK_AFTER = "received"
DEFAULT_VISIBILITY = "after_commit"
DEFAULT_STANDBY_RULE = "any"
_WAITING_MODES = ("sync", "semi_sync", "quorum")  # the modes whose master waits for follower acks

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
        spec = self.latest_spec(attr)
        return getattr(spec, attr) if spec is not None else None

    def latest_spec(self, attr: str) -> ast.Spec | None:
        """The spec (child first) whose statement `attr` counts, or None."""
        for spec in reversed(self.chain):
            if getattr(spec, attr) is not None:
                return spec
        return None

    def statement_span(self, attr: str) -> ast.Span:
        """The span of the whole statement `attr` where it counts (it must exist)."""
        spec = self.latest_spec(attr)
        assert spec is not None
        return spec.spans.get(attr) or spec.span

    # ------------------------------------------------------------ sections

    def run(self, file: str) -> SystemConfig:
        nodes = self.check_nodes()
        leader = self.check_leader(nodes)
        standbys = self.check_standbys(nodes, leader)
        replication, acks, timeout, wait = self.check_replication(nodes, standbys)
        reads, read_nodes = self.check_reads(nodes)
        failover, fencing, live_majority = self.check_failover(nodes, leader, standbys)
        ack_after = self.check_detail_word("ack_after", cat.ACK_POINTS, DEFAULT_ACK_AFTER, "ack point",
                                           "ack points")
        visibility = self.check_detail_word("visibility", cat.VISIBILITY, DEFAULT_VISIBILITY, "visibility",
                                            "visibilities")
        self.check_async_details(replication)
        min_replicas = self.check_min_replicas(nodes)
        crashes, recover, partitions, client_partitions = self.check_faults()
        writes, read_count, clients = self.check_workload()
        client_sides = self.check_place(nodes, clients, partitions)
        leaderless = self.check_leaderless(nodes, replication, partitions)
        read_concern = self.check_read_concern(replication, reads)
        checks = self.check_checks(replication == "leaderless")
        invariants, reachables, lemmas = self.check_conditions(nodes, writes, read_count)
        if self.diags:
            raise SpecError(self.sorted_diags())
        return SystemConfig(
            name=self.top.name.text, file=file, nodes=tuple(nodes), leader=leader,
            replication=replication, acks_needed=acks, semi_sync_timeout=timeout, reads=reads,
            failover=failover, fencing=fencing, crashes=crashes, recover=recover, partitions=partitions,
            writes=writes, read_count=read_count, clients=clients, checks=tuple(checks),
            invariants=tuple(invariants), reachables=tuple(reachables), lemmas=tuple(lemmas),
            ack_after=ack_after, visibility=visibility,
            standbys=tuple(n.text for n in standbys.nodes) if standbys else (),
            standby_rule=standbys.rule.text if standbys else DEFAULT_STANDBY_RULE,
            client_wait=wait, min_replicas=min_replicas, read_nodes=tuple(read_nodes),
            client_partitions=client_partitions, client_sides=client_sides, live_majority=live_majority,
            read_concern=read_concern, **leaderless)

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
        return self.check_word_in(word, table, code, what, plural)

    def check_word_in(self, word: ast.Name, table, code, what, plural) -> str:
        if word.text not in table:
            hint = (f"write it in lower case: '{word.text.lower()}'" if word.text.lower() in table
                    else did_you_mean(word.text, table) or f"the {plural} are {one_of(table)}")
            self.error(code, f"unknown {what} '{word.text}'", word.span, hint)
        return word.text

    def check_detail_word(self, attr, table, default, what, plural) -> str:
        return self.check_word(attr, table, default, "CAP212", what, plural)

    def check_replication(self, nodes: list[str], standbys: ast.Standbys | None) -> tuple[str, int, bool, bool]:
        """(mode, acks needed, timeout, wait)."""
        rep: ast.Replication | None = self.latest("replication")
        if rep is None:
            return DEFAULT_REPLICATION, 0, False, False
        mode = rep.mode.text
        followers = max(len(nodes) - 1, 0)
        if mode not in cat.REPLICATION_MODES:
            self.error("CAP202", f"unknown replication mode '{mode}'", rep.mode.span,
                       did_you_mean(mode, cat.REPLICATION_MODES)
                       or f"the modes are {one_of(cat.REPLICATION_MODES)}")
            return mode, 0, rep.timeout, rep.wait
        timeout, wait = self.check_ack_wait_end(mode, rep)
        if mode != "semi_sync":
            if rep.acks is not None:
                self.error("CAP306", f"'replication {mode}' takes no number", rep.acks.span,
                           f"only semi_sync counts acks (`replication semi_sync 1`); remove '{_big(rep.acks.value)}'")
            acks = cat.derived_acks(mode, len(nodes))
            if standbys is not None and mode not in ("async", "leaderless"):
                acks = standbys.count.value
            return mode, acks, timeout, wait
        if standbys is not None:
            # the standbys statement says how many acks count: a K here would say it twice
            if rep.acks is not None:
                self.error("CAP306", "with `standbys`, 'replication semi_sync' takes no number", rep.acks.span,
                           f"the number of acks is the K of `standbys {standbys.rule.text} "
                           f"{_big(standbys.count.value)} (...)`; write `replication semi_sync`")
            return mode, standbys.count.value, timeout, wait
        if rep.acks is None:
            self.error("CAP305", "semi_sync needs the number K of follower acks to wait for", rep.mode.span,
                       "write `replication semi_sync 1` (K between 1 and the number of followers), "
                       "or name the standbys: `standbys first 1 (...)`")
            return mode, 1, timeout, wait
        k = rep.acks.value
        if nodes and not 1 <= k <= followers:
            self.error("CAP305", f"semi_sync {_big(k)} is out of range: K must be between 1 and {followers} "
                       f"(the number of followers)", rep.acks.span,
                       f"with {len(nodes)} nodes write `semi_sync 1` .. `semi_sync {followers}`"
                       if followers >= 1 else "add followers to the nodes")
        return mode, k, timeout, wait

    def check_ack_wait_end(self, mode: str, rep: ast.Replication) -> tuple[bool, bool]:
        """`timeout` / `wait` after the mode: how a wait for acks can end without them."""
        seen: dict[str, ast.Name] = {}
        for word in rep.endings:
            w = word.text
            if w in seen:
                self.error("CAP107", f"'{w}' is given twice", word.span, f"write '{w}' once")
                continue
            if mode not in _WAITING_MODES:
                self.error("CAP306", f"'{w}' applies only to {one_of(_WAITING_MODES)}, not to '{mode}'",
                           word.span, f"{mode} does not wait for acks; remove '{w}' "
                           f"(or write `replication semi_sync 1 {w}`)")
            elif seen:
                self.error("CAP306", "'timeout' and 'wait' exclude each other", word.span,
                           "keep one: `timeout` falls back to async and answers OK (MySQL "
                           "rpl_semi_sync_source_timeout); `wait` answers an error and keeps the write (Redis WAIT)")
            seen[w] = word
        ok = mode in _WAITING_MODES and len(seen) == 1
        return ok and "timeout" in seen, ok and "wait" in seen

    def check_standbys(self, nodes: list[str], leader: str) -> ast.Standbys | None:
        sb: ast.Standbys | None = self.latest("standbys")
        if sb is None:
            return None
        self.check_word_in(sb.rule, cat.STANDBY_RULES, "CAP212", "standby rule", "standby rules")
        seen: list[str] = []
        followers = [n for n in nodes if n != leader]
        for n in sb.nodes:
            if n.text in seen:
                self.error("CAP209", f"standby '{n.text}' is listed twice", n.span, "list each standby once")
                continue
            seen.append(n.text)
            if not nodes:
                continue
            if n.text not in nodes:
                self.error("CAP201", f"unknown node '{n.text}'", n.span,
                           did_you_mean(n.text, followers) or did_you_mean(n.text, nodes)
                           or f"the standbys are followers: {one_of(followers)}")
            elif n.text == leader:
                self.error("CAP306", f"'{n.text}' is the leader: it cannot be its own standby", n.span,
                           f"list followers only: {one_of(followers)}")
        k = sb.count.value
        if not 1 <= k <= len(sb.nodes):
            listed = len(sb.nodes)
            self.error("CAP305", f"standbys {sb.rule.text} {_big(k)} is out of range: K must be between 1 and "
                       f"{listed} (the number of standbys listed)", sb.count.span,
                       f"write `standbys {sb.rule.text} 1 (...)`" if listed == 1 else
                       f"with {listed} standbys listed write `standbys {sb.rule.text} 1 (...)` .. "
                       f"`standbys {sb.rule.text} {listed} (...)`")
        return sb

    def check_async_details(self, mode: str) -> None:
        """ack_after, visibility and standbys describe the wait for acks: async has none."""
        if mode != "async":
            return
        said = "`replication async`" if self.latest("replication") is not None else "async (the default)"
        for attr in ("ack_after", "visibility", "standbys"):
            if self.latest(attr) is None:
                continue
            self.error("CAP309", f"'{attr}' needs sync, semi_sync or quorum replication, but this spec "
                       f"replicates {said}", self.statement_span(attr),
                       f"async does not wait for acks; remove '{attr}', or choose e.g. `replication semi_sync 1`"
                       if attr != "standbys" else
                       f"async does not wait for acks; remove '{attr}', or choose `replication sync`")

    def check_reads(self, nodes: list[str]) -> tuple[str, list[str]]:
        reads = self.check_word("reads", cat.READ_POLICIES, DEFAULT_READ_POLICY, "CAP203", "read policy",
                                "read policies")
        spec = self.latest_spec("reads")
        names: list[ast.Name] = (spec.read_from or []) if spec is not None else []
        result: list[str] = []
        for n in names:
            if n.text in result:
                self.error("CAP209", f"node '{n.text}' is listed twice after 'from'", n.span, "list each node once")
                continue
            if nodes and n.text not in nodes:
                self.error("CAP201", f"unknown node '{n.text}'", n.span,
                           did_you_mean(n.text, nodes) or f"reads go to nodes: {one_of(nodes)}")
            result.append(n.text)
        return reads, result

    def check_min_replicas(self, nodes: list[str]) -> int:
        num: ast.Number | None = self.latest("min_replicas")
        if num is None:
            return 0
        v = num.value
        followers = max(len(nodes) - 1, 0)
        if v < 0:
            self.error("CAP302", f"min_replicas cannot be negative (got {_big(v)})", num.span,
                       "use 0 for no minimum")
            return 0
        if nodes and v > followers:
            self.error("CAP305", f"min_replicas {_big(v)} is out of range: it must be between 0 and {followers} "
                       "(the number of followers)", num.span,
                       f"with {len(nodes)} nodes a master has at most {followers} replica(s); "
                       f"write `min_replicas {min(1, followers)}` .. `min_replicas {followers}`")
            return 0
        return v

    def check_failover(self, nodes: list[str], leader: str,
                       standbys: ast.Standbys | None) -> tuple[str, bool, bool]:
        fo: ast.Failover | None = self.latest("failover")
        if fo is None:
            return DEFAULT_FAILOVER, False, False
        strategy = fo.strategy.text
        if strategy not in cat.FAILOVER_STRATEGIES:
            self.error("CAP204", f"unknown failover strategy '{strategy}'", fo.strategy.span,
                       did_you_mean(strategy, cat.FAILOVER_STRATEGIES)
                       or f"the strategies are {one_of(cat.FAILOVER_STRATEGIES)}")
        elif strategy == "promote_sync_standby" and standbys is None:
            example = next((n for n in nodes if n != leader), "s1")
            self.error("CAP309", "promote_sync_standby needs a `standbys` statement: it promotes only a "
                       "synchronous standby", fo.strategy.span,
                       f"name the synchronous standbys, e.g. `standbys first 1 ({example})`, "
                       "or choose `failover promote_most_up_to_date`")
        elif strategy == "none" and fo.fencing:
            self.error("CAP307", "'fencing' with failover none: there is no failover, so nothing to fence",
                       fo.span, "remove 'fencing', or choose `failover promote_any fencing`")
        elif fo.live_majority and strategy in ("none", "elect"):
            self.error("CAP309", f"'live_majority' with failover {strategy}: "
                       + ("there is no failover manager to weaken" if strategy == "none" else
                          "an election always needs the votes of a majority of all nodes"),
                       fo.span, "remove 'live_majority'; it weakens a failover manager such as "
                       "`failover promote_any live_majority`")
        return strategy, fo.fencing, fo.live_majority

    def check_place(self, nodes: list[str], clients: int, partitions: int) -> tuple[str, ...]:
        """`place client2 with s2`: per client, the node whose side of every split it is on."""
        pairs: list[tuple[ast.Name, ast.Name]] | None = self.latest("place")
        sides = [""] * clients
        if not pairs:
            return ()
        names = [f"client{c + 1}" for c in range(clients)]
        for client, node in pairs:
            if client.text not in names:
                self.error("CAP213", f"unknown client '{client.text}'", client.span,
                           did_you_mean(client.text, names) or
                           f"the workload has {clients} client(s): {one_of(names)}")
            elif sides[names.index(client.text)]:
                self.error("CAP107", f"'{client.text}' is placed twice", client.span, "place each client once")
            elif nodes and node.text not in nodes:
                self.error("CAP201", f"unknown node '{node.text}'", node.span,
                           did_you_mean(node.text, nodes) or f"the nodes are {one_of(nodes)}")
            else:
                sides[names.index(client.text)] = node.text
        if partitions == 0:
            self.error("CAP309", "'place' needs at least 1 partition: it says which side of a split a "
                       "client is on", self.statement_span("place"),
                       "add `faults { partitions 1 }`, or remove the 'place' statement")
        return tuple(sides)

    # ------------------------------------------------ leaderless replication
    _LEADERLESS_ONLY = ("replicas", "write_consistency", "read_consistency", "read_repair", "hinted_handoff",
                        "sloppy_quorum", "anti_entropy", "clock_skew")
    _MASTER_ONLY = ("leader", "reads", "failover", "ack_after", "visibility", "standbys", "min_replicas",
                    "read_concern")

    def check_leaderless(self, nodes: list[str], mode: str, partitions: int) -> dict:
        """The statements of leaderless replication (docs/language.md), as SystemConfig fields."""
        if mode != "leaderless":
            for attr in self._LEADERLESS_ONLY:
                if self.latest(attr) is not None:
                    self.error("CAP309", f"'{attr}' needs `replication leaderless`, but this spec replicates "
                               f"{mode}", self.statement_span(attr),
                               f"remove '{attr}', or write `replication leaderless` (Dynamo, Cassandra)")
            return {}
        for attr in self._MASTER_ONLY:
            if self.latest(attr) is not None:
                self.error("CAP309", f"'{attr}' describes a master, but `replication leaderless` has none",
                           self.statement_span(attr),
                           f"remove '{attr}': every node coordinates the requests it gets; say how many "
                           "replicas answer with `write_consistency` and `read_consistency`")
        num: ast.Number | None = self.latest("replicas")
        replicas = len(nodes)
        if num is not None:
            if nodes and not 1 <= num.value <= len(nodes):
                self.error("CAP305", f"replicas {_big(num.value)} is out of range: N must be between 1 and "
                           f"{len(nodes)} (the number of nodes)", num.span,
                           f"the key's home replicas are the first N nodes; write `replicas {len(nodes)}` or fewer")
            else:
                replicas = num.value
        levels = {}
        for attr in ("write_consistency", "read_consistency"):
            levels[attr] = self.check_level(attr, replicas)
        if self.latest("sloppy_quorum") is not None and nodes and replicas >= len(nodes):
            self.error("CAP309", "'sloppy_quorum' needs stand-ins: nodes beyond the key's N home replicas",
                       self.statement_span("sloppy_quorum"),
                       f"add a node, or write `replicas {max(len(nodes) - 1, 1)}`: the nodes after the first N "
                       "take writes for home replicas they cannot reach")
        repair = self.check_word("read_repair", cat.READ_REPAIR, "none", "CAP212", "read repair", "read repairs")
        skew = self.bound(self.latest("clock_skew"), "clock_skew", 0, cat.MAX_CLOCK_SKEW)
        return dict(replicas=replicas if num is not None else 0, write_level=levels["write_consistency"],
                    read_level=levels["read_consistency"], read_repair=repair,
                    hinted_handoff=self.latest("hinted_handoff") is not None,
                    sloppy_quorum=self.latest("sloppy_quorum") is not None,
                    anti_entropy=self.latest("anti_entropy") is not None, clock_skew=skew)

    def check_level(self, attr: str, replicas: int) -> str:
        word: ast.Name | None = self.latest(attr)
        if word is None:
            return "quorum"
        text = word.text.lower()
        if text.lstrip("+-").isdigit():
            k = int(text)
            if not 1 <= k <= replicas:
                self.error("CAP305", f"{attr} {_big(k)} is out of range: K must be between 1 and {replicas} "
                           "(the number of replicas)", word.span,
                           f"write a count from 1 to {replicas}, or `one`, `quorum`, `all`")
            return str(k)
        if text not in cat.CONSISTENCY_LEVELS:
            self.error("CAP212", f"unknown consistency level '{word.text}'", word.span,
                       did_you_mean(text, cat.CONSISTENCY_LEVELS)
                       or f"the levels are {one_of(cat.CONSISTENCY_LEVELS)}, or a count K")
        elif text == "any" and attr == "read_consistency":
            self.error("CAP306", "ANY is a write consistency level: a hint cannot answer a read", word.span,
                       "write `read_consistency one` (or quorum, all, a count)")
        return text

    def check_read_concern(self, mode: str, reads: str) -> str:
        """MongoDB's read concern: reads on the primary (read_concern.py)."""
        word = self.check_word("read_concern", cat.READ_CONCERNS, "", "CAP212", "read concern", "read concerns")
        if not word or word not in cat.READ_CONCERNS or mode == "leaderless":
            return word
        if reads != "master_only":
            self.error("CAP309", f"'read_concern' is for reads on the primary, but this spec reads {reads}",
                       self.statement_span("read_concern"), "write `reads master_only` (MongoDB's read preference "
                       "primary), or remove 'read_concern'")
        if word != "local" and mode not in _WAITING_MODES:
            self.error("CAP309", f"read_concern {word} needs the followers' acks, which `replication {mode}` "
                       "does not collect", self.statement_span("read_concern"),
                       "write `replication quorum` (MongoDB w: \"majority\"), or `read_concern local`")
        return word

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

    def check_faults(self) -> tuple[int, bool, int, bool]:
        f: ast.Faults | None = self.latest("faults")
        if f is None:
            return 0, False, 0, False
        crashes = self.bound(f.crashes, "crashes", 0, cat.MAX_FAULTS)
        partitions = self.bound(f.partitions, "partitions", 0, cat.MAX_FAULTS)
        if f.client_partitions and f.partitions is not None and f.partitions.value == 0:
            self.error("CAP309", "'with_clients' needs at least 1 partition, but partitions is 0",
                       f.partitions.span, "write `partitions 1 with_clients`, or remove 'with_clients'")
        return crashes, f.recover, partitions, f.client_partitions and partitions > 0

    def check_workload(self) -> tuple[int, int, int]:
        w: ast.Workload | None = self.latest("workload")
        if w is None:
            return DEFAULT_WRITES, DEFAULT_READS, DEFAULT_CLIENTS
        writes = self.bound(w.writes, "writes", DEFAULT_WRITES, cat.MAX_WRITES, minimum=1)
        reads = self.bound(w.reads, "reads", DEFAULT_READS, cat.MAX_READS)
        clients = self.bound(w.clients, "clients", DEFAULT_CLIENTS, cat.MAX_CLIENTS, minimum=1)
        return writes, reads, clients

    def check_checks(self, leaderless: bool) -> list[str]:
        names: list[ast.Name] | None = self.latest("checks")
        known = {**cat.PROPERTIES, **cat.LEADERLESS_PROPERTIES}
        if names is None:
            return list(known if leaderless else cat.PROPERTIES)
        result: list[str] = []
        for n in names:
            if n.text in cat.LEADERLESS_PROPERTIES and not leaderless:
                self.error("CAP309", f"'{n.text}' is a property of leaderless replication", n.span,
                           "write `replication leaderless`, or remove it from `check`")
            elif n.text not in known:
                self.error("CAP205", f"unknown property '{n.text}'", n.span,
                           did_you_mean(n.text, known)
                           or "`capmodel properties` lists them; write your own with `invariant NAME: ...`")
            elif n.text in result:
                self.error("CAP211", f"property '{n.text}' is listed twice", n.span, "list it once")
            else:
                result.append(n.text)
        return result

    # ------------------------------------------------------------ conditions

    def check_conditions(self, nodes, writes, reads):
        tables: dict[str, dict[str, ast.NamedCondition]] = {"invariant": {}, "reachable": {}, "lemma": {}}
        for spec in self.chain:  # base first: the child's condition of the same name wins
            for kind, items in (("invariant", spec.invariants), ("reachable", spec.reachables),
                                ("lemma", spec.lemmas)):
                for c in items:
                    tables[kind][c.name.text] = c
        seen: dict[str, str] = {}
        for kind, table in tables.items():
            for name, c in table.items():
                if name in seen:
                    self.error("CAP211", f"'{name}' names both {_an(seen[name])} and {_an(kind)}", c.name.span,
                               "give each condition its own name")
                seen.setdefault(name, kind)
                if name in cat.PROPERTIES:
                    self.error("CAP211", f"'{name}' is the name of a built-in property", c.name.span,
                               "give your condition another name (built-in properties are chosen with `check`)")
        if nodes:  # without nodes every node name would be "unknown": skip, CAP301 says enough
            checker = _TypeChecker(self, nodes, writes, reads)
            for kind, table in tables.items():
                for c in table.values():
                    t = checker.check(c.expr, ())
                    if t not in ("bool", "error"):
                        hint = ("compare the count, e.g. `(count n in nodes: n.is_master) <= 1`"
                                if isinstance(c.expr, ast.Quantifier) and c.expr.kind == "count"
                                else "write a condition (true or false), e.g. a comparison")
                        self.error("CAP402", f"the body of {kind} '{c.name.text}' is {_a(t)}, not a condition",
                                   c.expr.span, hint)
        return [list(t.values()) for t in tables.values()]


def _an(kind: str) -> str:
    return {"invariant": "an invariant", "reachable": "a reachable condition", "lemma": "a lemma"}[kind]


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
        arg_types = [self.check(a, scope, in_count) for a in e.args]
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
        _, result, _ = table[name]
        wanted = cat.argument_types(name, base)
        call = cat.example_call(name, base, node=next(iter(sorted(self.nodes)), "a"))
        if not wanted and e.args:
            self.v.error("CAP403", f"'{name}' takes no argument", e.args[0].span, f"write `.{name}` alone")
        elif wanted and len(e.args) != len(wanted):
            what = " and ".join(_a(t) for t in wanted)
            self.v.error("CAP403", f"'{name}' needs {what} as argument{'s' if len(wanted) > 1 else ''}"
                         + (f", not {len(e.args)}" if e.args else ""), e.span, f"write `{call}`")
        else:
            for i, (arg, arg_t, want) in enumerate(zip(e.args, arg_types, wanted)):
                if arg_t not in (want, "error"):
                    place = "argument" if len(wanted) == 1 else ("first", "second")[i] + " argument"
                    self.v.error("CAP403", f"'{name}' needs {_a(want)} as {place}, not {_a(arg_t)}", arg.span,
                                 f"the {place} of `.{name}` is {_a(want)}: write `{call}`")
        return result

    def binary(self, e: ast.Binary, scope, in_count: bool) -> str:
        lt = self.check(e.left, scope, in_count)
        rt = self.check(e.right, scope, in_count)
        if e.op in ("and", "or", "implies"):
            want, result = "bool", "bool"
        elif e.op in ("+", "-"):
            want, result = "int", "int"
        elif e.op in ("<", "<=", ">", ">="):
            # writes (and reads) are numbered in the order clients send them, so
            # `v < w` means "v was sent before w"; nodes have no order
            if lt == rt and lt in ("write", "read"):
                return "bool"
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
