"""`tape list|retention`: the cartridges the ledger knows, and one cartridge's own retention (存活期).

Thin: parse, call `ctx.app.tapes`, print. A retention change is recorded with the old value, the
new value and who made it (TAF_USER); an unknown barcode exits 4, a retention outside 1–120 months
2, a retired or cleaning cartridge 3 — in every case nothing was changed.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from cli.context import Context
from cli.output import emit_json, emit_table
from ledger.units import human_bytes


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("tape", help="磁带（单盘）：库存、存活期").add_subparsers(dest="action", required=True)
    group.add_parser("list", parents=[common], help="台账中的全部磁带：状态、池、位置、存活期、何时可释放").set_defaults(
        handler=tape_list)
    retention = group.add_parser("retention", parents=[common], help="设置一盘磁带自己的存活期（月）")
    retention.add_argument("barcode", help="磁带条码")
    retention.add_argument("months", type=int, help="存活期，1–120 个月")
    retention.set_defaults(handler=tape_retention)


def tape_list(ctx: Context) -> int:
    cartridges = ctx.app.tapes.inventory()
    if ctx.json:
        emit_json({"cartridges": [asdict(entry) for entry in cartridges]})
        return 0
    emit_table([{"barcode": c.barcode, "status": c.status_label or c.status, "pool": c.pool_text,
                 "where": c.location_text, "used": f"{human_bytes(c.bytes_written)} / {human_bytes(c.capacity_bytes)}",
                 "retention": f"{c.retention_in_force} 个月{'' if c.retention_months else '（默认）'}",
                 "free": c.free_when} for c in cartridges],
               [("barcode", "条码"), ("status", "状态"), ("pool", "池"), ("where", "位置"), ("used", "已用"),
                ("retention", "存活期"), ("free", "何时可释放")])
    return 0


def tape_retention(ctx: Context) -> int:
    changed = ctx.app.tapes.change_retention(ctx.args.barcode, ctx.args.months, actor=ctx.actor)
    after = changed.cartridge
    if ctx.json:
        emit_json({"ok": True, "barcode": changed.barcode, "old": changed.old, "old_in_force": changed.old_in_force,
                   "new": changed.new, "by": changed.by, "expired_now": changed.expired_now, "status": after.status,
                   "free_at": after.free_at, "free_when": after.free_when, "explanation": after.explanation})
        return 0
    before = f" {changed.old} 个月" if changed.old is not None else f"默认的 {changed.old_in_force} 个月"
    print(f"磁带 {changed.barcode} 的存活期已改为 {changed.new} 个月（原为{before}，操作人 {changed.by}）")
    if changed.expired_now:
        print("新的存活期已经到期：磁带已标记为已过期，可擦除复用。")
    print(f"何时可释放：{after.free_when}")
    print(after.explanation)
    return 0
