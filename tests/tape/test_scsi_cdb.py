"""CDB builders, byte for byte against the SSC-4/SPC-4/SMC-3 layouts (tape-scsi.md §2, §3)."""

from __future__ import annotations

import pytest

from tape.scsi import cdb
from tape.scsi.cdb import (
    AttributeService,
    LocateDestination,
    LogControl,
    PageControl,
    PositionForm,
    SpaceCode,
)
from tape.scsi.changer import ElementType, initialize_element_status, move_medium, read_element_status


def h(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (cdb.test_unit_ready(), "00 00 00 00 00 00"),
        (cdb.request_sense(), "03 00 00 00 FC 00"),
        (cdb.request_sense(96, descriptor=True), "03 01 00 00 60 00"),
        (cdb.inquiry(), "12 00 00 00 60 00"),
        (cdb.inquiry_vpd(0x80), "12 01 80 00 FF 00"),
        (cdb.inquiry_vpd(0x83, 0x200), "12 01 83 02 00 00"),
        (cdb.inquiry_vpd(0x00, 64), "12 01 00 00 40 00"),
        (cdb.inquiry_vpd(0xB0, 64), "12 01 B0 00 40 00"),
        (cdb.read_block_limits(), "05 00 00 00 00 00"),
        (cdb.read_block_limits(mloi=True), "05 01 00 00 00 00"),
    ],
)
def test_identity_commands(built: bytes, expected: str) -> None:
    assert built == h(expected)


def test_mode_sense6_puts_page_control_in_the_top_bits_and_dbd_in_bit_3() -> None:
    assert cdb.mode_sense6(0x3F) == h("1A 00 3F 00 FF 00")
    assert cdb.mode_sense6(0x10, 0x01, 64, dbd=True, control=PageControl.CHANGEABLE) == h("1A 08 50 01 40 00")


def test_mode_sense10_has_a_two_byte_allocation_length_at_7() -> None:
    assert cdb.mode_sense10(0x0F) == h("5A 00 0F 00 00 00 00 04 00 00")
    assert cdb.mode_sense10(0x10, 0x01, 0x30, control=PageControl.SAVED) == h("5A 00 D0 01 00 00 00 00 30 00")


def test_mode_select_always_sets_pf_and_sp_only_on_request() -> None:
    assert cdb.mode_select6(28) == h("15 10 00 00 1C 00")
    assert cdb.mode_select6(28, save=True) == h("15 11 00 00 1C 00")
    assert cdb.mode_select10(0x124) == h("55 10 00 00 00 00 00 01 24 00")


def test_mode_page_codes_above_3f_are_rejected() -> None:
    with pytest.raises(ValueError):
        cdb.mode_sense6(0x40)


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (cdb.load_unload(), "1B 00 00 00 01 00"),
        (cdb.load_unload(False), "1B 00 00 00 00 00"),
        (cdb.load_unload(True, immed=True), "1B 01 00 00 01 00"),
        (cdb.load_unload(False, hold=True), "1B 00 00 00 08 00"),
        (cdb.load_unload(False, eot=True), "1B 00 00 00 04 00"),
        (cdb.rewind(), "01 00 00 00 00 00"),
        (cdb.rewind(immed=True), "01 01 00 00 00 00"),
        (cdb.erase(), "19 00 00 00 00 00"),
        (cdb.erase(long=True), "19 01 00 00 00 00"),
        (cdb.erase(long=True, immed=True), "19 03 00 00 00 00"),
        (cdb.erase(immed=True), "19 02 00 00 00 00"),
        (cdb.prevent_allow_medium_removal(), "1E 00 00 00 01 00"),
        (cdb.prevent_allow_medium_removal(False), "1E 00 00 00 00 00"),
    ],
)
def test_medium_handling_commands(built: bytes, expected: str) -> None:
    assert built == h(expected)


def test_read_variable_mode_with_sili() -> None:
    assert cdb.read6(0x100000, sili=True) == h("08 02 10 00 00 00")


def test_read_fixed_mode_counts_blocks() -> None:
    assert cdb.read6(3, fixed=True) == h("08 01 00 00 03 00")


def test_read_refuses_sili_with_fixed_because_ssc_forbids_it() -> None:
    with pytest.raises(ValueError):
        cdb.read6(1, fixed=True, sili=True)


def test_write_variable_and_fixed() -> None:
    assert cdb.write6(262144) == h("0A 00 04 00 00 00")
    assert cdb.write6(10, fixed=True) == h("0A 01 00 00 0A 00")


def test_transfer_length_must_fit_three_bytes() -> None:
    with pytest.raises(ValueError):
        cdb.write6(1 << 24)
    with pytest.raises(ValueError):
        cdb.read6(-1)


def test_write_filemarks_count_zero_is_a_flush() -> None:
    assert cdb.write_filemarks(0) == h("10 00 00 00 00 00")
    assert cdb.write_filemarks() == h("10 00 00 00 01 00")
    assert cdb.write_filemarks(2, immed=True) == h("10 01 00 00 02 00")


def test_space6_codes_and_negative_counts_in_twos_complement() -> None:
    assert cdb.space6(SpaceCode.BLOCKS, 5) == h("11 00 00 00 05 00")
    assert cdb.space6(SpaceCode.FILEMARKS, -1) == h("11 01 FF FF FF 00")
    assert cdb.space6(SpaceCode.BLOCKS, -2) == h("11 00 FF FF FE 00")
    assert cdb.space6(SpaceCode.SEQUENTIAL_FILEMARKS, 2) == h("11 02 00 00 02 00")
    assert cdb.space6(SpaceCode.END_OF_DATA, 99) == h("11 03 00 00 00 00")


def test_space6_count_is_a_signed_24_bit_field() -> None:
    assert cdb.space6(SpaceCode.BLOCKS, -(1 << 23)) == h("11 00 80 00 00 00")
    with pytest.raises(ValueError):
        cdb.space6(SpaceCode.BLOCKS, 1 << 23)


def test_space16_carries_a_signed_64_bit_count_at_bytes_4_to_11() -> None:
    assert cdb.space16(SpaceCode.FILEMARKS, 3) == h("91 01 00 00 00 00 00 00 00 00 00 03 00 00 00 00")
    assert cdb.space16(SpaceCode.BLOCKS, -1) == h("91 00 00 00 FF FF FF FF FF FF FF FF 00 00 00 00")
    assert cdb.space16(SpaceCode.END_OF_DATA) == h("91 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00")


def test_locate10_sets_cp_only_when_a_partition_is_given() -> None:
    assert cdb.locate10(0x01020304) == h("2B 00 00 01 02 03 04 00 00 00")
    assert cdb.locate10(7, partition=1, immed=True) == h("2B 03 00 00 00 00 07 00 01 00")
    assert cdb.locate10(7, block_address_type=True) == h("2B 04 00 00 00 00 07 00 00 00")


def test_locate16_object_with_partition_change() -> None:
    assert cdb.locate16(0x1_0000_0001, partition=1) == h("92 02 00 01 00 00 00 01 00 00 00 01 00 00 00 00")


def test_locate16_to_end_of_data_uses_destination_type_3() -> None:
    assert cdb.locate16(destination=LocateDestination.END_OF_DATA) == h("92 18 00 00" + " 00" * 12)
    assert cdb.locate16(5, destination=LocateDestination.FILE, immed=True) == h(
        "92 09 00 00 00 00 00 00 00 00 00 05 00 00 00 00"
    )


def test_read_position_forms() -> None:
    assert cdb.read_position() == h("34 06 00 00 00 00 00 00 00 00")
    assert cdb.read_position(PositionForm.SHORT) == h("34 00 00 00 00 00 00 00 00 00")
    assert cdb.read_position(PositionForm.EXTENDED) == h("34 08 00 00 00 00 00 00 20 00")


def test_report_density_support() -> None:
    assert cdb.report_density_support() == h("44 00 00 00 00 00 00 04 00 00")
    assert cdb.report_density_support(media=True, length=0x200) == h("44 01 00 00 00 00 00 02 00 00")
    assert cdb.report_density_support(medium_type=True) == h("44 02 00 00 00 00 00 04 00 00")


def test_log_sense_asks_for_cumulative_values_by_default() -> None:
    assert cdb.log_sense(0x2E) == h("4D 00 6E 00 00 00 00 FF FF 00")
    assert cdb.log_sense(0x17, length=0x400, control=LogControl.THRESHOLD, parameter_pointer=0x202) == h(
        "4D 00 17 00 00 02 02 04 00 00"
    )


def test_read_attribute_layout() -> None:
    assert cdb.read_attribute(0x0401, 0x100, partition=1) == h(
        "8C 00 00 00 00 00 00 01 04 01 00 00 01 00 00 00"
    )
    assert cdb.read_attribute(service_action=AttributeService.LIST, cache=True) == h(
        "8C 01 00 00 00 00 00 00 00 00 00 01 00 00 01 00"
    )


def test_write_attribute_layout_with_write_through() -> None:
    assert cdb.write_attribute(0x2D) == h("8D 01 00 00 00 00 00 00 00 00 00 00 00 2D 00 00")
    assert cdb.write_attribute(9, partition=1, write_through=False) == h(
        "8D 00 00 00 00 00 00 01 00 00 00 00 00 09 00 00"
    )


def test_report_supported_opcodes_all_commands_with_timeouts() -> None:
    assert cdb.report_supported_opcodes() == h("A3 0C 80 00 00 00 00 01 00 00 00 00")


def test_report_supported_opcodes_one_command() -> None:
    assert cdb.report_supported_opcodes(0x40, opcode=0x1B, timeouts=False) == h(
        "A3 0C 01 1B 00 00 00 00 00 40 00 00"
    )
    assert cdb.report_supported_opcodes(0x40, opcode=0x34, service_action=6) == h(
        "A3 0C 82 34 00 06 00 00 00 40 00 00"
    )


def test_read_element_status_with_barcodes_and_drive_serials() -> None:
    assert read_element_status() == h("B8 10 00 00 FF FF 01 FF FF FF 00 00")
    assert read_element_status(ElementType.DATA_TRANSFER, 0x100, 4, 0x1000, voltag=False, dvcid=False) == h(
        "B8 04 01 00 00 04 00 00 10 00 00 00"
    )
    assert read_element_status(ElementType.STORAGE, current_data=True, dvcid=False)[6] == 0x02


def test_move_medium_and_initialize_element_status() -> None:
    assert move_medium(0x1000, 0x100) == h("A5 00 00 00 10 00 01 00 00 00 00 00")
    assert move_medium(0x10, 0x1001, transport=1, invert=True) == h("A5 00 00 01 00 10 10 01 00 00 01 00")
    assert initialize_element_status() == h("07 00 00 00 00 00")


@pytest.mark.parametrize(
    ("built", "size"),
    [
        (cdb.test_unit_ready(), 6),
        (cdb.mode_sense10(0), 10),
        (cdb.locate10(0), 10),
        (cdb.read_position(), 10),
        (cdb.log_sense(0), 10),
        (cdb.report_supported_opcodes(), 12),
        (cdb.read_attribute(), 16),
        (cdb.write_attribute(0), 16),
        (cdb.space16(SpaceCode.BLOCKS), 16),
        (cdb.locate16(), 16),
    ],
)
def test_cdb_lengths_match_their_group_code(built: bytes, size: int) -> None:
    assert len(built) == size
    assert built[-1] == 0  # CONTROL
