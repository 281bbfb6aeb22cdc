"""INQUIRY replies: the standard data and the vital product data (VPD) pages a tape driver reads.

Public API:
- `parse_inquiry(data) -> StandardInquiry` — device type, vendor, product, revision, flags.
- `parse_vpd(data) -> VpdPage` — any VPD page: device type, page code, payload.
- `parse_supported_vpd_pages(data) -> list[int]` (00h)
- `parse_unit_serial(data) -> str` (80h, the drive serial that keys a drive)
- `parse_device_identification(data) -> list[Designator]` (83h)
- `parse_sequential_capabilities(data) -> SequentialCapabilities` (B0h: WORM, TSMC)
- Device types: TAPE = 01h, CHANGER = 08h.
"""

from __future__ import annotations

from dataclasses import dataclass

from tape.scsi.errors import MalformedReply
from tape.scsi.fields import ascii_text

TAPE = 0x01
CHANGER = 0x08

VPD_SUPPORTED_PAGES = 0x00
VPD_UNIT_SERIAL = 0x80
VPD_DEVICE_IDENTIFICATION = 0x83
VPD_SEQUENTIAL_CAPABILITIES = 0xB0


class InquiryError(MalformedReply):
    """The reply is too short or not the page asked for."""


@dataclass(frozen=True)
class StandardInquiry:
    """Standard INQUIRY data (SPC-4)."""

    qualifier: int
    device_type: int
    removable: bool
    version: int
    response_format: int
    hisup: bool
    protect: bool
    multi_port: bool
    command_queueing: bool
    vendor: str
    product: str
    revision: str
    raw: bytes

    @property
    def is_tape(self) -> bool:
        return self.qualifier == 0 and self.device_type == TAPE

    @property
    def is_changer(self) -> bool:
        return self.qualifier == 0 and self.device_type == CHANGER


def parse_inquiry(data: bytes) -> StandardInquiry:
    """Decode standard INQUIRY data; vendor, product and revision are stripped of padding."""
    if len(data) < 36:
        raise InquiryError(f"standard INQUIRY data needs 36 bytes, got {len(data)}")
    return StandardInquiry(
        qualifier=data[0] >> 5,
        device_type=data[0] & 0x1F,
        removable=bool(data[1] & 0x80),
        version=data[2],
        response_format=data[3] & 0x0F,
        hisup=bool(data[3] & 0x10),
        protect=bool(data[5] & 0x01),
        multi_port=bool(data[6] & 0x10),
        command_queueing=bool(data[7] & 0x02),
        vendor=ascii_text(data[8:16]),
        product=ascii_text(data[16:32]),
        revision=ascii_text(data[32:36]),
        raw=bytes(data),
    )


@dataclass(frozen=True)
class VpdPage:
    device_type: int
    page: int
    payload: bytes


def parse_vpd(data: bytes, expected_page: int | None = None) -> VpdPage:
    """Split a VPD reply into its header and payload (2-byte page length, as SPC-4 defines)."""
    if len(data) < 4:
        raise InquiryError(f"VPD reply of {len(data)} bytes is shorter than its header")
    page = data[1]
    if expected_page is not None and page != expected_page:
        raise InquiryError(f"asked for VPD page {expected_page:02X}h, got {page:02X}h")
    length = int.from_bytes(data[2:4], "big")
    return VpdPage(device_type=data[0] & 0x1F, page=page, payload=bytes(data[4 : 4 + length]))


def parse_supported_vpd_pages(data: bytes) -> list[int]:
    """VPD 00h: the page codes the device supports."""
    return list(parse_vpd(data, VPD_SUPPORTED_PAGES).payload)


def parse_unit_serial(data: bytes) -> str:
    """VPD 80h: the unit serial number (10 ASCII characters on IBM LTO drives)."""
    return ascii_text(parse_vpd(data, VPD_UNIT_SERIAL).payload)


@dataclass(frozen=True)
class Designator:
    """One designation descriptor of VPD 83h."""

    protocol: int
    code_set: int  # 1 binary, 2 ASCII, 3 UTF-8
    piv: bool
    association: int  # 0 logical unit, 1 target port, 2 target device
    designator_type: int  # 1 T10 vendor id, 2 EUI-64, 3 NAA, 8 SCSI name string …
    value: bytes

    @property
    def text(self) -> str:
        """The value as text for ASCII/UTF-8 designators, else as hexadecimal."""
        if self.code_set in (2, 3):
            return self.value.decode("utf-8", errors="replace").strip(" \x00")
        return self.value.hex()


def parse_device_identification(data: bytes) -> list[Designator]:
    """VPD 83h: the list of designators (a truncated last one is dropped)."""
    payload = parse_vpd(data, VPD_DEVICE_IDENTIFICATION).payload
    result: list[Designator] = []
    offset = 0
    while offset + 4 <= len(payload):
        length = payload[offset + 3]
        if offset + 4 + length > len(payload):
            break
        b0, b1 = payload[offset], payload[offset + 1]
        result.append(
            Designator(
                protocol=b0 >> 4,
                code_set=b0 & 0x0F,
                piv=bool(b1 & 0x80),
                association=(b1 >> 4) & 0x03,
                designator_type=b1 & 0x0F,
                value=bytes(payload[offset + 4 : offset + 4 + length]),
            )
        )
        offset += 4 + length
    return result


@dataclass(frozen=True)
class SequentialCapabilities:
    """VPD B0h for a sequential-access device (SSC-4)."""

    worm: bool
    tape_stream_mirroring: bool


def parse_sequential_capabilities(data: bytes) -> SequentialCapabilities:
    """VPD B0h: WORM (byte 4 bit 0) and TSMC (bit 1)."""
    payload = parse_vpd(data, VPD_SEQUENTIAL_CAPABILITIES).payload
    flags = payload[0] if payload else 0
    return SequentialCapabilities(worm=bool(flags & 0x01), tape_stream_mirroring=bool(flags & 0x02))
