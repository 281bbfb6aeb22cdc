"""Drive commands that describe the device: INQUIRY (standard and VPD), READ BLOCK LIMITS,
REPORT DENSITY SUPPORT, REPORT SUPPORTED OPERATION CODES, REPORT LUNS.

Identity follows the real ULTRIUM-HH9 reply in tape-scsi.md §1.1: PDT 01h, RMB, SPC-4, HiSup,
response format 2, PROTECT, MultiP, CmdQue, 70 bytes; VPD 80h is the 10-character serial.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from tape.emulator.codec import ascii_field, be, u16, u32
from tape.emulator.commands import CommandTable, Reply, trim
from tape.emulator.media import DRIVE_DENSITIES, MEDIA, MediaType
from tape.emulator.sense import invalid_field_in_cdb

if TYPE_CHECKING:
    from tape.emulator.drive import Drive

# This family's commands; the drive names each family when it builds its table.
COMMANDS = CommandTable()

VENDOR = "IBM"
PRODUCT = "ULT3580-HH9"
IBM_OUI = 0x005076
# TapeAlert flags this drive can raise (VPD B2h).
SUPPORTED_ALERTS = (
    0x01,
    0x02,
    0x03,
    0x04,
    0x05,
    0x06,
    0x07,
    0x08,
    0x09,
    0x0A,
    0x0B,
    0x0C,
    0x0F,
    0x10,
    0x11,
    0x12,
    0x13,
    0x14,
    0x15,
    0x16,
    0x17,
    0x1E,
    0x1F,
    0x20,
    0x21,
    0x22,
    0x24,
    0x27,
    0x31,
    0x32,
    0x33,
    0x34,
    0x35,
    0x36,
    0x37,
    0x38,
    0x3B,
    0x3C,
)
# Density descriptor facts (REPORT DENSITY SUPPORT): bits per mm, tracks, name, description.
DENSITY_FACTS = {
    "L9": (21459, 8960, "U-932", "Ultrium 9/48T"),
    "L8": (20668, 6656, "U-832", "Ultrium 8/30T"),
}


def inquiry_header(peripheral_type: int, vendor: str, product: str, revision: str) -> bytearray:
    """The first 36 bytes of standard INQUIRY data, padded to 70 like the real drive."""
    out = bytearray(70)
    out[0] = peripheral_type
    out[1] = 0x80  # RMB: removable medium
    out[2] = 0x06  # SPC-4
    out[3] = 0x12  # HiSup, response data format 2
    out[4] = len(out) - 5
    out[8:16] = ascii_field(vendor, 8)
    out[16:32] = ascii_field(product, 16)
    out[32:36] = ascii_field(revision, 4)
    for i, descriptor in enumerate((0x00A0, 0x0460, 0x0360)):  # SAM-5, SPC-4, SSC-4
        out[58 + 2 * i : 60 + 2 * i] = descriptor.to_bytes(2, "big")
    return out


def naa_identifier(serial: str) -> bytes:
    """A stable NAA 5 (IEEE registered) world-wide name derived from the serial."""
    low = int.from_bytes(hashlib.sha1(serial.encode()).digest()[:5], "big") & ((1 << 36) - 1)
    return ((5 << 60) | (IBM_OUI << 36) | low).to_bytes(8, "big")


def identification_page(peripheral_type: int, vendor: str, product: str, serial: str) -> bytes:
    """VPD 83h: a T10 vendor-id designator and an NAA designator."""
    t10 = ascii_field(vendor, 8) + ascii_field(product, 16) + serial.encode("ascii")
    body = bytes([0x02, 0x01, 0x00, len(t10)]) + t10
    body += bytes([0x01, 0x03, 0x00, 0x08]) + naa_identifier(serial)
    return bytes([peripheral_type, 0x83]) + len(body).to_bytes(2, "big") + body


def serial_page(peripheral_type: int, serial: str) -> bytes:
    return bytes([peripheral_type, 0x80, 0x00, len(serial)]) + serial.encode("ascii")


def inquiry_reply(cdb: bytes, standard: bytes, vpd: dict[int, bytes]) -> Reply:
    """Answer INQUIRY from a standard reply and a table of VPD pages (drive and changer)."""
    if cdb[1] & 0x02:
        raise invalid_field_in_cdb(1, 1)  # CMDDT is obsolete
    allocation = u16(cdb, 3)
    if not cdb[1] & 0x01:
        if cdb[2]:
            raise invalid_field_in_cdb(2)
        return Reply(data=trim(standard, allocation))
    page = vpd.get(cdb[2])
    if page is None:
        raise invalid_field_in_cdb(2)
    return Reply(data=trim(page, allocation))


@COMMANDS.register(0x12, "INQUIRY", 6)
def inquiry(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    standard = inquiry_header(0x01, VENDOR, PRODUCT, d.library.drive_revision)
    standard[5] = 0x01  # PROTECT: logical block protection supported
    standard[6] = 0x10  # MultiP
    standard[7] = 0x02  # CmdQue
    pages = (0x00, 0x80, 0x83, 0xB0, 0xB2)
    vpd = {
        0x00: bytes([0x01, 0x00, 0x00, len(pages), *pages]),
        0x80: serial_page(0x01, d.serial),
        0x83: identification_page(0x01, VENDOR, PRODUCT, d.serial),
        0xB0: bytes([0x01, 0xB0, 0x00, 0x02, 0x01, 0x00]),  # WORM supported
        0xB2: _alerts_page(),
    }
    return inquiry_reply(cdb, bytes(standard), vpd)


def _alerts_page() -> bytes:
    bits = 0
    for flag in SUPPORTED_ALERTS:
        bits |= 1 << (64 - flag)
    return bytes([0x01, 0xB2, 0x00, 0x0C]) + bits.to_bytes(8, "big") + bytes(4)


@COMMANDS.register(0x05, "READ BLOCK LIMITS", 6)
def read_block_limits(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    if cdb[1] & 0x01:  # MLOI: report the maximum logical object identifier instead
        return Reply(data=bytes(12) + be(0xFFFFFFFF, 8))
    return Reply(data=bytes([0]) + be(d.library.max_block_length, 3) + be(1, 2))


def density_descriptor(media: MediaType, capacity_mb: int, *, default: bool) -> bytes:
    bits_mm, tracks, name, description = DENSITY_FACTS[media.code]
    out = bytearray(52)
    out[0] = out[1] = media.density
    out[2] = 0x80 | (0x20 if default else 0)  # WRTOK, DEFLT
    out[5:8] = be(bits_mm, 3)
    out[8:10] = be(127, 2)  # 12.7 mm
    out[10:12] = be(tracks, 2)
    out[12:16] = be(capacity_mb, 4)
    out[16:24] = ascii_field("LTO-CVE", 8)
    out[24:32] = ascii_field(name, 8)
    out[32:52] = ascii_field(description, 20)
    return bytes(out)


def medium_type_descriptor(media: MediaType) -> bytes:
    out = bytearray(56)
    out[0] = media.medium_type
    out[2:4] = be(52, 2)
    out[4] = 1
    out[5] = media.density
    out[13:15] = be(127, 2)
    out[15:17] = be(media.length_m, 2)
    out[19:27] = ascii_field("LTO-CVE", 8)
    out[27:35] = ascii_field(f"LTO-{media.generation}" if media.generation else "CLEAN", 8)
    out[35:55] = ascii_field(f"Ultrium {media.generation} {'WORM' if media.worm else 'data'}", 20)
    return bytes(out)


@COMMANDS.register(0x44, "REPORT DENSITY SUPPORT", 10)
def report_density_support(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    only_loaded = bool(cdb[1] & 0x01)
    by_medium_type = bool(cdb[1] & 0x02)
    if only_loaded:
        d.require_ready()
        cart = d.loaded
        kinds = [cart.media]
        capacity_mb = {cart.media.code: cart.state.capacity // 1_000_000}
    else:
        kinds = [MEDIA[code] for code in DRIVE_DENSITIES]
        capacity_mb = {k.code: k.native_capacity // 1_000_000 for k in kinds}
    if by_medium_type:
        if not only_loaded:
            kinds = [MEDIA[c] for c in ("L9", "LZ", "L8", "LY")]
        body = b"".join(medium_type_descriptor(k) for k in kinds)
    else:
        body = b"".join(
            density_descriptor(k, capacity_mb[k.code], default=k.code == DRIVE_DENSITIES[0]) for k in kinds
        )
    reply = (len(body) + 2).to_bytes(2, "big") + bytes(2) + body
    return Reply(data=trim(reply, u16(cdb, 7)))


@COMMANDS.register(0xA3, "REPORT SUPPORTED OPERATION CODES", 12, service_action=0x0C)
def report_supported_opcodes(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return Reply(data=trim(d.commands.report_supported(cdb), u32(cdb, 6)))


def report_luns_reply(cdb: bytes) -> Reply:
    if cdb[2] not in (0x00, 0x01, 0x02):
        raise invalid_field_in_cdb(2)
    if u32(cdb, 6) < 16:
        raise invalid_field_in_cdb(6)
    return Reply(data=trim(be(8, 4) + bytes(4) + bytes(8), u32(cdb, 6)))


@COMMANDS.register(0xA0, "REPORT LUNS", 12)
def report_luns(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return report_luns_reply(cdb)
