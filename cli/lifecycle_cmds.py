"""`lifecycle status|preview|check`: when each tape becomes free, what the next backup does, the retention check."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from cli.context import Context
from cli.output import emit_json, emit_table

# What `lifecycle status --json` shows of each cartridge, in this order.
_STATUS_FIELDS = ("barcode", "status", "status_label", "label_sequence", "groups", "location", "location_text",
                  "retention_months", "retention_in_force", "reason", "expired", "free_at", "retention_ends_at",
                  "free_when", "explanation")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("lifecycle", help="磁带生命周期：存活期、轮换与擦除预览").add_subparsers(
        dest="action", required=True)
    group.add_parser("status", parents=[common], help="每盘磁带何时可释放、为什么").set_defaults(
        handler=lifecycle_status)
    group.add_parser("preview", parents=[common], help="预览下次月度备份的轮换与擦除").set_defaults(
        handler=lifecycle_preview)
    group.add_parser("check", parents=[common], help="执行存活期检查：标记过期磁带，报告冲突").set_defaults(
        handler=lifecycle_check)


def lifecycle_status(ctx: Context) -> int:
    status = ctx.app.lifecycle.status()
    rows = [{key: getattr(entry, key) for key in _STATUS_FIELDS} for entry in status.cartridges]
    if ctx.json:
        emit_json({"cartridges": rows, "groups": [asdict(group) for group in status.groups]})
        return 0
    emit_table([{**r, "groups": "、".join(r["groups"]) or "—"} for r in rows],
               [("barcode", "条码"), ("status_label", "状态"), ("groups", "备份组"), ("free_when", "何时可释放"),
                ("explanation", "说明")])
    return 0


def lifecycle_preview(ctx: Context) -> int:
    shown = ctx.app.lifecycle.preview()
    if ctx.json:
        emit_json({
            "next_backup_at": shown.next_backup_at, "group": shown.group, "action": shown.action,
            "run_number": shown.run_number, "keep": shown.keep, "auto_erase": shown.auto_erase,
            "rotating_out": shown.rotating_out, "erased": shown.erased,
            "freed": [asdict(freed) for freed in shown.freed], "items": [asdict(item) for item in shown.items],
            "alerts": shown.alerts, "explanation": shown.explanation,
        })
        return 0
    print(f"下次月度备份：{shown.next_backup_text}（备份组 {shown.group}）")
    print(shown.explanation)
    for item in shown.items:
        print(f"- {item.sentence}")
    if shown.alerts:
        print("需要注意：")
        for alert in shown.alerts:
            print(f"! {alert}")
    return 0


def lifecycle_check(ctx: Context) -> int:
    summary = ctx.app.lifecycle.check(actor=ctx.actor)
    if ctx.json:
        emit_json({
            "ok": True, "checked": summary.checked,
            "expired": [{"barcode": b, "explanation": e} for b, e in summary.expired],
            "already_expired": summary.already_expired,
            "alerts": [{"barcode": b, "alert": a} for b, a in summary.alerts],
            "notifications_queued": summary.notifications, "by": summary.by,
        })
        return 0
    print(f"存活期检查完成（执行人 {summary.by}）：共 {summary.checked} 盘磁带，新标记过期 {len(summary.expired)} 盘，"
          f"此前已过期 {len(summary.already_expired)} 盘。")
    for barcode, explanation in summary.expired:
        print(f"- {barcode}：{explanation}")
    for barcode, alert in summary.alerts:
        print(f"! {barcode}：{alert}")
    if summary.notifications:
        print(f"已排队 {summary.notifications} 条钉钉通知，由 notify dispatch 或定时任务发送。")
    return 0
