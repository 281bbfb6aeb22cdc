"""Settings changed at run time (web, TUI, CLI). Each change is an event with old, new and who."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id
from ledger.errors import InvalidValue, NotFound
from ledger.rules.schedule import CronError, validate_cron


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidValue(what="设置", problem=f"“{value}”不是整数") from None
        if not low <= number <= high:
            raise InvalidValue(what="设置", problem=f"{number} 不在 {low}–{high} 之间")
        return number
    return check


def _cron(value: Any) -> str:
    try:
        return validate_cron(str(value))
    except CronError as error:
        raise InvalidValue(what="cron 表达式", problem=str(error)) from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on", "是"}:
        return True
    if text in {"0", "false", "no", "off", "否"}:
        return False
    raise InvalidValue(what="设置", problem=f"“{value}”应为 是 或 否（也可写 true/false、1/0）")


def _url(value: Any) -> str:
    text = str(value).strip().rstrip("/")
    if text and not text.startswith(("http://", "https://")):
        raise InvalidValue(what="网关地址", problem=f"“{value}”不是 http(s) 地址")
    return text


def _text(value: Any) -> str:
    return str(value)


def _paths(value: Any) -> list[str]:
    """Backup sources: a list, or text with one path per line or separated by semicolons."""
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[;\n]", str(value))
    paths = [item.strip() for item in items if item.strip()]
    if any("\x00" in p for p in paths):
        raise InvalidValue(what="备份源", problem="路径中不能含有 NUL 字符")
    return paths


# Known keys and their validators. Secret keys are stored only as ciphertext plus a masked hint.
RULES: dict[str, Callable[[Any], Any]] = {
    "default_retention_months": _int_range(1, 120),
    "active_groups": _int_range(1, 120),
    "monthly_backup_cron": _cron,
    "retention_check_cron": _cron,
    "verify_cron": _cron,
    "auto_erase_expired": _bool,
    "scheduler_enabled": _bool,
    "compression_level": _int_range(0, 9),
    "solid_block_size": _int_range(64 * 1024, 1 << 40),
    "max_file_size": _int_range(1024 * 1024, 1 << 44),
    "max_volume_size": _int_range(0, 1 << 60),
    "capacity_alert_pct": _int_range(1, 100),
    "min_scratch_cartridges": _int_range(0, 10_000),
    "tape_change_remind_minutes": _int_range(1, 24 * 60),
    "tape_change_pause_minutes": _int_range(1, 7 * 24 * 60),
    "catch_up_window_hours": _int_range(0, 24 * 31),
    "dingtalk_api_url": _url,
    "dingtalk_api_key": _text,
    "backup_sources": _paths,
    "monthly_report_enabled": _bool,  # the monthly report on the 1st (issue 17), off until switched on
    "monthly_report_cron": _cron,
}
SECRET_KEYS = frozenset({"dingtalk_api_key"})
TEMPLATE_PREFIX = "template."


def validate(key: str, value: Any) -> Any:
    if key.startswith(TEMPLATE_PREFIX) and len(key) > len(TEMPLATE_PREFIX):
        return _text(value)
    if key not in RULES:
        raise NotFound(what="设置项", key=key)
    return RULES[key](value)


class Settings(TafAggregate):
    @staticmethod
    def create_id(**_: Any) -> UUID:
        return stable_id("settings", "installation")

    @event("Created")
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def change(self, key: str, value: Any, old: Any, by: str) -> None:
        """Record a change of `key`; `old` is the value in force before (perhaps from .env)."""
        if key in SECRET_KEYS:
            raise InvalidValue(what=key, problem="密钥类设置须经加密后用 change_secret 保存")
        new = validate(key, value)
        if new != old:
            self._changed(key=key, old=old, new=new, by=by)

    @event("SettingChanged")
    def _changed(self, key: str, old: Any, new: Any, by: str) -> None:
        self.values[key] = new

    def change_secret(self, key: str, ciphertext: str, hint: str, old_hint: str, by: str) -> None:
        if key not in SECRET_KEYS:
            raise NotFound(what="密钥设置项", key=key)
        self._changed(key=key, old=old_hint, new={"ciphertext": ciphertext, "hint": hint}, by=by)
