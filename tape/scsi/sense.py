"""Sense data decoding: fixed (70h/71h) and descriptor (72h/73h) formats into one `Sense` value.

This module only decodes bytes; what a sense *means* for the caller (an exception, or success
with a flag) is decided in `tape.scsi.outcomes`.

Public API:
- `Sense` — frozen dataclass: key, asc, ascq, filemark, eom, ili, valid, information, deferred,
  progress (0.0–1.0 or None), field pointer details, fru, raw bytes; `sense.code` is (key, asc, ascq).
- `parse_sense(data) -> Sense | None` — None when there is no usable sense at all.
- `SenseKey` — IntEnum of the sense keys.
- `build_fixed_sense(...)`, `build_descriptor_sense(...)` — sense bytes in either format, for tests
  and for emulators.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SenseKey(enum.IntEnum):
    """SPC sense keys."""

    NO_SENSE = 0x0
    RECOVERED_ERROR = 0x1
    NOT_READY = 0x2
    MEDIUM_ERROR = 0x3
    HARDWARE_ERROR = 0x4
    ILLEGAL_REQUEST = 0x5
    UNIT_ATTENTION = 0x6
    DATA_PROTECT = 0x7
    BLANK_CHECK = 0x8
    VENDOR_SPECIFIC = 0x9
    COPY_ABORTED = 0xA
    ABORTED_COMMAND = 0xB
    VOLUME_OVERFLOW = 0xD
    MISCOMPARE = 0xE


@dataclass(frozen=True)
class FieldPointer:
    """Where an ILLEGAL REQUEST points: a byte (and maybe bit) of the CDB or of the parameter list."""

    in_cdb: bool
    byte: int
    bit: int | None


@dataclass(frozen=True)
class Sense:
    """One decoded sense buffer.

    `information` is the signed INFORMATION field; for tape commands it is the residue (bytes or
    blocks not transferred or not spaced), meaningful only when `valid` is set.
    """

    key: int
    asc: int
    ascq: int
    response_code: int = 0x70
    valid: bool = False
    information: int = 0
    filemark: bool = False
    eom: bool = False
    ili: bool = False
    command_specific: int = 0
    fru: int = 0
    progress: float | None = None
    field_pointer: FieldPointer | None = None
    raw: bytes = b""

    @property
    def deferred(self) -> bool:
        """The error belongs to an earlier command (typically a buffered write), not this one."""
        return self.response_code in (0x71, 0x73)

    @property
    def descriptor_format(self) -> bool:
        return self.response_code in (0x72, 0x73)

    @property
    def code(self) -> tuple[int, int, int]:
        """(key, asc, ascq), the triple the outcome table is keyed by."""
        return (self.key, self.asc, self.ascq)

    @property
    def residue(self) -> int:
        """The INFORMATION field when valid, else 0."""
        return self.information if self.valid else 0

    def __str__(self) -> str:
        flags = "".join(
            name for name, on in (("/FM", self.filemark), ("/EOM", self.eom), ("/ILI", self.ili)) if on
        )
        info = f" info={self.information}" if self.valid else ""
        late = " deferred" if self.deferred else ""
        return f"{self.key:X}/{self.asc:02X}/{self.ascq:02X}{flags}{info}{late}"


def _sense_key_specific(key: int, sks: bytes) -> tuple[float | None, FieldPointer | None]:
    """Decode the 3 sense-key-specific bytes: a progress indicator or a field pointer."""
    if len(sks) < 3 or not sks[0] & 0x80:  # SKSV clear: the bytes mean nothing
        return None, None
    value = int.from_bytes(sks[1:3], "big")
    if key in (SenseKey.NO_SENSE, SenseKey.NOT_READY):
        return value / 65536, None
    if key == SenseKey.ILLEGAL_REQUEST:
        bit = sks[0] & 0x07 if sks[0] & 0x08 else None
        return None, FieldPointer(in_cdb=bool(sks[0] & 0x40), byte=value, bit=bit)
    return None, None


def _parse_fixed(data: bytes) -> Sense:
    byte2 = data[2] if len(data) > 2 else 0
    key = byte2 & 0x0F
    additional = data[7] if len(data) > 7 else 0
    end = min(len(data), 8 + additional)
    asc = data[12] if end > 12 else 0
    ascq = data[13] if end > 13 else 0
    progress, pointer = _sense_key_specific(key, data[15:18] if end >= 18 else b"")
    return Sense(
        key=key,
        asc=asc,
        ascq=ascq,
        response_code=data[0] & 0x7F,
        valid=bool(data[0] & 0x80),
        information=int.from_bytes(data[3:7], "big", signed=True) if len(data) >= 7 else 0,
        filemark=bool(byte2 & 0x80),
        eom=bool(byte2 & 0x40),
        ili=bool(byte2 & 0x20),
        command_specific=int.from_bytes(data[8:12], "big") if end >= 12 else 0,
        fru=data[14] if end > 14 else 0,
        progress=progress,
        field_pointer=pointer,
        raw=bytes(data),
    )


def _parse_descriptor(data: bytes) -> Sense:
    key = data[1] & 0x0F if len(data) > 1 else 0
    valid = filemark = eom = ili = False
    information = command_specific = fru = 0
    progress: float | None = None
    pointer: FieldPointer | None = None
    end = min(len(data), 8 + (data[7] if len(data) > 7 else 0))
    offset = 8
    while offset + 2 <= end:
        kind, length = data[offset], data[offset + 1]
        body = data[offset : min(end, offset + 2 + length)]
        if kind == 0x00 and len(body) >= 12:  # information
            valid = bool(body[2] & 0x80)
            information = int.from_bytes(body[4:12], "big", signed=True)
        elif kind == 0x01 and len(body) >= 12:  # command-specific information
            command_specific = int.from_bytes(body[4:12], "big")
        elif kind == 0x02 and len(body) >= 7:  # sense-key specific
            progress, pointer = _sense_key_specific(key, body[4:7])
        elif kind == 0x03 and len(body) >= 4:  # field replaceable unit
            fru = body[3]
        elif kind in (0x04, 0x05) and len(body) >= 4:  # stream commands / block commands
            ili = bool(body[3] & 0x20)
            if kind == 0x04:
                filemark, eom = bool(body[3] & 0x80), bool(body[3] & 0x40)
        elif kind == 0x0A and len(body) >= 8 and progress is None:  # another progress indication
            progress = int.from_bytes(body[6:8], "big") / 65536
        offset += 2 + length
    return Sense(
        key=key,
        asc=data[2] if len(data) > 2 else 0,
        ascq=data[3] if len(data) > 3 else 0,
        response_code=data[0] & 0x7F,
        valid=valid,
        information=information,
        filemark=filemark,
        eom=eom,
        ili=ili,
        command_specific=command_specific,
        fru=fru,
        progress=progress,
        field_pointer=pointer,
        raw=bytes(data),
    )


def parse_sense(data: bytes | bytearray | memoryview) -> Sense | None:
    """Decode a sense buffer in either format; None if it is empty or of an unknown format."""
    data = bytes(data)
    if not data:
        return None
    code = data[0] & 0x7F
    if code in (0x70, 0x71):
        return _parse_fixed(data)
    if code in (0x72, 0x73):
        return _parse_descriptor(data)
    return None


def build_fixed_sense(
    key: int,
    asc: int = 0,
    ascq: int = 0,
    *,
    information: int | None = None,
    filemark: bool = False,
    eom: bool = False,
    ili: bool = False,
    deferred: bool = False,
    progress: float | None = None,
) -> bytes:
    """Fixed-format sense bytes (18 long), the form real drives return by default."""
    out = bytearray(18)
    out[0] = (0x71 if deferred else 0x70) | (0x80 if information is not None else 0)
    out[2] = (key & 0x0F) | (0x80 if filemark else 0) | (0x40 if eom else 0) | (0x20 if ili else 0)
    if information is not None:
        out[3:7] = (information & 0xFFFFFFFF).to_bytes(4, "big")
    out[7] = 10
    out[12], out[13] = asc, ascq
    if progress is not None:
        out[15] = 0x80
        out[16:18] = min(0xFFFF, int(progress * 65536)).to_bytes(2, "big")
    return bytes(out)


def build_descriptor_sense(
    key: int,
    asc: int = 0,
    ascq: int = 0,
    *,
    information: int | None = None,
    filemark: bool = False,
    eom: bool = False,
    ili: bool = False,
    deferred: bool = False,
    progress: float | None = None,
) -> bytes:
    """Descriptor-format sense bytes with information, stream-commands and progress descriptors."""
    descriptors = bytearray()
    if information is not None:
        descriptors += bytes((0x00, 0x0A, 0x80, 0)) + (information & (1 << 64) - 1).to_bytes(8, "big")
    if filemark or eom or ili:
        descriptors += bytes(
            (0x04, 0x02, 0, (0x80 if filemark else 0) | (0x40 if eom else 0) | (0x20 if ili else 0))
        )
    if progress is not None:
        descriptors += (
            bytes((0x02, 0x06, 0, 0, 0x80)) + min(0xFFFF, int(progress * 65536)).to_bytes(2, "big") + b"\x00"
        )
    header = bytes((0x73 if deferred else 0x72, key & 0x0F, asc, ascq, 0, 0, 0, len(descriptors)))
    return header + bytes(descriptors)
