"""`report monthly YYYY-MM [--format html|csv|json] [--out FILE]`: the auditor's monthly report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.context import Context
from cli.output import emit_json


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", help="报表").add_subparsers(dest="action", required=True)
    monthly = report.add_parser("monthly", parents=[common], help="月度报告：备份、磁带、恢复、擦除、变更、通知与台账链头")
    monthly.add_argument("month", metavar="YYYY-MM", help="月份，如 2026-03")
    monthly.add_argument("--format", choices=("html", "csv", "json"), default="html",
                         help="html：单个自包含网页（可离线打开、打印）；csv：每节一张表；json")
    monthly.add_argument("--out", default=None, metavar="文件", help="写入此文件（默认输出到屏幕）")
    monthly.set_defaults(handler=report_monthly)


def report_monthly(ctx: Context) -> int:
    shown = ctx.app.reports.monthly(ctx.args.month, ctx.args.format)
    if ctx.args.out is None:
        sys.stdout.write(shown.content)
        return 0
    path = Path(ctx.args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A byte-order mark lets spreadsheet programs on Windows read the Chinese of a CSV right.
    path.write_text(shown.content, encoding="utf-8-sig" if shown.format == "csv" else "utf-8")
    if ctx.json:
        emit_json({"ok": True, "month": shown.month, "format": shown.format, "path": str(path.resolve()),
                   "summary": shown.summary})
    else:
        print(f"已生成 {shown.month} 月度报告（{shown.format.upper()}）：{path.resolve()}")
    return 0
