"""Manual erase of a cartridge holding backups needs its barcode typed back (issue 6); asked for, not
called wrong, when nothing was typed (issue 13, item 11)."""

from __future__ import annotations

from bootstrap import build
from ledger.domain import BackupGroup


def test_erasing_a_tape_with_backups_needs_the_barcode_typed_back(cli) -> None:  # noqa: ANN001
    assert cli("drive", "load", "TAF001L9").code == 0
    assert cli("drive", "label").code == 0
    services = build()
    try:
        cartridge = services.ledger.cartridge("TAF001L9")
        cartridge.record_package(job_id="j", package_id="p", group="2026-01", sequence=1, tape_file=1,
                                 header_block=2, payload_block=3, payload_blocks=1, payload_bytes=10,
                                 payload_sha256="0" * 64, compression="lzma2", manifest=[])
        group = BackupGroup(name="2026-01")
        services.ledger.save(cartridge, group)
        refused_active = cli("drive", "erase", "--yes")
        assert refused_active.code == 3 and "活动备份组 2026-01" in refused_active.err
        group = services.ledger.group("2026-01")
        group.rotate_out(reason="演练")
        services.ledger.save(group)
    finally:
        services.close()
    unconfirmed = cli("drive", "erase", "--yes")  # at a terminal, answering the prompt with nothing
    assert unconfirmed.code == 3, unconfirmed.err
    assert "磁带 TAF001L9 上有备份数据，请输入条码确认擦除：" in unconfirmed.err
    assert "擦除前需要再次输入条码 TAF001L9 确认，未做任何改动" in unconfirmed.err
    assert "确认条码不符" not in unconfirmed.err
    piped_nothing = cli("drive", "erase", "--yes", stdin="")  # no terminal, no answer: asked for too
    assert piped_nothing.code == 3 and "需要再次输入条码 TAF001L9" in piped_nothing.err
    mistyped = cli("drive", "erase", "--yes", stdin="TAF002L9\n")
    assert mistyped.code == 3 and "确认条码不符，未做任何改动（需要输入 TAF001L9）" in mistyped.err
    wrong = cli("drive", "erase", "--yes", "--confirm", "TAF002L9")
    assert wrong.code == 3 and "确认条码不符" in wrong.err
    done = cli("drive", "erase", "--yes", "--confirm", "taf001l9", "--json")
    assert done.code == 0 and done.json()["barcode"] == "TAF001L9"
    events = [row["event"] for row in cli("ledger", "log", "--json").json()["events"]]
    assert events.count("Cartridge.Erased") == 1
