"""The recorded 7z layout of the packages a restore reads, from the ledger event that recorded each.

The catalog row of every file names the ledger notification of its package's `PackageWritten`;
that one event is read (never the cartridge's whole history) and its `extra["layout"]` checked
(`backup.layout.PackageLayout.from_record`). A package written before layouts were recorded has
none: it is read whole, as before. A layout that cannot be used is reported as `LayoutInvalid`,
and the package is read whole too.

Looking a layout up decodes that one event (and, where an event still carries its package's
manifest, the manifest too), so a plan shown before a restore looks up at most `PLAN_LOOKUPS`
packages; beyond that it counts whole packages, an upper bound. The restore itself looks each
package's layout up just before reading it, where it costs nothing next to the tape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from backup.layout import LayoutInvalid, PackageLayout
from ledger.application import Ledger
from ledger.errors import LedgerError
from restore import messages
from restore.files import FileTask, Work
from restore.partial import Tick, planned_read, restore_partially
from restore.plan import FileRow, PackageRead, PartialRead
from restore.reading import CountingDrive
from restore.unpack import Unpacked

PLAN_LOOKUPS = 200
log = logging.getLogger("taf.restore")


def recorded_layout(ledger: Ledger, package_id: str, notification_id: int) -> PackageLayout | None:
    """The layout recorded with `package_id` by ledger notification `notification_id`; None when
    it was written without one; `LayoutInvalid` when the record is there but unusable."""
    if notification_id <= 0:
        return None
    try:
        found = list(ledger.notifications(notification_id - 1, stop=notification_id, page=1))
        event: Any = ledger.mapper.to_domain_event(found[0]) if found else None
    except LedgerError as error:
        raise LayoutInvalid(messages.text("layout_unreadable", package=package_id, error=error.message)) from None
    if event is None or getattr(event, "package_id", None) != package_id:
        raise LayoutInvalid(messages.text("layout_other_package", event=notification_id, package=package_id))
    record = (getattr(event, "extra", None) or {}).get("layout")
    if record is None:
        return None
    return PackageLayout.from_record(record, payload_bytes=int(event.payload_bytes),
                                     payload_blocks=int(event.payload_blocks),
                                     payload_sha256=str(event.payload_sha256))


def planned_reads(ledger: Ledger, rows: Iterable[FileRow], limit: int = PLAN_LOOKUPS) -> dict[str, PartialRead]:
    """package id → what a partial read of its selected members costs, for packages with a layout."""
    members: dict[str, set[str]] = {}
    events: dict[str, int] = {}
    for row in rows:
        members.setdefault(row.package_id, set()).add(row.member)
        events[row.package_id] = row.notification_id
    if len(members) > limit:
        return {}
    found: dict[str, PartialRead] = {}
    for package_id, wanted in members.items():
        try:
            layout = recorded_layout(ledger, package_id, events[package_id])
        except LayoutInvalid as invalid:
            log.info("数据包 %s 的布局记录不可用：%s", package_id, invalid.reason)
            continue
        estimate = planned_read(layout, sorted(wanted)) if layout is not None else None
        if estimate is not None:
            found[package_id] = estimate
    return found


def restore_from_layout(ledger: Ledger, drive: CountingDrive, work: Work, barcode: str, package: PackageRead,
                        tasks: list[tuple[FileTask, int]], done: set[str], staging: Path, tick: Tick,
                        unpacking: Callable[[], None]) -> Unpacked | None:
    """Restore `tasks` from the solid blocks that hold them, if the ledger has the package's layout.

    None when it has none, or when it could not be used (a note in the summary says why): the
    caller then reads the package whole. Device errors and stops propagate.
    """
    notification_id = int(tasks[0][0].chunks[tasks[0][1]].row.get("notification_id") or 0)
    try:
        layout = recorded_layout(ledger, package.package_id, notification_id)
        if layout is None:
            return None
        return restore_partially(drive, work, barcode, package, layout, tasks, done, staging, tick, unpacking)
    except LayoutInvalid as invalid:
        log.warning("数据包 %s 改为整包读取：%s", package.package_id, invalid.reason)
        work.notes.append(messages.text("partial_fallback", package=package.package_id, reason=invalid.reason))
        return None
