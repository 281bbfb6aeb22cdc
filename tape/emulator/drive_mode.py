"""MODE SENSE(6)/(10) and MODE SELECT(6)/(10) for the drive.

Pages: 01h read-write error recovery, 0Ah control, 0Fh data compression (DCE), 10h device
configuration, 10h/01h device configuration extension, 11h medium partition, 1Ch informational
exceptions, 1Dh medium configuration (WORM). MODE SELECT accepts any page echoed back as read;
changing a bit that the changeable-values page does not offer, or sending a page the drive does
not have, is 5/26/00 (INVALID FIELD IN PARAMETER LIST) and nothing is applied.

The block descriptor selects fixed (block length > 0) or variable (0) block mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from tape.emulator.codec import be, u16, u24
from tape.emulator.commands import CommandTable, Reply, trim
from tape.emulator.sense import (
    ILLEGAL_REQUEST,
    MEDIUM_NOT_PRESENT,
    PARAMETER_LIST_LENGTH_ERROR,
    CheckCondition,
    Sense,
    invalid_field_in_cdb,
    invalid_field_in_parameters,
)

if TYPE_CHECKING:
    from tape.emulator.drive import Drive

# This family's commands; the drive names each family when it builds its table.
COMMANDS = CommandTable()

CURRENT, CHANGEABLE, DEFAULT, SAVED = 0, 1, 2, 3
Key = tuple[int, int]
PAGES: tuple[Key, ...] = (
    (0x01, 0),
    (0x0A, 0),
    (0x0F, 0),
    (0x10, 0),
    (0x10, 1),
    (0x11, 0),
    (0x1C, 0),
    (0x1D, 0),
)
# Pages kept as raw bytes (only their changeable bits can differ from the default).
RAW_PAGES = {(0x01, 0), (0x0A, 0), (0x10, 1), (0x1C, 0)}
DENSITIES_ACCEPTED = (0x00, 0x7F, 0x60, 0x5E)
DEFAULT_SMALL_PARTITION = 0.05  # FDP: partition 0 gets 5 % (as LTFS's file backend does)


def _key_name(key: Key) -> str:
    return f"{key[0]:02X}.{key[1]:02X}"


# -- page contents -------------------------------------------------------------------------------


def _default_raw(key: Key) -> bytearray:
    if key == (0x01, 0):
        return bytearray([0x01, 0x0A]) + bytearray(10)
    if key == (0x0A, 0):
        return bytearray([0x0A, 0x0A]) + bytearray(10)
    if key == (0x1C, 0):
        return bytearray([0x1C, 0x0A, 0x00, 0x03]) + bytearray(8)
    return bytearray([0x50, 0x01, 0x00, 0x1C]) + bytearray(28)  # 10h/01h


def _raw_mask(key: Key) -> bytearray:
    page = bytearray(len(_default_raw(key)))
    if key == (0x1C, 0):
        page[2], page[3] = 0x8C, 0x0F  # PERF, DEXCPT, TEST; MRIE
        page[4:12] = b"\xff" * 8  # interval timer, report count
    elif key == (0x10, 1):
        page[4:] = b"\xff" * (len(page) - 4)  # write mode, PEW … kept as sent
    return page


def _partition_sizes(d: Drive) -> list[int]:
    if d.cold.pending_partitions:
        return list(d.cold.pending_partitions)
    cart = d.cartridge
    return list(cart.state.partitions) if cart is not None else [0]


def _page_11(sizes: list[int]) -> bytearray:
    exponent = 6
    while max(sizes) / 10**exponent > 0xFFFE and exponent < 15:
        exponent += 1
    page = bytearray([0x11, 6 + 2 * len(sizes), 1, len(sizes) - 1, 0x38, 0x03, exponent, 0])
    for size in sizes:
        page += be(math.ceil(size / 10**exponent), 2)
    return page


def build_page(d: Drive, key: Key, control: int) -> bytes:
    """One page as MODE SENSE returns it for a page control value."""
    if control == CHANGEABLE:
        return bytes(_mask(d, key))
    defaults = control == DEFAULT
    if key in RAW_PAGES:
        stored = None if defaults else d.cold.pages.get(_key_name(key))
        return bytes.fromhex(stored) if stored else bytes(_default_raw(key))
    compression = True if defaults else d.cold.compression
    if key == (0x0F, 0):
        page = bytearray([0x0F, 0x0E, 0xC0 if compression else 0x40, 0x80]) + be(1, 4) + be(1, 4) + bytes(4)
        return bytes(page)
    if key == (0x10, 0):
        page = bytearray(16)
        page[0:2] = b"\x10\x0e"
        page[3] = 0 if defaults else d.hot.partition
        page[8] = 0x40  # LOIS: logical object identifiers are supported
        page[10] = 0x18  # EEG, SEW
        page[14] = 1 if compression else 0
        return bytes(page)
    if key == (0x11, 0):
        return bytes(_page_11(_partition_sizes(d)))
    cart = d.cartridge
    page = bytearray(32)
    page[0:2] = b"\x1d\x1e"
    page[2] = 0x01 if cart is not None and cart.worm else 0x00
    return bytes(page)


def _mask(d: Drive, key: Key) -> bytearray:
    if key in RAW_PAGES:
        return _raw_mask(key)
    if key == (0x0F, 0):
        return bytearray([0, 0, 0x80]) + bytearray(13)
    if key == (0x10, 0):
        mask = bytearray(16)
        mask[14] = 0xFF
        return mask
    if key == (0x11, 0):
        mask = _page_11(_partition_sizes(d))
        return bytearray([0, 0, 0, 0xFF, 0xFC, 0, 0x0F, 0]) + b"\xff" * (len(mask) - 8)
    return bytearray(32)


def _pages_for(page: int, subpage: int) -> list[Key]:
    if page == 0x3F:
        return [k for k in PAGES if subpage == 0xFF or k[1] == subpage]
    keys = [k for k in PAGES if k[0] == page and (subpage == 0xFF or k[1] == subpage)]
    if not keys:
        raise invalid_field_in_cdb(2 if subpage in (0, 0xFF) else 3)
    return keys


# -- MODE SENSE ----------------------------------------------------------------------------------


def _header_bytes(d: Drive) -> tuple[int, int]:
    cart = d.cartridge
    if cart is None:
        return 0x00, 0x10
    return cart.media.medium_type, 0x10 | (0x80 if cart.state.write_protect else 0)


def _block_descriptor(d: Drive, control: int) -> bytes:
    if control == CHANGEABLE:
        return bytes([0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF])
    cart = d.cartridge
    density = cart.media.density if cart is not None else 0
    length = 0 if control == DEFAULT else d.cold.block_length
    return bytes([density, 0, 0, 0, 0]) + be(length, 3)


def _mode_sense(d: Drive, cdb: bytes, ten: bool) -> Reply:
    control, page, subpage = cdb[2] >> 6, cdb[2] & 0x3F, cdb[3]
    if control == SAVED:
        raise CheckCondition(Sense(ILLEGAL_REQUEST, 0x39, 0x00))  # saving parameters not supported
    body = b"".join(build_page(d, key, control) for key in _pages_for(page, subpage))
    descriptor = b"" if cdb[1] & 0x08 else _block_descriptor(d, control)
    medium_type, specific = _header_bytes(d)
    if ten:
        total = 8 + len(descriptor) + len(body)
        header = be(total - 2, 2) + bytes([medium_type, specific, 0, 0]) + be(len(descriptor), 2)
        return Reply(data=trim(header + descriptor + body, u16(cdb, 7)))
    total = 4 + len(descriptor) + len(body)
    header = bytes([min(total - 1, 0xFF), medium_type, specific, len(descriptor)])
    return Reply(data=trim(header + descriptor + body, cdb[4]))


@COMMANDS.register(0x1A, "MODE SENSE(6)", 6)
def mode_sense6(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return _mode_sense(d, cdb, ten=False)


@COMMANDS.register(0x5A, "MODE SENSE(10)", 10)
def mode_sense10(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return _mode_sense(d, cdb, ten=True)


# -- MODE SELECT ---------------------------------------------------------------------------------


@COMMANDS.register(0x15, "MODE SELECT(6)", 6)
def mode_select6(d: Drive, cdb: bytes, data: bytes | None, length: int) -> Reply:
    return _mode_select(d, bytes((data or b"")[: cdb[4]]), cdb[4], ten=False)


@COMMANDS.register(0x55, "MODE SELECT(10)", 10)
def mode_select10(d: Drive, cdb: bytes, data: bytes | None, length: int) -> Reply:
    return _mode_select(d, bytes((data or b"")[: u16(cdb, 7)]), u16(cdb, 7), ten=True)


def _mode_select(d: Drive, buf: bytes, declared: int, *, ten: bool) -> Reply:
    if declared == 0:
        return Reply()
    header = 8 if ten else 4
    if len(buf) < declared or len(buf) < header:
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    descriptor_length = u16(buf, 6) if ten else buf[3]
    if descriptor_length not in (0, 8):
        raise invalid_field_in_parameters(6 if ten else 3)
    at = header
    changes: list[Callable[[], None]] = []
    if descriptor_length:
        if len(buf) < at + 8:
            raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
        changes.append(_select_descriptor(d, buf[at : at + 8], at))
        at += 8
    while at < len(buf):
        page, at = _next_page(buf, at)
        changes.append(_select_page(d, page, at - len(page)))
    for apply in changes:
        apply()
    return Reply()


def _next_page(buf: bytes, at: int) -> tuple[bytes, int]:
    if len(buf) < at + 2:
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    if buf[at] & 0x40:
        if len(buf) < at + 4:
            raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
        end = at + 4 + u16(buf, at + 2)
    else:
        end = at + 2 + buf[at + 1]
    if end > len(buf):
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    return buf[at:end], end


def _select_descriptor(d: Drive, descriptor: bytes, at: int) -> Callable[[], None]:
    if descriptor[0] not in DENSITIES_ACCEPTED:
        raise invalid_field_in_parameters(at)
    length = u24(descriptor, 5)
    if length > d.library.max_block_length:
        raise invalid_field_in_parameters(at + 5)

    def apply() -> None:
        d.cold.block_length = length

    return apply


def _select_page(d: Drive, page: bytes, at: int) -> Callable[[], None]:
    key = (page[0] & 0x3F, page[1] if page[0] & 0x40 else 0)
    if key not in PAGES:
        raise invalid_field_in_parameters(at)
    if key == (0x11, 0):
        return _select_partitions(d, page, at)
    current = build_page(d, key, CURRENT)
    mask = _mask(d, key)
    if len(page) != len(current):
        raise invalid_field_in_parameters(at + 1)
    first = 4 if page[0] & 0x40 else 2
    for i in range(first, len(page)):
        if (page[i] ^ current[i]) & ~mask[i] & 0xFF:
            raise invalid_field_in_parameters(at + i)
    merged = bytes((c & ~m & 0xFF) | (p & m) for c, m, p in zip(current, mask, page, strict=True))

    def apply() -> None:
        if key in RAW_PAGES:
            d.cold.pages = {**d.cold.pages, _key_name(key): merged.hex()}
        elif key == (0x0F, 0):
            d.cold.compression = bool(merged[2] & 0x80)
        elif key == (0x10, 0):
            d.cold.compression = merged[14] != 0

    return apply


def _select_partitions(d: Drive, page: bytes, at: int) -> Callable[[], None]:
    """Page 11h: remember the partition layout FORMAT MEDIUM will apply."""
    cart = d.cartridge
    if cart is None:
        raise CheckCondition(MEDIUM_NOT_PRESENT)
    if len(page) < 8:
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    additional, flags, units = page[3], page[4], page[6] & 0x0F
    if additional > 1:
        raise invalid_field_in_parameters(at + 3)
    capacity = cart.state.capacity
    if additional == 0:
        sizes = [capacity]
    elif flags & 0x20:  # IDP: the sizes are in the page
        if len(page) < 12:
            raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
        unit = (1, 10**3, 10**6, 10**units)[(flags >> 3) & 0x03]
        raw = [u16(page, 8), u16(page, 10)]
        fixed = [r * unit for r in raw if r != 0xFFFF]
        if raw.count(0xFFFF) > 1 or sum(fixed) > capacity:
            raise invalid_field_in_parameters(at + 8)
        sizes = [capacity - sum(fixed) if r == 0xFFFF else r * unit for r in raw]
        if raw.count(0xFFFF) == 0 and sum(sizes) < capacity:
            sizes[-1] += capacity - sum(sizes)
    else:  # FDP or SDP: the drive's default split
        small = int(capacity * DEFAULT_SMALL_PARTITION)
        sizes = [small, capacity - small]

    def apply() -> None:
        d.cold.pending_partitions = sizes

    return apply
