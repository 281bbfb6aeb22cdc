"""CSRF protection for every form and htmx request, but not for API clients with a bearer token.

Litestar's `CSRFMiddleware` (double-submit: a cookie plus the same token in the `x-csrftoken`
header or the `_csrf_token` form field). A request carrying an `Authorization` header is
authenticated by that header alone (see `AuthMiddleware`), and a browser never adds one to a
cross-site request by itself, so such requests skip the check: scripts need no CSRF cookie.
"""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Headers
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

CSRF_COOKIE = "taf_csrf"
CSRF_HEADER = "x-csrftoken"


def csrf_config(secret: str, *, secure: bool = False) -> CSRFConfig:
    return CSRFConfig(secret=secret, cookie_name=CSRF_COOKIE, header_name=CSRF_HEADER, cookie_secure=secure,
                      cookie_httponly=False, cookie_samesite="lax")


class CsrfMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "authorization" in Headers.from_scope(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
