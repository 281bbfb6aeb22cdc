"""Every error answers with its HTTP status and a Chinese message: JSON for the API, an error page
for a browser, a fragment for htmx. Bad input is a 400, never a 500."""

from __future__ import annotations

import sqlite3

import pytest

from app.audit import Audit
from app.logs import Logs
from app.settings import SettingsService
from tests.web.conftest import headers, sign_in


@pytest.fixture
def admin(client):  # noqa: ANN001, ANN201
    sign_in(client, "admin")
    return client


def test_a_refusal_of_the_application_keeps_its_status_and_message(admin) -> None:  # noqa: ANN001
    unknown = admin.put("/api/v1/settings/colour", json={"value": "blue"}, headers=headers(admin))
    assert unknown.status_code == 400 and unknown.json()["detail"].startswith("未知的设置项：colour")
    invalid = admin.put("/api/v1/settings/active_groups", json={"value": "many"}, headers=headers(admin))
    assert invalid.status_code == 400 and "不是整数" in invalid.json()["detail"]
    missing = admin.get("/api/v1/users/nobody/tokens")
    assert missing.status_code == 404 and missing.json() == {"status_code": 404, "detail": "找不到用户：nobody"}


def test_malformed_input_is_a_400_that_names_the_parameter(admin) -> None:  # noqa: ANN001
    wrong_field = admin.put("/api/v1/settings/active_groups", json={"wrong": 1}, headers=headers(admin))
    assert wrong_field.status_code == 400
    body = wrong_field.json()
    assert body["detail"].startswith("参数 ") and "value" in body["detail"] and body["extra"][0]["message"]
    wrong_type = admin.post("/api/v1/users/auditor/tokens", json={"days": "soon"}, headers=headers(admin))
    assert wrong_type.status_code == 400 and "days" in wrong_type.json()["detail"]
    not_json = admin.put("/api/v1/settings/active_groups", content=b"{", headers={**headers(admin),
                                                                                "content-type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["detail"]


def test_unknown_paths_and_methods_are_answered_in_chinese(admin) -> None:  # noqa: ANN001
    assert admin.get("/api/v1/nothing").json() == {"status_code": 404, "detail": "找不到请求的页面或对象"}
    page = admin.get("/nothing")
    assert page.status_code == 404 and "找不到请求的页面或对象" in page.text and 'lang="zh-CN"' in page.text
    assert admin.delete("/api/v1/me", headers=headers(admin)).json()["detail"] == "不支持这种请求方式"


def test_an_unexpected_fault_is_an_internal_error_and_a_lost_database_a_503(admin, monkeypatch) -> None:  # noqa: ANN001
    def broken(self: object) -> int:
        raise RuntimeError("出乎意料")

    monkeypatch.setattr(Audit, "verify_chain", broken)
    fault = admin.get("/api/v1/dashboard/chain")
    assert fault.status_code == 500 and fault.json()["detail"].startswith("内部错误")

    def unreachable(self: object, *args: object) -> int:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(Audit, "head_id", unreachable)
    monkeypatch.setattr(Audit, "recent_events", unreachable)
    monkeypatch.setattr(Logs, "read", unreachable)
    down = admin.get("/api/v1/health")
    assert down.status_code == 503 and down.json()["detail"].startswith("数据库无法访问")
    page = admin.get("/logs")
    assert page.status_code == 503 and "数据库无法访问" in page.text
    # The dashboard is made of parts: the one that needs the lost database says so, the rest is shown.
    dashboard = admin.get("/")
    assert dashboard.status_code == 200 and "暂时无法显示：数据库无法访问" in dashboard.text


def test_an_htmx_request_gets_its_error_as_a_fragment_for_the_message_area(admin, monkeypatch) -> None:  # noqa: ANN001
    refused = admin.post("/settings/colour", data={"value": "blue"}, headers=headers(admin, **{"hx-request": "true"}))
    assert refused.status_code == 400
    assert refused.headers["hx-retarget"] == "#flash" and refused.headers["hx-reswap"] == "innerHTML"
    assert "未知的设置项：colour" in refused.text and "<html" not in refused.text

    def broken(self: object) -> None:
        raise RuntimeError("读取失败")

    monkeypatch.setattr(SettingsService, "show", broken)
    page = admin.get("/settings")
    assert page.status_code == 500 and "内部错误" in page.text and "<html" in page.text
