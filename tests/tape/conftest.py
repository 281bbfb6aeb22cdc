"""Fixtures for the Drive, Changer and volume tests: a small emulated library and a fast policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tape.drive import Drive
from tape.drive_types import DrivePolicy
from tape.emulator import Library
from tape.transports.emulated import EmulatedTransport

KIB = 1024
CAPACITY = 1 << 20  # 1 MiB cartridges: early warning at 768 KiB, the end at 1 MiB
EW_PCT = 25
BLOCK = 64 * KIB
# Real-drive waits shrunk to test speed; a load running past 0.2 s counts as media optimisation.
FAST = DrivePolicy(retry_base=0.01, retry_max=0.05, retry_window=5.0, ready_poll_max=0.05,
                   optimisation_after=0.2, erase_poll=0.02)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.create(tmp_path / "vtl", drives=1, slots=0, cartridges=0, capacity=CAPACITY,
                         early_warning_pct=EW_PCT, long_erase_seconds=0.3)
    yield lib
    lib.close()


def open_drive(lib: Library, index: int = 0, **options: object) -> Drive:
    return Drive(EmulatedTransport(lib.root, index), policy=FAST, **options)  # type: ignore[arg-type]


@pytest.fixture
def insert(library: Library) -> Callable[..., str]:
    """Put a new cartridge into the standalone drive and return its barcode."""

    def put(media: str = "L9", **options: object) -> str:
        barcode = library.add_cartridge(media=media, **options)  # type: ignore[arg-type]
        library.insert(barcode)
        return barcode

    return put


@pytest.fixture
def drive(library: Library, insert: Callable[..., str]) -> Iterator[Drive]:
    """A mounted drive with a blank L9 cartridge, eject button left free."""
    insert()
    d = open_drive(library)
    d.mount(prevent_removal=False)
    yield d
    d.close()


def block(n: int, size: int = BLOCK) -> bytes:
    return bytes([n & 0xFF]) * size
