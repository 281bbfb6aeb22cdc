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

# -- 仪表盘与备份（issue 14）--------------------------------------------------------------------

BAR_SCAN = "扫描"
BAR_PACK = "打包"
BAR_TAPE = "写入磁带"
BAR_READ = "读取磁带"
BAR_FILES = "恢复文件"
FILES = "{count} 个文件"
FILES_OF = "{done} / {total} 个文件"
PACKAGES = "{done} / {total} 个数据包"

# What to do when a job asks for a cartridge (the job's own request says which, or why none fits).
TAPE_ADVICE: dict[str, str] = {
    "backup": "请把一盘空白磁带（或本备份组正在使用的磁带）装入驱动器，任务每隔几秒检查一次驱动器，会自动继续。"
              "等待超过“换盘等待上限”后任务会暂停，装入磁带后点“已装入”即可。",
    "restore": "请按提示装入所需的磁带，任务会自动检测并继续。",
}
EMULATED_HINT = "模拟磁带库：运行 python main.py vtl insert 条码 即可放入磁带。"
STALLED_ADVICE = ("这个任务已停下等待（等待超时后暂停，或运行它的进程已不在）：装入磁带后点“已装入”，"
                  "任务会交给后台任务进程继续，它会先检查驱动器中的磁带。")

JOB_KIND_GROUPS: dict[str, str] = {"backup": "备份", "restore": "恢复"}
PART_FAILED = "{part}暂时无法显示：{message}"
# The parts of a page, as an operator calls them (for "… 暂时无法显示").
PARTS: dict[str, str] = {
    "drive": "驱动器状态",
    "jobs": "任务",
    "tapes": "磁带库存",
    "groups": "备份组",
    "resources": "系统资源",
    "health": "服务状态",
    "figures": "速度与压缩比",
    "events": "最近操作",
    "history": "备份历史",
    "lifecycle": "轮换预览",
    "sources": "可选的备份目录",
}

ALERT_SCRATCH_LOW = "空白磁带只剩 {scratch} 盘（至少应有 {minimum} 盘）：请放入新磁带，或检查存活期设置"
ALERT_DISK = "{label}所在磁盘已用 {used:.0f}%（告警阈值 {threshold}%），剩余 {free}"
ALERT_JOB_FAILED = "备份任务 {job} 失败：{reason}"
ALERT_JOB_PAUSED = "备份任务 {job} 已暂停：{reason}"
ALERT_JOB_INTERRUPTED = "备份任务 {job} 中断：它的进程已不在，可在任务页点“继续”让后台任务进程接着运行"
ALERT_SERVICE = "{check}：{detail}"

SOURCES_REQUIRED = "请至少选择或输入一个备份源目录"
LEVEL_INVALID = "压缩级别必须是 0 到 9 的整数"
CANCELLED_ON_WEB = "在网页上取消"
TAPE_WAITING = "任务正在等待换盘"

# -- 恢复与文件目录（issue 14）------------------------------------------------------------------

# Where a cartridge is (restore.plan's location codes), as the plan shows it.
LOCATIONS: dict[str, str] = {"drive": "驱动器 {where}", "slot": "槽位 {where}", "ie": "出入口槽位 {where}",
                             "shelf": "磁带架", "offsite": "异地"}
LOCATION_UNKNOWN = "位置未登记"
ENTRY_KINDS: dict[str, str] = {"dir": "文件夹", "file": "文件", "symlink": "链接"}
CONFLICT_MODES: dict[str, str] = {"skip": "跳过目标中已有的文件", "rename": "改名保存（保留已有文件）",
                                  "overwrite": "覆盖已有文件"}
RESTORE_QUEUE_FAILED = "恢复任务已记下，但无法交给后台任务进程：{message}。后台任务进程恢复后，在任务页点“继续”即可。"
RESTORE_STATUS_UNKNOWN = "未知的任务状态：{status}。可选：{choices}"
PARTS.update({"catalog": "文件目录", "restore_history": "恢复任务", "restore_plan": "恢复计划"})

# -- 日志与审计（issue 15）-----------------------------------------------------------------------

# Each log's columns beyond 时间 and 级别: (LogLine field, heading), and its details by name.
LOG_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "operation": [("source", "操作人"), ("subject", "事件"), ("message", "说明")],
    "tape": [("source", "设备"), ("subject", "命令"), ("message", "结果")],
    "system": [("source", "记录器"), ("message", "消息")],
    "notification": [("source", "接收号码"), ("subject", "通知事件"), ("message", "标题")],
}
LOG_DETAILS: dict[str, dict[str, str]] = {
    "operation": {"number": "事件序号", "label": "事件名称", "category": "类别", "aggregate_id": "对象编号"},
    "tape": {"status": "状态", "sense": "检测数据", "cdb": "CDB", "data": "数据字节", "residue": "残余字节",
             "duration": "用时（秒）", "more": "其余内容"},
    "notification": {"status": "状态", "attempts": "尝试次数", "last_error": "最后错误", "cause": "起因",
                     "task_id": "网关任务", "finished_at": "结束时间"},
}
LOG_UNREADABLE = "日志暂时无法读取：{message}（稍后自动重试）"
LOG_FILE_HINTS: dict[str, str] = {
    "tape": "磁带日志记录经过本机驱动器和带库的每条 SCSI 命令及其结果（成功的读写命令只在 LOG_LEVEL=DEBUG 时记录）。"
            "磁带日志的行里没有条码和用户：按磁带筛选即这盘磁带在驱动器中时的命令，按任务筛选即任务运行期间的命令。",
    "system": "系统日志是本机 TAF 进程写入 LOG_FILE 的内容；用户、磁带和任务在消息文字中查找。",
    "notification": "通知日志是钉钉通知的排队与送达记录；用户、磁带和任务在号码、标题和内容中查找。",
    "operation": "操作日志来自台账：每一次登录、备份、恢复、磁带操作和设置变更，都带着操作人。",
}
VERIFY_TAPES_HINT = ("这里核对台账哈希链，以及记在备份任务数据和钉钉报告中的链头；"
                     "磁带索引中的链头要读取磁带，请在驱动器所在主机上运行 python main.py audit verify。")
PARTS.update({"verify": "台账校验", "events_browser": "台账事件", "reports": "月度报告", "replay": "回放"})

# -- 设置（issue 15）-------------------------------------------------------------------------------

EVENTS_REQUIRED = "请至少勾选一种接收的事件"
NO_ANSWER = "网关没有给出说明"
