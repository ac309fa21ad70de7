"""Leaderless replication (Dynamo, Cassandra): the state and the steps.

There is no master. A client sends a request to any node it reaches, the
*coordinator*, which fans it out to the key's N home replicas (the first N
nodes; the others are stand-ins for a sloppy quorum). A write carries a
timestamp from the coordinator's clock; every replica keeps the version with
the highest timestamp it has received (last writer wins). The coordinator
answers the client once W replicas have acked (W = ONE, QUORUM, ALL, a
count, or ANY, which a stored hint alone satisfies); a read collects R
replies and returns the newest version among them, and with blocking read
repair first writes that version back to the replies that were behind.

Every message is a step of its own, so a write that fails (fewer than W acks
can come) may still have landed on some replicas, and may land on more
after its client got the error: its mutations stay in flight until they are
delivered or lost (a message is lost only while its link is cut or an end is
down). Hints (hinted handoff) and stand-ins (sloppy quorum) hold a version
for a home replica and hand it over once they reach it; anti-entropy is a
step between two connected replicas that hold different versions.

The registers hold one version each, as a one-bit mask of writes (0: no
version yet); docs/semantics.md, section 9, gives the definitions.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import expr as X
from ..ir.expr import Expr
from ..ir.encoding import NUMBER, TRUTH, Encoding, named
from ..ir.model import Label
from .state import (R_ERROR, R_LOST_DOWN, R_NOT_SENT, R_OK, R_TIMED_OUT, W_ERROR, W_LOST_DOWN, W_NOT_SENT, W_OK,
                    W_PENDING, W_TIMED_OUT, WRITE_STATUS, ActionSet, SystemState, client_name, read_name,
                    write_name)

# a read waits for its replies (reads of the master-based family take one step)
R_PENDING = 5
# Unavailable and a read timeout are the master-based R_ERROR and R_TIMED_OUT: both count against availability
R_UNAVAILABLE, R_TIMEOUT = R_ERROR, R_TIMED_OUT
LEADERLESS_READ_STATUS = {R_NOT_SENT: "not sent", R_OK: "OK", R_UNAVAILABLE: "ERROR (unavailable)",
                          R_LOST_DOWN: "no answer (node down)", R_TIMEOUT: "no answer (timed out)",
                          R_PENDING: "pending"}

SEND_W = (("write", "writes"), ("client", "clients"), ("node", "nodes"))
SEND_R = (("read", "reads"), ("client", "clients"), ("node", "nodes"))
TO_REPLICA = (("write", "writes"), ("replica", "nodes"))
READ_AT = (("read", "reads"), ("replica", "nodes"))
ANSWER_W = (("write", "writes"), ("node", "nodes"))
ANSWER_R = (("read", "reads"), ("node", "nodes"))
HINT = (("holder", "nodes"), ("replica", "nodes"))
PAIR = (("a", "nodes"), ("b", "nodes"))
NODE = (("node", "nodes"),)

LEVEL_WORDS = ("one", "quorum", "all", "any")


def level_count(level: str, replicas: int) -> int:
    """How many replica acks (or replies) a consistency level needs; ANY needs one ack or a hint."""
    return {"one": 1, "any": 1, "quorum": replicas // 2 + 1, "all": replicas}.get(level.lower()) or int(level)


@dataclass
class LeaderlessState(SystemState):
    """The variables of a leaderless system. It keeps the names the shared
    code reads (up, crashes, cut links, the status of every request and the
    read ghosts), so faults.py and the availability properties serve both
    families; a node's `log` is its one version (a one-bit mask)."""

    def __post_init__(self) -> None:
        cfg = self.cfg
        self.nodes = list(cfg.nodes)
        self.N, self.W, self.R, self.C = len(self.nodes), cfg.writes, cfg.read_count, cfg.clients
        self.home = list(range(cfg.replicas or self.N))
        self.standins = [n for n in range(self.N) if n not in self.home]
        self.w_needed = level_count(cfg.write_level, len(self.home))
        self.r_needed = level_count(cfg.read_level, len(self.home))
        self.write_any = cfg.write_level.lower() == "any"
        self.hints_on = cfg.hinted_handoff or self.write_any
        masks, node_masks = 1 << self.W, 1 << self.N
        self.tracks_positions, self.ackd, self.waiting, self.nterm, self.wterm = False, None, None, None, None
        self.commit = None
        self.up = self._each("up", self.nodes, 2, 1, TRUTH)
        self.log = self._each("value", self.nodes, masks, encoding=self.write_set)
        # hint[h][t]: the version h holds for home replica t (hinted handoff, sloppy quorum)
        holders = [h for h in range(self.N) if self.hints_on or h in self.standins]
        self.hint = {(h, t): self._new(f"hint[{self.nodes[h]}->{self.nodes[t]}]", masks, 0, self.nodes[h],
                                            self.write_set)
                     for h in holders for t in self.home if h != t
                     and (self.hints_on or cfg.sloppy_quorum)}
        skew = cfg.clock_skew
        self.clock = self._each("clock", self.nodes, skew + 1) if skew else None
        self.ts = self._each("ts", [write_name(i) for i in range(self.W)], (skew + 1) * self.W) if skew else None
        self.crashes = self._new("crashes", cfg.crashes + 1, 0, "global")
        self.partitions = self._new("partitions", cfg.partitions + 1, 0, "global")
        self.pairs = [(a, b) for a in range(self.N) for b in range(a + 1, self.N)]
        self.cut = self._new("cut_links", 1 << len(self.pairs), 0, "global", self.link_set) if cfg.partitions else None
        self.ccut = (self._new("cut_client_links", 1 << (self.C * self.N), 0, "global", self.client_link_set)
                     if cfg.client_partitions or any(cfg.client_sides) else None)
        writes, reads = [write_name(i) for i in range(self.W)], [read_name(j) for j in range(self.R)]
        lin = "linearizable" in cfg.checks
        self.wstatus = self._each("status", writes, 6, W_NOT_SENT, named(WRITE_STATUS))
        self.rstatus = self._each("status", reads, 6, encoding=named(LEADERLESS_READ_STATUS))
        self.wnode, self.rnode = (self._each("node", owners, self.N, encoding=self.a_node) for owners in (writes, reads))
        self.wclient, self.rclient = (self._each("client", owners, self.C, encoding=self.a_client)
                                      for owners in (writes, reads))
        # the coordinator's mutations still in flight, and the replicas (or stand-ins) that acked
        self.inflight, self.wacks = (self._each(what, writes, node_masks, encoding=self.node_set)
                                    for what in ("in_flight", "acks"))
        # ghosts: the writes (and reads) that had been answered OK when the write was sent
        self.wbefore = self._each("acked_before", writes, masks, encoding=self.write_set)
        self.wreads = (self._each("reads_before", writes, 1 << self.R, encoding=self.read_set)
                       if lin and self.R else None)
        # the replicas that replied, and the newest version among their replies: what the read returns
        self.replied = self._each("replied", reads, node_masks, encoding=self.node_set)
        self.rseen = self._each("seen", reads, masks, encoding=self.write_set)
        # ghosts: the writes acknowledged (and reads answered) before the read began
        self.racked = self._each("acked_at", reads, masks, encoding=self.write_set)
        self.rreads = self._each("reads_at", reads, 1 << self.R, encoding=self.read_set) if lin else None
        # the spec language's globals that have no meaning here
        self.primary, self.term = X.const(0), X.const(0)

    def _each(self, what: str, owners: list[str], size: int, initial: int = 0,
              encoding: Encoding = NUMBER) -> list[Expr]:
        """One variable `what[x]` per owner x (a node, a write or a read)."""
        return [self._new(f"{what}[{x}]", size, initial, x, encoding) for x in owners]

    # ----------------------------------------------------------- versions
    def ts_of(self, i: int) -> Expr:
        return self.ts[i] if self.ts is not None else X.const(i)

    def stamp(self, version: Expr, fresh: dict[int, Expr] | None = None) -> Expr:
        """The timestamp of a version (a one-bit mask), plus one; 0 for no
        version. `fresh`: timestamps given in this very step."""
        result = X.const(0)
        for i in range(self.W):
            ts = (fresh or {}).get(i, self.ts_of(i))
            result = X.ite(X.has_bit(version, i), X.add(ts, X.const(1)), result)
        return result

    def newer(self, a: Expr, b: Expr, fresh: dict[int, Expr] | None = None) -> Expr:
        """Version a has a higher timestamp than version b (timestamps are unique)."""
        return X.lt(self.stamp(b, fresh), self.stamp(a, fresh))

    def lww(self, a: Expr, b: Expr, fresh: dict[int, Expr] | None = None) -> Expr:
        """Last writer wins: the version with the higher timestamp."""
        return X.ite(self.newer(b, a, fresh), b, a)

    def reflects(self, version: Expr, i: int) -> Expr:
        """The version is write i, or supersedes it: a higher timestamp, and
        not a write that had been acknowledged before write i was sent."""
        return X.or_(X.eq(version, X.const(1 << i)),
                     X.and_(X.lt(self.stamp(X.const(1 << i)), self.stamp(version)),
                            X.eq(X.band(version, self.wbefore[i]), X.const(0))))

    # ------------------------------------------------------------ helpers
    def mask_of(self, nodes, cond) -> Expr:
        return X.reduce_or([X.ite(cond(n), X.const(1 << n), X.const(0)) for n in nodes])

    def coordinated_by(self, coord_var: Expr, cond) -> Expr:
        """cond(n) for the node n that coordinates (coord_var == n)."""
        return X.or_(*(X.and_(X.eq(coord_var, X.const(n)), cond(n)) for n in range(self.N)))

    def client_busy(self, client: int) -> Expr:
        """The client waits for one of its writes or reads."""
        def waiting(statuses, clients, pending):
            return [X.and_(X.eq(s, X.const(pending)), X.eq(c, X.const(client))) for s, c in zip(statuses, clients)]
        return X.or_(*waiting(self.wstatus, self.wclient, W_PENDING), *waiting(self.rstatus, self.rclient, R_PENDING))

    def ok_reads(self) -> Expr:
        return X.reduce_or([X.ite(X.eq(s, X.const(R_OK)), X.const(1 << j), X.const(0))
                            for j, s in enumerate(self.rstatus)])

    def survives(self, n: int) -> Expr:
        """n's data can still be read: n is up, or down but will recover (crash-recover)."""
        return X.TRUE if self.cfg.recover else self.is_up(n)

    def end_waits(self, updates: dict, losing: dict[int, Expr], status: int | None) -> None:
        """A coordinator crashes: its clients' waiting writes and reads get no answer."""
        for n, cond in losing.items():
            for stat, where, pending, lost, scratch in (
                    (self.wstatus, self.wnode, W_PENDING, status, [self.wacks]),
                    (self.rstatus, self.rnode, R_PENDING, R_LOST_DOWN, [self.replied, self.rseen])):
                for k, (s, node) in enumerate(zip(stat, where)):
                    here = X.and_(cond, X.eq(s, X.const(pending)), X.eq(node, X.const(n)))
                    updates[s] = X.ite(here, X.const(lost), updates.get(s, s))
                    for var in (v[k] for v in scratch):  # what only a waiting request needs is forgotten
                        updates[var] = X.ite(here, X.const(0), updates.get(var, var))


def request_slots(st: LeaderlessState, statuses: list[Expr], not_sent: int):
    """Every (request k, client c, its name, node n, its name, the client may send k now)."""
    for k in range(len(statuses)):
        turn = st.next_to_send(statuses, k, not_sent)
        for c in range(st.C):
            free = X.and_(turn, X.not_(st.client_busy(c)))
            for n, node in enumerate(st.nodes):
                yield k, c, client_name(c), n, node, free


# ------------------------------------------------------------------ writes
def _standin_for(st: LeaderlessState, coord: int, s: int, t: int) -> Expr:
    """Sloppy quorum: stand-in s takes home replica t's write, the k-th
    unreachable home replica going to the k-th reachable stand-in (Dynamo's
    preference list: the next healthy nodes on the ring)."""
    gone = {h: X.not_(st.connected(coord, h)) for h in st.home}
    near = {x: st.connected(coord, x) for x in st.standins}
    before_t = X.sum_(gone[h] for h in st.home if h < t)
    before_s = X.sum_(near[x] for x in st.standins if x < s)
    return X.and_(gone[t], near[s], X.eq(before_t, before_s))


def add_leaderless_writes(st: LeaderlessState, acts: ActionSet) -> None:
    cfg = st.cfg
    for i, c, cl, n, node, free in request_slots(st, st.wstatus, W_NOT_SENT):
        w, bit = write_name(i), X.const(1 << i)
        sent = {st.wnode[i]: X.const(n), st.wclient[i]: X.const(c), st.wbefore[i]: st.acked_mask()}
        if st.wreads is not None:
            sent[st.wreads[i]] = st.ok_reads()
        reach = X.and_(free, st.client_reaches(c, n), st.is_up(n))
        reached = st.mask_of(st.home, lambda t: st.connected(n, t))
        alive = X.popcount(reached)
        # a coordinator that is a home replica applies the write to its own copy at once
        own = X.const(1 << n if n in st.home else 0)
        accept = {**sent, st.inflight[i]: X.bdiff(reached, own), st.wacks[i]: own,
                  st.wstatus[i]: X.const(W_PENDING)}
        fresh = {}
        if st.ts is not None:  # the coordinator's clock, ties broken by send order
            fresh[i] = accept[st.ts[i]] = X.add(_scaled(st.clock[n], st.W), X.const(i))

        def keep(var, fresh=fresh):
            return st.lww(accept.get(var, var), bit, fresh)
        if n in st.home:
            accept[st.log[n]] = keep(st.log[n])
        unreachable = [t for t in st.home if t != n]
        hinted = X.FALSE
        if st.hints_on:  # the coordinator keeps a hint for every home replica it cannot reach
            for t in unreachable:
                gone = X.not_(st.connected(n, t))
                accept[st.hint[n, t]] = X.ite(gone, keep(st.hint[n, t]), st.hint[n, t])
                hinted = X.or_(hinted, gone)
        standins = X.const(0)
        if cfg.sloppy_quorum:
            for s in st.standins:
                took = X.or_(*(_standin_for(st, n, s, t) for t in st.home))
                for t in st.home:
                    if (s, t) in st.hint:
                        var = st.hint[s, t]
                        accept[var] = X.ite(_standin_for(st, n, s, t), keep(var), accept.get(var, var))
                standins = X.bor(standins, X.ite(took, X.const(1 << s), X.const(0)))
            accept[st.wacks[i]] = X.bor(own, standins)
            alive = X.add(alive, X.popcount(standins))
        if st.write_any:  # ANY: a stored hint is enough, OK at once
            accept[st.wstatus[i]] = X.ite(hinted, X.const(W_OK), X.const(W_PENDING))
        enough = X.TRUE if st.write_any else X.le(X.const(st.w_needed), alive)
        to = ", ".join(st.nodes[t] for t in st.home)
        acts.add("client_write", SEND_W, (w, cl, node), X.and_(reach, enough), accept,
                 Label("request", cl, f"{cl} sends {w} to {node}, which coordinates it: it sends "
                       f"{w} to the replicas it reaches of {to}", cl, node, w))
        acts.add("client_write_unavailable", SEND_W, (w, cl, node), X.and_(reach, X.not_(enough)),
                 {**sent, st.wstatus[i]: X.const(W_ERROR)},
                 Label("request", cl, f"{cl} sends {w} to {node}, which reaches fewer than "
                       f"{st.w_needed} replica(s) and answers Unavailable: {w} is not written",
                       cl, node, w))
        add_unanswered(st, acts, "client_write_unanswered", SEND_W, w, c, n, free,
                       {**sent, st.wstatus[i]: X.const(W_LOST_DOWN)})
    for i in range(st.W):
        add_fan_out(st, acts, i)


def add_unanswered(st: LeaderlessState, acts: ActionSet, family: str, params, request: str, c: int, n: int,
                   free: Expr, updates: dict) -> None:
    """A request sent to a down node gets no answer (with clients placed by a
    partition, only when the client reaches no live node at all)."""
    cl, node = client_name(c), st.nodes[n]
    down = X.and_(free, st.client_reaches(c, n), X.not_(st.is_up(n)))
    if st.ccut is not None:
        down = X.and_(down, X.not_(st.client_reaches_live(c)))
    acts.add(family, params, (request, cl, node), down, updates,
             Label("request", cl, f"{cl} sends {request} to {node}, which is down: no answer", cl, node, request))


def _scaled(clock: Expr, k: int) -> Expr:
    """clock * k, by additions (the IR has no multiplication)."""
    result = X.const(0)
    for _ in range(k):
        result = X.add(result, clock)
    return result


def add_fan_out(st: LeaderlessState, acts: ActionSet, i: int) -> None:
    """Write i's mutations reach the replicas (each a step: its ack goes back
    to the coordinator), or are lost while the link is cut or an end is down;
    then the coordinator answers."""
    w, bit = write_name(i), X.const(1 << i)
    for t in st.home:
        tname = st.nodes[t]
        flying = X.has_bit(st.inflight[i], t)
        link = st.coordinated_by(st.wnode[i], lambda n: st.connected(n, t))
        acts.add("deliver", TO_REPLICA, (w, tname), X.and_(flying, link),
                 {st.log[t]: st.lww(st.log[t], bit), st.inflight[i]: X.bdiff(st.inflight[i], X.const(1 << t)),
                  st.wacks[i]: X.bor(st.wacks[i], X.const(1 << t))},
                 Label("replicate", tname, f"<coordinator> sends {w} to {tname}, which stores it and acks",
                       "<coordinator>", tname, w))
        lost = {st.inflight[i]: X.bdiff(st.inflight[i], X.const(1 << t))}
        if st.hints_on:  # the coordinator writes a hint for the replica that did not ack
            for h in range(st.N):
                if (h, t) in st.hint:
                    var = st.hint[h, t]
                    lost[var] = X.ite(X.and_(X.eq(st.wnode[i], X.const(h)), st.is_up(h)), st.lww(var, bit), var)
        acts.add("message_lost", TO_REPLICA, (w, tname), X.and_(flying, X.not_(link)), lost,
                 Label("local", tname, f"the message carrying {w} to {tname} is lost"
                       + (" (the coordinator keeps a hint)" if st.hints_on else "")))
    for m, node in enumerate(st.nodes):
        pending = X.and_(X.eq(st.wstatus[i], X.const(W_PENDING)), X.eq(st.wnode[i], X.const(m)), st.is_up(m))
        acks = X.popcount(st.wacks[i])
        could = X.popcount(st.mask_of(st.home, lambda t: X.and_(X.has_bit(st.inflight[i], t), st.connected(m, t))))
        acts.add("answer_ok", ANSWER_W, (w, node), X.and_(pending, X.le(X.const(st.w_needed), acks)),
                 {st.wstatus[i]: X.const(W_OK), st.wacks[i]: X.const(0)},
                 Label("reply", node, f"{node} has {st.w_needed} ack(s) for {w} and answers OK to <client>",
                       node, "<client>", f"OK {w}"))
        stuck = X.and_(pending, X.lt(X.add(acks, could), X.const(st.w_needed)))
        if st.write_any:
            # Cassandra's StorageProxy.mutate: at ANY a write timeout is caught, the coordinator hints the
            # mutation for its replicas and answers OK ("a guarantee that a write never fails")
            hints = {st.hint[m, t]: X.ite(X.has_bit(st.wacks[i], t), st.hint[m, t], st.lww(st.hint[m, t], bit))
                     for t in st.home if (m, t) in st.hint}
            acts.add("answer_ok_with_hints", ANSWER_W, (w, node), stuck,
                     {st.wstatus[i]: X.const(W_OK), st.wacks[i]: X.const(0), **hints},
                     Label("reply", node, f"{node} gets no ack for {w} in time: at ANY it writes a hint for every "
                           f"replica that did not ack and answers OK to <client>", node, "<client>", f"OK {w}"))
            continue
        acts.add("write_timeout", ANSWER_W, (w, node), stuck,
                 {st.wstatus[i]: X.const(W_TIMED_OUT), st.wacks[i]: X.const(0)},
                 Label("reply", node, f"{node} cannot collect the {st.w_needed} ack(s) {w} needs: <client> "
                       f"gets a write timeout (the replicas that took {w} keep it)", node, "<client>", "timeout"))


# ------------------------------------------------------------------- reads
def add_leaderless_reads(st: LeaderlessState, acts: ActionSet) -> None:
    cfg = st.cfg
    k = st.r_needed
    for j, c, cl, n, node, free in request_slots(st, st.rstatus, R_NOT_SENT):
        r = read_name(j)
        base = {st.rnode[j]: X.const(n), st.rclient[j]: X.const(c)}
        reach = X.and_(free, st.client_reaches(c, n), st.is_up(n))
        enough = X.le(X.const(k), X.sum_(st.connected(n, t) for t in st.home))
        begin = {**base, st.rstatus[j]: X.const(R_PENDING), st.racked[j]: st.acked_mask(),
                 st.replied[j]: X.const(0), st.rseen[j]: X.const(0)}
        if st.rreads is not None:
            begin[st.rreads[j]] = st.ok_reads()
        acts.add("client_read", SEND_R, (r, cl, node), X.and_(reach, enough), begin,
                 Label("request", cl, f"{cl} sends {r} to {node}, which coordinates it: it asks "
                       f"{k} replica(s)", cl, node, r))
        acts.add("client_read_unavailable", SEND_R, (r, cl, node), X.and_(reach, X.not_(enough)),
                 {**base, st.rstatus[j]: X.const(R_UNAVAILABLE)},
                 Label("request", cl, f"{cl} sends {r} to {node}, which reaches fewer than {k} "
                       f"replica(s) and answers Unavailable", cl, node, r))
        add_unanswered(st, acts, "client_read_unanswered", SEND_R, r, c, n, free,
                       {**base, st.rstatus[j]: X.const(R_LOST_DOWN)})
    for j in range(st.R):
        r = read_name(j)
        pending = X.eq(st.rstatus[j], X.const(R_PENDING))
        count = X.popcount(st.replied[j])
        for t in st.home:
            tname = st.nodes[t]
            link = st.coordinated_by(st.rnode[j], lambda n: st.connected(n, t))
            asked = X.has_bit(st.replied[j], t)
            acts.add("read_reply", READ_AT, (r, tname),
                     X.and_(pending, X.not_(asked), X.lt(count, X.const(k)), link),
                     {st.replied[j]: X.bor(st.replied[j], X.const(1 << t)), st.rseen[j]: st.lww(st.rseen[j], st.log[t])},
                     Label("ack", tname, f"{tname} answers {r} with its version", tname, "<coordinator>", r))
            if cfg.read_repair == "blocking":
                acts.add("read_repair", READ_AT, (r, tname),
                         X.and_(pending, X.eq(count, X.const(k)), asked, st.newer(st.rseen[j], st.log[t]), link),
                         {st.log[t]: st.rseen[j]},
                         Label("replicate", tname, f"<coordinator> repairs {tname} with the newest "
                               f"version of {r}'s replies", "<coordinator>", tname, "repair"))
        behind = [X.and_(X.has_bit(st.replied[j], t), st.newer(st.rseen[j], st.log[t])) for t in st.home]
        for m, node in enumerate(st.nodes):
            here = X.and_(pending, X.eq(st.rnode[j], X.const(m)), st.is_up(m))
            repaired = X.TRUE if cfg.read_repair != "blocking" else X.not_(X.or_(*behind))
            acts.add("read_answer", ANSWER_R, (r, node), X.and_(here, X.le(X.const(k), count), repaired),
                     {st.rstatus[j]: X.const(R_OK), st.replied[j]: X.const(0)},
                     Label("reply", node, f"{node} answers {r} with the newest version among {k} replies",
                           node, "<client>", r))
            could = X.sum_(X.and_(X.not_(X.has_bit(st.replied[j], t)), st.connected(m, t)) for t in st.home)
            stuck = X.lt(X.add(count, could), X.const(k))
            if cfg.read_repair == "blocking":
                stuck = X.or_(stuck, *(X.and_(b, X.not_(st.connected(m, t))) for b, t in zip(behind, st.home)))
            acts.add("read_timeout", ANSWER_R, (r, node), X.and_(here, stuck),
                     {st.rstatus[j]: X.const(R_TIMEOUT), st.replied[j]: X.const(0), st.rseen[j]: X.const(0)},
                     Label("reply", node, f"{node} cannot collect the {k} replies (and repairs) {r} needs: "
                           f"<client> gets a read timeout", node, "<client>", "timeout"))


# ------------------------------------------------------- repair and clocks
def add_repair(st: LeaderlessState, acts: ActionSet) -> None:
    for (h, t), var in st.hint.items():
        hname, tname = st.nodes[h], st.nodes[t]
        acts.add("hint_handoff", HINT, (hname, tname), X.and_(X.ne(var, X.const(0)), st.connected(h, t)),
                 {st.log[t]: st.lww(st.log[t], var), var: X.const(0)},
                 Label("replicate", hname, f"{hname} hands its hint over to {tname}", hname, tname, "hint"))
    if st.cfg.anti_entropy:
        for a in st.home:
            for b in st.home:
                if a < b:
                    newest = st.lww(st.log[a], st.log[b])
                    acts.add("anti_entropy", PAIR, (st.nodes[a], st.nodes[b]),
                             X.and_(st.connected(a, b), X.ne(st.log[a], st.log[b])),
                             {st.log[a]: newest, st.log[b]: newest},
                             Label("replicate", st.nodes[a], f"anti-entropy: {st.nodes[a]} and {st.nodes[b]} "
                                   f"compare and both keep the newer version", st.nodes[a], st.nodes[b], "repair"))
    if st.clock is not None:
        for n, node in enumerate(st.nodes):
            acts.add("clock_jumps", NODE, (node,), X.lt(st.clock[n], X.const(st.cfg.clock_skew)),
                     {st.clock[n]: X.add(st.clock[n], X.const(1))},
                     Label("local", node, f"{node}'s clock runs ahead"))


def repair_steps() -> tuple[str, ...]:
    """The families that bring replicas together: a state where none is enabled is quiescent."""
    return ("deliver", "hint_handoff", "anti_entropy")
