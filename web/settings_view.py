"""What the 设置 page shows and the forms it sends: the runtime settings in groups, the version, the
request bodies of its API. Nothing here decides anything; every value comes from `App` verbs.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar.openapi.datastructures import ResponseSpec

from app.facade import App
from app.settings import SCHEDULE_KEYS, SettingRow, SettingsView
from ledger.domain.settings import SECRET_KEYS
from web.api_errors import ErrorBody

# The 系统参数 tab: each card's title, what it is about, and its settings in order.
PARAM_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("压缩与数据包", "新的备份任务按这些参数打包；已写入磁带的数据不受影响",
     ("compression_level", "solid_block_size", "max_file_size", "max_volume_size", "backup_sources")),
    ("备份组与磁带", "活动备份组的磁带永远不会被擦除，无论其他设置如何",
     ("active_groups", "default_retention_months", "auto_erase_expired", "tape_change_remind_minutes",
      "tape_change_pause_minutes")),
    ("容量告警", "超过阈值时发送容量告警通知",
     ("capacity_alert_pct", "min_scratch_cartridges")),
)
# Settings shown with the schedules rather than with the parameters.
SCHEDULE_SWITCHES = ("scheduler_enabled", "catch_up_window_hours", "monthly_report_enabled")
GATEWAY_KEYS = ("dingtalk_api_url", "dingtalk_api_key")
BOOLEAN_KEYS = frozenset({"auto_erase_expired", "scheduler_enabled", "monthly_report_enabled"})
MULTILINE_KEYS = frozenset({"backup_sources"})
DATABASES = {"sqlite": "SQLite（内置）", "postgresql": "PostgreSQL", "opengauss": "openGauss"}
TABS = (("params", "系统参数"), ("schedules", "计划任务"), ("dingtalk", "钉钉通知"), ("users", "用户与令牌"),
        ("about", "版本与修改历史"))


@dataclass(frozen=True)
class ParamGroup:
    title: str
    hint: str
    rows: list[SettingRow]


def rows_by_key(view: SettingsView) -> dict[str, SettingRow]:
    return {row.key: row for row in view.runtime}


def param_groups(view: SettingsView) -> list[ParamGroup]:
    """The parameter cards, and one more for any runtime setting no card names (so none is hidden)."""
    rows = rows_by_key(view)
    placed = {key for _, _, keys in PARAM_GROUPS for key in keys} | set(SCHEDULE_SWITCHES) | set(GATEWAY_KEYS)
    placed |= set(SCHEDULE_KEYS)
    groups = [ParamGroup(title, hint, [rows[key] for key in keys if key in rows]) for title, hint, keys in PARAM_GROUPS]
    others = [row for key, row in rows.items() if key not in placed and not key.startswith("template.")]
    if others:
        groups.append(ParamGroup("其他", "其余运行时设置", others))
    return groups


@dataclass(frozen=True)
class About:
    """The version and what this installation runs on."""

    version: str
    python: str
    database: str  # the ledger's kind: SQLite, openGauss/PostgreSQL
    ledger_events: int  # events in the ledger (its head)
    time_zone: str  # the host's: schedules run on its wall clock


def about(taf: App, version: str) -> About:
    database = DATABASES.get(taf.settings.database_kind(), taf.settings.database_kind())
    zone = datetime.now().astimezone().tzname() or ""
    return About(version, platform.python_version(), database, taf.audit.head_id(), zone)


def template_context(**extra: Any) -> dict[str, Any]:
    """What every settings partial may use beside its own values."""
    return {"boolean_keys": BOOLEAN_KEYS, "multiline_keys": MULTILINE_KEYS, "secret_keys": SECRET_KEYS, **extra}


# What each refusal means on the settings, notification and user routes (the OpenAPI document).
MEANINGS = {
    400: "请求的参数有误（哪一项、错在哪里见 detail；什么都没有改动）",
    403: "权限不足：只有管理员可以修改设置、接收人、模板和用户",
    404: "没有这个接收人、用户或 API 令牌",
    409: "当前状态不允许：如尚未配置钉钉网关、用户已存在、停用唯一的管理员",
}


def refusals(*statuses: int) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=ErrorBody, description=MEANINGS[status], generate_examples=False)
            for status in statuses}


# -- request bodies --------------------------------------------------------------------------------


@dataclass
class NewValue:
    value: str


@dataclass
class GatewayForm:
    """The gateway card: the URL, and a new token (empty keeps the one in force)."""

    url: str = ""
    token: str = ""


@dataclass
class TestRequest:
    """A test message to `phone`, or to every recipient when it is empty."""

    phone: str = ""


@dataclass
class RecipientRequest:
    name: str
    phone: str
    events: list[str] | None = None  # event keys or Chinese labels; none: every kind


@dataclass
class RecipientChange:
    """What to change of a recipient; a field left out stays as it is."""

    name: str | None = None
    phone: str | None = None
    events: list[str] | None = None


@dataclass
class RecipientForm:
    """The recipient form: one `events` field per ticked box (a single one arrives as a string)."""

    name: str = ""
    phone: str = ""
    events: list[str] | str = field(default_factory=list)


def ticked(events: list[str] | str) -> list[str]:
    return [events] if isinstance(events, str) else list(events)


@dataclass
class TemplateRequest:
    """A template's new title and/or content (a part left out stays as it is)."""

    title: str | None = None
    content: str | None = None


@dataclass
class TemplateForm:
    title: str = ""
    content: str = ""
