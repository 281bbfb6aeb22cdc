"""The tamper-evident hash chain over the ledger (B1).

h(n) = SHA-256(h(n−1) ‖ notification id ‖ originator id ‖ version ‖ topic ‖ SHA-256(state)),
with h(0) = 32 zero bytes. Fields are encoded with fixed widths or length prefixes so that no two
different sequences of fields give the same bytes (docs/架构.md records the exact layout).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

GENESIS = bytes(32)


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">I", len(raw)) + raw


def link(previous: bytes, notification_id: int, originator_id: Any, version: int, topic: str,
         state: bytes) -> bytes:
    body = b"".join([
        previous,
        struct.pack(">Q", notification_id),
        _text(str(originator_id)),
        struct.pack(">Q", version),
        _text(topic),
        hashlib.sha256(state).digest(),
    ])
    return hashlib.sha256(body).digest()


def link_notification(previous: bytes, notification: Any) -> bytes:
    return link(previous, notification.id, notification.originator_id, notification.originator_version,
                notification.topic, notification.state)


def walk(notifications: Iterable[Any], start: bytes = GENESIS) -> Iterator[tuple[int, bytes]]:
    """Yield (notification id, chain hash) for each notification in order."""
    head = start
    for notification in notifications:
        head = link_notification(head, notification)
        yield notification.id, head


@dataclass(frozen=True)
class Verdict:
    ok: bool
    head: str
    checked: int
    first_bad: int | None = None
    problem: str = ""

    @property
    def message(self) -> str:
        if self.ok:
            return f"台账哈希链完整：共校验 {self.checked} 条事件，链头 {self.head}"
        return f"台账哈希链损坏：第 {self.first_bad} 号事件{self.problem}"


def verify(notifications: Iterable[Any], sealed: Iterable[tuple[int, str]]) -> Verdict:
    """Compare the chain recomputed from `notifications` with the `sealed` (id, hex hash) pairs.

    Both must be in ascending id order. Any event altered, inserted or removed before the sealed
    head shows up as the first id where the two disagree.
    """
    seal_iter = iter(sealed)
    head = GENESIS
    checked = 0
    for notification in notifications:
        expected = next(seal_iter, None)
        head = link_notification(head, notification)
        checked += 1
        if expected is None:
            continue  # appended after the last seal: nothing stored to compare with yet
        sealed_id, sealed_hash = expected
        if notification.id > sealed_id:
            return Verdict(False, head.hex(), checked, sealed_id, "已被删除")
        if notification.id < sealed_id:
            return Verdict(False, head.hex(), checked, notification.id, "不在已封存的链上（疑似被插入）")
        if head.hex() != sealed_hash:
            return Verdict(False, head.hex(), checked, notification.id, "的内容与封存的哈希不符（疑似被篡改）")
    leftover = next(seal_iter, None)
    if leftover is not None:
        return Verdict(False, head.hex(), checked, leftover[0], "已被删除")
    return Verdict(True, head.hex(), checked)
