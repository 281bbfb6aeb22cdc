"""`backup run|status|list|cancel|pause|resume|verify` — thin handlers over backup/service.py."""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

from backup import service
from backup.progress import read_progress
from backup.verify import verify_all, verify_job
from cli.context import Context
from cli.errors import EXIT_FAILURE, EXIT_STATE, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from cli.tape_cmds import device_errors
from ledger.domain.job import STATUS_NAMES
from ledger.units import human_bytes, human_duration


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", help="备份任务").add_subparsers(dest="action", required=True)
    run = b.add_parser("run", parents=[common], help="提交一个备份任务")
    run.add_argument("--source", action="append", required=True, help="备份源目录（可重复）")
    run.add_argument("--group", default="auto", help="备份组 YYYY-MM，auto 为当前月份（默认）")
    run.add_argument("--level", type=int, default=None, help="LZMA2 压缩级别 0–9（默认 COMPRESSION_LEVEL）")
    run.add_argument("--key", default=None, help="幂等键：同一个键只会创建一个任务")
    run.add_argument("--device", default=None, help="磁带设备（默认 TAPE_DEVICE）")
    run.add_argument("--wait", action="store_true", help="在本进程中运行并等待完成，打印摘要")
    run.set_defaults(handler=device_errors(backup_run))
    for name, helptext, handler in (("status", "查看任务状态与进度", backup_status),
                                    ("cancel", "取消任务", backup_cancel), ("pause", "暂停任务", backup_pause)):
        parser = b.add_parser(name, parents=[common], help=helptext)
        parser.add_argument("job")
        parser.set_defaults(handler=handler)
    resume = b.add_parser("resume", parents=[common], help="继续一个暂停或中断的任务")
    resume.add_argument("job")
    resume.add_argument("--device", default=None)
    resume.add_argument("--wait", action="store_true", help="在本进程中运行并等待完成")
    resume.set_defaults(handler=device_errors(backup_resume))
    verify = b.add_parser("verify", parents=[common],
                          help="从磁带读回任务的全部数据包，解出每个文件并与清单核对")
    verify.add_argument("job", nargs="?", default=None, help="任务号（与 --all 二选一）")
    verify.add_argument("--all", action="store_true", help="校验所有已完成的备份（能装入的磁带上的）")
    verify.add_argument("--since", default=None, help="与 --all 一起用：只校验此日期（YYYY-MM-DD）以来提交的备份")
    verify.add_argument("--device", default=None)
    verify.set_defaults(handler=device_errors(backup_verify))
    listing = b.add_parser("list", parents=[common], help="任务历史")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--status", default="")
    listing.set_defaults(handler=backup_list)


def _enqueue(ctx: Context, job_id: str) -> None:
    from bootstrap import make_queue, scheduled_handlers
    from jobs.tasks import ScheduledWork

    work = ScheduledWork(make_queue(ctx.settings), lambda: ctx.services, scheduled_handlers())
    work.job_task("backup", job_id)


def _print_summary(ctx: Context, summary: dict[str, Any]) -> int:
    if ctx.json:
        emit_json({k: v for k, v in summary.items() if k != "warning_list"})
    else:
        print(f"任务 {summary['job_id']}：{summary['status_text']}")
        print(f"  文件 {summary['files']} 个，读入 {human_bytes(summary['bytes_in'])}，"
              f"打包后 {human_bytes(summary['bytes_packed'])}，数据包 {summary['packages']} 个")
        print(f"  使用磁带：{'、'.join(summary['cartridges']) or '—'}；用时 {summary['seconds']:.1f} 秒；"
              f"警告 {summary['warnings']} 条")
        for warning in summary["warning_list"][:20]:
            print(f"  警告：{warning}")
        for note in summary.get("tape_notes", [])[:20]:
            print(f"  磁带：{note}")
        if summary["reason"]:
            print(f"  原因：{summary['reason']}")
    return 0 if summary["status"] in {"succeeded", "partial", "requested"} else EXIT_FAILURE


def backup_run(ctx: Context) -> int:
    args = ctx.args
    job, created = service.request_backup(ctx.services, args.source, group=args.group, level=args.level,
                                          key=args.key, drive=args.device or "", by=ctx.actor)
    job_id = str(job.id)
    if not args.wait:
        if created:
            _enqueue(ctx, job_id)
        if ctx.json:
            emit_json({"job_id": job_id, "created": created, "status": job.status})
        else:
            print(job_id)
        return 0
    summary = service.run(ctx.services, job_id, device=args.device, actor=ctx.actor)
    return _print_summary(ctx, summary)


def backup_resume(ctx: Context) -> int:
    summary = service.resume(ctx.services, ctx.args.job, by=ctx.actor)
    if not ctx.args.wait:
        _enqueue(ctx, summary["job_id"])
        return _print_summary(ctx, summary)
    return _print_summary(ctx, service.run(ctx.services, summary["job_id"], device=ctx.args.device, actor=ctx.actor))


def backup_status(ctx: Context) -> int:
    summary = service.status(ctx.services, ctx.args.job)
    progress = read_progress(ctx.settings.data_dir, summary["job_id"])
    if ctx.json:
        emit_json({**{k: v for k, v in summary.items() if k != "warning_list"}, "progress": progress})
        return 0
    _print_summary(ctx, summary)
    if progress and summary["status"] in {"running", "waiting_tape"}:
        age = time.time() - progress["updated_at"]
        eta = progress.get("eta_seconds")
        print(f"  进度：{progress['phase']}，数据包 {progress['packages_written']} / {progress['packages_total']}，"
              f"已打包 {human_bytes(progress['bytes_packed'])} / {human_bytes(progress['bytes_total'])}，"
              f"已写入磁带 {human_bytes(progress['bytes_written'])}，当前磁带 {progress['current_cartridge'] or '—'}，"
              f"预计剩余 {'估算中' if eta is None else human_duration(eta)}（{age:.0f} 秒前更新）")
    return 0


def backup_cancel(ctx: Context) -> int:
    _print_summary(ctx, service.cancel(ctx.services, ctx.args.job, by=ctx.actor))
    return 0


def backup_pause(ctx: Context) -> int:
    _print_summary(ctx, service.pause(ctx.services, ctx.args.job, by=ctx.actor))
    return 0


def _verdict(result: dict[str, Any]) -> str:
    if result["mismatches"]:
        return f"发现 {len(result['mismatches'])} 处不一致"
    if result["unreadable"]:
        return "已读取的数据包全部可以恢复，但有磁带未能读取"
    return "全部可以恢复"


def _print_verification(result: dict[str, Any], heading: str) -> None:
    print(f"{heading}检查 {result['checked']} 个数据包、{result['files_checked']} 个文件，{_verdict(result)}")
    for line in result["mismatches"]:
        print(f"  不一致：{line}")
    for line in result["unreadable"]:
        print(f"  未能检查：{line}")
    for line in result["warnings"]:
        print(f"  警告：{line}")


def _verify_exit(results: list[dict[str, Any]], what: str) -> int:
    if any(r["mismatches"] for r in results):
        raise CliError(f"{what}的读回校验发现不一致：请重新备份上面列出的文件", EXIT_FAILURE)
    if any(r["unreadable"] for r in results):
        raise CliError(f"{what}的读回校验没有完成：有磁带未能读取，装入后请重新校验", EXIT_STATE)
    return 0


def backup_verify(ctx: Context) -> int:
    args = ctx.args
    if args.all == bool(args.job):
        raise CliError("请指定一个任务号，或使用 --all 校验所有已完成的备份（二者选一）", EXIT_USAGE)
    if args.since and not args.all:
        raise CliError("--since 只能与 --all 一起使用", EXIT_USAGE)
    if args.all:
        return _verify_everything(ctx)
    result = verify_job(ctx.services, args.job, device=args.device, actor=ctx.actor)
    if ctx.json:
        emit_json(result)
    else:
        _print_verification(result, "读回校验：")
    return _verify_exit([result], f"任务 {args.job} ")


def _verify_everything(ctx: Context) -> int:
    since = None
    if ctx.args.since:
        try:
            since = date.fromisoformat(ctx.args.since)
        except ValueError:
            raise CliError(f"日期“{ctx.args.since}”无效，请写成 YYYY-MM-DD", EXIT_USAGE) from None
    results = verify_all(ctx.services, since=since, device=ctx.args.device, actor=ctx.actor)
    redo = [r["job_id"] for r in results if r["mismatches"]]
    unread = sorted({line.split(" ", 1)[0] for r in results for line in r["unreadable"]})
    if ctx.json:
        emit_json({"jobs": results, "redo": redo, "unreadable_cartridges": unread})
    else:
        if not results:
            print("没有需要校验的已完成备份")
        for result in results:
            _print_verification(result, f"任务 {result['job_id']}：")
        if redo:
            print(f"需要重新备份的任务：{'、'.join(redo)}")
        if unread:
            print(f"未能读取的磁带（装入后用 backup verify --all 重新校验）：{'、'.join(unread)}")
    return _verify_exit(results, "所选备份")


def backup_list(ctx: Context) -> int:
    ctx.services.projector.catch_up(["jobs"])
    rows = ctx.services.jobs.rows(kind="", status=ctx.args.status, limit=ctx.args.limit)
    rows = [r for r in rows if r["kind"] != "restore"]
    if ctx.json:
        emit_json({"jobs": rows})
        return 0
    for row in rows:
        row["status_text"] = STATUS_NAMES.get(row["status"], row["status"])
        row["cartridge_list"] = "、".join(row["cartridges"]) or "—"
    emit_table(rows, [("job_id", "任务"), ("kind", "类型"), ("grp", "备份组"), ("status_text", "状态"),
                      ("requested_at", "提交时间"), ("packages", "数据包"), ("cartridge_list", "磁带")])
    return 0
