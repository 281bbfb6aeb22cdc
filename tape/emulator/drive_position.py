"""Drive commands that position the tape: REWIND, SPACE(6)/(16), LOCATE(10)/(16), READ POSITION.

Positions are logical object numbers in the current partition, filemarks included; BOP is object
0 only. Residues for spacing are magnitudes (the Linux st driver flips a negative one back,
"some drives get this wrong"). Every positioning command empties the write buffer first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tape.emulator.codec import be, s24, s64, u16, u32, u64
from tape.emulator.commands import CommandTable, Reply, trim
from tape.emulator.sense import BLANK_CHECK, NO_SENSE, CheckCondition, Sense, invalid_field_in_cdb

if TYPE_CHECKING:
    from tape.emulator.drive import Drive
    from tape.emulator.partition import Partition

# This family's commands; the drive names each family when it builds its table.
COMMANDS = CommandTable()

SPACE_BLOCKS, SPACE_FILEMARKS, SPACE_EOD = 0, 1, 3


@COMMANDS.register(0x01, "REWIND", 6, medium=True, timeout=600)
def rewind(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    d.flush()
    d.hot.position = 0
    return Reply()


# -- SPACE ---------------------------------------------------------------------------------------


@COMMANDS.register(0x11, "SPACE(6)", 6, medium=True, timeout=2940)
def space6(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return _space(d, cdb[1] & 0x0F, s24(cdb, 2))


@COMMANDS.register(0x91, "SPACE(16)", 16, medium=True, timeout=2940)
def space16(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return _space(d, cdb[1] & 0x0F, s64(cdb, 4))


def _space(d: Drive, code: int, count: int) -> Reply:
    if code not in (SPACE_BLOCKS, SPACE_FILEMARKS, SPACE_EOD):
        raise invalid_field_in_cdb(1, 3)  # sequential filemarks and setmarks are not supported
    d.flush()
    part = d.partition
    if code == SPACE_EOD:
        d.hot.position = part.count
    elif count > 0:
        (_blocks_forward if code == SPACE_BLOCKS else _filemarks_forward)(d, part, count)
    elif count < 0:
        (_blocks_backward if code == SPACE_BLOCKS else _filemarks_backward)(d, part, -count)
    return Reply()


def _blocks_forward(d: Drive, part: Partition, count: int) -> None:
    position = d.hot.position
    mark = part.next_filemark(position)
    stop = part.count if mark is None else mark
    available = stop - position
    if count <= available:
        d.hot.position = position + count
        return
    if mark is not None:
        d.hot.position = mark + 1  # forward over a filemark: stop after it
        raise CheckCondition(Sense(NO_SENSE, 0x00, 0x01, filemark=True, information=count - available))
    d.hot.position = part.count
    raise CheckCondition(Sense(BLANK_CHECK, 0x00, 0x05, information=count - available))


def _blocks_backward(d: Drive, part: Partition, count: int) -> None:
    position = d.hot.position
    mark = part.previous_filemark(position)
    start = 0 if mark is None else mark + 1
    available = position - start
    if count <= available:
        d.hot.position = position - count
        return
    if mark is not None:
        d.hot.position = mark  # backward over a filemark: stop on its BOP side
        raise CheckCondition(Sense(NO_SENSE, 0x00, 0x01, filemark=True, information=count - available))
    d.hot.position = 0
    raise CheckCondition(Sense(NO_SENSE, 0x00, 0x04, eom=True, information=count - available))


def _filemarks_forward(d: Drive, part: Partition, count: int) -> None:
    first = part.file_number(d.hot.position)  # index of the next filemark at or after here
    ahead = len(part.filemarks) - first
    if count <= ahead:
        d.hot.position = part.filemarks[first + count - 1] + 1
        return
    d.hot.position = part.count
    raise CheckCondition(Sense(BLANK_CHECK, 0x00, 0x05, information=count - ahead))


def _filemarks_backward(d: Drive, part: Partition, count: int) -> None:
    behind = part.file_number(d.hot.position)
    if count <= behind:
        d.hot.position = part.filemarks[behind - count]
        return
    d.hot.position = 0
    raise CheckCondition(Sense(NO_SENSE, 0x00, 0x04, eom=True, information=count - behind))


# -- LOCATE --------------------------------------------------------------------------------------


@COMMANDS.register(0x2B, "LOCATE(10)", 10, medium=True, timeout=2940)
def locate10(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    partition = cdb[8] if cdb[1] & 0x02 else None
    return _locate(d, partition, 0, u32(cdb, 3), partition_byte=8)


@COMMANDS.register(0x92, "LOCATE(16)", 16, medium=True, timeout=2940)
def locate16(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    partition = cdb[3] if cdb[1] & 0x02 else None
    return _locate(d, partition, (cdb[1] >> 3) & 0x07, u64(cdb, 4), partition_byte=3)


def _locate(
    d: Drive, partition: int | None, destination: int, identifier: int, *, partition_byte: int
) -> Reply:
    if destination not in (0, 1, 3):
        raise invalid_field_in_cdb(1, 5)
    cart = d.loaded
    if partition is not None and partition >= len(cart.partitions):
        raise invalid_field_in_cdb(partition_byte)
    d.flush()
    if partition is not None:
        d.hot.partition = partition
    part = d.partition
    if destination == 3:
        target = part.count
    elif destination == 1:  # logical file identifier: the object after filemark n
        if identifier == 0:
            target = 0
        elif identifier <= len(part.filemarks):
            target = part.filemarks[identifier - 1] + 1
        else:
            target = part.count + 1
    else:
        target = identifier
    if target > part.count:
        d.hot.position = part.count
        raise CheckCondition(Sense(BLANK_CHECK, 0x00, 0x05))
    d.hot.position = target
    return Reply()


# -- READ POSITION -------------------------------------------------------------------------------


@COMMANDS.register(0x34, "READ POSITION", 10, medium=True)
def read_position(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    action = cdb[1] & 0x1F
    part = d.partition
    position = d.hot.position
    bop = position == 0
    eop = part.offset_at(position) >= part.early_warning_at
    flags = (0x80 if bop else 0) | (0x40 if eop else 0)
    if action in (0x00, 0x01):
        out = bytearray(20)
        too_far = position > 0xFFFFFFFF
        out[0] = flags | (0x02 if too_far else 0)
        out[1] = d.hot.partition
        if not too_far:
            out[4:8] = be(position, 4)
            out[8:12] = be(position, 4)  # nothing waits in the buffer: last = first
        return Reply(data=bytes(out))
    if action == 0x06:
        out = bytearray(32)
        out[0] = flags
        out[4:8] = be(d.hot.partition, 4)
        out[8:16] = be(position, 8)
        out[16:24] = be(part.file_number(position), 8)
        return Reply(data=bytes(out))
    if action == 0x08:
        out = bytearray(32)
        out[0] = flags
        out[1] = d.hot.partition
        out[2:4] = be(28, 2)
        out[8:16] = be(position, 8)
        out[16:24] = be(position, 8)
        return Reply(data=trim(bytes(out), u16(cdb, 7)))
    raise invalid_field_in_cdb(1, 4)
