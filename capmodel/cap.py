"""`capmodel cap`: the CAP theorem, shown on the user's own specs.

Each spec is run with at least one partition allowed, and with CAP's own
partition model: clients stand on both sides, so a partition may cut a client
off together with a node (`with_clients`). Then
  C = no_stale_read and no_acked_write_lost hold,
  A = read_availability and write_availability hold,
and the label is CP, AP or neither. A spec whose own fault budget has no
partition is labelled "CA, because partitions are not modelled", and its row
still shows what one partition does to it. No spec can be both C and A under
a partition: if one is, the model or the property definitions are wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import SystemConfig
from .engines import explicit
from .engines.result import HOLDS, VIOLATED, CheckResult

CONSISTENCY = ("no_stale_read", "no_acked_write_lost")
AVAILABILITY = ("read_availability", "write_availability")


@dataclass
class CapRow:
    file: str
    system: str
    label: str  # CP | AP | neither | CA, because partitions are not modelled | INCOMPLETE
    under_partition: str  # CP | AP | neither | BUG: both C and A | INCOMPLETE
    verdicts: dict[str, str]
    failures: dict[str, str] = field(default_factory=dict)  # property -> diagram path ("" when not drawn)
    result: CheckResult | None = None

    @property
    def both(self) -> bool:
        return self.under_partition.startswith("BUG")

    def to_json(self) -> dict:
        return {"file": self.file, "system": self.system, "label": self.label,
                "under_partition": self.under_partition, "verdicts": self.verdicts,
                "failures": self.failures}


def partitioned(cfg: SystemConfig) -> SystemConfig:
    """The spec as CAP sees it: a partition may happen, clients are on both
    sides of it, and there is a read and a write to judge."""
    return replace(cfg, partitions=max(1, cfg.partitions), client_partitions=True,
                   read_count=max(1, cfg.read_count), writes=max(1, cfg.writes),
                   checks=CONSISTENCY + AVAILABILITY, invariants=(), reachables=())


def label_of(verdicts: dict[str, str]) -> str:
    if any(v not in (HOLDS, VIOLATED) for v in verdicts.values()):
        return "INCOMPLETE"
    c = all(verdicts[p] == HOLDS for p in CONSISTENCY)
    a = all(verdicts[p] == HOLDS for p in AVAILABILITY)
    if c and a:
        return "BUG: both C and A under a partition"
    return "CP" if c else "AP" if a else "neither"


def analyse(cfg: SystemConfig, file: str, *, max_states: int | None = None) -> CapRow:
    from .semantics.build import build_model

    result = explicit.check(build_model(partitioned(cfg)), max_states=max_states, stop_when_decided=False)
    verdicts = {p.name: p.verdict for p in result.properties}
    under = label_of(verdicts)
    label = under if cfg.partitions else "CA, because partitions are not modelled"
    failures = {p.name: "" for p in result.properties if p.verdict == VIOLATED}
    return CapRow(file, cfg.name, label, under, verdicts, failures, result)


def table(rows: list[CapRow]) -> str:
    width = max([len(Path(r.file).name) for r in rows] + [4])
    lines = [f"{'spec':<{width}}  {'C':<4} {'A':<4} label"]
    for r in rows:
        c = "yes" if all(r.verdicts.get(p) == HOLDS for p in CONSISTENCY) else "no"
        a = "yes" if all(r.verdicts.get(p) == HOLDS for p in AVAILABILITY) else "no"
        label = r.label if r.label == r.under_partition else f"{r.label} (with a partition: {r.under_partition})"
        lines.append(f"{Path(r.file).name:<{width}}  {c:<4} {a:<4} {label}")
        for prop, path in r.failures.items():
            lines.append(f"{'':<{width}}    fails {prop}" + (f": {path}" if path else ""))
    return "\n".join(lines)
