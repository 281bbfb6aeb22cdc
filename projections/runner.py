"""Follow the ledger by polling (neither SQLite nor openGauss has LISTEN/NOTIFY) and feed views."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from projections.store import DuplicateTracking
from projections.view import View

log = logging.getLogger("taf.projections")


class Projector:
    """Catches views up with the ledger: a batch of events and the new position in one transaction."""

    def __init__(self, ledger: Any, views: Sequence[View], *, batch: int = 1000,
                 until: datetime | None = None) -> None:
        self.ledger = ledger
        self.views = list(views)
        self.batch = batch
        self.until = until
        for view in self.views:
            view.create()

    def view(self, name: str) -> View:
        for view in self.views:
            if view.name == name:
                return view
        raise KeyError(name)

    def catch_up(self, names: Sequence[str] = ()) -> int:
        """Apply every event not yet applied; returns how many events were applied in all."""
        applied = 0
        for view in self.views:
            if not names or view.name in names:
                applied += self._catch_up_view(view)
        return applied

    def _catch_up_view(self, view: View) -> int:
        applied = 0
        position = view.position()
        while True:
            notifications = self.ledger.recorder.select_notifications(
                position, self.batch, topics=view.topics, inclusive_of_start=False)
            if not notifications:
                return applied
            items = [(self.ledger.mapper.to_domain_event(n) if view.needs_events else None, n)
                     for n in notifications]
            if self.until is not None:
                items = [(e, n) for e, n in items if e is None or e.timestamp <= self.until]
                if not items:
                    return applied
            try:
                with view.store.transaction() as cursor:
                    # Tracking first: a batch another projector already took fails before any row.
                    view.store.set_tracking(cursor, view.name, items[-1][1].id, previous=position)
                    view.apply(cursor, items)
            except DuplicateTracking:
                # Another projector applied this batch first; start again from its position.
                log.info("视图 %s 的这批事件已由其他进程处理", view.name)
                position = view.position()
                continue
            applied += len(items)
            position = items[-1][1].id
            if len(items) < len(notifications) or len(notifications) < self.batch:
                return applied

    def rebuild(self, names: Sequence[str] = ()) -> int:
        """Drop the views' rows and positions in one transaction, then catch up from the start.

        Views that refuse a blanket rebuild (the sealed hash chain, whose point is to remember
        what the ledger said before) are rebuilt only when named.
        """
        for view in self.views:
            if (view.name in names) or (not names and view.rebuild_with_all):
                with view.store.transaction() as cursor:
                    view.clear(cursor)
        return self.catch_up(names)


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
