"""Several processes share one library directory: the lock serialises them, state follows them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tape.emulator import Library
from tape.transports.emulated import EmulatedTransport
from tests.tape import cdbs
from tests.tape.cdbs import Tape

PROJECT = Path(__file__).resolve().parents[2]

BACKUP = r"""
import sys, time
from tape.transport import Direction
from tape.transports.emulated import EmulatedTransport

root, index, blocks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
drive = EmulatedTransport(root, index)
seen = []
deadline = time.monotonic() + 30
while True:  # wait for a tape, as a backup job does
    result = drive.execute(bytes(6))
    if result.status == 0:
        break
    seen.append("%X/%02X/%02X" % (result.sense[2] & 15, result.sense[12], result.sense[13]))
    assert time.monotonic() < deadline, seen
    time.sleep(0.02)
for n in range(blocks):
    payload = bytes([index, n % 256]) * 16384
    result = drive.execute(bytes([0x0A, 0, 0, 0x80, 0, 0]), Direction.TO_DEVICE, payload)
    assert result.status == 0, result
assert drive.execute(bytes([0x10, 0, 0, 0, 1, 0])).status == 0
print(" ".join(sorted(set(seen))), flush=True)
"""

CLI = r"""
import sys
from tape.emulator import Library
with Library.open(sys.argv[1]) as lib:
    action = sys.argv[2]
    if action == "insert":
        print(lib.insert(sys.argv[3], drive=int(sys.argv[4])))
    elif action == "fault":
        lib.set_fault("not_ready", drive=0, seconds=float(sys.argv[3]))
    elif action == "position":
        from tape.transport import Direction
        from tape.transports.emulated import EmulatedTransport
        drive = EmulatedTransport(sys.argv[1], 0)
        data = drive.execute(bytes([0x34, 6, 0, 0, 0, 0, 0, 0, 0, 0]), Direction.FROM_DEVICE, length=32).data
        print(int.from_bytes(data[8:16], "big"))
"""


def run(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=PROJECT,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out.strip()


def test_a_backup_waiting_for_a_tape_sees_the_cli_insert_it(tmp_path: Path) -> None:
    root = tmp_path / "vtl"
    with Library.create(root, drives=1, slots=0, cartridges=2, capacity=64 << 20):
        pass
    backup = run(BACKUP, root, 0, 40)
    time.sleep(0.4)  # the backup polls an empty drive meanwhile
    assert finish(run(CLI, root, "insert", "TAF002L9", 0)) == "驱动器 0"
    seen = finish(backup)
    assert "2/3A/00" in seen and "6/28/00" in seen
    with Library.open(root) as lib:
        drive = Tape(EmulatedTransport(root, 0))
        drive.good(cdbs.space6(cdbs.END_OF_DATA, 0))
        assert drive.position() == cdbs.LongPosition(bop=False, eop=False, partition=0, object=41, file=1)
        drive.good(cdbs.rewind())
        assert drive.good(cdbs.read6(32768), length=32768).data == bytes([0, 0]) * 16384
        assert lib.cartridge("TAF002L9").used == 40 * 32768
        drive.t.close()


def test_two_processes_write_two_drives_while_a_third_watches(tmp_path: Path) -> None:
    root = tmp_path / "vtl"
    with Library.create(root, drives=2, slots=2, capacity=64 << 20) as lib:
        lib.eject("TAF001L9")
        lib.insert("TAF001L9", drive=0)
        lib.eject("TAF002L9")
        lib.insert("TAF002L9", drive=1)
        writers = [run(BACKUP, root, i, 150) for i in (0, 1)]
        while any(w.poll() is None for w in writers):
            status = lib.status()  # management calls interleave with both writers
            assert [d.barcode for d in status.drives] == ["TAF001L9", "TAF002L9"]
            time.sleep(0.01)
        for writer in writers:
            finish(writer)
        for index in (0, 1):
            drive = Tape(EmulatedTransport(root, index))
            drive.settle()
            drive.good(cdbs.space6(cdbs.END_OF_DATA, 0))
            assert drive.position().object == 151
            drive.good(cdbs.locate10(149))
            assert drive.good(cdbs.read6(32768), length=32768).data == bytes([index, 149]) * 16384
            drive.t.close()


def test_drive_state_is_shared_between_processes(tmp_path: Path) -> None:
    root = tmp_path / "vtl"
    with Library.create(root, drives=1, slots=0, cartridges=1, capacity=8 << 20) as lib:
        lib.insert("TAF001L9")
        drive = Tape(EmulatedTransport(root, 0))
        drive.settle()
        for _ in range(7):
            drive.good(cdbs.write6(100), data=bytes(100))
        assert finish(run(CLI, root, "position")) == "7"  # the drive's position, seen from elsewhere
        assert finish(run(CLI, root, "fault", 0.5)) == ""
        assert drive.sense(drive.run(cdbs.tur())).triple == (0x2, 0x04, 0x01)
        time.sleep(0.55)
        drive.good(cdbs.tur())
        drive.good(cdbs.write6(100), data=bytes(100))
        assert drive.position().object == 8
        drive.t.close()


CREATE = r"""
import sys
from tape.emulator import Library, LibraryError
try:
    Library.create(sys.argv[1], drives=1, slots=4, capacity=1 << 20).close()
    print("created")
except LibraryError:
    print("exists")
"""


def test_two_processes_creating_the_same_library_make_one(tmp_path: Path) -> None:
    root = tmp_path / "vtl"
    creators = [run(CREATE, root) for _ in range(3)]
    assert sorted(finish(c) for c in creators) == ["created", "exists", "exists"]
    with Library.open(root) as lib:
        assert [s.barcode for s in lib.status().slots] == ["TAF001L9", "TAF002L9", "TAF003L9", "TAF004L9"]
