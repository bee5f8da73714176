"""`python -m generate store verify [--repair]`: check a whole store and say what is wrong.

Every stored JSON (stage results, their parameters, manifests, scan verdicts) is checked
against its checksums, with the files it vouches for; trained models and decoded dataset
caches are loaded. `--repair` removes what is corrupt (a result's JSON, which marks it
complete; a training's metrics.json) and leftover temporaries, so the next run recomputes
exactly that. Files that belong to no stored result (a save cut short) are harmless and only
counted; `--repair` removes them too.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from generate.errors import AtlasError
from generate.store.integrity import CorruptResult, companions, problem, read_sealed, sums_path
from generate.store.lock import store_lock
from generate.store.stage_store import TMP_PREFIX, remove

UNSEALED_AREAS = ("trained", "datasets")  # written by `train`, checked by loading them


@dataclass
class Finding:
    path: Path  # what --repair removes
    problem: str


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    strays: list[Path] = field(default_factory=list)  # files of no stored result
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        self.checked[kind] = self.checked.get(kind, 0) + 1


def _kind(path: Path, root: Path) -> str:
    top = path.relative_to(root).parts[0]
    if top in ("manifests", "scans"):
        return {"manifests": "manifest", "scans": "scan cache"}[top]
    return "parameter file" if path.name == "params.json" else "stored result"


def _check_sealed(root: Path, report: Report) -> None:
    """Every sealed JSON and the files it vouches for; files nothing vouches for are strays."""
    vouched: set[Path] = set()
    folders: set[Path] = set()
    for path in sorted(root.rglob("*.json")):
        if path.relative_to(root).parts[0] in UNSEALED_AREAS:
            continue
        report.count(_kind(path, root))
        folders.add(path.parent)
        vouched.update([sums_path(path)] + [path.parent / name for name in companions(path)])
        why = problem(path)
        if why:
            report.findings.append(Finding(path, why))
    for folder in sorted(folders):
        report.strays += [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix != ".json"
                          and p not in vouched and not p.name.startswith(TMP_PREFIX)]


def _check_trained(root: Path, report: Report) -> None:
    """Finished trainings (metrics.json present), by their checksums; one trained before the
    checksums cannot be checked (its weights would load even with a flipped byte)."""
    for metrics in sorted((root / "trained").glob("*/metrics.json")):
        report.count("trained model")
        if not sums_path(metrics).is_file():
            report.notes.append(f"{metrics.parent} has no checksums (trained by an older version): retrain it "
                                f"to have it checked")
            continue
        try:
            read_sealed(metrics)
        except CorruptResult as exc:
            report.findings.append(Finding(metrics, str(exc).removeprefix(f"{metrics} is corrupt: ")))


def _check_datasets(root: Path, report: Report) -> None:
    """Decoded dataset caches: each split's labels file marks it complete; both must load."""
    import numpy as np

    for labels in sorted((root / "datasets").glob("*/*-labels.npy")):
        report.count("dataset cache")
        images = labels.with_name(labels.name.replace("-labels", "-images"))
        try:
            count = len(np.load(images, mmap_mode="r"))
            if count != len(np.load(labels)):
                raise ValueError("images and labels differ in number")
        except Exception as exc:  # as above
            report.findings.append(Finding(labels, str(exc)))


def _print(report: Report, root: Path, repair: bool) -> None:
    checked = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(report.checked.items()))
    print(f"store {root}: checked {checked or 'nothing (empty store)'}")
    for note in report.notes:
        print(f"note: {note}")
    for finding in report.findings:
        print(f"{'removed' if repair else 'corrupt'}: {finding.path}: {finding.problem}")
    if report.strays:
        print(f"{'removed' if repair else 'note:'} {len(report.strays)} file(s) that belong to no stored result "
              f"(left by saves cut short; harmless)")
    if not report.findings:
        print("the store is sound")
    elif repair:
        print(f"repaired {len(report.findings)} problem(s): the next run recomputes what they held")
    else:
        print(f"{len(report.findings)} problem(s): `python -m generate store verify --repair` removes them "
              f"and the next run recomputes what they held")


def verify_store(root: Path, repair: bool = False) -> int:
    """Check (and with `repair`, fix) the store at `root`; returns the exit code (1: problems left)."""
    root = Path(root)
    if not root.is_dir():
        raise AtlasError(f"no store at {root}")
    with store_lock(root, purpose="verify"):
        report = Report()
        for temporary in sorted(root.rglob(f"{TMP_PREFIX}*")):
            report.findings.append(Finding(temporary, "temporary file left by an interrupted write"))
        _check_sealed(root, report)
        _check_trained(root, report)
        _check_datasets(root, report)
        if repair:
            for path in [f.path for f in report.findings] + report.strays:
                remove(path)
                if path.suffix == ".json":
                    remove(sums_path(path))
        _print(report, root, repair)
    sys.stdout.flush()
    return 0 if repair or not report.findings else 1

