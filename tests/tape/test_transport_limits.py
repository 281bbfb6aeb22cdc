"""Falling back to a smaller block size when the adapter refuses a transfer."""

from __future__ import annotations

import pytest

from tape.transport import TransferTooLarge
from tape.transports.limits import next_smaller_block_size, with_block_size_fallback

KIB = 1024
MIB = 1024 * KIB


def test_halves_when_the_limit_is_unknown() -> None:
    assert next_smaller_block_size(MIB) == 512 * KIB
    assert next_smaller_block_size(128 * KIB) == 64 * KIB
    assert next_smaller_block_size(64 * KIB) is None


def test_jumps_to_the_largest_power_of_two_within_a_known_limit() -> None:
    assert next_smaller_block_size(MIB, limit=128 * KIB) == 128 * KIB
    assert next_smaller_block_size(MIB, limit=768 * KIB) == 512 * KIB
    assert next_smaller_block_size(MIB, limit=2 * MIB) == 512 * KIB  # a limit above the size says nothing


def test_fallback_reaches_the_size_the_adapter_accepts() -> None:
    tried: list[int] = []
    steps: list[tuple[int, int]] = []

    def attempt(size: int) -> str:
        tried.append(size)
        if size > 256 * KIB:
            raise TransferTooLarge(size)
        return "ok"

    size, outcome = with_block_size_fallback(
        attempt, MIB, on_fallback=lambda old, new: steps.append((old, new))
    )
    assert (size, outcome) == (256 * KIB, "ok")
    assert tried == [MIB, 512 * KIB, 256 * KIB]
    assert steps == [(MIB, 512 * KIB), (512 * KIB, 256 * KIB)]


def test_fallback_gives_up_below_the_minimum() -> None:
    def attempt(size: int) -> None:
        raise TransferTooLarge(size, 16 * KIB)

    with pytest.raises(TransferTooLarge) as caught:
        with_block_size_fallback(attempt, MIB)
    assert caught.value.length == MIB  # the jump to 16 KiB is below the 64 KiB minimum, so no retry
