"""Signing out ends the session, not only the browser's copy of it: a cookie copied before (a shared
PC, a proxy's log) is refused afterwards, in this web process at once and in a new one too; the
user's other sessions go on; renewing a session keeps it one session; the ledger records who
signed out from where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.security.jwt import Token
from litestar.testing import TestClient

from app.facade import make_app
from bootstrap import ensure_secret_key
from tests.web.conftest import headers, sign_in
from web.app import create_app
from web.auth.sessions import SESSION_COOKIE, derived_key


def _me(app: Litestar, cookie: str) -> Any:
    with TestClient(app=app) as other:
        other.cookies.set(SESSION_COOKIE, cookie)
        return other.get("/api/v1/me")


def test_a_cookie_copied_before_signing_out_is_refused_after_it_and_other_sessions_go_on(
        client: TestClient[Litestar], web_app: Litestar, web_services: Any) -> None:
    sign_in(client, "operator")
    copied = client.cookies[SESSION_COOKIE]
    with TestClient(app=web_app) as second_browser:
        sign_in(second_browser, "operator")
        assert _me(web_app, copied).status_code == 200

        answer = client.post("/logout", headers=headers(client), follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"

        refused = _me(web_app, copied)
        assert refused.status_code == 401 and refused.json()["detail"] == "已退出登录，请重新登录"
        with TestClient(app=web_app) as thief:
            thief.cookies.set(SESSION_COOKIE, copied)
            assert thief.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
        assert _me(create_app(web_services), copied).status_code == 401  # another web process
        assert second_browser.get("/api/v1/me").json()["name"] == "operator"

    latest = make_app(web_services).audit.recent_events(3)
    assert any(line.event == "User.SignedOut" and line.actor == "operator" and "网页" in line.summary
               and "退出登录" in line.summary for line in latest)
    sign_in(client, "operator")  # signing in again starts a new session
    assert client.get("/api/v1/me").status_code == 200


def test_a_renewed_session_is_the_same_session_and_signing_out_ends_both_tokens(
        client: TestClient[Litestar], web_app: Litestar, web_services: Any) -> None:
    key = derived_key(ensure_secret_key(web_services.settings), "session")
    issued = datetime.now(tz=UTC) - timedelta(minutes=20)  # past half of ACCESS_TOKEN_EXPIRE_MINUTES (30)
    old = Token(sub="auditor", exp=issued + timedelta(minutes=30), iat=issued,
                extras={"role": "auditor", "sid": "s-1"}).encode(key, "HS256")
    answer = _me(web_app, old)
    assert answer.status_code == 200  # and renewed: a fresh token of the same session
    [renewed] = [value.split(";")[0].split("=", 1)[1] for value in answer.headers.get_list("set-cookie")
                 if value.startswith(f"{SESSION_COOKIE}=")]
    assert renewed != old and Token.decode(renewed, key, "HS256").extras["sid"] == "s-1"

    client.cookies.set(SESSION_COOKIE, renewed)
    assert client.post("/logout", headers=headers(client), follow_redirects=False).status_code == 303
    for token in (old, renewed):
        assert _me(web_app, token).status_code == 401


def test_ended_sessions_are_forgotten_once_their_tokens_have_expired(web_services: Any) -> None:
    users, ledger = make_app(web_services).users, web_services.ledger
    now = datetime.now(tz=UTC)
    users.sign_out("admin", "old", until=now - timedelta(minutes=1), source="网页 127.0.0.1")
    users.sign_out("admin", "recent", until=now + timedelta(minutes=30), source="网页 127.0.0.1")
    assert set(ledger.user("admin").ended_sessions()) == {"recent"}  # "old" could no longer be used
    assert users.who("admin").ended_sessions == frozenset({"recent"})
    head = ledger.head_id()
    users.sign_out("admin", "recent", until=now + timedelta(minutes=30), source="网页 127.0.0.1")
    users.sign_out("nobody", "x", until=now, source="网页 127.0.0.1")
    assert ledger.head_id() == head  # ending it again, or a user that is not there, changes nothing
