"""Medium auxiliary memory (cartridge memory) attributes: which exist, their values, their codec.

Attribute ids and sizes follow tape-scsi.md §2.5 (SPC-4 READ/WRITE ATTRIBUTE). Device (0000h–03FFh)
and medium (0400h–07FFh) attributes are computed from the cartridge state and are read-only;
host attributes (0800h–0BFFh and vendor 1400h–17FFh) are stored in the cartridge's mam.json.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tape.emulator.cartridge import Cartridge
from tape.emulator.codec import ascii_field, be, u16, u32
from tape.emulator.sense import (
    ILLEGAL_REQUEST,
    PARAMETER_LIST_LENGTH_ERROR,
    CheckCondition,
    Sense,
    invalid_field_in_parameters,
)

BINARY, ASCII, TEXT = 0, 1, 2
MIB = 1 << 20
MAM_CAPACITY = 16384  # 0407h; UNVERIFIED for LTO-9, any plausible size does
HOST_AREA = 4096  # bytes the host attributes may use (0004h counts down from here)
MEDIUM_MANUFACTURER = "FUJIFILM"


@dataclass(frozen=True)
class Attribute:
    """One attribute as READ ATTRIBUTE reports it."""

    id: int
    fmt: int
    read_only: bool
    value: bytes

    def encode(self) -> bytes:
        head = self.id.to_bytes(2, "big") + bytes([(0x80 if self.read_only else 0) | self.fmt])
        return head + len(self.value).to_bytes(2, "big") + self.value


# Standard host attributes: (length, format); a length of None means variable.
HOST_STANDARD: dict[int, tuple[int | None, int]] = {
    0x0800: (8, ASCII),  # application vendor
    0x0801: (32, ASCII),  # application name
    0x0802: (8, ASCII),  # application version
    0x0803: (160, TEXT),  # user medium text label
    0x0804: (12, ASCII),  # date and time last written
    0x0805: (1, BINARY),  # text localization identifier
    0x0806: (32, ASCII),  # barcode
    0x0807: (80, TEXT),  # owning host textual name
    0x0808: (160, TEXT),  # media pool
    0x0809: (16, ASCII),  # partition user text label
    0x080A: (1, BINARY),  # load/unload at partition
    0x080B: (16, ASCII),  # application format version
    0x080C: (None, BINARY),  # volume coherency information (LTFS)
    0x0820: (36, BINARY),  # medium globally unique identifier
    0x0821: (36, BINARY),  # media pool globally unique identifier
}

# Every id READ ATTRIBUTE (SA 05h, supported attributes) lists, host ones included.
DEVICE_IDS = (
    0x0000,
    0x0001,
    0x0002,
    0x0003,
    0x0004,
    0x0005,
    0x0006,
    0x0007,
    0x0009,
    0x020A,
    0x020B,
    0x020C,
    0x020D,
    0x0220,
    0x0221,
    0x0222,
    0x0223,
)
MEDIUM_IDS = (0x0400, 0x0401, 0x0402, 0x0403, 0x0404, 0x0405, 0x0406, 0x0407, 0x0408, 0x0409)


def host_writable(attribute_id: int) -> bool:
    return 0x0800 <= attribute_id <= 0x0BFF or 0x1400 <= attribute_id <= 0x17FF


def host_bytes_used(cart: Cartridge) -> int:
    return sum(5 + len(value) for _fmt, value in cart.attributes.values())


@dataclass(frozen=True)
class LoadFacts:
    """What the drive adds to the device attributes: this load's counters and flags."""

    bytes_written: int = 0
    bytes_read: int = 0
    tape_alerts: int = 0


def attributes(cart: Cartridge, partition: int, load: LoadFacts) -> list[Attribute]:
    """Every attribute of the cartridge as seen from `partition`, in ascending id order."""
    state = cart.state
    media = cart.media
    part = cart.partitions[partition] if partition < len(cart.partitions) else None
    capacity = part.capacity if part else 0
    used = part.data_end if part else 0

    def binary(aid: int, value: int, width: int) -> Attribute:
        return Attribute(aid, BINARY, True, be(value, width))

    def text(aid: int, value: str, width: int) -> Attribute:
        return Attribute(aid, ASCII, True, ascii_field(value, width))

    out = [
        binary(0x0000, max(capacity - used, 0) // MIB, 8),
        binary(0x0001, capacity // MIB, 8),
        binary(0x0002, load.tape_alerts, 8),
        binary(0x0003, state.load_count, 8),
        binary(0x0004, max(HOST_AREA - host_bytes_used(cart), 0), 8),
        text(0x0005, "LTO-CVE", 8),
        binary(0x0006, media.density, 1),
        binary(0x0007, state.initialization_count, 2),
        binary(0x0009, state.volume_change_reference, 4),
    ]
    for i in range(4):
        serial = state.last_drives[i] if i < len(state.last_drives) else ""
        value = ascii_field("IBM", 8) + ascii_field(serial, 32) if serial else ascii_field("", 40)
        out.append(Attribute(0x020A + i, ASCII, True, value))
    out += [
        binary(0x0220, (state.bytes_written + load.bytes_written) // MIB, 8),
        binary(0x0221, (state.bytes_read + load.bytes_read) // MIB, 8),
        binary(0x0222, load.bytes_written // MIB, 8),
        binary(0x0223, load.bytes_read // MIB, 8),
        text(0x0400, MEDIUM_MANUFACTURER, 8),
        text(0x0401, state.serial, 32),
        binary(0x0402, media.length_m, 4),
        binary(0x0403, 127, 4),
        text(0x0404, "LTO-CVE", 8),
        binary(0x0405, media.density, 1),
        text(0x0406, state.manufactured, 8),
        binary(0x0407, MAM_CAPACITY, 8),
        binary(0x0408, media.mam_medium_type, 1),
        binary(0x0409, 50 if media.cleaning else 0, 2),
    ]
    out += [Attribute(aid, fmt, False, value) for aid, (fmt, value) in sorted(cart.attributes.items())]
    return out


def supported_ids(cart: Cartridge) -> list[int]:
    return sorted(set(DEVICE_IDS) | set(MEDIUM_IDS) | set(HOST_STANDARD) | set(cart.attributes))


def encode_values(items: Iterable[Attribute]) -> bytes:
    """READ ATTRIBUTE (ATTRIBUTE VALUES) reply: 4-byte available length, then the attributes."""
    body = b"".join(a.encode() for a in items)
    return len(body).to_bytes(4, "big") + body


def parse_write_list(data: bytes) -> list[tuple[int, int, bytes]]:
    """Parse and validate a WRITE ATTRIBUTE parameter list; all or nothing.

    Raises CheckCondition: 5/1A/00 if the list is cut short, 5/26/00 for a read-only or
    unknown-range id, a wrong length or format of a standard attribute, or ids not ascending.
    """
    if len(data) < 4:
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    end = 4 + u32(data, 0)
    if end > len(data):
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    out: list[tuple[int, int, bytes]] = []
    at = 4
    previous = -1
    while at < end:
        if at + 5 > end:
            raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
        aid = u16(data, at)
        fmt = data[at + 2] & 0x03
        length = u16(data, at + 3)
        value = bytes(data[at + 5 : at + 5 + length])
        if len(value) != length:
            raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
        if not host_writable(aid) or aid <= previous:
            raise invalid_field_in_parameters(at)
        standard = HOST_STANDARD.get(aid)
        if standard and length:
            size, kind = standard
            if (size is not None and length != size) or fmt != kind:
                raise invalid_field_in_parameters(at + 3)
        out.append((aid, fmt, value))
        previous = aid
        at += 5 + length
    return out


def apply_write(cart: Cartridge, items: list[tuple[int, int, bytes]]) -> None:
    """Store parsed attributes (length 0 deletes), refusing with 5/55/06 if MAM space runs out."""
    updated = dict(cart.attributes)
    for aid, fmt, value in items:
        if value:
            updated[aid] = (fmt, value)
        else:
            updated.pop(aid, None)
    if sum(5 + len(v) for _f, v in updated.values()) > HOST_AREA:
        raise CheckCondition(Sense(ILLEGAL_REQUEST, 0x55, 0x06))
    cart.attributes = updated
    cart.save_attributes()
