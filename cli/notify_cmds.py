"""`notify test|recipients|log|dispatch`: DingTalk recipients, the notification log, delivery now."""

from __future__ import annotations

import argparse
import uuid
from datetime import datetime
from typing import Any

from cli.context import Context
from cli.errors import EXIT_FAILURE, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from config.errors import ConfigError
from ledger import clock
from ledger.domain.people import NOTIFY_EVENTS, check_phone
from ledger.errors import NotFound
from notify.dispatch import Outcome, OutcomeKind
from notify.gateway import GatewayNotConfigured
from notify.outbox import DispatchRun, dispatch_pending, gateway_client, queue_message
from notify.templates import EVENT_LABELS, EventKind

OUTCOME_LABELS = {
    OutcomeKind.DELIVERED: "已送达",
    OutcomeKind.ALREADY_DELIVERED: "已送达（网关已有记录，未重发）",
    OutcomeKind.RETRY: "暂未送达，稍后重试",
    OutcomeKind.FAILED: "发送失败",
    OutcomeKind.NOT_DUE: "等待重试时间",
    OutcomeKind.HELD: "排队中（该接收人有更早的通知未送达）",
    OutcomeKind.DEFERRED: "本轮未处理",
}
STATUS_LABELS = {"queued": "待发送", "delivered": "已送达", "failed": "发送失败"}
NOT_CONFIGURED = ("无法发送测试消息：{error}。请先设置钉钉网关地址和令牌"
                  "（settings set dingtalk_api_url …；settings set dingtalk_api_key …）")


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

_LABEL_BY_EVENT = {kind.value: label for kind, label in EVENT_LABELS.items()}
_EVENT_BY_LABEL = {label: key for key, label in _LABEL_BY_EVENT.items()}


def _events(text: str | None) -> list[str] | None:
    """Event keys from "backup_failed,系统异常"; English keys and Chinese labels both work."""
    if text is None:
        return None
    return [_EVENT_BY_LABEL.get(part.strip(), part.strip()) for part in text.replace("，", ",").split(",")
            if part.strip()]


def _event_labels(events: list[str]) -> str:
    return "、".join(_LABEL_BY_EVENT.get(e, e) for e in events) or "—"


def _shown_time(text: str | None) -> str | None:
    return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M:%S") if text else None


def _recipient_id(ctx: Context, given: str) -> str:
    """A full id, or a prefix naming exactly one current recipient."""
    services = ctx.services
    services.projector.catch_up(["recipients"])
    wanted = given.strip().lower()
    # Four characters at least, so a stray digit never picks someone by accident.
    matches = [r["id"] for r in services.recipients.all() if len(wanted) >= 4 and r["id"].startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CliError(f"编号 {given} 对应多位接收人，请多写几位", EXIT_USAGE)
    raise NotFound(what="接收人", key=given)


def _outcome_row(ctx: Context, outcome: Outcome) -> dict[str, Any]:
    row = ctx.services.notification_log.by_id(outcome.notification_id) or {}
    return {"id": outcome.notification_id, "phone": outcome.phone, "title": row.get("title"),
            "outcome": outcome.kind.value, "outcome_label": OUTCOME_LABELS[outcome.kind],
            "task_id": outcome.task_id, "error": outcome.error, "next_attempt_at": outcome.next_attempt_at}


def _run_payload(ctx: Context, run: DispatchRun) -> dict[str, Any]:
    report = run.report
    return {"enabled": run.enabled, "message": run.message,
            "delivered": len(report.delivered), "retrying": len(report.retrying), "failed": len(report.failed),
            "outcomes": [_outcome_row(ctx, o) for o in report.outcomes]}


_OUTCOME_COLUMNS = [("phone", "手机号"), ("title", "标题"), ("outcome_label", "结果"), ("error", "说明")]


# --- commands ----------------------------------------------------------------------------------


def notify_test(ctx: Context) -> int:
    services = ctx.services
    try:
        gateway_client(services).close()
    except GatewayNotConfigured as error:
        raise CliError(NOT_CONFIGURED.format(error=error), ConfigError.exit_code) from None
    if ctx.args.phone:
        phones = [check_phone(ctx.args.phone)]
    else:
        services.projector.catch_up(["recipients"])
        phones = [r["phone"] for r in services.recipients.all()]
        if not phones:
            raise CliError("还没有通知接收人：请先用 notify recipients add 添加，或用 --phone 指定手机号", EXIT_USAGE)
    now = clock.now()
    # To the second, so two tests in one minute differ: the dispatcher tells a message already at
    # the gateway from a new one by its content.
    context = {"sent_by": ctx.actor, "sent_at": f"{now.astimezone():%Y-%m-%d %H:%M:%S}"}
    # The cause names who asked; a fresh suffix lets the same person test again.
    queued = queue_message(services, EventKind.TEST_MESSAGE, context, f"test:{ctx.actor}:{uuid.uuid4().hex}",
                           phones)
    run = dispatch_pending(services, now)
    ours = {notice.id for notice in queued}
    payload = _run_payload(ctx, run)
    payload["outcomes"] = [row for row in payload["outcomes"] if row["id"] in ours]
    delivered = sum(1 for row in payload["outcomes"] if row["outcome"] in ("delivered", "already_delivered"))
    ok = delivered == len(queued)
    if ctx.json:
        emit_json({"ok": ok, **payload})
    else:
        emit_table(payload["outcomes"], _OUTCOME_COLUMNS)
        print(f"测试消息：已送达 {delivered}/{len(queued)} 位接收人。{run.message}".rstrip())
    return 0 if ok else EXIT_FAILURE


def notify_dispatch(ctx: Context) -> int:
    run = dispatch_pending(ctx.services, clock.now())
    payload = _run_payload(ctx, run)
    if ctx.json:
        emit_json({"ok": run.enabled, **payload})
        return 0
    if not run.enabled:
        print(run.message)
        return 0
    if not run.report.outcomes:
        print("没有待发送的通知。")
        return 0
    emit_table(payload["outcomes"], _OUTCOME_COLUMNS)
    print(f"本轮投递：送达 {payload['delivered']} 条，稍后重试 {payload['retrying']} 条，"
          f"失败 {payload['failed']} 条。{run.message}".rstrip())
    return 0


def notify_log(ctx: Context) -> int:
    if ctx.args.limit < 1:
        raise CliError("--limit 必须是正整数", EXIT_USAGE)
    services = ctx.services
    services.projector.catch_up(["notifications"])
    rows = services.notification_log.recent(ctx.args.limit)
    if ctx.json:
        emit_json({"notifications": rows})
        return 0
    shown = [{**r, "queued_at": _shown_time(r["queued_at"]), "kind": _event_labels([r["kind"]]),
              "status": STATUS_LABELS.get(r["status"], r["status"]),
              "note": r["last_error"] if r["status"] != "delivered" else f"网关任务 {r['task_id']}"} for r in rows]
    emit_table(shown, [("queued_at", "排队时间"), ("kind", "类型"), ("phone", "手机号"), ("title", "标题"),
                       ("status", "状态"), ("attempts", "尝试次数"), ("note", "说明")])
    return 0


def recipients_list(ctx: Context) -> int:
    services = ctx.services
    services.projector.catch_up(["recipients"])
    rows = services.recipients.all()
    if ctx.json:
        emit_json({"recipients": rows})
        return 0
    emit_table([{**r, "events": _event_labels(r["events"])} for r in rows],
               [("id", "编号"), ("name", "姓名"), ("phone", "手机号"), ("events", "接收的事件")])
    return 0


def recipients_add(ctx: Context) -> int:
    events = _events(ctx.args.events) or list(NOTIFY_EVENTS)
    recipient = ctx.services.ledger.add_recipient(ctx.args.name, ctx.args.phone, events, by=ctx.actor)
    return _done(ctx, "已添加", recipient)


def recipients_update(ctx: Context) -> int:
    args = ctx.args
    if args.name is None and args.phone is None and args.events is None:
        raise CliError("请至少指定 --name、--phone、--events 中的一项", EXIT_USAGE)
    ledger = ctx.services.ledger
    recipient = ledger.recipient(_recipient_id(ctx, args.id))
    recipient.update(by=ctx.actor, name=args.name, phone=args.phone, events=_events(args.events))
    ledger.save(recipient)
    return _done(ctx, "已修改", recipient)


def recipients_remove(ctx: Context) -> int:
    ledger = ctx.services.ledger
    recipient = ledger.recipient(_recipient_id(ctx, ctx.args.id))
    recipient.remove(by=ctx.actor)
    ledger.save(recipient)
    return _done(ctx, "已删除", recipient)


def _done(ctx: Context, verb: str, recipient: Any) -> int:
    if ctx.json:
        emit_json({"ok": True, "id": str(recipient.id), "name": recipient.name, "phone": recipient.phone,
                   "events": recipient.events, "removed": recipient.removed, "by": ctx.actor})
    else:
        print(f"{verb}接收人 {recipient.name}（{recipient.phone}，编号 {recipient.id}，"
              f"事件：{_event_labels(recipient.events)}；操作人 {ctx.actor}）")
    return 0
