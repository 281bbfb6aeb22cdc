"""Packing speed per compression level: measured on this machine, remembered for the next ETA.

A job shows an ETA from its first second: before anything is packed it uses the rate the last job
at that level measured here, else a conservative figure from research (stack-ui.md §4: LZMA2 at
6–9 runs near 1 MiB/s per core; COPY runs at disk speed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MIB = 1024 * 1024
_PRIOR = {0: 30 * MIB, 1: 25 * MIB, 2: 15 * MIB, 3: 8 * MIB, 4: 5 * MIB, 5: 2 * MIB}


def prior_rate(level: int, workers: int) -> float:
    return float(_PRIOR.get(level, 1 * MIB) * max(1, workers))


def _path(folder: Path) -> Path:
    return folder / "pack_rates.json"


def remembered_rate(folder: Path, level: int, workers: int) -> float:
    try:
        rates = json.loads(_path(folder).read_text(encoding="utf-8"))
        return float(rates[str(level)])
    except (OSError, ValueError, KeyError):
        return prior_rate(level, workers)


def remember_rate(folder: Path, level: int, rate: float) -> None:
    if rate <= 0:
        return
    path = _path(folder)
    try:
        rates = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        rates = {}
    rates[str(level)] = rate
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(rates), encoding="utf-8")
    os.replace(temporary, path)
