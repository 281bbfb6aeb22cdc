"""Raw CDBs per SSC-4/SPC-4/SMC-3, a fixed-sense decoder and a small harness for emulator tests.

Deliberately independent of tape.scsi: the emulator's conformance is checked against bytes written
out here by hand, not against the production builders it will later serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tape.emulator import Library
from tape.transport import Direction, ScsiResult, Transport
from tape.transports.emulated import EmulatedTransport

# -- CDB builders --------------------------------------------------------------------------------


def _u24(value: int) -> bytes:
    return (value & 0xFFFFFF).to_bytes(3, "big")


def tur() -> bytes:
    return bytes(6)


def request_sense(allocation: int = 252) -> bytes:
    return bytes([0x03, 0, 0, 0, allocation, 0])


def inquiry(allocation: int = 255, page: int | None = None) -> bytes:
    evpd = 0 if page is None else 1
    return bytes([0x12, evpd, page or 0]) + allocation.to_bytes(2, "big") + b"\x00"


def read_block_limits(mloi: bool = False) -> bytes:
    return bytes([0x05, 1 if mloi else 0, 0, 0, 0, 0])


def read6(length: int, *, fixed: bool = False, sili: bool = False) -> bytes:
    return bytes([0x08, (2 if sili else 0) | (1 if fixed else 0)]) + _u24(length) + b"\x00"


def write6(length: int, *, fixed: bool = False) -> bytes:
    return bytes([0x0A, 1 if fixed else 0]) + _u24(length) + b"\x00"


def write_filemarks(count: int = 1, *, immed: bool = False) -> bytes:
    return bytes([0x10, 1 if immed else 0]) + _u24(count) + b"\x00"


BLOCKS, FILEMARKS, END_OF_DATA = 0, 1, 3


def space6(code: int, count: int) -> bytes:
    return bytes([0x11, code]) + _u24(count) + b"\x00"


def space16(code: int, count: int) -> bytes:
    return bytes([0x91, code, 0, 0]) + count.to_bytes(8, "big", signed=True) + bytes(4)


def locate10(block: int, *, partition: int | None = None) -> bytes:
    cp = 0x02 if partition is not None else 0
    return bytes([0x2B, cp, 0]) + block.to_bytes(4, "big") + bytes([0, partition or 0, 0])


def locate16(identifier: int, *, destination: int = 0, partition: int | None = None) -> bytes:
    cp = 0x02 if partition is not None else 0
    return (
        bytes([0x92, (destination << 3) | cp, 0, partition or 0]) + identifier.to_bytes(8, "big") + bytes(4)
    )


def read_position(action: int = 0x06, allocation: int = 0) -> bytes:
    return bytes([0x34, action, 0, 0, 0, 0, 0]) + allocation.to_bytes(2, "big") + b"\x00"


def rewind(*, immed: bool = False) -> bytes:
    return bytes([0x01, 1 if immed else 0, 0, 0, 0, 0])


def erase(*, long: bool = False, immed: bool = False) -> bytes:
    return bytes([0x19, (2 if immed else 0) | (1 if long else 0), 0, 0, 0, 0])


def load(*, immed: bool = False) -> bytes:
    return bytes([0x1B, 1 if immed else 0, 0, 0, 0x01, 0])


def unload(*, immed: bool = False) -> bytes:
    return bytes([0x1B, 1 if immed else 0, 0, 0, 0x00, 0])


def prevent(on: bool = True) -> bytes:
    return bytes([0x1E, 0, 0, 0, 1 if on else 0, 0])


def mode_sense6(
    page: int, *, subpage: int = 0, control: int = 0, dbd: bool = False, allocation: int = 255
) -> bytes:
    return bytes([0x1A, 0x08 if dbd else 0, (control << 6) | page, subpage, allocation, 0])


def mode_sense10(
    page: int, *, subpage: int = 0, control: int = 0, dbd: bool = False, allocation: int = 1024
) -> bytes:
    head = bytes([0x5A, 0x08 if dbd else 0, (control << 6) | page, subpage, 0, 0, 0])
    return head + allocation.to_bytes(2, "big") + b"\x00"


def mode_select6(length: int) -> bytes:
    return bytes([0x15, 0x10, 0, 0, length, 0])


def mode_select10(length: int) -> bytes:
    return bytes([0x55, 0x10, 0, 0, 0, 0, 0]) + length.to_bytes(2, "big") + b"\x00"


def log_sense(page: int, *, subpage: int = 0, pointer: int = 0, allocation: int = 0xFFFF) -> bytes:
    return (
        bytes([0x4D, 0, 0x40 | page, subpage, 0])
        + pointer.to_bytes(2, "big")
        + allocation.to_bytes(2, "big")
        + b"\x00"
    )


def log_select(*, reset: bool = False) -> bytes:
    return bytes([0x4C, 0x02 if reset else 0, 0xC0, 0, 0, 0, 0, 0, 0, 0])


def read_attribute(first: int, *, action: int = 0, partition: int = 0, allocation: int = 4096) -> bytes:
    return (
        bytes([0x8C, action, 0, 0, 0, 0, 0, partition])
        + first.to_bytes(2, "big")
        + allocation.to_bytes(4, "big")
        + bytes(2)
    )


def write_attribute(length: int, *, partition: int = 0) -> bytes:
    return bytes([0x8D, 0x01, 0, 0, 0, 0, 0, partition, 0, 0]) + length.to_bytes(4, "big") + bytes(2)


def report_density(*, media: bool = False, medium_type: bool = False, allocation: int = 1024) -> bytes:
    flags = (2 if medium_type else 0) | (1 if media else 0)
    return bytes([0x44, flags, 0, 0, 0, 0, 0]) + allocation.to_bytes(2, "big") + b"\x00"


def report_opcodes(
    *, rctd: bool = False, option: int = 0, opcode: int = 0, action: int = 0, allocation: int = 8192
) -> bytes:
    head = bytes([0xA3, 0x0C, (0x80 if rctd else 0) | option, opcode]) + action.to_bytes(2, "big")
    return head + allocation.to_bytes(4, "big") + bytes(2)


def report_luns(allocation: int = 256) -> bytes:
    return bytes([0xA0, 0, 0, 0, 0, 0]) + allocation.to_bytes(4, "big") + bytes(2)


def format_medium(kind: int = 0, *, immed: bool = False) -> bytes:
    return bytes([0x04, 1 if immed else 0, kind, 0, 0, 0])


# Medium changer (SMC-3).


def read_element_status(
    element_type: int = 0,
    *,
    start: int = 0,
    count: int = 0xFFFF,
    voltag: bool = True,
    dvcid: bool = False,
    allocation: int = 0xFFFF,
) -> bytes:
    head = (
        bytes([0xB8, (0x10 if voltag else 0) | element_type])
        + start.to_bytes(2, "big")
        + count.to_bytes(2, "big")
    )
    return head + bytes([1 if dvcid else 0]) + allocation.to_bytes(3, "big") + bytes(2)


def move_medium(source: int, destination: int, *, transport: int = 0) -> bytes:
    return (
        bytes([0xA5, 0])
        + transport.to_bytes(2, "big")
        + source.to_bytes(2, "big")
        + destination.to_bytes(2, "big")
        + bytes(4)
    )


def initialize_element_status() -> bytes:
    return bytes([0x07, 0, 0, 0, 0, 0])


# -- decoding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SenseView:
    response: int
    valid: bool
    key: int
    asc: int
    ascq: int
    filemark: bool
    eom: bool
    ili: bool
    information: int
    specific: bytes

    @property
    def triple(self) -> tuple[int, int, int]:
        return self.key, self.asc, self.ascq


def decode_sense(raw: bytes) -> SenseView:
    assert len(raw) >= 18 and raw[0] & 0x7F in (0x70, 0x71), raw.hex()
    return SenseView(
        response=raw[0] & 0x7F,
        valid=bool(raw[0] & 0x80),
        key=raw[2] & 0x0F,
        asc=raw[12],
        ascq=raw[13],
        filemark=bool(raw[2] & 0x80),
        eom=bool(raw[2] & 0x40),
        ili=bool(raw[2] & 0x20),
        information=int.from_bytes(raw[3:7], "big", signed=True),
        specific=bytes(raw[15:18]),
    )


@dataclass(frozen=True)
class LongPosition:
    bop: bool
    eop: bool
    partition: int
    object: int
    file: int


def decode_long_position(raw: bytes) -> LongPosition:
    assert len(raw) == 32, raw.hex()
    return LongPosition(
        bop=bool(raw[0] & 0x80),
        eop=bool(raw[0] & 0x40),
        partition=int.from_bytes(raw[4:8], "big"),
        object=int.from_bytes(raw[8:16], "big"),
        file=int.from_bytes(raw[16:24], "big"),
    )


def log_parameters(page: bytes) -> dict[int, bytes]:
    out = {}
    at = 4
    end = 4 + int.from_bytes(page[2:4], "big")
    while at < end:
        code, size = int.from_bytes(page[at : at + 2], "big"), page[at + 3]
        out[code] = page[at + 4 : at + 4 + size]
        at += 4 + size
    return out


# -- harness -------------------------------------------------------------------------------------


class Tape:
    """A transport to one emulated drive with one-line helpers for the common commands."""

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def run(self, cdb: bytes, *, data: bytes | None = None, length: int = 0) -> ScsiResult:
        if data is not None:
            return self.t.execute(cdb, Direction.TO_DEVICE, data=data)
        if length:
            return self.t.execute(cdb, Direction.FROM_DEVICE, length=length)
        return self.t.execute(cdb)

    def sense(self, result: ScsiResult) -> SenseView:
        assert result.status == 0x02, f"expected CHECK CONDITION, got {result}"
        return decode_sense(result.sense)

    def good(self, cdb: bytes, **kwargs: object) -> ScsiResult:
        result = self.run(cdb, **kwargs)  # type: ignore[arg-type]
        assert result.status == 0x00, (
            f"{cdb.hex()} → {decode_sense(result.sense) if result.sense else result}"
        )
        return result

    def settle(self, tries: int = 10) -> None:
        """Clear pending unit attentions; fails if the drive is not ready afterwards."""
        for _ in range(tries):
            result = self.run(tur())
            if result.status == 0:
                return
            assert decode_sense(result.sense).key == 0x06, decode_sense(result.sense)
        raise AssertionError("drive did not become ready")

    def write(self, data: bytes) -> ScsiResult:
        return self.run(write6(len(data)), data=data)

    def read(self, length: int, *, sili: bool = False) -> ScsiResult:
        return self.run(read6(length, sili=sili), length=length)

    def position(self) -> LongPosition:
        return decode_long_position(self.good(read_position(0x06), length=32).data)

    def locate(self, block: int) -> ScsiResult:
        return self.run(locate16(block))


def expect(
    tape: Tape,
    result: ScsiResult,
    key: int,
    asc: int,
    ascq: int,
    *,
    filemark: bool = False,
    eom: bool = False,
    ili: bool = False,
    information: int | None = None,
) -> None:
    """Assert a CHECK CONDITION exactly: key/ASC/ASCQ, the three bits, and VALID + INFORMATION."""
    sense = tape.sense(result)
    assert sense.response == 0x70
    assert sense.triple == (key, asc, ascq)
    assert (sense.filemark, sense.eom, sense.ili) == (filemark, eom, ili)
    assert sense.valid == (information is not None)
    if information is not None:
        assert sense.information == information


def select_block_length(tape: Tape, length: int) -> None:
    """MODE SELECT(6) with only a block descriptor: 0 = variable blocks, else fixed."""
    parameters = bytes([0, 0, 0x10, 8]) + bytes([0, 0, 0, 0, 0]) + length.to_bytes(3, "big")
    tape.good(mode_select6(len(parameters)), data=parameters)


def standalone_library(root: Path, **options: object) -> Library:
    """One drive, no changer, no cartridges yet; 1 MiB cartridges with early warning at 75 %."""
    settings: dict[str, object] = {
        "drives": 1,
        "slots": 0,
        "cartridges": 0,
        "capacity": 1 << 20,
        "early_warning_pct": 25,
        "long_erase_seconds": 0.4,
    }
    settings.update(options)
    return Library.create(root, **settings)  # type: ignore[arg-type]


def mount(lib: Library, media: str = "L9", **options: object) -> Tape:
    """Make a cartridge, put it into drive 0 and return the drive ready (attentions cleared)."""
    barcode = lib.add_cartridge(media=media, **options)  # type: ignore[arg-type]
    lib.insert(barcode)
    tape = Tape(EmulatedTransport(lib.root, 0))
    tape.settle()
    return tape
