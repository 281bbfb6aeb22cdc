"""`vtl …` (the emulated library, by hand) and `drive …` (tape acts through SCSI) commands.

Thin: parse, call the use case in `media/`, print. Device errors become one Chinese line with the
advice and exit code 7; refusals (a tape that is not ours, a write-protected cartridge …) exit 3,
unknown barcodes 4, malformed input 2 — in every case nothing was changed.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli.context import Context
from cli.errors import EXIT_DEVICE, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from config.errors import ConfigError
from config.parse import parse_size
from ledger.units import human_bytes
from media import operations, raw, vtl
from media.devices import device_spec, ensure_emulated_library, list_devices, open_session
from tape.devices import library_root
from tape.discovery import InvalidDeviceSpec, parse_device_spec
from tape.scsi.errors import TapeError
from tape.transport import TransportError
from tape.volume import FormatError
from tape.volume_errors import VolumeError

EXIT_REFUSED = 3
Handler = Callable[[Context], int]


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
    label.add_argument("--pool", default="default", help="磁带池（默认 default）")
    label.add_argument("--barcode", default=None, help="条码（单机驱动器没有条码阅读器时指定）")
    label.add_argument("--block-size", type=_size, default=None, help="块大小（默认 DEFAULT_BLOCK_SIZE）")
    label.add_argument("--force", action="store_true", help="允许覆盖已有数据或非本系统的磁带")
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


def _device_errors(handler: Handler) -> Handler:
    """Turn tape-layer failures into one line and the right exit code."""

    @functools.wraps(handler)
    def run(ctx: Context) -> int:
        try:
            return handler(ctx)
        except VolumeError as error:
            raise CliError(str(error), EXIT_REFUSED if error.refusal else EXIT_DEVICE) from error
        except (TapeError, TransportError) as error:
            raise CliError(str(error), EXIT_DEVICE) from error
        except InvalidDeviceSpec as error:
            raise CliError(str(error), EXIT_USAGE) from error
        except FormatError as error:
            raise CliError(f"磁带上的数据不是有效的 TAF 格式：{error.message}", EXIT_DEVICE) from error

    return run


device_errors = _device_errors


def _spec(ctx: Context) -> str:
    return device_spec(ctx.settings, getattr(ctx.args, "device", None))


def _library(ctx: Context) -> Path:
    parsed = parse_device_spec(_spec(ctx))
    return library_root(parsed, ctx.settings.vtl_dir) if parsed.kind == "emulated" else ctx.settings.vtl_dir


def _session(ctx: Context) -> Any:
    return open_session(ctx.services, _spec(ctx), ctx.actor, changer_spec=getattr(ctx.args, "changer", None))


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


# -- vtl ------------------------------------------------------------------------------------------


@_device_errors
def vtl_create(ctx: Context) -> int:
    s, a = ctx.settings, ctx.args
    result = vtl.create(_library(ctx), drives=a.drives if a.drives is not None else s.vtl_drives,
                        slots=a.slots if a.slots is not None else s.vtl_slots,
                        capacity=a.capacity or s.vtl_capacity,
                        early_warning_pct=a.early_warning if a.early_warning is not None else s.vtl_early_warning_pct)
    return _done(ctx, result, f"已创建模拟磁带库 {result['root']}：{len(result['drives'])} 台驱动器，"
                              f"{len(result['slots'])} 个槽位，{len(result['cartridges'])} 盘磁带")


@_device_errors
def vtl_list(ctx: Context) -> int:
    ensure_emulated_library(ctx.settings, _spec(ctx))
    result = vtl.listing(_library(ctx))
    if ctx.json:
        emit_json(result)
        return 0
    print(f"模拟磁带库：{result['root']}（{'带机械手' if result['changer'] else '单机驱动器'}）")
    emit_table([{"index": d["index"], "serial": d["serial"], "barcode": d["barcode"], "medium": d["medium"],
                 "position": d["position"]} for d in result["drives"]],
               [("index", "驱动器"), ("serial", "序列号"), ("barcode", "磁带"), ("medium", "状态"), ("position", "位置")])
    slots = [{"where": f"槽位 {s['number']}", "barcode": s["barcode"]} for s in result["slots"]]
    slots += [{"where": f"导入/导出口 {s['number']}", "barcode": s["barcode"]} for s in result["ie_slots"]]
    if slots:
        emit_table(slots, [("where", "位置"), ("barcode", "磁带")])
    emit_table([{"barcode": c["barcode"], "media": c["media"], "used": human_bytes(c["used"]),
                 "capacity": human_bytes(c["capacity"]), "wp": c["write_protect"], "location": c["location"]}
                for c in result["cartridges"]],
               [("barcode", "条码"), ("media", "介质"), ("used", "已用"), ("capacity", "容量"), ("wp", "写保护"),
                ("location", "位置")])
    if result["faults"]:
        print("已注入的故障：" + "；".join(f"#{f['id']} {f['kind']}" for f in result["faults"]))
    return 0


@_device_errors
def vtl_insert(ctx: Context) -> int:
    ensure_emulated_library(ctx.settings, _spec(ctx))
    a = ctx.args
    result = vtl.insert(_library(ctx), ctx.services.ledger, a.barcode, by=ctx.actor, slot=a.slot, drive=a.drive,
                        media=a.media, write_protect=a.write_protect)
    made = "（新磁带）" if result["created"] else ""
    return _done(ctx, result, f"磁带 {result['barcode']}{made} 已放入{result['where']}")


@_device_errors
def vtl_eject(ctx: Context) -> int:
    result = vtl.eject(_library(ctx), ctx.services.ledger, ctx.args.barcode, by=ctx.actor)
    return _done(ctx, result, f"已取出磁带：{'、'.join(result['ejected'])}")


@_device_errors
def vtl_protect(ctx: Context) -> int:
    result = vtl.protect(_library(ctx), ctx.args.barcode, not ctx.args.off)
    state = "已拨上写保护" if result["write_protect"] else "已解除写保护"
    return _done(ctx, result, f"磁带 {result['barcode']} {state}")


@_device_errors
def vtl_fault_set(ctx: Context) -> int:
    a = ctx.args
    result = vtl.set_fault(_library(ctx), a.kind, drive=a.drive, changer=a.changer, barcode=a.barcode,
                           at_object=a.at_object, operation=a.operation, seconds=a.seconds, limit=a.limit,
                           asc=a.asc, ascq=a.ascq, once=a.once)
    fault = result["fault"]
    return _done(ctx, result, f"已注入故障 #{fault['id']}：{fault['kind']}")


@_device_errors
def vtl_fault_clear(ctx: Context) -> int:
    result = vtl.clear_faults(_library(ctx), kind=ctx.args.kind, drive=ctx.args.drive)
    return _done(ctx, result, f"已清除 {result['removed']} 个故障")


@_device_errors
def vtl_fault_list(ctx: Context) -> int:
    result = vtl.list_faults(_library(ctx))
    if ctx.json:
        emit_json(result)
        return 0
    emit_table(result["faults"], [("id", "编号"), ("kind", "类型"), ("drive", "驱动器"), ("barcode", "磁带"),
                                  ("object", "对象号"), ("operation", "操作"), ("once", "一次性")])
    return 0


# -- drive ----------------------------------------------------------------------------------------


@_device_errors
def drive_list(ctx: Context) -> int:
    rows = list_devices(ctx.settings, _spec(ctx))
    if ctx.json:
        emit_json({"devices": rows})
        return 0
    emit_table(rows, [("path", "设备"), ("kind", "类型"), ("product", "型号"), ("serial", "序列号"),
                      ("barcode", "磁带"), ("medium", "状态"), ("problem", "问题")])
    return 0


@_device_errors
def drive_status(ctx: Context) -> int:
    with _session(ctx) as session:
        result = operations.status(session)
    if ctx.json:
        emit_json(result)
        return 0
    print(f"驱动器 {result['device']}：{result['vendor']} {result['product']}（固件 {result['revision']}，"
          f"序列号 {result['serial']}）")
    print(f"状态：{result['state_text']}")
    if result["state"] == "ready":
        print(f"磁带 {result['barcode'] or '（条码未知）'}，介质类型 {result['medium_type']}，"
              f"{'WORM，' if result['worm'] else ''}{'写保护，' if result['write_protected'] else ''}"
              f"位置：对象 {result['block']}（磁带文件 {result['file']}）"
              f"{'，已过早期告警' if result['beyond_early_warning'] else ''}")
    return 0


@_device_errors
def drive_load(ctx: Context) -> int:
    say = _say(ctx)
    with _session(ctx) as session:
        result = operations.load(session, ctx.args.barcode, on_state=lambda state: say(state.message))
    swapped = f"（先卸出了 {result['unloaded']}）" if result["unloaded"] else ""
    return _done(ctx, result, f"磁带 {result['barcode']} 已装入驱动器 {result['drive']}{swapped}")


@_device_errors
def drive_unload(ctx: Context) -> int:
    with _session(ctx) as session:
        result = operations.unload(session)
    return _done(ctx, result, f"磁带 {result['barcode'] or ''} 已卸出，放到 {result['location'] or '—'}")


@_device_errors
def drive_rewind(ctx: Context) -> int:
    with _session(ctx) as session:
        result = operations.rewind(session)
    return _done(ctx, result, f"已倒带（磁带 {result['barcode'] or '条码未知'}）")


def _ask(prompt: str) -> str:
    if sys.stdin.isatty():
        print(prompt, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline()


@_device_errors
def drive_label(ctx: Context) -> int:
    a = ctx.args
    if a.confirm is not None and not a.force:
        raise CliError("--confirm 只能与 --force 一起使用", EXIT_USAGE)
    with _session(ctx) as session:
        result = operations.label(session, pool=a.pool, barcode=a.barcode, force=a.force, confirm=a.confirm,
                                  ask=_ask, block_size=a.block_size or ctx.settings.default_block_size)
    return _done(ctx, result, f"磁带 {result['barcode']} 已写入标签 {result['volume_serial']}"
                              f"（第 {result['label_sequence']} 次，池 {result['pool']}，块大小 {result['block_size']}）")


@_device_errors
def drive_erase(ctx: Context) -> int:
    if not ctx.args.yes:
        raise CliError("擦除会清除磁带上的全部数据，请加 --yes 确认", EXIT_USAGE)
    say = _say(ctx)
    with _session(ctx) as session:
        result = operations.erase(session, long=ctx.args.long, confirm=ctx.args.confirm, ask=_ask,
                                  progress=lambda fraction: say(f"擦除进度：{fraction:.0%}"))
    kind = "长擦除" if result["mode"] == "long" else "短擦除"
    return _done(ctx, result, f"磁带 {result['barcode']} 已完成{kind}")


@_device_errors
def drive_health(ctx: Context) -> int:
    with _session(ctx) as session:
        result = operations.health(session)
    if ctx.json:
        emit_json(result)
        return 0
    print(f"磁带 {result['barcode']} 健康状况（驱动器 {result['drive_serial']}）")
    print(f"装带次数 {result['load_count']}，剩余 {result['remaining_mib']} MiB / 共 {result['maximum_mib']} MiB，"
          f"写入 {result['host_bytes_written']} 字节，压缩比 {result['compression_ratio'] or '—'}，"
          f"需要清洗：{'是' if result['cleaning_required'] else '否'}")
    if not result["alerts"]:
        print("TapeAlert：无告警")
    for alert in result["alerts"]:
        print(f"TapeAlert {alert['code']:02X}h {alert['title']}（{alert['severity']}）：{alert['description']}。"
              f"{alert['advice']}")
    return 0


@_device_errors
def drive_raw(ctx: Context) -> int:
    a = ctx.args
    with _session(ctx) as session:
        result = raw.raw_command(session, " ".join(a.cdb), data_in=a.data_in, data_out=a.data_out)
    if ctx.json:
        emit_json({key: result[key] for key in ("status", "sense", "residue", "data")})
    else:
        print(f"状态：0x{result['status']:02X}（{result['status_name']}）")
        if result["sense"]:
            print(f"检测数据：{result['sense']}")
            print(f"含义：{result['sense_text']}")
        print(f"残余：{result['residue']}")
        data = bytes.fromhex(result["data"])
        if data:
            print(f"数据（{len(data)} 字节）：")
            for offset in range(0, len(data), 16):
                print(f"  {offset:06x}  {data[offset:offset + 16].hex(' ')}")
    if result["failed"]:
        print(f"错误：{result['sense_text'] or result['status_name']}", file=sys.stderr)
        return EXIT_DEVICE
    return 0
