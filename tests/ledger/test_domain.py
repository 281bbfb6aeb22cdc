"""Rules the aggregates enforce, on the embedded store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from ledger import clock
from ledger.application import Ledger
from ledger.errors import (
    AlreadyExists,
    CartridgeRetired,
    CleaningCartridge,
    DriveBusy,
    EraseRefused,
    InvalidValue,
    JobStateError,
    NotFound,
    RetentionOutOfRange,
)
from ledger.secrets import SecretBox, hash_password, mask, verify_password


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


def open_ledger(path: Path) -> Ledger:
    return Ledger(env={"LEDGER_PERSISTENCE_MODULE": "eventsourcing.sqlite", "LEDGER_SQLITE_DBNAME": str(path)})


@pytest.fixture
def ledger(ledger_path: Path) -> Ledger:
    app = open_ledger(ledger_path)
    yield app
    app.close()
    clock.start_at(None)


def test_a_retired_cartridge_cannot_be_labelled(ledger: Ledger) -> None:
    cartridge = ledger.register_cartridge("TAF001L9")
    cartridge.retire(reason="磨损", by="tester")
    ledger.save(cartridge)
    cartridge = ledger.cartridge("TAF001L9")
    with pytest.raises(CartridgeRetired, match="TAF001L9 已退役"):
        cartridge.label("TAF001", "default", 262144, by="tester")


def test_a_cleaning_cartridge_cannot_be_written(ledger: Ledger) -> None:
    cartridge = ledger.register_cartridge("CLN001L1", media_type="CLN")
    assert cartridge.status == "cleaning"
    with pytest.raises(CleaningCartridge):
        cartridge.label("CLN001", "default", 262144, by="tester")


def test_labelling_again_raises_the_label_sequence(ledger: Ledger) -> None:
    cartridge = ledger.register_cartridge("TAF002L9")
    cartridge.label("TAF002", "default", 262144, by="a")
    cartridge.label("TAF002", "offsite", 262144, by="a")
    ledger.save(cartridge)
    stored = ledger.cartridge("TAF002L9")
    assert (stored.label_sequence, stored.pool) == (2, "offsite")


def test_registering_twice_returns_the_same_cartridge(ledger: Ledger) -> None:
    first = ledger.register_cartridge("TAF003L9")
    second = ledger.register_cartridge("TAF003L9", media_type="L8")
    assert first.id == second.id and second.media_type == "L9"


@pytest.mark.parametrize("months", [0, 121, -1, 6.5, True])
def test_retention_must_be_one_to_one_hundred_twenty_months(ledger: Ledger, months: object) -> None:
    ledger.register_cartridge("TAF004L9")
    with pytest.raises(RetentionOutOfRange, match="1 到 120"):
        ledger.change_retention("TAF004L9", months, by="a")  # type: ignore[arg-type]


def test_a_retention_change_records_old_new_and_who(ledger: Ledger) -> None:
    ledger.register_cartridge("TAF005L9")
    ledger.change_retention("TAF005L9", 12, by="admin")
    ledger.change_retention("TAF005L9", 3, by="auditor")
    events = [ledger.mapper.to_domain_event(n) for n in ledger.notifications()]
    changes = [(e.old, e.new, e.by) for e in events if type(e).__name__ == "RetentionChanged"]
    assert changes == [(None, 12, "admin"), (12, 3, "auditor")]


def write_package(ledger: Ledger, barcode: str, group: str) -> None:
    cartridge = ledger.cartridge(barcode)
    cartridge.record_package(job_id="j", package_id=f"p-{group}", group=group, sequence=1, tape_file=1,
                             header_block=2, payload_block=4, payload_blocks=3, payload_bytes=100,
                             payload_sha256="0" * 64, compression="lzma2", manifest=[])
    ledger.save(cartridge)


def test_a_cartridge_holding_an_active_group_is_never_erased(ledger: Ledger) -> None:
    ledger.register_cartridge("TAF006L9")
    write_package(ledger, "TAF006L9", "2026-01")
    cartridge = ledger.cartridge("TAF006L9")
    with pytest.raises(EraseRefused, match="活动备份组 2026-01"):
        cartridge.erase("short", active_groups=["2026-01", "2026-02"], by="admin")
    cartridge.erase("short", active_groups=["2026-02"], by="admin")
    ledger.save(cartridge)
    erased = ledger.cartridge("TAF006L9")
    assert (erased.status, erased.label_sequence, erased.groups) == ("scratch", 0, [])
    erased.label("TAF006", "default", 262144, by="admin")
    assert erased.label_sequence == 1  # the new label after an erase is one higher


def test_a_written_worm_cartridge_is_never_erased(ledger: Ledger) -> None:
    ledger.register_cartridge("TAF007LZ", media_type="LZ", worm=True)
    write_package(ledger, "TAF007LZ", "2026-01")
    with pytest.raises(EraseRefused, match="WORM"):
        ledger.cartridge("TAF007LZ").erase("short", active_groups=[], by="admin")


def test_an_idempotency_key_maps_to_one_job(ledger: Ledger, ledger_path: Path) -> None:
    job, created = ledger.request_backup("monthly:2026-05", kind="monthly", sources=["/srv"],
                                         group="2026-05", params={})
    other_process = open_ledger(ledger_path)
    again, created_again = other_process.request_backup("monthly:2026-05", kind="monthly", sources=["/other"],
                                                        group="2026-05", params={})
    other_process.close()
    assert created and not created_again
    assert again.id == job.id and again.sources == ["/srv"]


def test_job_state_machine_refuses_impossible_steps(ledger: Ledger) -> None:
    job, _ = ledger.request_backup("k", kind="manual", sources=["/a"], group="2026-05", params={})
    with pytest.raises(JobStateError, match="已提交"):
        job.complete({}, [])
    job.start("host-a")
    job.pause(by="op")
    with pytest.raises(JobStateError, match="已暂停"):
        job.request_tape_change("TAF001L9", "磁带已满")
    job.resume(by="op")
    job.start("host-a")
    job.complete({"files": 3}, ["a.txt 读取失败"])
    assert job.status == "partial"
    with pytest.raises(JobStateError):
        job.cancel(by="op")
    job.fail("ignored after the end")
    assert job.status == "partial"


def test_a_failing_job_keeps_its_reason(ledger: Ledger) -> None:
    job, _ = ledger.request_backup("k2", kind="manual", sources=["/a"], group="2026-05", params={})
    job.start("h")
    job.fail("磁带写保护")
    ledger.save(job)
    stored = ledger.backup_job(str(job.id))
    assert (stored.status, stored.reason) == ("failed", "磁带写保护")


def test_one_job_per_drive_is_guarded_by_the_store(ledger: Ledger, ledger_path: Path) -> None:
    ledger.register_drive("host-a", "emulated:0")
    first = ledger.drive("host-a", "emulated:0")
    other_process = open_ledger(ledger_path)
    second = other_process.drive("host-a", "emulated:0")
    first.reserve("job-1")
    ledger.save_reserving(first)
    second.reserve("job-2")  # this process has not seen job-1's booking yet
    with pytest.raises(DriveBusy, match="job-1"):
        other_process.save_reserving(second)
    fresh = other_process.drive("host-a", "emulated:0")
    with pytest.raises(DriveBusy):
        fresh.reserve("job-2")
    fresh.release("job-1")
    fresh.reserve("job-2")
    other_process.save(fresh)
    other_process.close()
    assert ledger.drive("host-a", "emulated:0").reserved_by == "job-2"


def test_settings_are_validated_and_changes_recorded(ledger: Ledger) -> None:
    ledger.change_setting("default_retention_months", "8", old=6, by="admin")
    ledger.change_setting("default_retention_months", 8, old=8, by="admin")  # no change, no event
    with pytest.raises(InvalidValue, match="1–120"):
        ledger.change_setting("default_retention_months", 0, old=8, by="admin")
    with pytest.raises(InvalidValue, match="cron"):
        ledger.change_setting("monthly_backup_cron", "0 2 31 2 * extra", old="0 2 1 * *", by="admin")
    # The same validation as .env and the scheduler (ledger.rules.schedule): the field is named.
    with pytest.raises(InvalidValue, match="第 2 个字段（小时）"):
        ledger.change_setting("monthly_backup_cron", "0 25 1 * *", old="0 2 1 * *", by="admin")
    with pytest.raises(InvalidValue, match="永远不会触发"):
        ledger.change_setting("verify_cron", "0 4 30 2 *", old="0 4 * * 0", by="admin")
    with pytest.raises(NotFound, match="设置项"):
        ledger.change_setting("no_such_key", 1, old=None, by="admin")
    assert ledger.settings().values == {"default_retention_months": 8}
    changes = [e for e in map(ledger.mapper.to_domain_event, ledger.notifications())
               if type(e).__name__ == "SettingChanged"]
    assert [(c.key, c.old, c.new, c.by) for c in changes] == [("default_retention_months", 6, 8, "admin")]


def test_secrets_never_appear_in_clear_in_event_state(ledger: Ledger) -> None:
    box = SecretBox("test-secret-key")
    token = "test-token-DO-NOT-LEAK-1234"
    ledger.change_secret("dingtalk_api_key", ciphertext=box.seal(token), hint=mask(token), old_hint="", by="a")
    ledger.add_user("alice", "操作员", hash_password("correct horse"), by="admin")
    with pytest.raises(InvalidValue):
        ledger.change_setting("dingtalk_api_key", token, old="", by="a")
    states = [json.dumps(vars(ledger.mapper.to_domain_event(n)), default=str) for n in ledger.notifications()]
    assert all(token not in s and "correct horse" not in s for s in states)
    sealed = ledger.settings().values["dingtalk_api_key"]
    assert box.open(sealed["ciphertext"]) == token
    assert sealed["hint"] == "test…1234"
    assert verify_password("correct horse", ledger.user("alice").password_hash)
    assert not verify_password("wrong", ledger.user("alice").password_hash)


def test_users_have_unique_names_and_known_roles(ledger: Ledger) -> None:
    ledger.add_user("bob", "auditor", hash_password("x" * 8), by="admin")
    assert ledger.user("bob").role == "auditor"
    with pytest.raises(AlreadyExists):
        ledger.add_user("BOB", "admin", hash_password("x" * 8), by="admin")
    with pytest.raises(InvalidValue, match="角色"):
        ledger.add_user("carol", "superuser", hash_password("x" * 8), by="admin")


def test_recipients_are_checked(ledger: Ledger) -> None:
    recipient = ledger.add_recipient("值班", "138-0000-0000", ["backup_failed"], by="admin")
    assert recipient.phone == "13800000000"
    recipient.update(by="admin", events=["backup_failed", "tape_change_needed"])
    ledger.save(recipient)
    assert ledger.recipient(str(recipient.id)).events == ["backup_failed", "tape_change_needed"]
    with pytest.raises(InvalidValue, match="手机号"):
        ledger.add_recipient("x", "not-a-phone", [], by="admin")
    with pytest.raises(InvalidValue, match="未知事件"):
        ledger.add_recipient("x", "13800000001", ["lunch"], by="admin")


def test_a_notification_is_queued_once_per_key(ledger: Ledger) -> None:
    first, created = ledger.queue_notification("job-1:backup_failed:13800000000", kind="backup_failed",
                                               phone="13800000000", title="备份失败", content="…")
    again, created_again = ledger.queue_notification("job-1:backup_failed:13800000000", kind="backup_failed",
                                                     phone="13800000000", title="备份失败", content="…")
    assert created and not created_again and first.id == again.id


def test_event_timestamps_follow_the_drill_clock(ledger: Ledger) -> None:
    manual = clock.ManualClock(datetime(2026, 3, 1, 2, 0))
    clock.set_clock(manual)
    ledger.register_cartridge("TAF008L9")
    manual.advance(days=31)
    ledger.change_retention("TAF008L9", 7, by="a")
    stamps = [ledger.mapper.to_domain_event(n).timestamp for n in ledger.notifications()]
    assert stamps == [datetime(2026, 3, 1, 2, tzinfo=UTC), datetime(2026, 4, 1, 2, tzinfo=UTC)]


def test_the_store_refuses_a_second_creation_of_the_same_aggregate(ledger: Ledger) -> None:
    from ledger.domain import BackupGroup

    ledger.save(BackupGroup(name="2026-05"))
    with pytest.raises(IntegrityError):
        ledger.save(BackupGroup(name="2026-05"))
    with pytest.raises(InvalidValue, match="YYYY-MM"):
        BackupGroup(name="2026-13")


def test_unknown_ids_are_reported_in_chinese(ledger: Ledger) -> None:
    with pytest.raises(NotFound, match="找不到磁带：TAF999L9"):
        ledger.cartridge("TAF999L9")
    with pytest.raises(NotFound, match="编号"):
        ledger.backup_job("not-a-uuid")


def test_a_cartridge_is_never_booked_by_two_jobs(ledger: Ledger, ledger_path: Path) -> None:
    ledger.register_cartridge("TAF010L9")
    other_process = open_ledger(ledger_path)
    first_job, _ = ledger.request_backup("a", kind="manual", sources=["/a"], group="2026-05", params={})
    second_job, _ = ledger.request_backup("b", kind="manual", sources=["/b"], group="2026-05", params={})
    mine = ledger.cartridge("TAF010L9")
    theirs = other_process.cartridge("TAF010L9")
    mine.reserve(str(first_job.id))
    ledger.save(mine)
    theirs.reserve(str(second_job.id))  # this process has not seen the first booking yet
    with pytest.raises(IntegrityError):
        other_process.save(theirs)
    assert not other_process.reserve_cartridge("TAF010L9", str(second_job.id))
    assert ledger.reserve_cartridge("TAF010L9", str(first_job.id))  # the holder may book again
    first_job.start("h")
    first_job.fail("磁带机故障")
    ledger.save(first_job)
    assert other_process.reserve_cartridge("TAF010L9", str(second_job.id))  # a finished holder counts no more
    other_process.release_cartridge("TAF010L9", str(second_job.id))
    other_process.close()
    assert ledger.cartridge("TAF010L9").reserved_by is None


def test_closing_reads_the_cartridge_and_only_what_it_recorded_since_its_last_label(ledger: Ledger,
                                                                                    monkeypatch) -> None:
    """cartridge_with_packages: the cartridge, and the events after its last label or erase (not its
    whole history); the packages of before the relabel are not read at all."""
    cartridge = ledger.register_cartridge("TAF007L9")
    cartridge.label("TAF007", "default", 262144, by="a")
    ledger.save(cartridge)
    write_package(ledger, "TAF007L9", "2026-04")
    cartridge = ledger.cartridge("TAF007L9")
    cartridge.label("TAF007", "default", 262144, by="a")  # relabelled: what was on it is gone
    ledger.save(cartridge)
    relabelled_at = ledger.cartridge("TAF007L9").version
    write_package(ledger, "TAF007L9", "2026-05")
    write_package(ledger, "TAF007L9", "2026-06")

    reads: list[dict] = []
    real_get = ledger.events.get
    monkeypatch.setattr(ledger.events, "get", lambda *a, **k: reads.append(k) or real_get(*a, **k))
    together, packages = ledger.cartridge_with_packages("TAF007L9")
    assert together.contents_from == relabelled_at
    assert reads[-1]["gt"] == relabelled_at  # the packages: only events recorded after the relabel
    alone = ledger.cartridge("TAF007L9")
    assert (together.version, together.label_sequence, together.packages, together.bytes_written) == (
        alone.version, alone.label_sequence, alone.packages, alone.bytes_written)
    assert [e.package_id for e in packages] == [e.package_id for e in ledger.packages_on("TAF007L9")] == [
        "p-2026-05", "p-2026-06"]
    with pytest.raises(NotFound, match="找不到磁带：TAF998L9"):
        ledger.cartridge_with_packages("TAF998L9")
