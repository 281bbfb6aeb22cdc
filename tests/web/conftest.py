"""Web test fixtures: the app over SQLite services with one user per role, and signing in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.facade import make_app
from web.app import create_app
from web.auth.csrf import CSRF_COOKIE, CSRF_HEADER

PASSWORD = "correct-horse-9"
ROLES = {"admin": "管理员", "operator": "操作员", "auditor": "审计员"}


@pytest.fixture
def web_services(sqlite_services: Any) -> Any:
    """Services with the users `admin`, `operator` and `auditor` (password PASSWORD)."""
    users = make_app(sqlite_services).users
    for role in ROLES:
        users.add(role, role, PASSWORD, actor="测试")
    return sqlite_services


@pytest.fixture
def web_app(web_services: Any) -> Litestar:
    return create_app(web_services)


@pytest.fixture
def client(web_app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=web_app) as test_client:
        yield test_client


def csrf(client: TestClient[Litestar]) -> str:
    """The CSRF token of this client's cookie (fetching a page first if it has none)."""
    if CSRF_COOKIE not in client.cookies:
        client.get("/login")
    return client.cookies[CSRF_COOKIE]


def sign_in(client: TestClient[Litestar], name: str, password: str = PASSWORD, **extra: str) -> Any:
    """Post the login form as a browser would (with the form's CSRF field); the response is returned."""
    return client.post("/login", data={"name": name, "password": password, "_csrf_token": csrf(client), **extra},
                       follow_redirects=False)


def headers(client: TestClient[Litestar], **more: str) -> dict[str, str]:
    """What an htmx request of a signed-in page sends: the CSRF header."""
    return {CSRF_HEADER: csrf(client), **more}
