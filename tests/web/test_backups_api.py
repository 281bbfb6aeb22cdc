"""The backup API: a job is accepted with 202 and queued (never run in the request), once per key;
bad input answers 400/403/404 in Chinese and records nothing; the folder browser stays within the
allowed roots; the history filters; one job, its ledger events and its controls; the groups."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.facade import make_app
from tests.web.conftest import headers, sign_in
from tests.web.seed import finished, requested, source_tree


@pytest.fixture(autouse=True)
def roots(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BACKUP_ALLOWED_ROOTS = <tmp>/源数据, holding 财务 and 人事; a folder outside it too."""
    root = taf_env / "源数据"
    source_tree(root / "财务")
    source_tree(root / "人事")
    source_tree(taf_env / "范围外")
    monkeypatch.setenv("BACKUP_ALLOWED_ROOTS", str(root))
    return root


def queued(services: Any) -> int:
    """Jobs waiting in the worker's queue (SqliteHuey under the data folder)."""
    from bootstrap import make_queue

    return int(make_queue(services.settings).pending_count())


def jobs(services: Any) -> int:
    return len(make_app(services).backups.history(limit=100).jobs)


def test_a_backup_is_accepted_with_202_and_queued_and_a_key_never_makes_a_second_job(client, web_services,
                                                                                      roots) -> None:  # noqa: ANN001
    sign_in(client, "operator")
    body = {"sources": [str(roots / "财务")], "group": "2026-11", "level": 3, "idempotency_key": "网页-1"}
    first = client.post("/api/v1/backups", json=body, headers=headers(client))
    assert first.status_code == 202, first.text
    answer = first.json()
    assert answer["created"] is True and answer["status"] == "requested" and answer["status_text"] == "已提交"
    assert answer["status_url"] == f"/api/v1/backups/{answer['job_id']}"
    assert answer["events_url"] == f"/api/v1/jobs/{answer['job_id']}/events"
    assert queued(web_services) == 1  # handed to the worker, not run here
    again = client.post("/api/v1/backups", json=body, headers=headers(client))
    assert again.status_code == 202 and again.json()["job_id"] == answer["job_id"] and again.json()["created"] is False
    by_header = client.post("/api/v1/backups", json={"sources": [str(roots / "人事")]},
                            headers=headers(client, **{"Idempotency-Key": "web-2"}))
    repeated = client.post("/api/v1/backups", json={"sources": [str(roots / "人事")]},
                           headers=headers(client, **{"Idempotency-Key": "web-2"}))
    assert by_header.json()["job_id"] == repeated.json()["job_id"] and repeated.json()["created"] is False
    assert queued(web_services) == 2 and jobs(web_services) == 2
    shown = client.get(answer["status_url"]).json()
    assert shown["summary"]["group"] == "2026-11" and shown["summary"]["sources"] == [str(roots / "财务")]
    assert shown["progress"] is None  # the worker has not started it


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"sources": []}, 400, "请至少选择或输入一个备份源目录"),
    ({"sources": ["  "]}, 400, "请至少选择或输入一个备份源目录"),
    ({}, 400, "sources"),
    ({"sources": "/srv"}, 400, "sources"),
    ({"sources": ["财务"]}, 400, "请写完整的路径"),
    ({"sources": ["{root}/财务"], "level": 12}, 400, "压缩级别"),
    ({"sources": ["{root}/财务"], "level": "九"}, 400, "level"),
    ({"sources": ["{root}/财务"], "group": "2026-13"}, 400, "2026-13"),
    ({"sources": ["{root}/不存在"]}, 400, "不存在"),
    ({"sources": ["{root}/财务/部门0/报告0.txt"]}, 400, "不是目录"),
    ({"sources": ["{tmp}/范围外"]}, 403, "不在允许的备份范围内"),
    ({"sources": ["{root}/../范围外"]}, 403, "不在允许的备份范围内"),
])
def test_bad_input_answers_in_chinese_and_records_nothing(client, web_services, roots, body, status,
                                                          words) -> None:  # noqa: ANN001
    def filled(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(root=roots, tmp=roots.parent)
        return [filled(item) for item in value] if isinstance(value, list) else value

    sign_in(client, "operator")
    answer = client.post("/api/v1/backups", json={key: filled(value) for key, value in body.items()},
                         headers=headers(client))
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"] and answer.json()["status_code"] == status
    assert jobs(web_services) == 0 and queued(web_services) == 0


def test_a_source_reached_through_a_link_to_outside_the_roots_is_refused(client, web_services, roots) -> None:  # noqa: ANN001
    os.symlink(roots.parent / "范围外", roots / "捷径")
    sign_in(client, "operator")
    answer = client.post("/api/v1/backups", json={"sources": [str(roots / "捷径")]}, headers=headers(client))
    assert answer.status_code == 403 and "不在允许的备份范围内" in answer.json()["detail"]
    listed = client.get("/api/v1/backups/folders", params={"path": str(roots)}).json()
    assert [entry["name"] for entry in listed["folders"]] == ["人事", "财务"]  # the link is not offered


def test_the_folder_browser_lists_the_roots_then_their_folders_and_nothing_outside(client, roots) -> None:  # noqa: ANN001
    sign_in(client, "auditor")
    top = client.get("/api/v1/backups/folders").json()
    assert top["confined"] is True and top["roots"] == [str(roots)] and top["parent"] is None
    assert top["folders"] == [{"name": str(roots), "path": str(roots)}]
    inside = client.get("/api/v1/backups/folders", params={"path": str(roots / "财务")}).json()
    assert inside["parent"] == str(roots) and [e["name"] for e in inside["folders"]] == ["部门0", "部门1"]
    assert client.get("/api/v1/backups/folders", params={"path": str(roots)}).json()["parent"] == ""
    outside = client.get("/api/v1/backups/folders", params={"path": "/etc"})
    assert outside.status_code == 403 and "/etc 不在允许的备份范围内" in outside.json()["detail"]
    missing = client.get("/api/v1/backups/folders", params={"path": str(roots / "没有")})
    assert missing.status_code == 404 and "目录不存在" in missing.json()["detail"]
    page = client.get("/backups/folders", params={"path": str(roots / "财务")}, headers={"hx-request": "true"})
    assert page.status_code == 200 and f'data-add-source="{roots / "财务" / "部门0"}"' in page.text


def test_without_roots_a_path_is_typed_and_the_browser_says_so(client, monkeypatch, taf_env) -> None:  # noqa: ANN001
    monkeypatch.delenv("BACKUP_ALLOWED_ROOTS")
    from litestar.testing import TestClient

    from bootstrap import build
    from web.app import create_app

    services = build()
    make_app(services).users.add("op", "operator", "correct-horse-9", actor="测试")
    try:
        with TestClient(app=create_app(services)) as bare:
            sign_in(bare, "op")
            assert bare.get("/api/v1/backups/folders").json() == {
                "path": "", "parent": None, "roots": [], "folders": [], "more": 0, "confined": False}
            refused = bare.get("/api/v1/backups/folders", params={"path": "/srv"})
            assert refused.status_code == 400 and "请直接输入要备份的完整路径" in refused.json()["detail"]
            assert "请在左侧直接输入要备份的完整路径" in bare.get("/backups").text
            typed = bare.post("/api/v1/backups", json={"sources": [str(taf_env / "范围外")]}, headers=headers(bare))
            assert typed.status_code == 202
    finally:
        services.close()


def test_the_history_filters_by_status_kind_group_and_date(client, web_services) -> None:  # noqa: ANN001
    done = finished(web_services, "完成的", group="2026-10")
    waiting = requested(web_services, "等待的", group="2026-11")
    monthly = requested(web_services, "每月的", group="2026-11", kind="monthly")
    sign_in(client, "auditor")

    def listed(**query: Any) -> list[str]:
        answer = client.get("/api/v1/backups", params=query)
        assert answer.status_code == 200, answer.text
        return [job["job_id"] for job in answer.json()["jobs"]]

    assert set(listed()) == {done, waiting, monthly}
    assert listed(status="succeeded") == [done]
    assert listed(kind="monthly") == [monthly] and listed(kind="manual", group="2026-11") == [waiting]
    assert set(listed(group="2026-11")) == {waiting, monthly}
    today, yesterday = date.today().isoformat(), (date.today() - timedelta(days=1)).isoformat()
    assert len(listed(since=today, until=today)) == 3 and listed(until=yesterday) == []
    assert len(listed(limit=1)) == 1
    totals = client.get("/api/v1/backups").json()
    assert totals["by_status"] == {"succeeded": 1, "requested": 2} and totals["bytes_in"] == 8 << 20
    for query, words in [({"status": "done"}, "未知的任务状态"), ({"kind": "nightly"}, "未知的发起方式"),
                         ({"since": "2026-02-30"}, "日期“2026-02-30”无效"), ({"limit": 0}, "limit")]:
        answer = client.get("/api/v1/backups", params=query)
        assert answer.status_code == 400 and words in answer.json()["detail"], (query, answer.text)


def test_one_job_its_ledger_events_and_its_controls(client, web_services) -> None:  # noqa: ANN001
    job = requested(web_services, "控制")
    sign_in(client, "operator")
    events = client.get(f"/api/v1/backups/{job}/events").json()
    assert [(e["id"], e["event"], e["actor"]) for e in events] == [(1, "BackupJob.Requested", "operator")]
    paused = client.post(f"/api/v1/backups/{job}/pause", headers=headers(client))
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    again = client.post(f"/api/v1/backups/{job}/pause", headers=headers(client))
    assert again.status_code == 409 and "已暂停" in again.json()["detail"]
    resumed = client.post(f"/api/v1/backups/{job}/resume", headers=headers(client))
    assert resumed.status_code == 200 and resumed.json()["status"] == "requested" and queued(web_services) == 1
    cancelled = client.post(f"/api/v1/backups/{job}/cancel", json={"reason": "源目录选错了"}, headers=headers(client))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/backups/{job}/cancel", headers=headers(client)).status_code == 409
    later = client.get(f"/api/v1/backups/{job}/events", params={"after": 1}).json()
    assert [e["event"] for e in later] == ["Job.Paused", "Job.Resumed", "Job.Cancelled"]
    assert "源目录选错了" in later[-1]["summary"] and later[-1]["actor"] == "operator"
    for path in ("/api/v1/backups/00000000-0000-0000-0000-000000000000", "/api/v1/backups/不是编号/events"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json()["detail"], path
    assert client.post("/api/v1/backups/不是编号/pause", headers=headers(client)).status_code == 404


def test_the_groups_api_lists_the_backup_groups(client, web_services) -> None:  # noqa: ANN001
    finished(web_services, "十月", group="2026-10")
    sign_in(client, "auditor")
    groups = client.get("/api/v1/groups").json()
    assert [(g["name"], g["active"], g["runs"]) for g in groups] == [("2026-10", True, 1)]


def test_a_queue_that_is_down_answers_503_and_the_job_waits_for_the_worker(client, web_services, roots,
                                                                             monkeypatch) -> None:  # noqa: ANN001
    import bootstrap

    def down(self: Any, kind: str, job_id: str) -> None:
        raise ConnectionError("Redis 拒绝连接")

    monkeypatch.setattr(bootstrap.WorkerQueue, "submit", down)
    sign_in(client, "operator")
    answer = client.post("/api/v1/backups", json={"sources": [str(roots / "财务")], "idempotency_key": "队列"},
                         headers=headers(client))
    assert answer.status_code == 503
    assert "已记录，但后台任务队列暂时无法访问" in answer.json()["detail"] and "自动运行" in answer.json()["detail"]
    assert make_app(web_services).backups.history().jobs[0].status == "requested"  # the worker resumes it


def test_the_openapi_document_describes_the_backup_api_with_typed_schemas(client) -> None:  # noqa: ANN001
    document = client.get("/api/v1/schema/openapi.json").json()
    paths = document["paths"]
    assert {"/api/v1/backups", "/api/v1/backups/{job_id}", "/api/v1/backups/{job_id}/cancel",
            "/api/v1/backups/{job_id}/pause", "/api/v1/backups/{job_id}/resume", "/api/v1/groups",
            "/api/v1/backups/folders", "/api/v1/dashboard"} <= set(paths)
    post = paths["/api/v1/backups"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BackupRequest"}
    assert {"202", "400", "403", "503"} <= set(post["responses"])
    schemas = document["components"]["schemas"]
    assert set(schemas["BackupRequest"]["properties"]) == {"sources", "group", "level", "idempotency_key"}
    assert schemas["BackupRequest"]["required"] == ["sources"]
    assert {"job_id", "created", "status"} <= set(schemas["BackupAccepted"]["properties"])
    assert set(schemas["ErrorBody"]["properties"]) == {"status_code", "detail", "extra"}
    assert not any(path.startswith("/backups") or path == "/" for path in paths)  # pages stay out
