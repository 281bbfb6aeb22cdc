"""Settings: what is in force (ledger, else .env, else built in), and changing it with a record.

The runtime settings an administrator may change (MISSION R13: schedules, retention, DingTalk,
compression …) start from `.env` and are overridden by `SettingChanged` events. Secrets are sealed
before they enter the ledger and shown masked, old value and new; every change names who made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.errors import BadRequest
from config import Settings as EnvSettings
from config.settings import read_raw
from ledger import clock
from ledger.application import Ledger
from ledger.domain.settings import RULES, SECRET_KEYS, TEMPLATE_PREFIX
from ledger.domain.settings_text import setting_name, setting_text
from ledger.errors import InvalidValue
from ledger.rules.cron_text import describe_cron, next_runs, run_text
from ledger.rules.schedule import CronError
from ledger.secrets import SecretBox
from notify.gateway import mask_token

# Settings the ledger may override at run time, and the .env attribute each starts from.
RUNTIME_DEFAULTS = {
    "default_retention_months": "default_retention_months",
    "active_groups": "active_groups",
    "monthly_backup_cron": "monthly_backup_cron",
    "retention_check_cron": "retention_check_cron",
    "auto_erase_expired": "auto_erase_expired",
    "scheduler_enabled": "scheduler_enabled",
    "compression_level": "compression_level",
    "solid_block_size": "solid_block_size",
    "max_file_size": "max_file_size",
    "max_volume_size": "max_volume_size",
    "dingtalk_api_url": "dingtalk_api_url",
    "backup_sources": "backup_sources",
}
BUILTIN_DEFAULTS: dict[str, Any] = {
    "verify_cron": "0 4 * * 0",
    "capacity_alert_pct": 90,
    "min_scratch_cartridges": 2,
    "tape_change_remind_minutes": 10,
    "tape_change_pause_minutes": 240,
    "catch_up_window_hours": 72,
    "monthly_report_enabled": False,
    "monthly_report_cron": "30 6 1 * *",
}
# .env keys never shown in clear (the startup view).
STARTUP_SECRETS = frozenset({"SECRET_KEY", "DINGTALK_API_KEY", "DATABASE_URL"})
SOURCE_LEDGER = "台账"
SOURCE_ENV = ".env/环境"
SOURCE_BUILTIN = "内置默认"
# The schedules an administrator sets (every cron setting the ledger's rules know), in their order.
SCHEDULE_KEYS = tuple(key for key in RULES if key.endswith("_cron"))
MAX_HISTORY = 1000
# Line breaks are part of a template or a list of backup sources; any other control character in a
# setting is a mistake (and a NUL would not survive every database).
_MULTILINE = ("backup_sources",)
_ALLOWED_CONTROLS = frozenset("\n\r\t")


def secret_hint(secret: str) -> str:
    """What may be shown of a secret such as the gateway token: never the whole of it — at most a
    quarter from each end, four characters each ("test…cdef"), nothing of a short one; "" for none."""
    return mask_token(secret) if secret else ""


class SettingRefused(BadRequest):
    """A value a setting's rule refuses; the message names the setting by its Chinese name and key,
    so a face can say which field was wrong. Nothing was changed."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{setting_name(key)}（{key}）的值无效：{problem}")
        self.key = key


class RuntimeSettings:
    """The value in force for each runtime setting: the ledger's, else .env's, else the built-in one."""

    def __init__(self, env: EnvSettings, ledger: Ledger, secret_box: SecretBox) -> None:
        self.env = env
        self.ledger = ledger
        self.secret_box = secret_box

    def changed(self) -> dict[str, Any]:
        return dict(self.ledger.setting_values())

    def effective(self, key: str, changed: Mapping[str, Any] | None = None) -> Any:
        """`changed`: the ledger's values when the caller has them already (one read for many keys)."""
        changed = self.ledger.setting_values() if changed is None else changed
        if key in changed:
            value = changed[key]
            return value["hint"] if isinstance(value, dict) and "hint" in value else value
        if key in RUNTIME_DEFAULTS:
            return getattr(self.env, RUNTIME_DEFAULTS[key])
        if key == "dingtalk_api_key":
            return self.env.dingtalk_api_key
        return BUILTIN_DEFAULTS.get(key)

    def secret(self, key: str) -> str:
        """A secret setting in clear (for the process that uses it, never for display)."""
        value = self.ledger.setting_values().get(key)
        if isinstance(value, dict) and "ciphertext" in value:
            return self.secret_box.open(value["ciphertext"])
        return str(self.effective(key) or "")


def runtime_keys() -> list[str]:
    return sorted(set(RULES) | set(BUILTIN_DEFAULTS))


class _Worded:
    """A setting's Chinese name and its value as people read it (是/否, units, 未设置), for every face."""

    key: str

    @property
    def label(self) -> str:
        return setting_name(self.key)

    def _text(self, value: Any) -> str:
        return setting_text(self.key, value)


@dataclass(frozen=True)
class SettingRow(_Worded):
    key: str
    value: Any  # secrets masked
    source: str  # SOURCE_LEDGER, SOURCE_ENV or SOURCE_BUILTIN

    @property
    def text(self) -> str:
        return self._text(self.value)


@dataclass(frozen=True)
class SettingsView:
    runtime: list[SettingRow]
    startup: dict[str, str]  # the .env / environment values read at start, secrets masked


@dataclass(frozen=True)
class SettingChange(_Worded):
    key: str
    shown: Any  # the new value as it may be shown (masked for a secret)
    by: str

    @property
    def text(self) -> str:
        return self._text(self.shown)


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change of a setting: who, when (ISO, UTC), old → new (secrets masked)."""

    at: str
    by: str
    key: str
    label: str  # the setting's Chinese name
    old: Any
    new: Any
    old_text: str  # as people read them: 是/否, units, 未设置
    new_text: str


@dataclass(frozen=True)
class CronPreview:
    """A cron expression in words and its next runs (local time), before or after it is saved."""

    key: str
    label: str
    expression: str
    description: str
    next_runs: list[str]  # "2026-07-01 02:00（周三）"


@dataclass(frozen=True)
class ScheduleEntry:
    """A schedule in force: its cron expression, where it comes from, in words, and its next runs."""

    key: str
    label: str
    expression: str
    source: str
    description: str
    next_runs: list[str]


class SettingsDeps(Protocol):
    @property
    def ledger(self) -> Ledger: ...

    @property
    def runtime(self) -> RuntimeSettings: ...


class SettingsService:
    def __init__(self, deps: SettingsDeps) -> None:
        self._ledger = deps.ledger
        self._runtime = deps.runtime

    def show(self) -> SettingsView:
        changed = self._runtime.changed()
        rows = []
        for key in runtime_keys():
            value = self._runtime.effective(key, changed)
            if key in SECRET_KEYS and key not in changed:
                value = secret_hint(str(value or ""))
            source = SOURCE_LEDGER if key in changed else (
                SOURCE_ENV if key in RUNTIME_DEFAULTS or key in SECRET_KEYS else SOURCE_BUILTIN)
            rows.append(SettingRow(key, value, source))
        rows += [SettingRow(key, changed[key], SOURCE_LEDGER) for key in sorted(changed)
                 if key.startswith(TEMPLATE_PREFIX)]
        startup = {key: (secret_hint(value) if key in STARTUP_SECRETS else value) for key, value in read_raw().items()}
        return SettingsView(rows, startup)

    def change(self, key: str, value: str, *, actor: str) -> SettingChange:
        """Change one runtime setting (validated by the ledger's rules), recorded with old, new and who.

        A value the rules refuse is a SettingRefused naming the setting; nothing is recorded then.
        """
        if key not in RULES and not key.startswith(TEMPLATE_PREFIX):
            raise BadRequest(f"未知的设置项：{key}。可修改的设置项：{'、'.join(runtime_keys())}")
        _check_characters(key, value)
        if key in SECRET_KEYS:
            value = value.strip()
            old_hint = secret_hint(self._runtime.secret(key))
            self._ledger.change_secret(key, ciphertext=self._runtime.secret_box.seal(value), hint=secret_hint(value),
                                       old_hint=old_hint, by=actor)
            return SettingChange(key, secret_hint(value), actor)
        try:
            self._ledger.change_setting(key, value, old=self._runtime.effective(key), by=actor)
        except InvalidValue as refused:
            raise SettingRefused(key, str(refused.details.get("problem", refused))) from None
        return SettingChange(key, self._runtime.effective(key), actor)

    def database_kind(self) -> str:
        """The ledger's database: sqlite, postgresql or opengauss (from DATABASE_URL)."""
        return str(self._runtime.env.database["kind"])

    # --- schedules -----------------------------------------------------------------------------

    def schedules(self) -> list[ScheduleEntry]:
        """Every schedule in force, in words, with its next runs from now (the host's local time)."""
        changed = self._runtime.changed()
        entries = []
        for key in SCHEDULE_KEYS:
            preview = self.preview_cron(key, str(self._runtime.effective(key)))
            source = SOURCE_LEDGER if key in changed else (SOURCE_ENV if key in RUNTIME_DEFAULTS else SOURCE_BUILTIN)
            entries.append(ScheduleEntry(key, preview.label, preview.expression, source, preview.description,
                                         preview.next_runs))
        return entries

    def preview_cron(self, key: str, expression: str, *, after: datetime | None = None) -> CronPreview:
        """`expression` for the schedule `key`, in words, and its next runs after `after` (default:
        now, local time); a malformed one is a SettingRefused naming the schedule. Nothing is saved."""
        if key not in SCHEDULE_KEYS:
            raise BadRequest(f"“{key}”不是计划任务的设置项。计划任务：{'、'.join(SCHEDULE_KEYS)}")
        _check_characters(key, expression)
        moment = after or _local_now()
        try:
            description = describe_cron(expression)
            runs = next_runs(expression, moment)
        except CronError as refused:
            raise SettingRefused(key, str(refused)) from None
        return CronPreview(key, setting_name(key), " ".join(expression.split()), description,
                           [run_text(run) for run in runs])

    # --- history -------------------------------------------------------------------------------

    def history(self, limit: int = 200, key: str | None = None) -> list[HistoryEntry]:
        """The newest `limit` setting changes (of `key` only, if given), newest first, from the ledger."""
        if not 1 <= limit <= MAX_HISTORY:
            raise BadRequest(f"条数必须在 1 到 {MAX_HISTORY} 之间")
        entries = []
        for event in self._ledger.setting_changes(limit, key=key or None):
            old, new = _shown(event.old), _shown(event.new)
            entries.append(HistoryEntry(event.timestamp.isoformat(timespec="seconds"), event.by, event.key,
                                        setting_name(event.key), old, new, setting_text(event.key, old),
                                        setting_text(event.key, new)))
        return entries


def _shown(value: Any) -> Any:
    """A recorded value as it may be shown: a sealed secret by its masked hint only."""
    return value.get("hint", "") if isinstance(value, dict) else value


def _check_characters(key: str, value: str) -> None:
    allowed = _ALLOWED_CONTROLS if key in _MULTILINE or key.startswith(TEMPLATE_PREFIX) else frozenset()
    if any((ord(char) < 32 and char not in allowed) or char == "\x7f" for char in str(value)):
        raise SettingRefused(key, "不能含有控制字符" + ("" if allowed else "或换行"))


def _local_now() -> datetime:
    """Now on the host's wall clock, to the minute, as the scheduler matches cron (jobs.schedule)."""
    return clock.now().astimezone().replace(second=0, microsecond=0, tzinfo=None)
