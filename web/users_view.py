"""What the 用户与令牌 tab of the settings page shows and the forms it sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import BadRequest
from app.facade import App
from ledger.domain.people import ROLES


def users_context(taf: App, **extra: Any) -> dict[str, Any]:
    return {"users": taf.users.list_users(), "roles": ROLES, **extra}


def tokens_context(taf: App, name: str, **extra: Any) -> dict[str, Any]:
    return {"owner": taf.users.entry(name), "tokens": taf.users.tokens(name), **extra}


def days_of(text: str) -> int | None:
    """A token's validity from the form: a whole number of days, or empty for "until revoked"."""
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise BadRequest(f"有效天数“{text}”不是整数：请填写天数，或留空表示一直有效（直到吊销）") from None


@dataclass
class NewUserRequest:
    name: str
    role: str  # admin, operator, auditor, or 管理员, 操作员, 审计员
    password: str | None = None  # none or empty: a password is generated and answered once


@dataclass
class NewUserForm:
    name: str = ""
    role: str = "operator"
    password: str = ""


@dataclass
class RoleRequest:
    role: str


@dataclass
class TokenRequest:
    label: str = ""
    days: int | None = None  # None: valid until revoked


@dataclass
class TokenForm:
    label: str = ""
    days: str = ""
