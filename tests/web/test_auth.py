"""Signing in and out, sessions, CSRF, login throttling, API tokens and the first administrator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
from litestar.security.jwt import Token
from litestar.testing import TestClient

from app.facade import make_app
from bootstrap import ensure_secret_key
from tests.web.conftest import PASSWORD, csrf, headers, sign_in
from web.app import create_app
from web.auth.sessions import SESSION_COOKIE, derived_key


def test_signing_in_sets_an_httponly_samesite_cookie_and_goes_where_the_user_was_going(client) -> None:  # noqa: ANN001
    assert client.get("/settings", follow_redirects=False).headers["location"] == "/login?next=/settings"
    answer = sign_in(client, "operator", next="/settings")
    assert answer.status_code == 303 and answer.headers["location"] == "/settings"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/api/v1/me").json() == {"name": "operator", "role": "operator", "role_label": "操作员",
                                               "via": "session"}
    page = client.get("/")
    assert "operator" in page.text and "操作员" in page.text and "退出" in page.text


def test_a_wrong_password_is_refused_in_chinese_and_recorded_in_the_ledger(client, web_services) -> None:  # noqa: ANN001
    answer = sign_in(client, "operator", "wrong-password")
    assert answer.status_code == 401 and "用户名或密码不正确" in answer.text
    assert SESSION_COOKIE not in client.cookies
    assert sign_in(client, "nobody", "whatever").status_code == 401
    latest = make_app(web_services).audit.recent_events(5)
    assert any(line.event == "User.LoginFailed" and "网页" in line.summary for line in latest)


def test_signing_out_clears_the_session(client) -> None:  # noqa: ANN001
    sign_in(client, "auditor")
    answer = client.post("/logout", headers=headers(client), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert f"{SESSION_COOKIE}=\"\"" in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
    assert client.get("/api/v1/me").status_code == 401


def test_only_the_redirect_target_on_this_site_is_followed(client) -> None:  # noqa: ANN001
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert sign_in(client, "admin", next=target).headers["location"] == "/"


def test_forms_and_htmx_requests_without_the_csrf_token_are_refused(client) -> None:  # noqa: ANN001
    csrf(client)
    refused = client.post("/login", data={"name": "admin", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text and "刷新页面" in refused.text
    sign_in(client, "admin")
    assert client.post("/settings/active_groups", data={"value": "5"}).status_code == 403
    assert client.post("/settings/active_groups", data={"value": "5"},
                       headers=headers(client, **{"hx-request": "true"})).status_code == 200


def test_too_many_failures_for_one_user_answer_429_in_chinese(client) -> None:  # noqa: ANN001
    for _ in range(5):
        assert sign_in(client, "operator", "wrong-password").status_code == 401
    blocked = sign_in(client, "operator")  # even the right password: the name is throttled
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text and "分钟后再试" in blocked.text
    assert sign_in(client, "admin").status_code == 303  # another name from the same address still works


def test_too_many_failures_from_one_address_answer_429(client) -> None:  # noqa: ANN001
    for attempt in range(20):
        assert sign_in(client, f"guess{attempt}", "wrong-password").status_code == 401
    blocked = sign_in(client, "admin")
    assert blocked.status_code == 429 and "该地址" in blocked.text


def test_an_expired_or_forged_session_sends_the_browser_to_the_login_page(client, web_services) -> None:  # noqa: ANN001
    key = derived_key(ensure_secret_key(web_services.settings), "session")
    past = datetime.now(tz=UTC) - timedelta(hours=2)
    expired = jwt.encode({"sub": "admin", "iat": past, "exp": past + timedelta(minutes=30)}, key, "HS256")
    forged = Token(sub="admin", exp=datetime.now(tz=UTC) + timedelta(minutes=30)).encode("a-key-that-is-not-the-installation-key", "HS256")
    for value in (expired, forged, "garbage"):
        client.cookies.set(SESSION_COOKIE, value)
        assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
        answer = client.get("/api/v1/me")
        assert answer.status_code == 401 and answer.json()["detail"] == "登录已失效，请重新登录"


def test_a_session_past_half_its_life_is_renewed(client, web_services) -> None:  # noqa: ANN001
    key = derived_key(ensure_secret_key(web_services.settings), "session")
    issued = datetime.now(tz=UTC) - timedelta(minutes=20)  # ACCESS_TOKEN_EXPIRE_MINUTES is 30
    client.cookies.set(SESSION_COOKIE, Token(sub="auditor", exp=issued + timedelta(minutes=30), iat=issued)
                       .encode(key, "HS256"))
    answer = client.get("/api/v1/me")
    assert answer.status_code == 200
    assert any(value.startswith(f"{SESSION_COOKIE}=") for value in answer.headers.get_list("set-cookie"))
    fresh = client.get("/api/v1/me")
    assert not any(value.startswith(f"{SESSION_COOKIE}=") for value in fresh.headers.get_list("set-cookie"))


def test_a_disabled_user_loses_the_session(client, web_services, web_app) -> None:  # noqa: ANN001
    sign_in(client, "operator")
    web_services.ledger._change_user("operator", lambda user: user.disable(by="测试"))
    web_app.state.identities.forget()
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401 and "已停用" in answer.json()["detail"]


def test_api_tokens_authenticate_without_csrf_and_stop_when_revoked(client, web_services) -> None:  # noqa: ANN001
    users = make_app(web_services).users
    issued = users.issue_token("operator", "监控脚本", actor="admin")
    bearer = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/v1/me", headers=bearer).json()["via"] == "token"
    assert client.put("/api/v1/settings/active_groups", json={"value": "5"}, headers=bearer).status_code == 403
    users.revoke_token("operator", issued.token_id, actor="admin")
    client.app.state.identities.forget()
    refused = client.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401 and refused.json()["detail"] == "API 令牌无效、已过期或已被吊销"
    assert client.get("/api/v1/me", headers={"Authorization": "Basic YWJj"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer taf_x.y"}).status_code == 401


def test_an_admin_issues_and_revokes_tokens_through_the_api(client) -> None:  # noqa: ANN001
    sign_in(client, "admin")
    issued = client.post("/api/v1/users/auditor/tokens", json={"label": "报表", "days": 30}, headers=headers(client))
    assert issued.status_code == 201
    token = issued.json()
    assert token["token"].startswith("taf_") and token["expires_at"]
    listed = client.get("/api/v1/users/auditor/tokens").json()
    assert listed[0]["token_id"] == token["token_id"] and "token" not in listed[0] and listed[0]["issued_by"] == "admin"
    users = {entry["name"]: entry for entry in client.get("/api/v1/users").json()}
    assert users["auditor"]["active_tokens"] == 1
    revoked = client.delete(f"/api/v1/users/auditor/tokens/{token['token_id']}", headers=headers(client))
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert client.delete("/api/v1/users/auditor/tokens/nope", headers=headers(client)).status_code == 404
    bad = client.post("/api/v1/users/auditor/tokens", json={"days": 0}, headers=headers(client))
    assert bad.status_code == 400 and "有效天数" in bad.json()["detail"]


def test_the_first_start_creates_an_administrator_and_prints_the_password_once(sqlite_services, capsys) -> None:  # noqa: ANN001
    with TestClient(app=create_app(sqlite_services)):
        pass
    printed = capsys.readouterr().out
    assert "已创建首个管理员 admin" in printed
    password = printed.strip().rsplit("：", 1)[1]
    with TestClient(app=create_app(sqlite_services)) as client:
        assert sign_in(client, "admin", password).status_code == 303
        assert client.get("/api/v1/me").json()["role"] == "admin"
    assert "已创建首个管理员" not in capsys.readouterr().out


def test_sessions_are_signed_with_a_key_derived_from_secret_key(taf_env, monkeypatch) -> None:  # noqa: ANN001
    from bootstrap import build

    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    services = build()
    try:
        make_app(services).users.add("admin", "admin", PASSWORD, actor="测试")
        with TestClient(app=create_app(services)) as client:
            sign_in(client, "admin")
            claims = jwt.decode(client.cookies[SESSION_COOKIE], derived_key("s" * 48, "session"), algorithms=["HS256"])
            assert claims["sub"] == "admin" and claims["extras"]["role"] == "admin"
    finally:
        services.close()
    assert not (taf_env / "data" / "secret_key").exists()
