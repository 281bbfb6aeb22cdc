"""MAM attribute lists for READ ATTRIBUTE and WRITE ATTRIBUTE."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tape.scsi.mam import (
    APPLICATION_NAME,
    APPLICATION_VENDOR,
    ATTRIBUTES,
    BARCODE,
    LOAD_COUNT,
    MANUFACTURE_DATE,
    MAXIMUM_CAPACITY,
    MEDIA_POOL,
    MEDIUM_SERIAL,
    REMAINING_CAPACITY,
    USER_MEDIUM_LABEL,
    Attribute,
    AttributeFormat,
    MamError,
    decode_attribute_list,
    decode_attributes,
    encode_attributes,
)


def test_decode_a_read_attribute_reply() -> None:
    body = (
        bytes.fromhex("00 00 80 00 08")
        + (17_166_137).to_bytes(8, "big")  # remaining MiB, read-only
        + bytes.fromhex("00 03 80 00 08")
        + (42).to_bytes(8, "big")  # load count
        + bytes.fromhex("04 01 81 00 20")
        + b"A0B1C2D3E4".ljust(32)  # medium serial, ASCII
        + bytes.fromhex("04 06 81 00 08")
        + b"20230415"
        + bytes.fromhex("08 06 01 00 20")
        + b"TAF001L9".ljust(32)  # barcode, host-writable
    )
    attributes = decode_attributes(len(body).to_bytes(4, "big") + body)
    assert attributes[REMAINING_CAPACITY].as_int == 17_166_137 and attributes[REMAINING_CAPACITY].read_only
    assert attributes[LOAD_COUNT].decoded == 42
    assert attributes[MEDIUM_SERIAL].decoded == "A0B1C2D3E4"
    assert attributes[MANUFACTURE_DATE].as_text == "20230415"
    assert attributes[BARCODE].as_text == "TAF001L9" and not attributes[BARCODE].read_only
    assert attributes[BARCODE].label == "条码" and attributes[BARCODE].name == "barcode"


def test_reply_cut_by_the_allocation_length_keeps_whole_attributes() -> None:
    body = bytes.fromhex("00 03 80 00 08") + (1).to_bytes(8, "big") + bytes.fromhex("04 01 81 00 20") + b"SER"
    data = (5 + 8 + 5 + 32).to_bytes(4, "big") + body
    assert list(decode_attributes(data)) == [LOAD_COUNT]


def test_malformed_complete_reply_is_an_error() -> None:
    body = bytes.fromhex("00 03 80 00 08 00 00")
    with pytest.raises(MamError):
        decode_attributes(len(body).to_bytes(4, "big") + body)


def test_encode_for_write_attribute_pads_to_the_defined_lengths() -> None:
    data = encode_attributes(
        [Attribute.ascii(APPLICATION_VENDOR, "TAF"), Attribute.ascii(BARCODE, "TAF001L9")]
    )
    assert data[:4] == (5 + 8 + 5 + 32).to_bytes(4, "big")
    assert data[4:9] == bytes.fromhex("08 00 01 00 08") and data[9:17] == b"TAF     "
    assert data[17:22] == bytes.fromhex("08 06 01 00 20") and data[22:54] == b"TAF001L9".ljust(32)


def test_text_attributes_are_utf8_and_nul_padded() -> None:
    attribute = Attribute.text(USER_MEDIUM_LABEL, "财务月度备份")
    assert attribute.format == AttributeFormat.TEXT and len(attribute.value) == 160
    assert attribute.value.rstrip(b"\x00").decode("utf-8") == "财务月度备份"
    assert attribute.as_text == "财务月度备份"


def test_values_that_do_not_fit_are_refused() -> None:
    with pytest.raises(MamError):
        Attribute.ascii(APPLICATION_VENDOR, "TOO LONG NAME")
    with pytest.raises(MamError):
        Attribute.ascii(BARCODE, "条码")
    with pytest.raises(MamError):
        Attribute.binary(0x0805, 256)


def test_the_read_only_bit_is_never_written() -> None:
    data = encode_attributes([Attribute(MAXIMUM_CAPACITY, AttributeFormat.BINARY, bytes(8), read_only=True)])
    assert data[6] == 0x00


def test_attribute_list_reply() -> None:
    assert decode_attribute_list(bytes.fromhex("00 00 00 06 00 00 04 01 08 06")) == [0x0000, 0x0401, 0x0806]


def test_catalogue_lengths_follow_the_standard() -> None:
    assert ATTRIBUTES[MEDIUM_SERIAL].length == 32 and ATTRIBUTES[APPLICATION_NAME].length == 32
    assert ATTRIBUTES[MEDIA_POOL].length == 160 and ATTRIBUTES[MEDIA_POOL].host_writable
    assert not ATTRIBUTES[REMAINING_CAPACITY].host_writable
    for attribute_id in (0x0000, 0x0001, 0x0003, *range(0x0400, 0x0407), *range(0x0800, 0x0809)):
        assert attribute_id in ATTRIBUTES


printable = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=32)
writable_ids = st.sampled_from([a for a, spec in ATTRIBUTES.items() if spec.host_writable and spec.length])


@given(st.lists(st.tuples(writable_ids, printable, st.text(max_size=20), st.integers(0, 255)), max_size=6))
def test_encode_decode_round_trip(entries: list[tuple[int, str, str, int]]) -> None:
    attributes: list[Attribute] = []
    for attribute_id, ascii_text, text, number in entries:
        spec = ATTRIBUTES[attribute_id]
        if spec.format == AttributeFormat.ASCII:
            attributes.append(Attribute.ascii(attribute_id, ascii_text[: spec.length]))
        elif spec.format == AttributeFormat.TEXT:
            attributes.append(Attribute.text(attribute_id, text))
        else:
            attributes.append(Attribute.binary(attribute_id, number))
    decoded = decode_attributes(encode_attributes(attributes))
    expected = {a.id: a for a in attributes}
    assert decoded == expected
