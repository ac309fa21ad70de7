"""The validated spec: every default filled in, every name resolved.

This is what semantics/ turns into IR. It is produced only by
syntax.validate.validate(), so code that receives one can trust it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .syntax.ast import NamedCondition


@dataclass(frozen=True)
class SystemConfig:
    name: str
    file: str  # the spec file as given on the command line
    nodes: tuple[str, ...]
    leader: str  # the node that starts as master
    replication: str  # async | sync | semi_sync | quorum
    acks_needed: int  # follower acks before the client gets OK (async: 0)
    semi_sync_timeout: bool  # the ack wait can time out and fall back to async
    reads: str  # master_only | any_node | cp | ap
    failover: str  # none | promote_any | promote_most_up_to_date | promote_sync_standby | elect
    fencing: bool
    crashes: int
    recover: bool  # crash-recover; otherwise crash-stop
    partitions: int
    writes: int
    read_count: int
    clients: int
    checks: tuple[str, ...]  # built-in property names, in the order written
    invariants: tuple[NamedCondition, ...]  # user invariants, type-checked
    reachables: tuple[NamedCondition, ...]  # conditions that must be reachable
    # ---- details that real systems need (docs/systems.md); the defaults are
    # the simple model of the course notes
    ack_after: str = "received"  # received | flushed | applied: the follower position an ack reports
    visibility: str = "after_commit"  # after_commit | after_sync: when a pending write is visible on the master
    standbys: tuple[str, ...] = ()  # followers whose acks count; () = every follower
    standby_rule: str = "any"  # any | first: ANY k of the list, or the FIRST k streaming in list order
    client_wait: bool = False  # Redis WAIT: too few acks -> the client gets an error, the write stays
    min_replicas: int = 0  # Redis min-replicas-to-write: refuse writes with fewer replicas in touch
    read_nodes: tuple[str, ...] = ()  # nodes clients may read from; () = as the read policy says
    client_partitions: bool = False  # a partition may cut a client off together with a node
    client_sides: tuple[str, ...] = ()  # per client, the node whose side of every split it is on ("" = free)
    live_majority: bool = False  # the manager counts a majority of the live nodes (a perfect failure detector)
    lemmas: tuple[NamedCondition, ...] = ()  # helper invariants for induction proofs (checked too)
    # ---- leaderless replication (replication == "leaderless"; docs/systems.md, Cassandra)
    replicas: int = 0  # N: the key's home replicas are the first N nodes (0 = every node)
    write_level: str = "quorum"  # one | quorum | all | any | a count K: the acks a write needs
    read_level: str = "quorum"  # one | quorum | all | a count K: the replies a read needs
    read_repair: str = "none"  # none | blocking: the coordinator writes the newest version back before answering
    hinted_handoff: bool = False  # the coordinator keeps hints for replicas that miss a write
    sloppy_quorum: bool = False  # stand-ins (nodes beyond the N) take writes for unreachable replicas
    anti_entropy: bool = False  # connected replicas exchange versions (repair) as a step
    clock_skew: int = 0  # a node's clock may run up to this many write intervals ahead (LWW timestamps)
    # ---- MongoDB read concern (reads on the primary): "" | local | majority | linearizable
    read_concern: str = ""
