"""What the console's workers tell the screens: small messages, posted from worker threads.

A worker runs one blocking `App` call (reading the installation, a tape act) and posts one of
these when it is done; the handler runs on the console's thread and changes what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from tui.session import DriveReading, Snapshot


@dataclass
class SessionRead(Message):
    """A refresh of jobs, inventory and requests finished."""

    snapshot: Snapshot


@dataclass
class DriveRead(Message):
    """The drive's status was read (or could not be)."""

    reading: DriveReading


@dataclass
class ActProgress(Message):
    """A long act reports how far it is (an erase), or what the drive is waiting for (a load during
    an LTO-9 cartridge's first-load media optimisation, with the drive's estimate)."""

    title: str
    fraction: float | None
    note: str = ""


@dataclass
class Found(Message):
    """Something a screen asked to read has come: devices, the configured sources, a catalog
    search, a restore plan. `what` names it; `value` is what the `App` verb returned."""

    what: str
    value: Any


@dataclass
class ActFinished(Message):
    """A tape act or a job command ended: what the operator reads, and whether it went wrong."""

    title: str
    line: str
    failed: bool = False
    drive: bool = False  # a drive act: the drive is free again, and worth reading
