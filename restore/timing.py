"""A drive timing model for restore estimates (IBM ULT3580-HH9 figures, tape-scsi.md §1.2).

Numbers are conservative averages; an estimate is for planning an operator's time, not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DriveTiming:
    load_seconds: float = 16.0            # load-to-ready, initialised cartridge
    unload_seconds: float = 56.0          # nominal unload
    robot_move_seconds: float = 20.0      # library picker, slot to drive
    average_locate_seconds: float = 65.0  # from load point to an average position
    full_length_locate_seconds: float = 130.0
    read_bytes_per_second: float = 300e6  # native rate; compressed 7z payloads do not recompress
    operator_change_seconds: float = 300.0  # someone walks to the shelf and inserts the cartridge

    def locate_seconds(self, from_fraction: float, to_fraction: float) -> float:
        """Seconds to move between two fractions (0 = BOT, 1 = end) of the tape's written length."""
        distance = abs(to_fraction - from_fraction)
        # Seeking has a fixed cost (the drive decelerates, finds the wrap) plus a share of the length.
        return 5.0 + distance * self.full_length_locate_seconds

    def read_seconds(self, byte_count: int) -> float:
        return byte_count / self.read_bytes_per_second


HH9 = DriveTiming()
