"""Browser sessions: a short JWT in an HttpOnly, SameSite=Lax cookie, signed with a key from SECRET_KEY.

The token names the user (`sub`) and carries the role it was issued with only as a hint: every
request checks the user again (`Identities`), so a disabled user or a changed role counts within
seconds, not at the token's expiry. A session past half its life is renewed on the next request
(`renew_cookie`), so an operator who keeps working is not signed out mid-shift; one left idle for
ACCESS_TOKEN_EXPIRE_MINUTES is.

Each sign-in starts a session (`sid`, kept when a token is renewed). Signing out ends it in the
ledger (`User.SignedOut`): a copy of its cookie taken before — from a shared PC, a proxy log — is
refused from then on, not only at its expiry.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import ImproperlyConfiguredException, NotAuthorizedException
from litestar.security.jwt import Token
from litestar.types import Message, Scope

from app.users import SignedIn

SESSION_COOKIE = "taf_session"


def installation_secret(settings: Any) -> str:
    """SECRET_KEY, or the key generated on the first start and kept in the data folder (the composition
    root's `ensure_secret_key` wrote it before any services existed; the web only reads it)."""
    return settings.secret_key or (Path(settings.data_dir) / "secret_key").read_text().strip()


def derived_key(secret_key: str, purpose: str) -> str:
    """A key for one purpose (sessions, CSRF) derived from SECRET_KEY, so no two uses share a key."""
    return hashlib.sha256(f"taf-web|{purpose}|{secret_key}".encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """What the auth middleware leaves in `scope["auth"]` for a signed-in browser."""

    name: str
    issued_at: datetime
    renew: bool  # past half its life: the response carries a fresh cookie
    session_id: str  # the same for every token of one sign-in, renewals included


@dataclass(frozen=True)
class BearerToken:
    """`scope["auth"]` for a request authenticated by an API token."""

    token_id: str


class SessionTokens:
    def __init__(self, secret: str, algorithm: str, minutes: int, *, secure: bool = False) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self.lifetime = timedelta(minutes=minutes)
        self._secure = secure

    def issue(self, user: SignedIn, session_id: str | None = None) -> str:
        """A token for a new session, or for `session_id` (a renewal)."""
        now = datetime.now(tz=UTC)
        token = Token(sub=user.name, exp=now + self.lifetime, iat=now, jti=uuid.uuid4().hex,
                      extras={"role": user.role, "sid": session_id or uuid.uuid4().hex})
        return token.encode(self._secret, self._algorithm)

    def read(self, encoded: str) -> Session:
        """The session a cookie holds; NotAuthorized if it is forged, malformed or expired."""
        try:
            token = Token.decode(encoded, self._secret, self._algorithm)
        except (NotAuthorizedException, ImproperlyConfiguredException):
            raise NotAuthorizedException("登录已失效，请重新登录") from None
        issued = token.iat if token.iat.tzinfo else token.iat.replace(tzinfo=UTC)
        session_id = str(token.extras.get("sid") or token.jti)  # a token issued before sessions had ids
        return Session(token.sub, issued, datetime.now(tz=UTC) - issued > self.lifetime / 2, session_id)

    def cookie(self, encoded: str) -> Cookie:
        return Cookie(key=SESSION_COOKIE, value=encoded, path="/", httponly=True, samesite="lax",
                      secure=self._secure, max_age=int(self.lifetime.total_seconds()))

    async def renew(self, message: Message, scope: Scope) -> None:
        """A `before_send` hook: a session past half its life gets a fresh cookie with this response
        (unless the response sets the session cookie itself, as signing out does)."""
        if message["type"] != "http.response.start":
            return
        session, user = scope.get("auth"), scope.get("user")
        if not (isinstance(session, Session) and session.renew and isinstance(user, SignedIn)):
            return
        headers = MutableScopeHeaders.from_message(message)
        if not any(value.startswith(SESSION_COOKIE + "=") for value in headers.getall("set-cookie", [])):
            headers.add("set-cookie", self.cookie(self.issue(user, session.session_id)).to_header(header=""))

    def cleared_cookie(self) -> Cookie:
        return Cookie(key=SESSION_COOKIE, value="", path="/", httponly=True, samesite="lax", secure=self._secure,
                      max_age=0)
