"""Helpers for the backup-job tests: source trees, the job's environment, and reading the tapes back.

Everything that checks a job reads the emulated cartridges through SCSI (the Drive and Changer
APIs over the emulated transport), the way `mt`/`dd` would on a real drive, and compares three
independent records of what is on tape: the ledger's `PackageWritten` events, the tape index
written on the cartridge, and the package headers found by walking the tape.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tape import volume_io
from tape.changer import Changer
from tape.drive import Drive
from tape.drive_types import DrivePolicy
from tape.transports.emulated import EmulatedTransport
from tape.volume_packages import PackagePositions
from tests.backup.conftest import extract_with_7zip, extract_with_py7zr

ROOT = Path(__file__).resolve().parents[2]
FAST = DrivePolicy(retry_base=0.01, retry_max=0.05, ready_poll_max=0.05)
MIB = 1 << 20

# Small cartridges so a few MiB of packages span several; MAX_FILE_SIZE at its 1 MiB floor so the
# big files are cut into chunks; level 1 keeps the 2-core test machine quick.
JOB_SETTINGS = {
    "VTL_CAPACITY": "4M",
    "VTL_EARLY_WARNING_PCT": "20",
    "VTL_SLOTS": "6",
    "MAX_FILE_SIZE": "1M",
    "COMPRESSION_LEVEL": "1",
}


def until(what: Callable[[], Any], timeout: float = 60.0) -> Any:
    """What `what()` gives once it is truthy, asked every 50 ms (fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not (found := what()):
        assert time.monotonic() < deadline, "没有等到"
        time.sleep(0.05)
    return found


def set_job_settings(monkeypatch: Any, **overrides: str) -> dict[str, str]:
    """Apply JOB_SETTINGS (and overrides) to this process; the environment for a subprocess."""
    for key, value in {**JOB_SETTINGS, **overrides}.items():
        monkeypatch.setenv(key, value)
    env = dict(os.environ)
    env.pop("TAF_CRASH_AT", None)
    return env


# -- source trees -------------------------------------------------------------------------------------


def make_tree(root: Path, small_files: int, *, seed: int = 7, big: bool = True) -> Path:
    """`small_files` tiny files with Chinese names in nested folders, plus (with `big`) files larger
    than MAX_FILE_SIZE: compressible text, incompressible data under names the sampler stores with
    COPY (.jpg, .zip) and under a name it compresses anyway (.bin), and an empty file."""
    rnd = random.Random(seed)
    for i in range(small_files):
        folder = root / f"部门{i % 40:02d}" / f"项目{(i // 40) % 25:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"报告{i:05d}.txt").write_bytes(f"第{i}号文件，内容 {rnd.random()}\n".encode() * (1 + i % 5))
    if big:
        folder = root / "大文件"
        folder.mkdir(parents=True, exist_ok=True)
        lines = (f"2026-05-01 12:{j % 60:02d} 信息 用户{j % 97} 登录 编号={j}\n" for j in range(70_000))
        (folder / "日志.log").write_bytes("".join(lines).encode())  # ≈ 3.3 MB, compresses well
        (folder / "照片.jpg").write_bytes(rnd.randbytes(2_500_000))
        (folder / "归档.zip").write_bytes(rnd.randbytes(300_000))
        (folder / "随机.bin").write_bytes(rnd.randbytes(1_200_000))
        (folder / "空文件").write_bytes(b"")
    return root


def tree_digests(root: Path) -> dict[str, str]:
    """SHA-256 of every regular file, by path relative to `root` with "/" separators."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# -- running the CLI in a subprocess ------------------------------------------------------------------


def main_py(*args: str, env: dict[str, str], crash_at: str | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS` in a process of its own (one the test may kill)."""
    run_env = dict(env)
    if crash_at:
        run_env["TAF_CRASH_AT"] = crash_at
    # Output is captured through pipes: if a killed job left packer processes behind, they would
    # hold the pipes open and this call would time out.
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=run_env,
                          capture_output=True, text=True, timeout=timeout)


def start_main_py(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# -- the tapes ------------------------------------------------------------------------------------------


def positions_of(event: Any) -> PackagePositions:
    """Where the ledger says a package is."""
    return PackagePositions(event.package_id, event.tape_file, event.header_block, event.payload_block,
                            event.payload_blocks, event.payload_bytes, event.payload_sha256,
                            int(dict(event.extra or {}).get("block_size", 262144)))


@dataclass
class Shelf:
    """The emulated library seen through SCSI: its drive 0 and, unless standalone, its robot.

    For a standalone drive `mount` swaps cartridges the way an operator does (`vtl eject`, `vtl insert`).
    """

    root: Path
    drive: Drive
    changer: Changer | None

    def mount(self, barcode: str) -> None:
        if self.changer is not None:
            self.changer.load(barcode, self.drive)
            return
        from tape.emulator import Library

        with Library.open(self.root) as library:
            loaded = library.status().drives[0].barcode
            if loaded != barcode:
                if loaded:
                    library.eject(loaded)
                library.insert(barcode)
        medium = self.drive.mount(prevent_removal=False)
        assert medium.barcode == barcode, f"驱动器中是 {medium.barcode}，不是 {barcode}"


@contextmanager
def shelf(vtl_root: Path) -> Iterator[Shelf]:
    from tape.emulator import Library

    with Library.open(vtl_root) as library:
        standalone = not any(device.kind == "changer" for device in library.devices())
    drive = Drive(EmulatedTransport(vtl_root, 0), policy=FAST)
    changer = None if standalone else Changer(EmulatedTransport(vtl_root, changer=True), policy=FAST)
    try:
        yield Shelf(vtl_root, drive, changer)
    finally:
        drive.close()
        if changer is not None:
            changer.close()


def job_packages(services: Any, job_id: str) -> dict[str, list[Any]]:
    """The job's PackageWritten events by cartridge, as the ledger has them."""
    job = services.ledger.backup_job(job_id)
    return {barcode: [e for e in services.ledger.packages_on(barcode) if e.job_id == str(job.id)]
            for barcode in job.cartridges}


def assert_tapes_agree(services: Any, job_id: str, place: Shelf) -> dict[str, list[Any]]:
    """Ledger, tape index and tape headers list the same packages, each exactly once, and together
    they are exactly the job's plan. Returns the ledger's events by cartridge."""
    job = services.ledger.backup_job(job_id)
    by_cartridge = job_packages(services, job_id)
    everywhere: list[str] = []
    for barcode, events in by_cartridge.items():
        place.mount(barcode)
        on_cartridge = [e.package_id for e in services.ledger.packages_on(barcode)]
        index = volume_io.read_index(place.drive)
        assert index is not None, f"磁带 {barcode} 上没有索引"
        scanned = volume_io.scan_packages(place.drive)
        assert [p.package_id for p in index.packages] == on_cartridge, barcode
        assert [s.positions.package_id for s in scanned] == on_cartridge, barcode
        assert all(s.complete for s in scanned), barcode
        for entry, event in zip(index.packages, services.ledger.packages_on(barcode), strict=True):
            assert (entry.tape_file, entry.header_block, entry.payload_block, entry.payload_blocks) == (
                event.tape_file, event.header_block, event.payload_block, event.payload_blocks)
        everywhere.extend(e.package_id for e in events)
    assert len(everywhere) == len(set(everywhere)), "有数据包在磁带上出现不止一次"
    assert sorted(everywhere) == sorted(job.packages)
    assert len(everywhere) == job.planned["packages"]
    return by_cartridge


def read_back(services: Any, job_id: str, place: Shelf, work: Path, *,
              seven_zip: str | None = None) -> dict[str, str]:
    """Every file of the job, restored from tape: SHA-256 by path relative to its source root.

    Each package is read at the ledger's recorded position (its SHA-256 is checked on the way)
    and opened with py7zr and, given `seven_zip`, tested and extracted with that program too; the
    two must give the same bytes. Chunks of a big file are put back together in chunk order.
    """
    chunks: dict[str, dict[int, bytes]] = defaultdict(dict)
    totals: dict[str, int] = {}
    work.mkdir(parents=True, exist_ok=True)
    for barcode, events in job_packages(services, job_id).items():
        place.mount(barcode)
        for event in events:
            payload = work / f"{event.package_id}.7z"
            volume_io.read_package_payload(place.drive, positions_of(event), payload)
            members = extract_with_py7zr(str(payload))
            if seven_zip is not None:
                tested = subprocess.run([seven_zip, "t", str(payload)], capture_output=True, text=True)
                assert tested.returncode == 0 and "Everything is Ok" in tested.stdout, tested.stdout
                into = work / event.package_id
                extract_with_7zip(seven_zip, str(payload), into)
            for entry in services.ledger.manifest(event):
                if entry["kind"] != "file":
                    continue
                # py7zr hands back no stream for an empty member; any other must be there.
                data = members[entry["member"]] if entry["chunk_length"] else members.get(entry["member"], b"")
                if seven_zip is not None:
                    assert (into / entry["member"]).read_bytes() == data, entry["member"]
                assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
                chunks[entry["path"]][entry["chunk_index"]] = data
                totals[entry["path"]] = entry["total_chunks"]
            payload.unlink()
    restored = {}
    for path, parts in chunks.items():
        assert sorted(parts) == list(range(totals[path])), f"{path} 缺少分块"
        restored[path] = hashlib.sha256(b"".join(parts[i] for i in range(totals[path]))).hexdigest()
    return restored


def planned_count(source: Path, max_package: int = MIB) -> int:
    """How many packages the job will plan for `source` (the planner is a pure function)."""
    from backup.plan import plan_packages
    from backup.sampling import classify_incompressible
    from backup.scan import SourceScan

    entries = list(SourceScan([str(source)]))
    return len(plan_packages(entries, max_package, incompressible=classify_incompressible(entries)))


def job_id_for(key: str) -> str:
    from ledger.domain import BackupJob

    return str(BackupJob.create_id(key))


def loaded_barcode(place: Shelf) -> str | None:
    if place.changer is None:
        return place.drive.mount(prevent_removal=False).barcode
    element = place.changer.drive_element(place.drive)
    return element.barcode if element.full else None


def progress_of(data_dir: Path, job_id: str) -> dict[str, Any]:
    import json

    try:
        return dict(json.loads((data_dir / "progress" / f"{job_id}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def wait_until_written(process: subprocess.Popen[str], services: Any, key: str, packages: int = 1,
                       timeout: float = 120) -> None:
    """Until the job `key` names, run by `process`, has at least `packages` packages in the ledger."""
    import time

    from ledger.domain import BackupJob

    deadline = time.monotonic() + timeout
    while len(getattr(services.ledger.find(BackupJob, BackupJob.create_id(key)), "packages", [])) < packages:
        assert process.poll() is None, "任务进程提前结束：" + "".join(process.communicate())
        assert time.monotonic() < deadline, "等待写入数据包超时"
        time.sleep(0.02)


def assert_cartridges_self_consistent(services: Any, job_id: str, place: Shelf) -> None:
    """For a job that stopped early: each cartridge's index and headers match the ledger."""
    for barcode in services.ledger.backup_job(job_id).cartridges:
        place.mount(barcode)
        in_ledger = [e.package_id for e in services.ledger.packages_on(barcode)]
        index = volume_io.read_index(place.drive)
        assert index is not None and [p.package_id for p in index.packages] == in_ledger, barcode
        assert [s.positions.package_id for s in volume_io.scan_packages(place.drive)] == in_ledger, barcode


def eventually(condition: Any, what: str, timeout: float = 240.0) -> Any:
    """`condition()`'s first true value, asked every 0.1 s; fails the test saying `what` never came."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"等待超时：{what}")
