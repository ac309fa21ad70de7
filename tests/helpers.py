"""Shared test helpers: hand-built configs, and running a model."""
from __future__ import annotations

from capmodel.catalogue import PROPERTIES
from capmodel.config import SystemConfig
from capmodel.engines import explicit
from capmodel.semantics.build import build_model


def config(**overrides) -> SystemConfig:
    """A small system, every field explicit; tests override what they study."""
    base = dict(name="tiny", file="tiny.cap", nodes=("master", "slave"), leader="master",
                replication="async", acks_needed=0, semi_sync_timeout=False, reads="any_node",
                failover="none", fencing=False, crashes=0, recover=False, partitions=0, writes=1,
                read_count=0, clients=1, checks=tuple(PROPERTIES), invariants=(), reachables=())
    base.update(overrides)
    return SystemConfig(**base)


def run(cfg: SystemConfig, **kw):
    model = build_model(cfg)
    return model, explicit.check(model, stop_when_decided=False, **kw)


def verdicts(result) -> dict[str, str]:
    return {p.name: p.verdict for p in result.properties}
