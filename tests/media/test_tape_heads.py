"""Reading the tape indexes back for `audit verify` on a standalone drive: only the cartridge in it."""

from __future__ import annotations

from typing import Any

from media import operations
from media.devices import open_session
from media.tape_heads import read_tape_indexes
from tape import volume_io
from tape.emulator import Library
from tape.volume import TapeIndex
from tests.restore.test_standalone import standalone  # noqa: F401  (the fixture: a drive with no library)

BLOCK = 65536
HEAD = "ab" * 32


def test_a_standalone_drive_reads_the_cartridge_in_it_and_says_why_not_the_others(
        standalone: Any) -> None:  # noqa: F811  (the fixture imported above)
    with open_session(standalone, "emulated:0", "审计员") as session:
        library = Library.open(session.vtl_root)
        assert read_tape_indexes(session, {"TAF001L9": [1]}).skipped[0][1].startswith("不在驱动器中")  # empty drive
        library.insert("TAF001L9")
        session.mount()
        operations.label(session, pool="默认池", block_size=BLOCK, barcode="TAF001L9")
        volume_io.prepare_append(session.drive)
        volume_io.write_index(session.drive, TapeIndex("TAF001", 1, "2026-03-01T12:00:00+00:00", HEAD, []),
                              block_size=BLOCK)
        read = read_tape_indexes(session, {"TAF001L9": [1, 5], "TAF002L9": [1]})
    assert read.read == ["TAF001L9"]
    assert [(r.tape_file, r.index.chain_head if r.index else None, r.last) for r in read.readings] == [
        (1, HEAD, True), (5, None, False)]
    assert [barcode for barcode, _ in read.skipped] == ["TAF002L9"]
