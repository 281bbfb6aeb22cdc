"""`catalog search|tree|rebuild`: find file versions on tape, browse a group, rebuild the catalog.

Dates (`--since`, `--until`) are the file's modification time in the host's local time zone:
`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`; a bare date in `--until` includes that whole day.
`catalog rebuild` drops the catalog's rows and follows the ledger again; `--from-tapes` first
reads every cartridge the drive can reach (B2, `restore/recover.py`) and records in the ledger
what it does not know yet — the way back when the ledger itself is lost.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any

from cli.context import Context
from cli.errors import EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from cli.tape_cmds import device_errors
from ledger.units import human_bytes
from media.devices import device_spec, open_session
from projections.catalog import SearchQuery
from restore import messages
from restore.recover import recover_from_tapes
from restore.selection import check_group

EXIT_NOT_FOUND = 4


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
    rebuild.set_defaults(handler=device_errors(catalog_rebuild))


def parse_when(text: str | None, *, end: bool = False) -> datetime | None:
    """A local date or date-time; with `end`, a bare date means the end of that day."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(messages.text("bad_date", value=text), EXIT_USAGE) from None
    if end and len(text.strip()) == 10:
        moment += timedelta(days=1)
    return moment.astimezone() if moment.tzinfo is None else moment


def collapse(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per file version: the chunks of a split file together, with every cartridge."""
    versions: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["grp"], row["job_id"], row["full_path"])
        version = versions.get(key)
        if version is None:
            versions[key] = version = {
                "group": row["grp"], "path": row["full_path"], "kind": row["kind"], "size": row["size"],
                "mtime": row["mtime"], "sha256": row["sha256"] if row["total_chunks"] == 1 else None,
                "chunks": row["total_chunks"], "cartridges": [], "positions": []}
        if row["cartridge"] not in version["cartridges"]:
            version["cartridges"].append(row["cartridge"])
        version["positions"].append({"chunk": row["chunk_index"], "sha256": row["sha256"],
                                     "package_id": row["package_id"], "cartridge": row["cartridge"],
                                     "tape_file": row["tape_file"], "payload_block": row["payload_block"]})
    return list(versions.values())


def catalog_search(ctx: Context) -> int:
    a = ctx.args
    if a.limit < 1:
        raise CliError("--limit 必须是正整数", EXIT_USAGE)
    since, until = parse_when(a.since), parse_when(a.until, end=True)
    services = ctx.services
    services.projector.catch_up(["catalog"])
    check_group(services.catalog, a.group)
    rows = services.catalog.search(SearchQuery(pattern=a.pattern, group=a.group, ext=a.type, since=since,
                                               until=until, limit=a.limit))
    files = collapse(rows)
    if ctx.json:
        emit_json({"ok": True, "count": len(files), "files": files})
        return 0
    emit_table([{**f, "size_text": human_bytes(f["size"]), "where": "、".join(f["cartridges"]),
                 "chunks_text": f["chunks"] if f["chunks"] > 1 else ""} for f in files],
               [("path", "路径"), ("group", "备份组"), ("size_text", "大小"), ("mtime", "修改时间（UTC）"),
                ("where", "磁带"), ("chunks_text", "分块")])
    print(f"共 {len(files)} 个文件版本" + ("（已达显示上限，可用 --limit 调整）" if len(rows) >= a.limit else ""))
    return 0


def catalog_tree(ctx: Context) -> int:
    services = ctx.services
    services.projector.catch_up(["catalog"])
    group = ctx.args.group.strip()
    if not group:
        raise CliError("请指定备份组（YYYY-MM）", EXIT_USAGE)
    check_group(services.catalog, group)
    path = ctx.args.path.replace("\\", "/")
    children = services.catalog.tree(group, path)
    if ctx.json:
        emit_json({"ok": True, "group": group, "path": path or "/", "children": children})
        return 0
    emit_table([{**n, "kind_text": {"dir": "文件夹", "file": "文件", "symlink": "链接"}.get(n["kind"], n["kind"]),
                 "size_text": human_bytes(n["size"])} for n in children],
               [("name", "名称"), ("kind_text", "类型"), ("files", "文件数"), ("size_text", "大小"),
                ("mtime", "修改时间（UTC）"), ("cartridge", "磁带")])
    return 0


def catalog_rebuild(ctx: Context) -> int:
    services = ctx.services
    if not ctx.args.from_tapes:
        services.projector.rebuild(["catalog"])
        count = services.catalog.count()
        if ctx.json:
            emit_json({"ok": True, "files": count})
        else:
            print(messages.text("catalog_rebuilt", files=count))
        return 0
    spec = device_spec(ctx.settings, ctx.args.device)
    stream_note = (lambda line: print(line, flush=True)) if not ctx.json else (lambda line: None)
    with open_session(services, spec, ctx.actor, changer_spec=ctx.args.changer) as session:
        recovery = recover_from_tapes(services, session, actor=ctx.actor, say=stream_note)
    if not recovery.cartridges:
        raise CliError(messages.text("recover_nothing"), EXIT_NOT_FOUND)
    if ctx.json:
        emit_json({"ok": True, **recovery.to_dict()})
    else:
        for warning in recovery.warnings:
            print(f"注意：{warning}")
        print(recovery.text)
    return 0
