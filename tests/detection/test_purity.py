"""tracker.detection stays pure: no ORM, network, settings or other tracker modules, no print."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import tracker.detection

PACKAGE = Path(tracker.detection.__file__).parent
ALLOWED_THIRD_PARTY = {"numpy", "scipy"}


def imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_package_imports_only_the_standard_library_numpy_scipy_and_itself() -> None:
    for source in sorted(PACKAGE.glob("*.py")):
        for name in imported_modules(source):
            top = name.split(".")[0]
            allowed = (
                name == "tracker.detection"
                or name.startswith("tracker.detection.")
                or top in ALLOWED_THIRD_PARTY
                or (top in sys.stdlib_module_names and top != "tracker")
            )
            assert allowed, f"{source.name} imports {name}"


def test_the_package_does_not_print() -> None:
    for source in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            called = node.func if isinstance(node, ast.Call) else None
            assert not (isinstance(called, ast.Name) and called.id == "print"), source.name
