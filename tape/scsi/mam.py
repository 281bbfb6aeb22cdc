"""Cartridge memory (MAM) attributes: READ ATTRIBUTE replies and WRITE ATTRIBUTE parameter lists.

Each attribute is an id (2 bytes), a byte with READ ONLY (bit 7) and FORMAT (bits 1-0: binary,
ASCII, text), a 2-byte length and the value. Standard attributes have a fixed length; ASCII values
are left-aligned and padded with spaces, text values (UTF-8 when 0805h = 81h) padded with NULs.

Public API:
- `Attribute` — id, format, value, read_only; `.as_int`, `.as_text`, `.label` (Chinese, for the UI);
  constructors `Attribute.binary(id, number)`, `Attribute.ascii(id, text)`, `Attribute.text(id, text)`.
- `decode_attributes(data) -> dict[int, Attribute]` (SA 00h reply)
- `encode_attributes(attrs) -> bytes` (WRITE ATTRIBUTE parameter list)
- `decode_attribute_list(data) -> list[int]` (SA 01h/05h reply: ids only)
- `ATTRIBUTES` — the catalogue of known ids (name, length, format, host-writable); id constants
  such as REMAINING_CAPACITY, MAXIMUM_CAPACITY, LOAD_COUNT, MEDIUM_SERIAL, BARCODE, MEDIA_POOL …
- `TEXT_UTF8` — the 0805h value that declares text attributes as UTF-8.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from tape.scsi.errors import MalformedReply
from tape.scsi.messages import MAM_LABELS


class AttributeFormat(enum.IntEnum):
    BINARY = 0
    ASCII = 1
    TEXT = 2


@dataclass(frozen=True)
class AttributeSpec:
    name: str
    length: int  # 0 = variable
    format: AttributeFormat
    host_writable: bool


B, A, T = AttributeFormat.BINARY, AttributeFormat.ASCII, AttributeFormat.TEXT

REMAINING_CAPACITY = 0x0000  # MiB left in the partition
MAXIMUM_CAPACITY = 0x0001  # MiB
TAPEALERT_FLAGS = 0x0002
LOAD_COUNT = 0x0003
MAM_SPACE_REMAINING = 0x0004
FORMAT_DENSITY = 0x0006
INITIALIZATION_COUNT = 0x0007
VOLUME_CHANGE_REFERENCE = 0x0009
MEDIUM_MANUFACTURER = 0x0400
MEDIUM_SERIAL = 0x0401
MEDIUM_LENGTH = 0x0402
MEDIUM_WIDTH = 0x0403
ASSIGNING_ORGANIZATION = 0x0404
MEDIUM_DENSITY = 0x0405
MANUFACTURE_DATE = 0x0406
MAM_CAPACITY = 0x0407
MEDIUM_TYPE = 0x0408
MEDIUM_TYPE_INFORMATION = 0x0409
APPLICATION_VENDOR = 0x0800
APPLICATION_NAME = 0x0801
APPLICATION_VERSION = 0x0802
USER_MEDIUM_LABEL = 0x0803
LAST_WRITTEN = 0x0804
TEXT_LOCALIZATION = 0x0805
BARCODE = 0x0806
OWNING_HOST = 0x0807
MEDIA_POOL = 0x0808
PARTITION_LABEL = 0x0809
APPLICATION_FORMAT_VERSION = 0x080B
VOLUME_COHERENCY = 0x080C

TEXT_UTF8 = 0x81

ATTRIBUTES: dict[int, AttributeSpec] = {
    REMAINING_CAPACITY: AttributeSpec("remaining_capacity_mib", 8, B, False),
    MAXIMUM_CAPACITY: AttributeSpec("maximum_capacity_mib", 8, B, False),
    TAPEALERT_FLAGS: AttributeSpec("tapealert_flags", 8, B, False),
    LOAD_COUNT: AttributeSpec("load_count", 8, B, False),
    MAM_SPACE_REMAINING: AttributeSpec("mam_space_remaining", 8, B, False),
    0x0005: AttributeSpec("assigning_organization_device", 8, A, False),
    FORMAT_DENSITY: AttributeSpec("format_density", 1, B, False),
    INITIALIZATION_COUNT: AttributeSpec("initialization_count", 2, B, False),
    VOLUME_CHANGE_REFERENCE: AttributeSpec("volume_change_reference", 4, B, False),
    **{0x020A + i: AttributeSpec(f"device_at_last_load_{i + 1}", 40, A, False) for i in range(4)},
    0x0220: AttributeSpec("total_mib_written", 8, B, False),
    0x0221: AttributeSpec("total_mib_read", 8, B, False),
    0x0222: AttributeSpec("mib_written_this_load", 8, B, False),
    0x0223: AttributeSpec("mib_read_this_load", 8, B, False),
    MEDIUM_MANUFACTURER: AttributeSpec("medium_manufacturer", 8, A, False),
    MEDIUM_SERIAL: AttributeSpec("medium_serial", 32, A, False),
    MEDIUM_LENGTH: AttributeSpec("medium_length_m", 4, B, False),
    MEDIUM_WIDTH: AttributeSpec("medium_width_tenths_mm", 4, B, False),
    ASSIGNING_ORGANIZATION: AttributeSpec("assigning_organization", 8, A, False),
    MEDIUM_DENSITY: AttributeSpec("medium_density", 1, B, False),
    MANUFACTURE_DATE: AttributeSpec("manufacture_date", 8, A, False),
    MAM_CAPACITY: AttributeSpec("mam_capacity", 8, B, False),
    MEDIUM_TYPE: AttributeSpec("medium_type", 1, B, False),
    MEDIUM_TYPE_INFORMATION: AttributeSpec("medium_type_information", 2, B, False),
    APPLICATION_VENDOR: AttributeSpec("application_vendor", 8, A, True),
    APPLICATION_NAME: AttributeSpec("application_name", 32, A, True),
    APPLICATION_VERSION: AttributeSpec("application_version", 8, A, True),
    USER_MEDIUM_LABEL: AttributeSpec("user_medium_label", 160, T, True),
    LAST_WRITTEN: AttributeSpec("last_written", 12, A, True),
    TEXT_LOCALIZATION: AttributeSpec("text_localization", 1, B, True),
    BARCODE: AttributeSpec("barcode", 32, A, True),
    OWNING_HOST: AttributeSpec("owning_host", 80, T, True),
    MEDIA_POOL: AttributeSpec("media_pool", 160, T, True),
    PARTITION_LABEL: AttributeSpec("partition_label", 16, A, True),
    APPLICATION_FORMAT_VERSION: AttributeSpec("application_format_version", 16, A, True),
    VOLUME_COHERENCY: AttributeSpec("volume_coherency", 0, B, True),
}


class MamError(MalformedReply):
    """A value that does not fit its attribute, or a reply that cannot be decoded."""

    default_message = "磁带存储芯片（MAM）的属性值无效或无法解析"


def _fit(attribute_id: int, raw: bytes, pad: bytes) -> bytes:
    spec = ATTRIBUTES.get(attribute_id)
    if spec is None or spec.length == 0:
        return raw
    if len(raw) > spec.length:
        raise MamError(f"attribute {attribute_id:04X}h holds {spec.length} bytes, value has {len(raw)}")
    return raw + pad * (spec.length - len(raw))


@dataclass(frozen=True)
class Attribute:
    id: int
    format: AttributeFormat
    value: bytes
    read_only: bool = False

    @classmethod
    def binary(cls, attribute_id: int, number: int, length: int | None = None) -> Attribute:
        spec = ATTRIBUTES.get(attribute_id)
        size = length or (spec.length if spec and spec.length else max(1, (number.bit_length() + 7) // 8))
        try:
            raw = number.to_bytes(size, "big")
        except OverflowError:
            raise MamError(f"{number} does not fit attribute {attribute_id:04X}h ({size} bytes)") from None
        return cls(attribute_id, AttributeFormat.BINARY, raw)

    @classmethod
    def ascii(cls, attribute_id: int, text: str) -> Attribute:
        """An ASCII attribute, space-padded to its defined length; only printable ASCII is allowed."""
        if any(not 0x20 <= ord(ch) <= 0x7E for ch in text):
            raise MamError(f"attribute {attribute_id:04X}h accepts printable ASCII only: {text!r}")
        return cls(attribute_id, AttributeFormat.ASCII, _fit(attribute_id, text.encode("ascii"), b" "))

    @classmethod
    def text(cls, attribute_id: int, text: str) -> Attribute:
        """A text attribute in UTF-8 (declare it with 0805h = 81h), NUL-padded to its defined length."""
        return cls(attribute_id, AttributeFormat.TEXT, _fit(attribute_id, text.encode("utf-8"), b"\x00"))

    @property
    def as_int(self) -> int:
        return int.from_bytes(self.value, "big") if self.value else 0

    @property
    def as_text(self) -> str:
        encoding = "ascii" if self.format == AttributeFormat.ASCII else "utf-8"
        return self.value.decode(encoding, errors="replace").rstrip(" \x00")

    @property
    def decoded(self) -> int | str | bytes:
        """The value in its natural Python type: int for binary up to 8 bytes, str for ASCII/text."""
        if self.format in (AttributeFormat.ASCII, AttributeFormat.TEXT):
            return self.as_text
        return self.as_int if len(self.value) <= 8 else self.value

    @property
    def name(self) -> str:
        spec = ATTRIBUTES.get(self.id)
        return spec.name if spec else f"attribute_{self.id:04x}"

    @property
    def label(self) -> str:
        return MAM_LABELS.get(self.id, f"属性 {self.id:04X}h")

    def encode(self) -> bytes:
        header = self.id.to_bytes(2, "big") + bytes(((0x80 if self.read_only else 0) | int(self.format),))
        return header + len(self.value).to_bytes(2, "big") + self.value


def _iter_attributes(body: bytes) -> Iterable[Attribute]:
    offset = 0
    while offset + 5 <= len(body):
        length = int.from_bytes(body[offset + 3 : offset + 5], "big")
        if offset + 5 + length > len(body):
            raise MamError(f"attribute at offset {offset} runs past the end of the reply")
        flags = body[offset + 2]
        yield Attribute(
            id=int.from_bytes(body[offset : offset + 2], "big"),
            format=AttributeFormat(flags & 0x03) if flags & 0x03 != 3 else AttributeFormat.BINARY,
            value=bytes(body[offset + 5 : offset + 5 + length]),
            read_only=bool(flags & 0x80),
        )
        offset += 5 + length


def decode_attributes(data: bytes) -> dict[int, Attribute]:
    """A READ ATTRIBUTE (values) reply: 4-byte available-data length, then attributes.

    If the allocation length cut the reply short, the attributes that arrived whole are returned.
    """
    if len(data) < 4:
        raise MamError("attribute reply is shorter than its header")
    available = int.from_bytes(data[0:4], "big")
    body = data[4 : 4 + available]
    result: dict[int, Attribute] = {}
    try:
        for attribute in _iter_attributes(body):
            result[attribute.id] = attribute
    except MamError:
        if len(data) >= 4 + available:
            raise  # complete reply, yet malformed
    return result


def encode_attributes(attributes: Iterable[Attribute]) -> bytes:
    """A WRITE ATTRIBUTE parameter list: 4-byte parameter data length, then the attributes.

    The read-only bit is never sent: the drive owns it.
    """
    body = b"".join(Attribute(a.id, a.format, a.value).encode() for a in attributes)
    return len(body).to_bytes(4, "big") + body


def decode_attribute_list(data: bytes) -> list[int]:
    """A READ ATTRIBUTE (attribute list / supported attributes) reply: ids only."""
    if len(data) < 4:
        raise MamError("attribute list reply is shorter than its header")
    body = data[4 : 4 + int.from_bytes(data[0:4], "big")]
    return [int.from_bytes(body[i : i + 2], "big") for i in range(0, len(body) - 1, 2)]
