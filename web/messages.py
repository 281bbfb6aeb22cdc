"""The web's own sentences (the application's are on its error classes): one catalogue for a translator."""

from __future__ import annotations

# What an HTTP status means to the person who got it, when nothing more specific was said.
STATUS_TEXT: dict[int, str] = {
    400: "请求的参数有误",
    401: "请先登录",
    403: "权限不足",
    404: "找不到请求的页面或对象",
    405: "不支持这种请求方式",
    406: "无法以请求的格式回答",
    409: "当前状态不允许这个操作",
    413: "请求的内容太大",
    415: "不支持请求内容的格式",
    422: "请求的内容无法处理",
    423: "资源正被占用",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
    502: "设备或上游服务出错",
    503: "服务暂时不可用",
}
DEFAULT_STATUS_TEXT = "请求无法完成"

CSRF_FAILED = "安全令牌（CSRF）缺失或已失效：请刷新页面后重试"
INVALID_PARAMETER = "参数 {key} 无效：{message}"
INVALID_BODY = "请求内容无效：{message}"
ERROR_TITLE = "出错了"

LOGIN_TITLE = "登录"
FIRST_ADMIN = "已创建首个管理员 {name}，初始密码（只显示这一次，请登录后妥善保存）：{password}"
FIRST_ADMIN_UNCHECKED = "无法检查是否已有用户（首次启动时将创建管理员）：{error}"

SSE_CONNECTED = "已连接"
SSE_KEEPALIVE = "保持连接"
SSE_IDLE = "任务 {job_id} 在 {seconds:g} 秒内没有新的进度"


def status_text(status: int) -> str:
    return STATUS_TEXT.get(status, DEFAULT_STATUS_TEXT)

# The runtime settings by their Chinese names; the dashboard shows these, in this order.
SETTING_LABELS: dict[str, str] = {
    "monthly_backup_cron": "每月全量备份时间（cron）",
    "retention_check_cron": "存活期检查时间（cron）",
    "verify_cron": "读回校验时间（cron）",
    "default_retention_months": "默认存活期（月）",
    "active_groups": "活动备份组数",
    "auto_erase_expired": "备份前自动擦除到期磁带",
    "scheduler_enabled": "启用计划任务",
    "compression_level": "压缩级别（LZMA2）",
    "solid_block_size": "固实块大小（字节）",
    "max_file_size": "数据包上限（字节）",
    "max_volume_size": "单盘写入上限（字节，0 为不限）",
    "capacity_alert_pct": "容量告警阈值（%）",
    "min_scratch_cartridges": "空白磁带最少数量",
    "tape_change_remind_minutes": "换盘提醒间隔（分钟）",
    "tape_change_pause_minutes": "换盘等待上限（分钟）",
    "catch_up_window_hours": "错过的计划任务补做窗口（小时）",
    "dingtalk_api_url": "钉钉网关地址",
    "dingtalk_api_key": "钉钉网关令牌",
    "backup_sources": "备份源路径",
}

# What started a job (JobRow.kind).
JOB_KINDS: dict[str, str] = {"manual": "手动", "monthly": "每月全量", "restore": "恢复"}
