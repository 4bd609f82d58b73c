"""The layering of docs/architecture.md, checked from the imports so that it stays true.

Read from the source with :mod:`ast` (every ``import`` counts, a function-local one too): Flask
only at the edge, the database layer knowing no ADQL or protocol, the Phase 3 format knowing
no database, and no import cycle — between modules anywhere, nor between packages once the
edge (views, the web app, the CLI) is set aside.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "soxsvo"
WEB_FRAMEWORKS = ("flask", "flask_wtf", "werkzeug")


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _imports() -> dict[str, set[str]]:
    """Every soxsvo module and the modules it imports.

    ``from a import b`` imports module ``a.b`` when there is one (and then ``a`` only as the
    package it lives in, not its ``__init__``'s re-exports), else a name of module ``a``.
    """
    modules = {_module(path): path for path in PACKAGE.rglob("*.py")}
    found = {}
    for module, path in modules.items():
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    names.add(sub if sub in modules else node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module] = names
    return found


def _soxsvo_edges() -> Iterator[tuple[str, str]]:
    modules = _imports()
    for source, names in modules.items():
        for name in names:
            if name in modules and name != source:
                yield source, name


def _is_edge(module: str) -> bool:
    """Views, the web layer, the DAL blueprint and the command line: the interfaces."""
    parts = module.split(".")
    if len(parts) < 2:
        return False
    return (parts[1] in ("web", "cli") or parts[-1] == "views" or "views" in parts[2:-1]
            or module == "soxsvo.dali.blueprint")


def _cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_flask_only_at_the_edge() -> None:
    offenders = sorted(module for module, names in _imports().items()
                       if not _is_edge(module)
                       and any(n.split(".")[0] in WEB_FRAMEWORKS for n in names))
    assert offenders == [], f"Flask imported below the views: {offenders}"


@pytest.mark.parametrize(("package", "allowed"), [
    # The database layer: connections, cluster, migrations, metadata; no ADQL, no protocol.
    ("soxsvo.db", {"soxsvo.db", "soxsvo.config", "soxsvo.errors", "soxsvo.utils"}),
    # The ESO Phase 3 format: files and rules, never the database or the archive.
    ("soxsvo.phase3", {"soxsvo.phase3", "soxsvo.errors", "soxsvo.utils"}),
    # Streaming writers know columns and rows, never queries.
    ("soxsvo.formats", {"soxsvo.formats", "soxsvo.db.metadata", "soxsvo.errors"}),
    # ADQL: the language and its translation; it runs no query.
    ("soxsvo.adql", {"soxsvo.adql", "soxsvo.db.metadata", "soxsvo.errors"}),
    ("soxsvo.errors", {"soxsvo.errors"}),
    ("soxsvo.utils", {"soxsvo.utils", "soxsvo.errors"}),
])
def test_lower_layers_import_only_below(package: str, allowed: set[str]) -> None:
    wrong = sorted(f"{a} -> {b}" for a, b in _soxsvo_edges()
                   if (a == package or a.startswith(package + "."))
                   and not any(b == ok or b.startswith(ok + ".") for ok in allowed))
    assert wrong == [], f"{package} reaches above its layer: {wrong}"


def test_no_module_import_cycle() -> None:
    assert _cycles(set(_soxsvo_edges())) == []


def test_no_package_cycle_below_the_edge() -> None:
    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    edges = {(package(a), package(b)) for a, b in _soxsvo_edges()
             if not _is_edge(a) and package(a) != package(b)}
    assert _cycles(edges) == []


def test_job_worker_and_cli_load_no_web_framework() -> None:
    # A UWS job worker and the command line must not pay for (or depend on) the web layer.
    code = ("import sys, soxsvo.tap.uws.worker, soxsvo.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{WEB_FRAMEWORKS!r}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
