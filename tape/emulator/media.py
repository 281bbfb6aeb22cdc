"""The cartridge types the emulated LTO-9 drive knows, with the codes it reports for each.

Codes come from tape-scsi.md §1.2: density 60h/5Eh/5Ch, mode-header medium type 98h/9Ch/88h/8Ch,
MAM medium type 00h/01h/80h. An HH9 reads and writes L9/LZ and L8/LY, refuses L7 and treats a
cleaning cartridge as such.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaType:
    """One kind of cartridge as the drive sees it."""

    code: str  # barcode suffix: L9, LZ, L8, LY, L7, CU (cleaning)
    generation: int
    density: int  # density code in the block descriptor and MAM 0405h
    medium_type: int  # mode parameter header byte (IBM cartridge type)
    native_capacity: int  # bytes
    worm: bool = False
    cleaning: bool = False
    length_m: int = 1035  # MAM 0402h, tape length in metres
    needs_optimisation: bool = False  # LTO-9 media calibrate on their first load

    @property
    def mam_medium_type(self) -> int:
        if self.cleaning:
            return 0x01
        return 0x80 if self.worm else 0x00

    @property
    def smc_medium_type(self) -> int:
        """The element descriptor's MEDIUM TYPE (SMC-3 table 28): 1 data, 2 cleaning."""
        return 2 if self.cleaning else 1


MEDIA: dict[str, MediaType] = {
    "L9": MediaType("L9", 9, 0x60, 0x98, 18_000_000_000_000, needs_optimisation=True),
    "LZ": MediaType("LZ", 9, 0x60, 0x9C, 18_000_000_000_000, worm=True, needs_optimisation=True),
    "L8": MediaType("L8", 8, 0x5E, 0x88, 12_000_000_000_000, length_m=960),
    "LY": MediaType("LY", 8, 0x5E, 0x8C, 12_000_000_000_000, worm=True, length_m=960),
    "L7": MediaType("L7", 7, 0x5C, 0x78, 6_000_000_000_000, length_m=960),
    "CU": MediaType("CU", 0, 0x00, 0x00, 0, cleaning=True, length_m=0),
}

# Aliases accepted by the management API.
ALIASES = {"CLN": "CU", "CLEANING": "CU", "WORM": "LZ"}

# Densities this drive writes, newest first (REPORT DENSITY SUPPORT, MEDIA = 0).
DRIVE_DENSITIES = ("L9", "L8")


def media_type(code: str) -> MediaType:
    key = code.upper()
    key = ALIASES.get(key, key)
    try:
        return MEDIA[key]
    except KeyError:
        raise KeyError(code) from None


def drive_accepts(media: MediaType) -> bool:
    """An LTO-9 drive reads and writes only generations 8 and 9 (no LTO-7, unlike older rules)."""
    return media.generation in (8, 9)
