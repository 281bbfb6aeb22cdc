"""The manifest the catalog loads for a PackageWritten: in the event (releases before issue 18) or
read from its own stream in the ledger (`Ledger.manifest`), one package at a time.

The catalog follows PackageWritten only, never the manifest stream, so each package is loaded once
whichever way its manifest was stored.
"""

from __future__ import annotations

from typing import Any


class _Written:
    """A PackageWritten with `manifest` at hand: the event's own attributes, plus the entries."""

    def __init__(self, event: Any, manifest: list[dict[str, Any]]) -> None:
        self._event = event
        self.manifest = manifest

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)


def with_manifest(event: Any, ledger: Any) -> Any:
    """`event` itself when it carries its manifest, else the event with the manifest read from `ledger`."""
    if vars(event).get("manifest") is not None:
        return event
    if ledger is None:
        raise RuntimeError("文件目录未连接台账，读不到数据包清单")
    return _Written(event, ledger.manifest(event))
