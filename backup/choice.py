"""Which cartridge a backup writes to next: a pure rule over the inventory.

A job keeps one backup group per tape, so retention stays simple: it continues a cartridge that
holds only its own group, else takes a labelled scratch cartridge, else a cartridge TAF has never
seen (a blank one gets labelled; a foreign one is left alone), and last an expired cartridge that
may be erased and reused. Full, retired, cleaning and other groups' cartridges are never chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backup.messages_job import text
from ledger.rules.cartridge_text import status_text

CONTINUE, SCRATCH, UNKNOWN, EXPIRED = 0, 1, 2, 3


def rank(row: Mapping[str, Any] | None, group: str, *, auto_erase: bool) -> int | None:
    """Lower is better; None means the cartridge must not be used for this group."""
    if row is None:
        return UNKNOWN
    status = row.get("status")
    groups = set(row.get("groups") or [])
    if status == "active":
        return CONTINUE if groups and groups <= {group} else None
    if status == "scratch":
        return SCRATCH if not groups else None
    if status == "expired":
        return EXPIRED if auto_erase and not row.get("worm") else None
    return None


def why_not(row: Mapping[str, Any], group: str, *, auto_erase: bool) -> str:
    """Why `rank` turns this cartridge down, in the operator's words (the backup's warning says it)."""
    status = row.get("status")
    others = sorted(set(row.get("groups") or []) - {group})
    if others and status in {"active", "scratch", "full"}:
        return text("why_other_groups", groups="、".join(others))
    if status == "expired":
        return text("why_expired_worm") if row.get("worm") else text("why_expired_no_auto_erase")
    return status_text(status)


def ordered(barcodes: Iterable[str], inventory: Mapping[str, Mapping[str, Any]], group: str, *,
            auto_erase: bool, loaded: str | None = None, exclude: Iterable[str] = ()) -> list[str]:
    """The usable cartridges among `barcodes`, best first; the loaded one wins a tie (no robot move)."""
    skip = set(exclude)
    ranked = []
    for barcode in barcodes:
        if barcode in skip or barcode.upper().startswith("CLN"):
            continue
        value = rank(inventory.get(barcode), group, auto_erase=auto_erase)
        if value is not None:
            ranked.append((value, barcode != loaded, barcode))
    return [barcode for _, _, barcode in sorted(ranked)]
