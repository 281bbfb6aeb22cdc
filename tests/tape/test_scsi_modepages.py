"""Mode parameter header, block descriptor and pages, in the 6- and 10-byte forms."""

from __future__ import annotations

import pytest

from tape.scsi.modepages import (
    DATA_COMPRESSION,
    DEVICE_CONFIGURATION,
    BlockDescriptor,
    DataCompression,
    DeviceConfiguration,
    ModeDataError,
    ModePage,
    build_mode_select,
    decode_lto_medium_type,
    parse_mode_data,
    parse_mode_sense6,
    parse_mode_sense10,
)

# A real LTO-9 drive with an L8 cartridge, MODE SENSE(10) page 10h/01h (LTFS issue #474).
REAL_10_01 = bytes.fromhex("00 2E 88 10 00 00 00 085E 00 00 00 00 00 00 00D0 01 00 1C") + bytes(range(1, 29))

COMPRESSION_BODY = bytes.fromhex("C0 80 00 00 00 01 00 00 00 01 00 00 00 00")
CONFIG_BODY = bytes.fromhex("00 00 00 00 00 64 40 00 18 00 00 00 01 80")


def test_real_mode_sense10_with_subpage() -> None:
    data = parse_mode_sense10(REAL_10_01)
    assert (
        data.header.medium_type == 0x88 and data.header.buffered_mode == 1 and not data.header.write_protected
    )
    assert data.descriptor == BlockDescriptor(density=0x5E, blocks=0, block_length=0)
    page = data.page(0x10, 0x01)
    assert page is not None and page.subpage_format and page.saveable and len(page.body) == 0x1C
    assert page.body[0] == 1 and page.body[-1] == 28


def test_mode_sense6_with_two_pages_and_write_protect() -> None:
    pages = bytes((0x8F, 14)) + COMPRESSION_BODY + bytes((0x10, 14)) + CONFIG_BODY
    body = bytes.fromhex("60 00 00 00 00 04 00 00") + pages
    data = parse_mode_sense6(bytes((3 + len(body), 0x98, 0x90, 8)) + body)
    assert data.header.write_protected and data.header.medium_type == 0x98
    assert data.descriptor == BlockDescriptor(0x60, 0, 0x40000)
    assert [p.code for p in data.pages] == [DATA_COMPRESSION, DEVICE_CONFIGURATION]
    assert data.page(DATA_COMPRESSION) is not None and data.page(0x11) is None


def test_mode_data_without_block_descriptor() -> None:
    data = parse_mode_data(bytes((1 + 2 + 14 + 2, 0, 0x10, 0, 0x0F, 14)) + COMPRESSION_BODY)
    assert data.descriptors == [] and data.pages[0].code == DATA_COMPRESSION


def test_truncated_page_is_not_misread() -> None:
    data = parse_mode_sense6(bytes((0x20, 0, 0, 0, 0x0F, 14)) + COMPRESSION_BODY[:5])
    assert data.pages == []


def test_descriptor_length_past_the_end_is_an_error() -> None:
    with pytest.raises(ModeDataError):
        parse_mode_sense6(bytes((3, 0, 0, 8)))


def test_mode_select_for_variable_blocks_and_compression_in_the_10_byte_form() -> None:
    page = ModePage(DATA_COMPRESSION, COMPRESSION_BODY, saveable=True)
    built = build_mode_select([page], BlockDescriptor(), ten=True)
    assert built == bytes.fromhex("00 00 00 10 00 00 00 0800 00 00 00 00 00 00 000F 0E") + COMPRESSION_BODY


def test_mode_select_six_byte_form_and_subpage_encoding() -> None:
    page = ModePage(0x10, b"\x01\x02", subpage=0x01, subpage_format=True)
    built = build_mode_select([page])
    assert built == bytes.fromhex("00 00 10 00 50 01 00 02 01 02")


def test_data_compression_page_toggle() -> None:
    page = parse_mode_sense6(bytes((19, 0, 0x10, 0, 0x0F, 14)) + COMPRESSION_BODY).pages[0]
    current = DataCompression.from_page(page)
    assert current.compress and current.capable and current.decompress
    assert current.compression_algorithm == 1 and current.decompression_algorithm == 1
    off = current.with_compression(False).to_page()
    assert off.body[0] == 0x40 and off.body[1:] == COMPRESSION_BODY[1:]
    assert not DataCompression.from_page(off).compress


def test_device_configuration_page_fields_and_changes() -> None:
    config = DeviceConfiguration.from_page(ModePage(DEVICE_CONFIGURATION, CONFIG_BODY))
    assert (
        config.write_delay == 0x64 and config.logical_object_identifiers and not config.report_early_warning
    )
    assert config.enable_early_warning and config.sync_at_early_warning and config.select_compression == 1
    changed = DeviceConfiguration(
        **{**config.__dict__, "report_early_warning": True, "select_compression": 0}
    ).to_page()
    assert changed.body[6] == 0x41 and changed.body[12] == 0 and changed.body[13] == 0x80


def test_wrong_page_for_a_decoder_is_an_error() -> None:
    with pytest.raises(ModeDataError):
        DataCompression.from_page(ModePage(DEVICE_CONFIGURATION, CONFIG_BODY))


@pytest.mark.parametrize(
    ("code", "generation", "worm"),
    [(0x98, 9, False), (0x9C, 9, True), (0x88, 8, False), (0x8C, 8, True), (0x78, 7, False)],
)
def test_ibm_medium_type_codes(code: int, generation: int, worm: bool) -> None:
    medium = decode_lto_medium_type(code)
    assert medium is not None and (medium.generation, medium.worm) == (generation, worm)


@pytest.mark.parametrize("code", [0x00, 0x01, 0x9A, 0x08])
def test_other_medium_type_codes_are_not_lto(code: int) -> None:
    assert decode_lto_medium_type(code) is None
