"""COMPRESSION_LEVEL (0–9) as py7zr filter chains.

Level N is LZMA2 with the parameters 7-Zip uses for `-mx=N` (dictionary size, fast or normal
mode, fast bytes; LzmaEncProps_Normalize in the 7-Zip sources), expressed as liblzma options,
so a level means the same here as in the 7-Zip an operator knows, and the benchmark compares like
with like. liblzma's own presets differ at the low end: xz -1 uses a 1 MiB dictionary and 128 fast
bytes, 7-Zip -mx1 256 KiB and 32, and on this hardware that makes preset 1 a third slower than
7-Zip's level 1 for no gain in ratio.

The fast levels (0–4) use liblzma's HC4 match finder with a shallow search (`depth`), measured on
log-like text: depth 4 runs at 21 MiB/s per core with ratio 2.91 against 7zz -mx1's 20.6 MiB/s
and 2.97; depth 16 drops to 14.7 MiB/s for 2.94. The normal levels (5–9) use BT4 as 7-Zip does
and run at the same speed as 7zz single-threaded (≈1.3 MiB/s here).

Level 0 is still LZMA2, as MISSION.md defines the key ("LZMA2 preset 0–9"), where 7-Zip's -mx0
means "store" (this project stores only incompressible files, chosen per file by
`backup.sampling`). It is level 1 with 8 fast bytes instead of 32. Below that knee liblzma's fast
mode gets no cheaper: its cost per byte is set by how many literals it has to code, and a shorter
search finds fewer matches. Counted with callgrind (bench/encoder_cost.py; same count on every
run, unlike seconds on a shared machine) on 4 MiB of log-like text and of Python source, depth 4
takes 1 % and 5 % fewer instructions than depth 1 and compresses 2 % and 6 % better (3.08 and
4.58 against 3.01 and 4.31). In CPU seconds 7-Zip's own fastest LZMA2 (`7zz -m0=LZMA2 -mx=0`)
stays about a fifth faster than any depth, dictionary or hash setting of liblzma — it needs fewer
instructions and retires them faster — and compresses source code better (4.78). docs/性能.md
has the figures.

Memory per packer: level 9 needs about 700 MiB, level 6 about 370 MiB, level 1 a few MiB.
"""

from __future__ import annotations

import lzma
from enum import StrEnum
from typing import Any

import py7zr


class Codec(StrEnum):
    LZMA2 = "lzma2"
    COPY = "copy"


KIB = 1024
MIB = 1024 * KIB

# level: (dictionary bytes, normal mode?, fast bytes / nice_len, match-finder depth; 0 = liblzma default)
_LEVELS: dict[int, tuple[int, bool, int, int]] = {
    0: (256 * KIB, False, 8, 4),
    1: (256 * KIB, False, 32, 4),
    2: (1 * MIB, False, 32, 8),
    3: (4 * MIB, False, 32, 16),
    4: (8 * MIB, False, 32, 24),
    5: (16 * MIB, True, 32, 0),
    6: (32 * MIB, True, 32, 0),
    7: (32 * MIB, True, 64, 0),
    8: (64 * MIB, True, 64, 0),
    9: (64 * MIB, True, 64, 0),
}


def lzma2_options(level: int) -> dict[str, Any]:
    """The liblzma LZMA2 options for a COMPRESSION_LEVEL."""
    if level not in _LEVELS:
        raise ValueError(f"COMPRESSION_LEVEL must be 0–9, got {level!r}")
    dict_size, normal, nice_len, depth = _LEVELS[level]
    return {
        "dict_size": dict_size,
        "lc": 3,
        "lp": 0,
        "pb": 2,
        "mode": lzma.MODE_NORMAL if normal else lzma.MODE_FAST,
        "mf": lzma.MF_BT4 if normal else lzma.MF_HC4,
        "nice_len": nice_len,
        "depth": depth,
    }


def filters_for(codec: Codec, level: int) -> list[dict[str, Any]]:
    """The py7zr `filters` argument for one package; never BCJ, which only helps x86 code."""
    if codec is Codec.COPY:
        return [{"id": py7zr.FILTER_COPY}]
    return [{"id": py7zr.FILTER_LZMA2, **lzma2_options(level)}]
