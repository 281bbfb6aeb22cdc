"""`restore plan|run|status|resume|cancel` — thin handlers over restore/service.py.

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
from pathlib import Path
from typing import Any

from cli.context import Context
from cli.errors import EXIT_FAILURE
from cli.output import emit_json, emit_table
from cli.tape_cmds import device_errors
from ledger.units import human_bytes
from media.devices import device_spec
from restore import messages, service
from restore.execute import RestoreProgress, RestoreSummary
from restore.files import CONFLICT_MODES

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
    run.set_defaults(handler=device_errors(restore_run))
    status = r.add_parser("status", parents=[common], help="查看恢复任务")
    status.add_argument("job")
    status.set_defaults(handler=restore_status)
    resume = r.add_parser("resume", parents=[device], help="在本进程中运行（或继续）一个恢复任务")
    resume.add_argument("job")
    resume.set_defaults(handler=device_errors(restore_resume))
    cancel = r.add_parser("cancel", parents=[common], help="取消恢复任务（已恢复的文件保留）")
    cancel.add_argument("job")
    cancel.add_argument("--reason", default="", help="取消原因")
    cancel.set_defaults(handler=restore_cancel)


def _plan_payload(preview: service.Preview) -> dict[str, Any]:
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


def _print_plan(preview: service.Preview) -> None:
    plan = preview.plan
    print(plan.summary)
    emit_table([{"order": s.order, "barcode": s.barcode, "location": s.location or "未登记",
                 "packages": len(s.packages), "bytes": human_bytes(s.bytes_to_read),
                 "blocks": "、".join(str(p.payload_block) for p in s.packages[:6])
                 + ("…" if len(s.packages) > 6 else ""),
                 "minutes": f"{s.seconds / 60:.1f}", "instruction": s.instruction} for s in plan.steps],
               [("order", "顺序"), ("barcode", "磁带"), ("location", "位置"), ("packages", "数据包"),
                ("bytes", "读取量"), ("blocks", "定位块号"), ("minutes", "预计分钟"), ("instruction", "操作")])


def restore_plan(ctx: Context) -> int:
    preview = service.plan_for(ctx.services, ctx.args.paths, ctx.args.group)
    if ctx.json:
        emit_json({"ok": True, **_plan_payload(preview)})
    else:
        _print_plan(preview)
    return 0


def _spec(ctx: Context) -> str:
    return device_spec(ctx.settings, ctx.args.device)


def _progress(ctx: Context) -> Any:
    """Progress lines at most once a second (stderr under --json, so stdout stays one document)."""
    stream = sys.stderr if ctx.json else sys.stdout
    shown_at = [0.0]
    shown = [""]

    def show(state: RestoreProgress) -> None:
        now = time.monotonic()
        if state.message and state.message != shown[0]:
            shown[0] = state.message
            print(state.message, file=stream, flush=True)
        elif now - shown_at[0] >= 1.0 and state.files_total:
            print(f"进度：{state.files_done}/{state.files_total} 个文件，数据包 {state.packages_done}/"
                  f"{state.packages_total}，已从磁带读取 {human_bytes(state.tape_bytes_read)}", file=stream, flush=True)
        else:
            return
        shown_at[0] = now

    return show


def _finish(ctx: Context, summary: RestoreSummary) -> int:
    if ctx.json:
        emit_json({"ok": summary.status == "succeeded", "job_id": summary.job_id, "status": summary.status,
                   **summary.figures(), "warnings": summary.warnings})
    else:
        for warning in summary.warnings:
            print(f"警告：{warning}")
        for note in summary.notes:
            print(f"注意：{note}")
        print(summary.text)
    return 0 if summary.status == "succeeded" else EXIT_FAILURE


def _run_here(ctx: Context, job_id: str) -> int:
    summary = service.run(ctx.services, job_id, device=_spec(ctx), actor=ctx.actor, changer=ctx.args.changer,
                          progress=_progress(ctx))
    return _finish(ctx, summary)


def restore_run(ctx: Context) -> int:
    a = ctx.args
    job, created, preview = service.request(ctx.services, a.paths, a.target, on_conflict=a.on_conflict,
                                            group=a.group, by=ctx.actor, key=a.key)
    job_id = str(job.id)
    if not created:
        # The same key names an existing job: never start a second runner for it here.
        print(messages.text("job_exists", job=job_id, status=messages.status_name(job.status)),
              file=sys.stderr if ctx.json else sys.stdout)
    elif a.wait:
        if not ctx.json:
            print(f"恢复任务 {job_id}")
            print(preview.plan.summary)
        return _run_here(ctx, job_id)
    else:
        _launch(ctx, job_id)
    if ctx.json:
        emit_json({"ok": True, "job_id": job_id, "created": created, "status": job.status,
                   "plan": _plan_payload(preview)})
    else:
        print(job_id)
        if created:
            print(messages.text("queued", job=job_id))
    return 0


def _launch(ctx: Context, job_id: str) -> None:
    """Run the job in a process of its own that outlives this command (the job state is in the ledger)."""
    log_dir = ctx.settings.data_dir / "restore-jobs"
    log_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(_MAIN), "restore", "resume", job_id, "--device", _spec(ctx)]
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
    return _run_here(ctx, ctx.args.job)


def restore_status(ctx: Context) -> int:
    row = service.status(ctx.services, ctx.args.job)
    if ctx.json:
        emit_json({"ok": True, **row})
        return 0
    print(f"恢复任务 {row['job_id']}：{row['status_text']}")
    print(f"  提交人：{row['requested_by']}，提交时间：{row['requested_at']}")
    print(f"  恢复内容：{'、'.join(row['selection'])}{'（备份组 ' + row['group'] + '）' if row['group'] else ''}")
    print(f"  恢复到：{row['target']}（已有文件：{row['on_conflict']}）")
    planned = row["planned"]
    if planned:
        print(f"  计划：{planned['files']} 个文件，{planned['packages']} 个数据包，"
              f"磁带 {'、'.join(planned['cartridges']) or '无'}")
    print(f"  已完成数据包：{row['packages_done']}，已从磁带读取 {row['tape_bytes_read']} 字节")
    if row["waiting_for"]:
        print(f"  等待：{row['waiting_for']}")
    if row["reason"]:
        print(f"  原因：{row['reason']}")
    figures = row["figures"]
    if figures:
        print(f"  结果：{figures.get('files', 0)} 个文件（{human_bytes(figures.get('bytes', 0))}），"
              f"跳过 {figures.get('skipped', 0)}，失败 {figures.get('failed', 0)}，拒绝 {figures.get('refused', 0)}，"
              f"从磁带读取 {figures.get('tape_bytes_read', 0)} 字节")
    for warning in row["warnings"]:
        print(f"  警告：{warning}")
    return 0


def restore_cancel(ctx: Context) -> int:
    job = service.cancel(ctx.services, ctx.args.job, by=ctx.actor, reason=ctx.args.reason)
    if ctx.json:
        emit_json({"ok": True, "job_id": str(job.id), "status": job.status})
    else:
        print(f"恢复任务 {job.id} 已取消（正在运行的进程会在当前数据包之后停止）")
    return 0
