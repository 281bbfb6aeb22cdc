"""`audit verify` against what the database cannot rewrite (issue 17, B1): the chain heads written
into each tape's index and into each job report, read back and checked against the ledger."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from ledger.sqlite_guard import remove_immutability_triggers
from tests.conftest import run_cli

WRONG = "0f" * 32


def verify(*args: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli("audit", "verify", "--json", *args)
    return result.code, result.json(), result.err


def by_subject(shown: dict[str, Any], fragment: str) -> list[dict[str, Any]]:
    return [check for check in shown["heads"] if fragment in check["subject"]]


def alter_first_setting_change(data: Path) -> int:
    """Rewrite January's retention change in the database (1 month becomes 12); its event number."""
    from bootstrap import build

    services = build()
    try:
        ledger = services.ledger
        found = ledger.recorder.select_notifications(
            0, 1, topics=["ledger.domain.settings:Settings.SettingChanged"])[0]
        event = ledger.mapper.to_domain_event(found)
        event.__dict__["new"] = 12
        forged = ledger.mapper.to_stored_event(event).state
    finally:
        services.close()
    remove_immutability_triggers(data / "ledger.db")
    with sqlite3.connect(data / "ledger.db") as connection:
        connection.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, found.id))
    return int(found.id)


def test_an_untouched_history_agrees_with_its_tapes_and_its_reports(audit_copy: dict[str, Any]) -> None:
    code, shown, _ = verify()
    assert code == 0 and shown["ok"], shown
    assert sorted(shown["tapes_read"]) == ["TAF001L9", "TAF002L9"]
    kinds = [check["kind"] for check in shown["heads"]]
    assert kinds.count("job") == 3 and kinds.count("report") == 3 and kinds.count("tape") >= 2
    for check in shown["heads"]:
        assert check["ok"] and check["event"] < check["recorded_at"], check
    words = run_cli("audit", "verify")
    assert words.code == 0 and "一致" in words.out and "已读取磁带索引" in words.out


def test_an_altered_event_is_named_and_the_heads_after_it_no_longer_verify(audit_copy: dict[str, Any]) -> None:
    from config import load_settings

    altered = alter_first_setting_change(load_settings().data_dir)
    code, shown, err = verify("--no-tapes")
    assert code == 6 and not shown["ok"] and shown["first_bad"] == altered
    assert f"第 {altered} 号事件" in err
    later = [check for check in shown["heads"] if check["event"] is not None and check["event"] >= altered]
    assert later and all(not check["ok"] and "已被改动" in check["message"] for check in later)


def test_an_altered_event_sealed_again_is_still_caught_by_the_tapes_and_the_reports(
        audit_copy: dict[str, Any]) -> None:
    from config import load_settings

    altered = alter_first_setting_change(load_settings().data_dir)
    assert run_cli("projections", "rebuild", "chain").code == 0  # the forger seals the chain anew
    code, shown, err = verify()
    assert code == 6 and shown["first_bad"] is None and "台账哈希链完整" in shown["message"]
    for fragment in ("磁带 TAF001L9", "磁带 TAF002L9", "台账中的任务数据", "钉钉消息"):
        checks = by_subject(shown, fragment)
        assert checks and not all(check["ok"] for check in checks), fragment
    assert all(check["event"] is not None and check["event"] >= altered for check in shown["heads"] if not check["ok"])
    assert "不在台账重算的链上" in err


def test_a_tape_index_with_a_changed_chain_head_is_named_with_the_tape_and_the_event(
        audit_copy: dict[str, Any]) -> None:
    from bootstrap import build
    from media import operations
    from media.devices import open_session
    from tape import volume_io

    _, before, _ = verify()
    [original] = [c for c in by_subject(before, "磁带 TAF002L9") if c["ok"]]
    services = build()
    try:
        with open_session(services, "emulated:0", "篡改者") as session:
            for barcode in ("TAF002L9", "TAF001L9"):
                operations.load(session, barcode)
                label = volume_io.read_label(session.drive)
                assert label is not None
                tape_file, index = volume_io.last_index(session.drive)
                if barcode == "TAF002L9":  # the index rewritten in place, its head changed
                    session.drive.locate_file(tape_file)
                    volume_io.write_index(session.drive, replace(index, chain_head=WRONG), block_size=label.block_size)
                else:  # a further index appended that the ledger never recorded
                    volume_io.prepare_append(session.drive)
                    volume_io.write_index(session.drive, replace(index, chain_head=WRONG,
                                                                 written_at="2026-03-01T12:30:00+00:00"),
                                          block_size=label.block_size)
            operations.unload(session)
    finally:
        services.close()

    code, shown, err = verify()
    assert code == 6 and shown["first_bad"] is None
    [changed] = [c for c in by_subject(shown, "磁带 TAF002L9") if not c["ok"]]
    assert changed["event"] == original["event"] and changed["head"] == WRONG
    assert changed["expected"] == original["head"] and changed["recorded_at"] == original["recorded_at"]
    assert "TAF002L9" in changed["message"] and f"第 {original['event']} 号事件" in changed["message"]
    [appended] = [c for c in by_subject(shown, "磁带 TAF001L9") if not c["ok"]]
    assert appended["recorded_at"] is None and "不在台账重算的链上" in appended["message"]
    assert appended["event"] == replayed_position("2026-03-01T12:30:00+00:00")
    assert "TAF002L9" in err and "TAF001L9" in err
    skipped = run_cli("audit", "verify", "--no-tapes")
    assert skipped.code == 0, skipped.err  # the ledger and the reports still agree with each other


def test_verify_reads_only_the_tapes_named(audit_copy: dict[str, Any]) -> None:
    code, shown, _ = verify("--tapes", "taf002l9", "TAF404L9")
    assert code == 0 and shown["tapes_read"] == ["TAF002L9"]
    assert [note["barcode"] for note in shown["tapes_skipped"]] == ["TAF404L9"]
    assert "不在带库中" in shown["tapes_skipped"][0]["why"]


def replayed_position(until: str) -> int:
    return int(run_cli("audit", "replay", "--until", until, "--view", "groups", "--json").json()["position"])
