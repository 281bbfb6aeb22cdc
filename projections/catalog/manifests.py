"""The manifest the catalog loads for a PackageWritten: in the event (releases before issue 18) or
read from its own stream in the ledger (`Ledger.manifest_entries`), one package at a time.

The catalog follows PackageWritten only, never the manifest stream, so each package is loaded once
whichever way its manifest was stored. Either way the entries come as `ManifestEntry` objects.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.manifest import ManifestEntry, manifest_entries


def entries_of(event: Any, ledger: Any) -> list[ManifestEntry]:
    """The entries of the package `event` records: its own manifest, else the one `ledger` holds."""
    held = vars(event).get("manifest")
    if held is not None:
        return manifest_entries(held)
    if ledger is None:
        raise RuntimeError("文件目录未连接台账，读不到数据包清单")
    entries: list[ManifestEntry] = ledger.manifest_entries(event)
    return entries
