"""A cartridge survives its writer being killed, and a simulated power loss, with a consistent index."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tape.emulator import Library
from tape.transports.emulated import EmulatedTransport
from tests.tape import cdbs
from tests.tape.cdbs import Tape

PROJECT = Path(__file__).resolve().parents[2]
RECORD = struct.Struct(">BBHIIQI4xI")  # the emulator's 32-byte index record (partition.py)

WRITER = r"""
import sys
from tape.transport import Direction
from tape.transports.emulated import EmulatedTransport

def content(n, size):
    return (n.to_bytes(4, "big") * (size // 4 + 1))[:size]

drive = EmulatedTransport(sys.argv[1], 0)
while drive.execute(bytes(6)).status:
    pass
n = 0
while True:
    size = 4096 + (n * 7919) % 60000
    result = drive.execute(bytes([0x0A, 0]) + size.to_bytes(3, "big") + b"\x00", Direction.TO_DEVICE, content(n, size))
    assert result.status == 0, result
    n += 1
    print(n, flush=True)
"""


def content(n: int, size: int) -> bytes:
    return (n.to_bytes(4, "big") * (size // 4 + 1))[:size]


def size_of(n: int) -> int:
    return 4096 + (n * 7919) % 60000


def index_records(directory: Path) -> list[tuple[int, int, int, int, int]]:
    """(kind, flags, length, offset, crc) of every complete record, checking each record's own CRC."""
    raw = (directory / "index.0").read_bytes()
    out = []
    for at in range(0, len(raw) - len(raw) % 32, 32):
        kind, flags, _r, length, _stored, offset, crc, check = RECORD.unpack_from(raw, at)
        assert check == zlib.crc32(raw[at : at + 28])
        out.append((kind, flags, length, offset, crc))
    return out


def block_crc(block: bytes, flags: int) -> int:
    """Flag 01h: the CRC covers every 61st byte (the default); otherwise the whole block."""
    return zlib.crc32(block[::61] if flags & 0x01 else block)


def assert_consistent(directory: Path) -> int:
    """Every indexed block is in the data file and matches its CRC; returns the record count."""
    records = index_records(directory)
    data = (directory / "data.0").read_bytes()
    expected_offset = 0
    for kind, flags, length, offset, crc in records:
        assert kind == 1 and offset == expected_offset
        assert block_crc(data[offset : offset + length], flags) == crc
        expected_offset += length
    assert len(data) == expected_offset  # nothing after the last complete block
    return len(records)


@pytest.mark.skipif(os.name != "posix", reason="kill -9 needs POSIX signals")
@pytest.mark.parametrize(("kill_after", "full"), [(40, False), (230, False), (120, True)])
def test_killed_writer_leaves_end_of_data_at_the_last_complete_block(
    tmp_path: Path, kill_after: int, full: bool
) -> None:
    root = tmp_path / "vtl"
    with Library.create(
        root, drives=1, slots=0, cartridges=1, capacity=256 << 20, full_checksums=full
    ) as lib:
        lib.insert("TAF001L9")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, cwd=PROJECT, text=True
    )
    assert writer.stdout is not None
    acknowledged = 0
    while acknowledged < kill_after:
        line = writer.stdout.readline()
        assert line, "writer died early"
        acknowledged = int(line)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    for line in writer.stdout.read().split():  # what it acknowledged before the kill landed
        acknowledged = int(line)
    writer.stdout.close()

    with Library.open(root):
        drive = Tape(EmulatedTransport(root, 0))
        drive.settle()
        drive.good(cdbs.space6(cdbs.END_OF_DATA, 0))
        end = drive.position().object
        assert acknowledged <= end <= acknowledged + 1  # at most one block written, not acknowledged
        drive.good(cdbs.rewind())
        for n in range(end):
            block = drive.good(cdbs.read6(size_of(n)), length=size_of(n)).data
            assert block == content(n, size_of(n))
        assert drive.sense(drive.read(1024)).triple == (0x8, 0x00, 0x05)
        drive.good(cdbs.write6(10), data=b"after kill")  # appending works where it left off
        drive.t.close()
    assert assert_consistent(root / "cartridges" / "TAF001L9") == end + 1
    assert {flags for _k, flags, *_ in index_records(root / "cartridges" / "TAF001L9")} == {0 if full else 1}


def loaded_library(root: Path) -> tuple[Library, Tape]:
    lib = Library.create(root, drives=1, slots=0, cartridges=1, capacity=16 << 20)
    lib.insert("TAF001L9")
    tape = Tape(EmulatedTransport(root, 0))
    tape.settle()
    return lib, tape


def test_torn_trailing_index_record_is_ignored_on_reopen(tmp_path: Path) -> None:
    root = tmp_path / "vtl"
    lib, tape = loaded_library(root)
    for n in range(5):
        tape.good(cdbs.write6(1000), data=content(n, 1000))
    tape.t.close()
    lib.close()
    cart = root / "cartridges" / "TAF001L9"
    with open(cart / "data.0", "ab") as data, open(cart / "index.0", "ab") as index:
        data.write(b"half a block")  # the writer died inside the next block…
        index.write(b"\x01" * 20)  # …or inside its index record
    with Library.open(root):
        drive = Tape(EmulatedTransport(root, 0))
        drive.good(cdbs.space6(cdbs.END_OF_DATA, 0))
        assert drive.position().object == 5
        drive.t.close()
    assert assert_consistent(cart) == 5


def test_garbage_trailing_record_is_dropped(tmp_path: Path) -> None:
    root = tmp_path / "vtl"
    lib, tape = loaded_library(root)
    tape.good(cdbs.write6(100), data=bytes(100))
    tape.t.close()
    lib.close()
    cart = root / "cartridges" / "TAF001L9"
    with open(cart / "index.0", "ab") as index:
        index.write(os.urandom(32))
    with Library.open(root):
        drive = Tape(EmulatedTransport(root, 0))
        drive.good(cdbs.space6(cdbs.END_OF_DATA, 0))
        assert drive.position().object == 1
        drive.t.close()


def test_power_loss_cuts_the_index_at_the_first_block_that_never_reached_the_disk(tmp_path: Path) -> None:
    root = tmp_path / "vtl"
    lib, tape = loaded_library(root)
    for n in range(10):
        tape.good(cdbs.write6(2000), data=content(n, 2000))
    tape.good(cdbs.write_filemarks(1))  # the flush: 11 records are durable
    for n in range(11, 16):
        tape.good(cdbs.write6(2000), data=content(n, 2000))  # buffered only
    tape.t.close()
    lib.close()
    cart = root / "cartridges" / "TAF001L9"
    marker = json.loads((cart / "sync.json").read_text())
    assert marker["records"] == [11]
    (cart / "sync.json").write_text(json.dumps({**marker, "boot": "another-boot"}))
    with open(cart / "data.0", "r+b") as data:  # block 13's pages were never written back
        data.seek(12 * 2000)
        data.write(bytes(2000))
    with Library.open(root):
        drive = Tape(EmulatedTransport(root, 0))
        drive.settle()
        drive.good(cdbs.space6(cdbs.END_OF_DATA, 0))
        assert drive.position().object == 13
        drive.good(cdbs.locate10(12))
        assert drive.good(cdbs.read6(2000), length=2000).data == content(12, 2000)
        drive.t.close()
    records = index_records(cart)
    assert len(records) == 13 and [r[0] for r in records].count(2) == 1
    assert json.loads((cart / "sync.json").read_text())["records"] == [13]
