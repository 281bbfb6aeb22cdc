"""Drive commands that move data: READ(6), WRITE(6), WRITE FILEMARKS(6), ERASE(6), FORMAT MEDIUM.

Sense rules (tape-scsi.md §2.7, SSC-4):
- READ over a filemark: NO SENSE 00/01, FILEMARK, INFORMATION = residue; position after the mark.
- READ at end of data: BLANK CHECK 00/05, INFORMATION = residue; position stays at EOD.
- Variable READ of a shorter block: ILI with a positive residue (suppressed by SILI); of a longer
  block: ILI with a negative residue whatever SILI says — the rest of the block is lost and the
  position is after it.
- WRITE past early warning completes and reports NO SENSE 00/02 with EOM; a block that does not
  fit before the end of the partition is not written: VOLUME OVERFLOW 00/02, EOM, residue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from tape.emulator import faults as fault_kinds
from tape.emulator.codec import u24
from tape.emulator.commands import CommandTable, DataPhaseError, Reply, Wait
from tape.emulator.drive_log import TA_HARD_ERROR, TA_READ_FAILURE, TA_WRITE_FAILURE
from tape.emulator.partition import FILEMARK, CorruptBlock
from tape.emulator.sense import (
    BLANK_CHECK,
    ILLEGAL_REQUEST,
    MEDIUM_ERROR,
    NO_SENSE,
    VOLUME_OVERFLOW,
    WORM_OVERWRITE,
    CheckCondition,
    Sense,
    invalid_field_in_cdb,
)

if TYPE_CHECKING:
    from tape.emulator.drive import Drive

# This family's commands; the drive names each family when it builds its table.
COMMANDS = CommandTable()


def _early_warning(information: int = 0) -> Sense:
    return Sense(NO_SENSE, 0x00, 0x02, eom=True, information=information)


# -- READ ----------------------------------------------------------------------------------------


@COMMANDS.register(0x08, "READ(6)", 6, medium=True, timeout=2340)
def read6(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    sili, fixed = bool(cdb[1] & 0x02), bool(cdb[1] & 0x01)
    count = u24(cdb, 2)
    if sili and fixed:
        raise invalid_field_in_cdb(1, 1)
    if count == 0:
        return Reply()
    d.flush()  # a drive writes out its buffer before it reads
    if not fixed:
        return Reply(data=_read_block(d, count, sili, fixed_size=None, residue=count))
    size = d.cold.block_length
    if size == 0:
        raise invalid_field_in_cdb(1, 0)
    blocks: list[bytes] = []
    try:
        for done in range(count):
            blocks.append(_read_block(d, size, False, fixed_size=size, residue=count - done))
    except CheckCondition as condition:
        raise CheckCondition(condition.sense, b"".join(blocks)) from None
    return Reply(data=b"".join(blocks))


def _read_block(d: Drive, size: int, sili: bool, *, fixed_size: int | None, residue: int) -> bytes:
    """Read the object at the current position into at most `size` bytes.

    `residue` is what INFORMATION reports if nothing of this block transfers (bytes in variable
    mode, blocks in fixed mode).
    """
    part = d.partition
    position = d.hot.position
    if position >= part.count:
        raise CheckCondition(Sense(BLANK_CHECK, 0x00, 0x05, information=residue))
    fault = d.medium_fault(fault_kinds.MEDIUM_ERROR, "read")
    if fault is not None:
        d.fired(fault)
        _read_failure(d, residue)
    try:
        rec = part.record(position)
    except CorruptBlock:
        _read_failure(d, residue)
    if rec.kind == FILEMARK:
        d.hot.position = position + 1
        raise CheckCondition(Sense(NO_SENSE, 0x00, 0x01, filemark=True, information=residue))
    if fixed_size is not None and rec.length != fixed_size:
        d.hot.position = position + 1
        raise CheckCondition(Sense(NO_SENSE, 0x00, 0x00, ili=True, information=residue))
    try:
        block = part.read(rec, size)
    except CorruptBlock:
        _read_failure(d, residue)
    d.hot.position = position + 1
    hot = d.hot
    hot.medium_read += rec.length
    hot.host_read += len(block)
    hot.blocks_read += 1
    if rec.length > size or (rec.length < size and not sili and fixed_size is None):
        raise CheckCondition(Sense(NO_SENSE, 0x00, 0x00, ili=True, information=size - rec.length), block)
    return block


def _read_failure(d: Drive, residue: int) -> NoReturn:
    d.cold.set_alert(TA_HARD_ERROR)
    d.cold.set_alert(TA_READ_FAILURE)
    raise CheckCondition(Sense(MEDIUM_ERROR, 0x11, 0x00, information=residue))


# -- WRITE ---------------------------------------------------------------------------------------


@COMMANDS.register(0x0A, "WRITE(6)", 6, medium=True, timeout=1560)
def write6(d: Drive, cdb: bytes, data: bytes | memoryview | None, length: int) -> Reply:
    fixed = bool(cdb[1] & 0x01)
    count = u24(cdb, 2)
    if count == 0:
        return Reply()
    if fixed:
        size = d.cold.block_length
        if size == 0:
            raise invalid_field_in_cdb(1, 0)
        blocks = count
    else:
        if count > d.library.max_block_length:
            raise invalid_field_in_cdb(2)
        size, blocks = count, 1
    if data is None or len(data) < size * blocks:
        raise DataPhaseError(size * blocks, len(data or b""))
    d.check_writable()
    d.prepare_write()
    part = d.partition
    hot = d.hot
    view = memoryview(data) if fixed else data
    for done in range(blocks):
        residue = count - done if fixed else count
        if d.library.faults:
            _write_faults(d, residue)
        if part.data_end + size > part.capacity:
            raise CheckCondition(Sense(VOLUME_OVERFLOW, 0x00, 0x02, eom=True, information=residue))
        part.append_block(view[done * size : (done + 1) * size] if fixed else view)
        hot.position += 1
        hot.host_written += size
        hot.medium_written += size
        hot.blocks_written += 1
    d.flush_if_full()
    if part.data_end >= part.early_warning_at:
        return Reply(sense=_early_warning())
    return Reply()


def _write_faults(d: Drive, residue: int) -> None:
    fault = d.medium_fault(fault_kinds.MEDIUM_ERROR, "write")
    if fault is not None:
        d.fired(fault)
        d.cold.set_alert(TA_HARD_ERROR)
        d.cold.set_alert(TA_WRITE_FAILURE)
        raise CheckCondition(Sense(MEDIUM_ERROR, 0x0C, 0x00, information=residue))
    fault = d.medium_fault(fault_kinds.VOLUME_OVERFLOW, "write")
    if fault is not None:
        d.fired(fault)
        raise CheckCondition(Sense(VOLUME_OVERFLOW, 0x00, 0x02, eom=True, information=residue))


@COMMANDS.register(0x10, "WRITE FILEMARKS(6)", 6, medium=True, timeout=1680)
def write_filemarks6(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    immed = bool(cdb[1] & 0x01)
    if cdb[1] & 0x02:
        raise invalid_field_in_cdb(1, 1)  # setmarks are not supported by LTO
    count = u24(cdb, 2)
    if count:
        d.check_writable()
        d.prepare_write()
        if d.library.faults:
            _write_faults(d, count)
        d.partition.append_filemarks(count)
        d.hot.position += count
    if not immed:
        d.flush()  # WRITE FILEMARKS without IMMED (count 0 too) is the host's flush
    if count and d.partition.data_end >= d.partition.early_warning_at:
        return Reply(sense=_early_warning())
    return Reply()


# -- ERASE and FORMAT -----------------------------------------------------------------------------


@COMMANDS.register(0x19, "ERASE(6)", 6, medium=True, timeout=166370)
def erase6(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    long_erase, immed = bool(cdb[1] & 0x01), bool(cdb[1] & 0x02)
    d.check_writable()
    if d.hot.position < d.partition.count:
        d.prepare_write()  # end of data moves here (WORM refuses)
    d.flush()
    seconds = d.library.long_erase_seconds
    if not long_erase or seconds <= 0:
        return Reply()
    cold = d.cold
    cold.busy, cold.busy_start, cold.busy_end = "erase", d.now, d.now + seconds
    return Reply() if immed else Reply(wait=Wait(cold.busy_end, "erase"))


@COMMANDS.register(0x04, "FORMAT MEDIUM", 6, medium=True, timeout=3240)
def format_medium(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    immed = bool(cdb[1] & 0x01)
    kind = cdb[2] & 0x0F
    if kind > 2:
        raise invalid_field_in_cdb(2)
    if d.hot.partition != 0 or d.hot.position != 0:
        raise CheckCondition(Sense(ILLEGAL_REQUEST, 0x2C, 0x00))  # only from BOP of partition 0
    d.check_writable()
    cart = d.loaded
    if cart.worm and any(p.count for p in cart.partitions):
        raise CheckCondition(WORM_OVERWRITE)
    if kind == 0:
        sizes = [cart.state.capacity]
    else:
        sizes = list(d.cold.pending_partitions or cart.state.partitions)
    cart.reformat(sizes)
    d.cold.pending_partitions = None
    d.note_change()
    if kind == 2 and cart.media.needs_optimisation and cart.state.first_load_seconds > 0:
        # Format type 2 recalibrates the cartridge (tape-scsi.md §1.6), like a first load.
        d.optimise(cart.state.first_load_seconds)
        return Reply() if immed else Reply(wait=Wait(d.cold.ready_at, "load"))
    return Reply()
