"""What is loaded in a drive: the mount-time identification of the cartridge (tape-scsi.md §8 point 5).

A neighbour of `tape.drive`: MODE SENSE/SELECT (variable blocks, compression), READ BLOCK LIMITS,
cartridge memory, the volume statistics log page and the position, gathered into `MediumInfo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tape import drive_mam
from tape.drive_types import MediumInfo
from tape.scsi import cdb
from tape.scsi import logpages as lp
from tape.scsi import mam as m
from tape.scsi.capabilities import parse_block_limits
from tape.scsi.modepages import (
    ALL_PAGES,
    DATA_COMPRESSION,
    BlockDescriptor,
    DataCompression,
    ModeData,
    build_mode_select,
    decode_lto_medium_type,
    parse_mode_sense10,
)
from tape.transport import Direction

if TYPE_CHECKING:
    from tape.drive import Drive

_MODE_ALLOCATION = 4096


def identify(drive: Drive, *, compression: bool | None, restore_settings: bool, read_alerts: bool) -> MediumInfo:
    """What is loaded: MODE SENSE, READ BLOCK LIMITS, MAM, volume statistics, position (and TapeAlert).

    With `restore_settings`, MODE SELECT first puts back variable blocks and `compression` (None:
    leave it as the drive has it).
    """
    mode = mode_sense(drive)
    limits = parse_block_limits(drive.command(cdb.read_block_limits(), Direction.FROM_DEVICE, length=6).data)
    if restore_settings:
        select_modes(drive, mode, compression)
        mode = mode_sense(drive)
    page = mode.page(DATA_COMPRESSION)
    compressing = DataCompression.from_page(page).compress if page is not None else None
    attributes = drive_mam.read_attributes(drive, drive_mam.MOUNT_ATTRIBUTES)
    volume = volume_statistics(drive)
    alerts = tuple(drive.tape_alerts()) if read_alerts else ()
    header = mode.header
    kind = decode_lto_medium_type(header.medium_type)
    descriptor = mode.descriptor
    host_barcode = attributes.get(m.BARCODE)
    barcode = (host_barcode.as_text if host_barcode else "") or (volume.barcode if volume else "") or None
    serial = attributes.get(m.MEDIUM_SERIAL)
    mam_type = attributes.get(m.MEDIUM_TYPE)
    return MediumInfo(
        medium_type=header.medium_type,
        generation=kind.generation if kind else None,
        worm=bool((kind and kind.worm) or (mam_type and mam_type.as_int == 0x80)),
        write_protected=header.write_protected,
        density=descriptor.density if descriptor else 0,
        serial=(serial.as_text if serial else "") or None,
        barcode=barcode,
        mam=drive_mam.described(attributes),
        block_limits=limits,
        compression=compressing,
        position=drive.read_position(),
        capacity_mb=volume.native_capacity_mb if volume else None,
        used_mb=volume.used_native_capacity_mb if volume else None,
        alerts_at_mount=alerts,
    )

def mode_sense(drive: Drive) -> ModeData:
    reply = drive.command(cdb.mode_sense10(ALL_PAGES, length=_MODE_ALLOCATION), Direction.FROM_DEVICE,
                         length=_MODE_ALLOCATION)
    return parse_mode_sense10(reply.data)

def select_modes(drive: Drive, mode: ModeData, compression: bool | None) -> None:
    """Variable-block mode, and compression as asked (page 0Fh DCE); only what differs is sent."""
    descriptor = mode.descriptor
    pages = []
    page = mode.page(DATA_COMPRESSION)
    if page is not None and compression is not None:
        current = DataCompression.from_page(page)
        if current.compress != compression:
            pages.append(current.with_compression(compression).to_page())
    if descriptor is not None and descriptor.block_length == 0 and not pages:
        return
    # Density 0 keeps the drive's choice for the loaded cartridge (LTO-9 or LTO-8 format).
    payload = build_mode_select(pages, BlockDescriptor(0, 0, 0), ten=True)
    drive.command(cdb.mode_select10(len(payload)), Direction.TO_DEVICE, data=payload)

def volume_statistics(drive: Drive) -> lp.VolumeStatistics | None:
    page = drive.log_page(lp.VOLUME_STATISTICS)
    return lp.VolumeStatistics.from_page(page) if page is not None else None
