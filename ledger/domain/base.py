"""The aggregate base every TAF aggregate extends: timestamps from the ledger clock, stable ids."""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate

from ledger import clock

# Names map to stable ids so that "cartridge TAF001L9" or "idempotency key K" is one aggregate
# wherever and however often it is asked for; a second creation is refused by the store itself.
NAMESPACE = uuid.UUID("5f0e3c1a-7d2b-4c55-9a6e-1d3f2b7c9e01")


def stable_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


class TafAggregate(Aggregate):
    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            return clock.now()

    class Created(Event, Aggregate.Created):
        pass
