"""The state of a replicated system as IR variables, and the derived terms
the rules are written with.

Logs are bit masks of writes, and each write records the term of the
master that accepted it. That is exact, not an abstraction, even with
several masters in different terms: writes are numbered in the order clients
send them, a write is accepted by exactly one master (the node its client
sent it to), which appends it after every write it holds, and followers copy
prefixes of a master's log or cut back to a common prefix. So every log is
increasing in write number and is determined by the set of writes it holds,
and an entry's term is the same in every log that holds it: the term of the
write. docs/semantics.md, section 2, gives the argument in full.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config import SystemConfig
from ..ir import expr as X
from ..ir.expr import Expr
from ..ir.encoding import NUMBER, TRUTH, Encoding, named, one_of, set_of
from ..ir.model import ActionInstance, Action, Label, Variable

# Roles a node believes it has.
FOLLOWER, MASTER, FENCED = 0, 1, 2
ROLE_NAMES = {FOLLOWER: "follower", MASTER: "master", FENCED: "fenced"}

# How a write ended, as its client saw it.
W_NOT_SENT, W_PENDING, W_OK, W_ERROR, W_LOST_DOWN, W_TIMED_OUT = range(6)
WRITE_STATUS = {W_NOT_SENT: "not sent", W_PENDING: "pending", W_OK: "OK", W_ERROR: "ERROR",
                W_LOST_DOWN: "no answer (node down)", W_TIMED_OUT: "no answer (timed out)"}

# How a read ended. Reads are answered in one step (see docs/semantics.md).
R_NOT_SENT, R_OK, R_ERROR, R_LOST_DOWN, R_TIMED_OUT = range(5)
READ_STATUS = {R_NOT_SENT: "not sent", R_OK: "OK", R_ERROR: "ERROR", R_LOST_DOWN: "no answer (node down)",
               R_TIMED_OUT: "no answer (no master reachable)"}


def write_name(i: int) -> str:
    return f"w{i + 1}"


def read_name(j: int) -> str:
    return f"r{j + 1}"


def client_name(c: int) -> str:
    return f"client{c + 1}"


def writes_in(mask: int) -> list[str]:
    return [write_name(i) for i in range(mask.bit_length()) if mask >> i & 1]


@dataclass
class SystemState:
    """Declares the variables of one spec and hands out terms over them."""

    cfg: SystemConfig
    variables: list[Variable] = field(default_factory=list)

    def __post_init__(self) -> None:
        cfg = self.cfg
        self.nodes = list(cfg.nodes)
        self.N = len(self.nodes)
        self.W = cfg.writes
        self.R = cfg.read_count
        self.C = cfg.clients
        lead = self.nodes.index(cfg.leader)
        masks = 1 << self.W
        self.up = [self._new(f"up[{x}]", 2, 1, x, TRUTH) for x in self.nodes]
        self.role = [self._new(f"role[{x}]", 3, MASTER if k == lead else FOLLOWER, x, named(ROLE_NAMES))
                     for k, x in enumerate(self.nodes)]
        self.log = [self._new(f"log[{x}]", masks, 0, x, self.write_set) for x in self.nodes]
        # whom each node replicates from; a master's source is itself
        self.src = [self._new(f"source[{x}]", self.N, lead, x, self.a_node) for x in self.nodes]
        # what the master has learned, through acks, that each follower holds
        self.ackd = ([self._new(f"acked_to_master[{x}]", masks, 0, x, self.write_set) for x in self.nodes]
                     if self.uses_acks else None)
        # ghost: the node acknowledged a client write while acting as master
        self.wrote = [self._new(f"acked_writes_as_master[{x}]", 2, 0, x, TRUTH) for x in self.nodes]
        self.primary = self._new("primary", self.N, lead, "global", self.a_node)
        # the highest term issued so far: every promotion starts a new one
        terms = cfg.crashes + cfg.partitions + 1
        self.term = self._new("term", terms, 0, "global")
        # The term each node knows (read by elections and by the spec
        # language's `n.term`; without failover every term is 0), and the
        # term in which each write was accepted (read only where logs are
        # compared by their last entry's term: elections and the up-to-date
        # manager).
        self.nterm = ([self._new(f"term[{x}]", terms, 0, x) for x in self.nodes]
                      if cfg.failover != "none" else None)
        self.wterm = ([self._new(f"term[{write_name(i)}]", terms, 0, write_name(i)) for i in range(self.W)]
                      if cfg.failover in ("elect", "promote_most_up_to_date") else None)
        # The no-ops a leader writes at its election, as the set of their
        # terms, per node (noop.py); and, where the majority-commit point reads
        # it, the newest no-op each node has acked to its master.
        elections = cfg.failover == "elect" and terms > 1
        # (bit t-1: the no-op of term t)
        self.noops = ([self._new(f"noops[{x}]", 1 << (terms - 1), 0, x, set_of(range(1, terms))) for x in self.nodes]
                      if elections else None)
        self.noop_acked = ([self._new(f"noop_acked_to_master[{x}]", terms, 0, x) for x in self.nodes]
                           if elections and cfg.read_concern == "majority" else None)
        self.crashes = self._new("crashes", cfg.crashes + 1, 0, "global")
        self.partitions = self._new("partitions", cfg.partitions + 1, 0, "global")
        self.pairs = [(a, b) for a in range(self.N) for b in range(a + 1, self.N)]
        self.cut = (self._new("cut_links", 1 << len(self.pairs), 0, "global", self.link_set)
                    if cfg.partitions else None)
        self.wstatus = [self._new(f"status[{write_name(i)}]", 6, W_NOT_SENT, write_name(i), named(WRITE_STATUS))
                        for i in range(self.W)]
        self.wnode = [self._new(f"node[{write_name(i)}]", self.N, 0, write_name(i), self.a_node)
                      for i in range(self.W)]
        self.wclient = [self._new(f"client[{write_name(i)}]", self.C, 0, write_name(i), self.a_client)
                        for i in range(self.W)]
        self.rstatus = [self._new(f"status[{read_name(j)}]", 5, R_NOT_SENT, read_name(j), named(READ_STATUS))
                        for j in range(self.R)]
        self.rnode = [self._new(f"node[{read_name(j)}]", self.N, 0, read_name(j), self.a_node)
                      for j in range(self.R)]
        self.rclient = [self._new(f"client[{read_name(j)}]", self.C, 0, read_name(j), self.a_client)
                        for j in range(self.R)]
        # ghost: what the answer held, and what was acknowledged when it was given
        self.rseen = [self._new(f"seen[{read_name(j)}]", masks, 0, read_name(j), self.write_set)
                      for j in range(self.R)]
        self.racked = [self._new(f"acked_at[{read_name(j)}]", masks, 0, read_name(j), self.write_set)
                       for j in range(self.R)]
        # Details of real systems (docs/systems.md); declared only when a spec
        # uses them, so the simple model keeps its small state.
        # Follower positions received (= log) >= flushed >= applied.
        self.tracks_positions = cfg.ack_after != "received"
        self.flushed = ([self._new(f"flushed[{x}]", masks, 0, x, self.write_set) for x in self.nodes]
                        if self.tracks_positions else None)
        self.applied = ([self._new(f"applied[{x}]", masks, 0, x, self.write_set) for x in self.nodes]
                        if self.tracks_positions else None)
        # min-replicas-to-write: the replicas each master still counts as in touch
        # (its own view, which lags behind partitions and failovers)
        followers = sum(1 << k for k in range(self.N) if k != lead)
        self.in_touch = ([self._new(f"in_touch[{x}]", 1 << self.N, followers if k == lead else 0, x, self.node_set)
                          for k, x in enumerate(self.nodes)] if cfg.min_replicas else None)
        # links between clients and nodes, cut by a partition `with_clients`
        self.ccut = (self._new("cut_client_links", 1 << (self.C * self.N), 0, "global", self.client_link_set)
                     if cfg.client_partitions or any(cfg.client_sides) else None)
        # The server's own ack wait, apart from the client's (which may give up):
        # under after_sync it is what hides a commit from the master's readers.
        self.waiting = ([self._new(f"waiting[{write_name(i)}]", 2, 0, write_name(i), TRUTH) for i in range(self.W)]
                        if cfg.visibility == "after_sync" and self.uses_acks else None)
        # Patroni's synchronous standbys: the followers whose acks covered the
        # latest commit answered OK, the only ones it may promote
        listed = sum(1 << self.nodes.index(x) for x in cfg.standbys if x != cfg.leader)
        self.sync_set = (self._new("sync_standbys", 1 << self.N, listed, "global", self.node_set)
                         if cfg.failover == "promote_sync_standby" else None)
        # MongoDB read concern majority: each node's majority-commit point (read_concern.py)
        from . import read_concern  # it imports this module
        self.commit = read_concern.commit_points(self)

    @property
    def uses_acks(self) -> bool:
        return self.cfg.acks_needed > 0

    def _new(self, name: str, size: int, initial: int, group: str, encoding: Encoding = NUMBER) -> Expr:
        """A variable, and what its integer stands for (ir/encoding.py: read by ITF traces)."""
        assert encoding.fits(size), (name, size, encoding)
        self.variables.append(Variable(name, size, initial, group, encoding))
        return X.var(len(self.variables) - 1)

    # What the variables' integers stand for: a node (its index), a client, a
    # set of writes (bit i: w<i+1>), of nodes, of node links (bit pair_bit(a, b):
    # the pair), of client-node links (bit client_bit(c, n)).
    @property
    def a_node(self) -> Encoding:
        return one_of(self.nodes)

    @property
    def a_client(self) -> Encoding:
        return one_of(client_name(c) for c in range(self.C))

    @property
    def write_set(self) -> Encoding:
        return set_of(write_name(i) for i in range(self.W))

    @property
    def node_set(self) -> Encoding:
        return set_of(self.nodes)

    @property
    def read_set(self) -> Encoding:
        return set_of(read_name(j) for j in range(self.R))

    @property
    def link_set(self) -> Encoding:
        return set_of((self.nodes[a], self.nodes[b]) for a, b in self.pairs)

    @property
    def client_link_set(self) -> Encoding:
        return set_of((client_name(c), self.nodes[n]) for c in range(self.C) for n in range(self.N))

    # ---------------------------------------------------------------- terms
    def is_role(self, n: int, role: int) -> Expr:
        return X.eq(self.role[n], X.const(role))

    def acts_as_master(self, n: int) -> Expr:
        return X.and_(X.eq(self.up[n], X.const(1)), self.is_role(n, MASTER))

    def is_up(self, n: int) -> Expr:
        return X.eq(self.up[n], X.const(1))

    def pair_bit(self, a: int, b: int) -> int:
        return self.pairs.index((min(a, b), max(a, b)))

    def link_cut(self, a: int, b: int) -> Expr:
        if self.cut is None or a == b:
            return X.FALSE
        return X.has_bit(self.cut, self.pair_bit(a, b))

    def client_bit(self, c: int, n: int) -> int:
        return c * self.N + n

    def client_reaches(self, c: int, n: int) -> Expr:
        if self.ccut is None:
            return X.TRUE
        return X.not_(X.has_bit(self.ccut, self.client_bit(c, n)))

    def client_reaches_live(self, c: int, nodes=None) -> Expr:
        """Client c reaches some live node (of `nodes`, default all)."""
        nodes = range(self.N) if nodes is None else nodes
        return X.or_(*(X.and_(self.is_up(n), self.client_reaches(c, n)) for n in nodes))

    def position(self, n: int, which: str) -> Expr:
        """A follower's received / flushed / applied position (all the log when
        positions are not tracked: a received write is then also durable and visible)."""
        if not self.tracks_positions or which == "received":
            return self.log[n]
        return self.flushed[n] if which == "flushed" else self.applied[n]

    def waits_at(self, i: int, m: int) -> Expr:
        """Master m still waits for the acks of write i (the server's view:
        the client may have given up already)."""
        waiting = (X.eq(self.waiting[i], X.const(1)) if self.waiting is not None
                   else X.eq(self.wstatus[i], X.const(W_PENDING)))
        return X.and_(waiting, X.eq(self.wnode[i], X.const(m)))

    def pending_at(self, m: int) -> Expr:
        return X.reduce_or([X.ite(self.waits_at(i, m), X.const(1 << i), X.const(0)) for i in range(self.W)])

    def node_term(self, n: int) -> Expr:
        return self.nterm[n] if self.nterm is not None else X.const(0)

    def last_term(self, n: int) -> Expr:
        """The term of the last entry of n's log (0 for an empty log): its
        highest write's, or under elections its newest no-op's (noop.py)."""
        result = X.const(0)
        for i in range(self.W):  # the highest write held is the last write
            result = X.ite(X.has_bit(self.log[n], i), self.wterm[i], result)
        if self.noops is not None:
            from . import noop  # it imports this module
            result = noop.last_term(self, n, result)
        return result

    def log_length(self, n: int) -> Expr:
        if self.noops is not None:
            from . import noop
            return noop.length(self, n)
        return X.popcount(self.log[n])

    def at_least_as_up_to_date(self, c: int, v: int) -> Expr:
        """Raft's vote rule: c's log is at least as up to date as v's, by the
        term of the last entry, then by length."""
        tc, tv = self.last_term(c), self.last_term(v)
        return X.or_(X.lt(tv, tc), X.and_(X.eq(tv, tc), X.le(self.log_length(v), self.log_length(c))))

    def standby_list(self, m: int) -> list[int]:
        """The followers whose acks count for master m, in priority order. With
        promote_sync_standby the list is recomputed after a failover: the
        promoted standby's place goes to the old leader, which rejoins as a
        standby (Patroni names a new synchronous standby)."""
        cfg = self.cfg
        if not cfg.standbys:
            return [f for f in range(self.N) if f != m]
        if cfg.failover == "promote_sync_standby" and cfg.leader not in cfg.standbys:
            names = [cfg.leader if x == self.nodes[m] else x for x in cfg.standbys]
        else:
            names = [x for x in cfg.standbys if x != self.nodes[m]]
        return [self.nodes.index(x) for x in names]

    def end_waits(self, updates: dict, losing: dict[int, Expr], status: int | None) -> None:
        """In this step the nodes in `losing` (node -> condition) stop being
        master or crash: their clients' waiting writes end with `status`
        (None: the client keeps waiting), and so do the servers' ack waits."""
        for i in range(self.W):
            here = X.or_(*(X.and_(cond, X.eq(self.wnode[i], X.const(n))) for n, cond in losing.items()))
            if here == X.FALSE:
                continue
            if status is not None:
                pending = X.eq(self.wstatus[i], X.const(W_PENDING))
                updates[self.wstatus[i]] = X.ite(X.and_(pending, here), X.const(status), self.wstatus[i])
            if self.waiting is not None:
                updates[self.waiting[i]] = X.ite(here, X.const(0), self.waiting[i])

    def readable(self, n: int) -> Expr:
        """What a read served by n returns: a master's committed log (without
        writes still in their ack wait, under after_sync); a follower's applied writes."""
        as_master = self.log[n]
        if self.cfg.visibility == "after_sync":
            as_master = X.bdiff(self.log[n], self.pending_at(n))
        if not self.tracks_positions and self.cfg.visibility == "after_commit":
            return self.log[n]
        return X.ite(self.is_role(n, MASTER), as_master, self.position(n, "applied"))

    def settle_positions(self, n: int, updates: dict, log: Expr | None = None) -> None:
        """A node that becomes master or rejoins holds its whole log flushed and applied."""
        if self.tracks_positions:
            log = self.log[n] if log is None else log
            updates[self.flushed[n]] = log
            updates[self.applied[n]] = log

    def connected(self, a: int, b: int) -> Expr:
        """Both nodes up and the link between them intact."""
        return X.and_(self.is_up(a), self.is_up(b), X.not_(self.link_cut(a, b)))

    def acked_mask(self) -> Expr:
        """Ghost: the writes whose client got OK."""
        return X.reduce_or([X.ite(X.eq(self.wstatus[i], X.const(W_OK)), X.const(1 << i), X.const(0))
                            for i in range(self.W)])

    def own_mask(self, client: int) -> Expr:
        return X.reduce_or([X.ite(X.eq(self.wclient[i], X.const(client)), X.const(1 << i), X.const(0))
                            for i in range(self.W)])

    def next_to_send(self, statuses: list[Expr], k: int, not_sent: int) -> Expr:
        """Request k (a write or a read) is the next one: requests are numbered
        in the order clients send them."""
        earlier_sent = [X.ne(statuses[k - 1], X.const(not_sent))] if k else []
        return X.and_(X.eq(statuses[k], X.const(not_sent)), *earlier_sent)

    def client_busy(self, client: int) -> Expr:
        """The client waits for the answer to one of its writes."""
        return X.or_(*(X.and_(X.eq(self.wstatus[i], X.const(W_PENDING)),
                              X.eq(self.wclient[i], X.const(client))) for i in range(self.W)))

    def is_prefix(self, f: Expr, m: Expr) -> Expr:
        """Log f is a prefix of log m: f is inside m, and m's other writes all come after f's."""
        rest = X.bdiff(m, f)
        return X.and_(X.subset(f, m), X.or_(X.eq(rest, X.const(0)), X.lt(f, X.lowbit(rest))))

    def common_prefix(self, f: Expr, m: Expr) -> Expr:
        """The longest common prefix of two logs that differ."""
        first_difference = X.lowbit(X.bor(X.bdiff(f, m), X.bdiff(m, f)))
        return X.band(f, X.sub(first_difference, X.const(1)))


class ActionSet:
    """Collects action instances per family, in a fixed order (determinism)."""

    def __init__(self) -> None:
        self._families: dict[str, tuple[tuple[tuple[str, str], ...], list[ActionInstance]]] = {}

    def add(self, family: str, params: tuple[tuple[str, str], ...], args: tuple[str, ...],
            guard: Expr, updates: dict[Expr, Expr], label: Label) -> None:
        if guard == X.FALSE:
            return
        inst = ActionInstance(
            family=family,
            args=tuple((p, a) for (p, _), a in zip(params, args)),
            guard=guard,
            updates=tuple(sorted((v.args[0], e) for v, e in updates.items() if e != v)),
            label=label,
        )
        self._families.setdefault(family, (params, []))[1].append(inst)

    def actions(self) -> list[Action]:
        return [Action(name, params, tuple(insts)) for name, (params, insts) in self._families.items()]
