"""Format v1 through the Drive API: labels, packages, indexes, append points, early warning, overflow."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tape import volume_io as vio
from tape.drive import Drive
from tape.drive_mam import MamIdentity
from tape.emulator import Library
from tape.scsi import mam as m
from tape.volume import Label, TapeIndex
from tape.volume_blocks import BlockWriter
from tape.volume_errors import (
    BlankTape,
    ForeignTape,
    PackageOverflow,
    PayloadChanged,
    PayloadMismatch,
    TapeHoldsData,
    WormNotBlank,
    WriteProtectedTape,
)
from tests.tape.conftest import open_drive

B = 64 * 1024


def make_label(barcode: str, sequence: int = 1) -> Label:
    return Label(volume_serial=barcode[:6], barcode=barcode, pool="月度", labelled_at="2026-05-01T02:00:00+00:00",
                 label_sequence=sequence, block_size=B, ledger_id="ledger-id", program_version="0.1.0")


def identity(barcode: str, sequence: int = 1) -> MamIdentity:
    return MamIdentity(barcode, barcode[:6], sequence, "月度", "backup-host", "0.1.0")


def labelled(drive: Drive) -> Label:
    barcode = drive.medium.barcode or "TAF001L9"  # type: ignore[union-attr]
    label = make_label(barcode)
    vio.write_label(drive, label, identity(barcode))
    return label


def payload(tmp_path: Path, size: int, name: str = "pkg.7z") -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def fields(package_id: str, sequence: int = 1) -> dict[str, Any]:
    return {"package_id": package_id, "job_id": "job-1", "group": "2026-05", "sequence": sequence,
            "compression": "lzma2", "created_at": "2026-05-01T02:03:04+00:00"}


MANIFEST = [{"path": "/data/a.txt", "size": 3, "sha256": "00", "member": "a.txt", "chunk": 0}]


# -- labels -----------------------------------------------------------------------------------------


def test_a_blank_tape_is_recognised(drive: Drive) -> None:
    state = vio.inspect(drive)
    assert state.kind is vio.VolumeKind.BLANK and not state.holds_data
    assert vio.read_label(drive) is None
    with pytest.raises(BlankTape):
        vio.prepare_append(drive)


def test_a_label_is_written_at_bot_and_mirrored_into_mam(drive: Drive) -> None:
    label = labelled(drive)
    assert vio.read_label(drive) == label
    state = vio.inspect(drive)
    assert state.kind is vio.VolumeKind.TAF and state.end_of_data == 2 and not state.holds_data
    attributes = drive.read_attributes([m.APPLICATION_VENDOR, m.USER_MEDIUM_LABEL, m.BARCODE, m.MEDIA_POOL,
                                        m.OWNING_HOST, m.TEXT_LOCALIZATION, m.APPLICATION_FORMAT_VERSION])
    text = {key: value.as_text for key, value in attributes.items()}
    assert text[m.APPLICATION_VENDOR] == "TAF" and text[m.BARCODE] == label.barcode
    assert text[m.MEDIA_POOL] == "月度" and text[m.USER_MEDIUM_LABEL] == f"TAF {label.volume_serial} #1"
    assert text[m.OWNING_HOST] == "backup-host" and text[m.APPLICATION_FORMAT_VERSION] == "TAF-TAPE v1"
    assert attributes[m.TEXT_LOCALIZATION].as_int == 0x81


def test_a_foreign_tape_is_not_ours_and_is_only_overwritten_with_force(drive: Drive) -> None:
    drive.write_block(b"VOL1 some other program" + bytes(100))
    drive.write_filemarks(1)
    with pytest.raises(ForeignTape) as caught:
        vio.read_label(drive)
    assert "不是本系统写的" in caught.value.message
    label = make_label("TAF001L9")
    with pytest.raises(ForeignTape):
        vio.write_label(drive, label, identity("TAF001L9"))
    assert drive.locate_end_of_data().block == 2  # untouched
    before = vio.write_label(drive, label, identity("TAF001L9"), force=True)
    assert before.kind is vio.VolumeKind.FOREIGN and vio.read_label(drive) == label


def test_a_tape_with_packages_is_not_relabelled_without_force(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 100_000), block_size=B)
    end = drive.locate_end_of_data().block
    with pytest.raises(TapeHoldsData) as caught:
        vio.write_label(drive, make_label("TAF001L9", 2), identity("TAF001L9", 2))
    assert caught.value.refusal and "--force" in caught.value.advice
    assert drive.locate_end_of_data().block == end
    vio.write_label(drive, make_label("TAF001L9", 2), identity("TAF001L9", 2), force=True)
    assert drive.locate_end_of_data().block == 2


def test_worm_and_write_protected_cartridges_refuse_relabelling(library: Library, insert: Callable) -> None:
    insert(media="LZ")
    drive = open_drive(library)
    drive.mount(prevent_removal=False)
    labelled(drive)  # a blank WORM cartridge may be labelled once
    with pytest.raises(WormNotBlank):
        vio.write_label(drive, make_label("X", 2), identity("X", 2), force=True)
    library.eject(drive.medium.barcode)  # type: ignore[union-attr]
    insert(write_protect=True)
    drive.refresh_medium()
    with pytest.raises(WriteProtectedTape):
        vio.write_label(drive, make_label("Y"), identity("Y"))


# -- packages ---------------------------------------------------------------------------------------


def test_a_package_is_written_and_read_back_with_its_checksum(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    point = vio.prepare_append(drive)
    assert (point.tape_file, point.block, point.discarded) == (1, 2, 0)
    source = payload(tmp_path, 200_000)
    seen: list[int] = []
    positions = vio.write_package(drive, fields("p-1"), MANIFEST, source, lambda done, _: seen.append(done),
                                  block_size=B)
    assert (positions.tape_file, positions.header_block, positions.payload_block) == (1, 2, 4)
    assert positions.payload_blocks == 4 and seen[-1] == 200_000 and not positions.nearly_full
    assert positions.payload_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert drive.read_position().block == 9  # header, manifest, 4 payload blocks, filemark
    header, manifest, payload_block = vio.read_package_header(drive, positions.header_block)
    assert header.package_id == "p-1" and manifest == MANIFEST and payload_block == 4
    target = tmp_path / "back.7z"
    assert vio.read_package_payload(drive, positions, target) == positions.payload_sha256
    assert target.read_bytes() == source.read_bytes()


@pytest.mark.parametrize(("size", "step", "expected"), [
    (300_000, 100_000, [131_072, 262_144, 300_000]),  # every 100 kB at most, and at the end
    (300_000, 1 << 20, [131_072, 262_144, 300_000]),  # a quarter of the package (75 kB) is less
    (900_000, 1 << 20, [262_144, 524_288, 786_432, 900_000]),
])
def test_progress_is_reported_in_steps_and_at_the_end(drive: Drive, tmp_path: Path, monkeypatch, size, step,
                                                        expected) -> None:
    monkeypatch.setattr("tape.volume_packages.PROGRESS_STEP", step)
    labelled(drive)
    vio.prepare_append(drive)
    seen: list[int] = []
    vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, size), lambda done, _: seen.append(done),
                      block_size=B)
    assert seen == expected


def test_a_payload_that_does_not_match_is_refused_and_removed(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    positions = vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 70_000), block_size=B)
    wrong = vio.PackagePositions(**{**positions.__dict__, "payload_sha256": "0" * 64})
    target = tmp_path / "back.7z"
    with pytest.raises(PayloadMismatch):
        vio.read_package_payload(drive, wrong, target)
    assert not target.exists()


def stale_fields(package_id: str, source: Path) -> dict[str, Any]:
    """Header fields with the size and digest of `source` as it is now, then `source` rewritten."""
    before = source.read_bytes()
    given = {**fields(package_id), "payload_bytes": len(before),
             "payload_sha256": hashlib.sha256(before).hexdigest()}
    source.write_bytes(bytes(reversed(before)))
    return given


def test_a_payload_that_changed_after_hashing_is_caught_while_streaming(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    source = payload(tmp_path, 100_000)
    with pytest.raises(PayloadChanged):
        vio.write_package(drive, stale_fields("p-1", source), MANIFEST, source, block_size=B)


def test_a_vouched_digest_is_not_recomputed_but_the_size_still_is(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    source = payload(tmp_path, 100_000)
    given = stale_fields("p-1", source)  # same size, other bytes: only a hash would notice
    positions = vio.write_package(drive, given, MANIFEST, source, block_size=B, verify_digest=False)
    assert positions.payload_sha256 == given["payload_sha256"]
    vio.prepare_append(drive)
    with source.open("ab") as grown:
        grown.write(b"more")
    with pytest.raises(PayloadChanged):
        vio.write_package(drive, {**given, "package_id": "p-2"}, MANIFEST, source, block_size=B,
                          verify_digest=False)


def test_the_last_index_before_end_of_data_wins_and_headers_can_be_scanned(drive: Drive, tmp_path: Path) -> None:
    label = labelled(drive)
    written = []
    for session in (1, 2):
        vio.prepare_append(drive)
        positions = vio.write_package(drive, fields(f"p-{session}", session), MANIFEST,
                                      payload(tmp_path, 90_000 * session), block_size=B)
        written.append(positions)
        index = TapeIndex(label.volume_serial, 1, f"2026-05-0{session}", f"head-{session}",
                          [p.index_entry() for p in written])
        where = vio.write_index(drive, index, block_size=B)
        assert where.tape_file == 2 * session
    assert vio.read_index(drive) == index
    scanned = vio.scan_packages(drive)
    assert [s.positions.package_id for s in scanned] == ["p-1", "p-2"] and all(s.complete for s in scanned)
    assert [s.positions.payload_block for s in scanned] == [p.payload_block for p in written]
    assert [s.positions.payload_blocks for s in scanned] == [p.payload_blocks for p in written]
    assert scanned[0].manifest == MANIFEST


def test_a_tape_without_an_index_has_none(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 10_000), block_size=B)
    assert vio.read_index(drive) is None


def test_early_warning_during_a_package_finishes_it_and_says_nearly_full(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    positions = vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 800_000), block_size=B)
    assert positions.nearly_full and drive.early_warning
    back = tmp_path / "back.7z"
    vio.read_package_payload(drive, positions, back)
    vio.prepare_append(drive)
    where = vio.write_index(drive, TapeIndex("TAF001", 1, "t", "h", [positions.index_entry()]), block_size=B)
    assert where.nearly_full
    assert vio.read_index(drive) is not None


def test_volume_overflow_mid_package_is_a_typed_error_and_leaves_an_incomplete_file(
    drive: Drive, tmp_path: Path
) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    first = vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 500_000), block_size=B)
    with pytest.raises(PackageOverflow) as caught:
        vio.write_package(drive, fields("p-2", 2), MANIFEST, payload(tmp_path, 600_000, "p2.7z"), block_size=B)
    assert caught.value.package == "p-2" and "下一盘磁带" in caught.value.advice
    scanned = vio.scan_packages(drive)
    assert [(s.positions.package_id, s.complete) for s in scanned] == [("p-1", True), ("p-2", False)]
    point = vio.prepare_append(drive)
    assert point.tape_file == 2 and point.block == first.payload_block + first.payload_blocks + 1
    assert point.discarded > 0


def test_an_injected_overflow_at_an_object_interrupts_the_package(
    drive: Drive, library: Library, tmp_path: Path
) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    library.set_fault("volume_overflow", drive=0, at_object=5)
    with pytest.raises(PackageOverflow) as caught:
        vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 300_000), block_size=B)
    assert caught.value.blocks_written == 3  # header, manifest and the payload block at object 4


def test_the_block_size_falls_back_when_the_adapter_refuses(drive: Drive, library: Library, tmp_path: Path) -> None:
    labelled(drive)
    vio.prepare_append(drive)
    library.set_fault("transfer_limit", drive=0, limit=64 * 1024)
    source = payload(tmp_path, 300_000)
    positions = vio.write_package(drive, fields("p-1"), MANIFEST, source, block_size=128 * 1024)
    assert positions.payload_blocks == 5  # 300 000 bytes in 64 KiB blocks
    target = tmp_path / "back.7z"
    vio.read_package_payload(drive, positions, target)
    assert target.read_bytes() == source.read_bytes()


def test_appending_after_a_cut_off_file_overwrites_it(drive: Drive, tmp_path: Path) -> None:
    labelled(drive)
    writer = BlockWriter(drive, B)
    writer.write(b"half a package" * 100)  # a writer killed before its filemark leaves this
    point = vio.prepare_append(drive)
    assert (point.tape_file, point.block, point.discarded) == (1, 2, 1)
    positions = vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 10_000), block_size=B)
    assert positions.header_block == 2
    assert [s.complete for s in vio.scan_packages(drive)] == [True]


def test_a_cut_off_file_on_worm_is_closed_not_overwritten(library: Library, insert: Callable,
                                                          tmp_path: Path) -> None:
    insert(media="LZ")
    drive = open_drive(library)
    drive.mount(prevent_removal=False)
    labelled(drive)
    BlockWriter(drive, B).write(b"fragment" * 10)
    point = vio.prepare_append(drive)
    assert (point.tape_file, point.block, point.discarded) == (2, 4, 1)
    positions = vio.write_package(drive, fields("p-1"), MANIFEST, payload(tmp_path, 10_000), block_size=B)
    assert positions.tape_file == 2
    assert [s.positions.package_id for s in vio.scan_packages(drive)] == ["p-1"]
