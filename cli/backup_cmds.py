"""`backup run|status|list|cancel|pause|resume|verify` — thin handlers over `app.backups`."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from typing import Any

from app.backups import JobRow, JobSummary, Verification
from cli.context import Context
from cli.errors import EXIT_FAILURE, EXIT_STATE, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
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
    run.set_defaults(handler=backup_run)
    for name, helptext, handler in (("status", "查看任务状态与进度", backup_status),
                                    ("cancel", "取消任务", backup_cancel), ("pause", "暂停任务", backup_pause)):
        parser = b.add_parser(name, parents=[common], help=helptext)
        parser.add_argument("job")
        parser.set_defaults(handler=handler)
    resume = b.add_parser("resume", parents=[common], help="继续一个暂停或中断的任务")
    resume.add_argument("job")
    resume.add_argument("--device", default=None)
    resume.add_argument("--wait", action="store_true", help="在本进程中运行并等待完成")
    resume.set_defaults(handler=backup_resume)
    verify = b.add_parser("verify", parents=[common],
                          help="从磁带读回任务的全部数据包，解出每个文件并与清单核对")
    verify.add_argument("job", nargs="?", default=None, help="任务号（与 --all 二选一）")
    verify.add_argument("--all", action="store_true", help="校验所有已完成的备份（能装入的磁带上的）")
    verify.add_argument("--since", default=None, help="与 --all 一起用：只校验此日期（YYYY-MM-DD）以来提交的备份")
    verify.add_argument("--device", default=None)
    verify.set_defaults(handler=backup_verify)
    listing = b.add_parser("list", parents=[common], help="任务历史")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--status", default="")
    listing.set_defaults(handler=backup_list)


def _summary_payload(summary: JobSummary) -> dict[str, Any]:
    return {k: v for k, v in asdict(summary).items() if k != "warning_list"}


def _print_summary(ctx: Context, summary: JobSummary) -> int:
    if ctx.json:
        emit_json(_summary_payload(summary))
    else:
        print(f"任务 {summary.job_id}：{summary.status_text}")
        print(f"  文件 {summary.files} 个，读入 {human_bytes(summary.bytes_in)}，"
              f"打包后 {human_bytes(summary.bytes_packed)}，数据包 {summary.packages} 个")
        print(f"  使用磁带：{'、'.join(summary.cartridges) or '—'}；用时 {summary.seconds:.1f} 秒；"
              f"警告 {summary.warnings} 条")
        for warning in summary.warning_list[:20]:
            print(f"  警告：{warning}")
        for note in summary.tape_notes[:20]:
            print(f"  磁带：{note}")
        if summary.reason:
            print(f"  原因：{summary.reason}")
    return 0 if summary.ok else EXIT_FAILURE


def backup_run(ctx: Context) -> int:
    args = ctx.args
    backups = ctx.app.backups
    started = backups.start(args.source, actor=ctx.actor, group=args.group, level=args.level, key=args.key,
                            device=args.device, wait=args.wait)
    if not args.wait:
        if ctx.json:
            emit_json({"job_id": started.job_id, "created": started.created, "status": started.status})
        else:
            print(started.job_id)
        return 0
    return _print_summary(ctx, backups.run(started.job_id, actor=ctx.actor, device=args.device))


def backup_resume(ctx: Context) -> int:
    backups = ctx.app.backups
    summary = backups.resume(ctx.args.job, actor=ctx.actor, wait=ctx.args.wait)
    if not ctx.args.wait:
        return _print_summary(ctx, summary)
    return _print_summary(ctx, backups.run(summary.job_id, actor=ctx.actor, device=ctx.args.device))


def backup_status(ctx: Context) -> int:
    status = ctx.app.backups.status(ctx.args.job)
    summary = status.summary
    progress = status.progress.to_dict() if status.progress is not None else None
    if ctx.json:
        emit_json({**_summary_payload(summary), "progress": progress})
        return 0
    _print_summary(ctx, summary)
    if progress and summary.status in {"running", "waiting_tape"}:
        age = time.time() - progress["updated_at"]
        eta = progress.get("eta_seconds")
        print(f"  进度：{progress['phase_label']}，数据包 {progress['packages_written']} / {progress['packages_total']}，"
              f"已打包 {human_bytes(progress['bytes_packed'])} / {human_bytes(progress['bytes_total'])}，"
              f"已写入磁带 {human_bytes(progress['bytes_written'])}，当前磁带 {progress['current_cartridge'] or '—'}，"
              f"预计剩余 {'估算中' if eta is None else human_duration(eta)}（{age:.0f} 秒前更新）")
    return 0


def backup_cancel(ctx: Context) -> int:
    _print_summary(ctx, ctx.app.backups.cancel(ctx.args.job, actor=ctx.actor))
    return 0


def backup_pause(ctx: Context) -> int:
    _print_summary(ctx, ctx.app.backups.pause(ctx.args.job, actor=ctx.actor))
    return 0


def _verification_payload(result: Verification) -> dict[str, Any]:
    return {"job_id": result.job_id, "ok": result.ok, "checked": result.checked,
            "files_checked": result.files_checked, "mismatches": result.mismatches, "unreadable": result.unreadable,
            "warnings": result.warnings, "findings": [asdict(finding) for finding in result.findings]}


def _verdict(result: Verification) -> str:
    if result.mismatches:
        return f"发现 {len(result.mismatches)} 处不一致"
    if result.unreadable:
        return "已读取的数据包全部可以恢复，但有磁带未能读取"
    return "全部可以恢复"


def _print_verification(result: Verification, heading: str) -> None:
    print(f"{heading}检查 {result.checked} 个数据包、{result.files_checked} 个文件，{_verdict(result)}")
    for line in result.mismatches:
        print(f"  不一致：{line}")
    for line in result.unreadable:
        print(f"  未能检查：{line}")
    for line in result.warnings:
        print(f"  警告：{line}")


def _verify_exit(results: list[Verification], what: str) -> int:
    if any(r.mismatches for r in results):
        raise CliError(f"{what}的读回校验发现不一致：请重新备份上面列出的文件", EXIT_FAILURE)
    if any(r.unreadable for r in results):
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
    result = ctx.app.backups.verify(args.job, actor=ctx.actor, device=args.device)
    if ctx.json:
        emit_json(_verification_payload(result))
    else:
        _print_verification(result, "读回校验：")
    return _verify_exit([result], f"任务 {args.job} ")


def _verify_everything(ctx: Context) -> int:
    run = ctx.app.backups.verify_all(actor=ctx.actor, since=ctx.args.since, device=ctx.args.device)
    if ctx.json:
        emit_json({"jobs": [_verification_payload(result) for result in run.jobs], "redo": run.redo,
                   "unreadable_cartridges": run.unreadable_cartridges})
    else:
        if not run.jobs:
            print("没有需要校验的已完成备份")
        for result in run.jobs:
            _print_verification(result, f"任务 {result.job_id}：")
        if run.redo:
            print(f"需要重新备份的任务：{'、'.join(run.redo)}")
        if run.unreadable_cartridges:
            print(f"未能读取的磁带（装入后用 backup verify --all 重新校验）：{'、'.join(run.unreadable_cartridges)}")
    return _verify_exit(run.jobs, "所选备份")


def job_row_payload(row: JobRow) -> dict[str, Any]:
    """A history row as `--json` has always shown it (the jobs view's columns)."""
    return {"job_id": row.job_id, "kind": row.kind, "status": row.status, "grp": row.group,
            "requested_by": row.requested_by, "requested_at": row.requested_at, "started_at": row.started_at,
            "finished_at": row.finished_at, "host": row.host, "reason": row.reason, "warnings": row.warnings,
            "packages": row.packages, "sources": row.sources, "figures": row.figures, "cartridges": row.cartridges}


def backup_list(ctx: Context) -> int:
    history = ctx.app.backups.history(status=ctx.args.status, limit=ctx.args.limit)
    if ctx.json:
        emit_json({"jobs": [job_row_payload(row) for row in history.jobs]})
        return 0
    emit_table([{"job_id": row.job_id, "kind": row.kind, "grp": row.group, "status_text": row.status_text,
                 "requested_at": row.requested_at, "packages": row.packages,
                 "cartridge_list": "、".join(row.cartridges) or "—"} for row in history.jobs],
               [("job_id", "任务"), ("kind", "类型"), ("grp", "备份组"), ("status_text", "状态"),
                ("requested_at", "提交时间"), ("packages", "数据包"), ("cartridge_list", "磁带")])
    return 0
