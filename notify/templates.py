"""Message templates for DingTalk notifications, one per event kind.

Templates are Jinja with Markdown output (DingTalk's markdown message type), a title and a content
each. Users may edit them in the web settings, so they are rendered in a sandbox
(``SandboxedEnvironment``): a template can read the values it is given and format them, but cannot
reach Python internals. An edited template is validated before it is saved — syntax, unknown
variables, a trial render with sample values — and a template that still fails when a real message
is rendered falls back to the built-in default, so an alert is never lost to a typo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, meta
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment

from kernel.errors import EXIT_USAGE, TafError


class EventKind(StrEnum):
    BACKUP_SUCCEEDED = "backup_succeeded"
    BACKUP_FAILED = "backup_failed"
    TAPE_CHANGE_NEEDED = "tape_change_needed"
    SYSTEM_EXCEPTION = "system_exception"
    CAPACITY_THRESHOLD = "capacity_threshold"
    VERIFICATION_MISMATCH = "verification_mismatch"
    VERIFICATION_UNRESTORABLE = "verification_unrestorable"
    ERASE_DONE = "erase_done"
    MONTHLY_REPORT = "monthly_report"
    TEST_MESSAGE = "test_message"


EVENT_LABELS: Mapping[EventKind, str] = {
    EventKind.BACKUP_SUCCEEDED: "备份成功",
    EventKind.BACKUP_FAILED: "备份失败",
    EventKind.TAPE_CHANGE_NEEDED: "需要换盘",
    EventKind.SYSTEM_EXCEPTION: "系统异常",
    EventKind.CAPACITY_THRESHOLD: "容量告警",
    EventKind.VERIFICATION_MISMATCH: "校验不一致",
    EventKind.VERIFICATION_UNRESTORABLE: "备份无法恢复",
    EventKind.ERASE_DONE: "擦除完成",
    EventKind.MONTHLY_REPORT: "月度报告",
    EventKind.TEST_MESSAGE: "测试消息",
}


# Recipients subscribe to read-back verification once: whoever asked for "校验不一致" also gets
# "备份无法恢复", the other way a verification fails.
SUBSCRIBED_AS: Mapping[EventKind, EventKind] = {
    EventKind.VERIFICATION_UNRESTORABLE: EventKind.VERIFICATION_MISMATCH,
}


def subscription(kind: EventKind | str) -> EventKind:
    """The event kind recipients subscribe to in order to receive ``kind``."""
    kind = EventKind(kind)
    return SUBSCRIBED_AS.get(kind, kind)


class TemplateError(TafError):
    """A template that cannot be used; the message says why in Chinese (exit code 2, HTTP 400)."""

    exit_code = EXIT_USAGE
    default_message = "通知模板无法使用"


@dataclass(frozen=True)
class MessageTemplate:
    title: str
    content: str
    message_type: str = "markdown"


@dataclass(frozen=True)
class RenderedMessage:
    kind: EventKind
    title: str
    content: str
    message_type: str = "markdown"
    used_fallback: bool = False
    fallback_reason: str | None = None


# --- filters: formatting helpers templates may use ---------------------------------------------


def _filesize(value: Any) -> str:
    """Bytes in binary units, the way tape and disk sizes are read: 1.50 GiB."""
    try:
        size = float(value)
    except (TypeError, ValueError):
        return str(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    return str(value)  # pragma: no cover - the loop always returns


def _dt(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if isinstance(value, datetime):
        return value.strftime(fmt)
    return "" if value is None else str(value)


def _duration(value: Any) -> str:
    """Seconds (or a timedelta) as 2 小时 5 分 / 3 分 20 秒."""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} 小时 {minutes} 分"
    if minutes:
        return f"{minutes} 分 {secs} 秒"
    return f"{secs} 秒"


def _environment(undefined: type[Undefined]) -> SandboxedEnvironment:
    # Markdown, not HTML: no autoescaping. Newlines after block tags are kept, so an inline
    # "{% if %}…{% endif %}" at the end of a list line does not glue the next line onto it.
    env = SandboxedEnvironment(autoescape=False, undefined=undefined)
    env.filters.update(filesize=_filesize, dt=_dt, duration=_duration)
    return env


# Real messages render leniently: a value the producer did not supply prints empty instead of
# losing the alert. Validation renders strictly, so a misspelt attribute or a refused (unsafe)
# attribute, which the lenient mode would print as nothing, is reported to the user instead.
_ENV = _environment(Undefined)
_STRICT_ENV = _environment(StrictUndefined)


# --- the defaults ------------------------------------------------------------------------------

DEFAULT_TEMPLATES: Mapping[EventKind, MessageTemplate] = {
    EventKind.BACKUP_SUCCEEDED: MessageTemplate(
        title="【TAF】备份成功：{{ group }}",
        content=(
            "### 备份成功：{{ group }}\n"
            "- 任务：{{ job_id }}{% if run_number and run_number > 1 %}（本月第 {{ run_number }} 次运行）{% endif %}\n"
            "- 时间：{{ started_at | dt }} 至 {{ finished_at | dt }}（用时 {{ duration_seconds | duration }}）\n"
            "- 文件：{{ file_count }} 个，原始 {{ bytes_in | filesize }}，写入磁带 {{ bytes_on_tape | filesize }}\n"
            "- 磁带：{{ cartridges | join('、') }}\n"
            "- 账本链头：`{{ chain_head }}`\n"
        ),
    ),
    EventKind.BACKUP_FAILED: MessageTemplate(
        title="【TAF】备份失败：{{ group }}",
        content=(
            "### 备份失败：{{ group }}\n"
            "- 任务：{{ job_id }}\n"
            "- 失败时间：{{ failed_at | dt }}\n"
            "- 原因：{{ reason }}\n"
            "- 已安全写入磁带的包：{{ packages_written }} 个（重新开始时从这里继续）\n"
            "{% if advice %}\n**处理建议**：{{ advice }}\n{% endif %}"
        ),
    ),
    EventKind.TAPE_CHANGE_NEEDED: MessageTemplate(
        title="【TAF】需要换盘：{% if wanted %}请插入磁带 {{ wanted }}{% else %}请插入一盘空白磁带{% endif %}",
        content=(
            "### 需要换盘\n"
            "- 驱动器：{{ drive }}\n"
            "{% if current %}- 当前磁带：{{ current }}（{{ current_state }}）\n{% endif %}"
            "- 需要：{% if wanted %}磁带 {{ wanted }}{% else %}任意一盘空白磁带{% endif %}\n"
            "- 任务：{{ job_id }}（备份组 {{ group }}）\n"
            "- 请求时间：{{ requested_at | dt }}\n\n"
            "换好磁带后任务会自动继续。"
        ),
    ),
    EventKind.SYSTEM_EXCEPTION: MessageTemplate(
        title="【TAF】系统异常：{{ component }}",
        content=(
            "### 系统异常：{{ component }}\n"
            "- 主机：{{ host }}\n"
            "- 时间：{{ occurred_at | dt }}\n"
            "- 说明：{{ message }}\n"
        ),
    ),
    EventKind.CAPACITY_THRESHOLD: MessageTemplate(
        title="【TAF】容量告警：{{ resource }} 已用 {{ used_percent }}%",
        content=(
            "### 容量告警：{{ resource }}\n"
            "- 已用：{{ used_percent }}%（告警阈值 {{ threshold_percent }}%）\n"
            "- 剩余：{{ remaining }}\n"
            "- 检查时间：{{ checked_at | dt }}\n"
            "{% if advice %}\n**处理建议**：{{ advice }}\n{% endif %}"
        ),
    ),
    EventKind.VERIFICATION_MISMATCH: MessageTemplate(
        title="【TAF】校验不一致：磁带 {{ cartridge }}",
        content=(
            "### 回读校验不一致：磁带 {{ cartridge }}\n"
            "- 包：{{ package }}（磁带文件号 {{ tape_file }}）\n"
            "- 情况：{{ detail }}\n"
            "- 账本记录的 SHA-256：`{{ expected_sha256 }}`\n"
            "- 校验时间：{{ verified_at | dt }}\n\n"
            "从磁带读出的数据与写入时不一致，请尽快检查磁带和驱动器，必要时重新备份（任务 {{ job_id }}）。"
        ),
    ),
    EventKind.VERIFICATION_UNRESTORABLE: MessageTemplate(
        title="【TAF】备份无法恢复：磁带 {{ cartridge }}",
        content=(
            "### 回读校验发现备份无法恢复：磁带 {{ cartridge }}\n"
            "- 包：{{ package }}（磁带文件号 {{ tape_file }}）\n"
            "- 情况：{{ detail }}\n"
            "- 校验时间：{{ verified_at | dt }}\n\n"
            "磁带上的数据完好，但其中的文件无法按清单恢复。请重新备份这些文件（任务 {{ job_id }}），"
            "并用 backup verify --all 找出其他需要重做的备份。"
        ),
    ),
    EventKind.ERASE_DONE: MessageTemplate(
        title="【TAF】擦除完成：磁带 {{ cartridge }}",
        content=(
            "### 擦除完成：磁带 {{ cartridge }}\n"
            "- 方式：{{ mode }}\n"
            "- 完成时间：{{ erased_at | dt }}\n"
            "{% if groups %}- 原保存的备份组：{{ groups | join('、') }}\n{% endif %}"
            "- 原因：{{ reason }}\n\n"
            "磁带已回到空白池，可以再次使用。"
        ),
    ),
    EventKind.MONTHLY_REPORT: MessageTemplate(
        title="【TAF】月度报告：{{ month }}",
        content=(
            "### 月度报告：{{ month }}\n"
            "- 备份任务：{{ backup_jobs }} 个（成功 {{ jobs_succeeded }}，部分成功 {{ jobs_partial }}，"
            "失败 {{ jobs_failed }}）\n"
            "- 备份数据：{{ files }} 个文件，原始 {{ bytes_in | filesize }}，写入磁带 {{ bytes_on_tape | filesize }}\n"
            "- 恢复 {{ restores }} 次，擦除 {{ erases }} 次，存活期与设置变更 {{ changes }} 次\n"
            "- 通知：送达 {{ notifications_sent }} 条，失败 {{ notifications_failed }} 条\n"
            "- 月底账本链头：`{{ chain_head }}`（第 {{ chain_position }} 号事件，"
            "{% if chain_verifies %}可由台账重算得到{% else %}台账已不能重算出它，请立即运行 audit verify{% endif %}）\n"
            "- 完整报告：{{ report_path }}\n"
        ),
    ),
    EventKind.TEST_MESSAGE: MessageTemplate(
        title="【TAF】测试消息",
        content=(
            "### 测试消息\n"
            "这是一条来自 TAF 磁带备份系统的测试消息。\n"
            "- 发送人：{{ sent_by }}\n"
            "- 时间：{{ sent_at | dt }}\n\n"
            "收到这条消息，说明钉钉网关与接收人配置正确。"
        ),
    ),
}


SAMPLE_CONTEXTS: Mapping[EventKind, Mapping[str, Any]] = {
    EventKind.BACKUP_SUCCEEDED: {
        "group": "2026-05", "job_id": "JOB-20260501-0200", "run_number": 1,
        "started_at": datetime(2026, 5, 1, 2, 0), "finished_at": datetime(2026, 5, 1, 9, 42),
        "duration_seconds": 27720, "file_count": 184_213,
        "bytes_in": 3_418_000_000_000, "bytes_on_tape": 2_197_000_000_000,
        "cartridges": ["TAF003L9", "TAF004L9"], "chain_head": "9f2c4e71a0b35d88",
    },
    EventKind.BACKUP_FAILED: {
        "group": "2026-05", "job_id": "JOB-20260501-0200", "failed_at": datetime(2026, 5, 1, 4, 17),
        "reason": "驱动器报告介质错误（检测键 3，附加码 11/00）", "packages_written": 412,
        "advice": "更换磁带后在备份管理页面重新开始任务。",
    },
    EventKind.TAPE_CHANGE_NEEDED: {
        "drive": "ULT3580-HH9（序列号 10WT000000）", "current": "TAF003L9", "current_state": "已写满",
        "wanted": "", "job_id": "JOB-20260501-0200", "group": "2026-05",
        "requested_at": datetime(2026, 5, 1, 6, 5),
    },
    EventKind.SYSTEM_EXCEPTION: {
        "component": "数据库", "host": "taf-backup-01", "occurred_at": datetime(2026, 5, 3, 11, 20),
        "message": "无法连接账本数据库，已重试 5 次。",
    },
    EventKind.CAPACITY_THRESHOLD: {
        "resource": "暂存目录磁盘", "used_percent": 91, "threshold_percent": 85, "remaining": "42.0 GiB",
        "checked_at": datetime(2026, 5, 3, 8, 0), "advice": "清理暂存目录或扩容后再开始下一次备份。",
    },
    EventKind.VERIFICATION_MISMATCH: {
        "cartridge": "TAF003L9", "package": "2026-05/000412", "tape_file": 412,
        "expected_sha256": "3b1f…c9d2", "actual_sha256": "77a0…1e4f", "verified_at": datetime(2026, 5, 8, 3, 30),
        "detail": "读回的数据包 2026-05/000412 校验失败", "job_id": "JOB-20260501-0200",
    },
    EventKind.VERIFICATION_UNRESTORABLE: {
        "cartridge": "TAF003L9", "package": "2026-05/000412", "tape_file": 412,
        "detail": "数据完好，但 415 个成员解出后与清单不符（共 600 个）；涉及 /srv/共享/报告.txt……",
        "verified_at": datetime(2026, 5, 8, 3, 30), "job_id": "JOB-20260501-0200",
    },
    EventKind.ERASE_DONE: {
        "cartridge": "TAF001L9", "mode": "短擦除", "erased_at": datetime(2026, 7, 1, 1, 40),
        "groups": ["2025-12"], "reason": "存活期已到，且不保存活动备份组",
    },
    EventKind.MONTHLY_REPORT: {
        "month": "2026-05", "backup_jobs": 2, "jobs_succeeded": 1, "jobs_partial": 0, "jobs_failed": 1,
        "files": 184_213, "bytes_in": 3_418_000_000_000, "bytes_on_tape": 2_197_000_000_000, "restores": 1,
        "erases": 1, "changes": 2, "notifications_sent": 6, "notifications_failed": 0,
        "chain_head": "9f2c4e71a0b35d88", "chain_position": 48_211, "chain_verifies": True,
        "report_path": "/var/lib/taf/reports/月报-2026-05.html",
    },
    EventKind.TEST_MESSAGE: {"sent_by": "管理员 admin", "sent_at": datetime(2026, 5, 3, 10, 0)},
}


def variables(kind: EventKind | str) -> tuple[str, ...]:
    """Names a template for ``kind`` may use (shown next to the editor)."""
    return tuple(SAMPLE_CONTEXTS[event_kind(kind)])


def event_kind(kind: EventKind | str) -> EventKind:
    """``kind`` as an EventKind; an unknown name is a TemplateError naming the known ones."""
    try:
        return EventKind(kind)
    except ValueError:
        known = "、".join(k.value for k in EventKind)
        raise TemplateError(f"未知的通知类型“{kind}”，可用：{known}") from None


# --- rendering ---------------------------------------------------------------------------------


def _render_template(
    kind: EventKind, template: MessageTemplate, context: Mapping[str, Any], env: SandboxedEnvironment = _ENV
) -> RenderedMessage:
    values = dict(context)
    try:
        title = env.from_string(template.title).render(values).strip()
        content = env.from_string(template.content).render(values).strip()
    except SecurityError as error:
        raise TemplateError(f"模板使用了不允许的操作：{error}") from error
    except UndefinedError as error:
        raise TemplateError(f"模板引用了不存在的值：{error}") from error
    except JinjaTemplateError as error:
        raise TemplateError(f"模板渲染出错：{error}") from error
    except Exception as error:  # a filter or value misbehaving must not pass as a crash
        raise TemplateError(f"模板渲染出错：{type(error).__name__}：{error}") from error
    if not title:
        raise TemplateError("模板渲染后标题为空，钉钉消息必须有标题")
    return RenderedMessage(kind, title, content, template.message_type)


def render(
    kind: EventKind | str, context: Mapping[str, Any], template: MessageTemplate | None = None
) -> RenderedMessage:
    """Render the message for ``kind``, with the user's ``template`` if given.

    When the user's template fails, the built-in default is used and the result says so
    (``used_fallback``, ``fallback_reason``) for the notification log. The default itself failing
    is a programming error and raises TemplateError.
    """
    kind = event_kind(kind)
    default = DEFAULT_TEMPLATES[kind]
    if template is None or template == default:
        return _render_template(kind, default, context)
    try:
        return _render_template(kind, template, context)
    except TemplateError as error:
        fallback = _render_template(kind, default, context)
        return RenderedMessage(
            kind, fallback.title, fallback.content, fallback.message_type, True, f"自定义模板出错，已改用默认模板：{error}"
        )


def preview(
    kind: EventKind | str, template: MessageTemplate | None = None, context: Mapping[str, Any] | None = None
) -> RenderedMessage:
    """Render ``template`` (default: the built-in one) with sample values, for the settings page.

    Unlike ``render`` this never falls back: the user wants to see their own template or its error.
    """
    kind = event_kind(kind)
    values = {**SAMPLE_CONTEXTS[kind], **(context or {})}
    return _render_template(kind, template or DEFAULT_TEMPLATES[kind], values)


def validate_template(kind: EventKind | str, template: MessageTemplate) -> MessageTemplate:
    """Check a user-edited template; return it unchanged or raise TemplateError in Chinese."""
    kind = event_kind(kind)
    if template.message_type not in ("text", "markdown", "action_card"):
        raise TemplateError(f"不支持的消息类型“{template.message_type}”")
    known = set(SAMPLE_CONTEXTS[kind])
    for part, source in (("标题", template.title), ("内容", template.content)):
        if not source.strip():
            raise TemplateError(f"模板{part}不能为空")
        try:
            # Finding the variables compiles the template, which also catches unknown filters.
            used = meta.find_undeclared_variables(_STRICT_ENV.parse(source))
        except TemplateSyntaxError as error:
            raise TemplateError(f"模板{part}第 {error.lineno} 行语法错误：{error.message}") from error
        unknown = sorted(used - known)
        if unknown:
            raise TemplateError(
                f"模板{part}使用了未知的变量：{'、'.join(unknown)}；可用的变量有：{'、'.join(sorted(known))}"
            )
    _render_template(kind, template, SAMPLE_CONTEXTS[kind], _STRICT_ENV)
    return template
