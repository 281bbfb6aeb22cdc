"""What import-linter cannot say: only the composition root's callers import `bootstrap`.

import-linter takes packages only, and `bootstrap` is a module; so this test reads every module's
imports (including those under TYPE_CHECKING and inside functions) and checks that no room below the
CLI reaches for the composition root: a use case declares what it needs (its `ports` Protocols)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("kernel", "config", "tape", "ledger", "projections", "backup", "restore", "jobs", "notify", "media",
         "app", "web", "tui")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_room_imports_the_composition_root() -> None:
    offenders = []
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            if {"bootstrap", "main"} & {name.split(".")[0] for name in imported_modules(path)}:
                offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


def test_the_reader_sees_imports_inside_functions_and_type_checking_blocks(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bootstrap import Services\n"
                      "def f():\n    import main\n", encoding="utf-8")
    assert {"bootstrap", "main"} <= imported_modules(module)
