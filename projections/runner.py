"""Follow the ledger by polling (neither SQLite nor openGauss has LISTEN/NOTIFY) and feed views."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from projections.store import DuplicateTracking
from projections.view import View

log = logging.getLogger("taf.projections")


# Rows a view may write in one transaction (about 0.3 GB of decoded manifests and rows for the
# catalog): a batch ends where the next event would take it past this, or at `batch` events.
BATCH_ROWS = 100_000
# Stored bytes read in one page of events, about (the page shrinks when events are large).
PAGE_BYTES = 32 << 20
# Events in a view's first page: its events' size is not known yet, and a thousand stored
# manifests would be hundreds of MiB before the page could shrink; later pages grow to `batch`.
FIRST_PAGE = 100


class Projector:
    """Catches views up with the ledger: a batch of events and the new position in one transaction.

    A batch is bounded twice: at most `batch` events are read at a time, and one transaction applies
    events worth at most `rows` rows (`View.rows_of`; a catalog event is worth its manifest's
    entries), or a single event worth more. So a few events with huge manifests are split over
    several transactions and memory follows rows, not events.
    """

    def __init__(self, ledger: Any, views: Sequence[View], *, batch: int = 1000, rows: int = BATCH_ROWS,
                 until: datetime | None = None) -> None:
        self.ledger = ledger
        self.views = list(views)
        self.batch = batch
        self.rows = rows
        self.until = until
        # Each view's position in the ledger's notification order as this process last found it
        # current: when the ledger's head is no further, a catch-up reads nothing (one query for
        # all views, instead of each view's position and its next page of events).
        self._current: dict[str, int] = {}
        for view in self.views:
            view.ledger = ledger
            view.create()

    def view(self, name: str) -> View:
        for view in self.views:
            if view.name == name:
                return view
        raise KeyError(name)

    def catch_up(self, names: Sequence[str] = ()) -> int:
        """Apply every event not yet applied; returns how many events were applied in all."""
        applied = 0
        head = int(self.ledger.recorder.max_notification_id() or 0)
        for view in self.views:
            if (not names or view.name in names) and self._current.get(view.name, -1) < head:
                applied += self._catch_up_view(view)
                # Every event up to `head` was committed before the catch-up began (the ledger hands
                # out notification ids in commit order), so the view now holds all of them.
                self._current[view.name] = max(head, self._current.get(view.name, -1))
        return applied

    def _catch_up_view(self, view: View) -> int:
        applied = 0
        position = view.position()
        page = min(self.batch, FIRST_PAGE)
        while True:
            notifications = self.ledger.recorder.select_notifications(
                position, page, topics=view.topics, inclusive_of_start=False)
            if not notifications:
                return applied
            batches = _Batches(self, view, notifications)
            try:
                for items in batches:
                    with view.store.transaction() as cursor:
                        # Tracking first: a batch another projector already took fails before any row.
                        view.store.set_tracking(cursor, view.name, items[-1][1].id, previous=position)
                        view.apply(cursor, items)
                    applied += len(items)
                    position = items[-1][1].id
            except DuplicateTracking:
                # Another projector applied this batch first; start again from its position.
                log.info("视图 %s 的这批事件已由其他进程处理", view.name)
                position = view.position()
                continue
            if batches.passed_until or len(notifications) < page:
                return applied
            # Events of older releases carry whole manifests: read fewer of them at a time, so a page
            # of stored events stays near PAGE_BYTES however large they are.
            stored = sum(len(notification.state) for notification in notifications)
            page = max(1, min(self.batch, len(notifications) * PAGE_BYTES // max(stored, 1)))

    def rebuild(self, names: Sequence[str] = ()) -> int:
        """Drop the views' rows and positions in one transaction, then catch up from the start.

        Views that refuse a blanket rebuild (the sealed hash chain, whose point is to remember
        what the ledger said before) are rebuilt only when named.
        """
        for view in self.views:
            if (view.name in names) or (not names and view.rebuild_with_all):
                with view.store.transaction() as cursor:
                    view.clear(cursor)
                self._current.pop(view.name, None)
        return self.catch_up(names)


class _Batches:
    """The transactions of one page of notifications: each event decoded once, handed on in batches
    worth at most `rows` rows; events after the projector's `until` are left out."""

    def __init__(self, projector: Projector, view: View, notifications: Sequence[Any]) -> None:
        self.projector = projector
        self.view = view
        self.notifications = notifications
        self.passed_until = False

    def __iter__(self) -> Iterator[list[tuple[Any, Any]]]:
        projector, view = self.projector, self.view
        mapper, until, budget = projector.ledger.mapper, projector.until, projector.rows
        if view.skipped_fields:
            mapper = mapper.without(view.skipped_fields)
        items: list[tuple[Any, Any]] = []
        rows = 0
        for notification in self.notifications:
            event = mapper.to_domain_event(notification) if view.needs_events else None
            if until is not None and event is not None and event.timestamp > until:
                self.passed_until = True
                continue
            weight = view.rows_of(event)
            if items and rows + weight > budget:
                yield items
                items, rows = [], 0
            items.append((event, notification))
            rows += weight
        if items:
            yield items


class ProjectionThread(threading.Thread):
    """Keeps the views current inside a long-running process."""

    def __init__(self, projector: Projector, interval: float = 0.5) -> None:
        super().__init__(name="taf-projector", daemon=True)
        self.projector = projector
        self.interval = interval
        self.stopped = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.projector.catch_up()
            except Exception as error:  # keep following; the error is logged and kept for health checks
                log.exception("视图追赶失败：%s", error)
                self.errors.append(error)
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
