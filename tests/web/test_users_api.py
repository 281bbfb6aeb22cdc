"""`/api/v1/users`: users added (a generated password answered once), given another role, disabled,
and their API tokens; administrators act, everyone reads. The last enabled administrator cannot be
demoted or disabled, nobody disables themselves, and bad input is a Chinese 4xx with nothing recorded."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.facade import make_app
from tests.web.conftest import PASSWORD, headers, sign_in


def head(services: Any) -> int:
    return int(services.ledger.head_id())


def send(client: TestClient[Litestar], method: str, path: str, body: Any = None) -> Any:
    return client.request(method, path, json=body, headers=headers(client))


@pytest.fixture
def admin(client: TestClient[Litestar]) -> TestClient[Litestar]:
    sign_in(client, "admin")
    return client


def test_every_role_reads_the_users_and_their_token_lists_without_the_tokens(client, web_services) -> None:  # noqa: ANN001
    make_app(web_services).users.issue_token("operator", "监控", actor="admin")
    for role in ("auditor", "operator", "admin"):
        sign_in(client, role)
        users = client.get("/api/v1/users").json()
        assert [(u["name"], u["role_label"], u["enabled"]) for u in users] == [
            ("admin", "管理员", True), ("operator", "操作员", True), ("auditor", "审计员", True)]
        [token] = client.get("/api/v1/users/operator/tokens").json()
        assert token["label"] == "监控" and "token" not in token and "hash" not in token


def test_an_administrator_adds_a_user_with_a_password_generated_once(admin, client, web_services) -> None:  # noqa: ANN001
    added = send(admin, "POST", "/api/v1/users", {"name": "robot", "role": "审计员"})
    assert added.status_code == 201
    body = added.json()
    assert (body["name"], body["role"], body["role_label"]) == ("robot", "auditor", "审计员")
    password = body["generated_password"]
    assert len(password) >= 12 and password not in admin.get("/api/v1/users").text
    chosen = send(admin, "POST", "/api/v1/users", {"name": "wang", "role": "operator", "password": "long-enough-1"})
    assert chosen.status_code == 201 and chosen.json()["generated_password"] is None
    line = make_app(web_services).audit.recent_events(1)[0]
    assert (line.event, line.actor) == ("User.Created", "admin")
    assert sign_in(client, "robot", password).status_code == 303
    assert client.get("/api/v1/me").json()["role_label"] == "审计员"


@pytest.mark.parametrize(("body", "status", "said"), [
    ({"name": "admin", "role": "operator"}, 409, "用户已存在：admin"),
    ({"name": "ADMIN", "role": "operator"}, 409, "用户已存在：ADMIN"),
    ({"name": "new", "role": "root"}, 400, "角色的值无效：“root”不是 管理员、操作员 或 审计员"),
    ({"name": "has space", "role": "operator"}, 400, "用户名的值无效"),
    ({"name": "", "role": "operator"}, 400, "用户名的值无效"),
    ({"name": "new", "role": "operator", "password": "short"}, 400, "密码至少需要 8 个字符"),
    ({"name": "new", "role": "operator", "password": "x" * 1025}, 400, "最多 1024 个"),
    ({"name": "new"}, 400, "`role`"),
    ({"name": 5, "role": "operator"}, 400, "参数 name"),
])
def test_a_bad_new_user_is_refused_in_chinese_and_nothing_is_recorded(admin, web_services, body, status, said) -> None:  # noqa: ANN001
    before = head(web_services)
    answer = send(admin, "POST", "/api/v1/users", body)
    assert answer.status_code == status and said in answer.json()["detail"]
    assert head(web_services) == before and len(admin.get("/api/v1/users").json()) == 3


def test_a_role_is_changed_and_applies_at_once(admin, client, web_services) -> None:  # noqa: ANN001
    operator = TestClient(app=client.app)
    with operator:
        sign_in(operator, "operator")
        assert send(operator, "PUT", "/api/v1/settings/active_groups", {"value": "5"}).status_code == 403
        changed = send(admin, "PUT", "/api/v1/users/operator/role", {"role": "管理员"})
        assert changed.status_code == 200
        assert (changed.json()["role"], changed.json()["role_label"]) == ("admin", "管理员")
        assert operator.get("/api/v1/me").json()["role_label"] == "管理员"  # no waiting for the cache
        assert send(operator, "PUT", "/api/v1/settings/active_groups", {"value": "5"}).status_code == 200
        back = send(operator, "PUT", "/api/v1/users/operator/role", {"role": "operator"})  # an admin demotes themselves
        assert back.status_code == 200 and operator.get("/api/v1/me").json()["role"] == "operator"
    line = make_app(web_services).audit.recent_events(1)[0]
    assert (line.event, line.actor) == ("User.RoleChanged", "operator")


def test_the_last_administrator_keeps_the_role_and_bad_role_changes_change_nothing(admin, web_services) -> None:  # noqa: ANN001
    before = head(web_services)
    last = send(admin, "PUT", "/api/v1/users/admin/role", {"role": "operator"})
    assert last.status_code == 409 and "admin 是唯一一位启用的管理员" in last.json()["detail"]
    same = send(admin, "PUT", "/api/v1/users/auditor/role", {"role": "审计员"})
    assert same.status_code == 400 and same.json()["detail"] == "用户 auditor 已经是审计员"
    bad = send(admin, "PUT", "/api/v1/users/auditor/role", {"role": "boss"})
    assert bad.status_code == 400 and "角色的值无效" in bad.json()["detail"]
    nobody = send(admin, "PUT", "/api/v1/users/nobody/role", {"role": "operator"})
    assert nobody.status_code == 404 and nobody.json()["detail"] == "找不到用户：nobody"
    assert head(web_services) == before


def test_a_disabled_user_is_signed_out_and_their_tokens_stop_working(admin, client, web_services) -> None:  # noqa: ANN001
    token = make_app(web_services).users.issue_token("operator", "脚本", actor="admin").token
    bearer = {"Authorization": f"Bearer {token}"}
    operator = TestClient(app=client.app)
    with operator:
        sign_in(operator, "operator")
        assert operator.get("/api/v1/me").status_code == 200 and client.get("/api/v1/me", headers=bearer).status_code == 200
        disabled = send(admin, "POST", "/api/v1/users/operator/disable")
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False
        assert operator.get("/api/v1/me").status_code == 401
        refused = client.get("/api/v1/me", headers=bearer)
        assert refused.status_code == 401 and refused.json()["detail"] == "API 令牌无效、已过期或已被吊销"
    assert sign_in(client, "operator", PASSWORD).status_code == 401
    line = make_app(web_services).audit.recent_events(2)[1]
    assert (line.event, line.actor) == ("User.Disabled", "admin")


def test_nobody_disables_themselves_the_last_administrator_or_someone_twice(admin, web_services) -> None:  # noqa: ANN001
    second = send(admin, "POST", "/api/v1/users", {"name": "boss", "role": "admin", "password": PASSWORD})
    assert second.status_code == 201
    before = head(web_services)
    myself = send(admin, "POST", "/api/v1/users/admin/disable")
    assert myself.status_code == 409 and "不能停用自己正在使用的账户" in myself.json()["detail"]
    assert head(web_services) == before
    assert send(admin, "POST", "/api/v1/users/boss/disable").status_code == 200
    twice = send(admin, "POST", "/api/v1/users/boss/disable")
    assert twice.status_code == 409 and twice.json()["detail"] == "用户 boss 已经停用"
    # boss is disabled: admin is the last enabled administrator now, and stays one.
    before = head(web_services)
    demote = send(admin, "PUT", "/api/v1/users/admin/role", {"role": "auditor"})
    assert demote.status_code == 409 and "唯一一位启用的管理员" in demote.json()["detail"]
    unknown = send(admin, "POST", "/api/v1/users/nobody/disable")
    assert unknown.status_code == 404
    assert head(web_services) == before


def test_tokens_are_issued_once_listed_and_revoked_by_an_administrator(admin, client, web_services) -> None:  # noqa: ANN001
    issued = send(admin, "POST", "/api/v1/users/operator/tokens", {"label": "监控脚本", "days": 7})
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "operator"
    [listed] = admin.get("/api/v1/users/operator/tokens").json()
    assert listed["token_id"] == issued.json()["token_id"] and token not in admin.get("/api/v1/users/operator/tokens").text
    before = head(web_services)
    for body, said in (({"label": "x" * 101}, "最多 100 个字符"), ({"label": "换\n行"}, "不能含有控制字符或换行"),
                       ({"days": 0}, "有效天数必须在 1 到 3650 之间"), ({"days": 3651}, "有效天数"),
                       ({"days": "soon"}, "days")):
        answer = send(admin, "POST", "/api/v1/users/operator/tokens", body)
        assert answer.status_code == 400 and said in answer.json()["detail"], body
    assert send(admin, "POST", "/api/v1/users/nobody/tokens", {}).status_code == 404
    assert head(web_services) == before
    revoked = send(admin, "DELETE", f"/api/v1/users/operator/tokens/{listed['token_id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_only_an_administrator_changes_users(client, web_services) -> None:  # noqa: ANN001
    for role in ("operator", "auditor"):
        sign_in(client, role)
        before = head(web_services)
        for method, path, body in (("POST", "/api/v1/users", {"name": "x", "role": "admin"}),
                                   ("PUT", "/api/v1/users/admin/role", {"role": "auditor"}),
                                   ("POST", "/api/v1/users/admin/disable", None),
                                   ("POST", f"/api/v1/users/{role}/tokens", {}),
                                   ("DELETE", "/api/v1/users/admin/tokens/x", None)):
            answer = send(client, method, path, body)
            assert answer.status_code == 403 and "权限不足" in answer.json()["detail"], (role, method, path)
        assert head(web_services) == before
