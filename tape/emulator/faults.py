"""Injected faults: what can go wrong on purpose, for whom, and when.

Faults live in library.json with the rest of the shared state, so `vtl fault …` in one process
reaches a backup running in another. Each kind maps onto a real failure of tape-scsi.md §8 E10.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

MEDIUM_ERROR = "medium_error"  # 3/11/00 reading, 3/0C/00 writing, at logical object N
NOT_READY = "not_ready"  # 2/04/01 on medium access until a moment passes
VOLUME_OVERFLOW = "volume_overflow"  # D/00/02 writing at or after logical object N
TRANSFER_LIMIT = "transfer_limit"  # the adapter refuses transfers above N bytes (EINVAL)
DEFERRED_ERROR = "deferred_error"  # the next command gets a 71h deferred write error
UNIT_ATTENTION = "unit_attention"  # the next command gets a unit attention (29/00 by default)

KINDS = (MEDIUM_ERROR, NOT_READY, VOLUME_OVERFLOW, TRANSFER_LIMIT, DEFERRED_ERROR, UNIT_ATTENTION)
ONE_SHOT = (DEFERRED_ERROR, UNIT_ATTENTION)


@dataclass
class Fault:
    """One injected fault.

    drive: which drive (None = every drive; for UNIT_ATTENTION, -1 = the changer).
    barcode: only while this cartridge is loaded (media faults travel with the cartridge).
    object/partition: the logical object it sits at (MEDIUM_ERROR, VOLUME_OVERFLOW).
    operation: "read", "write" or "both" (MEDIUM_ERROR).
    until: wall-clock end (NOT_READY); limit: bytes (TRANSFER_LIMIT).
    asc/ascq: sense override (UNIT_ATTENTION, NOT_READY, DEFERRED_ERROR).
    once: removed after it fires once.
    """

    id: int
    kind: str
    drive: int | None = None
    barcode: str | None = None
    object: int | None = None
    partition: int = 0
    operation: str = "both"
    until: float | None = None
    limit: int | None = None
    asc: int | None = None
    ascq: int | None = None
    once: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, content: dict[str, Any]) -> Fault:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in content.items() if k in known})

    def concerns(self, drive: int, barcode: str | None) -> bool:
        if self.drive is not None and self.drive != drive:
            return False
        return self.barcode is None or self.barcode == barcode

    def hits(self, partition: int, position: int, operation: str) -> bool:
        """Does a medium fault fire for an access to this object?"""
        if self.partition != partition or self.object is None:
            return False
        if self.kind == MEDIUM_ERROR:
            return position == self.object and self.operation in ("both", operation)
        return position >= self.object
