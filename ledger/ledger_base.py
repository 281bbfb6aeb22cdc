"""The ledger's foundation: the one way a change is written (`change`, `update`) and reading by id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    MapperDeserialisationError,
    Notification,
    StoredEvent,
    Transcoder,
)

from ledger.domain.base import TafAggregate
from ledger.errors import ConcurrentChange, NotFound, UnreadableEvent
from ledger.transcoder import LedgerTranscoder, SkippingTranscoder

A = TypeVar("A", bound=TafAggregate)
R = TypeVar("R")
CHANGE_ATTEMPTS = 10


class CheckedMapper(Mapper[UUID]):
    """Decodes stored events; one that cannot be decoded is an `UnreadableEvent` naming it, never
    the library's English error."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return super().to_domain_event(stored_event)
        except MapperDeserialisationError:
            raise UnreadableEvent(event=_which(stored_event)) from None

    def without(self, keys: frozenset[str]) -> CheckedMapper:
        """A mapper that reads events as this one does but leaves the values of `keys` out (for a view
        that never looks at them, such as a manifest's entries); one per set of keys."""
        readers: dict[frozenset[str], CheckedMapper] = self.__dict__.setdefault("_readers", {})
        reader = readers.get(keys)
        if reader is None:
            assert isinstance(self.transcoder, LedgerTranscoder)
            reader = readers[keys] = CheckedMapper(transcoder=SkippingTranscoder(self.transcoder, keys),
                                                   cipher=self.cipher)
        return reader


def _which(stored: StoredEvent) -> str:
    """"第 12 号事件（Settings.SettingChanged）", or by its aggregate when read as part of one."""
    name = stored.topic.rpartition(":")[2]
    if isinstance(stored, Notification):
        return f"第 {stored.id} 号事件（{name}）"
    return f"事件 {name}（对象 {stored.originator_id} 的第 {stored.originator_version} 个事件）"


class LedgerBase(Application[UUID]):
    def construct_transcoder(self) -> Transcoder:
        transcoder = LedgerTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper[UUID]:
        # No compressor: the transcoder compresses what is worth it and tells each stored record's
        # format by its first byte, the zlib of older releases included (ledger/transcoder.py).
        return CheckedMapper(transcoder=self.construct_transcoder(), cipher=self.factory.cipher())

    # --- the one way a change is written ---------------------------------------------------
    def change(self, act: Callable[[], R], *, what: str = "记录", attempts: int = CHANGE_ATTEMPTS) -> R:
        """Run `act` — load aggregates from this ledger, change them, return the changed ones (one,
        several, or None when there is nothing to save) — and save its result in one `save()`.

        Another process may save one of them in between (its version moves on): the save is then
        refused, and `act` runs again on fresh copies. An act that must not be repeated after a
        refusal raises instead of changing (e.g. a job that was stopped meanwhile).
        """
        for _ in range(attempts):
            changed = act()
            aggregates = [changed] if isinstance(changed, TafAggregate) else [
                aggregate for aggregate in (changed or ()) if aggregate is not None]  # type: ignore[union-attr]
            if not aggregates:
                return changed
            try:
                self.save(*aggregates)
            except IntegrityError:
                continue
            return changed
        raise ConcurrentChange(what=what, attempts=attempts)


    def update(self, load: Callable[[], A], apply: Callable[[A], object], *, what: str) -> A:
        """`change` for one aggregate: load it, apply the change, save it (again on fresh copies
        after a concurrent modification)."""
        def act() -> A:
            aggregate = load()
            apply(aggregate)
            return aggregate

        return self.change(act, what=what)

    # --- reading ----------------------------------------------------------------------------
    def get(self, cls: type[A], aggregate_id: UUID, what: str, key: str) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(what=what, key=key) from None
        if not isinstance(aggregate, cls):
            raise NotFound(what=what, key=key)
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def notifications(self, start: int = 0, stop: int | None = None, page: int = 1000) -> Iterator[Notification]:
        """Every stored event after `start`, in notification order, read in pages."""
        position = start
        while True:
            section = self.recorder.select_notifications(position, page, stop=stop, inclusive_of_start=False)
            if not section:
                return
            yield from section
            position = section[-1].id
            if len(section) < page:
                return

    def head_id(self) -> int:
        return self.recorder.max_notification_id() or 0


def _as_uuid(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value.strip())
    except ValueError:
        raise NotFound(what="编号", key=value) from None
