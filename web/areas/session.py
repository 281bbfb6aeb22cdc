"""Signing in and out (`/login`, `/logout`) and who am I (`GET /api/v1/me`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Response, Template

from app.errors import SignInRefused
from app.users import SignedIn
from web import messages
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Sessions, Taf, Throttle
from web.auth.guards import READ
from web.auth.sessions import BearerToken, Session
from web.auth.throttle import TooManyAttempts
from web.pages import page


@dataclass
class LoginForm:
    name: str = ""
    password: str = ""
    next: str = "/"


@dataclass(frozen=True)
class Me:
    name: str
    role: str  # admin, operator or auditor
    role_label: str  # 管理员, 操作员 or 审计员
    via: str  # session (browser cookie) or token (API token)


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "未知地址"


class LoginController(Controller):
    """The one page open to everybody (CSRF still applies to its form)."""

    path = "/login"
    include_in_schema = False
    opt = {"exclude_from_auth": True}

    @get("/")
    async def form(self, request: Request[Any, Any, Any], next: FromQuery[str] = "/") -> Template:  # noqa: A002
        return page(request, "login.html", title=messages.LOGIN_TITLE, next=safe_next(next), name="", error="")

    @post("/", sync_to_thread=True, status_code=303)
    def sign_in(self, request: Request[Any, Any, Any], taf: Taf, sessions: Sessions, throttle: Throttle,
                data: URLEncodedBody[LoginForm]) -> Response[Any]:
        address = client_address(request)
        target = safe_next(data.next)
        try:
            throttle.check(data.name, address)
            user = taf.users.sign_in(data.name.strip(), data.password, source=f"网页 {address}")
        except (SignInRefused, TooManyAttempts) as refusal:
            if isinstance(refusal, SignInRefused):
                throttle.failed(data.name, address)
            return page(request, "login.html", title=messages.LOGIN_TITLE, status=refusal.http_status,
                        next=target, name=data.name, error=refusal.text)
        throttle.succeeded(data.name)
        return Redirect(target, status_code=303, cookies=[sessions.cookie(sessions.issue(user))])


class LogoutController(PageController):
    path = "/logout"
    opt = {"roles": READ}

    @post("/", status_code=303, sync_to_thread=True)
    def sign_out(self, request: Request[SignedIn, Any, Any], taf: Taf, sessions: Sessions) -> Redirect:
        """End the browser's session in the ledger (its cookie, wherever copied, is refused from now
        on: in this process at once, in the others within their few seconds of cache) and clear it."""
        session = request.auth
        if isinstance(session, Session):
            taf.users.sign_out(request.user.name, session.session_id, until=datetime.now(tz=UTC) + sessions.lifetime,
                               source=f"网页 {client_address(request)}")
            request.app.state["identities"].forget()
        return Redirect("/login", status_code=303, cookies=[sessions.cleared_cookie()])


class MeApi(ApiController):
    path = f"{API}/me"
    tags = ["会话"]

    @get("/", summary="当前用户")
    async def me(self, request: Request[SignedIn, Any, Any]) -> Me:
        user = request.user
        return Me(user.name, user.role, user.role_label, "token" if isinstance(request.auth, BearerToken) else "session")
