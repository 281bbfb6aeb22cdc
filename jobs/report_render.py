"""The monthly report as a file: one self-contained HTML page, CSV (one table per section), or JSON.

Every format shows the same tables, cell for cell (`tables` and `cell`): the HTML adds a heading,
figures in readable units and two charts drawn inline as SVG — no script, no font, no address
outside the file — so it opens offline and prints as it shows. The CSV is one table per section:
a row with the section's title, a header row, the rows, and an empty row before the next.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jobs.monthly_report import MonthlyReport
from ledger.domain.job import KIND_NAMES, STATUS_NAMES
from ledger.rules.locations import location_text
from ledger.units import human_bytes
from notify.templates import EVENT_LABELS

FORMATS = ("html", "csv", "json")
SUMMARY_LABELS = {
    "groups_made": "新建备份组", "cartridges_used": "写入的磁带", "backup_jobs": "备份任务",
    "jobs_succeeded": "成功", "jobs_partial": "部分成功", "jobs_failed": "失败", "files": "备份文件数",
    "bytes_in": "原始数据（字节）", "bytes_on_tape": "写入磁带（字节）", "compression_ratio": "压缩比（磁带/原始）",
    "throughput": "平均吞吐（字节/秒）", "failures": "失败次数", "warnings": "警告条数", "restores": "恢复请求",
    "erases": "擦除", "changes": "存活期与设置变更", "notifications_sent": "通知送达",
    "notifications_failed": "通知失败", "notifications_pending": "通知待发", "chain_position": "月底事件序号",
    "chain_head": "月底链头", "chain_verifies": "链头可由台账重算得到",
}
# Each section: the report's field, its title, and (field, heading) per column.
SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("groups", "备份组", (("name", "备份组"), ("opened_at", "创建时间"), ("opened_by", "创建人"), ("runs", "运行次数"),
                          ("active_at_month_end", "月底仍活动"), ("cartridges", "磁带"))),
    ("cartridges", "写入的磁带及其位置", (
        ("barcode", "条码"), ("groups", "本月写入的备份组"), ("packages", "本月写入的数据包"),
        ("status_at_month_end", "月底状态"), ("location_at_month_end", "月底位置"), ("status_now", "现在的状态"),
        ("location_now", "现在的位置"))),
    ("jobs", "备份任务与吞吐", (
        ("job_id", "任务"), ("kind", "类型"), ("group", "备份组"), ("status", "状态"), ("requested_by", "提交人"),
        ("started_at", "开始"), ("finished_at", "结束"), ("files", "文件数"), ("bytes_in", "原始字节"),
        ("bytes_on_tape", "写入磁带字节"), ("compression_ratio", "压缩比"), ("seconds", "用时（秒）"),
        ("throughput", "吞吐（字节/秒）"), ("write_rate", "写带速度（字节/秒）"), ("warnings", "警告"))),
    ("problems", "失败与警告", (("at", "时间"), ("kind", "类别"), ("job_id", "任务"), ("text", "说明"))),
    ("restores", "恢复（谁要了什么）", (
        ("job_id", "任务"), ("requested_at", "提交时间"), ("requested_by", "提交人"), ("selection", "恢复内容"),
        ("group", "备份组"), ("target", "恢复到"), ("status_at_month_end", "月底状态"))),
    ("erases", "擦除及其依据", (
        ("at", "时间"), ("barcode", "条码"), ("mode", "方式"), ("by", "操作人"), ("label_sequence", "原标签序号"),
        ("rule", "规则"), ("evidence", "依据"), ("expired_record", "存活期检查的记录"))),
    ("changes", "存活期与设置的变更", (("at", "时间"), ("by", "操作人"), ("subject", "对象"), ("old", "原值"),
                                  ("new", "新值"))),
    ("notifications", "通知（送达与失败）", (
        ("queued_at", "排队时间"), ("kind", "类型"), ("phone", "接收人"), ("title", "标题"), ("status", "状态"),
        ("attempts", "尝试次数"), ("finished_at", "结束时间"), ("error", "错误"))),
    ("chain", "月底的台账链头", (("position", "事件序号"), ("head", "链头"), ("verifies", "可由台账重算得到"),
                               ("message", "整条链的校验"))),
)


# Codes the tables show in words (the JSON keeps the codes).
CARTRIDGE_STATUS = {"scratch": "空白", "active": "使用中", "full": "已满", "expired": "已过期", "retired": "已退役",
                    "cleaning": "清洁带"}
NOTIFICATION_STATUS = {"queued": "待发送", "delivered": "已送达", "failed": "发送失败"}
RULES = {"scratch": "空白磁带", "expired": "存活期已到且不保存活动备份组", "retention_pending": "存活期未到（提前擦除）",
         "active_group": "仍保存活动备份组", "unknown_group": "保存未知的备份组", "worm": "WORM 磁带",
         "retired": "已退役", "cleaning": "清洗带"}
WORDS: dict[tuple[str, str], Mapping[str, str]] = {
    ("jobs", "status"): STATUS_NAMES, ("jobs", "kind"): KIND_NAMES, ("restores", "status_at_month_end"): STATUS_NAMES,
    ("cartridges", "status_at_month_end"): CARTRIDGE_STATUS, ("cartridges", "status_now"): CARTRIDGE_STATUS,
    ("notifications", "status"): NOTIFICATION_STATUS, ("notifications", "kind"): {k.value: v for k, v in EVENT_LABELS.items()},
    ("erases", "rule"): RULES, ("erases", "mode"): {"short": "短擦除", "long": "长擦除"},
}


TIME_FIELDS = frozenset({"at", "opened_at", "started_at", "finished_at", "requested_at", "queued_at"})
LOCATION_FIELDS = frozenset({"location_at_month_end", "location_now"})


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headings: list[str]
    rows: list[list[str]]  # cells as every format shows them


def cell(value: Any) -> str:
    """One value as every format writes it: exact numbers, 是/否, lists joined with 、."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") or "0"
    if isinstance(value, list | tuple):
        return "、".join(cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def tables(report: MonthlyReport) -> list[Table]:
    found = [Table("summary", "概要", ["JSON 字段名", "指标", "值"],
                   [[key, SUMMARY_LABELS[key], cell(report.summary.get(key))] for key in SUMMARY_LABELS])]
    data = asdict(report)
    for key, title, columns in SECTIONS:
        items = data[key] if isinstance(data[key], list) else [data[key]] if data[key] else []
        found.append(Table(key, title, [heading for _, heading in columns],
                           [[cell(_shown(key, name, item[name])) for name, _ in columns] for item in items]))
    return found


def _local(moment: str) -> str:
    """An ISO moment on this host's clock, to the second."""
    return datetime.fromisoformat(moment).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _shown(section: str, name: str, value: Any) -> Any:
    """A value as the tables show it: codes in words, moments on this host's clock to the second."""
    if not isinstance(value, str):
        return value
    if name in TIME_FIELDS and value:
        return _local(value)
    if name in LOCATION_FIELDS:
        return location_text(value)
    return WORDS.get((section, name), {}).get(value, value)


def render(report: MonthlyReport, form: str) -> str:
    return {"html": render_html, "csv": render_csv, "json": render_json}[form](report)


def render_json(report: MonthlyReport) -> str:
    return json.dumps(asdict(report), ensure_ascii=False, indent=2) + "\n"


def render_csv(report: MonthlyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for number, table in enumerate(tables(report)):
        if number:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headings)
        writer.writerows(table.rows)
    return out.getvalue()


def chart_unit(peak: float) -> tuple[float, str]:
    """The binary unit a chart's figures read best in: the largest one its highest bar reaches."""
    divisor, unit = 1.0, "B"
    for step in ("KiB", "MiB", "GiB", "TiB"):
        if peak < divisor * 1024:
            break
        divisor, unit = divisor * 1024, step
    return divisor, unit


def _bytes_chart(title: str, labels: Sequence[str], values: Sequence[float], per: str = "") -> str:
    divisor, unit = chart_unit(max(values, default=0.0))
    return bar_chart(title, labels, [value / divisor for value in values], unit + per)


def render_html(report: MonthlyReport) -> str:
    summary = report.summary
    cards = [("备份任务", f"{summary['backup_jobs']} 个（成功 {summary['jobs_succeeded']}，失败 {summary['jobs_failed']}）"),
             ("备份数据", f"{summary['files']} 个文件，{human_bytes(summary['bytes_in'])}"),
             ("写入磁带", f"{human_bytes(summary['bytes_on_tape'])}（压缩比 {cell(summary['compression_ratio'])}）"),
             ("擦除 / 恢复", f"{summary['erases']} 次 / {summary['restores']} 次"),
             ("通知", f"送达 {summary['notifications_sent']} 条，失败 {summary['notifications_failed']} 条"),
             ("月底链头", "可由台账重算得到" if summary["chain_verifies"] else "台账已不能重算出它")]
    labels = [f"{job.group} {job.job_id[:8]}" for job in report.jobs]
    charts = [_bytes_chart("每个任务写入磁带的数据量", labels, [job.bytes_on_tape for job in report.jobs]),
              _bytes_chart("每个任务的吞吐", labels, [job.throughput for job in report.jobs], "/s")]
    parts = [f"<h1>TAF 月度报告 {_e(report.month)}</h1>",
             f"<p class=\"meta\">统计区间：{_e(_local(report.period_start))} 至 {_e(_local(report.period_end))}"
             f"（台账第 {report.first_event}–{report.last_event} 号事件）；生成于 {_e(_local(report.generated_at))}</p>",
             "<div class=\"cards\">" + "".join(f"<div class=\"card\"><div class=\"label\">{_e(label)}</div>"
                                               f"<div class=\"value\">{_e(value)}</div></div>" for label, value in cards)
             + "</div>",
             "<div class=\"charts\">" + "".join(charts) + "</div>"]
    parts += [_table_html(table) for table in tables(report)]
    return _PAGE.format(title=_e(f"TAF 月度报告 {report.month}"), style=_STYLE, body="\n".join(parts))


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in table.headings)
    if not table.rows:
        body = f"<tr><td colspan=\"{len(table.headings)}\" class=\"empty\">（本月没有记录）</td></tr>"
    else:
        body = "".join("<tr>" + "".join(f"<td>{_e(value)}</td>" for value in row) + "</tr>" for row in table.rows)
    return (f"<section><h2>{_e(table.title)}</h2><table data-section=\"{_e(table.key)}\">"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>")


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], unit: str) -> str:
    """A bar chart as inline SVG: one bar per value, its figure above it, its label below."""
    width, height, top, bottom, left = 560, 240, 36, 48, 16
    inner = height - top - bottom
    peak = max(values, default=0.0) or 1.0
    slot = (width - 2 * left) / max(1, len(values))
    bar = min(48.0, slot * 0.6)
    shapes = [f"<text x=\"{left}\" y=\"20\" class=\"title\">{_e(title)}（{_e(unit)}）</text>",
              f"<line x1=\"{left}\" y1=\"{top + inner}\" x2=\"{width - left}\" y2=\"{top + inner}\" class=\"axis\"/>"]
    if not values:
        shapes.append(f"<text x=\"{width / 2}\" y=\"{top + inner / 2}\" class=\"none\">本月没有备份任务</text>")
    for number, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * number + (slot - bar) / 2
        size = inner * value / peak
        shapes.append(f"<rect x=\"{x:.1f}\" y=\"{top + inner - size:.1f}\" width=\"{bar:.1f}\" height=\"{size:.1f}\"/>")
        shapes.append(f"<text x=\"{x + bar / 2:.1f}\" y=\"{top + inner - size - 4:.1f}\" class=\"figure\">"
                      f"{value:.2f}</text>")
        shapes.append(f"<text x=\"{x + bar / 2:.1f}\" y=\"{height - bottom + 16}\" class=\"label\">{_e(label)}</text>")
    return (f"<svg role=\"img\" aria-label=\"{_e(title)}\" "
            f"viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">{''.join(shapes)}</svg>")


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 24px; color: #1d2733; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 2px solid #2f6fde; padding-bottom: 4px; }
.meta { color: #5a6775; font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #d5dce4; border-radius: 6px; padding: 10px 14px; min-width: 180px; }
.card .label { color: #5a6775; font-size: 12px; }
.card .value { font-size: 15px; margin-top: 4px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg rect { fill: #2f6fde; }
svg .axis { stroke: #8895a3; }
svg text { font-size: 11px; fill: #1d2733; text-anchor: middle; }
svg .title { font-size: 13px; text-anchor: start; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { border: 1px solid #d5dce4; padding: 4px 6px; text-align: left; vertical-align: top; word-break: break-all; }
th { background: #eef2f7; }
td.empty { color: #8895a3; }
@media print {
  body { margin: 0; }
  section, .card, svg { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
{body}
</body>
</html>
"""
