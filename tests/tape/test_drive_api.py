"""The Drive API over the emulated ULT3580-HH9: typed outcomes and positions for the situations of
tape-scsi.md §2.1, §2.2 and §2.7, the mount sequence, waiting, retries and unit attentions."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tape.drive import Drive
from tape.drive_errors import CartridgeChanged, NotReadyTimeout, PositionLost
from tape.drive_ready import loading_state
from tape.drive_types import DrivePolicy, MediumInfo, ReadKind, ReadyKind, ReadyState
from tape.emulator import Library
from tape.scsi import errors as e
from tests.tape.conftest import BLOCK, CAPACITY, FAST, block, open_drive

EW_AT = CAPACITY - CAPACITY * 25 // 100  # 768 KiB


def fill(drive: Drive, count: int, start: int = 0) -> None:
    for n in range(count):
        assert not drive.write_block(block(start + n)).early_warning


# -- mounting ---------------------------------------------------------------------------------------


def test_mount_consumes_the_power_on_and_new_cartridge_attentions(library: Library, insert: Callable) -> None:
    barcode = insert()
    drive = open_drive(library)
    states: list[ReadyState] = []
    medium = drive.mount(on_state=states.append)
    assert states[-1].kind is ReadyKind.READY
    assert (medium.generation, medium.worm, medium.write_protected, medium.medium_type) == (9, False, False, 0x98)
    assert medium.barcode == barcode and medium.serial
    assert medium.block_limits is not None and medium.block_limits.max_block_length >= 1 << 20
    assert medium.compression is True and medium.density == 0x60
    assert medium.position is not None and (medium.position.block, medium.position.bop) == (0, True)
    assert medium.mam["load_count"] == 1 and medium.mam["maximum_capacity_mib"] == 1
    identity = drive.identify()
    assert (identity.vendor, identity.product) == ("IBM", "ULT3580-HH9") and len(identity.serial or "") == 10


def test_no_cartridge_is_no_medium(library: Library) -> None:
    drive = open_drive(library)
    with pytest.raises(e.NoMedium) as caught:
        drive.mount()
    assert "没有磁带" in caught.value.message


def test_an_unloaded_cartridge_is_loaded_by_mount(drive: Drive) -> None:
    drive.unload()
    with pytest.raises(e.LoadRequired):
        drive.refresh_medium()
    assert drive.mount(prevent_removal=False).position.block == 0  # type: ignore[union-attr]


def test_first_load_media_optimisation_is_a_state_not_an_error(library: Library, insert: Callable) -> None:
    insert(first_load_seconds=0.6)
    drive = open_drive(library)
    states: list[ReadyState] = []
    drive.mount(on_state=states.append)
    kinds = [s.kind for s in states]
    assert kinds[-1] is ReadyKind.READY
    optimising = [s for s in states if s.kind is ReadyKind.OPTIMISING]
    assert optimising, kinds
    assert optimising[0].message == f"正在进行介质优化，预计还需 {optimising[0].remaining_minutes} 分钟"
    # The drive reports how far it is; the whole is taken as IBM's 40-minute average, so the estimate
    # counts down from 40 minutes however compressed the emulator's optimisation is.
    minutes = [s.remaining_minutes or 0 for s in optimising]
    assert minutes == sorted(minutes, reverse=True) and 1 <= minutes[-1] <= minutes[0] <= 40


def test_a_threading_load_is_loading_and_the_calibration_after_it_optimising(tmp_path: Path) -> None:
    lib = Library.create(tmp_path / "lib", drives=1, slots=0, cartridges=0, capacity=1 << 20,
                         load_seconds=0.3, first_load_seconds=0.3)
    try:
        lib.insert(lib.add_cartridge())
        states: list[ReadyState] = []
        open_drive(lib).mount(on_state=states.append)
        kinds = [s.kind for s in states]
        assert kinds[0] is ReadyKind.LOADING and ReadyKind.OPTIMISING in kinds and kinds[-1] is ReadyKind.READY
        assert kinds.index(ReadyKind.OPTIMISING) > kinds.index(ReadyKind.LOADING)
    finally:
        lib.close()


def test_a_progress_report_without_a_known_start_still_gives_an_estimate() -> None:
    policy = DrivePolicy()
    assert loading_state(None, policy).kind is ReadyKind.LOADING  # a plain 2/04/01: threading
    halfway = loading_state(None, policy, progress=0.5)
    assert (halfway.kind, halfway.remaining_minutes) == (ReadyKind.OPTIMISING, 20)
    assert loading_state(None, policy, progress=1.0).remaining_minutes == 1
    past_typical = loading_state(policy.optimisation_typical + 60, policy, progress=0.5)
    assert past_typical.remaining_minutes == 66  # half of the longest, 132 minutes
    assert loading_state(120.0, policy).remaining_minutes == 38  # no progress: the average less the time waited


def test_a_drive_that_never_becomes_ready_times_out(library: Library, insert: Callable) -> None:
    insert()
    library.set_fault("not_ready", drive=0, seconds=30)
    policy = DrivePolicy(retry_base=0.01, ready_poll_max=0.02, ready_timeout=0.3)
    drive = Drive(open_drive(library).transport, policy=policy)
    with pytest.raises(NotReadyTimeout) as caught:
        drive.mount()
    assert "没有就绪" in caught.value.message


def test_a_transient_not_ready_is_retried_with_backoff(drive: Drive, library: Library) -> None:
    library.set_fault("not_ready", drive=0, seconds=0.3)
    started = time.monotonic()
    assert drive.write_block(block(1)).early_warning is False
    assert time.monotonic() - started >= 0.25
    assert drive.read_position().block == 1


def test_compression_is_switched_through_mode_page_0f(drive: Drive) -> None:
    drive.set_compression(False)
    assert drive.compression_enabled() is False
    drive.set_compression(True)
    assert drive.compression_enabled() is True


# -- writing ----------------------------------------------------------------------------------------


def test_write_across_early_warning_succeeds_and_says_nearly_full(drive: Drive) -> None:
    fill(drive, EW_AT // BLOCK - 1)
    crossing = drive.write_block(block(99))
    assert crossing.early_warning and drive.early_warning
    assert drive.read_position().eop and drive.read_position().block == EW_AT // BLOCK
    assert drive.write_filemarks(1).early_warning  # every later write repeats the report


def test_write_at_the_end_is_volume_overflow_and_not_written(drive: Drive) -> None:
    fill(drive, EW_AT // BLOCK - 1)
    for n in range((CAPACITY - EW_AT) // BLOCK + 1):
        assert drive.write_block(block(n)).early_warning
    before = drive.read_position().block
    with pytest.raises(e.VolumeOverflow) as caught:
        drive.write_block(block(7))
    assert caught.value.residue == BLOCK and caught.value.sense.eom  # type: ignore[union-attr]
    assert drive.read_position().block == before


def test_write_in_the_middle_truncates_everything_after(drive: Drive) -> None:
    fill(drive, 5)
    drive.locate(2)
    drive.write_block(block(42))
    assert drive.read_position().block == 3
    assert drive.read_block(BLOCK).kind is ReadKind.END_OF_DATA
    assert drive.locate_end_of_data().block == 3


def test_worm_refuses_overwrite_but_appends(library: Library, insert: Callable) -> None:
    insert(media="LZ")
    drive = open_drive(library)
    medium = drive.mount(prevent_removal=False)
    assert medium.worm and medium.medium_type == 0x9C
    fill(drive, 2)
    drive.rewind()
    with pytest.raises(e.WormOverwriteRefused):
        drive.write_block(block(9))
    drive.locate_end_of_data()
    drive.write_block(block(3))
    assert drive.read_position().block == 3
    alerts = drive.health().alerts
    assert [a.code for a in alerts] == [0x3C] and alerts[0].title == "WORM 覆盖写尝试"


def test_write_protect_tab_refuses_writes(library: Library, insert: Callable) -> None:
    insert(write_protect=True)
    drive = open_drive(library)
    assert drive.mount().write_protected
    with pytest.raises(e.WriteProtected) as caught:
        drive.write_block(block(1))
    assert "写保护" in str(caught.value)


# -- reading and spacing ----------------------------------------------------------------------------


def test_read_over_a_filemark_stops_after_it(drive: Drive) -> None:
    fill(drive, 2)
    drive.write_filemarks(1)
    drive.write_block(block(3))
    drive.rewind()
    assert [drive.read_block(BLOCK).data[0] for _ in range(2)] == [0, 1]
    mark = drive.read_block(BLOCK)
    assert mark.kind is ReadKind.FILEMARK
    position = drive.read_position()
    assert (position.block, position.file) == (3, 1)
    assert drive.read_block(BLOCK).data == block(3)


def test_read_past_end_of_data_stays_there(drive: Drive) -> None:
    fill(drive, 2)
    for _ in range(2):
        end = drive.read_block(BLOCK)
        assert end.kind is ReadKind.END_OF_DATA and end.residue == BLOCK
        assert drive.read_position().block == 2


def test_a_blank_tape_gives_end_of_data_at_bop(drive: Drive) -> None:
    assert drive.read_block(1 << 20).kind is ReadKind.END_OF_DATA
    assert drive.is_blank()
    drive.write_filemarks(1)
    assert not drive.is_blank()  # a lone filemark is not blank


def test_a_read_error_at_bop_is_never_taken_for_blank(drive: Drive, library: Library) -> None:
    fill(drive, 1)
    library.set_fault("medium_error", drive=0, at_object=0, operation="read")
    with pytest.raises(e.MediumError):
        drive.is_blank()


def test_space_backwards_into_bop_reports_the_residue(drive: Drive) -> None:
    fill(drive, 2)
    stop = drive.space_blocks(-5)
    assert stop.beginning_of_partition and stop.residue == 3 and not stop.complete
    assert drive.read_position().bop


def test_space_forward_stops_after_a_filemark_and_at_end_of_data(drive: Drive) -> None:
    fill(drive, 2)
    drive.write_filemarks(1)
    fill(drive, 1, start=5)
    drive.rewind()
    stop = drive.space_blocks(10)
    assert stop.filemark and stop.residue == 8 and drive.read_position().block == 3
    stop = drive.space_blocks(10)
    assert stop.end_of_data and stop.residue == 9 and drive.read_position().block == 4
    back = drive.space_filemarks(-1)
    assert back.complete and drive.read_position().block == 2


@pytest.mark.parametrize("sili", [True, False])
def test_a_shorter_block_is_returned_and_flagged_only_without_sili(drive: Drive, sili: bool) -> None:
    drive.write_block(b"x" * 1000)
    drive.rewind()
    result = drive.read_block(4096, sili=sili)
    assert result.kind is ReadKind.DATA and result.data == b"x" * 1000
    assert result.short is (not sili)
    assert result.residue == (0 if sili else 3096)
    assert drive.read_position().block == 1


@pytest.mark.parametrize("sili", [True, False])
def test_a_longer_block_is_spaced_back_and_read_whole(drive: Drive, sili: bool) -> None:
    drive.write_block(block(5))
    drive.write_block(block(6))
    drive.rewind()
    result = drive.read_block(1000, sili=sili)
    assert result.reread and result.data == block(5)
    assert drive.read_position().block == 1
    assert drive.read_block(BLOCK).data == block(6)


# -- erasing ----------------------------------------------------------------------------------------


def test_short_erase_in_the_middle_sets_end_of_data_there(drive: Drive) -> None:
    fill(drive, 5)
    drive.locate(2)
    drive.erase()
    assert drive.locate_end_of_data().block == 2


def test_long_erase_reports_progress_until_done(drive: Drive) -> None:
    fill(drive, 3)
    drive.rewind()
    seen: list[float] = []
    drive.erase(long=True, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) >= 3
    assert seen == sorted(seen)
    assert drive.read_block(BLOCK).kind is ReadKind.END_OF_DATA


# -- unit attentions --------------------------------------------------------------------------------


def test_a_new_cartridge_is_re_identified_and_stops_a_positioned_command(
    library: Library, insert: Callable
) -> None:
    first = insert()
    changes: list[tuple[MediumInfo | None, MediumInfo]] = []
    drive = open_drive(library, on_medium_changed=lambda old, new: changes.append((old, new)))
    drive.mount(prevent_removal=False)
    fill(drive, 2)
    library.eject(first)
    second = insert()
    with pytest.raises(CartridgeChanged) as caught:
        drive.read_position()
    assert (caught.value.old, caught.value.new) == (first, second)
    assert drive.medium is not None and drive.medium.barcode == second
    assert changes and changes[0][1].barcode == second
    assert drive.read_position().block == 0  # the new cartridge, from its beginning


def test_a_cartridge_swap_seen_by_a_non_positioned_command_just_re_identifies(
    library: Library, insert: Callable
) -> None:
    first = insert()
    drive = open_drive(library)
    drive.mount(prevent_removal=False)
    library.eject(first)
    second = insert()
    assert drive.refresh_medium().barcode == second


def test_a_reset_of_the_same_cartridge_is_position_lost(drive: Drive, library: Library) -> None:
    fill(drive, 3)
    library.power_cycle(0)
    with pytest.raises(PositionLost):
        drive.write_block(block(9))
    assert drive.read_position().block == 0
    assert drive.locate_end_of_data().block == 3  # nothing was written by the refused command


def test_a_deferred_error_is_reported_as_such(drive: Drive, library: Library) -> None:
    library.set_fault("deferred_error", drive=0)
    with pytest.raises(e.MediumError) as caught:
        drive.write_block(block(1))
    assert caught.value.deferred and "先前已缓冲的写入" in caught.value.message


def test_health_snapshot_reads_the_log_pages_and_mam(drive: Drive) -> None:
    fill(drive, 3)
    snapshot = drive.health()
    assert snapshot.host_bytes_written == 3 * BLOCK and snapshot.compression_ratio == 1.0
    assert snapshot.maximum_mib == 1 and snapshot.load_count == 1 and snapshot.mounts == 1
    assert snapshot.partition_maximum_mib == 1 and snapshot.alerts == []
    assert snapshot.to_dict()["barcode"] == drive.medium.barcode  # type: ignore[union-attr]


def test_fast_policy_is_used(drive: Drive) -> None:
    assert drive.policy is FAST
