"""Where each cartridge is now, for restore plans: the tape inventory's view of the ledger."""

from __future__ import annotations

from restore.plan import Whereabouts
from restore.ports import Locations


def whereabouts(services: Locations) -> list[Whereabouts]:
    """Every cartridge's recorded location ("drive:…", "slot:3", "shelf", "offsite:…")."""
    return [Whereabouts(row["barcode"], row["location"] or "", int(row["bytes_written"]))
            for row in services.inventory.all() if row["location"]]
