"""Conformance of the emulated drive's data path with tape-scsi.md §2.1, §2.2 and §2.7: writing,
reading, spacing, locating and erasing.

After each situation the sense key, ASC/ASCQ, the FILEMARK/EOM/ILI bits, VALID with the
INFORMATION residue, and the position afterwards (READ POSITION long form) are checked exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tape.emulator import Library
from tests.tape import cdbs
from tests.tape.cdbs import Tape, decode_sense

KIB = 1024
# cdbs.standalone_library makes 1 MiB cartridges with early warning at 768 KiB (25 % before the end).
BLOCK = 64 * KIB


@pytest.fixture
def library(tmp_path) -> Iterator[Library]:
    lib = cdbs.standalone_library(tmp_path / "vtl")
    yield lib
    lib.close()


@pytest.fixture
def tape(library: Library) -> Iterator[Tape]:
    t = cdbs.mount(library)
    yield t
    t.t.close()


def block(n: int, size: int = BLOCK) -> bytes:
    return bytes([n & 0xFF]) * size


# -- writing: early warning and the end of the partition -------------------------------------------


def test_write_across_early_warning_completes_with_eom(tape: Tape) -> None:
    for n in range(11):  # 704 KiB: still before early warning at 768 KiB
        tape.good(cdbs.write6(BLOCK), data=block(n))
    assert not tape.position().eop
    result = tape.write(block(11))  # reaches 768 KiB
    cdbs.expect(tape, result, 0x0, 0x00, 0x02, eom=True, information=0)
    assert tape.position() == cdbs.LongPosition(bop=False, eop=True, partition=0, object=12, file=0)
    cdbs.expect(
        tape, tape.write(block(12)), 0x0, 0x00, 0x02, eom=True, information=0
    )  # every later write too
    cdbs.expect(tape, tape.run(cdbs.write_filemarks(1)), 0x0, 0x00, 0x02, eom=True, information=0)
    assert tape.position().object == 14


def test_write_at_capacity_is_volume_overflow_and_not_written(tape: Tape) -> None:
    for n in range(16):  # exactly 1 MiB fits
        tape.write(block(n))
    assert tape.position().object == 16
    result = tape.write(block(16))
    cdbs.expect(tape, result, 0xD, 0x00, 0x02, eom=True, information=BLOCK)
    assert tape.position().object == 16
    tape.good(cdbs.space6(cdbs.END_OF_DATA, 0))
    assert tape.position().object == 16  # the refused block is not on tape


def test_fixed_mode_write_overflow_reports_blocks_not_written(tape: Tape) -> None:
    cdbs.select_block_length(tape, 4 * KIB)
    tape.good(cdbs.write6(180, fixed=True), data=bytes(180 * 4 * KIB))  # 720 KiB
    result = tape.run(cdbs.write6(100, fixed=True), data=bytes(100 * 4 * KIB))
    cdbs.expect(tape, result, 0xD, 0x00, 0x02, eom=True, information=24)  # 76 blocks fitted
    assert tape.position().object == 256


def test_write_in_the_middle_truncates_everything_after(tape: Tape) -> None:
    for n in range(5):
        tape.write(block(n, 1000))
    tape.good(cdbs.write_filemarks(1))
    tape.good(cdbs.locate10(2))
    tape.good(cdbs.write6(10), data=b"X" * 10)
    assert tape.position().object == 3
    tape.good(cdbs.space6(cdbs.END_OF_DATA, 0))
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=3, file=0)
    tape.good(cdbs.locate10(2))
    assert tape.good(cdbs.read6(10), length=10).data == b"X" * 10
    cdbs.expect(tape, tape.read(100), 0x8, 0x00, 0x05, information=100)
    assert tape.position().object == 3


# -- reading: filemarks, end of data, incorrect length ---------------------------------------------


def write_a_b_fm_c(tape: Tape) -> None:
    tape.write(b"A" * 1000)
    tape.write(b"B" * 1000)
    tape.good(cdbs.write_filemarks(1))
    tape.write(b"C" * 1000)
    tape.good(cdbs.rewind())


def test_filemark_counts_as_a_logical_object(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    tape.good(cdbs.locate10(3))
    assert tape.good(cdbs.read6(1000), length=1000).data == b"C" * 1000
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=4, file=1)


def test_read_over_a_filemark_stops_after_it(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    tape.read(1000)
    tape.read(1000)
    result = tape.read(1000)
    cdbs.expect(tape, result, 0x0, 0x00, 0x01, filemark=True, information=1000)
    assert result.data == b"" and result.residue == 1000
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=3, file=1)
    assert tape.good(cdbs.read6(1000), length=1000).data == b"C" * 1000


def test_read_past_end_of_data_is_blank_check_and_stays(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    tape.good(cdbs.locate10(4))
    result = tape.read(4096)
    cdbs.expect(tape, result, 0x8, 0x00, 0x05, information=4096)
    assert tape.position().object == 4
    cdbs.expect(tape, tape.read(4096), 0x8, 0x00, 0x05, information=4096)


def test_blank_tape_gives_blank_check_on_the_first_read(tape: Tape) -> None:
    cdbs.expect(tape, tape.read(1 << 20), 0x8, 0x00, 0x05, information=1 << 20)
    assert tape.position().bop


def test_shorter_block_without_sili_reports_a_positive_residue(tape: Tape) -> None:
    tape.write(b"s" * 1000)
    tape.good(cdbs.rewind())
    result = tape.read(4096)
    cdbs.expect(tape, result, 0x0, 0x00, 0x00, ili=True, information=3096)
    assert result.data == b"s" * 1000 and result.residue == 3096
    assert tape.position().object == 1


def test_shorter_block_with_sili_is_good(tape: Tape) -> None:
    tape.write(b"s" * 1000)
    tape.good(cdbs.rewind())
    result = tape.good(cdbs.read6(4096, sili=True), length=4096)
    assert result.data == b"s" * 1000 and result.residue == 3096
    assert tape.position().object == 1


@pytest.mark.parametrize("sili", [False, True])
def test_longer_block_reports_a_negative_residue_and_is_passed(tape: Tape, sili: bool) -> None:
    tape.write(bytes(range(256)) * 16)  # 4096 bytes
    tape.write(b"next")
    tape.good(cdbs.rewind())
    result = tape.read(1000, sili=sili)
    cdbs.expect(tape, result, 0x0, 0x00, 0x00, ili=True, information=1000 - 4096)
    assert result.sense[3:7] == (-3096 & 0xFFFFFFFF).to_bytes(4, "big")
    assert result.data == (bytes(range(256)) * 16)[:1000] and result.residue == 0
    assert tape.position().object == 1  # the rest of the block is lost
    assert tape.good(cdbs.read6(4, sili=True), length=4).data == b"next"


def test_fixed_mode_reads(tape: Tape) -> None:
    cdbs.select_block_length(tape, 512)
    tape.good(cdbs.write6(4, fixed=True), data=bytes(range(256)) * 8)
    tape.good(cdbs.write_filemarks(1))
    tape.good(cdbs.write6(1, fixed=True), data=b"z" * 512)
    tape.good(cdbs.rewind())
    assert tape.good(cdbs.read6(2, fixed=True), length=1024).data == (bytes(range(256)) * 8)[:1024]
    result = tape.run(cdbs.read6(6, fixed=True), length=3072)
    cdbs.expect(tape, result, 0x0, 0x00, 0x01, filemark=True, information=4)  # 2 read, 4 not
    assert len(result.data) == 1024 and result.residue == 2048
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=5, file=1)
    cdbs.expect(tape, tape.run(cdbs.read6(3, fixed=True), length=1536), 0x8, 0x00, 0x05, information=2)


def test_fixed_read_of_a_block_of_another_length_is_ili(tape: Tape) -> None:
    tape.write(b"q" * 700)
    cdbs.select_block_length(tape, 512)
    tape.good(cdbs.rewind())
    result = tape.run(cdbs.read6(3, fixed=True), length=1536)
    cdbs.expect(tape, result, 0x0, 0x00, 0x00, ili=True, information=3)
    assert tape.position().object == 1


def test_fixed_mode_refusals(tape: Tape) -> None:
    cdbs.expect(tape, tape.run(cdbs.read6(1, fixed=True), length=512), 0x5, 0x24, 0x00)  # variable mode set
    cdbs.select_block_length(tape, 512)
    cdbs.expect(tape, tape.run(cdbs.read6(1, fixed=True, sili=True), length=512), 0x5, 0x24, 0x00)


# -- spacing and locating ----------------------------------------------------------------------------


def test_space_backwards_into_bop_reports_eom_and_residue(tape: Tape) -> None:
    for n in range(3):
        tape.write(block(n, 100))
    result = tape.run(cdbs.space6(cdbs.BLOCKS, -5))
    cdbs.expect(tape, result, 0x0, 0x00, 0x04, eom=True, information=2)
    assert tape.position() == cdbs.LongPosition(bop=True, eop=False, partition=0, object=0, file=0)


def test_space_filemarks_backwards_into_bop(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    tape.good(cdbs.space16(cdbs.END_OF_DATA, 0))
    cdbs.expect(tape, tape.run(cdbs.space16(cdbs.FILEMARKS, -3)), 0x0, 0x00, 0x04, eom=True, information=2)
    assert tape.position().object == 0


def test_space_blocks_stops_at_a_filemark_on_the_correct_side(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    cdbs.expect(tape, tape.run(cdbs.space6(cdbs.BLOCKS, 5)), 0x0, 0x00, 0x01, filemark=True, information=3)
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=3, file=1)
    tape.good(cdbs.space6(cdbs.END_OF_DATA, 0))
    cdbs.expect(tape, tape.run(cdbs.space6(cdbs.BLOCKS, -3)), 0x0, 0x00, 0x01, filemark=True, information=2)
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=2, file=0)


def test_space_forward_to_end_of_data(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    tape.good(cdbs.space6(cdbs.BLOCKS, 2))
    assert tape.position().object == 2
    cdbs.expect(tape, tape.run(cdbs.space6(cdbs.FILEMARKS, 3)), 0x8, 0x00, 0x05, information=2)
    assert tape.position().object == 4
    tape.good(cdbs.rewind())
    tape.good(cdbs.space6(cdbs.FILEMARKS, 1))
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=3, file=1)
    tape.good(cdbs.space6(cdbs.FILEMARKS, -1))
    assert tape.position().object == 2


def test_locate_past_end_of_data_stops_at_it(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    cdbs.expect(tape, tape.run(cdbs.locate10(9)), 0x8, 0x00, 0x05)
    assert tape.position().object == 4
    tape.good(cdbs.locate16(0, destination=3))  # end of data
    assert tape.position().object == 4
    tape.good(cdbs.locate16(1, destination=1))  # file 1 begins after the first filemark
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=3, file=1)


def test_read_position_short_and_extended_forms(tape: Tape) -> None:
    write_a_b_fm_c(tape)
    tape.good(cdbs.locate10(2))
    short = tape.good(cdbs.read_position(0x00), length=20).data
    assert len(short) == 20 and short[0] & 0x80 == 0
    assert int.from_bytes(short[4:8], "big") == 2 and int.from_bytes(short[8:12], "big") == 2
    extended = tape.good(cdbs.read_position(0x08, allocation=32), length=32).data
    assert int.from_bytes(extended[8:16], "big") == 2
    tape.good(cdbs.rewind())
    assert tape.good(cdbs.read_position(0x00), length=20).data[0] & 0x80  # BOP only at object 0


# -- erasing -------------------------------------------------------------------------------------------


def test_short_erase_in_the_middle_sets_end_of_data_there(tape: Tape) -> None:
    for n in range(5):
        tape.write(block(n, 100))
    tape.good(cdbs.locate10(2))
    tape.good(cdbs.erase())
    assert tape.position().object == 2
    cdbs.expect(tape, tape.read(100), 0x8, 0x00, 0x05, information=100)
    tape.good(cdbs.space6(cdbs.END_OF_DATA, 0))
    assert tape.position().object == 2


def test_long_erase_with_immed_reports_progress(tape: Tape) -> None:
    for n in range(3):
        tape.write(block(n, 100))
    tape.good(cdbs.rewind())
    tape.good(cdbs.erase(long=True, immed=True))
    sense = decode_sense(tape.good(cdbs.request_sense(), length=252).data)
    assert sense.triple == (0x0, 0x00, 0x18) and sense.specific[0] & 0x80  # SKSV: progress follows
    cdbs.expect(tape, tape.run(cdbs.tur()), 0x2, 0x04, 0x07)
    time.sleep(0.45)
    tape.good(cdbs.tur())
    cdbs.expect(tape, tape.read(100), 0x8, 0x00, 0x05, information=100)


def test_long_erase_without_immed_returns_when_done(tape: Tape) -> None:
    tape.write(b"x" * 100)
    tape.good(cdbs.rewind())
    started = time.monotonic()
    tape.good(cdbs.erase(long=True))
    assert time.monotonic() - started >= 0.35
    tape.good(cdbs.tur())
