"""`lifecycle …` and `notify …` from the command line, in process, against a gateway stand-in on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notify.standin import StandIn, start_standin
from tests.media.story import OTHER_PHONE, PHONE, TOKEN, at, backup_month, labelled, manual_clock, rotate_out

JULY = "2026-07-02T12:00:00+00:00"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with start_standin(TOKEN) as running:
        yield running


@pytest.fixture
def gateway(cli, standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> StandIn:  # noqa: ANN001
    monkeypatch.setenv("DINGTALK_API_URL", standin.url)
    monkeypatch.setenv("DINGTALK_API_KEY", TOKEN)
    return standin


@pytest.fixture
def seven_months(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """TAF001L9 holds the rotated-out 2026-01; TAF002L9 the active 2026-02…07; TAF003L9 is blank."""
    from bootstrap import build

    services = build()
    try:
        manual = manual_clock(at(2026, 1, 1))
        for barcode in ("TAF001L9", "TAF002L9", "TAF003L9"):
            labelled(services.ledger, barcode)
        backup_month(services.ledger, manual, at(2026, 1, 1), "TAF001L9")
        for month in range(2, 8):
            backup_month(services.ledger, manual, at(2026, month, 1), "TAF002L9")
        rotate_out(services.ledger, "2026-01")
    finally:
        services.close()
    monkeypatch.setenv("TAF_NOW", JULY)


def outputs(*results) -> str:  # noqa: ANN002
    return "".join(r.out + r.err for r in results)


def test_lifecycle_status_says_when_each_tape_becomes_free(cli, seven_months) -> None:  # noqa: ANN001
    table = cli("lifecycle", "status")
    assert table.code == 0, table.err
    assert "何时可释放" in table.out and "所含备份组轮换后" in table.out and "现在（空白）" in table.out
    assert "已过期：磁带 TAF001L9 最后写入于 2026-01-01" in table.out
    rows = {r["barcode"]: r for r in cli("lifecycle", "status", "--json").json()["cartridges"]}
    assert rows["TAF001L9"]["reason"] == "expired" and rows["TAF001L9"]["free_when"] == "现在（2026-07-01 起）"
    assert rows["TAF002L9"]["groups"] == [f"2026-0{m}" for m in range(2, 8)]
    assert rows["TAF003L9"]["status_label"] == "空白"
    assert rows["TAF001L9"]["retention_months"] is None and rows["TAF001L9"]["retention_in_force"] == 6


def test_lifecycle_preview_follows_the_settings(cli, seven_months) -> None:  # noqa: ANN001
    text = cli("lifecycle", "preview")
    assert text.code == 0, text.err
    assert text.out.startswith("下次月度备份：2026-08-01 02:00（备份组 2026-08）")
    assert "TAF001L9" in text.out and "自动擦除" in text.out
    assert cli("settings", "set", "active_groups", "5").code == 0
    shown = cli("lifecycle", "preview", "--json").json()
    assert shown["keep"] == 5 and shown["rotating_out"] == ["2026-02", "2026-03"]
    assert shown["erased"] == ["TAF001L9"] and shown["next_backup_at"].startswith("2026-08-01T02:00")


def test_lifecycle_check_records_who_ran_it(cli, seven_months, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TAF_USER", "王工")
    first = cli("lifecycle", "check", "--json")
    assert first.code == 0, first.err
    payload = first.json()
    assert [e["barcode"] for e in payload["expired"]] == ["TAF001L9"] and payload["by"] == "王工"
    log = cli("ledger", "log", "--limit", "1", "--json").json()["events"][0]
    assert log["event"] == "Cartridge.Expired" and "执行人 王工" in log["summary"]
    again = cli("lifecycle", "check")
    assert again.code == 0 and "新标记过期 0 盘，此前已过期 1 盘" in again.out
    assert cli("lifecycle", "status", "--json").json()["cartridges"][0]["status"] == "expired"


def test_recipients_are_added_changed_and_removed_by_the_acting_user(cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TAF_USER", "李工")
    added = cli("notify", "recipients", "add", "值班", PHONE, "--events", "backup_failed,系统异常", "--json")
    assert added.code == 0, added.err
    recipient = added.json()
    assert recipient["events"] == ["backup_failed", "system_exception"] and recipient["by"] == "李工"
    short_id = recipient["id"][:8]
    assert cli("notify", "recipients", "add", "主管", OTHER_PHONE).code == 0
    listed = cli("notify", "recipients", "list")
    assert "值班" in listed.out and "备份失败、系统异常" in listed.out

    changed = cli("notify", "recipients", "update", short_id, "--phone", "138-0000-0002")
    assert changed.code == 0 and "13800000002" in changed.out and "操作人 李工" in changed.out
    assert cli("notify", "recipients", "remove", short_id).code == 0
    remaining = cli("notify", "recipients", "list", "--json").json()["recipients"]
    assert [r["name"] for r in remaining] == ["主管"]
    log = cli("ledger", "log", "--limit", "2", "--json").json()["events"]
    assert [(e["event"], e["actor"]) for e in log] == [("Recipient.Removed", "李工"), ("Recipient.Updated", "李工")]

    assert cli("notify", "recipients", "remove", short_id).code == 4  # already gone
    bad_phone = cli("notify", "recipients", "add", "某人", "not-a-phone")
    assert bad_phone.code == 2 and "手机号" in bad_phone.err
    bad_event = cli("notify", "recipients", "add", "某人", PHONE, "--events", "lunch")
    assert bad_event.code == 2 and "未知事件 lunch" in bad_event.err
    assert cli("notify", "recipients", "update", "zzzz", "--name", "x").code == 4
    nothing = cli("notify", "recipients", "update", remaining[0]["id"])
    assert nothing.code == 2 and "请至少指定" in nothing.err


def test_a_test_message_without_a_gateway_is_a_clear_error(cli) -> None:  # noqa: ANN001
    cli("notify", "recipients", "add", "值班", PHONE)
    result = cli("notify", "test")
    assert result.code == 78 and "无法发送测试消息" in result.err and "dingtalk_api_url" in result.err
    assert cli("notify", "log", "--json").json()["notifications"] == []
    off = cli("notify", "dispatch")
    assert off.code == 0 and "通知功能未启用" in off.out


def test_a_test_message_reaches_every_recipient_and_the_token_stays_hidden(cli, gateway) -> None:  # noqa: ANN001
    cli("notify", "recipients", "add", "值班", PHONE, "--events", "backup_failed")
    cli("notify", "recipients", "add", "主管", OTHER_PHONE)
    sent = cli("notify", "test")
    assert sent.code == 0, sent.err
    assert "已送达 2/2 位接收人" in sent.out
    assert sorted(m["phone"] for m in gateway.messages) == [PHONE, OTHER_PHONE]
    assert all(m["title"] == "【TAF】测试消息" for m in gateway.messages)
    only = cli("notify", "test", "--phone", "13800000003", "--json")
    assert only.json()["ok"] is True and [o["phone"] for o in only.json()["outcomes"]] == ["13800000003"]
    log = cli("notify", "log", "--limit", "2")
    assert "已送达" in log.out and "测试消息" in log.out
    assert cli("notify", "log", "--limit", "0").code == 2
    assert TOKEN not in outputs(sent, only, log, cli("settings", "show", "--json"))


def test_after_an_outage_notify_dispatch_delivers_everything_once_in_order(cli, gateway, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TAF_NOW", JULY)
    cli("notify", "recipients", "add", "值班", PHONE)
    cli("notify", "recipients", "add", "主管", OTHER_PHONE)
    gateway.fail("503", seconds=3600)
    failed = [cli("notify", "test", "--json") for _ in range(3)]
    assert all(r.code == 1 for r in failed)
    labels = [[o["outcome_label"] for o in r.json()["outcomes"]] for r in failed]
    assert labels[0] == ["暂未送达，稍后重试", "本轮未处理"]
    assert labels[1] == ["本轮未处理", "本轮未处理"]  # the first recipient's retry is not due; the second fails
    assert labels[2] == ["排队中（该接收人有更早的通知未送达）"] * 2
    waiting = cli("notify", "dispatch", "--json").json()
    assert waiting["delivered"] == 0 and {o["outcome"] for o in waiting["outcomes"]} <= {"not_due", "held"}

    gateway.recover()
    monkeypatch.setenv("TAF_NOW", "2026-07-03T12:00:00+00:00")  # well past every backoff
    done = cli("notify", "dispatch")
    assert done.code == 0 and "送达 6 条" in done.out, done.out
    assert cli("notify", "dispatch", "--json").json()["outcomes"] == []
    queued = list(reversed(cli("notify", "log", "--json").json()["notifications"]))
    for phone in (PHONE, OTHER_PHONE):
        mine = [row for row in queued if row["phone"] == phone]
        assert [m["task_id"] for m in gateway.messages if m["phone"] == phone] == [row["task_id"] for row in mine]
        assert all(row["status"] == "delivered" for row in mine)
    assert len(gateway.messages) == 6


def test_conflicts_are_shown_and_queued_and_a_backwards_preview_is_refused(cli, seven_months, monkeypatch) -> None:  # noqa: ANN001
    from bootstrap import build

    services = build()
    try:
        services.ledger.change_retention("TAF002L9", 1, by="admin")
        services.ledger.add_recipient("值班", PHONE, ["system_exception"], by="admin")
    finally:
        services.close()
    monkeypatch.setenv("TAF_NOW", "2026-09-02T12:00:00+00:00")
    shown = cli("lifecycle", "preview")
    assert "需要注意：" in shown.out and "! 磁带 TAF002L9 的存活期（1 个月）" in shown.out
    checked = cli("lifecycle", "check")
    assert "! TAF002L9：" in checked.out and "已排队 1 条钉钉通知" in checked.out
    [note] = cli("notify", "log", "--json").json()["notifications"]
    assert note["cause"] == "interlock:TAF002L9:2026-09-02" and note["status"] == "queued"

    monkeypatch.setenv("TAF_NOW", "2025-11-02T12:00:00+00:00")  # a drill clock set before the newest group
    refused = cli("lifecycle", "preview")
    assert refused.code == 1 and refused.err.startswith("错误：无法预览：备份组只能按月份向前推进")
