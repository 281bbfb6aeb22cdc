"""`lifecycle status|preview|check`: when each tape becomes free, what the next backup does, the retention check."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from cli.context import Context
from cli.errors import EXIT_FAILURE, CliError
from cli.output import emit_json, emit_table
from ledger import clock
from ledger.rules import ExpiryVerdict, Reason
from ledger.rules.months import format_day, format_minute
from media import lifecycle

STATUS_LABELS = {"scratch": "空白", "active": "使用中", "full": "已满", "expired": "已过期", "retired": "已退役",
                 "cleaning": "清洁带"}
_FREE_WITHOUT_DATE = {Reason.SCRATCH: "现在（空白）", Reason.ACTIVE_GROUP: "所含备份组轮换后",
                      Reason.UNKNOWN_GROUP: "所含备份组核实后"}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("lifecycle", help="磁带生命周期：存活期、轮换与擦除预览").add_subparsers(
        dest="action", required=True)
    group.add_parser("status", parents=[common], help="每盘磁带何时可释放、为什么").set_defaults(
        handler=lifecycle_status)
    group.add_parser("preview", parents=[common], help="预览下次月度备份的轮换与擦除").set_defaults(
        handler=lifecycle_preview)
    group.add_parser("check", parents=[common], help="执行存活期检查：标记过期磁带，报告冲突").set_defaults(
        handler=lifecycle_check)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _free_when(verdict: ExpiryVerdict, now: datetime) -> str:
    if verdict.free_at is not None:
        day = format_day(verdict.free_at)
        return f"现在（{day} 起）" if verdict.free_at <= now else day
    return _FREE_WITHOUT_DATE.get(verdict.reason, "不适用")


def lifecycle_status(ctx: Context) -> int:
    services = ctx.services
    now = clock.now()
    default_retention = services.effective("default_retention_months")
    rows = []
    for row, verdict in lifecycle.status(services, now):
        rows.append({
            "barcode": row["barcode"], "status": row["status"], "status_label": STATUS_LABELS.get(row["status"]),
            "label_sequence": row["label_sequence"],
            "groups": row["groups"], "location": row["location"], "retention_months": row["retention_months"],
            "retention_in_force": row["retention_months"] or default_retention,
            "reason": verdict.reason.value, "expired": verdict.expired, "free_at": _iso(verdict.free_at),
            "retention_ends_at": _iso(verdict.retention_ends_at), "free_when": _free_when(verdict, now),
            "explanation": verdict.explanation,
        })
    groups = [{"name": g["name"], "active": bool(g["active"]), "runs": g["runs"], "opened_at": g["opened_at"],
               "rotated_out_at": g["rotated_out_at"]} for g in services.groups.all()]
    if ctx.json:
        emit_json({"cartridges": rows, "groups": groups})
        return 0
    emit_table([{**r, "groups": "、".join(r["groups"]) or "—"} for r in rows],
               [("barcode", "条码"), ("status_label", "状态"), ("groups", "备份组"), ("free_when", "何时可释放"),
                ("explanation", "说明")])
    return 0


def lifecycle_preview(ctx: Context) -> int:
    services = ctx.services
    try:
        shown = lifecycle.preview(services, clock.now())
    except ValueError as error:  # a cron that never fires, groups that would run backwards
        raise CliError(f"无法预览：{error}", EXIT_FAILURE) from None
    if ctx.json:
        emit_json({
            "next_backup_at": shown.next_backup_at, "group": shown.decision.group,
            "action": shown.decision.action.value, "run_number": shown.decision.run_number,
            "keep": shown.decision.keep, "auto_erase": bool(services.effective("auto_erase_expired")),
            "rotating_out": list(shown.rotating_out), "erased": list(shown.erased),
            "freed": [{"barcode": f.volser, "free_at": f.free_at} for f in shown.freed],
            "items": [{"kind": i.kind.value, "subject": i.subject, "at": i.at, "sentence": i.sentence}
                      for i in shown.items],
            "alerts": list(shown.alerts), "explanation": shown.decision.explanation,
        })
        return 0
    print(f"下次月度备份：{format_minute(shown.next_backup_at)}（备份组 {shown.decision.group}）")
    print(shown.decision.explanation)
    for item in shown.items:
        print(f"- {item.sentence}")
    if shown.alerts:
        print("需要注意：")
        for alert in shown.alerts:
            print(f"! {alert}")
    return 0


def lifecycle_check(ctx: Context) -> int:
    services = ctx.services
    summary = lifecycle.check(services, clock.now(), by=ctx.actor)
    if ctx.json:
        emit_json({
            "ok": True, "checked": summary.checked,
            "expired": [{"barcode": b, "explanation": e} for b, e in summary.expired],
            "already_expired": summary.already_expired,
            "alerts": [{"barcode": b, "alert": a} for b, a in summary.alerts],
            "notifications_queued": summary.notifications, "by": ctx.actor,
        })
        return 0
    print(f"存活期检查完成（执行人 {ctx.actor}）：共 {summary.checked} 盘磁带，新标记过期 {len(summary.expired)} 盘，"
          f"此前已过期 {len(summary.already_expired)} 盘。")
    for barcode, explanation in summary.expired:
        print(f"- {barcode}：{explanation}")
    for barcode, alert in summary.alerts:
        print(f"! {barcode}：{alert}")
    if summary.notifications:
        print(f"已排队 {summary.notifications} 条钉钉通知，由 notify dispatch 或定时任务发送。")
    return 0
