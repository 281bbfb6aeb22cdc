"""Getting the cartridge a restore needs into the drive.

- In a library: the robot loads it by barcode (`media.operations.load`, which records the moves
  in the ledger). A cartridge that is not in the library (on a shelf, offsite) is asked for — "请将
  磁带 X 放入磁带库的导入/导出口" — and the library is polled until it appears.
- At a standalone drive: if the wrong cartridge is loaded it is ejected; the operator is asked
  "请将磁带 X 装入驱动器" and the drive is polled until that cartridge is in and ready.

Asking is `on_wait(barcode, instruction)` (the job records it as waiting for a tape); each poll
first calls `check()`, which raises when the job was cancelled or paused meanwhile. If nobody
brings the cartridge within `give_up_after` seconds the wait ends in `Stopped("paused")`: the job
is paused, not failed, and `restore resume` takes it up again.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from backup.quiet_polls import quiet_polls
from media import operations
from media.devices import DeviceSession
from media.errors import MediaError
from restore import messages
from restore.errors import Stopped
from restore.reading import CountingDrive
from tape import volume_io
from tape.drive_errors import DriveApiError
from tape.scsi.errors import LoadRequired, NoMedium, NotReadyBecoming, TapeError, UnitAttention
from tape.volume import FormatError
from tape.volume_errors import VolumeError

Wait = Callable[[str, str], None]
Check = Callable[[], None]


@dataclass
class Mounter:
    session: DeviceSession
    counting: CountingDrive
    on_wait: Wait
    on_arrived: Callable[[str], None]
    check: Check
    poll_seconds: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    give_up_after: float | None = None
    clock: Callable[[], float] = time.monotonic
    _deadline: float = 0.0

    def bring(self, barcode: str) -> None:
        """Return once cartridge `barcode` is mounted in the session's drive."""
        if self.session.changer is not None:
            self._from_library(barcode)
        else:
            self._from_operator(barcode)

    # -- library ------------------------------------------------------------------------------
    def _from_library(self, barcode: str) -> None:
        changer = self.session.changer
        assert changer is not None
        inventory = changer.inventory()
        element = changer.drive_element(self.session.drive, inventory)
        if element.full and (element.barcode or "").upper() == barcode.upper():
            self.session.mount()
            return
        if inventory.find(barcode) is None:
            self._ask(barcode, messages.text("insert_into_library", barcode=barcode))
            with quiet_polls():
                while changer.inventory().find(barcode) is None:
                    self._tick(barcode)
            self.on_arrived(barcode)
        operations.load(self.session, barcode)

    # -- standalone drive ---------------------------------------------------------------------
    def _from_operator(self, barcode: str) -> None:
        loaded = self._loaded_barcode()
        if loaded == barcode.upper():
            return
        if loaded is not None:
            with contextlib.suppress(MediaError, TapeError):
                operations.unload(self.session)  # the wrong cartridge comes out for the operator
        self._ask(barcode, messages.text("insert_into_drive", barcode=barcode))
        # The cartridge just ejected may still sit in the drive, unthreaded: do not pull it back in.
        hold = loaded is not None
        with quiet_polls():
            while True:
                self._tick(barcode)
                state = self._probe(hold)
                if state == "empty":
                    hold = False
                elif state == "ready":
                    found = self._loaded_barcode()
                    if found == barcode.upper():
                        self.on_arrived(barcode)
                        return
                    if found is not None:
                        with contextlib.suppress(MediaError, TapeError):
                            operations.unload(self.session)
                        hold = True

    # -- waiting ------------------------------------------------------------------------------
    def _ask(self, barcode: str, instruction: str) -> None:
        self._deadline = self.clock() + self.give_up_after if self.give_up_after else 0.0
        self.on_wait(barcode, instruction)

    def _tick(self, barcode: str) -> None:
        self.check()
        if self._deadline and self.clock() >= self._deadline:
            minutes = (self.give_up_after or 0) / 60
            raise Stopped("paused", messages.text("waited_too_long", barcode=barcode, minutes=f"{minutes:.0f}"))
        self.sleep(self.poll_seconds)

    def _probe(self, hold_unthreaded: bool) -> str:
        """empty, unthreaded, loading or ready — without waiting and without moving the tape."""
        try:
            self.session.drive.refresh_medium()
        except NoMedium:
            return "empty"
        except LoadRequired:
            return "unthreaded" if hold_unthreaded else "ready"
        except (NotReadyBecoming, UnitAttention):
            return "loading"
        return "ready"

    def _loaded_barcode(self) -> str | None:
        """Mount what is in the drive (threading it if needed); its barcode, or None if empty."""
        try:
            medium = self.session.mount()
        except (NoMedium, NotReadyBecoming, UnitAttention, LoadRequired):
            return None
        barcode = self.session.barcode(medium)
        if barcode:
            return barcode.strip().upper()
        # No barcode in cartridge memory (a tape labelled elsewhere): the TAF label says who it is.
        try:
            label = volume_io.read_label(self.counting.as_drive)
        except (VolumeError, FormatError, DriveApiError, TapeError):
            return ""
        return label.barcode.strip().upper() if label else ""
