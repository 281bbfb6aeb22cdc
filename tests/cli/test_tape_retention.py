"""`tape retention BARCODE MONTHS`: one cartridge's own retention, from the operator's side (issue 13,
item 5) — recorded with old value, new value and who; never freeing a cartridge that holds an active
group; shown in its "when does it become free" sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.backup.jobkit import make_tree, set_job_settings

WRITTEN = "2026-01-05T10:00:00+08:00"
MARCH = "2026-03-10T10:00:00+08:00"


@pytest.fixture
def written(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, taf_env: Path) -> Callable[..., Any]:
    """A backup of group 2026-01 on TAF001L9, written on 5 January 2026; the clock then at 10 March."""
    set_job_settings(monkeypatch)
    monkeypatch.setenv("TAF_USER", "王工")
    monkeypatch.setenv("TAF_NOW", WRITTEN)
    source = make_tree(taf_env / "源数据", 5, big=False)
    done = cli("backup", "run", "--source", str(source), "--group", "2026-01", "--level", "0", "--wait", "--json")
    assert done.code == 0 and done.json()["cartridges"] == ["TAF001L9"], done.out + done.err
    monkeypatch.setenv("TAF_NOW", MARCH)
    return cli


def head(cli: Callable[..., Any]) -> int:
    return int(cli("ledger", "log", "--json").json()["head"])


def status_of(cli: Callable[..., Any], barcode: str) -> dict[str, Any]:
    rows = cli("lifecycle", "status", "--json").json()["cartridges"]
    return next(row for row in rows if row["barcode"] == barcode)


def retention_events(cli: Callable[..., Any]) -> list[dict[str, Any]]:
    rows = reversed(cli("ledger", "log", "--limit", "200", "--json").json()["events"])
    return [row for row in rows if row["event"] == "Cartridge.RetentionChanged"]


def aggregate_status(barcode: str) -> str:
    from bootstrap import build

    services = build()
    try:
        return str(services.ledger.cartridge(barcode).status)
    finally:
        services.close()


def rotate_out(group: str) -> None:
    """What the seventh monthly backup would do to the oldest group (not the subject here)."""
    from bootstrap import build

    services = build()
    try:
        services.ledger.change(lambda: _rotated(services.ledger.group(group)), what=f"备份组 {group}")
    finally:
        services.close()


def _rotated(aggregate: Any) -> Any:
    aggregate.rotate_out(reason="演练：第七个月的备份", by="王工")
    return aggregate


def test_a_shorter_retention_never_frees_a_tape_holding_an_active_group(written: Callable[..., Any]) -> None:
    cli = written
    changed = cli("tape", "retention", "TAF001L9", "1")
    assert changed.code == 0, changed.err
    lines = changed.out.splitlines()
    assert lines[0] == "磁带 TAF001L9 的存活期已改为 1 个月（原为默认的 6 个月，操作人 王工）"
    assert lines[1] == "何时可释放：所含备份组轮换后"
    assert lines[2] == ("磁带 TAF001L9 最后写入于 2026-01-05，存活期 1 个月（本盘单独设定），已于 2026-02-05 到期；"
                        "但它仍保存活动备份组 2026-01，需等该组轮换出去后才能释放。")
    [event] = retention_events(cli)
    assert event["actor"] == "王工" and event["summary"] == "磁带存活期由 默认 6 个月 改为 1 个月"
    row = status_of(cli, "TAF001L9")
    assert (row["status"], row["retention_months"], row["expired"]) == ("active", 1, False)

    # The same interlock as ever: the daily check does not expire it, an erase is refused.
    checked = cli("lifecycle", "check", "--json").json()
    assert checked["expired"] == [] and [a["barcode"] for a in checked["alerts"]] == ["TAF001L9"]
    assert cli("drive", "load", "TAF001L9").code == 0
    refused = cli("drive", "erase", "--yes", "--confirm", "TAF001L9")
    assert refused.code == 3 and "活动备份组 2026-01" in refused.err
    assert status_of(cli, "TAF001L9")["status"] == "active"


def test_once_its_group_is_out_the_new_retention_decides_both_ways(written: Callable[..., Any]) -> None:
    cli = written
    rotate_out("2026-01")
    shortened = cli("tape", "retention", "TAF001L9", "2", "--json")
    assert shortened.code == 0, shortened.err
    body = shortened.json()
    assert (body["old"], body["old_in_force"], body["new"], body["by"]) == (None, 6, 2, "王工")
    assert body["expired_now"] and body["status"] == "expired"
    assert body["explanation"].startswith("已过期：磁带 TAF001L9 最后写入于 2026-01-05，存活期 2 个月（本盘单独设定），"
                                          "已于 2026-03-05 到期")

    lengthened = cli("tape", "retention", "TAF001L9", "12")
    assert lengthened.code == 0, lengthened.err
    assert lengthened.out.splitlines()[:2] == ["磁带 TAF001L9 的存活期已改为 12 个月（原为 2 个月，操作人 王工）",
                                               "何时可释放：2027-01-05"]
    row = status_of(cli, "TAF001L9")
    assert (row["status"], row["expired"], row["retention_months"]) == ("active", False, 12)  # no longer expired
    assert aggregate_status("TAF001L9") == "active"  # what a backup's choice of cartridge reads
    assert "存活期 12 个月（本盘单独设定），将于 2027-01-05 到期" in row["explanation"]
    assert cli("lifecycle", "preview", "--json").json()["erased"] == []  # nothing will erase it as expired

    summaries = [e["summary"] for e in retention_events(cli)]
    assert summaries == ["磁带存活期由 默认 6 个月 改为 2 个月", "磁带存活期由 2 个月 改为 12 个月"]
    log = cli("ledger", "log", "--limit", "5", "--json").json()["events"]
    assert [e["event"] for e in log[:3]] == ["Cartridge.RetentionChanged", "Cartridge.Expired",
                                             "Cartridge.RetentionChanged"]
    listed = cli("tape", "list")
    assert "12 个月" in listed.out and "2027-01-05" in listed.out


@pytest.mark.parametrize(("args", "code", "words"), [
    (("NOPE01L9", "3"), 4, "找不到磁带：NOPE01L9"),
    (("TAF001L9", "0"), 2, "存活期必须在 1 到 120 个月之间（收到 0）"),
    (("TAF001L9", "121"), 2, "存活期必须在 1 到 120 个月之间（收到 121）"),
    (("TAF001L9", "三"), 2, "参数有误"),
])
def test_a_retention_that_cannot_be_changes_nothing(written: Callable[..., Any], args: tuple[str, ...], code: int,
                                                    words: str) -> None:
    cli = written
    before = head(cli)
    refused = cli("tape", "retention", *args)
    assert refused.code == code and words in refused.err, refused.err
    assert head(cli) == before and status_of(cli, "TAF001L9")["retention_months"] is None
