"""The import rule of docs/architecture.md, held: dhrbuild's modules import only down the stack."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "dhrbuild"

# Each layer of docs/architecture.md's stack, top first; a module's layer is the first prefix
# that matches its dotted name (a folder's prefix covers everything in it).
LAYERS: list[tuple[str, ...]] = [
    ("dhrbuild.__main__", "dhrbuild.cli", "dhrbuild.serve"),
    ("dhrbuild.handoff",),
    ("dhrbuild.pipeline",),
    (
        "dhrbuild.checks",
        "dhrbuild.size",
        "dhrbuild.build",
        "dhrbuild.render",
        "dhrbuild.inputs.parts",
        "dhrbuild.inputs.findings",
    ),
    ("dhrbuild.manifest", "dhrbuild.order"),
    # word.py (LibreOffice) sits with the plan: .xls and .ods plans are converted by it.
    ("dhrbuild.inputs.action_plan", "dhrbuild.dates", "dhrbuild.inputs.word"),
    (
        "dhrbuild.pdf",
        "dhrbuild.atomic",
        "dhrbuild.words",
        "dhrbuild.placeholders",
        "dhrbuild.textfile",
        "dhrbuild.errors",
        "dhrbuild._version",
    ),
]


def _layer(module: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every dhrbuild module ``path`` imports, at any depth of the file, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("dhrbuild")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "dhrbuild":  # from dhrbuild import errors
                found += [(node.lineno, f"dhrbuild.{a.name}") for a in node.names]
            elif node.module.startswith("dhrbuild."):
                found.append((node.lineno, node.module))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    lost = [_module_name(p) for p in MODULES if p.name != "__init__.py"]
    lost = [m for m in lost if _layer(m) is None]
    assert lost == [], "add these modules to LAYERS and to docs/architecture.md"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_stack(path: Path) -> None:
    name = _module_name(path)
    own = _layer(name)
    if own is None:  # dhrbuild/__init__.py: the lazy public face, above everything
        return
    upward = [
        f"line {line}: {target}"
        for line, target in _imports(path)
        if (rank := _layer(target)) is not None and rank < own
    ]
    assert upward == [], f"{name} imports from a layer above it"
