"""恢复 in the web: the catalog's search and folder pages, the plan, a restore handed to the worker, its
status and history — each route as a browser (htmx fragments) and a script (JSON) use it, and each
answering bad input with a Chinese 4xx, never a 500. Real packages on the emulated library."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.facade import make_app
from tests.restore import conftest as restore_fixtures
from tests.restore.tapes import Written, tree_of
from tests.web.conftest import PASSWORD, ROLES, headers, sign_in
from web.app import create_app

GROUP = "2026-05"
JSON = {"accept": "application/json"}
# The restore tests' emulated library and the source tree backed up to it.
library_env, lib_services = restore_fixtures.library_env, restore_fixtures.lib_services
source, backed_up = restore_fixtures.source, restore_fixtures.backed_up


@pytest.fixture
def services(lib_services: Any, backed_up: list[Written]) -> Any:
    users = make_app(lib_services).users
    for role in ROLES:
        users.add(role, role, PASSWORD, actor="测试")
    return lib_services


@pytest.fixture
def client(services: Any) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(services)) as test_client:
        sign_in(test_client, "operator")
        yield test_client


def refused(answer: Any, status: int, *words: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    detail = answer.json()["detail"]
    assert all(word in detail for word in words), detail


def test_the_api_searches_by_a_chinese_fragment_type_group_and_date(client: TestClient[Litestar], source: Path) -> None:
    found = client.get("/api/v1/catalog/search", params={"q": "季度"}).json()
    [report] = found["files"]
    assert report["path"] == f"{source}/报告/季度总结.docx" and report["group"] == GROUP
    assert report["cartridges"] and report["positions"][0]["payload_block"] > 0
    by_type = client.get("/api/v1/catalog/search", params={"type": "docx", "group": GROUP}).json()["files"]
    assert [f["path"].rsplit("/", 1)[1] for f in by_type] == ["季度总结.docx"]
    assert client.get("/api/v1/catalog/search", params={"since": "2030-01-01"}).json()["files"] == []
    few = client.get("/api/v1/catalog/search", params={"limit": 2}).json()
    assert few["limit_reached"] and len(few["files"]) <= 2


def test_the_api_lists_one_folder_a_page_at_a_time(client: TestClient[Litestar], source: Path) -> None:
    top = client.get("/api/v1/catalog/tree", params={"group": GROUP}).json()
    assert (top["path"], top["parent"], [c["path"] for c in top["children"]]) == ("", None, ["/"])
    inside = client.get("/api/v1/catalog/tree", params={"group": GROUP, "path": str(source)}).json()
    names = [child["name"] for child in inside["children"]]
    assert names[:2] == sorted(names[:2]) and inside["total"] == len(names)
    kinds = {child["name"]: child for child in inside["children"]}
    assert kinds["报告"]["kind"] == "dir" and kinds["快捷方式"]["kind"] == "symlink"
    assert kinds["视频.mp4"]["size"] == 150 * 1024 and kinds["视频.mp4"]["cartridges"]
    assert len(kinds["大文件"]["path"]) > len(str(source))
    split = client.get("/api/v1/catalog/tree", params={"group": GROUP, "path": f"{source}/大文件"}).json()
    [big] = split["children"]
    assert big["chunks"] > 1 and set(big["cartridges"]) <= {"TAF001L9", "TAF002L9"}
    first = client.get("/api/v1/catalog/tree", params={"group": GROUP, "path": str(source), "limit": 3}).json()
    rest = client.get("/api/v1/catalog/tree", params={"group": GROUP, "path": str(source), "offset": 3}).json()
    assert [c["name"] for c in first["children"] + rest["children"]] == names and first["total"] == len(names)


READ_REFUSALS = [
    ("/api/v1/catalog/search", {"since": "昨天"}, 400, ("日期“昨天”无效",)),
    ("/api/v1/catalog/search", {"group": "2026-13"}, 400, ("备份组",)),
    ("/api/v1/catalog/search", {"group": "2027-01"}, 404, ("没有备份组 2027-01",)),
    ("/api/v1/catalog/search", {"limit": "0"}, 400, ("limit",)),
    ("/api/v1/catalog/search", {"limit": "很多"}, 400, ("limit",)),
    ("/api/v1/catalog/tree", {}, 400, ("group",)),
    ("/api/v1/catalog/tree", {"group": " "}, 400, ("请指定备份组",)),
    ("/api/v1/catalog/tree", {"group": GROUP, "offset": "-1"}, 400, ("offset",)),
    ("/api/v1/catalog/tree", {"group": GROUP, "limit": "100000"}, 400, ("limit",)),
    ("/api/v1/restores", {"status": "done"}, 400, ("未知的任务状态",)),
    ("/api/v1/restores", {"limit": "0"}, 400, ("limit",)),
    ("/api/v1/restores/not-a-job", {}, 404, ()),
]


def test_bad_input_to_a_read_route_is_a_chinese_4xx(client: TestClient[Litestar]) -> None:
    for url, params, status, words in READ_REFUSALS:
        refused(client.get(url, params=params, headers=JSON), status, *words)


def test_a_plan_says_which_tapes_in_what_order_where_and_how_long(client: TestClient[Litestar], services: Any,
                                                                   source: Path) -> None:
    head = services.ledger.head_id()
    plan = client.post("/api/v1/restores/plan", json={"paths": [str(source)], "group": GROUP},
                       headers=headers(client)).json()
    assert [step["barcode"] for step in plan["steps"]] == ["TAF002L9", "TAF001L9"] == plan["cartridges"]
    assert [step["location_text"].split()[0] for step in plan["steps"]] == ["驱动器", "槽位"]
    assert "无需操作" in plan["steps"][0]["instruction"] and plan["steps"][1]["packages"][0]["tape_file"] >= 1
    assert plan["files"] == 9 and plan["bytes_to_read"] > 0 and plan["seconds"] > 0 and "需要 2 盘磁带" in plan["summary"]
    assert services.ledger.head_id() == head  # planning changes nothing

    page = client.post("/restores/plan", data={"path": [f"{source}/报告/季度总结.docx"], "group": GROUP},
                       headers=headers(client, **{"hx-request": "true"}))
    assert page.status_code == 200 and "恢复计划" in page.text and "按此计划开始恢复" in page.text
    assert "需要 1 盘磁带" in page.text and f'value="{source}/报告/季度总结.docx"' in page.text

    sign_in(client, "auditor")  # a plan is a question an auditor may ask too; starting is not theirs
    seen = client.post("/restores/plan", data={"path": str(source)}, headers=headers(client, **{"hx-request": "true"}))
    assert seen.status_code == 200 and "需要 2 盘磁带" in seen.text and "按此计划开始恢复" not in seen.text


PLAN_REFUSALS = [
    ({"paths": []}, 400, ("没有指定要恢复的路径",)),
    ({"paths": ["不存在的文件名"]}, 404, ("不存在的文件名",)),
    ({"paths": ["/"], "group": "2026-13"}, 400, ("备份组",)),
    ({"group": GROUP}, 400, ("paths",)),
    ({"paths": "/srv"}, 400, ("paths",)),
]


def test_a_plan_of_nothing_or_of_bad_input_is_refused_in_chinese(client: TestClient[Litestar]) -> None:
    for body, status, words in PLAN_REFUSALS:
        refused(client.post("/api/v1/restores/plan", json=body, headers={**JSON, **headers(client)}), status, *words)


def test_a_restore_from_the_page_is_recorded_queued_and_followed_to_its_result(
        client: TestClient[Litestar], services: Any, source: Path, taf_env: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[tuple[str, str]] = []
    monkeypatch.setattr(type(services.job_queue), "submit", lambda self, kind, job: queued.append((kind, job)))
    target = taf_env / "恢复到这里"
    form = {"path": [str(source)], "group": GROUP, "target": str(target), "on_conflict": "skip", "key": "页面-1"}
    started = client.post("/restores/", data=form, headers=headers(client, **{"hx-request": "true"}))
    assert started.status_code == 200 and started.headers["hx-redirect"].startswith("/restores/")
    job_id = started.headers["hx-redirect"].rsplit("/", 1)[1]
    assert queued == [("restore", job_id)]  # handed to the worker; nothing ran inside the request
    again = client.post("/restores/", data=form, headers=headers(client, **{"hx-request": "true"}))
    assert again.headers["hx-redirect"] == f"/restores/{job_id}" and len(queued) == 1  # one key, one job

    waiting = client.get(f"/restores/{job_id}")
    assert waiting.status_code == 200 and "已提交" in waiting.text and "等待后台任务进程" in waiting.text

    make_app(services).restores.run(job_id, actor="worker")  # what the worker does with it
    assert tree_of(target.joinpath(*source.parts[1:])) == tree_of(source)
    status = client.get(f"/api/v1/restores/{job_id}").json()
    assert (status["status"], status["requested_by"], status["target"]) == ("succeeded", "operator", str(target))
    assert status["tape_bytes_read"] > 0 and status["figures"]["files"] == 9
    assert status["progress"]["phase"] == "done"
    done = client.get(f"/restores/{job_id}")
    assert "恢复完成" in done.text and "从磁带读取" in done.text and "取消任务" not in done.text
    history = client.get("/api/v1/restores").json()
    assert [(row["job_id"], row["status"]) for row in history] == [(job_id, "succeeded")]
    assert job_id[:8] in client.get("/restores/").text
    events = client.get(f"/restores/{job_id}/events")
    assert events.status_code == 200 and "台账事件" in events.text


def test_the_api_answers_202_and_says_when_the_queue_is_down(client: TestClient[Litestar], services: Any,
                                                             source: Path, taf_env: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def down(self: Any, kind: str, job: str) -> None:
        raise ConnectionError("队列服务没有响应")

    monkeypatch.setattr(type(services.job_queue), "submit", down)
    body = {"paths": [f"{source}/视频.mp4"], "target": str(taf_env / "到这里")}
    answer = client.post("/api/v1/restores", json=body, headers={**headers(client), "idempotency-key": "api-1"})
    assert answer.status_code == 202
    accepted = answer.json()
    assert accepted["created"] and not accepted["queued"] and "无法交给后台任务进程" in accepted["queue_problem"]
    assert accepted["plan"]["files"] == 1 and accepted["status_url"] == f"/api/v1/restores/{accepted['job_id']}"
    form = {"path": f"{source}/readme.md", "target": str(taf_env / "到这里"), "key": "页面-2"}
    shown = client.post("/restores/", data=form, headers=headers(client, **{"hx-request": "true"}))
    assert shown.headers["hx-retarget"] == "#flash" and "无法交给后台任务进程：" in shown.text
    page = client.get(f"/restores/{accepted['job_id']}")  # no worker runs here: the page says so, and offers 继续
    assert "后台任务进程" in page.text and f'hx-post="/restores/{accepted["job_id"]}/resume"' in page.text

    queued: list[str] = []
    monkeypatch.setattr(type(services.job_queue), "submit", lambda self, kind, job: queued.append(job))
    resumed = client.post(f"/api/v1/restores/{accepted['job_id']}/resume", headers=headers(client))
    assert resumed.status_code == 200 and queued == [accepted["job_id"]]  # handed over again once the queue is back
    cancelled = client.post(f"/api/v1/restores/{accepted['job_id']}/cancel", headers=headers(client)).json()
    assert cancelled["status"] == "cancelled"
    refused(client.post(f"/api/v1/restores/{accepted['job_id']}/cancel", headers={**JSON, **headers(client)}), 409)


START_REFUSALS = [
    ({"paths": ["/"], "target": ""}, 400, ("目标",)),
    ({"paths": ["/"], "target": "/tmp", "on_conflict": "ask"}, 400, ("ask",)),
    ({"paths": [], "target": "/tmp"}, 400, ("没有指定要恢复的路径",)),
    ({"paths": ["/"], "target": "/tmp", "group": "2027-01"}, 404, ("没有备份组 2027-01",)),
    ({"target": "/tmp"}, 400, ("paths",)),
]


def test_a_restore_with_bad_input_records_nothing(client: TestClient[Litestar], services: Any) -> None:
    head = services.ledger.head_id()
    for body, status, words in START_REFUSALS:
        refused(client.post("/api/v1/restores", json=body, headers={**JSON, **headers(client)}), status, *words)
    assert services.ledger.head_id() == head


def test_a_browser_restores_only_into_the_allowed_roots_when_they_are_set(
        client: TestClient[Litestar], services: Any, source: Path, taf_env: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = taf_env / "恢复区"
    monkeypatch.setattr(services, "settings", replace(services.settings, restore_allowed_roots=[allowed]))
    monkeypatch.setattr(type(services.job_queue), "submit", lambda self, kind, job: None)
    head = services.ledger.head_id()
    for outside in ("/etc", str(allowed / ".." / "别处")):
        body = {"paths": [f"{source}/readme.md"], "target": outside}
        refused(client.post("/api/v1/restores", json=body, headers={**JSON, **headers(client)}), 403,
                "不在允许的恢复范围内", "RESTORE_ALLOWED_ROOTS")
    assert services.ledger.head_id() == head  # nothing recorded
    body = {"paths": [f"{source}/readme.md"], "target": str(allowed / "2026-05")}
    accepted = client.post("/api/v1/restores", json=body, headers={**JSON, **headers(client)})
    assert accepted.status_code == 202 and accepted.json()["created"]


def test_the_restore_page_shows_the_timeline_the_tree_and_search_fragments(client: TestClient[Litestar],
                                                                           source: Path) -> None:
    page = client.get("/restores/")
    assert page.status_code == 200 and "备份组时间线" in page.text and GROUP in page.text
    assert "恢复清单" in page.text and f"/catalog/tree?group={GROUP}" in page.text
    top = client.get("/catalog/tree", params={"group": GROUP}, headers={"hx-request": "true"})
    # Lone folders open by themselves, as one row: "/" → … → the source folder, where the tree branches.
    assert top.status_code == 200 and "<details open>" in top.text and f'title="{source}"' in top.text
    assert top.text.count("<details open>") == 1 and f'data-path="{source}/报告"' in top.text
    inside = client.get("/catalog/tree", params={"group": GROUP, "path": str(source), "depth": 3, "limit": 2},
                        headers={"hx-request": "true"})
    assert "--depth: 3" in inside.text and "再显示" in inside.text and 'data-path="' in inside.text
    found = client.get("/catalog/search", params={"q": "季度", "group": GROUP}, headers={"hx-request": "true"})
    assert "<mark>季度</mark>" in found.text and "找到 1 个文件版本" in found.text
    nothing = client.get("/catalog/search", params={"q": "没有这个"}, headers={"hx-request": "true"})
    assert "没有找到路径中含“没有这个”的文件" in nothing.text
    bad = client.get("/catalog/search", params={"since": "昨天"}, headers=headers(client, **{"hx-request": "true"}))
    assert bad.status_code == 400 and bad.headers["hx-retarget"] == "#flash" and "无效" in bad.text


def test_the_restore_page_says_what_it_cannot_show_when_the_database_is_down(
        client: TestClient[Litestar], services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    def down(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(type(services.projector), "catch_up", down)
    page = client.get("/restores/")
    assert page.status_code == 200 and "数据库无法访问" in page.text
    assert "备份组、恢复任务暂时无法显示" in page.text and "还没有备份组" not in page.text


def test_the_api_document_types_every_restore_and_catalog_route(web_app: Litestar) -> None:
    with TestClient(app=web_app) as anonymous:
        document = anonymous.get("/api/v1/schema/openapi.json").json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    for path, method, answer in [("/api/v1/catalog/search", "get", "SearchResult"),
                                 ("/api/v1/catalog/tree", "get", "FolderPage"),
                                 ("/api/v1/restores/plan", "post", "Plan"),
                                 ("/api/v1/restores", "post", "RestoreAccepted"),
                                 ("/api/v1/restores/{job_id}", "get", "RestoreStatus")]:
        operation = paths[path][method]
        assert operation["tags"] == ["恢复"] and operation["summary"]
        content = next(iter(operation["responses"].values()))["content"]["application/json"]["schema"]
        assert content == {"$ref": f"#/components/schemas/{answer}"}
    assert {"paths", "target", "group", "on_conflict", "idempotency_key"} <= set(schemas["RestoreRequest"]["properties"])
    assert {"barcode", "location_text", "instruction", "packages", "seconds"} <= set(schemas["PlanStep"]["properties"])
