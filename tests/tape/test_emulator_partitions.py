"""Two partitions (LTFS style): MODE SELECT page 11h, FORMAT MEDIUM, LOCATE with CP, capacities."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tape.emulator import Library
from tape.transports.emulated import EmulatedTransport
from tests.tape import cdbs
from tests.tape.cdbs import Tape

MB = 1_000_000
MIB = 1 << 20


@pytest.fixture
def tape(tmp_path) -> Iterator[Tape]:
    with Library.create(tmp_path / "vtl", drives=1, slots=0, cartridges=1, capacity=64 * MIB) as lib:
        lib.insert("TAF001L9")
        t = Tape(EmulatedTransport(lib.root, 0))
        t.settle()
        yield t
        t.t.close()


def partition_page(first_mb: int) -> bytes:
    """Page 11h: one additional partition, IDP, sizes in 10^6 bytes, the second takes the rest."""
    page = bytes([0x11, 0x0A, 1, 1, 0x20 | 0x18, 0x03, 6, 0]) + first_mb.to_bytes(2, "big") + b"\xff\xff"
    return bytes(4) + page


def make_two_partitions(tape: Tape, first_mb: int = 16) -> None:
    parameters = partition_page(first_mb)
    tape.good(cdbs.mode_select6(len(parameters)), data=parameters)
    tape.good(cdbs.format_medium(1))


def test_format_medium_applies_the_selected_partitions(tape: Tape) -> None:
    page = tape.good(cdbs.mode_sense6(0x11, dbd=True), length=255).data[4:]
    assert page[0] == 0x11 and page[3] == 0  # one partition to start with
    make_two_partitions(tape)
    page = tape.good(cdbs.mode_sense6(0x11, dbd=True), length=255).data[4:]
    assert page[3] == 1 and page[6] == 6
    assert [int.from_bytes(page[i : i + 2], "big") for i in (8, 10)] == [16, 52]
    volume = cdbs.log_parameters(tape.good(cdbs.log_sense(0x17), length=4096).data)
    records = volume[0x202]
    assert [int.from_bytes(records[i + 4 : i + 8], "big") for i in (0, 8)] == [16, 51]
    assert records[8:12] == bytes([7, 0, 0, 1])
    maximum = tape.good(cdbs.read_attribute(0x0001, partition=1), length=64).data
    assert int.from_bytes(maximum[9:17], "big") == (64 * MIB - 16 * MB) // MIB
    partitions = tape.good(cdbs.read_attribute(0, action=0x03), length=64).data
    assert partitions[3] == 2


def test_each_partition_has_its_own_objects(tape: Tape) -> None:
    make_two_partitions(tape)
    tape.good(cdbs.locate16(0, partition=1))
    assert tape.position() == cdbs.LongPosition(bop=True, eop=False, partition=1, object=0, file=0)
    tape.write(b"index" * 100)
    tape.good(cdbs.write_filemarks(1))
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=1, object=2, file=1)
    tape.good(cdbs.locate10(0, partition=0))
    assert tape.sense(tape.read(100)).triple == (0x8, 0x00, 0x05)  # partition 0 is still blank
    tape.write(b"data")
    tape.good(cdbs.locate16(0, partition=1))
    assert tape.good(cdbs.read6(500), length=500).data == b"index" * 100
    header = tape.good(cdbs.mode_sense6(0x10, dbd=True), length=255).data
    assert header[4 + 3] == 1  # device configuration page: active partition
    assert tape.sense(tape.run(cdbs.locate16(0, partition=2))).triple == (0x5, 0x24, 0x00)


def test_the_small_partition_has_its_own_end(tape: Tape) -> None:
    make_two_partitions(tape, first_mb=4)
    for _ in range(3):
        tape.good(cdbs.write6(MIB), data=bytes(MIB))
    result = tape.write(bytes(MIB))  # 4 MiB > 4 MB: this block does not fit
    sense = tape.sense(result)
    assert sense.triple == (0xD, 0x00, 0x02) and sense.eom and sense.information == MIB
    assert tape.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=3, file=0)


def test_format_medium_rules(tape: Tape) -> None:
    tape.write(b"x")
    assert tape.sense(tape.run(cdbs.format_medium(0))).triple == (0x5, 0x2C, 0x00)  # not at BOP
    tape.good(cdbs.rewind())
    make_two_partitions(tape)
    tape.good(cdbs.format_medium(0))  # type 0: back to one partition, everything erased
    page = tape.good(cdbs.mode_sense6(0x11, dbd=True), length=255).data[4:]
    assert page[3] == 0
    assert tape.sense(tape.read(10)).triple == (0x8, 0x00, 0x05)
    too_many = bytes(4) + bytes([0x11, 0x0A, 1, 3, 0x20 | 0x18, 0x03, 6, 0, 0, 1, 0, 1])
    assert tape.sense(tape.run(cdbs.mode_select6(len(too_many)), data=too_many)).triple == (0x5, 0x26, 0x00)
