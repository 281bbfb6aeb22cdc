"""The web tier keeps no state of its own: with the progress model on the real Redis (a scale-out
site), a job run in one process is followed from a second web app built over a second set of
services, which never saw the job start."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from app.facade import make_app
from tests.web.conftest import PASSWORD, sign_in
from tests.web.test_live import events as sse_messages
from web.app import create_app


@pytest.fixture
def two_tiers(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    from bootstrap import build

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("REDIS_KEY_PREFIX", f"taf-web-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("COMPRESSION_LEVEL", "1")
    first, second = build(), build()
    make_app(first).users.add("operator", "操作员", PASSWORD, actor="测试")
    yield first, second
    first.close()
    second.close()


def test_a_second_web_process_shows_the_same_job_from_redis(two_tiers: tuple[Any, Any], taf_env: Path) -> None:
    first, second = two_tiers
    source = taf_env / "源数据"
    source.mkdir()
    for number in range(20):
        (source / f"记录{number}.txt").write_text(f"第{number}行\n" * 20_000, encoding="utf-8")
    job = make_app(first).backups.start([str(source)], actor="operator", level=1, wait=True).job_id
    runner = threading.Thread(target=make_app(first).backups.run, args=(job,), kwargs={"actor": "operator"})

    with TestClient(app=create_app(first)) as one, TestClient(app=create_app(second)) as other:
        sign_in(one, "operator")
        sign_in(other, "operator")
        runner.start()
        stream = sse_messages(other.get(f"/api/v1/jobs/{job}/events").text)  # until the job is done
        runner.join(120)
        updates = [json.loads(m["data"]) for m in stream if m.get("event") == "progress"]
        assert updates and updates[-1]["phase"] == "done" and stream[-1]["event"] == "done"
        assert second.progress is not first.progress and type(second.progress).__name__ == "RedisProgress"
        seen_by_one = one.get(f"/api/v1/backups/{job}").json()
        seen_by_other = other.get(f"/api/v1/backups/{job}").json()
        assert seen_by_one["progress"] == seen_by_other["progress"]
        assert seen_by_other["progress"]["phase"] == "done" and seen_by_other["progress"]["packages_written"] >= 1
