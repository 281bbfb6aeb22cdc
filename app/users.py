"""Users and sign-in: accounts with a role, passwords kept only as scrypt hashes.

Adding a user without a password generates one, returned once and never stored in clear. Signing
in records `LoggedIn` or `LoginFailed` (with where from) in the ledger; a refusal never says
whether the name or the password was wrong.

API tokens for automation are `taf_<name in base64url>.<id>.<secret>`: the name and id say whose
token it is without a lookup table; the ledger keeps only the token's SHA-256 (the secret has 256
random bits, so a plain hash is enough), and issuing or revoking one is an event naming who did it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as pysecrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.errors import BadRequest, Refused, SignInRefused
from ledger import clock
from ledger.application import Ledger
from ledger.domain.people import ROLES, User, normalise_role
from ledger.errors import AlreadyExists
from ledger.secrets import hash_password, verify_password

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
GENERATED_PASSWORD_BYTES = 12
FIRST_ADMIN = "admin"
TOKEN_PREFIX = "taf_"
TOKEN_SECRET_BYTES = 32
MAX_TOKEN_DAYS = 3650
MAX_LABEL = 100


class TokenRefused(Refused):
    """A bearer token that is malformed, unknown, revoked, expired or belongs to a disabled user."""

    http_status = 401
    default_message = "API 令牌无效、已过期或已被吊销"


@dataclass(frozen=True)
class NewUser:
    name: str
    role: str  # admin, operator or auditor
    role_label: str  # 管理员, 操作员 or 审计员
    generated_password: str | None  # shown once when TAF chose the password


@dataclass(frozen=True)
class SignedIn:
    name: str
    role: str
    role_label: str
    # The browser sessions this user signed out of, still refused until their tokens expire.
    ended_sessions: frozenset[str] = field(default=frozenset(), compare=False, repr=False)


@dataclass(frozen=True)
class UserEntry:
    name: str
    role: str
    role_label: str
    enabled: bool
    active_tokens: int


@dataclass(frozen=True)
class TokenEntry:
    token_id: str
    label: str
    issued_at: str
    issued_by: str
    expires_at: str | None  # None: until revoked
    revoked: bool


@dataclass(frozen=True)
class IssuedToken:
    name: str
    token_id: str
    label: str
    expires_at: str | None
    token: str  # the token itself: shown this once, only its hash is kept


class UsersDeps(Protocol):
    @property
    def ledger(self) -> Ledger: ...


class Users:
    def __init__(self, deps: UsersDeps) -> None:
        self._ledger = deps.ledger

    def add(self, name: str, role: str, password: str | None, *, actor: str) -> NewUser:
        """Create an account; with no password, one is generated and returned (only here)."""
        code = normalise_role(role)
        generated = not password
        if not password:
            password = pysecrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
        elif not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise BadRequest(f"密码至少需要 {MIN_PASSWORD} 个字符（最多 {MAX_PASSWORD} 个）")
        self._ledger.add_user(name, code, hash_password(password), by=actor)
        return NewUser(name, code, ROLES[code], password if generated else None)

    def sign_in(self, name: str, password: str, *, source: str) -> SignedIn:
        """Check a password; the attempt is recorded either way (`source`: where it came from)."""
        user = self._ledger.find_user(name)
        if user is None:
            raise SignInRefused()
        if not user.enabled or not verify_password(password, user.password_hash):
            self._ledger.login_failed(name, source=source, reason="账户已停用" if not user.enabled else "密码不正确")
            raise SignInRefused()
        self._ledger.logged_in(name, source=source)
        return _signed_in(user)

    def sign_out(self, name: str, session_id: str, *, until: datetime, source: str) -> None:
        """End one browser session of `name` (`until`: when its newest token expires): a token of it
        is refused from now on, wherever it was copied to. An unknown user has nothing to end."""
        if self._ledger.find_user(name) is None:
            return
        self._ledger.signed_out(name, session_id=session_id, at=int(clock.now().timestamp()),
                                until=int(until.timestamp()), source=source)

    def who(self, name: str) -> SignedIn | None:
        """The user as they are now (role and all), or None if unknown or disabled: a face checks
        a session it issued earlier against this."""
        user = self._ledger.find_user(name)
        return _signed_in(user) if user is not None and user.enabled else None

    def ensure_first_admin(self) -> NewUser | None:
        """On a ledger without any user, create the administrator `admin` with a generated password
        (returned once, for the console); None when there is a user already."""
        if self._ledger.user_names(limit=1):
            return None
        try:
            return self.add(FIRST_ADMIN, "admin", None, actor="system")
        except AlreadyExists:  # another process of the same installation was first
            return None

    def list_users(self) -> list[UserEntry]:
        return [self.entry(name) for name in self._ledger.user_names()]

    def entry(self, name: str) -> UserEntry:
        user = self._ledger.user(name)
        active = sum(1 for token in user.tokens.values() if not token["revoked"])
        return UserEntry(user.name, user.role, ROLES[user.role], user.enabled, active)

    def change_role(self, name: str, role: str, *, actor: str) -> UserEntry:
        """Give `name` another role (管理员, 操作员 or 审计员), recorded naming `actor`; the last
        enabled administrator keeps theirs, so the installation is never left without one."""
        code = normalise_role(role)
        user = self._ledger.user(name)
        if user.role == code:
            raise BadRequest(f"用户 {user.name} 已经是{ROLES[code]}")
        if user.role == "admin" and user.enabled:
            self._keep_an_admin(user.name)
        self._ledger.change_user_role(user.name, code, by=actor)
        return self.entry(user.name)

    def disable(self, name: str, *, actor: str) -> UserEntry:
        """Disable an account: it can no longer sign in, its sessions and API tokens stop working.
        Nobody disables their own account or the last enabled administrator."""
        user = self._ledger.user(name)
        if not user.enabled:
            raise Refused(f"用户 {user.name} 已经停用")
        if user.name.lower() == actor.lower():
            raise Refused("不能停用自己正在使用的账户：请由另一位管理员操作")
        if user.role == "admin":
            self._keep_an_admin(user.name)
        self._ledger.disable_user(user.name, by=actor)
        return self.entry(user.name)

    def _keep_an_admin(self, leaving: str) -> None:
        others = [name for name in self._ledger.user_names() if name != leaving]
        if not any(user.enabled and user.role == "admin" for user in map(self._ledger.user, others)):
            raise Refused(f"{leaving} 是唯一一位启用的管理员：请先让另一位用户成为管理员")

    def tokens(self, name: str) -> list[TokenEntry]:
        return [_token_entry(token_id, token) for token_id, token in self._ledger.user(name).tokens.items()]

    def issue_token(self, name: str, label: str = "", days: int | None = None, *, actor: str) -> IssuedToken:
        """A new API token for `name` (valid `days` days, or until revoked); the token is returned
        only here."""
        if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
            raise BadRequest(f"有效天数必须在 1 到 {MAX_TOKEN_DAYS} 之间")
        if len(label.strip()) > MAX_LABEL or any(ord(char) < 32 or char == "\x7f" for char in label):
            raise BadRequest(f"令牌用途最多 {MAX_LABEL} 个字符，且不能含有控制字符或换行")
        user = self._ledger.user(name)
        token_id = pysecrets.token_hex(4)
        while token_id in user.tokens:
            token_id = pysecrets.token_hex(4)
        now = clock.now()
        expires_at = (now + timedelta(days=days)).isoformat(timespec="seconds") if days else None
        encoded_name = base64.urlsafe_b64encode(user.name.encode()).decode().rstrip("=")
        token = f"{TOKEN_PREFIX}{encoded_name}.{token_id}.{pysecrets.token_urlsafe(TOKEN_SECRET_BYTES)}"
        self._ledger.issue_token(user.name, token_id=token_id, token_hash=_token_hash(token), label=label.strip(),
                                 issued_at=now.isoformat(timespec="seconds"), expires_at=expires_at, by=actor)
        return IssuedToken(user.name, token_id, label.strip(), expires_at, token)

    def revoke_token(self, name: str, token_id: str, *, actor: str) -> TokenEntry:
        user = self._ledger.revoke_token(name, token_id, by=actor)
        return _token_entry(token_id, user.tokens[token_id])

    def authenticate_token(self, token: str) -> SignedIn:
        """Whose API token this is, if it is valid now; anything else is one refusal."""
        name, token_id = _parse_token(token)
        user = self._ledger.find_user(name)
        entry = user.tokens.get(token_id) if user is not None else None
        if user is None or entry is None or not user.enabled or entry["revoked"]:
            raise TokenRefused()
        if not hmac.compare_digest(entry["hash"], _token_hash(token)):
            raise TokenRefused()
        if entry["expires_at"] and datetime.fromisoformat(entry["expires_at"]) <= clock.now():
            raise TokenRefused()
        return _signed_in(user)


def _signed_in(user: User) -> SignedIn:
    return SignedIn(user.name, user.role, ROLES[user.role], frozenset(user.ended_sessions()))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_entry(token_id: str, token: dict[str, Any]) -> TokenEntry:
    return TokenEntry(token_id, token["label"], token["issued_at"], token["by"], token["expires_at"], token["revoked"])


def _parse_token(token: str) -> tuple[str, str]:
    """The user name and token id a token names; TokenRefused if it is not one of ours."""
    parts = token.removeprefix(TOKEN_PREFIX).split(".") if token.startswith(TOKEN_PREFIX) else []
    if len(parts) != 3 or not all(parts):
        raise TokenRefused()
    try:
        name = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise TokenRefused() from None
    return name, parts[1]
