"""What the web tests put in the ledger and on disk: source folders, and backup jobs in each state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backup.groups import join_group

DEVICE = "emulated:0"


def source_tree(root: Path, files: int = 3) -> Path:
    """A small folder of Chinese-named files under `root`, returned."""
    for number in range(files):
        folder = root / f"部门{number % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"报告{number}.txt").write_text(f"第{number}号报告\n" * 50, encoding="utf-8")
    return root


def requested(services: Any, key: str, *, group: str = "2026-12", kind: str = "manual", sources: list[str] | None = None,
              by: str = "operator") -> str:
    """A backup job recorded and waiting for the worker; its id."""
    job, _ = services.ledger.request_backup(key, kind=kind, sources=sources or ["/srv/财务"], group=group, params={},
                                            by=by)
    services.catch_up()
    return str(job.id)


def finished(services: Any, key: str, *, group: str = "2026-12", bytes_in: int = 8 << 20, packed_pct: int = 40,
             seconds: float = 4.0, files: int = 12) -> str:
    """A backup job that ran to the end on the emulated drive with these figures; its id."""
    job_id = requested(services, key, group=group)
    ledger, host = services.ledger, services.settings.host_name
    ledger.register_drive(host, DEVICE, vendor="IBM", product="ULT3580-HH9", serial="1", by="测试")
    ledger.start_job_on_drive(host, DEVICE, lambda: ledger.backup_job(job_id))
    join_group(services, group, job_id, by="operator")
    figures = {"files": files, "bytes_in": bytes_in, "bytes_packed": bytes_in * packed_pct // 100, "packages": 1,
               "cartridges": ["TAF001L9"], "seconds": seconds, "warnings": 0, "tape_notes": [], "chain_head": ""}
    ledger.complete_job_on_drive(host, DEVICE, lambda: ledger.backup_job(job_id), figures, [])
    services.catch_up()
    return job_id


def waiting(services: Any, key: str, reason: str = "没有可写入的磁带") -> str:
    """A backup job that started and waits for a cartridge; no process runs it any more. Its id."""
    job_id = requested(services, key)
    ledger, host = services.ledger, services.settings.host_name
    ledger.register_drive(host, DEVICE, vendor="IBM", product="ULT3580-HH9", serial="1", by="测试")
    ledger.start_job_on_drive(host, DEVICE, lambda: ledger.backup_job(job_id))

    def ask() -> Any:
        job = ledger.backup_job(job_id)
        job.request_tape_change("", reason, f"请将一盘空白磁带装入驱动器 {DEVICE}")
        return job

    ledger.change(ask)
    services.catch_up()
    return job_id


def fresh_installation(patch: Any, folder: Path, **settings: str) -> None:
    """The environment of a new installation under `folder` — no .env, no stray TAF keys, data and logs
    inside it — with `settings` on top (a module's own server or app, where `taf_env` cannot serve)."""
    from config.settings import DEFAULTS

    for key in DEFAULTS:
        patch.delenv(key, raising=False)
    patch.delenv("TAF_USER", raising=False)
    patch.setenv("TAF_ENV_FILE", str(folder / "absent.env"))
    patch.setenv("DATA_DIR", str(folder / "data"))
    patch.setenv("LOG_FILE", str(folder / "logs" / "application.log"))
    for key, value in settings.items():
        patch.setenv(key, value)


def installed(patch: Any, folder: Path, **settings: str) -> Any:
    """A new installation under `folder` (see `fresh_installation`) built, with one user per role."""
    from app.facade import make_app
    from bootstrap import build
    from tests.web.conftest import PASSWORD, ROLES

    fresh_installation(patch, folder, **settings)
    services = build()
    for role in ROLES:
        make_app(services).users.add(role, role, PASSWORD, actor="测试")
    return services


@contextmanager
def served(services: Any, app: Any = None) -> Iterator[str]:
    """`services` (or `app` over them) on uvicorn in a thread on a free loopback port; its base URL.
    On leaving, the server stops and the services close."""
    import threading
    import time

    import uvicorn

    from ledger import clock
    from tests.web.test_serve import free_port
    from web.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app or create_app(services), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn 没有在 30 秒内启动"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        services.close()
        clock.start_at(None)
