"""Injected faults: each one turns into exactly the failure a real drive or HBA would report."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tape.emulator import Library, LibraryError
from tape.transport import TransferTooLarge
from tape.transports.emulated import EmulatedTransport
from tests.tape import cdbs
from tests.tape.cdbs import Tape, decode_sense


@pytest.fixture
def library(tmp_path) -> Iterator[Library]:
    lib = Library.create(tmp_path / "vtl", drives=1, slots=2, capacity=4 << 20)
    lib.eject("TAF001L9")  # from slot 1 straight into the drive
    lib.insert("TAF001L9", drive=0)
    yield lib
    lib.close()


@pytest.fixture
def tape(library: Library) -> Iterator[Tape]:
    t = Tape(EmulatedTransport(library.root, 0))
    t.settle()
    yield t
    t.t.close()


def write_blocks(tape: Tape, count: int, size: int = 1000) -> None:
    for n in range(count):
        tape.good(cdbs.write6(size), data=bytes([n]) * size)


def test_medium_error_on_read_at_an_object(library: Library, tape: Tape) -> None:
    write_blocks(tape, 4)
    library.set_fault("medium_error", drive=0, at_object=2, operation="read")
    tape.good(cdbs.rewind())
    tape.good(cdbs.read6(1000), length=1000)
    tape.good(cdbs.read6(1000), length=1000)
    sense = tape.sense(tape.read(1000))
    assert sense.triple == (0x3, 0x11, 0x00) and sense.valid and sense.information == 1000
    assert tape.position().object == 2  # a retry meets the same error; SPACE 1 skips it
    tape.good(cdbs.space6(cdbs.BLOCKS, 1))
    assert tape.good(cdbs.read6(1000), length=1000).data == bytes([3]) * 1000
    alerts = cdbs.log_parameters(tape.good(cdbs.log_sense(0x2E), length=4096).data)
    assert alerts[0x05] == b"\x01" and alerts[0x03] == b"\x01"  # read failure, hard error
    assert library.clear_faults() == 1
    tape.good(cdbs.locate10(2))
    tape.good(cdbs.read6(1000), length=1000)


def test_medium_error_on_write_leaves_the_block_unwritten(library: Library, tape: Tape) -> None:
    write_blocks(tape, 2)
    library.set_fault("medium_error", drive=0, at_object=2, operation="write", once=True)
    sense = tape.sense(tape.write(b"z" * 500))
    assert sense.triple == (0x3, 0x0C, 0x00) and sense.information == 500
    assert tape.position().object == 2
    tape.good(cdbs.write6(500), data=b"z" * 500)  # once: the retry succeeds
    assert library.faults() == []


def test_not_ready_for_a_while(library: Library, tape: Tape) -> None:
    library.set_fault("not_ready", drive=0, seconds=0.3)
    assert tape.sense(tape.run(cdbs.tur())).triple == (0x2, 0x04, 0x01)
    tape.good(cdbs.inquiry(), length=96)
    time.sleep(0.35)
    tape.good(cdbs.tur())


def test_volume_overflow_at_an_object(library: Library, tape: Tape) -> None:
    library.set_fault("volume_overflow", drive=0, at_object=3)
    write_blocks(tape, 3)
    sense = tape.sense(tape.write(b"o" * 800))
    assert sense.triple == (0xD, 0x00, 0x02) and sense.eom and sense.valid and sense.information == 800
    assert tape.position().object == 3


def test_adapter_transfer_limit_raises_like_einval(library: Library, tape: Tape) -> None:
    library.set_fault("transfer_limit", drive=0, limit=128 * 1024)
    with pytest.raises(TransferTooLarge) as refused:
        tape.write(bytes(256 * 1024))
    assert refused.value.limit == 128 * 1024 and refused.value.errno == 22
    assert tape.position().object == 0  # nothing reached the drive
    tape.good(cdbs.write6(128 * 1024), data=bytes(128 * 1024))
    with pytest.raises(TransferTooLarge):
        tape.read(1 << 20)


def test_deferred_write_error_arrives_on_the_next_command(library: Library, tape: Tape) -> None:
    write_blocks(tape, 1)
    library.set_fault("deferred_error", drive=0)
    result = tape.run(cdbs.write_filemarks(0))
    sense = decode_sense(result.sense)
    assert result.status == 0x02 and sense.response == 0x71 and sense.triple == (0x3, 0x0C, 0x00)
    tape.good(cdbs.write_filemarks(0))


def test_unit_attention_on_the_next_command(library: Library, tape: Tape) -> None:
    library.set_fault("unit_attention", drive=0, asc=0x2A, ascq=0x01)
    tape.good(cdbs.inquiry(), length=96)  # INQUIRY is not interrupted
    assert tape.sense(tape.run(cdbs.tur())).triple == (0x6, 0x2A, 0x01)
    tape.good(cdbs.tur())


def test_unit_attention_on_the_changer(library: Library) -> None:
    robot = Tape(EmulatedTransport(library.root, changer=True))
    robot.settle()
    library.set_fault("unit_attention", changer=True)
    assert robot.sense(robot.run(cdbs.tur())).triple == (0x6, 0x29, 0x00)
    robot.good(cdbs.tur())
    robot.t.close()


def test_fault_bound_to_a_cartridge_travels_with_it(library: Library, tape: Tape) -> None:
    library.set_fault("medium_error", barcode="TAF002L9", at_object=0, operation="write")
    tape.good(cdbs.write6(10), data=bytes(10))  # TAF001L9 is loaded: no fault
    tape.good(cdbs.unload())
    library.eject("TAF001L9")
    robot = Tape(EmulatedTransport(library.root, changer=True))
    robot.settle()
    robot.good(cdbs.move_medium(0x1001, 0x0100))
    tape.settle()
    assert tape.sense(tape.write(bytes(10))).triple == (0x3, 0x0C, 0x00)
    robot.t.close()


def test_fault_arguments_are_checked(library: Library) -> None:
    with pytest.raises(LibraryError, match="未知的故障类型"):
        library.set_fault("gremlins")
    with pytest.raises(LibraryError, match="需要参数 at_object"):
        library.set_fault("medium_error", drive=0)
    with pytest.raises(LibraryError, match="需要参数 seconds"):
        library.set_fault("not_ready", drive=0)
