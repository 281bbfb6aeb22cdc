"""A writer killed with SIGKILL in the middle of a package leaves a tape that reopens consistent:
end of data at the last complete block, every block up to it readable and intact, the label and
every completed package readable with the right SHA-256, and appending possible again."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tape import volume_io as vio
from tape.drive_mam import MamIdentity
from tape.drive_types import ReadKind
from tape.emulator import Library
from tape.volume import Label
from tests.tape.conftest import open_drive
from tests.tape.kill_writer import BLOCK

ROOT = Path(__file__).resolve().parents[2]


def start_writer(root: Path, work: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.tape.kill_writer", str(root), str(work)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.timeout(120)
def test_a_writer_killed_mid_package_leaves_a_consistent_tape(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    lib = Library.create(tmp_path / "vtl", drives=1, slots=0, cartridges=0, capacity=1 << 30)
    barcode = lib.add_cartridge()
    lib.insert(barcode)
    drive = open_drive(lib)
    drive.mount(prevent_removal=False)
    label = Label(barcode[:6], barcode, "default", "2026-05-01T00:00:00+00:00", 1, BLOCK, "id", "0.1.0")
    vio.write_label(drive, label, MamIdentity(barcode, barcode[:6], 1, "default"))
    drive.close()

    writer = start_writer(tmp_path / "vtl", work)
    done: list[dict] = []
    try:
        assert writer.stdout is not None
        for line in writer.stdout:
            event = json.loads(line)
            if "done" in event:
                done.append(event["done"])
            elif len(done) >= 3 and event["bytes"] >= 1 << 20:
                os.kill(writer.pid, signal.SIGKILL)  # mid-stream: a quarter into package 4 or later
                break
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read() if writer.stderr else ""
    assert len(done) >= 3

    drive = open_drive(lib)
    drive.mount(prevent_removal=False)  # the killed process's unit attentions and stale state are handled
    assert vio.read_label(drive) == label
    last = done[-1]
    end = drive.locate_end_of_data().block or 0
    assert end >= last["payload_block"] + last["payload_blocks"] + 1  # complete packages are all there

    # Every object up to end of data reads back intact: the emulator's index and data agree.
    drive.rewind()
    objects = 0
    while drive.read_block(BLOCK).kind is not ReadKind.END_OF_DATA:
        objects += 1
    assert objects == end

    scanned = vio.scan_packages(drive)
    complete = [s for s in scanned if s.complete]
    assert [s.positions.package_id for s in complete][: len(done)] == [d["package_id"] for d in done]
    for positions in (vio.PackagePositions(**d) for d in done):
        target = tmp_path / f"back-{positions.package_id}.7z"
        assert vio.read_package_payload(drive, positions, target) == positions.payload_sha256
        assert hashlib.sha256((work / f"{positions.package_id}.7z").read_bytes()).hexdigest() == \
            positions.payload_sha256

    cut = [s for s in scanned if not s.complete]
    point = vio.prepare_append(drive)
    if cut:
        # The package being written when the process died: its blocks are a prefix of its payload.
        partial = cut[0].positions
        source = (work / f"{partial.package_id}.7z").read_bytes()
        drive.locate(partial.payload_block)
        prefix = b"".join(drive.read_block(BLOCK).data for _ in range(partial.payload_blocks))
        assert prefix == source[: len(prefix)]
        assert point.block == partial.header_block and point.discarded > 0
    again = vio.write_package(drive, {"package_id": "after", "job_id": "j", "group": "2026-05", "sequence": 99,
                                      "compression": "copy", "created_at": "t"}, [],
                              work / "p-1.7z", block_size=BLOCK)
    assert again.tape_file == len(complete) + 1
    assert [s.complete for s in vio.scan_packages(drive)][-1]
    lib.close()
