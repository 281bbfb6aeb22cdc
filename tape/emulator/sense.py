"""Fixed-format sense data (SPC-4 §4.5.3) and the exception that carries it out of a command.

The emulator always answers in fixed format (70h current, 71h deferred): D_SENSE in the Control
mode page is not changeable, exactly the setup tape-scsi.md §2.7 recommends for real drives.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import EXIT_DEVICE, TafError

# Sense keys (SPC-4 table 27).
NO_SENSE = 0x0
RECOVERED_ERROR = 0x1
NOT_READY = 0x2
MEDIUM_ERROR = 0x3
HARDWARE_ERROR = 0x4
ILLEGAL_REQUEST = 0x5
UNIT_ATTENTION = 0x6
DATA_PROTECT = 0x7
BLANK_CHECK = 0x8
ABORTED_COMMAND = 0xB
VOLUME_OVERFLOW = 0xD

SENSE_LENGTH = 18


@dataclass(frozen=True)
class Sense:
    """One sense report: key, ASC/ASCQ, the tape bits and the INFORMATION residue.

    `information` set (even to 0) means VALID = 1; it is stored as a signed 32-bit value so a
    negative residue (an over-length block) keeps its sign.
    """

    key: int
    asc: int = 0
    ascq: int = 0
    filemark: bool = False
    eom: bool = False
    ili: bool = False
    information: int | None = None
    deferred: bool = False
    specific: bytes = b""

    def to_bytes(self) -> bytes:
        out = bytearray(SENSE_LENGTH)
        out[0] = (0x71 if self.deferred else 0x70) | (0x80 if self.information is not None else 0)
        out[2] = (
            (self.key & 0x0F)
            | (0x80 if self.filemark else 0)
            | (0x40 if self.eom else 0)
            | (0x20 if self.ili else 0)
        )
        if self.information is not None:
            out[3:7] = (self.information & 0xFFFFFFFF).to_bytes(4, "big")
        out[7] = SENSE_LENGTH - 8
        out[12] = self.asc
        out[13] = self.ascq
        if self.specific:
            out[15:18] = self.specific
        return bytes(out)

    @property
    def triple(self) -> tuple[int, int, int]:
        return self.key, self.asc, self.ascq


class CheckCondition(TafError):
    """Raised inside a command handler: the command ends with CHECK CONDITION and this sense.

    `data` is what was transferred before the condition (a READ that hit a filemark after some
    fixed-length blocks returns those blocks and the sense together). The emulated drive turns it
    into a reply; it reaches a face only through a bug in the emulator.
    """

    exit_code = EXIT_DEVICE
    default_message = "模拟驱动器以 CHECK CONDITION 结束了命令"

    def __init__(self, sense: Sense, data: bytes = b"") -> None:
        super().__init__(detail=f"{sense.key:X}/{sense.asc:02X}/{sense.ascq:02X}")
        self.sense = sense
        self.data = data


def field_pointer(byte: int, bit: int | None = None, *, in_cdb: bool = True) -> bytes:
    """Sense-key specific bytes 15-17 pointing at the offending field (SKSV, C/D, BPV)."""
    first = 0x80 | (0x40 if in_cdb else 0)
    if bit is not None:
        first |= 0x08 | (bit & 0x07)
    return bytes([first]) + byte.to_bytes(2, "big")


def progress(fraction: float) -> bytes:
    """Sense-key specific progress indication: SKSV plus a 16-bit fraction of 65536."""
    value = max(0, min(0xFFFF, int(fraction * 65536)))
    return bytes([0x80]) + value.to_bytes(2, "big")


def invalid_field_in_cdb(byte: int, bit: int | None = None) -> CheckCondition:
    return CheckCondition(Sense(ILLEGAL_REQUEST, 0x24, 0x00, specific=field_pointer(byte, bit)))


def invalid_field_in_parameters(byte: int, bit: int | None = None) -> CheckCondition:
    return CheckCondition(Sense(ILLEGAL_REQUEST, 0x26, 0x00, specific=field_pointer(byte, bit, in_cdb=False)))


# The conditions used in more than one place.
INVALID_OPCODE = Sense(ILLEGAL_REQUEST, 0x20, 0x00, specific=field_pointer(0))
PARAMETER_LIST_LENGTH_ERROR = Sense(ILLEGAL_REQUEST, 0x1A, 0x00)
MEDIUM_NOT_PRESENT = Sense(NOT_READY, 0x3A, 0x00)
BECOMING_READY = Sense(NOT_READY, 0x04, 0x01)
INITIALIZING_COMMAND_REQUIRED = Sense(NOT_READY, 0x04, 0x02)
OPERATION_IN_PROGRESS = Sense(NOT_READY, 0x04, 0x07)
CLEANING_CARTRIDGE_INSTALLED = Sense(NOT_READY, 0x30, 0x03)
INCOMPATIBLE_MEDIUM = Sense(MEDIUM_ERROR, 0x30, 0x00)
WRITE_PROTECTED = Sense(DATA_PROTECT, 0x27, 0x00)
WORM_OVERWRITE = Sense(DATA_PROTECT, 0x30, 0x0C)
REMOVAL_PREVENTED = Sense(ILLEGAL_REQUEST, 0x53, 0x02)
MEDIUM_FORMAT_CORRUPTED = Sense(MEDIUM_ERROR, 0x31, 0x00)
