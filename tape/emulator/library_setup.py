"""Making a new emulated library directory: elements, serial numbers and the first cartridges."""

from __future__ import annotations

import random
from pathlib import Path

from tape.emulator import fileio, messages
from tape.emulator.cartridge import Cartridge, remove_cartridge
from tape.emulator.library_state import DRIVE_BASE, IE_BASE, LIBRARY_FILE, SLOT_BASE, Element, LibraryState
from tape.emulator.library_views import LibraryError
from tape.emulator.locking import LibraryLock
from tape.emulator.media import MediaType, media_type
from tape.emulator.runtime import CARTRIDGE_DIR, DRIVE_DIR, LOCK_FILE


def build_library(
    path: Path,
    *,
    drives: int,
    slots: int,
    ie_slots: int | None,
    cartridges: int | None,
    media: str,
    capacity: int | None,
    early_warning_pct: float,
    first_load_seconds: float,
    barcode_prefix: str,
    max_block_length: int,
    buffer_size: int,
    load_seconds: float,
    long_erase_seconds: float,
    drive_revision: str,
    full_checksums: bool,
) -> None:
    """Write library.json and the cartridge directories (see `Library.create` for the options).

    Two processes may create the same default library at once (the first start of web and
    worker): the library lock makes one of them win and the other see it already exists.
    """
    ie = (1 if slots else 0) if ie_slots is None else ie_slots
    count = (slots if slots else 3) if cartridges is None else cartridges
    if drives < 1 or slots < 0 or ie < 0 or count < 0 or not 0 <= early_warning_pct < 100:
        raise LibraryError(messages.BAD_LAYOUT.format(detail=f"drives={drives} slots={slots} ie={ie}"))
    kind = media_or_error(media)
    path.mkdir(parents=True, exist_ok=True)
    lock = LibraryLock(path / LOCK_FILE)
    lock.acquire()
    try:
        if (path / LIBRARY_FILE).exists():
            raise LibraryError(messages.LIBRARY_EXISTS.format(root=path))
        (path / CARTRIDGE_DIR).mkdir(exist_ok=True)
        (path / DRIVE_DIR).mkdir(exist_ok=True)
        state = _layout(drives, slots, ie)
        state.drive_revision = drive_revision
        state.max_block_length = max_block_length
        state.buffer_size = buffer_size
        state.load_seconds = load_seconds
        state.long_erase_seconds = long_erase_seconds
        state.full_checksums = full_checksums
        state.barcode_prefix = barcode_prefix
        state.media = kind.code
        state.capacity = capacity
        state.early_warning_pct = early_warning_pct
        state.first_load_seconds = first_load_seconds
        for n in range(1, count + 1):
            barcode = f"{'CLN' if kind.cleaning else barcode_prefix}{n:03d}{kind.code}"
            remove_cartridge(path / CARTRIDGE_DIR / barcode)  # left by a creation that was interrupted
            Cartridge.create(
                path / CARTRIDGE_DIR / barcode,
                barcode=barcode,
                media=kind.code,
                capacity=capacity,
                early_warning_pct=early_warning_pct,
                first_load_seconds=first_load_seconds,
            )
            state.cartridges.append(barcode)
            if n <= slots:
                state.slots[n - 1].cartridge = barcode
        fileio.write_json_atomic(path / LIBRARY_FILE, state.to_json())
    finally:
        lock.release()
        lock.close()


def _layout(drives: int, slots: int, ie: int) -> LibraryState:
    """Elements at the 3573-TL addresses, with fresh serial numbers; power-on attention pending."""
    base = random.randint(100000, 999999)
    return LibraryState(
        changer=bool(slots or ie),
        changer_serial=f"78L{base:06d}0"[:10],
        drives=[Element(DRIVE_BASE + i, serial=f"10WT{(base + i) % 1000000:06d}") for i in range(drives)],
        slots=[Element(SLOT_BASE + i) for i in range(slots)],
        ie_slots=[Element(IE_BASE + i) for i in range(ie)],
        changer_attentions=[[0x29, 0x00]] if (slots or ie) else [],
    )


def media_or_error(code: str) -> MediaType:
    try:
        return media_type(code)
    except KeyError:
        raise LibraryError(messages.UNKNOWN_MEDIA.format(media=code)) from None
