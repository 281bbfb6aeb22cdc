"""Packers follow memory as well as cores, and a small job is cut so that every core packs (issue 18)."""

from __future__ import annotations

import os
from pathlib import Path

from backup.levels import MIB
from backup.plan import plan_packages
from backup.pool_size import (
    MIN_SPLIT_BYTES,
    PACKER_OVERHEAD,
    compressible_bytes,
    packer_count,
    packer_memory,
    split_limit,
)
from backup.sampling import classify_incompressible
from backup.scan import SourceScan
from tests.backup.conftest import random_bytes, text_bytes, write_file

GIB = 1024 * MIB


def test_a_level_9_packer_is_counted_at_about_730_mib_and_the_pool_fits_in_free_memory() -> None:
    assert packer_memory(9) == 674 * MIB + PACKER_OVERHEAD == 730 * MIB
    assert packer_memory(1) < 64 * MIB < packer_memory(6) < packer_memory(9)
    # Four cores but 2 GiB free: three quarters of it holds two level-9 packers, not four.
    assert packer_count(9, cores=4, available=2 * GIB) == 2
    assert packer_count(9, cores=4, available=64 * GIB) == 4
    assert packer_count(1, cores=4, available=2 * GIB) == 4
    assert packer_count(9, cores=4, available=300 * MIB) == 1  # never none
    assert packer_count(6, cores=8, available=64 * GIB, packages=3) == 3  # no idle packers
    assert 1 <= packer_count(9) <= (os.cpu_count() or 1)  # this host, its free memory now


def test_a_job_too_small_for_a_package_per_core_is_cut_so_every_core_packs(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for number in range(12):
        write_file(source / "文档" / f"报告{number:02d}.txt", text_bytes(3 * MIB, seed=number))
    write_file(source / "照片.jpg", random_bytes(20 * MIB, seed=99))  # only copied: costs no core
    entries = list(SourceScan([source]))
    incompressible = classify_incompressible(entries)
    assert len(incompressible) == 1
    three_gib = 3 * GIB
    assert len([p for p in plan_packages(entries, three_gib, incompressible=incompressible)
                if p.codec == "lzma2"]) == 1  # as before: one package, one core

    limit = split_limit(compressible_bytes(entries, incompressible), three_gib, cores=4)
    assert limit == 9 * MIB  # 36 MiB to compress over 4 cores
    plans = plan_packages(entries, limit, incompressible=incompressible)
    compressed = [plan for plan in plans if plan.codec == "lzma2"]
    assert len(compressed) >= 4 and all(plan.estimated_bytes <= limit for plan in plans)


def test_tiny_jobs_and_one_core_keep_their_limit(tmp_path: Path) -> None:
    write_file(tmp_path / "src" / "a.txt", text_bytes(100_000, seed=1))
    to_compress = compressible_bytes(SourceScan([tmp_path / "src"]))
    assert split_limit(to_compress, 3 * GIB, cores=8) == MIN_SPLIT_BYTES  # not cut into 12 KB packages
    assert split_limit(to_compress, 2 * MIB, cores=8) == 2 * MIB
    assert split_limit(to_compress, 3 * GIB, cores=1) == 3 * GIB
