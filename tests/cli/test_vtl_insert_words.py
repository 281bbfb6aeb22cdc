"""What `vtl insert` says: a new cartridge is marked as new, and the words sit right after the
barcode or the full-width bracket (no space after "）")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_inserting_a_new_and_then_a_known_cartridge_reads_naturally(cli: Callable[..., Any]) -> None:
    made = cli("vtl", "insert", "NEW001L9")
    assert made.code == 0, made.err
    assert made.out.startswith("磁带 NEW001L9（新磁带）已放入"), made.out
    assert cli("vtl", "eject", "NEW001L9").code == 0
    again = cli("vtl", "insert", "NEW001L9")
    assert again.code == 0, again.err
    assert again.out.startswith("磁带 NEW001L9 已放入"), again.out
