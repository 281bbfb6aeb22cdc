"""Users of TAF and recipients of its DingTalk messages."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id
from ledger.errors import InvalidValue, NotFound

ROLES = {"admin": "管理员", "operator": "操作员", "auditor": "审计员"}
_ROLE_ALIASES = {**{v: k for k, v in ROLES.items()}, **{k: k for k in ROLES}}
# A mainland China mobile number: 11 digits, 13x–19x (the gateway addresses DingTalk users by it).
_MOBILE = re.compile(r"1[3-9]\d{9}")
_COUNTRY = ("+86", "0086")
NOTIFY_EVENTS = ("backup_succeeded", "backup_failed", "tape_change_needed", "system_exception",
                 "capacity_threshold", "verification_mismatch", "erase_done", "monthly_report")


def normalise_role(role: str) -> str:
    try:
        return _ROLE_ALIASES[role.strip().lower() if role.isascii() else role.strip()]
    except KeyError:
        raise InvalidValue(what="角色", problem=f"“{role}”不是 管理员、操作员 或 审计员") from None


def check_phone(phone: str) -> str:
    """The 11 digits of a mainland mobile number; spaces, dashes and a leading +86 are allowed."""
    value = phone.strip().replace(" ", "").replace("-", "")
    for prefix in _COUNTRY:
        if value.startswith(prefix) and len(value) == len(prefix) + 11:
            value = value[len(prefix):]
    if not _MOBILE.fullmatch(value):
        raise InvalidValue(what="手机号", problem=f"“{phone}”不是中国大陆手机号：应为 11 位数字，以 13–19 开头，"
                                                  "如 13800138000")
    return value


def check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in NOTIFY_EVENTS]
    if unknown:
        raise InvalidValue(what="通知事件", problem=f"未知事件 {', '.join(unknown)}")
    return list(events)


class User(TafAggregate):
    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return stable_id("user", name.lower())

    @event("Created")
    def __init__(self, name: str, role: str, password_hash: str, by: str = "system") -> None:
        if not re.fullmatch(r"[\w.@-]{1,64}", name):
            raise InvalidValue(what="用户名", problem=f"“{name}”只能包含字母、数字、下划线、点、@ 和短横线")
        self.name = name
        self.role = normalise_role(role)
        self.password_hash = password_hash
        self.enabled = True
        self.failed_logins = 0
        self.tokens: dict[str, dict[str, Any]] = {}  # API tokens by id: only their SHA-256, never the token

    @event("PasswordChanged")
    def change_password(self, password_hash: str, by: str) -> None:
        self.password_hash = password_hash

    def change_role(self, role: str, by: str) -> None:
        self._role_changed(old=self.role, new=normalise_role(role), by=by)

    @event("RoleChanged")
    def _role_changed(self, old: str, new: str, by: str) -> None:
        self.role = new

    def logged_in(self, source: str) -> None:
        self._logged_in(source=source, by=self.name)

    @event("LoggedIn")
    def _logged_in(self, source: str, by: str = "") -> None:
        """`by`: the user who signed in, as the operation log names who acted (older events lack it)."""
        self.failed_logins = 0

    def login_failed(self, source: str, reason: str) -> None:
        self._login_failed(source=source, reason=reason, by=self.name)

    @event("LoginFailed")
    def _login_failed(self, source: str, reason: str, by: str = "") -> None:
        """`by`: the name the attempt was made under."""
        self.failed_logins += 1

    @event("Disabled")
    def disable(self, by: str) -> None:
        self.enabled = False

    def ended_sessions(self) -> dict[str, int]:
        """Browser sessions their user signed out of, by session id → when their last token expires
        (Unix seconds). Users created before sessions could be ended have none."""
        return getattr(self, "signed_out", {})

    def sign_out(self, session_id: str, at: int, until: int, source: str) -> None:
        """End one browser session: its tokens are refused from now on, though they have not expired.
        `at` is now and `until` when the session's last token expires (Unix seconds)."""
        if session_id not in self.ended_sessions():
            self._signed_out(session_id=session_id, at=at, until=until, source=source, by=self.name)

    @event("SignedOut")
    def _signed_out(self, session_id: str, at: int, until: int, source: str, by: str = "") -> None:
        # Sessions whose tokens have all expired need no refusing: they are dropped here, so the list
        # stays as long as the sessions that could still be used.
        kept = {sid: end for sid, end in self.ended_sessions().items() if end > at}
        self.signed_out = {**kept, session_id: until}

    @event("TokenIssued")
    def issue_token(self, token_id: str, token_hash: str, label: str, issued_at: str, expires_at: str | None,
                    by: str) -> None:
        self.tokens[token_id] = {"hash": token_hash, "label": label, "issued_at": issued_at,
                                 "expires_at": expires_at, "by": by, "revoked": False}

    def revoke_token(self, token_id: str, by: str) -> None:
        """Revoke one of this user's tokens; revoking it again changes nothing."""
        token = self.tokens.get(token_id)
        if token is None:
            raise NotFound(what=f"用户 {self.name} 的 API 令牌", key=token_id)
        if not token["revoked"]:
            self._token_revoked(token_id=token_id, by=by)

    @event("TokenRevoked")
    def _token_revoked(self, token_id: str, by: str) -> None:
        self.tokens[token_id] = {**self.tokens[token_id], "revoked": True}


class Recipient(TafAggregate):
    @classmethod
    def add(cls, name: str, phone: str, events: list[str], by: str = "system") -> Recipient:
        """A new recipient, its phone and events checked first (the rules apply to what is added
        from now on; a recipient recorded under older rules still loads)."""
        return cls(name=name, phone=check_phone(phone), events=check_events(events), by=by)

    @event("Added")
    def __init__(self, name: str, phone: str, events: list[str], by: str = "system") -> None:
        self.name = name
        self.phone = phone
        self.events = list(events)
        self.removed = False

    def update(self, by: str, name: str | None = None, phone: str | None = None,
               events: list[str] | None = None) -> None:
        self._updated(name=name if name is not None else self.name,
                      phone=check_phone(phone) if phone is not None else self.phone,
                      events=check_events(events) if events is not None else self.events, by=by)

    @event("Updated")
    def _updated(self, name: str, phone: str, events: list[str], by: str) -> None:
        self.name = name
        self.phone = phone
        self.events = events

    @event("Removed")
    def remove(self, by: str) -> None:
        self.removed = True
