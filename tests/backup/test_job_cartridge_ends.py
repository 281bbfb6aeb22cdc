"""Where a cartridge ends: the MAX_VOLUME_SIZE cap, and the physical end reached in the middle of a
package (VOLUME OVERFLOW), after which the package is written again, whole, on the next cartridge."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from backup import service
from media.devices import ensure_emulated_library
from tape import volume_io
from tape.emulator import Library
from tests.backup.jobkit import assert_tapes_agree, job_packages, make_tree, read_back, shelf, tree_digests


def full_reasons(services: Any, barcode: str) -> list[str]:
    return [e.reason for e in services.ledger.events.get(services.ledger.cartridge(barcode).id)
            if type(e).__name__ == "TapeFull"]


def test_max_volume_size_closes_each_cartridge_before_the_cap(job_services_with: Callable[..., Any],
                                                               taf_env: Path) -> None:
    cap = 1_800_000
    services = job_services_with(VTL_CAPACITY="64M", MAX_VOLUME_SIZE=str(cap))
    source = make_tree(taf_env / "源数据", 100)
    job, _ = service.request_backup(services, [str(source)], group="2026-05")

    summary = service.run(services, str(job.id))

    assert summary["status"] == "succeeded" and len(summary["cartridges"]) >= 3
    by_cartridge = job_packages(services, str(job.id))
    for barcode in summary["cartridges"][:-1]:
        written = sum(e.payload_bytes for e in by_cartridge[barcode])
        following = by_cartridge[summary["cartridges"][summary["cartridges"].index(barcode) + 1]][0]
        # Full by the cap, not by the drive: the next package would have gone past it.
        assert written <= cap < written + following.payload_bytes
        assert full_reasons(services, barcode) == ["达到每盘写入上限 MAX_VOLUME_SIZE"]
    with shelf(services.settings.vtl_dir) as place:
        assert_tapes_agree(services, str(job.id), place)


def test_the_end_of_tape_mid_package_rewrites_the_package_whole_on_the_next_cartridge(
        job_services_with: Callable[..., Any], taf_env: Path) -> None:
    services = job_services_with(VTL_CAPACITY="64M")
    source = make_tree(taf_env / "源数据", 100)
    assert services.settings.default_block_size == 262144
    # Objects 0-1 are the label; the first packages (compressed log chunks) take a few blocks each,
    # then 1 MB packages take seven: the fault lands inside the payload of one of those.
    with Library.open(_create(services)) as library:
        library.set_fault("volume_overflow", barcode="TAF001L9", at_object=21)
    job, _ = service.request_backup(services, [str(source)], group="2026-05")

    summary = service.run(services, str(job.id))

    assert summary["status"] == "succeeded" and summary["cartridges"][:2] == ["TAF001L9", "TAF002L9"]
    assert full_reasons(services, "TAF001L9") == ["写入时磁带已满，数据包将在下一盘磁带上完整重写"]
    by_cartridge = job_packages(services, str(job.id))
    before, after = by_cartridge["TAF001L9"], by_cartridge["TAF002L9"]
    cut = after[0]
    assert cut.sequence == before[-1].sequence + 1  # the package the end cut off is the next one on TAF002
    began = before[-1].payload_block + before[-1].payload_blocks + 1  # its header block on TAF001
    assert began + 2 <= 21 < began + 2 + cut.payload_blocks  # the end came inside its payload
    with shelf(services.settings.vtl_dir) as place:
        place.mount("TAF001L9")
        scanned = volume_io.scan_packages(place.drive)
        assert all(s.complete for s in scanned)  # the cut-off fragment was overwritten by the tape index
        assert [s.positions.package_id for s in scanned] == [e.package_id for e in before]
        assert_tapes_agree(services, str(job.id), place)
        assert read_back(services, str(job.id), place, taf_env / "读回") == tree_digests(source)


def _create(services: Any) -> Path:
    """The emulated library, created now from the settings (as a job's first use would)."""
    root = ensure_emulated_library(services.settings, "emulated:0")
    assert root is not None
    return root


def test_a_cartridge_booked_by_another_unfinished_job_is_left_alone(job_services: Any, taf_env: Path) -> None:
    source = make_tree(taf_env / "源数据", 20, big=False)
    other, _ = service.request_backup(job_services, [str(source)], group="2026-05", key="另一个任务")
    job_services.ledger.register_cartridge("TAF001L9", location="槽位 1")
    assert job_services.ledger.reserve_cartridge("TAF001L9", str(other.id))
    job, _ = service.request_backup(job_services, [str(source)], group="2026-05", key="这个任务")

    summary = service.run(job_services, str(job.id))

    assert summary["status"] == "succeeded" and summary["cartridges"] == ["TAF002L9"]
    assert job_services.ledger.cartridge("TAF001L9").reserved_by == str(other.id)
    assert job_services.ledger.cartridge("TAF002L9").reserved_by is None  # released when the job ended
    names = [type(e).__name__ for e in job_services.ledger.events.get(job_services.ledger.cartridge("TAF002L9").id)]
    assert "Reserved" in names and names[-1] == "Released"
