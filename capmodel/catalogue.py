"""The words of the spec language and what each means, as pure data.

The validator uses it for did-you-mean hints, `capmodel properties` prints it,
and semantics/ implements each entry. Keeping the words in one table means a
new mode or property is named in one place.
"""
from __future__ import annotations

REPLICATION_MODES: dict[str, str] = {
    "async": "the master acks the client after its local commit, and replicates later",
    "sync": "the master acks the client only after every follower has acked the write",
    "semi_sync": "the master acks after k followers have acked (`semi_sync 1`); "
    "`semi_sync 1 timeout` falls back to async when the wait times out (MySQL)",
    "quorum": "the master acks after a majority of all nodes (itself included) holds the write",
    "leaderless": "no master: the node a client reaches coordinates, sending the write to the key's N "
    "replicas and answering after W acks (Dynamo, Cassandra); versions resolved by last writer wins",
}


def derived_acks(mode: str, nodes: int) -> int:
    """The follower acks a mode waits for, derived from the number of nodes
    (sync: every follower; quorum: a majority of all nodes, the master's own
    copy being one of it); 0 for the others (semi_sync's K is written, and
    async and leaderless masters wait for none)."""
    return {"sync": max(nodes - 1, 0), "quorum": nodes // 2}.get(mode, 0)


# leaderless replication: consistency levels (or a count K), read repair
CONSISTENCY_LEVELS: dict[str, str] = {
    "one": "one replica",
    "quorum": "a majority of the N replicas (N div 2 + 1)",
    "all": "all N replicas",
    "any": "writes only: one replica, or a hint the coordinator stored (Cassandra ANY)",
}

READ_REPAIR: dict[str, str] = {
    "none": "a read returns the newest version among its replies and repairs nothing",
    "blocking": "before answering, the coordinator writes the newest version to the replies that were "
    "behind, and waits for them (Cassandra read_repair BLOCKING)",
}

READ_CONCERNS: dict[str, str] = {
    "local": "the primary answers from its own data, which may still be rolled back (MongoDB)",
    "majority": "the primary answers with the writes a majority has acknowledged (MongoDB)",
    "linearizable": "the primary first confirms with a majority that it is still primary and that its "
    "writes are majority-committed, and refuses when it cannot (MongoDB)",
}

READ_POLICIES: dict[str, str] = {
    "master_only": "reads go to the master, which answers from its own copy",
    "any_node": "reads go to any node, which answers from its local copy (read scaling, possibly stale)",
    "cp": "a follower answers only after confirming with its master that it holds every "
    "acknowledged write, and refuses with an error when it cannot reach the master",
    "ap": "a follower always answers from its local copy, possibly stale (same as any_node)",
    "connected_only": "a follower answers from its local copy while it is connected to its master, "
    "and refuses with an error otherwise (Redis replica-serve-stale-data no)",
}

FAILOVER_STRATEGIES: dict[str, str] = {
    "none": "no failover: a crashed master stays crashed",
    "promote_any": "a failover manager promotes a live node that reaches a majority of all nodes when "
    "the master does not (it has crashed, or is cut off in a minority)",
    "promote_most_up_to_date": "as promote_any, but only a node whose log is at least as up to date, by "
    "(term of the last entry, length), as every node it reaches",
    "promote_sync_standby": "as promote_any, but only a current synchronous standby (listed in `standbys`, "
    "and one whose acks covered the latest commit)",
    "elect": "a Raft-style election: a node that lost its master wins with the votes of a majority of all "
    "nodes, each refusing a candidate whose log is less up to date",
}

FAILOVER_OPTIONS: dict[str, str] = {
    "fencing": "the deposed master is fenced at once at the promotion (STONITH, a storage epoch): "
    "it refuses writes from then on",
    "live_majority": "the manager needs a majority of the live nodes only, not of all nodes: a "
    "perfect failure detector, which promotes a lone survivor (not for elect)",
}

ACK_POINTS: dict[str, str] = {
    "received": "a follower acks a write once it has received it (the default)",
    "flushed": "a follower acks once the write is flushed to its disk (PostgreSQL on, MySQL semi-sync)",
    "applied": "a follower acks once it has applied the write, so its readers see it (PostgreSQL remote_apply)",
}

VISIBILITY: dict[str, str] = {
    "after_commit": "the master's readers see a write as soon as it commits, before the ack wait "
    "(MySQL AFTER_COMMIT)",
    "after_sync": "the master's readers see a write only once its ack wait is over (MySQL AFTER_SYNC; "
    "PostgreSQL, whose waiting commit still shows as running to other sessions)",
}

STANDBY_RULES: dict[str, str] = {
    "any": "ANY k (list): acks from any k of the listed followers count",
    "first": "FIRST k (list): the first k listed followers that are streaming are synchronous",
}

PROPERTIES: dict[str, str] = {
    "no_acked_write_lost": "every acknowledged write is held by the current master (the master of the "
    "highest term, while it is up)",
    "no_stale_read": "a successful read returns at least every write acknowledged before it began",
    "read_your_writes": "a successful read returns every write its own client had acknowledged before it",
    "monotonic_reads": "a client's later successful read returns everything its earlier reads returned",
    "write_availability": "every write sent to a live node gets a non-error answer",
    "read_availability": "every read sent to a live node gets a non-error answer",
    "no_split_brain": "never two live nodes that both act as master and both acknowledged client "
    "writes during that time",
    "no_read_of_lost_data": "every write a client has read is held by the current master (the master of "
    "the highest term, while it is up)",
    "linearizable": "the history of writes and reads is linearizable (Gilbert and Lynch's C): every "
    "successful read returns every write acknowledged before it, and nothing an earlier read returned "
    "is missing from a later one, whichever clients sent them",
}

# Properties that only leaderless replication has (validate.py refuses them elsewhere).
LEADERLESS_PROPERTIES: dict[str, str] = {
    "converges": "once the workload is done, every fault healed (the network whole, every node that "
    "recovers back up) and no delivery, hint or anti-entropy step "
    "is left, every live replica holds the same version",
}

# The expression language of `invariant` and `reachable`.
# name -> (type, one-line meaning). Types: bool, int, node, write, read.
GLOBALS: dict[str, tuple[str, str]] = {
    "crashes": ("int", "crashes so far"),
    "partitions": ("int", "partition events so far"),
    "term": ("int", "the highest term so far: one more at each promotion or election"),
    "primary": ("node", "the node the failover manager names master"),
    "partitioned": ("bool", "some link between nodes is cut now"),
}

# attribute -> (argument types or None, result type, meaning), per domain element type;
# two arguments are written "node, write"
ATTRIBUTES: dict[str, dict[str, tuple[str | None, str, str]]] = {
    "node": {
        "up": (None, "bool", "the node is running"),
        "crashed": (None, "bool", "the node has crashed and not recovered"),
        "is_master": (None, "bool", "the node acts as master (accepts writes)"),
        "is_follower": (None, "bool", "the node replicates from a master"),
        "is_fenced": (None, "bool", "the node was fenced at a failover and refuses writes"),
        "length": (None, "int", "how many writes the node holds"),
        "has": ("write", "bool", "the node holds that write"),
        "acked": ("write", "bool", "the node's master has the node's ack for that write (never, without acks)"),
        "source": (None, "node", "the master this node replicates from"),
        "term": (None, "int", "the term this node knows (0 without failover)"),
        "cut_from": ("node", "bool", "the link between the two nodes is cut"),
        "flushed": ("write", "bool", "as a follower, the node has flushed the write to its disk (with "
                                     "`ack_after flushed` or `applied`: a follower's position; a master keeps "
                                     "the one it had when it took over, and its own new writes are not in it; "
                                     "elsewhere the same as `has`)"),
        "applied": ("write", "bool", "as a follower, the node has applied the write, so its readers see it (with "
                                     "`ack_after flushed` or `applied`: a follower's position, kept by a master "
                                     "as `flushed` is; elsewhere the same as `has`)"),
        "sync_standby": (None, "bool", "the node is one of the synchronous standbys (`failover "
                                       "promote_sync_standby`; false elsewhere)"),
        "has_noop": ("int", "bool", "the node's log holds the no-op entry that the leader elected in that term "
                                    "appended (`failover elect`; false elsewhere)"),
        "acked_as_master": (None, "bool", "the node has acknowledged a client write as master since the latest "
                                          "promotion or election, and has not stepped down since (what "
                                          "`no_split_brain` reads; false in leaderless replication)"),
        "noop_acked": (None, "int", "the term of the newest no-op the node has acknowledged to its master (with "
                                    "`failover elect` and `read_concern majority`, whose commit point reads it; "
                                    "0 elsewhere)"),
        "committed": ("write", "bool", "the write is at or before the node's majority-commit point, as the node "
                                       "knows it (`read_concern majority`, whose reads return up to it; false "
                                       "elsewhere)"),
        "cut_from_client": ("int", "bool", "the link between the node and that client (1-based, as `w.client`) is cut "
                                           "(by a split, with `partitions N with_clients` or `place`; false elsewhere)"),
        "hint_for": ("node, write", "bool", "the node keeps a hint for that replica, and its version is that write "
                                            "(leaderless replication with `hinted_handoff`, ANY or a sloppy quorum; "
                                            "false elsewhere)"),
    },
    "write": {
        "issued": (None, "bool", "the client has sent the write"),
        "pending": (None, "bool", "the write is waiting for its answer"),
        "acked": (None, "bool", "the client got OK"),
        "failed": (None, "bool", "the client got an error"),
        "unanswered": (None, "bool", "the client never got an answer"),
        "node": (None, "node", "the node the write was sent to"),
        "client": (None, "int", "the client that sent it (1-based)"),
        "term": (None, "int", "the term in which its node accepted it (0 until then, and without elections "
                              "or promote_most_up_to_date, which compare logs by it)"),
        "timed_out": (None, "bool", "the client stopped waiting for the answer (`unanswered` also counts a "
                                    "node that crashed under the write)"),
        "waiting": (None, "bool", "the master still waits for the acks of the write (`visibility after_sync` "
                                  "keeps that apart from the client's wait; elsewhere the same as `pending`)"),
        "acked_by": ("node", "bool", "that node acknowledged the write: to the coordinator in leaderless "
                                     "replication, elsewhere to its master (`n.acked(w)`)"),
        "in_flight_to": ("node", "bool", "the coordinator's copy of the write is on its way to that node "
                                         "(leaderless replication; false elsewhere)"),
    },
    "read": {
        "issued": (None, "bool", "the client has sent the read"),
        "ok": (None, "bool", "the read got a (non-error) answer"),
        "failed": (None, "bool", "the read got an error"),
        "unanswered": (None, "bool", "the read never got an answer"),
        "node": (None, "node", "the node the read was sent to"),
        "saw": ("write", "bool", "the answer included that write"),
        "seen": (None, "int", "how many writes the answer included"),
        "client": (None, "int", "the client that sent it (1-based)"),
        "timed_out": (None, "bool", "the read got no answer in time (leaderless: its coordinator could "
                                    "not collect the replies it needs; elsewhere: the client reached no master)"),
        "pending": (None, "bool", "the read waits for its replies (leaderless replication; false elsewhere, "
                                  "where a read is answered in one step)"),
        "replied_by": ("node", "bool", "that node has replied to the read's coordinator (leaderless "
                                       "replication; false elsewhere)"),
        "after_ack": ("write", "bool", "the read was sent after that write was acknowledged (recorded for "
                                       "a read answered OK, and for every leaderless read)"),
        "after_read": ("read", "bool", "the read was sent after that read was answered OK (recorded where "
                                       "leaderless replication checks `linearizable`; false elsewhere)"),
    },
}

DOMAINS: dict[str, str] = {"nodes": "node", "writes": "write", "reads": "read"}


def argument_types(attribute: str, of: str | None = None) -> tuple[str, ...]:
    """An attribute's argument types, from ATTRIBUTES: those of the element
    type `of` (a write's `acked` takes none, a node's a write), or without it
    the first entry of that name that takes some. `has` -> ("write",),
    `hint_for` -> ("node", "write"), `up` or an unknown name -> ()."""
    entries = [ATTRIBUTES[of].get(attribute)] if of is not None else [a.get(attribute) for a in ATTRIBUTES.values()]
    spec = next((e[0] for e in entries if e is not None and e[0]), None)
    return tuple(spec.split(", ")) if spec else ()


def example_call(attribute: str, of: str | None = None, node: str = "n2") -> str:
    """A call of the attribute with example arguments: `.hint_for(n2, w1)`, `.up`."""
    values = {"node": node, "write": "w1", "read": "r1", "int": "1"}
    types = argument_types(attribute, of)
    return f".{attribute}({', '.join(values[t] for t in types)})" if types else f".{attribute}"


# Limits that keep the state encodings finite and small (writes are bit masks).
MAX_NODES = 7
MAX_WRITES = 8
MAX_READS = 6
MAX_CLIENTS = 4
MAX_FAULTS = 4
MAX_CLOCK_SKEW = 3
