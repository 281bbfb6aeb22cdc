"""The erase interlock's active-group rule (the ledger's) and first-sight registration of cartridges."""

from __future__ import annotations

from typing import Any

from ledger.domain import BackupGroup
from media.cartridges import ensure_cartridge, media_type_of, volume_serial_of


def holding(services: Any, barcode: str, *groups: str) -> Any:
    cartridge = ensure_cartridge(services.ledger, barcode, None, location="slot:1", by="测试")
    for number, group in enumerate(groups, start=1):
        cartridge.record_package(job_id="j", package_id=f"p{number}", group=group, sequence=number,
                                 tape_file=number, header_block=2, payload_block=4, payload_blocks=1,
                                 payload_bytes=1, payload_sha256="0" * 64, compression="copy", manifest=[])
    services.ledger.save(cartridge)
    return cartridge


def test_active_groups_are_those_not_rotated_out_and_unknown_ones_count(sqlite_services: Any) -> None:
    ledger = sqlite_services.ledger
    old, current = BackupGroup(name="2026-03", by="测试"), BackupGroup(name="2026-04", by="测试")
    old.rotate_out(reason="超过保留数", by="测试")
    ledger.save(old, current)
    cartridge = holding(sqlite_services, "TAF001L9", "2026-03", "2026-04", "2026-05")
    assert ledger.active_groups_on(cartridge) == ["2026-04", "2026-05"]  # 2026-05 has no aggregate: kept safe
    rotated_only = holding(sqlite_services, "TAF002L9", "2026-03")
    assert ledger.active_groups_on(rotated_only) == []
    rotated_only.erase("short", active_groups=ledger.active_groups_on(rotated_only), by="测试")


def test_media_type_and_volume_serial_come_from_the_barcode() -> None:
    assert [media_type_of(code) for code in ("TAF001L9", "TAF002LZ", "ABC123L8", "CLN001CU", "WHATEVER")] == \
        ["L9", "LZ", "L8", "CLN", "L9"]
    assert volume_serial_of(" taf001l9 ") == "TAF001" and volume_serial_of("ABC") == "ABC"


def test_registration_on_first_sight_is_idempotent(sqlite_services: Any) -> None:
    first = ensure_cartridge(sqlite_services.ledger, "TAF009L9", None, location="slot:9", by="测试")
    again = ensure_cartridge(sqlite_services.ledger, "TAF009L9", None, location="drive:0", by="测试")
    assert first.id == again.id and again.location == "slot:9"
