"""A backup writer that never stops, for the kill -9 test: `python -m tests.tape.kill_writer ROOT WORK`.

It appends packages to the cartridge in drive 0 of the emulated library at ROOT through the Drive
API and volume_io, each payload first saved under WORK so the test can check it. One JSON line per
event on stdout: {"progress": package, "bytes": n} while writing, {"done": positions} after the
closing filemark. It writes until it is killed.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from tape import volume_io
from tape.drive import Drive
from tape.drive_types import DrivePolicy
from tape.transports.emulated import EmulatedTransport

BLOCK = 64 * 1024
PACKAGE = 4 << 20


def say(payload: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main(root: str, work: str) -> None:
    drive = Drive(EmulatedTransport(root, 0), policy=DrivePolicy(retry_base=0.01, retry_max=0.05))
    drive.mount(prevent_removal=False)
    volume_io.prepare_append(drive)
    sequence = 0
    while True:
        sequence += 1
        package = f"p-{sequence}"
        path = Path(work) / f"{package}.7z"
        path.write_bytes(os.urandom(PACKAGE))
        fields = {"package_id": package, "job_id": "kill-test", "group": "2026-05", "sequence": sequence,
                  "compression": "copy", "created_at": "2026-05-01T02:00:00+00:00"}
        positions = volume_io.write_package(
            drive, fields, [{"path": str(path)}], path,
            lambda done, _total, name=package: say({"progress": name, "bytes": done}), block_size=BLOCK)
        say({"done": asdict(positions)})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
