"""Falling back to a smaller block size when the host adapter refuses a large transfer.

The drive accepts blocks far larger than many HBAs can move in one command (an ATTO/pm80xx HBA
refused more than 512 KiB, FreeBSD 12.2 capped at 128 KiB; tape-scsi.md §1.3). The transports turn
such a refusal into `TransferTooLarge`; these helpers choose the next size to try.

Public API:
- `next_smaller_block_size(size, limit=None, minimum=MIN_BLOCK_SIZE) -> int | None`
- `with_block_size_fallback(attempt, block_size, minimum, on_fallback) -> (size, result)`
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tape.transport import TransferTooLarge

T = TypeVar("T")

MIN_BLOCK_SIZE = 64 * 1024


def _power_of_two_at_most(value: int) -> int:
    return 1 << (value.bit_length() - 1) if value > 0 else 0


def next_smaller_block_size(size: int, limit: int | None = None, minimum: int = MIN_BLOCK_SIZE) -> int | None:
    """The next block size to try after `size` was refused, or None when nothing smaller is allowed.

    Halves the size; when the adapter's `limit` is known, jumps straight to the largest power of
    two within it.
    """
    candidate = size // 2
    if limit is not None and 0 < limit < size:
        candidate = min(candidate, _power_of_two_at_most(limit))
    return candidate if candidate >= minimum else None


def with_block_size_fallback(
    attempt: Callable[[int], T],
    block_size: int,
    *,
    minimum: int = MIN_BLOCK_SIZE,
    on_fallback: Callable[[int, int], None] | None = None,
) -> tuple[int, T]:
    """Call `attempt(size)`, shrinking the size after each `TransferTooLarge`.

    Returns the size that worked and what `attempt` returned. `on_fallback(old, new)` is told of
    every step (to log it). Re-raises the last refusal when even `minimum` is too large.
    """
    size = block_size
    while True:
        try:
            return size, attempt(size)
        except TransferTooLarge as refusal:
            smaller = next_smaller_block_size(size, refusal.limit, minimum)
            if smaller is None:
                raise
            if on_fallback is not None:
                on_fallback(size, smaller)
            size = smaller
