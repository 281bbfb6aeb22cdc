"""Chinese sentences for ledger events, as the operation log and `ledger log` show them.

One catalogue, so a translator finds every sentence in one place.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.job import CONFLICT_NAMES, KIND_NAMES, MISMATCH, VERIFICATION_NAMES, verification_outcome
from ledger.domain.people import ROLES
from ledger.domain.settings_text import setting_name, setting_text
from ledger.rules.locations import location_text

SENTENCES: dict[str, str] = {
    "Cartridge.Registered": "登记磁带 {barcode}（{media_type}，池 {pool}）",
    "Cartridge.Labelled": "磁带写入标签 {volume_serial}（第 {label_sequence} 次标记，池 {pool}）",
    "Cartridge.Loaded": "磁带装入驱动器 {drive}",
    "Cartridge.Unloaded": "磁带从驱动器 {drive} 卸出（现在位置：{location}）",
    "Cartridge.Moved": "磁带移至 {location}",
    "Cartridge.PackageWritten": "写入数据包第 {sequence} 号（磁带文件 {tape_file}，{payload_bytes} 字节，备份组 {group}）",
    "PackageManifest.Recorded": "记录数据包 {package_id} 的清单（{entries} 项）",
    "Cartridge.IndexWritten": "写入磁带索引（磁带文件 {tape_file}，共 {packages} 个数据包）",
    "Cartridge.TapeFull": "磁带已满（已写 {bytes_written} 字节）：{reason}",
    "Cartridge.Expired": "磁带到期：{reason}",
    "Cartridge.Erased": "磁带已擦除（{mode}，原标签第 {label_sequence} 次），回到空白池",
    "Cartridge.Retired": "磁带退役：{reason}",
    "Cartridge.RetentionChanged": "磁带存活期由 {old} 改为 {new} 个月",
    "Cartridge.HealthRecorded": "记录磁带健康状况",
    "Cartridge.Reserved": "磁带分配给任务 {job_id}",
    "Cartridge.Released": "磁带由任务 {job_id} 释放",
    "Drive.Registered": "登记驱动器 {device}（{vendor} {product}，序列号 {serial}）",
    "Drive.Reserved": "驱动器分配给任务 {job_id}",
    "Drive.Released": "驱动器由任务 {job_id} 释放",
    "Drive.CartridgeLoaded": "驱动器装入磁带 {barcode}",
    "Drive.CartridgeUnloaded": "驱动器卸出磁带 {barcode}",
    "Drive.CommandFailed": "SCSI 命令 {command} 失败：{message}",
    "Drive.Cleaned": "驱动器已清洁",
    "BackupGroup.Opened": "创建备份组 {name}",
    "BackupGroup.RunAdded": "备份组追加第 {run_number} 次备份（任务 {job_id}）",
    "BackupGroup.CartridgeAdded": "备份组使用磁带 {barcode}",
    "BackupGroup.RotatedOut": "备份组轮换出活动集：{reason}",
    "BackupJob.Requested": "提交备份任务（{kind}，备份组 {group}）",
    "BackupJob.Planned": "备份计划：{files} 个文件，{packages} 个数据包，{bytes_in} 字节",
    "BackupJob.PackageRecorded": "任务记录数据包第 {sequence} 号于磁带 {cartridge}",
    "BackupJob.TapeChangeRequested": "请求换盘：{reason}{instruction}",
    "BackupJob.TapeChangeSatisfied": "已换上磁带 {barcode}",
    "BackupJob.WarningRecorded": "任务警告：{message}",
    "BackupJob.Verified": "读回校验：检查 {checked} 个数据包、{files_checked} 个文件，{verdict}",
    "BackupJob.VerificationSkipped": "读回校验未能进行，数据是否完好未知：{unreadable}",
    "RestoreJob.Requested": "提交恢复任务：{selection}（备份组 {group}）恢复到 {target}，已有文件 {on_conflict}",
    "RestoreJob.Planned": "恢复计划：{files} 个文件，{packages} 个数据包，{bytes_to_read} 字节，磁带 {cartridges}",
    "RestoreJob.PackageRestored": "恢复数据包 {package_id}：{files} 个文件，从磁带读取 {bytes_read} 字节",
    "RestoreJob.TapeRequested": "等待换盘：{instruction}",
    "RestoreJob.TapeArrived": "磁带 {barcode} 已装入，继续恢复",
    "Job.Started": "任务开始（主机 {host}）",
    "Job.Paused": "任务暂停 {reason}",
    "Job.Resumed": "任务恢复运行",
    "Job.Cancelled": "任务取消 {reason}",
    "Job.Failed": "任务失败：{reason}",
    "Job.Completed": "任务完成（{outcome}）",
    "Settings.Created": "初始化系统设置",
    "Settings.SettingChanged": "设置 {label}（{key}）由 {old} 改为 {new}",
    "User.Created": "创建用户 {name}（{role}）",
    "User.PasswordChanged": "修改用户密码",
    "User.RoleChanged": "用户角色由 {old} 改为 {new}",
    "User.LoggedIn": "用户登录（来自 {source}）",
    "User.SignedOut": "用户退出登录（来自 {source}）",
    "User.LoginFailed": "登录失败（来自 {source}）：{reason}",
    "User.Disabled": "停用用户",
    "User.TokenIssued": "签发 API 令牌 {token_id}（用途：{label}；有效期：{expires_at}）",
    "User.TokenRevoked": "吊销 API 令牌 {token_id}",
    "Recipient.Added": "添加通知接收人 {name}（{phone}）",
    "Recipient.Updated": "修改通知接收人 {name}（{phone}）",
    "Recipient.Removed": "删除通知接收人",
    "Notification.Queued": "通知排队：{title} → {phone}",
    "Notification.AttemptStarted": "第 {attempts} 次发送通知，等待网关确认",
    "Notification.AttemptFailed": "通知第 {attempts} 次发送未成功，稍后重试：{error}",
    "Notification.Delivered": "通知已送达（网关任务 {task_id}，共尝试 {attempts} 次）",
    "Notification.Failed": "通知最终发送失败（共尝试 {attempts} 次）：{error}",
}

MODES = {"short": "快速擦除", "long": "长擦除"}
OUTCOMES = {"succeeded": "成功", "partial": "部分成功"}
# Attribute values that are codes, shown by name (by attribute).
NAMED_VALUES: dict[str, dict[str, str]] = {"mode": MODES, "outcome": OUTCOMES, "kind": KIND_NAMES,
                                           "on_conflict": CONFLICT_NAMES, "pool": {"default": "默认"}}
# What an empty value means, where "—" would not say it.
EMPTY_MEANS = {"expires_at": "吊销前一直有效"}
# Who acts when no person does: the ledger records these codes in `by`.
ACTORS = {"system": "系统", "worker": "后台任务进程", "scheduler": "计划任务"}

CATEGORIES = {
    "Cartridge": "磁带", "PackageManifest": "磁带", "Drive": "磁带", "BackupGroup": "备份", "BackupJob": "备份", "RestoreJob": "恢复",
    "Job": "任务", "Settings": "配置", "User": "登录", "Recipient": "配置", "Notification": "通知",
}


class _Lenient(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "—"


def _retention_before(attributes: dict[str, Any]) -> str:
    """A retention change's old value: the cartridge's own, else the default then in force."""
    old, in_force = attributes.get("old"), attributes.get("old_in_force")
    if old is not None:
        return f"{old} 个月"
    return f"默认 {in_force} 个月" if in_force is not None else "默认值"


def _display(key: str, value: Any) -> Any:
    if isinstance(value, dict) and "hint" in value:
        return value["hint"]  # a sealed secret: show only its masked hint
    if key == "location" and isinstance(value, str):
        return location_text(value)
    if isinstance(value, str) and value in NAMED_VALUES.get(key, {}):
        return NAMED_VALUES[key][value]
    if key in {"role", "old", "new"} and isinstance(value, str) and value in ROLES:
        return ROLES[value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "、".join(value) if value else "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return EMPTY_MEANS.get(key, "—")
    return value


def _verdict(attributes: dict[str, Any]) -> str:
    """What a read-back verification found, in words (its `ok` alone would read "结果 是"): the
    outcome (ledger.domain.job.verification_outcome), and which cartridges could not be read, why."""
    mismatches, unreadable = attributes.get("mismatches") or [], attributes.get("unreadable") or []
    outcome = verification_outcome(attributes.get("ok"), int(attributes.get("checked") or 0), unreadable)
    if outcome == MISMATCH:
        return f"发现 {len(mismatches)} 处不一致"
    return VERIFICATION_NAMES[outcome] + (f"：{'、'.join(unreadable)}" if unreadable else "")


def _setting(attributes: dict[str, Any]) -> dict[str, str]:
    """A setting's name, and its old and new values with their units (ledger.domain.settings_text)."""
    key = str(attributes.get("key", ""))
    return {"label": setting_name(key), "old": setting_text(key, attributes.get("old")),
            "new": setting_text(key, attributes.get("new"))}


def describe(event_name: str, attributes: dict[str, Any]) -> str:
    template = SENTENCES.get(event_name)
    if template is None:
        return event_name
    values = _Lenient({k: _display(k, v) for k, v in attributes.items()})
    if event_name == "BackupJob.Verified":
        values["verdict"] = _verdict(attributes)
    if event_name == "BackupJob.TapeChangeRequested":  # what to insert; events before issue 13 lack it
        values["instruction"] = f"；{attributes['instruction']}" if attributes.get("instruction") else ""
    if event_name == "Cartridge.RetentionChanged":
        values["old"] = _retention_before(attributes)
    if event_name == "Settings.SettingChanged":
        values.update(_setting(attributes))
    return template.format_map(values)


def category(event_name: str) -> str:
    return CATEGORIES.get(event_name.split(".")[0], "系统")


def actor(attributes: dict[str, Any]) -> str:
    """Who acted: the person the event names in `by` (a user signing in is named there too), else
    the system."""
    who = str(attributes.get("by") or "system")
    return ACTORS.get(who, who)


# Each event type in a few words, for choosing it (the audit page's event browser).
EVENT_LABELS: dict[str, str] = {
    "Cartridge.Registered": "登记磁带", "Cartridge.Labelled": "写入标签", "Cartridge.Loaded": "磁带装入驱动器",
    "Cartridge.Unloaded": "磁带卸出", "Cartridge.Moved": "磁带移动", "Cartridge.PackageWritten": "写入数据包",
    "PackageManifest.Recorded": "记录数据包清单", "Cartridge.IndexWritten": "写入磁带索引",
    "Cartridge.TapeFull": "磁带已满", "Cartridge.Expired": "磁带到期", "Cartridge.Erased": "磁带擦除",
    "Cartridge.Retired": "磁带退役", "Cartridge.RetentionChanged": "修改磁带存活期",
    "Cartridge.HealthRecorded": "记录磁带健康状况", "Cartridge.Reserved": "磁带分配给任务",
    "Cartridge.Released": "磁带由任务释放", "Drive.Registered": "登记驱动器", "Drive.Reserved": "驱动器分配给任务",
    "Drive.Released": "驱动器由任务释放", "Drive.CartridgeLoaded": "驱动器装入磁带",
    "Drive.CartridgeUnloaded": "驱动器卸出磁带", "Drive.CommandFailed": "SCSI 命令失败", "Drive.Cleaned": "驱动器清洁",
    "BackupGroup.Opened": "创建备份组", "BackupGroup.RunAdded": "备份组追加备份", "BackupGroup.CartridgeAdded": "备份组使用磁带",
    "BackupGroup.RotatedOut": "备份组轮换出活动集", "BackupJob.Requested": "提交备份任务", "BackupJob.Planned": "备份计划",
    "BackupJob.PackageRecorded": "任务记录数据包", "BackupJob.TapeChangeRequested": "请求换盘",
    "BackupJob.TapeChangeSatisfied": "已换上磁带", "BackupJob.WarningRecorded": "任务警告", "BackupJob.Verified": "读回校验",
    "BackupJob.VerificationSkipped": "读回校验未能进行", "RestoreJob.Requested": "提交恢复任务",
    "RestoreJob.Planned": "恢复计划", "RestoreJob.PackageRestored": "恢复数据包", "RestoreJob.TapeRequested": "恢复等待换盘",
    "RestoreJob.TapeArrived": "恢复所需磁带已装入", "Job.Started": "任务开始", "Job.Paused": "任务暂停",
    "Job.Resumed": "任务恢复运行", "Job.Cancelled": "任务取消", "Job.Failed": "任务失败", "Job.Completed": "任务完成",
    "Settings.Created": "初始化系统设置", "Settings.SettingChanged": "修改设置", "User.Created": "创建用户",
    "User.PasswordChanged": "修改用户密码", "User.RoleChanged": "修改用户角色", "User.LoggedIn": "用户登录", "User.SignedOut": "用户退出登录",
    "User.LoginFailed": "登录失败", "User.Disabled": "停用用户", "User.TokenIssued": "签发 API 令牌",
    "User.TokenRevoked": "吊销 API 令牌", "Recipient.Added": "添加通知接收人", "Recipient.Updated": "修改通知接收人",
    "Recipient.Removed": "删除通知接收人", "Notification.Queued": "通知排队", "Notification.AttemptStarted": "开始发送通知",
    "Notification.AttemptFailed": "通知发送未成功", "Notification.Delivered": "通知已送达",
    "Notification.Failed": "通知最终发送失败",
}


def event_label(name: str) -> str:
    """An event type in a few Chinese words (one not in EVENT_LABELS: its sentence up to the first value)."""
    if name in EVENT_LABELS:
        return EVENT_LABELS[name]
    sentence = SENTENCES.get(name, name)
    for stop in ("{", "（", "："):
        sentence = sentence.split(stop, 1)[0]
    return sentence.strip() or name
