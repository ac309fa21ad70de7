"""`capmodel cap`: the CAP theorem, shown on the user's own specs.

Each spec is run with at least one partition allowed, and with CAP's own
partition model: clients stand on both sides, so a split may cut a client
off together with the nodes of its side (`with_clients`: every placement is
explored). Then, as in Gilbert and Lynch's proof,
  C = linearizable (atomic consistency of the whole history),
  A = every request to a live node gets a non-error answer,
judged for reads and for writes apart, since a single master can keep its
reads available to a client cut off with a follower (the course notes' AP:
"better to serve stale data than nothing") but never its writes. Each row
has a reads label, a writes label and a system label: CP, AP or neither.

A spec whose own fault budget has no partition is still checked under one,
and its row also shows C and A under its own budget. The table never says
CA: a system that is C and A without partitions is not thereby "CA", it
simply was not tested under one. No spec can be both C and A under a
partition; if one is, the model or the property definitions are wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .config import SystemConfig
from .engines import explicit, search
from .engines.result import HOLDS, VIOLATED, CheckResult

CONSISTENCY = "linearizable"
READS, WRITES = "read_availability", "write_availability"
CHECKS = (CONSISTENCY, READS, WRITES)
BOTH = "BUG: both C and A under a partition"


@dataclass
class CapRow:
    file: str
    system: str
    reads: str  # CP | AP | neither | C and A (possible only with writes refused) | INCOMPLETE
    writes: str  # CP | AP | neither | INCOMPLETE
    label: str  # the system: CP | AP | neither | BUG: both C and A under a partition | INCOMPLETE
    verdicts: dict[str, str]  # under a partition
    own: dict[str, str] | None = None  # under the spec's own budget, when it has no partition
    failures: dict[str, str] = field(default_factory=dict)  # property -> diagram path ("" when not drawn)
    result: CheckResult | None = None
    interrupted: bool = False  # Ctrl-C stopped one of its two searches: the row is partial

    @property
    def under_partition(self) -> str:
        return self.label

    @property
    def both(self) -> bool:
        return self.label == BOTH

    def to_json(self) -> dict:
        """The row in cap --json (docs/json.md): each label an identifier."""
        return {"file": self.file, "system": self.system, "reads": label_id(self.reads),
                "writes": label_id(self.writes), "label": label_id(self.label), "verdicts": self.verdicts,
                "own_budget": self.own, "failures": self.failures}


# the labels as JSON gives them: identifiers (the table keeps its words)
LABEL_IDS = {"C and A": "C_and_A", "INCOMPLETE": "incomplete"}


def label_id(label: str) -> str:
    return "both" if label == BOTH else LABEL_IDS.get(label, label)


def partitioned(cfg: SystemConfig) -> SystemConfig:
    """The spec as CAP sees it: a partition may happen, clients are on both
    sides of it, and there is a read and a write to judge."""
    return replace(cfg, partitions=max(1, cfg.partitions), client_partitions=True,
                   read_count=max(1, cfg.read_count), writes=max(1, cfg.writes),
                   checks=CHECKS, invariants=(), reachables=(), lemmas=())


def label_of(consistent: bool, available: bool) -> str:
    if consistent and available:
        return BOTH
    return "CP" if consistent else "AP" if available else "neither"


def labels(verdicts: dict[str, str]) -> tuple[str, str, str]:
    """(reads, writes, system) labels from the verdicts under a partition."""
    if any(v not in (HOLDS, VIOLATED) for v in verdicts.values()):
        return "INCOMPLETE", "INCOMPLETE", "INCOMPLETE"
    c = verdicts[CONSISTENCY] == HOLDS
    reads, writes = verdicts[READS] == HOLDS, verdicts[WRITES] == HOLDS
    read_label = "C and A" if c and reads and not writes else label_of(c, reads)  # writes refused
    return read_label, label_of(c, writes), label_of(c, reads and writes)


UNDER_PARTITION, OWN_FAULTS = "under a partition", "under its own faults"  # the two searches of a row


def analyse(cfg: SystemConfig, file: str, *, max_states: int | None = None, max_memory: int | None = None,
            progress: Callable[[str], explicit.Progress | None] | None = None) -> CapRow:
    """One spec's row; each of its searches stops at max_states states or
    max_memory bytes (INCOMPLETE). `progress`, given which search starts
    (UNDER_PARTITION, then OWN_FAULTS), gives that search's progress callback."""
    from .semantics.build import build_model

    told = progress or (lambda phase: None)
    result = search.check(build_model(partitioned(cfg)), max_states=max_states, max_memory=max_memory,
                          stop_when_decided=False, progress=told(UNDER_PARTITION))
    verdicts = {p.name: p.verdict for p in result.properties}
    reads, writes, label = labels(verdicts)
    own = None
    stopped = result.stats.bound == explicit.INTERRUPTED
    if not cfg.partitions and not stopped:  # after Ctrl-C, the second search is not started
        alone = search.check(build_model(replace(cfg, checks=CHECKS, invariants=(), reachables=(), lemmas=())),
                             max_states=max_states, max_memory=max_memory, stop_when_decided=False,
                             progress=told(OWN_FAULTS))
        own = {p.name: p.verdict for p in alone.properties}
        stopped = alone.stats.bound == explicit.INTERRUPTED
    failures = {p.name: "" for p in result.properties if p.verdict == VIOLATED}
    return CapRow(file, cfg.name, reads, writes, label, verdicts, own, failures, result, stopped)


def _yes(verdict: str | None) -> str:
    return {HOLDS: "yes", VIOLATED: "no"}.get(verdict or "", "?")


HEADER = "system   (C = linearizable, A = available; under a partition with clients on both sides)"


def spec_width(files: list[str]) -> int:
    """The width of the spec column, from every file to be labelled (known before the first row)."""
    return max([len(Path(f).name) for f in files] + [4])


# the reads and writes columns fit their longest label: the header is printed
# before any row, and each row on its own as its spec is done
LABEL_WIDTH = len("INCOMPLETE")


def header(width: int) -> str:
    from .render.text import grid

    return grid([("spec", width), ("reads", LABEL_WIDTH), ("writes", LABEL_WIDTH), (HEADER, 0)], [])


def row_lines(r: CapRow, width: int, *, color: bool = False) -> str:
    """One spec's row and the lines under it, as `capmodel cap` prints them when the spec is done."""
    from .render.text import grid

    lines = [grid([("", width), ("", LABEL_WIDTH), ("", LABEL_WIDTH), ("", 0)], [(Path(r.file).name, r.reads, r.writes, r.label)],
                  header=False, styled=3, color=color)]
    if r.own is not None:
        lines.append(f"{'':<{width}}    without a partition (its own faults): C {_yes(r.own[CONSISTENCY])}, "
                     f"A for reads {_yes(r.own[READS])}, A for writes {_yes(r.own[WRITES])}")
    for prop, path in r.failures.items():
        lines.append(f"{'':<{width}}    fails {prop}" + (f": {path}" if path else ""))
    return "\n".join(lines)


def table(rows: list[CapRow], *, color: bool = False) -> str:
    width = spec_width([r.file for r in rows])
    return "\n".join([header(width)] + [row_lines(r, width, color=color) for r in rows])
