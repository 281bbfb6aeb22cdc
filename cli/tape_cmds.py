"""`vtl …` (the emulated library, by hand) and `drive …` (tape acts through SCSI) commands.

Thin: parse, call a verb of `app.tapes.Tapes`, print. Errors carry their own line and exit code
(`kernel.errors`): device errors exit 7 with the advice; refusals (a tape that is not ours, a
write-protected cartridge …) 3, unknown barcodes 4, malformed input 2 — in every case nothing was
changed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.tapes import Tapes
from cli.context import Context
from cli.errors import EXIT_DEVICE, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from config.errors import ConfigError
from config.parse import parse_size
from ledger.rules.cartridge_text import pool_text
from ledger.units import human_bytes


def _size(text: str) -> int:
    try:
        return parse_size("SIZE", text, minimum=1)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(error.problem) from None


def _hex_byte(text: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}”不是十六进制字节") from None
    if not 0 <= value <= 0xFF:
        raise argparse.ArgumentTypeError(f"“{text}”超出 00–FF")
    return value


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    device = argparse.ArgumentParser(add_help=False, parents=[common])
    device.add_argument("--device", default=None, help="磁带设备（默认 TAPE_DEVICE，否则 emulated:0）")

    v = sub.add_parser("vtl", help="模拟磁带库（相当于操作员的手）").add_subparsers(dest="action", required=True)
    create = v.add_parser("create", parents=[device], help="创建模拟磁带库")
    create.add_argument("--drives", type=int, default=None, help="驱动器数（默认 VTL_DRIVES）")
    create.add_argument("--slots", type=int, default=None, help="槽位数，0 为单机驱动器（默认 VTL_SLOTS）")
    create.add_argument("--capacity", type=_size, default=None, help="每盘容量，如 64M、2G（默认 VTL_CAPACITY）")
    create.add_argument("--early-warning", type=float, default=None, help="早期告警距末尾的百分比")
    create.add_argument("--first-load", type=float, default=None, metavar="SECONDS",
                        help="新 LTO-9 磁带首次装入时介质优化的秒数，0–7920（默认 VTL_FIRST_LOAD_SECONDS）")
    create.set_defaults(handler=vtl_create)
    v.add_parser("list", parents=[device], help="查看驱动器、槽位和磁带").set_defaults(handler=vtl_list)
    insert = v.add_parser("insert", parents=[device], help="放入磁带（新条码即新磁带）")
    insert.add_argument("barcode")
    insert.add_argument("--slot", type=int, default=None, help="放入的槽位（默认导入/导出口）")
    insert.add_argument("--drive", type=int, default=None, help="直接放入驱动器")
    insert.add_argument("--media", default=None, help="新磁带的介质：L9、LZ、L8、LY、L7、CU")
    insert.add_argument("--write-protect", action="store_true", help="拨上写保护开关")
    insert.set_defaults(handler=vtl_insert)
    eject = v.add_parser("eject", parents=[device], help="取出磁带（不指定条码则清空导入/导出口）")
    eject.add_argument("barcode", nargs="?", default=None)
    eject.set_defaults(handler=vtl_eject)
    protect = v.add_parser("protect", parents=[device], help="拨动磁带的写保护开关")
    protect.add_argument("barcode")
    protect.add_argument("--off", action="store_true", help="解除写保护")
    protect.set_defaults(handler=vtl_protect)
    fault = v.add_parser("fault", help="注入或清除故障").add_subparsers(dest="fault_action", required=True)
    fault_set = fault.add_parser("set", parents=[device], help="注入一个故障")
    fault_set.add_argument("kind", help="medium_error、not_ready、volume_overflow、transfer_limit、"
                                        "deferred_error、unit_attention")
    fault_set.add_argument("--drive", type=int, default=None)
    fault_set.add_argument("--changer", action="store_true", help="作用于机械手（unit_attention）")
    fault_set.add_argument("--barcode", default=None, help="只在这盘磁带装入时生效")
    fault_set.add_argument("--at-object", type=int, default=None, help="逻辑对象号")
    fault_set.add_argument("--operation", choices=["read", "write", "both"], default="both")
    fault_set.add_argument("--seconds", type=float, default=None, help="not_ready 持续秒数")
    fault_set.add_argument("--limit", type=_size, default=None, help="transfer_limit 的字节上限")
    fault_set.add_argument("--asc", type=_hex_byte, default=None)
    fault_set.add_argument("--ascq", type=_hex_byte, default=None)
    fault_set.add_argument("--once", action="store_true", help="触发一次后自动清除")
    fault_set.set_defaults(handler=vtl_fault_set)
    fault_clear = fault.add_parser("clear", parents=[device], help="清除故障（默认全部）")
    fault_clear.add_argument("kind", nargs="?", default=None)
    fault_clear.add_argument("--drive", type=int, default=None)
    fault_clear.set_defaults(handler=vtl_fault_clear)
    fault.add_parser("list", parents=[device], help="列出故障").set_defaults(handler=vtl_fault_list)

    d = sub.add_parser("drive", help="驱动器操作").add_subparsers(dest="action", required=True)
    tape = argparse.ArgumentParser(add_help=False, parents=[device])
    tape.add_argument("--changer", default=None, help="真实带库的机械手设备（/dev/sgN 或 \\\\.\\ChangerN）")
    d.add_parser("list", parents=[device], help="列出驱动器和带库").set_defaults(handler=drive_list)
    d.add_parser("status", parents=[tape], help="驱动器和磁带状态（不移动磁带）").set_defaults(handler=drive_status)
    load = d.add_parser("load", parents=[tape], help="带库把磁带装入驱动器")
    load.add_argument("barcode")
    load.set_defaults(handler=drive_load)
    d.add_parser("unload", parents=[tape], help="卸带（带库放回原槽位）").set_defaults(handler=drive_unload)
    d.add_parser("rewind", parents=[tape], help="倒带").set_defaults(handler=drive_rewind)
    label = d.add_parser("label", parents=[tape], help="写入磁带标签（格式 v1）")
    label.add_argument("--pool", default=None, help="磁带池（默认保持磁带原来的池，新磁带为 default）")
    label.add_argument("--barcode", default=None, help="条码（单机驱动器没有条码阅读器时指定）")
    label.add_argument("--block-size", type=_size, default=None, help="块大小（默认 DEFAULT_BLOCK_SIZE）")
    label.add_argument("--force", action="store_true", help="允许重新贴标签：已有标签、已有数据或非本系统的磁带")
    label.add_argument("--confirm", default=None, help="与 --force 同用：再次输入条码以确认")
    label.set_defaults(handler=drive_label)
    erase = d.add_parser("erase", parents=[tape], help="擦除整盘磁带")
    erase.add_argument("--long", action="store_true", help="长擦除（覆盖到磁带末尾，耗时很长）")
    erase.add_argument("--yes", action="store_true", help="确认擦除")
    erase.add_argument("--confirm", default=None, help="磁带上有备份数据时：再次输入条码以确认")
    erase.set_defaults(handler=drive_erase)
    d.add_parser("health", parents=[tape], help="健康状况（日志页、TapeAlert、MAM）").set_defaults(handler=drive_health)
    rawp = d.add_parser("raw", parents=[tape], help="发送一条原始 CDB（类似 sg_raw）")
    rawp.add_argument("cdb", nargs="+", help="十六进制 CDB，如 34 06 00 00 00 00 00 00 00 00")
    rawp.add_argument("--in", dest="data_in", type=_size, default=0, help="读回的数据长度（字节）")
    rawp.add_argument("--data-out", type=Path, default=None, help="发往设备的数据文件")
    rawp.set_defaults(handler=drive_raw)


def _tapes(ctx: Context) -> Tapes:
    return ctx.app.tapes


def _on(ctx: Context) -> dict[str, Any]:
    """The devices a drive command names: --device (else the settings') and, for a real library, --changer."""
    return {"device": getattr(ctx.args, "device", None), "changer": getattr(ctx.args, "changer", None),
            "actor": ctx.actor}


def _say(ctx: Context) -> Callable[[str], None]:
    """Progress text: stdout for people, stderr under --json so stdout stays one JSON document."""
    stream = sys.stderr if ctx.json else sys.stdout
    shown: list[str] = []

    def say(message: str) -> None:
        if not shown or shown[-1] != message:
            shown.append(message)
            print(message, file=stream, flush=True)

    return say


def _done(ctx: Context, payload: dict[str, Any], text: str) -> int:
    if ctx.json:
        emit_json(payload)
    else:
        print(text)
    return 0


def _ok(result: Any, *leave_out: str) -> dict[str, Any]:
    """A result as the JSON scripts read it, "ok" first."""
    return {"ok": True, **{key: value for key, value in asdict(result).items() if key not in leave_out}}


def _medium_lifted(payload: dict[str, Any]) -> dict[str, Any]:
    """The loaded cartridge's fields at the top level, where scripts have always found them."""
    medium = payload.pop("medium") or {}
    return {**payload, **medium}


# -- vtl ------------------------------------------------------------------------------------------


def vtl_create(ctx: Context) -> int:
    a = ctx.args
    made = _tapes(ctx).vtl_create(drives=a.drives, slots=a.slots, capacity=a.capacity,
                                  early_warning_pct=a.early_warning, first_load_seconds=a.first_load, device=a.device)
    return _done(ctx, _ok(made), f"已创建模拟磁带库 {made.root}：{len(made.drives)} 台驱动器，"
                                 f"{len(made.slots)} 个槽位，{len(made.cartridges)} 盘磁带；{_first_load(made)}")


def _first_load(library: Any) -> str:
    seconds = library.first_load_seconds
    if not seconds:
        return "不模拟首次装入的介质优化"
    return f"新 LTO-9 磁带首次装入时介质优化 {seconds:g} 秒"


def vtl_list(ctx: Context) -> int:
    library = _tapes(ctx).vtl_list(ctx.args.device)
    if ctx.json:
        emit_json(asdict(library))
        return 0
    print(f"模拟磁带库：{library.root}（{'带机械手' if library.changer else '单机驱动器'}；{_first_load(library)}）")
    emit_table([{"device": d.device, "serial": d.serial, "barcode": d.barcode, "medium": d.medium_text,
                 "position": d.position} for d in library.drives],
               [("device", "驱动器"), ("serial", "序列号"), ("barcode", "磁带"), ("medium", "状态"),
                ("position", "逻辑对象号")])
    slots = [{"where": f"槽位 {s.number}", "barcode": s.barcode} for s in library.slots]
    slots += [{"where": f"导入/导出口 {s.number}", "barcode": s.barcode} for s in library.ie_slots]
    if slots:
        emit_table(slots, [("where", "位置"), ("barcode", "磁带")])
    emit_table([{"barcode": c.barcode, "media": c.media, "used": human_bytes(c.used),
                 "capacity": human_bytes(c.capacity), "wp": c.write_protect, "optimised": c.optimised,
                 "location": c.location_text} for c in library.cartridges],
               [("barcode", "条码"), ("media", "介质"), ("used", "已用"), ("capacity", "容量"), ("wp", "写保护"),
                ("optimised", "已做介质优化"), ("location", "位置")])
    if library.faults:
        print("已注入的故障：" + "；".join(f"#{f.id} {f.kind}" for f in library.faults))
    return 0


def vtl_insert(ctx: Context) -> int:
    a = ctx.args
    inserted = _tapes(ctx).vtl_insert(a.barcode, actor=ctx.actor, slot=a.slot, drive=a.drive, media=a.media,
                                      write_protect=a.write_protect, device=a.device)
    # A space parts the barcode from the words after it, not a full-width bracket.
    made = "（新磁带）" if inserted.created else " "
    return _done(ctx, _ok(inserted), f"磁带 {inserted.barcode}{made}已放入{inserted.where}")


def vtl_eject(ctx: Context) -> int:
    ejected = _tapes(ctx).vtl_eject(ctx.args.barcode, actor=ctx.actor, device=ctx.args.device)
    return _done(ctx, _ok(ejected), f"已取出磁带：{'、'.join(ejected.ejected)}")


def vtl_protect(ctx: Context) -> int:
    flipped = _tapes(ctx).vtl_protect(ctx.args.barcode, not ctx.args.off, ctx.args.device)
    state = "已拨上写保护" if flipped.write_protect else "已解除写保护"
    return _done(ctx, _ok(flipped), f"磁带 {flipped.barcode} {state}")


def vtl_fault_set(ctx: Context) -> int:
    a = ctx.args
    injected = _tapes(ctx).vtl_set_fault(a.kind, drive=a.drive, changer=a.changer, barcode=a.barcode,
                                         at_object=a.at_object, operation=a.operation, seconds=a.seconds,
                                         limit=a.limit, asc=a.asc, ascq=a.ascq, once=a.once, device=a.device)
    return _done(ctx, _ok(injected), f"已注入故障 #{injected.fault.id}：{injected.fault.kind}")


def vtl_fault_clear(ctx: Context) -> int:
    cleared = _tapes(ctx).vtl_clear_faults(ctx.args.kind, drive=ctx.args.drive, device=ctx.args.device)
    return _done(ctx, _ok(cleared), f"已清除 {cleared.removed} 个故障")


def vtl_fault_list(ctx: Context) -> int:
    listed = _tapes(ctx).vtl_faults(ctx.args.device)
    if ctx.json:
        emit_json(asdict(listed))
        return 0
    emit_table([fault.to_json() for fault in listed.faults],
               [("id", "编号"), ("kind", "类型"), ("drive", "驱动器"), ("barcode", "磁带"), ("object", "对象号"),
                ("operation", "操作"), ("once", "一次性")])
    return 0


# -- drive ----------------------------------------------------------------------------------------


def drive_list(ctx: Context) -> int:
    rows = [asdict(entry) for entry in _tapes(ctx).devices(ctx.args.device)]
    if ctx.json:
        emit_json({"devices": rows})
        return 0
    emit_table(rows, [("path", "设备"), ("kind_text", "类型"), ("product", "型号"), ("serial", "序列号"),
                      ("barcode", "磁带"), ("medium_text", "状态"), ("problem", "问题")])
    return 0


def drive_status(ctx: Context) -> int:
    report = _tapes(ctx).drive_status(**_on(ctx))
    if ctx.json:
        emit_json(_medium_lifted(asdict(report)))
        return 0
    print(f"驱动器 {report.device}：{report.vendor} {report.product}（固件 {report.revision}，"
          f"序列号 {report.serial}）")
    print(f"状态：{report.state_text}")
    if report.state_advice:
        print(report.state_advice)
    medium = report.medium
    if medium is not None:
        print(f"磁带 {medium.barcode or '（条码未知）'}，介质类型 {medium.medium_type}，"
              f"{'WORM，' if medium.worm else ''}{'写保护，' if medium.write_protected else ''}"
              f"位置：对象 {medium.block}（磁带文件 {medium.file}）"
              f"{'，已过早期告警' if medium.beyond_early_warning else ''}")
    return 0


def drive_load(ctx: Context) -> int:
    loaded = _tapes(ctx).load(ctx.args.barcode, on_message=_say(ctx), **_on(ctx))
    swapped = f"（先卸出了 {loaded.unloaded}）" if loaded.unloaded else ""
    return _done(ctx, _medium_lifted(_ok(loaded)), f"磁带 {loaded.barcode} 已装入驱动器 {loaded.drive}{swapped}")


def drive_unload(ctx: Context) -> int:
    unloaded = _tapes(ctx).unload(**_on(ctx))
    return _done(ctx, _ok(unloaded), f"磁带 {unloaded.barcode or '（条码未知）'} 已卸出，现在位置：{unloaded.location_text}")


def drive_rewind(ctx: Context) -> int:
    rewound = _tapes(ctx).rewind(**_on(ctx))
    return _done(ctx, _ok(rewound), f"已倒带（磁带 {rewound.barcode or '条码未知'}）")


def _ask(prompt: str) -> str:
    if sys.stdin.isatty():
        print(prompt, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline()


def drive_label(ctx: Context) -> int:
    a = ctx.args
    if a.confirm is not None and not a.force:
        raise CliError("--confirm 只能与 --force 一起使用", EXIT_USAGE)
    labelled = _tapes(ctx).label(pool=a.pool, barcode=a.barcode, block_size=a.block_size, force=a.force,
                                 confirm=a.confirm, ask=_ask, **_on(ctx))
    return _done(ctx, _ok(labelled), f"磁带 {labelled.barcode} 已写入标签 {labelled.volume_serial}"
                                     f"（第 {labelled.label_sequence} 次，池 {pool_text(labelled.pool)}，"
                                     f"块大小 {labelled.block_size}）")


def drive_erase(ctx: Context) -> int:
    if not ctx.args.yes:
        raise CliError("擦除会清除磁带上的全部数据，请加 --yes 确认", EXIT_USAGE)
    say = _say(ctx)
    erased = _tapes(ctx).erase(acknowledged=True, long=ctx.args.long, confirm=ctx.args.confirm, ask=_ask,
                               on_progress=lambda state: say(f"擦除进度：{state.fraction:.0%}"), **_on(ctx))
    kind = "长擦除" if erased.mode == "long" else "短擦除"
    return _done(ctx, _ok(erased, "progress_id"), f"磁带 {erased.barcode} 已完成{kind}")


def drive_health(ctx: Context) -> int:
    health = _tapes(ctx).health(**_on(ctx))
    if ctx.json:
        emit_json(_ok(health))
        return 0
    print(f"磁带 {health.barcode} 健康状况（驱动器 {health.drive_serial}）")
    print(f"装带次数 {health.load_count}，剩余 {health.remaining_mib} MiB / 共 {health.maximum_mib} MiB，"
          f"写入 {health.host_bytes_written} 字节，压缩比 {health.compression_ratio or '—'}，"
          f"需要清洗：{'是' if health.cleaning_required else '否'}")
    if not health.alerts:
        print("TapeAlert：无告警")
    for alert in health.alerts:
        print(f"TapeAlert {alert.code:02X}h {alert.title}（{alert.severity}）：{alert.description}。{alert.advice}")
    return 0


def drive_raw(ctx: Context) -> int:
    a = ctx.args
    reply = _tapes(ctx).raw(" ".join(a.cdb), data_in=a.data_in, data_out=a.data_out, **_on(ctx))
    if ctx.json:
        emit_json({"status": reply.status, "sense": reply.sense, "residue": reply.residue, "data": reply.data})
    else:
        print(f"状态：0x{reply.status:02X}（{reply.status_name}）")
        if reply.sense:
            print(f"检测数据：{reply.sense}")
            print(f"含义：{reply.sense_text}")
        print(f"残余：{reply.residue}")
        data = bytes.fromhex(reply.data)
        if data:
            print(f"数据（{len(data)} 字节）：")
            for offset in range(0, len(data), 16):
                print(f"  {offset:06x}  {data[offset:offset + 16].hex(' ')}")
    if reply.failed:
        print(f"错误：{reply.sense_text or reply.status_name}", file=sys.stderr)
        return EXIT_DEVICE
    return 0
