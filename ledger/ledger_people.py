"""The ledger's verbs for settings, users, notification recipients and the notification outbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from ledger.domain import (
    Notification as NotificationAggregate,
)
from ledger.domain import (
    Recipient,
    Settings,
    User,
)
from ledger.domain.settings import TEMPLATE_PREFIX
from ledger.errors import AlreadyExists, InvalidValue, NotFound
from ledger.ledger_base import LedgerBase, _as_uuid


class PeopleLedger(LedgerBase):
    # --- settings ---------------------------------------------------------------------------
    def settings(self) -> Settings:
        """The installation's settings; a fresh, unsaved aggregate until the first change."""
        existing = self.find(Settings, Settings.create_id())
        return existing if existing is not None else Settings()

    def setting_values(self) -> Mapping[str, Any]:
        """The settings in force, read-only, for the many reads of one request (a page asks for a dozen
        settings): the aggregate last read, while the ledger holds no newer event of it — one indexed
        query for nothing, instead of loading the aggregate each time. A change by any process is
        seen at the next call."""
        cached = self._settings_read
        settings_id = Settings.create_id()
        if cached is not None and not self.recorder.select_events(settings_id, gt=cached[0], limit=1):
            return cached[1]
        saved = self.find(Settings, settings_id)
        values = MappingProxyType(dict(saved.values if saved is not None else {}))
        self._settings_read = (saved.version if saved is not None else 0, values)  # 0: never changed yet
        return values

    _settings_read: tuple[int, Mapping[str, Any]] | None = None

    def _save_settings_change(self, apply: Callable[[Settings], object]) -> Settings:
        return self.update(self.settings, apply, what="设置")

    def change_setting(self, key: str, value: Any, *, old: Any, by: str) -> Settings:
        return self._save_settings_change(lambda s: s.change(key, value, old=old, by=by))

    def change_secret(self, key: str, *, ciphertext: str, hint: str, old_hint: str, by: str) -> Settings:
        return self._save_settings_change(
            lambda s: s.change_secret(key, ciphertext=ciphertext, hint=hint, old_hint=old_hint, by=by))

    def setting_changes(self, limit: int, key: str | None = None) -> list[Any]:
        """The newest `limit` SettingChanged events (key, old, new, by, timestamp) — of `key` only,
        if given — newest first: the history of every setting change, from the settings' own events."""
        found: list[Any] = []
        for event in self.events.get(Settings.create_id(), desc=True):
            if isinstance(event, Settings.SettingChanged) and key in (None, event.key):  # type: ignore[attr-defined]
                found.append(event)
                if len(found) >= limit:
                    break
        return found

    # --- people -----------------------------------------------------------------------------
    def user(self, name: str) -> User:
        return self.get(User, User.create_id(name), "用户", name)

    def find_user(self, name: str) -> User | None:
        return self.find(User, User.create_id(name))

    def add_user(self, name: str, role: str, password_hash: str, by: str) -> User:
        if self.find_user(name) is not None:
            raise AlreadyExists(what="用户", key=name)
        user = User(name=name, role=role, password_hash=password_hash, by=by)
        try:
            self.save(user)
        except IntegrityError:
            raise AlreadyExists(what="用户", key=name) from None
        return user

    def _change_user(self, name: str, apply: Callable[[User], object]) -> User:
        return self.update(lambda: self.user(name), apply, what=f"用户 {name}")

    def change_user_role(self, name: str, role: str, *, by: str) -> User:
        return self._change_user(name, lambda user: user.change_role(role, by=by))

    def disable_user(self, name: str, *, by: str) -> User:
        return self._change_user(name, lambda user: user.disable(by=by))

    def logged_in(self, name: str, *, source: str) -> User:
        return self._change_user(name, lambda user: user.logged_in(source=source))

    def signed_out(self, name: str, *, session_id: str, at: int, until: int, source: str) -> User:
        return self._change_user(name, lambda user: user.sign_out(session_id, at, until, source))

    def login_failed(self, name: str, *, source: str, reason: str) -> User:
        return self._change_user(name, lambda user: user.login_failed(source=source, reason=reason))

    def user_names(self, limit: int = 0) -> list[str]:
        """Every user's name in the order they were created (the first `limit` only, if given):
        the creation events alone, selected by topic."""
        topic, page = get_topic(User.Created), limit or 1000
        names: list[str] = []
        position = 0
        while True:
            section = self.recorder.select_notifications(position, page, topics=[topic], inclusive_of_start=False)
            names += [self.mapper.to_domain_event(n).name for n in section]  # type: ignore[attr-defined]
            if len(section) < page or limit:
                return names
            position = section[-1].id

    def issue_token(self, name: str, *, token_id: str, token_hash: str, label: str, issued_at: str,
                    expires_at: str | None, by: str) -> User:
        return self._change_user(name, lambda user: user.issue_token(
            token_id=token_id, token_hash=token_hash, label=label, issued_at=issued_at, expires_at=expires_at, by=by))

    def revoke_token(self, name: str, token_id: str, *, by: str) -> User:
        return self._change_user(name, lambda user: user.revoke_token(token_id, by=by))

    def add_recipient(self, name: str, phone: str, events: list[str], by: str) -> Recipient:
        recipient = Recipient.add(name=name, phone=phone, events=events, by=by)
        self.save(recipient)
        return recipient

    def recipient(self, recipient_id: UUID | str) -> Recipient:
        return self.get(Recipient, _as_uuid(recipient_id), "接收人", str(recipient_id))

    def _change_recipient(self, recipient_id: str, apply: Callable[[Recipient], None]) -> Recipient:
        def act() -> Recipient:
            recipient = self.recipient(recipient_id)
            if recipient.removed:
                raise NotFound(what="接收人", key=recipient_id)
            apply(recipient)
            return recipient

        return self.change(act, what="接收人")

    def update_recipient(self, recipient_id: str, *, by: str, name: str | None = None, phone: str | None = None,
                         events: list[str] | None = None) -> Recipient:
        """Change what is given (None keeps it); a removed recipient is not found."""
        return self._change_recipient(
            recipient_id, lambda recipient: recipient.update(by=by, name=name, phone=phone, events=events))

    def remove_recipient(self, recipient_id: str, *, by: str) -> Recipient:
        return self._change_recipient(recipient_id, lambda recipient: recipient.remove(by=by))

    # --- notifications ----------------------------------------------------------------------
    def queue_notification(self, dedupe_key: str, *, kind: str, phone: str, title: str, content: str,
                           cause: str = "") -> tuple[NotificationAggregate, bool]:
        existing = self.find(NotificationAggregate, NotificationAggregate.create_id(dedupe_key))
        if existing is not None:
            return existing, False
        note = NotificationAggregate(dedupe_key=dedupe_key, kind=kind, phone=phone, title=title,
                                     content=content, cause=cause)
        try:
            self.save(note)
        except IntegrityError:
            return self.get(NotificationAggregate, note.id, "通知", dedupe_key), False
        return note, True

    def notification(self, notification_id: UUID | str) -> NotificationAggregate:
        return self.get(NotificationAggregate, _as_uuid(notification_id), "通知", str(notification_id))

    def _change_notification(self, notification_id: str, apply: Callable[[NotificationAggregate], object]) -> None:
        self.update(lambda: self.notification(notification_id), apply, what="通知")

    def notification_delivered(self, notification_id: str, task_id: str) -> None:
        self._change_notification(notification_id, lambda note: note.deliver(task_id))

    def notification_attempt_started(self, notification_id: str, attempts: int, next_attempt_at: str) -> bool:
        """The dispatcher's write-ahead record: an attempt going out, not a failure. False when another
        dispatcher recorded this attempt first (the aggregate's version decides): it sends, not this one."""
        claimed = [False]

        def act() -> NotificationAggregate:
            note = self.notification(notification_id)
            claimed[0] = note.start_attempt(attempts, next_attempt_at)
            return note

        self.change(act, what="通知")
        return claimed[0]

    def notification_attempt_failed(self, notification_id: str, attempts: int, error: str,
                                    next_attempt_at: str) -> None:
        self._change_notification(notification_id,
                                  lambda note: note.attempt_failed(attempts, error, next_attempt_at))

    def notification_failed(self, notification_id: str, error: str) -> None:
        self._change_notification(notification_id, lambda note: note.fail(error))

    def change_template(self, changes: dict[str, tuple[str, Any]], *, by: str) -> Settings:
        """A message template's parts (settings `template.…` → (new, old)), changed in one save."""
        if not all(key.startswith(TEMPLATE_PREFIX) for key in changes):
            raise InvalidValue(what="通知模板", problem=f"设置项须以 {TEMPLATE_PREFIX} 开头")

        def act() -> Settings:
            settings = self.settings()
            for key, (new, old) in changes.items():
                settings.change(key, new, old=old, by=by)
            return settings

        return self.change(act, what="通知模板")
