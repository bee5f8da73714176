"""The code's shape, checked by reading the imports (AST): dependencies run one way.

cli -> stages -> {models, analysis, store, data, records}; site -> {store, records, analysis}.
analysis/ and site/ import no torch, no stage and no model; records import nothing of ours
but records; nothing below imports what stands above it, and no package imports another in a
cycle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "generate"
MAX_MODULE_LINES = 400

# package (first component under generate/) -> packages it may import. Modules at the top of
# generate/ count as packages of their own name.
ALLOWED = {
    "errors": set(),
    "cores": set(),
    "allocator": set(),
    "progress": set(),
    "records": set(),
    "config": {"errors"},
    "sources": {"errors", "config", "progress"},
    "analysis": {"records", "config", "errors"},
    "store": {"records", "errors", "config", "cores"},
    "data": {"errors", "config", "store", "records", "sources", "progress"},
    "models": {"records", "errors", "config", "store", "sources"},
    "stages": {"models", "analysis", "store", "data", "records", "config", "errors", "sources", "progress", "cores",
               "allocator"},
    "site": {"store", "records", "analysis", "config", "errors", "progress", "cores"},
    "train": {"models", "data", "store", "config", "errors", "progress"},
    "bench": {"models", "stages", "data", "config", "records", "errors", "sources", "site", "store", "analysis",
              "cores"},
    "audit": {"site", "store", "records", "analysis", "config", "errors"},
    "cli": {"stages", "site", "models", "store", "train", "bench", "config", "errors", "data", "records", "sources",
            "cores", "audit", "allocator"},
}
NO_TORCH = {"audit", "analysis", "site", "records", "store", "config", "errors", "sources", "progress", "cores",
            "allocator"}


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> set[str]:
    """Every module name imported anywhere in the file (function-level imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _ours(name: str) -> str | None:
    """generate.X.Y -> X (None for other packages, and for `generate` itself: the version)."""
    parts = name.split(".")
    return parts[1] if parts[0] == "generate" and len(parts) > 1 else None


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path):
    package = _package(path)
    if package in ("__init__", "__main__"):
        return
    assert package in ALLOWED, f"{package}: add the new package to ALLOWED with the layers it may use"
    imported = {_ours(name) for name in _imports(path)} - {None, package}
    imported = {name for name in imported if (ROOT / f"{name}.py").is_file() or (ROOT / name).is_dir()}
    wrong = imported - ALLOWED[package]
    assert not wrong, f"{path.relative_to(ROOT)} ({package}) imports {sorted(wrong)}: not allowed"
    if package in NO_TORCH:
        torchy = {name for name in _imports(path) if name.split(".")[0] in ("torch", "torchvision", "lucent")}
        assert not torchy, f"{path.relative_to(ROOT)} must not import torch: {sorted(torchy)}"


def test_no_package_cycles():
    graph: dict[str, set[str]] = defaultdict(set)
    for path in _modules():
        package = _package(path)
        graph[package] |= {name for name in map(_ours, _imports(path)) if name and name != package}
    seen, stack = set(), []

    def visit(node: str) -> None:
        assert node not in stack, f"import cycle: {' -> '.join(stack[stack.index(node):] + [node])}"
        if node in seen:
            return
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt)
        stack.pop()
        seen.add(node)

    for node in sorted(graph):
        visit(node)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_short(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it along its jobs"
