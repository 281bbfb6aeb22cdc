"""The jobs and notify rooms take narrow Protocols (jobs/ports.py, notify/ports.py), never the composition
root's `Services`; Huey is known only to jobs/ and the composition root."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", "tests", "bench", "scripts"}


def imported_roots(path: Path) -> set[str]:
    """Every top-level package a module imports, under TYPE_CHECKING or inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def project_modules() -> list[Path]:
    return [path for path in ROOT.rglob("*.py") if not SKIPPED & set(path.relative_to(ROOT).parts)]


def test_no_module_of_jobs_or_notify_imports_the_composition_root() -> None:
    offenders = [str(path.relative_to(ROOT)) for room in ("jobs", "notify") for path in (ROOT / room).glob("*.py")
                 if "bootstrap" in imported_roots(path)]
    assert offenders == []


def test_huey_is_imported_only_by_jobs_and_the_composition_root() -> None:
    users = {str(path.relative_to(ROOT)) for path in project_modules() if "huey" in imported_roots(path)}
    assert users and all(user.startswith("jobs/") or user == "bootstrap.py" for user in users), users
