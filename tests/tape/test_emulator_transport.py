"""The emulated transport behaves like SG_IO: data-in trimmed with a residue, and only failures
to deliver a command raise."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from tape.emulator import Library
from tape.transport import Direction, Transport, TransportError, TransportTimeout
from tape.transports.emulated import EmulatedTransport
from tests.tape import cdbs
from tests.tape.cdbs import Tape


@pytest.fixture
def library(tmp_path) -> Iterator[Library]:
    lib = cdbs.standalone_library(tmp_path / "vtl")
    yield lib
    lib.close()


def test_it_is_a_transport_with_a_name(library: Library) -> None:
    with EmulatedTransport(library.root, 0) as drive:
        assert isinstance(drive, Transport) and drive.name.endswith(":0")


def test_data_in_is_trimmed_to_the_allocation_length(library: Library) -> None:
    with EmulatedTransport(library.root, 0) as drive:
        result = drive.execute(cdbs.inquiry(255), Direction.FROM_DEVICE, length=40)
        assert len(result.data) == 40 and result.residue == 0
        result = drive.execute(cdbs.inquiry(255), Direction.FROM_DEVICE, length=100)
        assert len(result.data) == 70 and result.residue == 30


def test_commands_that_cannot_be_delivered_raise(library: Library) -> None:
    tape = cdbs.mount(library)
    with pytest.raises(TransportError, match="CDB 长度无效"):
        tape.t.execute(b"\x00\x00\x00")
    with pytest.raises(TransportError, match="写入数据不足"):
        tape.t.execute(cdbs.write6(100), Direction.TO_DEVICE, data=b"short")
    assert tape.position().object == 0
    tape.t.close()
    with pytest.raises(TransportError, match="已关闭"):
        tape.t.execute(cdbs.tur())


def test_a_command_longer_than_its_timeout_raises_a_timeout(library: Library) -> None:
    barcode = library.add_cartridge(first_load_seconds=0.6)
    drive = Tape(EmulatedTransport(library.root, 0))
    drive.run(cdbs.tur())
    library.insert(barcode)
    with pytest.raises(TransportTimeout):
        drive.t.execute(cdbs.load(), timeout=0.1)
    cdbs.expect(drive, drive.run(cdbs.tur()), 0x2, 0x04, 0x01)  # the drive carries on regardless
    drive.t.close()


def test_threads_of_one_process_share_the_drive_safely(library: Library) -> None:
    tape = cdbs.mount(library)
    others = [EmulatedTransport(library.root, 0) for _ in range(3)]
    errors: list[BaseException] = []

    def writer(transport: EmulatedTransport) -> None:
        try:
            for _ in range(50):
                result = transport.execute(cdbs.write6(512), Direction.TO_DEVICE, data=bytes(512))
                assert result.status == 0
        except BaseException as error:  # collected for the main thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(t,)) for t in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    tape.good(cdbs.space6(cdbs.END_OF_DATA, 0))
    assert tape.position().object == 150
    for transport in others:
        transport.close()
    tape.t.close()


OPEN_ELSEWHERE = """
import sys
from tape.transport import DeviceInUse
from tape.transports.emulated import EmulatedTransport
try:
    EmulatedTransport(sys.argv[1], 0, exclusive=True).close()
    print("opened")
except DeviceInUse as refused:
    print(refused)
"""


def test_an_exclusive_open_is_refused_while_the_drive_is_open_so_anywhere(library: Library) -> None:
    import subprocess
    import sys
    from pathlib import Path

    from tape.transport import DeviceInUse

    def open_from_another_process() -> str:
        done = subprocess.run([sys.executable, "-c", OPEN_ELSEWHERE, str(library.root)], capture_output=True,
                              text=True, timeout=60, cwd=Path(__file__).resolve().parents[2], check=True)
        return done.stdout.strip()

    held = EmulatedTransport(library.root, 0, exclusive=True)
    with pytest.raises(DeviceInUse) as refused:  # as O_EXCL on /dev/sgN: the same process too
        EmulatedTransport(library.root, 0, exclusive=True)
    assert "正被其它程序占用" in str(refused.value) and "备份、恢复、校验" in refused.value.advice
    assert "正被其它程序占用" in open_from_another_process()
    shared = EmulatedTransport(library.root, 0)  # the emulator's own tools still look in
    assert shared.execute(cdbs.tur()).status in (0, 2)
    shared.close()
    held.close()
    assert open_from_another_process() == "opened"
    again = EmulatedTransport(library.root, 0, exclusive=True)
    again.close()
