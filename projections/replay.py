"""Audit replay (R2): the read models rebuilt in memory from the ledger alone, up to a past moment.

A `Replay` is a `Projector` over fresh views in an in-memory SQLite store, reading the ledger
through a window that ends at a chosen event. The live views and their tracking positions are
never touched. The window can be moved forward (`advance`), so one pass over the ledger can stop at
several moments on its way — the monthly report looks at the tapes just before each erase that way.

A moment in time is turned into an event number first (`position_at`: the last event recorded at or
before it), so every view stops at the same event, whatever topics it follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.groups import GroupsView
from projections.inventory import InventoryView
from projections.jobs import JobsView
from projections.notifications import NotificationLogView
from projections.recipients import RecipientsView
from projections.runner import Projector
from projections.settings_view import SettingsView
from projections.store import SqliteViewStore
from projections.view import View

# What a replay can rebuild, by view name; each class is the live view's own.
REPLAYABLE: dict[str, type[View]] = {
    "inventory": InventoryView, "groups": GroupsView, "settings": SettingsView, "jobs": JobsView,
    "notifications": NotificationLogView, "recipients": RecipientsView,
}
SETTING_CHANGED = "ledger.domain.settings:Settings.SettingChanged"
BATCH = 5000


class LedgerWindow:
    """The ledger as a projector reads it, ending after event `stop`: `recorder` and `mapper`."""

    def __init__(self, ledger: Any, stop: int = 0) -> None:
        self._recorder = ledger.recorder
        self.mapper = ledger.mapper
        self.stop = stop

    @property
    def recorder(self) -> LedgerWindow:
        return self

    def max_notification_id(self) -> int:
        return min(self.stop, int(self._recorder.max_notification_id() or 0))

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> Sequence[Any]:
        bound = self.stop if stop is None else min(stop, self.stop)
        if bound < 1 or (start is not None and start > bound):
            return []
        return self._recorder.select_notifications(start, limit, stop=bound, topics=topics,
                                                   inclusive_of_start=inclusive_of_start)


class Replay:
    """Views of the chosen names, in memory, following the ledger up to a position that only grows."""

    def __init__(self, ledger: Any, names: Sequence[str] = tuple(REPLAYABLE)) -> None:
        unknown = [name for name in names if name not in REPLAYABLE]
        if unknown:
            raise KeyError(unknown[0])
        self.window = LedgerWindow(ledger)
        self._recorder = ledger.recorder
        self.store = SqliteViewStore(":memory:")
        self.projector = Projector(self.window, [REPLAYABLE[name](self.store) for name in names], batch=BATCH)

    @property
    def position(self) -> int:
        return self.window.stop

    def advance(self, position: int) -> int:
        """Apply the events up to `position` (never back); returns how many were read.

        The views move together: one pass over the ledger, each event decoded once and handed to
        every view that follows it, each view's position recorded with its rows — so the projector
        (which the live verbs ask to catch up) finds them all current.
        """
        views = self.projector.views
        wanted = [frozenset(view.topics) for view in views]
        topics = () if not all(wanted) else tuple(sorted(frozenset().union(*wanted)))
        start, stop = self.window.stop, max(self.window.stop, position)
        positions = [view.position() for view in views]
        read = 0
        while start < stop:
            section = self._recorder.select_notifications(start, BATCH, stop=stop, topics=topics,
                                                          inclusive_of_start=False)
            if not section:
                break
            items = [(self.window.mapper.to_domain_event(n), n) for n in section]
            with self.store.transaction() as cursor:
                for number, (view, follows) in enumerate(zip(views, wanted, strict=True)):
                    mine = [item for item in items if not follows or item[1].topic in follows]
                    if mine:
                        self.store.set_tracking(cursor, view.name, mine[-1][1].id, previous=positions[number])
                        view.apply(cursor, mine)
                        positions[number] = mine[-1][1].id
            read += len(items)
            start = section[-1].id
            if len(section) < BATCH:
                break
        self.window.stop = stop
        return read

    def view(self, name: str) -> Any:
        return self.projector.view(name)

    def close(self) -> None:
        self.store.close()


def event_time(ledger: Any, notification: Any) -> datetime:
    return ledger.mapper.to_domain_event(notification).timestamp  # type: ignore[no-any-return]


def position_at(ledger: Any, moment: datetime) -> int:
    """The last event recorded at or before `moment` (0 when none was).

    A binary search over the event numbers, decoding one event per step: the ledger's clock only
    moves forward, so its timestamps grow with the event numbers.
    """
    recorder = ledger.recorder
    low, high = 0, int(recorder.max_notification_id() or 0)
    while low < high:
        middle = (low + high + 1) // 2
        found = recorder.select_notifications(middle, 1, stop=high)
        if found and event_time(ledger, found[0]) <= moment:
            low = int(found[0].id)
        else:
            high = middle - 1
    return low


def events(ledger: Any, topics: Sequence[str], start: int = 0, stop: int | None = None, page: int = 1000, *,
           skip_undecodable: bool = False) -> Iterator[tuple[Any, Any]]:
    """(stored notification, domain event) for each event of `topics` after `start`, up to `stop`.

    With `skip_undecodable`, a stored event that no longer decodes (one altered in the database)
    is passed over: `audit verify` names it through the hash chain instead.
    """
    position = start
    while True:
        section = ledger.recorder.select_notifications(position, page, stop=stop, topics=topics,
                                                       inclusive_of_start=False)
        for notification in section:
            try:
                event = ledger.mapper.to_domain_event(notification)
            except Exception:  # any decoding failure: corrupt bytes, JSON, a missing class
                if skip_undecodable:
                    continue
                raise
            yield notification, event
        if len(section) < page:
            return
        position = section[-1].id


@dataclass(frozen=True)
class SettingAsOf:
    key: str
    value: Any
    changed_at: str  # when the value in force was set through the ledger ("" for one never set there)
    changed_by: str


@dataclass(frozen=True)
class SettingsAsOf:
    """The settings the ledger knows as of a position: those set by then, and for keys first set
    later, the value each later change says was in force before it (perhaps from .env)."""

    changed: dict[str, SettingAsOf]
    before_later_change: dict[str, Any]

    def value(self, key: str, otherwise: Callable[[str], Any]) -> Any:
        """The value of `key` in force then (a secret as its mask); `otherwise(key)` for a key the
        ledger never changed (.env or built in, as now)."""
        if key in self.changed:
            value = self.changed[key].value
            return value["hint"] if isinstance(value, dict) and "hint" in value else value
        if key in self.before_later_change:
            return self.before_later_change[key]
        return otherwise(key)


def settings_as_of(ledger: Any, position: int) -> SettingsAsOf:
    changed: dict[str, SettingAsOf] = {}
    earlier: dict[str, Any] = {}
    for notification, event in events(ledger, (SETTING_CHANGED,)):
        if notification.id <= position:
            changed[event.key] = SettingAsOf(event.key, event.new, event.timestamp.isoformat(), event.by)
        elif event.key not in changed and event.key not in earlier:
            earlier[event.key] = event.old
    return SettingsAsOf(changed, earlier)
