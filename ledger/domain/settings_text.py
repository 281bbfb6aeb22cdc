"""The runtime settings as people read them: each one's Chinese name, and its value with its unit.

Beside the rules (`ledger.domain.settings.RULES`) so that every face and the operation log say the
same: the CLI's `settings show`, the web's settings page and the sentence of a `SettingChanged` event.
The key itself stays what it is — the identifier `settings set` takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.units import human_bytes

SETTING_NAMES: dict[str, str] = {
    "monthly_backup_cron": "每月全量备份时间",
    "retention_check_cron": "存活期检查时间",
    "verify_cron": "读回校验时间",
    "default_retention_months": "默认存活期",
    "active_groups": "活动备份组数",
    "auto_erase_expired": "备份前自动擦除到期磁带",
    "scheduler_enabled": "启用计划任务",
    "compression_level": "压缩级别（LZMA2）",
    "solid_block_size": "固实块大小",
    "max_file_size": "数据包上限",
    "max_volume_size": "单盘写入上限",
    "capacity_alert_pct": "容量告警阈值",
    "min_scratch_cartridges": "空白磁带最少数量",
    "tape_change_remind_minutes": "换盘提醒间隔",
    "tape_change_pause_minutes": "换盘等待上限",
    "catch_up_window_hours": "错过的计划任务补做窗口",
    "dingtalk_api_url": "钉钉网关地址",
    "dingtalk_api_key": "钉钉网关令牌",
    "backup_sources": "备份源路径",
    "monthly_report_enabled": "自动生成月度报告",
    "monthly_report_cron": "月度报告生成时间",
}
TEMPLATE_NAME = "通知模板"
NOT_SET = "未设置"


def _bytes(value: int) -> str:
    return f"{human_bytes(value)}（{value} 字节）"


def _unit(unit: str) -> Callable[[int], str]:
    return lambda value: f"{value} {unit}"


_UNITS: dict[str, Callable[[Any], str]] = {
    "default_retention_months": _unit("个月"),
    "active_groups": _unit("个"),
    "solid_block_size": _bytes,
    "max_file_size": _bytes,
    "max_volume_size": lambda value: "不限（0）" if value == 0 else _bytes(value),
    "capacity_alert_pct": lambda value: f"{value}%",
    "min_scratch_cartridges": _unit("盘"),
    "tape_change_remind_minutes": _unit("分钟"),
    "tape_change_pause_minutes": _unit("分钟"),
    "catch_up_window_hours": lambda value: "不补做（0）" if value == 0 else f"{value} 小时",
}


def setting_name(key: str) -> str:
    """`scheduler_enabled` → "启用计划任务"; a message template's part → "通知模板"."""
    return SETTING_NAMES.get(key) or (TEMPLATE_NAME if key.startswith("template.") else key)


def setting_text(key: str, value: Any) -> str:
    """A setting's value as people read it: 是/否, units, 未设置 for nothing, a list joined with 、."""
    if isinstance(value, dict) and "hint" in value:
        value = value["hint"]  # a sealed secret: only its masked hint
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "" or value == []:
        return NOT_SET
    if isinstance(value, list | tuple):
        return "、".join(str(item) for item in value)
    if isinstance(value, int) and key in _UNITS:
        return _UNITS[key](value)
    return str(value)
