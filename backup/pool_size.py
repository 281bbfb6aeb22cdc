"""How many packers a job runs, and how small a job's packages are cut so that every core packs.

Memory: an LZMA2 encoder holds its dictionary and match-finder tables — liblzma documents 674 MiB
for the 64 MiB dictionary and BT4 match finder of level 9 — and a packer process adds Python, py7zr
and its buffers. Measured (peak RSS of one packer process packing 72 MiB of text, 2026-12-07):
34 MiB at level 1, 399 MiB at level 6, 679 MiB at level 9. The budget is liblzma's figure plus
`PACKER_OVERHEAD`, a little above what was measured (730 MiB at level 9), and the pool gets one
packer per core only while `MEMORY_SHARE` of the memory free when the job starts holds them all,
and at least one.

Cores: the package is the unit of parallelism. A job whose data fits in one package would pack on
one core, so a job's package limit is lowered to about its compressible bytes ÷ cores (never below
`MIN_SPLIT_BYTES`, never above MAX_FILE_SIZE): a small job is cut into one package per core, and a
file bigger than that into chunks. The plan is stored with the job and its digest recorded, so a
resumed job keeps the packages it started with.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Set

import psutil

from backup.entry import EntryKind, FileEntry
from backup.levels import MIB, lzma2_options

# Python, py7zr and a packer's buffers, besides the encoder (measured: about 30 MiB; read buffers of
# bigger solid blocks add to it).
PACKER_OVERHEAD = 56 * MIB
# Of the memory free when the job starts, what its packers may take (the job process, the
# page cache that feeds the readers and the rest of the host keep the remainder).
MEMORY_SHARE = 0.75
# A small job's packages are not cut smaller than this: below it a package's fixed costs (a tape
# file, its filemark, its ledger events) outweigh what a second core saves.
MIN_SPLIT_BYTES = 4 * MIB
# The encoder's memory at each level, MiB: liblzma's for the level's dictionary and match finder
# (backup.levels), as xz(1) lists them for its presets with the same two: BT4 at 16, 32 and 64 MiB
# takes 186, 370 and 674 MiB; HC4 about 8 times the dictionary (32 MiB at 4 MiB).
_ENCODER_MIB = {0: 3, 1: 3, 2: 9, 3: 32, 4: 65, 5: 186, 6: 370, 7: 370, 8: 674, 9: 674}


def encoder_memory(level: int) -> int:
    """Bytes an LZMA2 encoder at `level` holds once its dictionary is full."""
    lzma2_options(level)  # refuses a level that is not one
    return _ENCODER_MIB[level] * MIB


def packer_memory(level: int) -> int:
    """Bytes one packer process holds at `level`: about 730 MiB at 9, 430 MiB at 6, 60 MiB at 1."""
    return PACKER_OVERHEAD + encoder_memory(level)


def packer_count(level: int, *, cores: int | None = None, available: int | None = None,
                 packages: int | None = None) -> int:
    """Packers for a job: one per core, as many as `MEMORY_SHARE` of the free memory holds, no more
    than there are packages to pack, and at least one."""
    cores = cores or os.cpu_count() or 1
    free = psutil.virtual_memory().available if available is None else available
    by_memory = int(free * MEMORY_SHARE) // packer_memory(level)
    count = min(cores, by_memory)
    if packages is not None:
        count = min(count, packages)
    return max(1, count)


def compressible_size(entry: FileEntry, incompressible: bool) -> int:
    """What one entry adds to the bytes `split_limit` shares over the cores: a file's size unless it
    is only copied (which costs no core)."""
    return entry.size if entry.kind is EntryKind.FILE and not incompressible else 0


def compressible_bytes(entries: Iterable[FileEntry], incompressible: Set[tuple[str, str]] = frozenset()) -> int:
    """The bytes LZMA2 will compress among `entries` (`incompressible`: keys of those only copied)."""
    return sum(compressible_size(entry, entry.key in incompressible) for entry in entries)


def split_limit(to_compress: int, max_package_bytes: int, *, cores: int | None = None) -> int:
    """The package limit for a job: MAX_FILE_SIZE, or less for a job too small to give every core
    a package — its `to_compress` bytes shared over the cores."""
    cores = cores or os.cpu_count() or 1
    if cores < 2:
        return max_package_bytes
    share = -(-to_compress // cores)
    return max(min(max_package_bytes, share), min(max_package_bytes, MIN_SPLIT_BYTES))
