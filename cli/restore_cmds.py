"""`restore plan|run|status|resume|cancel` — thin handlers over `app.restores`.

PATH arguments (see restore/selection.py): `/` is everything (use `--group` for one group); a path
starting with `/` or a drive letter (`C:/…`, `C:\\…`) is that file or that folder with everything
below it; anything else is a fragment of the path, matched as `catalog search` matches it. Each
path restores one version: the one in `--group`, else the newest.

`restore run` creates the job and prints its id. With `--wait` it runs in this process and prints
the summary (including the bytes read from tape). Without it, the job runs in a detached process
of its own (`python main.py restore resume JOB`): the job's state lives in the ledger, so that
process can be watched with `restore status`, cancelled with `restore cancel` from anywhere, and a
killed run goes on where it stopped with `restore resume`. Its output goes to
DATA_DIR/restore-jobs/<job>.log.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from app.restores import CONFLICT_MODES, RestorePreview, RestoreStatus, RestoreSummary
from cli.context import Context
from cli.errors import job_exit_code
from cli.output import emit_json, emit_table
from kernel.errors import TafError
from kernel.progress import Progress
from ledger.units import human_bytes, human_duration

_MAIN = Path(__file__).resolve().parents[1] / "main.py"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("restore", help="从磁带恢复文件").add_subparsers(dest="action", required=True)
    device = argparse.ArgumentParser(add_help=False, parents=[common])
    device.add_argument("--device", default=None, help="磁带设备（默认 TAPE_DEVICE，否则 emulated:0）")
    device.add_argument("--changer", default=None, help="真实带库的机械手设备")
    paths_help = "/ 表示全部；以 / 或盘符开头为完整路径（文件或文件夹）；否则为路径中的片段"
    plan = r.add_parser("plan", parents=[common], help="恢复计划：哪些磁带、什么顺序、在哪里、多久")
    plan.add_argument("paths", nargs="+", metavar="PATH", help=paths_help)
    plan.add_argument("--group", default="", help="备份组 YYYY-MM（默认取每个文件的最新版本）")
    plan.set_defaults(handler=restore_plan)
    run = r.add_parser("run", parents=[device], help="提交恢复任务")
    run.add_argument("paths", nargs="+", metavar="PATH", help=paths_help)
    run.add_argument("--target", required=True, help="恢复到的文件夹（不存在时自动创建）")
    run.add_argument("--group", default="", help="备份组 YYYY-MM（默认取每个文件的最新版本）")
    run.add_argument("--on-conflict", default="skip", metavar="|".join(CONFLICT_MODES),
                     help="目标已有同名文件时：skip 跳过（默认）、rename 改名为“名 (恢复 N)”、overwrite 覆盖")
    run.add_argument("--key", default=None, help="幂等键：同一个键只会创建一个任务")
    run.add_argument("--wait", action="store_true", help="在本进程中运行并等待完成，打印摘要")
    run.set_defaults(handler=restore_run)
    status = r.add_parser("status", parents=[common], help="查看恢复任务")
    status.add_argument("job")
    status.set_defaults(handler=restore_status)
    resume = r.add_parser("resume", parents=[device], help="在本进程中运行（或继续）一个恢复任务")
    resume.add_argument("job")
    resume.set_defaults(handler=restore_resume)
    cancel = r.add_parser("cancel", parents=[common], help="取消恢复任务（已恢复的文件保留）")
    cancel.add_argument("job")
    cancel.add_argument("--reason", default="", help="取消原因")
    cancel.set_defaults(handler=restore_cancel)


def _plan_payload(preview: RestorePreview) -> dict[str, Any]:
    plan = preview.plan
    return {
        "files": plan.files, "file_bytes": plan.file_bytes, "folders": preview.folders, "links": preview.links,
        "bytes_to_read": plan.bytes_to_read, "seconds": round(plan.seconds, 1), "summary": plan.summary,
        "missing": list(plan.missing),
        "steps": [{"order": s.order, "barcode": s.barcode, "location": s.location, "instruction": s.instruction,
                   "bytes_to_read": s.bytes_to_read, "seconds": round(s.seconds, 1),
                   "packages": [{"package_id": p.package_id, "tape_file": p.tape_file,
                                 "header_block": p.header_block, "payload_block": p.payload_block,
                                 "payload_blocks": p.payload_blocks, "bytes": p.bytes, "files": list(p.files)}
                                for p in s.packages]}
                  for s in plan.steps],
    }


def _print_plan(preview: RestorePreview) -> None:
    plan = preview.plan
    print(plan.summary)
    emit_table([{"order": s.order, "barcode": s.barcode, "location": s.location_text,
                 "packages": len(s.packages), "bytes": human_bytes(s.bytes_to_read),
                 "blocks": "、".join(str(p.payload_block) for p in s.packages[:6])
                 + ("…" if len(s.packages) > 6 else ""),
                 "minutes": f"{s.seconds / 60:.1f}", "instruction": s.instruction} for s in plan.steps],
               [("order", "顺序"), ("barcode", "磁带"), ("location", "位置"), ("packages", "数据包"),
                ("bytes", "读取量"), ("blocks", "定位块号"), ("minutes", "预计分钟"), ("instruction", "操作")])


def restore_plan(ctx: Context) -> int:
    preview = ctx.app.restores.plan(ctx.args.paths, group=ctx.args.group)
    if ctx.json:
        emit_json({"ok": True, **_plan_payload(preview)})
    else:
        _print_plan(preview)
    return 0


def _progress(ctx: Context) -> Any:
    """Progress lines at most once a second (stderr under --json, so stdout stays one document)."""
    stream = sys.stderr if ctx.json else sys.stdout
    shown_at = [0.0]
    shown = [""]

    def show(state: Progress) -> None:
        if state.finished:
            return  # the summary says how it ended
        now = time.monotonic()
        note = state.request or state.message
        if note and note != shown[0]:
            shown[0] = note
            print(note, file=stream, flush=True)
        elif now - shown_at[0] >= 1.0 and state.files_total:
            print(f"进度：{state.files_done}/{state.files_total} 个文件，数据包 {state.packages_read}/"
                  f"{state.packages_total}，已从磁带读取 {human_bytes(state.bytes_read)}", file=stream, flush=True)
        else:
            return
        shown_at[0] = now

    return show


def _finish(ctx: Context, summary: RestoreSummary) -> int:
    code = job_exit_code(summary.status)
    if ctx.json:
        emit_json({"ok": code == 0, "exit_code": code, "job_id": summary.job_id, "status": summary.status,
                   **summary.figures(), "warnings": summary.warnings})
    else:
        for warning in summary.warnings:
            print(f"警告：{warning}")
        for note in summary.notes:
            print(f"注意：{note}")
        print(summary.text)
    return code


def _run_here(ctx: Context, job_id: str, device: str | None) -> int:
    try:
        summary = ctx.app.restores.run(job_id, actor=ctx.actor, device=device, changer=ctx.args.changer,
                                       observer=_progress(ctx))
    except TafError as error:
        if ctx.app.restores.status(job_id).status != "failed":
            raise  # refused before it ran (busy drive, wrong state): that refusal's own exit code
        return _failed(ctx, job_id, error)
    return _finish(ctx, summary)


def _failed(ctx: Context, job_id: str, error: TafError) -> int:
    """The job ran and failed: its reason, and the exit code of a failed job (README "退出码")."""
    code = job_exit_code("failed")
    if ctx.json:
        emit_json({"ok": False, "exit_code": code, "job_id": job_id, "status": "failed", "error": error.text})
    print(f"错误：恢复任务 {job_id} 失败：{error.text}", file=sys.stderr)
    return code


def restore_run(ctx: Context) -> int:
    a = ctx.args
    requested = ctx.app.restores.request(a.paths, a.target, actor=ctx.actor, on_conflict=a.on_conflict,
                                         group=a.group, key=a.key, device=a.device)
    job_id = requested.job_id
    if not requested.created:
        # The same key names an existing job: never start a second runner for it here.
        print(f"这个幂等键对应的恢复任务已存在：{job_id}（{requested.status_text}）；如需继续请用 restore resume {job_id}",
              file=sys.stderr if ctx.json else sys.stdout)
    elif a.wait:
        if not ctx.json:
            print(f"恢复任务 {job_id}")
            print(requested.preview.plan.summary)
        return _run_here(ctx, job_id, requested.device)
    else:
        _launch(ctx, job_id, requested.device)
    if ctx.json:
        emit_json({"ok": True, "job_id": job_id, "created": requested.created, "status": requested.status,
                   "plan": _plan_payload(requested.preview)})
    else:
        print(job_id)
        if requested.created:
            print(f"恢复任务 {job_id} 已提交，正在后台运行（用 restore status {job_id} 查看进度）")
    return 0


def _launch(ctx: Context, job_id: str, device: str) -> None:
    """Run the job in a process of its own that outlives this command (the job state is in the ledger)."""
    log_dir = ctx.settings.data_dir / "restore-jobs"
    log_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(_MAIN), "restore", "resume", job_id, "--device", device]
    if ctx.args.changer:
        command += ["--changer", ctx.args.changer]
    options: dict[str, Any] = {}
    if os.name == "nt":
        options["creationflags"] = (getattr(subprocess, "DETACHED_PROCESS", 0)
                                    | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
    else:
        options["start_new_session"] = True
    env = {**os.environ, "TAF_USER": ctx.actor}
    with open(log_dir / f"{job_id}.log", "ab") as log:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         cwd=str(_MAIN.parent), env=env, close_fds=True, **options)


def restore_resume(ctx: Context) -> int:
    return _run_here(ctx, ctx.args.job, ctx.args.device)


def _status_payload(status: RestoreStatus) -> dict[str, Any]:
    payload = {field.name: getattr(status, field.name) for field in fields(status)}
    payload["progress"] = status.progress.to_dict() if status.progress is not None else None
    return payload


def restore_status(ctx: Context) -> int:
    status = ctx.app.restores.status(ctx.args.job)
    code = job_exit_code(status.status, waited=False)
    if ctx.json:
        emit_json({"ok": code == 0, "exit_code": code, **_status_payload(status)})
        return code
    print(f"恢复任务 {status.job_id}：{status.status_text}")
    print(f"  提交人：{status.requested_by}，提交时间：{status.requested_at}")
    print(f"  恢复内容：{'、'.join(status.selection)}{'（备份组 ' + status.group + '）' if status.group else ''}")
    print(f"  恢复到：{status.target}（已有文件：{status.on_conflict_text}）")
    planned = status.planned
    if planned:
        print(f"  计划：{planned['files']} 个文件，{planned['packages']} 个数据包，"
              f"磁带 {'、'.join(planned['cartridges']) or '无'}")
    print(f"  已完成数据包：{status.packages_done}，已从磁带读取 {status.tape_bytes_read} 字节")
    if status.waiting_for:
        print(f"  等待：{status.waiting_for}")
    _print_live(status)
    if status.reason:
        print(f"  原因：{status.reason}")
    figures = status.figures
    if figures:
        print(f"  结果：{figures.get('files', 0)} 个文件（{human_bytes(figures.get('bytes', 0))}），"
              f"跳过 {figures.get('skipped', 0)}，失败 {figures.get('failed', 0)}，拒绝 {figures.get('refused', 0)}，"
              f"从磁带读取 {figures.get('tape_bytes_read', 0)} 字节")
    for warning in status.warnings:
        print(f"  警告：{warning}")
    return code


def _print_live(status: RestoreStatus) -> None:
    """The running job's progress line, as its process last published it."""
    progress = status.progress
    if progress is None or status.status not in {"running", "waiting_tape"}:
        return
    age = time.time() - progress.updated_at
    eta = progress.eta_seconds
    print(f"  进度：{progress.phase_label}，文件 {progress.files_done} / {progress.files_total}，"
          f"已恢复 {human_bytes(progress.bytes_done)} / {human_bytes(progress.bytes_total)}，"
          f"数据包 {progress.packages_read} / {progress.packages_total}，"
          f"已从磁带读取 {human_bytes(progress.bytes_read)}，当前磁带 {progress.current_cartridge or '—'}，"
          f"预计剩余 {'估算中' if eta is None else human_duration(eta)}（{age:.0f} 秒前更新）")


def restore_cancel(ctx: Context) -> int:
    job = ctx.app.restores.cancel(ctx.args.job, actor=ctx.actor, reason=ctx.args.reason)
    if ctx.json:
        emit_json({"ok": True, "job_id": job.job_id, "status": job.status})
    else:
        print(f"恢复任务 {job.job_id} 已取消（正在运行的进程会在当前数据包之后停止）")
    return 0
