"""Authentication for every request: the session cookie of a browser, or `Authorization: Bearer`.

A bearer header wins over the cookie and must hold a TAF API token (`taf_…`). Paths that need no
sign-in (the login page, static files, the health check, the OpenAPI document) are excluded by
pattern; a handler can opt out with `exclude_from_auth=True`.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from app.users import TOKEN_PREFIX
from web.auth.identities import Identities
from web.auth.sessions import SESSION_COOKIE, BearerToken, SessionTokens

# Reachable without signing in (regular expressions on the path).
PUBLIC_PATHS = [r"^/login$", r"^/static/", r"^/healthz$", r"^/api/v1/health$", r"^/api/v1/schema"]


class AuthMiddleware(AbstractAuthenticationMiddleware):
    def __init__(self, app: ASGIApp, *, identities: Identities, sessions: SessionTokens,
                 exclude: list[str] | None = None) -> None:
        super().__init__(app, exclude=exclude if exclude is not None else PUBLIC_PATHS)
        self.identities = identities
        self.sessions = sessions

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
                raise NotAuthorizedException("Authorization 头应为 “Bearer <API 令牌>”")
            user = await self.identities.by_token(token)
            return AuthenticationResult(user=user, auth=BearerToken(token.split(".")[1]))
        cookie = connection.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise NotAuthorizedException("请先登录")
        session = self.sessions.read(cookie)
        user = await self.identities.by_name(session.name)
        if session.session_id in user.ended_sessions:
            raise NotAuthorizedException("已退出登录，请重新登录")
        return AuthenticationResult(user=user, auth=session)
