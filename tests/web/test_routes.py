"""Every route of the app, walked from its route table, is closed to whoever may not use it.

Routes added later are covered by themselves: without a session or token every route but the
public ones answers 401, and every mutating route answers 403 to an auditor unless its handler
declares `opt={"roles": …}` including auditors — a deliberate act, listed below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from app.facade import make_app
from tests.web.conftest import headers, sign_in
from web.auth.guards import SAFE_METHODS

# Answer without signing in: the login form, the health check, static files, the API document.
PUBLIC = {"/login", "/healthz", "/api/v1/health"}
PUBLIC_PREFIXES = ("/static", "/api/v1/schema")
# Mutating routes an auditor may use (each one a decision, not an accident).
AUDITOR_MAY = {("POST", "/logout"),
               # A restore plan is a question, not an act: planning changes nothing (B3).
               ("POST", "/restores/plan"), ("POST", "/api/v1/restores/plan")}
JSON = {"accept": "application/json"}


def routes(app: Litestar) -> Iterator[tuple[str, str, Any]]:
    """(method, path with sample parameters, handler) for every HTTP route of the app."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        # A sample for each path parameter its type accepts (a number for {n:int}, else "x").
        path = re.sub(r"\{([^}:]+)(?::(\w+))?\}", lambda found: "1" if found.group(2) == "int" else "x", route.path)
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method not in {"HEAD", "OPTIONS"}:
                    yield method, path, handler


def is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


def test_the_route_table_has_the_routes_this_test_is_meant_to_guard(web_app) -> None:  # noqa: ANN001
    found = {(method, path) for method, path, _ in routes(web_app)}
    assert {("GET", "/"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/api/v1/me"),
            ("GET", "/api/v1/dashboard"), ("PUT", "/api/v1/settings/x"), ("GET", "/api/v1/jobs/x/events"),
            ("POST", "/api/v1/backups"), ("POST", "/api/v1/backups/x/cancel"), ("POST", "/backups"),
            ("GET", "/dashboard/live"), ("GET", "/backups/x/live"), ("GET", "/api/v1/groups"),
            ("POST", "/tapes/x/erase"), ("POST", "/api/v1/cartridges/x/erase"), ("POST", "/api/v1/devices/unload"),
            ("PUT", "/api/v1/retention"), ("PUT", "/api/v1/cartridges/x/retention")} <= found
    assert {("POST", "/api/v1/recipients"), ("DELETE", "/api/v1/recipients/x"), ("PUT", "/api/v1/templates/x"),
            ("POST", "/api/v1/notifications/test"), ("POST", "/api/v1/users"), ("PUT", "/api/v1/users/x/role"),
            ("POST", "/settings/schedules/x"), ("DELETE", "/settings/users/x/tokens/x")} <= found  # 设置 (issue 15)
    assert sum(1 for method, *_ in routes(web_app) if method not in SAFE_METHODS) >= 5


def test_every_route_but_the_public_ones_answers_401_without_a_session_or_token(client, web_app) -> None:  # noqa: ANN001
    token = headers(client)  # a CSRF token, so a refusal is about the sign-in and nothing else
    for method, path, _ in routes(web_app):
        if is_public(path):
            continue
        answer = client.request(method, path, headers={**JSON, **token})
        assert answer.status_code == 401, f"{method} {path} 未登录时应答 {answer.status_code}"
        assert answer.json()["detail"], f"{method} {path} 的 401 没有中文说明"
        bogus = client.request(method, path, headers={**JSON, "Authorization": "Bearer taf_Ym9i.00000000.nope"})
        assert bogus.status_code == 401, f"{method} {path} 用伪造令牌时应答 {bogus.status_code}"


def test_every_mutating_route_answers_403_to_an_auditor(client, web_app, web_services) -> None:  # noqa: ANN001
    bearer = {"Authorization": "Bearer " + make_app(web_services).users.issue_token("auditor", actor="测试").token}
    sign_in(client, "auditor")
    checked = []
    for method, path, handler in routes(web_app):
        if method in SAFE_METHODS or is_public(path):
            continue
        if "auditor" in handler.opt.get("roles", ()):
            assert (method, path) in AUDITOR_MAY, f"{method} {path} 对审计员开放：若是有意为之，请加入 AUDITOR_MAY"
            continue
        for how in (headers(client), bearer):
            answer = client.request(method, path, headers={**JSON, **how})
            assert answer.status_code == 403, f"{method} {path} 对审计员应答 {answer.status_code}"
            assert "权限不足" in answer.json()["detail"]
        checked.append(path)
    assert checked


def test_a_page_that_needs_a_session_sends_a_browser_to_the_login_page(client) -> None:  # noqa: ANN001
    answer = client.get("/logs?x=1", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/logs%3Fx%3D1"
    htmx = client.get("/dashboard/chain", headers={"hx-request": "true"})
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/login?next=/dashboard/chain"
