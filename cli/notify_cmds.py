"""`notify test|recipients|log|dispatch`: DingTalk recipients, the notification log, delivery now."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from app.notifications import GatewayNotConfigured, NoRecipients, RecipientEntry
from cli.context import Context
from cli.errors import EXIT_FAILURE, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table, shown_time
from config.errors import ConfigError
from ledger.domain.people import NOTIFY_EVENTS

NOT_CONFIGURED = ("无法发送测试消息：{error}。请先设置钉钉网关地址和令牌"
                  "（settings set dingtalk_api_url …；settings set dingtalk_api_key …）")
NO_RECIPIENTS = "还没有通知接收人：请先用 notify recipients add 添加，或用 --phone 指定手机号"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    notify = sub.add_parser("notify", help="钉钉通知：接收人、测试发送、通知日志").add_subparsers(
        dest="action", required=True)
    test = notify.add_parser("test", parents=[common], help="发送一条测试消息并立即投递")
    test.add_argument("--phone", help="只发给这个手机号（默认发给每位接收人）")
    test.set_defaults(handler=notify_test)
    log = notify.add_parser("log", parents=[common], help="通知日志（最新在前）")
    log.add_argument("--limit", type=int, default=20)
    log.set_defaults(handler=notify_log)
    notify.add_parser("dispatch", parents=[common], help="立即投递待发送的通知").set_defaults(handler=notify_dispatch)

    recipients = notify.add_parser("recipients", help="通知接收人").add_subparsers(dest="verb", required=True)
    recipients.add_parser("list", parents=[common], help="列出接收人").set_defaults(handler=recipients_list)
    add = recipients.add_parser("add", parents=[common], help="添加接收人")
    add.add_argument("name")
    add.add_argument("phone")
    add.add_argument("--events", help=f"逗号分隔的事件（默认全部）：{','.join(NOTIFY_EVENTS)}")
    add.set_defaults(handler=recipients_add)
    update = recipients.add_parser("update", parents=[common], help="修改接收人")
    update.add_argument("id", help="接收人编号（可用不重复的前几位）")
    update.add_argument("--name")
    update.add_argument("--phone")
    update.add_argument("--events")
    update.set_defaults(handler=recipients_update)
    remove = recipients.add_parser("remove", parents=[common], help="删除接收人")
    remove.add_argument("id", help="接收人编号（可用不重复的前几位）")
    remove.set_defaults(handler=recipients_remove)


# --- helpers -----------------------------------------------------------------------------------


def _events(text: str | None) -> list[str] | None:
    """The parts of "backup_failed,系统异常" (English keys and Chinese labels both work)."""
    if text is None:
        return None
    return [part for part in text.replace("，", ",").split(",") if part.strip()]


def _labels(labels: list[str]) -> str:
    return "、".join(labels) or "—"


def _shown_time(text: str | None) -> str | None:
    return shown_time(text) if text else None


_OUTCOME_COLUMNS = [("phone", "手机号"), ("title", "标题"), ("outcome_label", "结果"), ("error", "说明")]


# --- commands ----------------------------------------------------------------------------------


def notify_test(ctx: Context) -> int:
    try:
        sent = ctx.app.notifications.send_test(ctx.args.phone, actor=ctx.actor)
    except GatewayNotConfigured as error:
        raise CliError(NOT_CONFIGURED.format(error=error), ConfigError.exit_code) from None
    except NoRecipients:
        raise CliError(NO_RECIPIENTS, EXIT_USAGE) from None
    payload = asdict(sent.run)
    if ctx.json:
        emit_json({"ok": sent.ok, **payload})
    else:
        emit_table(payload["outcomes"], _OUTCOME_COLUMNS)
        print(f"测试消息：已送达 {sent.delivered}/{sent.queued} 位接收人。{sent.run.message}".rstrip())
    return 0 if sent.ok else EXIT_FAILURE


def notify_dispatch(ctx: Context) -> int:
    run = ctx.app.notifications.dispatch()
    if ctx.json:
        emit_json({"ok": run.enabled, **asdict(run)})
        return 0
    if not run.enabled:
        print(run.message)
        return 0
    if not run.outcomes:
        print("没有待发送的通知。")
        return 0
    emit_table([asdict(delivery) for delivery in run.outcomes], _OUTCOME_COLUMNS)
    print(f"本轮投递：送达 {run.delivered} 条，稍后重试 {run.retrying} 条，"
          f"失败 {run.failed} 条。{run.message}".rstrip())
    return 0


def notify_log(ctx: Context) -> int:
    if ctx.args.limit < 1:
        raise CliError("--limit 必须是正整数", EXIT_USAGE)
    entries = ctx.app.notifications.recent(ctx.args.limit)
    if ctx.json:
        emit_json({"notifications": [asdict(entry) for entry in entries]})
        return 0
    shown = [{**asdict(e), "queued_at": _shown_time(e.queued_at), "kind": e.kind_label, "status": e.status_label,
              "note": e.last_error if e.status != "delivered" else f"网关任务 {e.task_id}"} for e in entries]
    emit_table(shown, [("queued_at", "排队时间"), ("kind", "类型"), ("phone", "手机号"), ("title", "标题"),
                       ("status", "状态"), ("attempts", "尝试次数"), ("note", "说明")])
    return 0


def recipients_list(ctx: Context) -> int:
    recipients = ctx.app.notifications.recipients()
    if ctx.json:
        emit_json({"recipients": [asdict(r) for r in recipients]})
        return 0
    emit_table([{**asdict(r), "events": _labels(r.event_labels)} for r in recipients],
               [("id", "编号"), ("name", "姓名"), ("phone", "手机号"), ("events", "接收的事件")])
    return 0


def recipients_add(ctx: Context) -> int:
    args = ctx.args
    added = ctx.app.notifications.add_recipient(args.name, args.phone, _events(args.events), actor=ctx.actor)
    return _done(ctx, "已添加", added)


def recipients_update(ctx: Context) -> int:
    args = ctx.args
    if args.name is None and args.phone is None and args.events is None:
        raise CliError("请至少指定 --name、--phone、--events 中的一项", EXIT_USAGE)
    changed = ctx.app.notifications.update_recipient(args.id, name=args.name, phone=args.phone,
                                                     events=_events(args.events), actor=ctx.actor)
    return _done(ctx, "已修改", changed)


def recipients_remove(ctx: Context) -> int:
    return _done(ctx, "已删除", ctx.app.notifications.remove_recipient(ctx.args.id, actor=ctx.actor))


def _done(ctx: Context, verb: str, change: RecipientEntry) -> int:
    if ctx.json:
        emit_json({"ok": True, "id": change.id, "name": change.name, "phone": change.phone,
                   "events": change.events, "removed": change.removed, "by": change.updated_by})
    else:
        print(f"{verb}接收人 {change.name}（{change.phone}，编号 {change.id}，"
              f"事件：{_labels(change.event_labels)}；操作人 {change.updated_by}）")
    return 0
