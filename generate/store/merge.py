"""Merging stores computed apart (shards of a batch job, CI matrix legs) into one.

A store is content-addressed: a result's folder is named by the hash of everything that
determines it, and the same inputs give the same bytes. Merging is therefore copying what the
destination lacks; a file present on both sides must be identical, else it is a conflict, which
is reported and never overwritten. Within a folder a unit's companion files are copied before
its JSON (the completion marker), each atomically, so an interrupted merge leaves a store that
the next run completes. Merging the same stores twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from generate.store.stage_store import TMP_PREFIX, atomic_write

# each run writes its own manifest (the final run rewrites it) and logs its own cost (runlog.py)
SKIPPED = ("manifests", "runs.jsonl")


@dataclass
class MergeReport:
    copied: int = 0
    identical: int = 0
    conflicts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.copied} file(s) copied, {self.identical} already there"
                + (f", {len(self.conflicts)} conflict(s)" if self.conflicts else ""))


def _files(root: Path) -> list[Path]:
    """Every result file under `root`, companions before unit JSONs, folder by folder."""
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(TMP_PREFIX)
             and p.relative_to(root).parts[0] not in SKIPPED and not p.name.endswith(".lock")]
    return sorted(files, key=lambda p: (p.parent.as_posix(), p.suffix == ".json" and p.name != "params.json",
                                        p.name))


def merge_store(source: Path, destination: Path, report: MergeReport | None = None,
                progress: bool = True) -> MergeReport:
    """Copy what `destination` lacks from `source`; identical files are skipped, differing ones reported."""
    report = report or MergeReport()
    files = _files(source)
    for path in tqdm(files, desc=f"merging {source}", unit="file", disable=not progress):
        relative = path.relative_to(source)
        target = destination / relative
        data = path.read_bytes()
        if not target.exists():
            atomic_write(target, data)
            report.copied += 1
        elif target.read_bytes() == data:
            report.identical += 1
        else:
            report.conflicts.append(str(relative))
    return report
