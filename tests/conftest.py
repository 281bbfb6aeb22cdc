"""Fixtures shared by every room's tests: an isolated data folder, services on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.settings import DEFAULTS
from ledger import clock


@pytest.fixture(scope="session")
def seven_zip() -> str:
    """The 7-Zip command-line program (7zz from Debian's 7zip, or 7z from p7zip-full).

    Missing, it fails the test rather than skipping it: `make test` installs it.
    """
    import shutil

    for name in ("7zz", "7z"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("没有安装 7-Zip 程序：请运行 make test（会安装它），或 apt-get install 7zip")


@pytest.fixture
def taf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean configuration: no .env, no stray TAF keys, data and logs under tmp_path."""
    for key in list(DEFAULTS):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("TAF_USER", raising=False)
    monkeypatch.setenv("TAF_ENV_FILE", str(tmp_path / "absent.env"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LOG_FILE", str(tmp_path / "logs" / "application.log"))
    yield tmp_path
    clock.start_at(None)


def postgres_url(suffix: str) -> str:
    from tests.ledger.pg import PG_HOST, PG_PORT, PG_USER, pg_test_env

    env = pg_test_env(suffix)
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{env['POSTGRES_DBNAME']}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_kind(request: pytest.FixtureRequest, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once on the embedded SQLite store and once on the real PostgreSQL server."""
    if request.param == "postgresql":
        monkeypatch.setenv("DATABASE_URL", postgres_url("app"))
    return str(request.param)


@pytest.fixture
def services(store_kind: str) -> Iterator[object]:
    from bootstrap import build

    built = build()
    yield built
    built.close()


@pytest.fixture
def sqlite_services(taf_env: Path) -> Iterator[object]:
    from bootstrap import build

    built = build()
    yield built
    built.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> object:
        import json

        return json.loads(self.out)


def run_cli(*args: str, stdin: str | None = None) -> CliResult:
    """Run `python main.py ARGS` in this process (so coverage sees it) and capture its output."""
    from cli.app import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin) if stdin is not None else _TtyStdin()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        sys.stdin = old_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


class _TtyStdin(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def cli(taf_env: Path):  # noqa: ANN201
    return run_cli
