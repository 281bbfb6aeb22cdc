"""Decoding fixed (70h/71h) and descriptor (72h/73h) sense data, from handcrafted bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tape.scsi.sense import FieldPointer, build_descriptor_sense, build_fixed_sense, parse_sense


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_fixed_sense_of_a_filemark_read_in_variable_mode() -> None:
    # VALID, current; FILEMARK + NO SENSE; INFORMATION = 0x00040000 (the whole request unread).
    sense = parse_sense(h("F0 00 80 00 04 00 00 0A 00 00 00 00 00 01 00 00 00 00"))
    assert sense is not None
    assert (sense.key, sense.asc, sense.ascq) == (0, 0x00, 0x01)
    assert sense.filemark and not sense.eom and not sense.ili
    assert sense.valid and sense.information == 0x40000 and sense.residue == 0x40000
    assert not sense.deferred and not sense.descriptor_format


def test_fixed_sense_information_is_signed_for_a_longer_block() -> None:
    # ILI with INFORMATION = -4096: the block was 4 KiB longer than the buffer.
    sense = parse_sense(h("F0 00 20 FF FF F0 00 0A 00 00 00 00 00 00 00 00 00 00"))
    assert sense is not None
    assert sense.ili and sense.information == -4096


def test_information_without_valid_bit_gives_no_residue() -> None:
    sense = parse_sense(h("70 00 08 00 00 00 05 0A 00 00 00 00 00 05 00 00 00 00"))
    assert sense is not None
    assert sense.key == 8 and not sense.valid and sense.information == 5 and sense.residue == 0


def test_deferred_fixed_sense() -> None:
    sense = parse_sense(h("71 00 03 00 00 00 00 0A 00 00 00 00 0C 00 00 00 00 00"))
    assert sense is not None
    assert sense.deferred and sense.code == (3, 0x0C, 0x00)


def test_progress_indicator_of_an_immediate_erase() -> None:
    # NO SENSE 00/18 erase in progress, SKSV set, progress 0x8000 / 65536 = one half.
    sense = parse_sense(h("70 00 00 00 00 00 00 0A 00 00 00 00 00 18 00 80 80 00"))
    assert sense is not None
    assert sense.progress == 0.5


def test_field_pointer_of_an_illegal_request() -> None:
    # 5/24/00 with SKSV, C/D (in the CDB), BPV, bit 1 of byte 4.
    sense = parse_sense(h("70 00 05 00 00 00 00 0A 00 00 00 00 24 00 00 C9 00 04"))
    assert sense is not None
    assert sense.field_pointer == FieldPointer(in_cdb=True, byte=4, bit=1)
    assert sense.progress is None


def test_sense_key_specific_bytes_mean_nothing_without_sksv() -> None:
    sense = parse_sense(h("70 00 05 00 00 00 00 0A 00 00 00 00 24 00 00 49 00 04"))
    assert sense is not None
    assert sense.field_pointer is None


def test_short_fixed_sense_still_gives_key_and_codes_it_carries() -> None:
    sense = parse_sense(h("70 00 06 00 00 00 00 06 00 00 00 00 28 00"))
    assert sense is not None
    assert sense.code == (6, 0x28, 0x00)


def test_additional_length_limits_what_is_read() -> None:
    # Additional length 4: bytes 12 and 13 are outside the sense data even though present.
    sense = parse_sense(h("70 00 02 00 00 00 00 04 00 00 00 00 3A 00 00 00 00 00"))
    assert sense is not None
    assert (sense.asc, sense.ascq) == (0, 0)


def test_empty_or_unknown_formats_are_not_sense() -> None:
    assert parse_sense(b"") is None
    assert parse_sense(h("7F 00 00 00")) is None


def test_descriptor_sense_with_information_and_stream_descriptors() -> None:
    data = h(
        "72 08 00 05 00 00 00 14"  # BLANK CHECK 00/05, 20 bytes of descriptors
        " 00 0A 80 00 00 00 00 00 00 00 10 00"  # information, VALID, 4096
        " 04 02 00 40"  # stream commands: EOM
        " 03 02 00 07"  # FRU 7
    )
    sense = parse_sense(data)
    assert sense is not None
    assert sense.descriptor_format and not sense.deferred
    assert sense.code == (8, 0x00, 0x05)
    assert sense.valid and sense.information == 4096
    assert sense.eom and not sense.filemark and not sense.ili
    assert sense.fru == 7


def test_descriptor_sense_progress_and_deferred() -> None:
    data = h("73 02 04 01 00 00 00 08 02 06 00 00 80 40 00 00")
    sense = parse_sense(data)
    assert sense is not None
    assert sense.deferred and sense.code == (2, 0x04, 0x01)
    assert sense.progress == 0x4000 / 65536


def test_descriptor_sense_ignores_a_descriptor_cut_off_by_the_additional_length() -> None:
    data = h("72 00 00 00 00 00 00 06 00 0A 80 00 00 00 00 00 00 00 00 09")
    sense = parse_sense(data)
    assert sense is not None
    assert not sense.valid and sense.information == 0


def test_builders_produce_what_the_parser_reads_in_both_formats() -> None:
    for build in (build_fixed_sense, build_descriptor_sense):
        sense = parse_sense(build(0xD, 0x00, 0x02, information=512, eom=True))
        assert sense is not None
        assert sense.code == (0xD, 0, 2) and sense.eom and sense.residue == 512


@given(
    key=st.integers(0, 15),
    asc=st.integers(0, 255),
    ascq=st.integers(0, 255),
    information=st.one_of(st.none(), st.integers(-(1 << 31), (1 << 31) - 1)),
    filemark=st.booleans(),
    eom=st.booleans(),
    ili=st.booleans(),
    deferred=st.booleans(),
    descriptor=st.booleans(),
)
def test_sense_round_trips_through_either_format(
    key: int,
    asc: int,
    ascq: int,
    information: int | None,
    filemark: bool,
    eom: bool,
    ili: bool,
    deferred: bool,
    descriptor: bool,
) -> None:
    build = build_descriptor_sense if descriptor else build_fixed_sense
    sense = parse_sense(
        build(key, asc, ascq, information=information, filemark=filemark, eom=eom, ili=ili, deferred=deferred)
    )
    assert sense is not None
    assert sense.code == (key, asc, ascq)
    assert (sense.filemark, sense.eom, sense.ili, sense.deferred) == (filemark, eom, ili, deferred)
    assert sense.residue == (information or 0)
