"""Format v1 records: label, package header, manifest, index."""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tape import volume
from tape.volume import FormatError, Label, PackageHeader, TapeIndex

LABEL = Label(volume_serial="TAF001", barcode="TAF001L9", pool="default", labelled_at="2026-05-01T02:00:00+00:00",
              label_sequence=2, block_size=262144, ledger_id="3f0e…", program_version="0.1.0")


def test_a_label_round_trips_and_fits_one_block() -> None:
    block = LABEL.encode()
    assert len(block) < 4096
    assert block[:8] == b"TAFLABEL"
    assert Label.decode(block) == LABEL
    assert volume.is_taf_label(block)


def test_the_frame_prefix_is_laid_out_as_documented() -> None:
    block = LABEL.encode()
    magic, version, flags, length, digest = struct.unpack_from(">8sHHQ32s", block)
    assert (magic, version, flags) == (b"TAFLABEL", 1, 0)
    assert length == len(block) - 52
    assert digest == hashlib.sha256(block[52:]).digest()


@pytest.mark.parametrize("block", [b"", b"\x00" * 600, b"TAFLABEL" + b"\x00" * 100, b"random bytes" * 20])
def test_foreign_blocks_are_not_taf_labels(block: bytes) -> None:
    assert not volume.is_taf_label(block)


def test_a_damaged_frame_is_refused_in_chinese() -> None:
    block = bytearray(LABEL.encode())
    block[-3] ^= 0xFF
    with pytest.raises(FormatError, match="校验和不符"):
        Label.decode(bytes(block))
    with pytest.raises(FormatError, match="不完整"):
        Label.decode(LABEL.encode()[:-5])
    with pytest.raises(FormatError, match="期望 TAFPKGHD"):
        PackageHeader.decode(LABEL.encode())
    newer = bytearray(LABEL.encode())
    newer[9] = 2
    with pytest.raises(FormatError, match="版本 2"):
        Label.decode(bytes(newer))


def header_fields(payload: bytes) -> dict:
    return {"package_id": "p-1", "job_id": "j-1", "group": "2026-05", "sequence": 7, "compression": "lzma2",
            "payload_bytes": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest(),
            "created_at": "2026-05-01T02:03:04+00:00"}


def test_a_package_header_and_a_large_manifest_span_blocks() -> None:
    manifest = [{"path": f"目录/文件 {i}.txt", "size": i, "sha256": "ab" * 32} for i in range(5000)]
    header, blocks = volume.package_records(header_fields(b"x" * 10_000), manifest, 4096)
    assert blocks[0] == header.encode()
    assert header.manifest_blocks == len(blocks) - 1 >= 2
    assert all(len(b) <= 4096 for b in blocks)
    frames = list(volume.frame_blocks(blocks))
    assert PackageHeader.decode(frames[0]) == header
    assert volume.decode_manifest(frames[1]) == manifest
    assert header.payload_blocks == 3


def test_a_file_ending_inside_a_frame_is_reported() -> None:
    _, blocks = volume.package_records(header_fields(b""), [{"path": str(i)} for i in range(3000)], 4096)
    with pytest.raises(FormatError, match="中途结束"):
        list(volume.frame_blocks(blocks[:-1]))


def test_block_size_has_a_floor() -> None:
    with pytest.raises(FormatError, match="太小"):
        volume.split_blocks(b"abc", 512)


def test_a_tape_index_round_trips() -> None:
    entry = volume.IndexEntry(package_id="p-1", tape_file=1, header_block=2, payload_block=4, payload_blocks=9,
                              header={"sequence": 1})
    index = TapeIndex(volume_serial="TAF001", label_sequence=1, written_at="2026-05-01T03:00:00+00:00",
                      chain_head="ab" * 32, packages=[entry])
    data = index.encode()
    assert data[:8] == b"TAFINDEX"
    assert TapeIndex.decode(data) == index


@given(st.lists(st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=4), max_size=40),
       st.sampled_from([4096, 8192, 65536]))
def test_manifests_round_trip_through_blocks(entries: list, block_size: int) -> None:
    _, blocks = volume.package_records(header_fields(b"abc"), entries, block_size)
    frames = list(volume.frame_blocks(blocks))
    assert volume.decode_manifest(frames[1]) == entries
