"""Roles: auditors read, operators also act (backups, restores, tape acts), administrators do all.

One guard, `role_guard`, attached at class level to every area controller (`web.areas.base`). It
reads the roles a handler allows from its `opt["roles"]` (set on the handler or inherited from its
controller); without one, reading (GET, HEAD) is open to every role and anything else needs an
operator or an administrator. So a new mutating route is closed to auditors unless it says
otherwise — and the route-table test (tests/web/test_routes.py) checks exactly that.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.users import SignedIn
from ledger.domain.people import ROLES

ADMIN = ("admin",)
OPERATE = ("admin", "operator")
READ = ("admin", "operator", "auditor")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def allowed_roles(handler: BaseRouteHandler, method: str) -> tuple[str, ...]:
    """The roles that may use `handler` with `method`: its declared `opt["roles"]`, else by method."""
    declared = handler.opt.get("roles")
    if declared is not None:
        return tuple(declared)
    return READ if method.upper() in SAFE_METHODS else OPERATE


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, SignedIn):
        raise NotAuthorizedException("请先登录")
    allowed = allowed_roles(handler, str(connection.scope.get("method", "GET")))
    if user.role not in allowed:
        labels = "、".join(ROLES[role] for role in allowed)
        raise PermissionDeniedException(f"权限不足：{user.role_label}不能执行这个操作（需要 {labels}）")
