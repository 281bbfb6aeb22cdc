"""Settings: what is in force (ledger, else .env, else built in), and changing it with a record.

The runtime settings an administrator may change (MISSION R13: schedules, retention, DingTalk,
compression …) start from `.env` and are overridden by `SettingChanged` events. Secrets are sealed
before they enter the ledger and shown masked, old value and new; every change names who made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.errors import BadRequest
from config import Settings as EnvSettings
from config.settings import read_raw
from ledger.application import Ledger
from ledger.domain.settings import RULES, SECRET_KEYS, TEMPLATE_PREFIX
from ledger.domain.settings_text import setting_name, setting_text
from ledger.secrets import SecretBox, mask

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


class RuntimeSettings:
    """The value in force for each runtime setting: the ledger's, else .env's, else the built-in one."""

    def __init__(self, env: EnvSettings, ledger: Ledger, secret_box: SecretBox) -> None:
        self.env = env
        self.ledger = ledger
        self.secret_box = secret_box

    def changed(self) -> dict[str, Any]:
        return dict(self.ledger.settings().values)

    def effective(self, key: str) -> Any:
        changed = self.ledger.settings().values
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
        value = self.ledger.settings().values.get(key)
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
            value = self._runtime.effective(key)
            if key in SECRET_KEYS and key not in changed:
                value = mask(str(value or ""))
            source = SOURCE_LEDGER if key in changed else (
                SOURCE_ENV if key in RUNTIME_DEFAULTS or key in SECRET_KEYS else SOURCE_BUILTIN)
            rows.append(SettingRow(key, value, source))
        rows += [SettingRow(key, changed[key], SOURCE_LEDGER) for key in sorted(changed)
                 if key.startswith(TEMPLATE_PREFIX)]
        startup = {key: (mask(value) if key in STARTUP_SECRETS else value) for key, value in read_raw().items()}
        return SettingsView(rows, startup)

    def change(self, key: str, value: str, *, actor: str) -> SettingChange:
        """Change one runtime setting (validated by the ledger's rules), recorded with old, new and who."""
        if key in SECRET_KEYS:
            old_hint = mask(self._runtime.secret(key))
            self._ledger.change_secret(key, ciphertext=self._runtime.secret_box.seal(value), hint=mask(value),
                                       old_hint=old_hint, by=actor)
            return SettingChange(key, mask(value), actor)
        if key not in RULES and not key.startswith(TEMPLATE_PREFIX):
            raise BadRequest(f"未知的设置项：{key}。可修改的设置项：{'、'.join(runtime_keys())}")
        self._ledger.change_setting(key, value, old=self._runtime.effective(key), by=actor)
        return SettingChange(key, self._runtime.effective(key), actor)
