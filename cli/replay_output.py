"""`audit replay` for people: the replayed state as Chinese tables, one per view."""

from __future__ import annotations

from app.replay import VIEW_LABELS, VIEWS, Replayed
from cli.output import emit_table

REPLAY_VIEWS = VIEWS


def _time(text: str | None) -> str | None:
    return text[:19].replace("T", " ") if text else text


def print_replay(shown: Replayed) -> None:
    at = shown.at.strftime("%Y-%m-%d %H:%M:%S")  # on the clock its events were recorded on, as the tables are
    print(f"台账回放至第 {shown.position} 号事件（{at}），台账现有 {shown.head} 条事件；"
          "以下是当时的状态（由台账在内存中重建，实时读模型未改动）。")
    for view in shown.views:
        print(f"\n【{VIEW_LABELS[view]}】")
        _PRINTERS[view](shown)


def _inventory(shown: Replayed) -> None:
    emit_table([{"barcode": c.barcode, "status": c.status_label or c.status, "location": c.location_text or c.location,
                 "groups": "、".join(c.groups) or "—", "retention": c.retention_in_force, "free_when": c.free_when,
                 "explanation": c.explanation} for c in shown.cartridges],
               [("barcode", "条码"), ("status", "状态"), ("location", "位置"), ("groups", "备份组"),
                ("retention", "存活期（月）"), ("free_when", "何时可释放"), ("explanation", "原因")])


def _groups(shown: Replayed) -> None:
    emit_table([{"name": g.name, "active": "活动" if g.active else "已轮换出", "runs": g.runs,
                 "opened_at": _time(g.opened_at), "rotated_out_at": _time(g.rotated_out_at)} for g in shown.groups],
               [("name", "备份组"), ("active", "状态"), ("runs", "运行次数"), ("opened_at", "创建时间"),
                ("rotated_out_at", "轮换出的时间")])


def _settings(shown: Replayed) -> None:
    emit_table([{"label": row.label, "key": row.key, "text": row.text, "source": row.source} for row in shown.settings],
               [("label", "名称"), ("key", "设置项"), ("text", "当时的值"), ("source", "来源")])


def _jobs(shown: Replayed) -> None:
    emit_table([{"job_id": j.job_id, "kind": j.kind_text, "group": j.group or "—", "status": j.status_text,
                 "requested_by": j.requested_by, "requested_at": _time(j.requested_at),
                 "finished_at": _time(j.finished_at), "reason": j.reason or ""} for j in shown.jobs],
               [("job_id", "任务"), ("kind", "类型"), ("group", "备份组"), ("status", "状态"),
                ("requested_by", "提交人"), ("requested_at", "提交时间"), ("finished_at", "结束时间"),
                ("reason", "原因")])


def _notifications(shown: Replayed) -> None:
    emit_table([{"queued_at": _time(n.queued_at), "kind": n.kind_label, "phone": n.phone, "title": n.title,
                 "status": n.status_label, "attempts": n.attempts, "note": n.last_error or ""}
                for n in shown.notifications],
               [("queued_at", "排队时间"), ("kind", "类型"), ("phone", "手机号"), ("title", "标题"),
                ("status", "状态"), ("attempts", "尝试次数"), ("note", "说明")])


_PRINTERS = {"inventory": _inventory, "groups": _groups, "settings": _settings, "jobs": _jobs,
             "notifications": _notifications}
