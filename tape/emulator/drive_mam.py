"""READ ATTRIBUTE and WRITE ATTRIBUTE: the cartridge memory as a host sees it (SPC-4 §6.17/6.38).

Like IBM drives (LTFS relies on it), asking for attribute values starting at an id that does not
exist is 5/24/00, which is how a host learns that an optional attribute was never written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tape.emulator import mam
from tape.emulator.codec import be, u16, u32
from tape.emulator.commands import CommandTable, Reply, trim
from tape.emulator.sense import PARAMETER_LIST_LENGTH_ERROR, CheckCondition, invalid_field_in_cdb

if TYPE_CHECKING:
    from tape.emulator.drive import Drive

# This family's commands; the drive names each family when it builds its table.
COMMANDS = CommandTable()

VALUES, ATTRIBUTE_LIST, VOLUME_LIST, PARTITION_LIST, SUPPORTED = 0x00, 0x01, 0x02, 0x03, 0x05


def _load_facts(d: Drive) -> mam.LoadFacts:
    return mam.LoadFacts(d.hot.medium_written, d.hot.medium_read, d.cold.alerts)


@COMMANDS.register(0x8C, "READ ATTRIBUTE", 16, medium=True, timeout=132)
def read_attribute(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    action, volume, partition = cdb[1] & 0x1F, cdb[5], cdb[7]
    first, allocation = u16(cdb, 8), u32(cdb, 10)
    cart = d.loaded
    if volume != 0:
        raise invalid_field_in_cdb(5)
    if partition >= len(cart.partitions):
        raise invalid_field_in_cdb(7)
    if action == VALUES:
        items = [a for a in mam.attributes(cart, partition, _load_facts(d)) if a.id >= first]
        if not items or items[0].id != first:
            raise invalid_field_in_cdb(8)
        return Reply(data=trim(mam.encode_values(items), allocation))
    if action in (ATTRIBUTE_LIST, SUPPORTED):
        ids = (
            [a.id for a in mam.attributes(cart, partition, _load_facts(d))]
            if action == ATTRIBUTE_LIST
            else mam.supported_ids(cart)
        )
        body = b"".join(be(i, 2) for i in ids if i >= first)
        return Reply(data=trim(be(len(body), 4) + body, allocation))
    if action == VOLUME_LIST:
        return Reply(data=trim(bytes([0, 2, 0, 1]), allocation))
    if action == PARTITION_LIST:
        return Reply(data=trim(bytes([0, 2, 0, len(cart.partitions)]), allocation))
    raise invalid_field_in_cdb(1, 4)


@COMMANDS.register(0x8D, "WRITE ATTRIBUTE", 16, medium=True, timeout=132)
def write_attribute(d: Drive, cdb: bytes, data: bytes | memoryview | None, length: int) -> Reply:
    volume, partition, declared = cdb[5], cdb[7], u32(cdb, 10)
    cart = d.loaded
    if volume != 0:
        raise invalid_field_in_cdb(5)
    if partition >= len(cart.partitions):
        raise invalid_field_in_cdb(7)
    if declared == 0:
        return Reply()
    payload = bytes((data or b"")[:declared])
    if len(payload) < declared:
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    items = mam.parse_write_list(payload)
    d.check_writable()
    mam.apply_write(cart, items)
    return Reply()
