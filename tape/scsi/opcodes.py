"""Operation codes, their names and how long each command may take.

Public API:
- `Opcode` — an IntEnum of every operation code the tape layer sends (SPC, SSC and SMC).
- `command_name(cdb)` — the readable name of a CDB ("READ POSITION", "REPORT SUPPORTED OPERATION
  CODES" …), used by the command log.
- `DEFAULT_TIMEOUTS` — seconds per opcode for an IBM LTO-9 half-height drive (tape-scsi.md §1.8).
- `TimeoutTable` — defaults overlaid with what the drive itself recommends (REPORT SUPPORTED
  OPERATION CODES with RCTD, see `tape.scsi.capabilities.recommended_timeouts`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Opcode(enum.IntEnum):
    """Byte 0 of a CDB."""

    TEST_UNIT_READY = 0x00
    REWIND = 0x01
    REQUEST_SENSE = 0x03
    FORMAT_MEDIUM = 0x04
    READ_BLOCK_LIMITS = 0x05
    INITIALIZE_ELEMENT_STATUS = 0x07
    READ_6 = 0x08
    WRITE_6 = 0x0A
    WRITE_FILEMARKS_6 = 0x10
    SPACE_6 = 0x11
    INQUIRY = 0x12
    VERIFY_6 = 0x13
    MODE_SELECT_6 = 0x15
    ERASE_6 = 0x19
    MODE_SENSE_6 = 0x1A
    LOAD_UNLOAD = 0x1B
    PREVENT_ALLOW_MEDIUM_REMOVAL = 0x1E
    LOCATE_10 = 0x2B
    READ_POSITION = 0x34
    REPORT_DENSITY_SUPPORT = 0x44
    LOG_SELECT = 0x4C
    LOG_SENSE = 0x4D
    MODE_SELECT_10 = 0x55
    MODE_SENSE_10 = 0x5A
    PERSISTENT_RESERVE_IN = 0x5E
    PERSISTENT_RESERVE_OUT = 0x5F
    READ_ATTRIBUTE = 0x8C
    WRITE_ATTRIBUTE = 0x8D
    SPACE_16 = 0x91
    LOCATE_16 = 0x92
    MAINTENANCE_IN = 0xA3
    MOVE_MEDIUM = 0xA5
    EXCHANGE_MEDIUM = 0xA6
    READ_ELEMENT_STATUS = 0xB8


# MAINTENANCE IN service action that asks for the supported commands and their timeouts.
SA_REPORT_SUPPORTED_OPCODES = 0x0C

_NAMES: dict[int, str] = {op.value: op.name.replace("_", " ") for op in Opcode}
# Names that read better than the enum spelling (the parenthesised CDB size is SPC's own style).
_NAMES.update(
    {
        Opcode.READ_6: "READ(6)",
        Opcode.WRITE_6: "WRITE(6)",
        Opcode.WRITE_FILEMARKS_6: "WRITE FILEMARKS(6)",
        Opcode.SPACE_6: "SPACE(6)",
        Opcode.VERIFY_6: "VERIFY(6)",
        Opcode.MODE_SELECT_6: "MODE SELECT(6)",
        Opcode.ERASE_6: "ERASE(6)",
        Opcode.MODE_SENSE_6: "MODE SENSE(6)",
        Opcode.LOAD_UNLOAD: "LOAD/UNLOAD",
        Opcode.LOCATE_10: "LOCATE(10)",
        Opcode.MODE_SELECT_10: "MODE SELECT(10)",
        Opcode.MODE_SENSE_10: "MODE SENSE(10)",
        Opcode.SPACE_16: "SPACE(16)",
        Opcode.LOCATE_16: "LOCATE(16)",
    }
)


def command_name(cdb: bytes) -> str:
    """Name of the command in `cdb`, or "OPCODE 0xNN" for one this package does not know."""
    if not cdb:
        return "EMPTY CDB"
    opcode = cdb[0]
    if opcode == Opcode.MAINTENANCE_IN and len(cdb) > 1 and cdb[1] & 0x1F == SA_REPORT_SUPPORTED_OPCODES:
        return "REPORT SUPPORTED OPERATION CODES"
    return _NAMES.get(opcode, f"OPCODE 0x{opcode:02X}")


# Seconds. IBM's figures for the LTO-9 half-height drive as LTFS carries them (ibm_tape.c),
# except where noted.
_SHORT = 60.0
DEFAULT_TIMEOUTS: dict[int, float] = {
    Opcode.TEST_UNIT_READY: _SHORT,
    Opcode.REQUEST_SENSE: _SHORT,
    Opcode.INQUIRY: _SHORT,
    Opcode.READ_BLOCK_LIMITS: _SHORT,
    Opcode.MODE_SENSE_6: _SHORT,
    Opcode.MODE_SENSE_10: _SHORT,
    Opcode.MODE_SELECT_6: _SHORT,
    Opcode.MODE_SELECT_10: _SHORT,
    Opcode.LOG_SENSE: _SHORT,
    Opcode.LOG_SELECT: _SHORT,
    Opcode.READ_POSITION: _SHORT,
    Opcode.REPORT_DENSITY_SUPPORT: _SHORT,
    Opcode.PREVENT_ALLOW_MEDIUM_REMOVAL: _SHORT,
    Opcode.MAINTENANCE_IN: _SHORT,
    Opcode.PERSISTENT_RESERVE_IN: _SHORT,
    Opcode.PERSISTENT_RESERVE_OUT: _SHORT,
    # IBM asked for 120-132 s because the drive may be recovering (LTFS issue #505).
    Opcode.READ_ATTRIBUTE: 132.0,
    Opcode.WRITE_ATTRIBUTE: 132.0,
    # 960 s suffices for a known cartridge, but the first load of a new LTO-9 cartridge runs media
    # optimisation for up to 132 minutes; the drive's own RCTD figure is 7920 s (LTFS issue #448).
    Opcode.LOAD_UNLOAD: 7920.0,
    Opcode.LOCATE_10: 2940.0,
    Opcode.LOCATE_16: 2940.0,
    Opcode.SPACE_6: 2940.0,
    Opcode.SPACE_16: 2940.0,
    Opcode.READ_6: 2340.0,
    Opcode.WRITE_6: 1560.0,
    Opcode.WRITE_FILEMARKS_6: 1680.0,
    Opcode.REWIND: 600.0,
    Opcode.FORMAT_MEDIUM: 3240.0,
    Opcode.VERIFY_6: 63300.0,
    Opcode.ERASE_6: 166370.0,
    # Changer figures are not published for the TS4300/TS2900; these leave room for a full
    # inventory scan and a slow robot.
    Opcode.READ_ELEMENT_STATUS: 600.0,
    Opcode.INITIALIZE_ELEMENT_STATUS: 3600.0,
    Opcode.MOVE_MEDIUM: 1800.0,
    Opcode.EXCHANGE_MEDIUM: 1800.0,
}


def _service_action(cdb: bytes) -> int | None:
    """The service action of commands that carry one in byte 1 bits 4-0."""
    if cdb[0] in (Opcode.MAINTENANCE_IN, Opcode.READ_POSITION, Opcode.READ_ATTRIBUTE) and len(cdb) > 1:
        return cdb[1] & 0x1F
    return None


class TimeoutTable:
    """How long to wait for each command: the drive's recommendation if it gave one, else ours."""

    def __init__(
        self,
        recommended: Mapping[tuple[int, int | None], float] | None = None,
        *,
        defaults: Mapping[int, float] = DEFAULT_TIMEOUTS,
        fallback: float = _SHORT,
    ) -> None:
        self._recommended = dict(recommended or {})
        self._defaults = dict(defaults)
        self._fallback = fallback

    def for_cdb(self, cdb: bytes) -> float:
        """Seconds to allow for `cdb`."""
        opcode = cdb[0]
        for key in ((opcode, _service_action(cdb)), (opcode, None)):
            seconds = self._recommended.get(key)
            if seconds:
                # Never below our own figure: a drive that reports a short nominal value for LOAD
                # would otherwise cut media optimisation short.
                return max(seconds, self._defaults.get(opcode, 0.0))
        return self._defaults.get(opcode, self._fallback)
