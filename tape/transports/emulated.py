"""The emulated library behind `tape.transport.Transport`: CDB bytes in, status, sense and data out.

    drive = EmulatedTransport(DATA_DIR / "vtl", drive=0)
    changer = EmulatedTransport(DATA_DIR / "vtl", changer=True)
    result = drive.execute(cdb, Direction.FROM_DEVICE, length=32)

Like SG_IO: CHECK CONDITION (02h) comes back as a result with fixed-format sense, data-in is cut
to the allocation length and `residue` says how much was not transferred; only failures to
deliver the command at all raise `TransportError` — the injected adapter limit raises
`TransferTooLarge` exactly as an HBA's EINVAL does. Several processes may hold transports to the
same library directory; each command runs under the library lock (see tape.emulator.runtime).
`exclusive=True` opens a drive as TAF opens a real one (O_EXCL, as LTFS does with /dev/sgN): while
that transport is open, another exclusive open of the drive — from any process — is refused with
`DeviceInUse`. The emulator's own tools and tests share a drive freely.
Commands a real drive would block on (LOAD of a cartridge being optimised, long ERASE without
IMMED) wait outside the lock, so other processes keep access meanwhile.
"""

from __future__ import annotations

import time
from pathlib import Path

from tape.emulator import faults as fault_kinds
from tape.emulator import messages
from tape.emulator.changer import Changer
from tape.emulator.commands import DataPhaseError, Reply
from tape.emulator.drive import Drive
from tape.emulator.library_state import LIBRARY_FILE
from tape.emulator.locking import OpenLock
from tape.emulator.runtime import Runtime
from tape.transport import (
    CHECK_CONDITION,
    GOOD,
    DeviceInUse,
    DeviceNotFound,
    Direction,
    ScsiResult,
    TransferTooLarge,
    TransportError,
    TransportTimeout,
    transfer_length,
)
from tape.transports.messages import make_error

CHANGER = -1


class EmulatedTransport:
    """A path to one drive (by index) or to the changer of an emulated library directory."""

    def __init__(self, root: Path | str, drive: int = 0, *, changer: bool = False, exclusive: bool = False) -> None:
        path = Path(root)
        if not (path / LIBRARY_FILE).exists():
            raise DeviceNotFound(messages.LIBRARY_MISSING.format(root=path))
        self.root = path
        self.index = CHANGER if changer else drive
        self.name = f"emulated:{path}:{'changer' if changer else drive}"
        self._open: OpenLock | None = None
        self._runtime: Runtime | None = Runtime.attach(path)
        with self._runtime.session() as rt:
            library = rt.library
            missing = (changer and not library.changer) or (
                not changer and not 0 <= drive < len(library.drives)
            )
        if missing:
            self.close()
            what = messages.NO_CHANGER if changer else messages.NO_SUCH_DRIVE.format(drive=drive)
            raise DeviceNotFound(what)
        if exclusive and not changer:
            self._open = OpenLock(path / f"drive{drive}.open")
            if not self._open.acquire():
                self._open = None
                self.close()
                raise make_error(DeviceInUse, "in_use", device=self.name)

    @classmethod
    def for_drive(cls, root: Path | str, index: int = 0) -> EmulatedTransport:
        return cls(root, index)

    @classmethod
    def for_changer(cls, root: Path | str) -> EmulatedTransport:
        return cls(root, changer=True)

    def execute(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        timeout: float = 60.0,
    ) -> ScsiResult:
        runtime = self._runtime
        if runtime is None:
            raise TransportError(messages.TRANSPORT_CLOSED, messages.TRANSPORT_CLOSED_ADVICE)
        if len(cdb) not in (6, 10, 12, 16):
            raise TransportError(messages.BAD_CDB.format(length=len(cdb)), messages.BAD_CDB_ADVICE)
        started = time.monotonic()
        size = transfer_length(direction, data, length)
        outgoing = data if direction is Direction.TO_DEVICE else None
        allocation = length if direction is Direction.FROM_DEVICE else 0
        with runtime.session() as rt:
            limit = self._transfer_limit(rt)
            if limit is not None and size > limit:
                raise TransferTooLarge(size, limit)
            try:
                reply = self._device(rt).execute(bytes(cdb), outgoing, allocation)
            except DataPhaseError as short:
                raise TransportError(
                    messages.DATA_SHORT.format(need=short.needed, got=short.given), messages.DATA_SHORT_ADVICE
                ) from None
        while reply.wait is not None:
            remaining = timeout - (time.monotonic() - started)
            pause = reply.wait.until - runtime.now()
            if pause > remaining:
                time.sleep(max(remaining, 0.0))
                raise TransportTimeout(messages.TIMEOUT.format(timeout=timeout), messages.TIMEOUT_ADVICE)
            time.sleep(max(pause, 0.0) + 0.001)
            with runtime.session() as rt:
                reply = Drive(rt, self.index).resume(reply.wait)
        return self._result(reply, allocation, time.monotonic() - started)

    def _device(self, rt: Runtime) -> Drive | Changer:
        return Changer(rt) if self.index == CHANGER else Drive(rt, self.index)

    def _transfer_limit(self, rt: Runtime) -> int | None:
        faults = rt.library.faults
        if not faults:
            return None
        limits = [
            f.limit
            for f in faults
            if f.kind == fault_kinds.TRANSFER_LIMIT and f.limit is not None and f.drive in (None, self.index)
        ]
        return min(limits) if limits else None

    @staticmethod
    def _result(reply: Reply, allocation: int, duration: float) -> ScsiResult:
        data = reply.data
        if len(data) > allocation:
            data = data[:allocation]
        if reply.sense is None:
            return ScsiResult(GOOD, b"", allocation - len(data), data, duration)
        return ScsiResult(CHECK_CONDITION, reply.sense.to_bytes(), allocation - len(data), data, duration)

    def close(self) -> None:
        if self._open is not None:
            self._open.release()
            self._open = None
        if self._runtime is not None:
            self._runtime.detach()
            self._runtime = None

    def __enter__(self) -> EmulatedTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
