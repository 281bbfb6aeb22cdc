"""READ POSITION short, long and extended forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tape.scsi.cdb import PositionForm
from tape.scsi.position import (
    Position,
    PositionError,
    encode_extended,
    encode_long,
    encode_short,
    parse_extended,
    parse_long,
    parse_position,
    parse_short,
)


def test_long_form_as_ltfs_reads_it() -> None:
    # Partition 1, object 7, 3 filemarks before it, beyond early warning.
    data = bytes.fromhex("40 00 00 00 00 00 00 01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 00 03") + bytes(8)
    pos = parse_long(data)
    assert (pos.partition, pos.block, pos.file) == (1, 7, 3)
    assert pos.eop and not pos.bop and not pos.bpew and pos.beyond_early_warning


def test_long_form_of_an_empty_tape_has_the_object_number_unknown() -> None:
    # A real ULT3580-TD5 answer with an empty tape starts with 04h = LONU (mhvtl issue #129).
    pos = parse_long(bytes.fromhex("04") + bytes(31))
    assert pos.block is None and pos.file is None


def test_long_form_at_bop() -> None:
    pos = parse_long(bytes.fromhex("80") + bytes(31))
    assert pos.bop and pos.block == 0 and pos.file == 0 and pos.partition == 0


def test_long_form_uses_64_bit_object_numbers() -> None:
    data = bytearray(32)
    data[8:16] = (5_000_000_000).to_bytes(8, "big")
    assert parse_long(bytes(data)).block == 5_000_000_000


def test_short_form_fields() -> None:
    data = bytes.fromhex("81 00 00 00 00 00 00 0A 00 00 00 0C 00 00 00 02 00 04 00 00")
    pos = parse_short(data)
    assert pos.bop and pos.bpew and not pos.eop
    assert (pos.block, pos.last_block, pos.objects_in_buffer, pos.bytes_in_buffer) == (10, 12, 2, 0x40000)
    assert pos.file is None and pos.form == PositionForm.SHORT


def test_short_form_unknown_flags_blank_their_fields() -> None:
    pos = parse_short(bytes.fromhex("36") + bytes(19))  # LOCU, BYCU, LOLU, PERR
    assert (
        pos.block is None and pos.objects_in_buffer is None and pos.bytes_in_buffer is None and pos.overflow
    )


def test_extended_form() -> None:
    data = bytearray(32)
    data[0], data[1] = 0x00, 1
    data[2:4] = (0x1C).to_bytes(2, "big")
    data[5:8] = (3).to_bytes(3, "big")
    data[8:16] = (1 << 33).to_bytes(8, "big")
    data[16:24] = ((1 << 33) + 3).to_bytes(8, "big")
    data[24:32] = (786432).to_bytes(8, "big")
    pos = parse_extended(bytes(data))
    assert (pos.partition, pos.block, pos.last_block, pos.objects_in_buffer, pos.bytes_in_buffer) == (
        1,
        1 << 33,
        (1 << 33) + 3,
        3,
        786432,
    )


def test_short_replies_are_refused() -> None:
    with pytest.raises(PositionError):
        parse_long(bytes(20))
    with pytest.raises(PositionError):
        parse_position(bytes(10), PositionForm.SHORT)


positions = st.builds(
    Position,
    partition=st.integers(0, 255),
    block=st.one_of(st.none(), st.integers(0, (1 << 32) - 1)),
    bop=st.booleans(),
    eop=st.booleans(),
    bpew=st.booleans(),
)


@given(positions, st.integers(0, (1 << 40)))
def test_long_form_round_trip(position: Position, file: int) -> None:
    original = Position(
        position.partition,
        position.block,
        None if position.block is None else file,
        position.bop,
        position.eop,
        position.bpew,
    )
    assert parse_position(encode_long(original), PositionForm.LONG) == original


@given(
    positions,
    st.one_of(st.none(), st.integers(0, (1 << 24) - 1)),
    st.one_of(st.none(), st.integers(0, (1 << 32) - 1)),
)
def test_short_and_extended_round_trip(position: Position, objects: int | None, nbytes: int | None) -> None:
    for encode, parse, form in (
        (encode_short, parse_short, PositionForm.SHORT),
        (encode_extended, parse_extended, PositionForm.EXTENDED),
    ):
        original = Position(
            position.partition,
            position.block,
            bop=position.bop,
            eop=position.eop,
            bpew=position.bpew,
            last_block=position.block,
            objects_in_buffer=objects,
            bytes_in_buffer=nbytes,
            form=form,
        )
        assert parse(encode(original)) == original
