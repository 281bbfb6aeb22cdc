"""`catalog search|tree|rebuild`: find file versions on tape, browse a group, rebuild the catalog.

Dates (`--since`, `--until`) are the file's modification time in the host's local time zone:
`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`; a bare date in `--until` includes that whole day.
`catalog rebuild` drops the catalog's rows and follows the ledger again; `--from-tapes` first
reads every cartridge the drive can reach (B2, `restore/recover.py`) and records in the ledger
what it does not know yet — the way back when the ledger itself is lost.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from app.catalog import TapeRecovery
from cli.context import Context
from cli.errors import EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from ledger.units import human_bytes

KIND_TEXT = {"dir": "文件夹", "file": "文件", "symlink": "链接"}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    c = sub.add_parser("catalog", help="文件目录：搜索、浏览、重建").add_subparsers(dest="action", required=True)
    search = c.add_parser("search", parents=[common], help="按路径中的任意片段搜索文件（中文亦可）")
    search.add_argument("pattern", nargs="?", default="", help="路径片段，如 报告、.xlsx、2024/财务（空则列出全部）")
    search.add_argument("--group", default="", help="只在这个备份组 YYYY-MM 中搜索")
    search.add_argument("--type", default="", help="扩展名，如 docx、jpg")
    search.add_argument("--since", default=None, help="修改时间不早于（YYYY-MM-DD 或 YYYY-MM-DDTHH:MM）")
    search.add_argument("--until", default=None, help="修改时间早于；只写日期时包含当天")
    search.add_argument("--limit", type=int, default=100, help="最多显示的条数（默认 100）")
    search.set_defaults(handler=catalog_search)
    tree = c.add_parser("tree", parents=[common], help="浏览一个备份组的文件夹")
    tree.add_argument("group", help="备份组 YYYY-MM")
    tree.add_argument("path", nargs="?", default="", help="文件夹的完整路径（默认最上层）")
    tree.set_defaults(handler=catalog_tree)
    rebuild = c.add_parser("rebuild", parents=[common], help="重建文件目录（默认从台账；--from-tapes 从磁带）")
    rebuild.add_argument("--from-tapes", action="store_true", help="读取带库中（或驱动器中）每盘磁带，补全台账后重建")
    rebuild.add_argument("--device", default=None, help="磁带设备（默认 TAPE_DEVICE，否则 emulated:0）")
    rebuild.add_argument("--changer", default=None, help="真实带库的机械手设备")
    rebuild.set_defaults(handler=catalog_rebuild)


def catalog_search(ctx: Context) -> int:
    a = ctx.args
    if a.limit < 1:
        raise CliError("--limit 必须是正整数", EXIT_USAGE)
    result = ctx.app.catalog.search(a.pattern, group=a.group, type=a.type, since=a.since, until=a.until,
                                    limit=a.limit)
    files = [asdict(version) for version in result.files]
    if ctx.json:
        emit_json({"ok": True, "count": len(files), "files": files})
        return 0
    emit_table([{**f, "size_text": human_bytes(f["size"]), "where": "、".join(f["cartridges"]),
                 "chunks_text": f["chunks"] if f["chunks"] > 1 else ""} for f in files],
               [("path", "路径"), ("group", "备份组"), ("size_text", "大小"), ("mtime", "修改时间（UTC）"),
                ("where", "磁带"), ("chunks_text", "分块")])
    print(f"共 {len(files)} 个文件版本" + ("（已达显示上限，可用 --limit 调整）" if result.limit_reached else ""))
    return 0


def catalog_tree(ctx: Context) -> int:
    folder = ctx.app.catalog.tree(ctx.args.group, ctx.args.path)
    children = [asdict(node) for node in folder.children]
    if ctx.json:
        emit_json({"ok": True, "group": folder.group, "path": folder.path or "/", "children": children})
        return 0
    emit_table([{**n, "kind_text": KIND_TEXT.get(n["kind"], n["kind"]), "size_text": human_bytes(n["size"]),
                 "where": "、".join(n["cartridges"])} for n in children],
               [("name", "名称"), ("kind_text", "类型"), ("files", "文件数"), ("size_text", "大小"),
                ("mtime", "修改时间（UTC）"), ("where", "磁带")])
    return 0


def _recovery_payload(recovery: TapeRecovery) -> dict[str, Any]:
    return {"cartridges": [asdict(cartridge) for cartridge in recovery.cartridges],
            "groups_opened": recovery.groups_opened, "registered": recovery.registered,
            "new_packages": recovery.new_packages, "files": recovery.files, "blank": recovery.blank,
            "warnings": recovery.warnings}


def catalog_rebuild(ctx: Context) -> int:
    catalog = ctx.app.catalog
    if not ctx.args.from_tapes:
        rebuilt = catalog.rebuild()
        if ctx.json:
            emit_json({"ok": True, "files": rebuilt.files})
        else:
            print(f"已从台账重建文件目录：{rebuilt.files} 个文件版本")
        return 0
    stream_note = (lambda line: print(line, flush=True)) if not ctx.json else (lambda line: None)
    recovery = catalog.rebuild_from_tapes(actor=ctx.actor, device=ctx.args.device, changer=ctx.args.changer,
                                          say=stream_note)
    if ctx.json:
        emit_json({"ok": True, **_recovery_payload(recovery)})
    else:
        for warning in recovery.warnings:
            print(f"注意：{warning}")
        print(recovery.text)
    return 0
