"""MODE SENSE / MODE SELECT data: header, block descriptor and pages, in the 6- and 10-byte forms.

Public API:
- `parse_mode_data(data, ten=False) -> ModeData` (also `parse_mode_sense6`, `parse_mode_sense10`)
- `ModeData` — `header` (`ModeHeader`: medium type, write protect, buffered mode, speed),
  `descriptors` (`BlockDescriptor`: density, blocks, block length 0 = variable), `pages`,
  `page(code, subpage)`.
- `ModePage` — one page (code, subpage, body); `encode()` for MODE SELECT (PS bit cleared).
- `build_mode_select(pages, descriptor, ten)` — the parameter list for MODE SELECT(6)/(10).
- `DataCompression` (page 0Fh) and `DeviceConfiguration` (page 10h): decode, change, `to_page()`.
- `decode_lto_medium_type(code) -> LtoMedium | None` — IBM medium type (98h L9, 9Ch LZ, 88h L8 …).
- Page codes: DATA_COMPRESSION 0Fh, DEVICE_CONFIGURATION 10h (subpage 01h = extension),
  MEDIUM_PARTITION 11h, CONTROL 0Ah, ELEMENT_ADDRESS_ASSIGNMENT 1Dh, ALL_PAGES 3Fh.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tape.scsi.errors import MalformedReply

CONTROL = 0x0A
DATA_COMPRESSION = 0x0F
DEVICE_CONFIGURATION = 0x10
DEVICE_CONFIGURATION_EXTENSION_SUBPAGE = 0x01
MEDIUM_PARTITION = 0x11
ELEMENT_ADDRESS_ASSIGNMENT = 0x1D
ALL_PAGES = 0x3F

BUFFERED = 0x10  # device-specific parameter: buffered mode 1 (bits 6-4)


class ModeDataError(MalformedReply):
    """The reply is too short or inconsistent."""


@dataclass(frozen=True)
class ModeHeader:
    medium_type: int
    device_specific: int
    block_descriptor_length: int

    @property
    def write_protected(self) -> bool:
        return bool(self.device_specific & 0x80)

    @property
    def buffered_mode(self) -> int:
        return (self.device_specific >> 4) & 0x07

    @property
    def speed(self) -> int:
        return self.device_specific & 0x0F


@dataclass(frozen=True)
class BlockDescriptor:
    density: int = 0  # 0 = keep the default; 60h LTO-9, 5Eh LTO-8
    blocks: int = 0
    block_length: int = 0  # 0 = variable-block mode

    def encode(self) -> bytes:
        return (
            bytes((self.density,))
            + self.blocks.to_bytes(3, "big")
            + b"\x00"
            + self.block_length.to_bytes(3, "big")
        )

    @classmethod
    def decode(cls, raw: bytes) -> BlockDescriptor:
        return cls(raw[0], int.from_bytes(raw[1:4], "big"), int.from_bytes(raw[5:8], "big"))


@dataclass(frozen=True)
class ModePage:
    code: int
    body: bytes  # the bytes after the page header
    subpage: int = 0
    subpage_format: bool = False
    saveable: bool = False

    def encode(self) -> bytes:
        """The page as MODE SELECT wants it: same layout, PS bit cleared."""
        if self.subpage_format or self.subpage:
            return bytes((0x40 | self.code, self.subpage)) + len(self.body).to_bytes(2, "big") + self.body
        return bytes((self.code, len(self.body))) + self.body


@dataclass(frozen=True)
class ModeData:
    header: ModeHeader
    descriptors: list[BlockDescriptor] = field(default_factory=list)
    pages: list[ModePage] = field(default_factory=list)

    def page(self, code: int, subpage: int = 0) -> ModePage | None:
        return next((p for p in self.pages if p.code == code and p.subpage == subpage), None)

    @property
    def descriptor(self) -> BlockDescriptor | None:
        return self.descriptors[0] if self.descriptors else None


def _parse_pages(data: bytes) -> list[ModePage]:
    pages: list[ModePage] = []
    offset = 0
    while offset + 2 <= len(data):
        first = data[offset]
        if first & 0x40:  # SPF: 4-byte header with subpage and 2-byte length
            if offset + 4 > len(data):
                break
            start, length, subpage = (
                offset + 4,
                int.from_bytes(data[offset + 2 : offset + 4], "big"),
                data[offset + 1],
            )
        else:
            start, length, subpage = offset + 2, data[offset + 1], 0
        if start + length > len(data):
            break
        pages.append(
            ModePage(
                first & 0x3F,
                bytes(data[start : start + length]),
                subpage,
                bool(first & 0x40),
                bool(first & 0x80),
            )
        )
        offset = start + length
    return pages


def _parse(data: bytes, header_size: int, data_length: int, header: ModeHeader) -> ModeData:
    end = min(len(data), data_length)
    desc_end = header_size + header.block_descriptor_length
    if desc_end > end:
        raise ModeDataError("block descriptors run past the end of the mode data")
    descriptors = [BlockDescriptor.decode(data[o : o + 8]) for o in range(header_size, desc_end - 7, 8)]
    return ModeData(header, descriptors, _parse_pages(data[desc_end:end]))


def parse_mode_sense6(data: bytes) -> ModeData:
    """MODE SENSE(6) reply: 4-byte header (length, medium type, device-specific, descriptor length)."""
    if len(data) < 4:
        raise ModeDataError("MODE SENSE(6) reply is shorter than its header")
    return _parse(data, 4, data[0] + 1, ModeHeader(data[1], data[2], data[3]))


def parse_mode_sense10(data: bytes) -> ModeData:
    """MODE SENSE(10) reply: 8-byte header with 2-byte length and 2-byte descriptor length."""
    if len(data) < 8:
        raise ModeDataError("MODE SENSE(10) reply is shorter than its header")
    header = ModeHeader(data[2], data[3], int.from_bytes(data[6:8], "big"))
    return _parse(data, 8, int.from_bytes(data[0:2], "big") + 2, header)


def parse_mode_data(data: bytes, ten: bool = False) -> ModeData:
    return parse_mode_sense10(data) if ten else parse_mode_sense6(data)


def build_mode_select(
    pages: list[ModePage] | tuple[ModePage, ...] = (),
    descriptor: BlockDescriptor | None = None,
    *,
    ten: bool = False,
    device_specific: int = BUFFERED,
) -> bytes:
    """The MODE SELECT parameter list: header (data length and medium type 0), descriptor, pages.

    Buffered mode stays on by default; turning it off would make every WRITE wait for the tape.
    """
    desc = descriptor.encode() if descriptor is not None else b""
    body = desc + b"".join(p.encode() for p in pages)
    if ten:
        header = bytes((0, 0, 0, device_specific, 0, 0)) + len(desc).to_bytes(2, "big")
    else:
        header = bytes((0, 0, device_specific, len(desc)))
    return header + body


def _page_body(page: ModePage, code: int, size: int) -> bytes:
    if page.code != code:
        raise ModeDataError(f"expected mode page {code:02X}h, got {page.code:02X}h")
    if len(page.body) < size:
        raise ModeDataError(f"mode page {code:02X}h body needs {size} bytes, got {len(page.body)}")
    return page.body


def _set_bit(value: int, mask: int, on: bool) -> int:
    return value | mask if on else value & ~mask


@dataclass(frozen=True)
class DataCompression:
    """Mode page 0Fh. Offsets below are page offsets (header included), as SSC writes them."""

    compress: bool  # DCE, byte 2 bit 7
    capable: bool  # DCC, byte 2 bit 6
    decompress: bool  # DDE, byte 3 bit 7
    report_exception: int  # RED, byte 3 bits 6-5
    compression_algorithm: int  # bytes 4-7
    decompression_algorithm: int  # bytes 8-11
    body: bytes

    @classmethod
    def from_page(cls, page: ModePage) -> DataCompression:
        b = _page_body(page, DATA_COMPRESSION, 10)
        return cls(
            compress=bool(b[0] & 0x80),
            capable=bool(b[0] & 0x40),
            decompress=bool(b[1] & 0x80),
            report_exception=(b[1] >> 5) & 0x03,
            compression_algorithm=int.from_bytes(b[2:6], "big"),
            decompression_algorithm=int.from_bytes(b[6:10], "big"),
            body=page.body,
        )

    def with_compression(self, enabled: bool) -> DataCompression:
        return replace(self, compress=enabled)

    def to_page(self) -> ModePage:
        b = bytearray(self.body)
        b[0] = _set_bit(b[0], 0x80, self.compress)
        b[1] = _set_bit(b[1], 0x80, self.decompress)
        return ModePage(DATA_COMPRESSION, bytes(b))


@dataclass(frozen=True)
class DeviceConfiguration:
    """Mode page 10h, the fields a backup driver sets (page offsets in comments)."""

    active_partition: int  # byte 3
    write_delay: int  # bytes 6-7, in 100 ms units
    report_early_warning: bool  # REW, byte 8 bit 0
    logical_object_identifiers: bool  # LOIS, byte 8 bit 6
    enable_early_warning: bool  # EEG, byte 10 bit 4
    sync_at_early_warning: bool  # SEW, byte 10 bit 3
    select_compression: int  # byte 14: 0 off, 1 the default algorithm
    body: bytes

    @classmethod
    def from_page(cls, page: ModePage) -> DeviceConfiguration:
        b = _page_body(page, DEVICE_CONFIGURATION, 14)
        return cls(
            active_partition=b[1],
            write_delay=int.from_bytes(b[4:6], "big"),
            report_early_warning=bool(b[6] & 0x01),
            logical_object_identifiers=bool(b[6] & 0x40),
            enable_early_warning=bool(b[8] & 0x10),
            sync_at_early_warning=bool(b[8] & 0x08),
            select_compression=b[12],
            body=page.body,
        )

    def to_page(self) -> ModePage:
        b = bytearray(self.body)
        b[4:6] = self.write_delay.to_bytes(2, "big")
        b[6] = _set_bit(b[6], 0x01, self.report_early_warning)
        b[8] = _set_bit(_set_bit(b[8], 0x10, self.enable_early_warning), 0x08, self.sync_at_early_warning)
        b[12] = self.select_compression
        # Active partition is read-only through MODE SELECT on SSC drives (LOCATE changes it); keep it.
        return ModePage(DEVICE_CONFIGURATION, bytes(b))


@dataclass(frozen=True)
class LtoMedium:
    generation: int
    worm: bool


def decode_lto_medium_type(code: int) -> LtoMedium | None:
    """IBM medium type byte: high nibble = LTO generation, low nibble 8 data or Ch WORM (bit 2)."""
    if code & 0x0B != 0x08 or not code >> 4:
        return None
    return LtoMedium(generation=code >> 4, worm=bool(code & 0x04))
