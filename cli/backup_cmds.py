"""`backup run|status|list|cancel|pause|resume|verify` — thin handlers over `app.backups`.

A job or a verification run here (`--wait`, `resume --wait`, `verify`) prints what the operator
must do the moment it asks (which cartridge to insert) and again with each reminder. SIGTERM, and
a first Ctrl-C, pause a job run here at its next safe point (a second Ctrl-C ends at once; the job
is then interrupted, and `backup resume` continues it).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from types import FrameType
from typing import Any

from app.backups import JobRow, JobSummary, Verification
from cli.context import Context
from cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_STATE, EXIT_USAGE, CliError, job_exit_code
from cli.output import emit_json, emit_table
from kernel.progress import Progress
from ledger.domain.job import VERIFICATION_NAMES, VERIFICATION_SHORT
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
    verify.add_argument("--wait-minutes", type=float, default=None,
                        help="磁带不在驱动器（或带库）中时请操作员装入并等待的分钟数"
                             "（默认 tape_change_pause_minutes；0 表示不等待，直接报告未能读取的磁带）")
    verify.set_defaults(handler=backup_verify)
    listing = b.add_parser("list", parents=[common], help="任务历史")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--status", default="")
    listing.set_defaults(handler=backup_list)


def _summary_payload(summary: JobSummary) -> dict[str, Any]:
    return {k: v for k, v in asdict(summary).items() if k != "warning_list"}


def _print_summary(ctx: Context, summary: JobSummary, *, waited: bool | None = True) -> int:
    """Print the job, and return the exit code its state gives (`job_exit_code`; `waited`: this
    command ran the job to see its end; None: it only cancelled or paused it, which went well)."""
    code = EXIT_OK if waited is None else job_exit_code(summary.status, waited=waited)
    if ctx.json:
        emit_json({**_summary_payload(summary), "exit_code": code})
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
        if summary.waiting_for:
            print(f"  等待：{summary.waiting_for}")
        if summary.reason:
            print(f"  {'中断' if summary.interrupted else '原因'}：{summary.reason}")
        if summary.verification:
            print(f"  读回校验：{_verification_line(summary.verification)}")
    return code


def _verification_line(verification: dict[str, Any]) -> str:
    outcome = verification.get("outcome", "")
    line = VERIFICATION_NAMES.get(outcome, outcome)
    if verification.get("checked"):
        line += f"（检查 {verification['checked']} 个数据包、{verification.get('files_checked', 0)} 个文件）"
    return line


def _notes(ctx: Context) -> Callable[[Progress], None]:
    """Prints what a job or a verification asks of the operator (which cartridge to insert), the
    moment it asks and with each reminder, and what it waits for (a drive in use); on stderr under
    --json, so stdout stays one document."""
    stream = sys.stderr if ctx.json else sys.stdout
    shown = {"message": "", "request": ""}
    lock = threading.Lock()  # the job's thread and its heartbeat both report

    def show(state: Progress) -> None:
        with lock:
            if state.phase not in {"wait_tape", "wait_drive"}:
                shown["message"] = shown["request"] = ""
                return
            for key in ("message", "request"):
                value = getattr(state, key)
                if value and value != shown[key] and value not in shown.values():
                    print(value, file=stream, flush=True)
                shown[key] = value

    return show


@contextmanager
def _pause_on_signals() -> Iterator[threading.Event]:
    """While a job runs here, SIGTERM and a first Ctrl-C set the event the job pauses on; a second
    Ctrl-C ends at once. Handlers can be installed only on the main thread; elsewhere the event is
    simply never set."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def ask(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {number: signal.signal(number, ask) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _run_here(ctx: Context, job_id: str, device: str | None) -> int:
    with _pause_on_signals() as stop:
        summary = ctx.app.backups.run(job_id, actor=ctx.actor, device=device, stop=stop, observer=_notes(ctx))
    return _print_summary(ctx, summary)


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
    return _run_here(ctx, started.job_id, args.device)


def backup_resume(ctx: Context) -> int:
    backups = ctx.app.backups
    summary = backups.resume(ctx.args.job, actor=ctx.actor, wait=ctx.args.wait)
    if not ctx.args.wait:
        return _print_summary(ctx, summary, waited=False)
    return _run_here(ctx, summary.job_id, ctx.args.device)


def backup_status(ctx: Context) -> int:
    status = ctx.app.backups.status(ctx.args.job)
    summary = status.summary
    progress = status.progress.to_dict() if status.progress is not None else None
    if ctx.json:
        code = job_exit_code(summary.status, waited=False)
        emit_json({**_summary_payload(summary), "progress": progress, "exit_code": code})
        return code
    code = _print_summary(ctx, summary, waited=False)
    if progress and summary.status in {"running", "waiting_tape"}:
        age = time.time() - progress["updated_at"]
        eta = progress.get("eta_seconds")
        print(f"  进度：{progress['phase_label']}，数据包 {progress['packages_written']} / {progress['packages_total']}，"
              f"已打包 {human_bytes(progress['bytes_packed'])} / {human_bytes(progress['bytes_total'])}，"
              f"已写入磁带 {human_bytes(progress['bytes_written'])}，当前磁带 {progress['current_cartridge'] or '—'}，"
              f"预计剩余 {'估算中' if eta is None else human_duration(eta)}（{age:.0f} 秒前更新）")
    return code


def backup_cancel(ctx: Context) -> int:
    return _print_summary(ctx, ctx.app.backups.cancel(ctx.args.job, actor=ctx.actor), waited=None)


def backup_pause(ctx: Context) -> int:
    return _print_summary(ctx, ctx.app.backups.pause(ctx.args.job, actor=ctx.actor), waited=None)


def _verification_payload(result: Verification) -> dict[str, Any]:
    return {"job_id": result.job_id, "ok": result.ok, "outcome": result.outcome, "verdict": result.verdict,
            "checked": result.checked, "files_checked": result.files_checked, "mismatches": result.mismatches,
            "unreadable": result.unreadable, "warnings": result.warnings,
            "findings": [asdict(finding) for finding in result.findings]}


def _print_verification(result: Verification, heading: str) -> None:
    print(f"{heading}{result.verdict}")
    for line in result.mismatches:
        print(f"  不一致：{line}")
    for line in result.unreadable:
        print(f"  未能检查：{line}")
    for line in result.warnings:
        print(f"  警告：{line}")


def _verify_outcome(results: list[Verification], what: str) -> tuple[int, str]:
    """0 every package read back and restorable; 1 something read back wrong (the data or its
    files — alerted); 3 some cartridge could not be read (incomplete or skipped: nothing is known
    about that data, which is no mismatch). README "退出码". With the one line that says why."""
    if any(r.mismatches for r in results):
        return EXIT_FAILURE, f"{what}的读回校验发现不一致：请重新备份上面列出的文件"
    if any(r.unreadable for r in results):
        return EXIT_STATE, f"{what}的读回校验没有完成：有磁带未能读取（不是数据不一致），装入后请重新校验"
    return EXIT_OK, ""


def _verify_exit(ctx: Context, payload: dict[str, Any], outcome: tuple[int, str]) -> int:
    """One JSON document with the exit code in it (as every job command's), or the text already
    printed; the reason for a code other than 0 goes to stderr either way."""
    code, why = outcome
    if ctx.json:
        emit_json({**payload, "exit_code": code, **({"error": why} if why else {})})
    if why:
        print(f"错误：{why}", file=sys.stderr)
    return code


def backup_verify(ctx: Context) -> int:
    args = ctx.args
    if args.all == bool(args.job):
        raise CliError("请指定一个任务号，或使用 --all 校验所有已完成的备份（二者选一）", EXIT_USAGE)
    if args.since and not args.all:
        raise CliError("--since 只能与 --all 一起使用", EXIT_USAGE)
    if args.all:
        return _verify_everything(ctx)
    result = ctx.app.backups.verify(args.job, actor=ctx.actor, device=args.device, wait_minutes=args.wait_minutes,
                                    observer=_notes(ctx))
    if not ctx.json:
        _print_verification(result, "读回校验：")
    return _verify_exit(ctx, _verification_payload(result), _verify_outcome([result], f"任务 {args.job} "))


def _verify_everything(ctx: Context) -> int:
    run = ctx.app.backups.verify_all(actor=ctx.actor, since=ctx.args.since, device=ctx.args.device,
                                     wait_minutes=ctx.args.wait_minutes, observer=_notes(ctx))
    if not ctx.json:
        if not run.jobs:
            print("没有需要校验的已完成备份")
        for result in run.jobs:
            _print_verification(result, f"任务 {result.job_id}：")
        if run.redo:
            print(f"需要重新备份的任务：{'、'.join(run.redo)}")
        if run.unreadable_cartridges:
            print(f"未能读取的磁带（装入后用 backup verify --all 重新校验）：{'、'.join(run.unreadable_cartridges)}")
    payload = {"jobs": [_verification_payload(result) for result in run.jobs], "redo": run.redo,
               "unreadable_cartridges": run.unreadable_cartridges}
    return _verify_exit(ctx, payload, _verify_outcome(run.jobs, "所选备份"))


def job_row_payload(row: JobRow) -> dict[str, Any]:
    """A history row as `--json` has always shown it (the jobs view's columns)."""
    return {"job_id": row.job_id, "kind": row.kind, "status": row.status, "grp": row.group,
            "requested_by": row.requested_by, "requested_at": row.requested_at, "started_at": row.started_at,
            "finished_at": row.finished_at, "host": row.host, "reason": row.reason, "warnings": row.warnings,
            "packages": row.packages, "sources": row.sources, "figures": row.figures, "cartridges": row.cartridges,
            "verification": row.verification}


def backup_list(ctx: Context) -> int:
    history = ctx.app.backups.history(status=ctx.args.status, limit=ctx.args.limit)
    if ctx.json:
        emit_json({"jobs": [job_row_payload(row) for row in history.jobs]})
        return 0
    emit_table([{"job_id": row.job_id, "kind": row.kind_text, "grp": row.group, "status_text": row.status_text,
                 "requested_at": row.requested_at, "packages": row.packages,
                 "cartridge_list": "、".join(row.cartridges) or "—",
                 "verified": VERIFICATION_SHORT.get(row.verification.get("outcome", ""), "—")}
                for row in history.jobs],
               [("job_id", "任务"), ("kind", "类型"), ("grp", "备份组"), ("status_text", "状态"),
                ("requested_at", "提交时间"), ("packages", "数据包"), ("cartridge_list", "磁带"),
                ("verified", "读回校验")])
    for row in history.jobs:
        if row.status == "interrupted":
            print(f"任务 {row.job_id} 已中断：{row.reason}")
    return 0
