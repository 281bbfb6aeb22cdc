"""`audit replay --until` (issue 17): the whole system as it stood at a moment, from the ledger alone.

The scripted history recorded what the live read models answered after each step; replaying the
ledger to that step — by its event number, and by a time just after it — gives the same answers,
and leaves the live views as they were.
"""

from __future__ import annotations

from typing import Any

from tests.audit.history import normalised
from tests.conftest import run_cli

VIEWS = ("inventory", "groups", "settings", "jobs", "notifications")


def replayed(until: str, *view: str) -> dict[str, Any]:
    result = run_cli("audit", "replay", "--until", until, "--json", *(("--view", view[0]) if view else ()))
    assert result.code == 0, result.err
    shown = result.json()
    shown["jobs"] = sorted(shown["jobs"], key=lambda row: row["job_id"])
    shown["settings"] = normalised(shown["settings"])
    return shown


def test_replaying_to_each_recorded_moment_gives_the_answers_the_live_views_gave(audit_copy: dict[str, Any]) -> None:
    for moment in audit_copy["moments"]:
        for until in (str(moment["position"]), moment["time"]):
            shown = replayed(until)
            assert shown["position"] == moment["position"], (moment["label"], until)
            for view in VIEWS:
                shown_view = shown["cartridges" if view == "inventory" else view]
                assert shown_view == moment[view], (moment["label"], until, view)


def test_the_replay_judges_expiry_as_of_its_moment_with_the_settings_then(audit_copy: dict[str, Any]) -> None:
    january, after_change, february = audit_copy["moments"][:3]
    before = {row["key"]: row for row in replayed(str(january["position"]), "settings")["settings"]}
    assert before["default_retention_months"] == {"key": "default_retention_months", "value": 6, "source": ".env/环境"}
    after = {row["key"]: row for row in replayed("2026-01-15", "settings")["settings"]}
    assert after["default_retention_months"]["value"] == 1 and after["default_retention_months"]["source"] == "台账"
    first = replayed(str(february["position"]), "inventory")["cartridges"][0]
    assert (first["barcode"], first["status"], first["reason"]) == ("TAF001L9", "expired", "expired")
    assert "存活期 1 个月" in first["explanation"]
    in_january = replayed(str(after_change["position"]), "inventory")["cartridges"][0]
    assert in_january["reason"] == "active_group" and in_january["retention_in_force"] == 1


def test_a_replay_leaves_the_live_views_alone_and_says_so_in_chinese(audit_copy: dict[str, Any]) -> None:
    before = run_cli("lifecycle", "status", "--json").json()
    shown = run_cli("audit", "replay", "--until", "2026-02-01T13:30:00+00:00")
    assert shown.code == 0, shown.err
    assert "台账回放至第" in shown.out and "实时读模型未改动" in shown.out
    for heading in ("【磁带库存】", "【备份组】", "【生效的设置】", "【任务历史】", "【通知日志】"):
        assert heading in shown.out
    # Codes in words, as the live tables show them: job kinds, settings by name, places.
    assert "手动" in shown.out and "manual" not in shown.out
    assert "默认存活期" in shown.out and "1 个月" in shown.out
    assert "drive:" not in shown.out and "slot:" not in shown.out
    assert run_cli("lifecycle", "status", "--json").json() == before


def test_a_moment_that_is_not_a_date_or_an_event_is_refused(audit_copy: dict[str, Any]) -> None:
    for until, words in (("上周", "无法识别的时刻"), ("999999", "台账中没有第 999999 号事件"),
                         ("9999-12-31", "无法识别的时刻"), ("0001-01-01", "无法识别的时刻")):
        result = run_cli("audit", "replay", "--until", until)
        assert result.code == 2 and words in result.err
    before_anything = run_cli("audit", "replay", "--until", "2025-12-31", "--json").json()
    assert before_anything["position"] == 0 and before_anything["cartridges"] == []
