"""The backups issue 11 reported, with their exact sizes and settings, through the README's commands:
`backup run --wait`, `backup verify`, `restore run --wait`, and every byte compared.

Before the fix the first two failed inside py7zr while writing a package header
("IndexError: list index out of range"), and the last two reported success but restored only
some of their files ("SHA-256 与清单不符，未恢复").
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.backup.jobkit import tree_digests

MIB = 1 << 20


@functools.cache
def _log_block() -> bytes:
    """A MiB of log-like lines (timestamps, levels, numbers), made once."""
    rng = random.Random(11)
    lines = [f"2026-11-{rng.randint(1, 30):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
             f"{rng.randint(0, 59):02d} {rng.choice(['INFO', 'WARN', 'ERROR', '信息'])} worker-{rng.randint(1, 16)} "
             f"请求 {rng.randint(0, 10**6)} 用时 {rng.randint(1, 900)} ms\n" for _ in range(16_000)]
    return "".join(lines).encode()[:MIB]


def _log_text(size: int, seed: int) -> bytes:
    """Log-like text of `size` bytes, different for every seed: the block turned at a seeded
    point, each MiB stamped with the file and segment number."""
    block = _log_block()
    turn = seed * 7919 % len(block)
    turned = block[turn:] + block[:turn]
    parts = [f"# 第 {seed} 号文件第 {n} 段\n".encode() + turned for n in range(size // MIB + 1)]
    return b"".join(parts)[:size]


def _small_files(root: Path, count: int, folders: tuple[int, int], total: int, seed: int) -> None:
    rng = random.Random(seed)
    sizes = [rng.randint(1, 2 * total // count) for _ in range(count)]
    scale = total / sum(sizes)
    for number, size in enumerate(sizes):
        folder = root / f"部门{number % folders[0]}" / f"项目{(number // folders[0]) % folders[1]}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"记录{number:04d}.txt").write_bytes(_log_text(max(1, int(size * scale)), seed * 10_000 + number))


def _round_trip(cli: Callable[..., Any], source: Path, target: Path, level: int) -> None:
    backup = cli("backup", "run", "--source", str(source), "--level", str(level), "--wait", "--json")
    assert backup.code == 0, backup.out + backup.err
    summary = backup.json()
    assert summary["status"] == "succeeded" and summary["reason"] in ("", None), summary
    verify = cli("backup", "verify", summary["job_id"])
    assert verify.code == 0 and "全部可以恢复" in verify.out, verify.out + verify.err
    restore = cli("restore", "run", str(source), "--target", str(target), "--wait")
    assert restore.code == 0, restore.out + restore.err
    assert tree_digests(target.joinpath(*source.parts[1:])) == tree_digests(source)


@pytest.mark.slow
def test_four_log_files_at_level_1(taf_env: Path, cli: Callable[..., Any]) -> None:
    source = taf_env / "日志"
    source.mkdir()
    for number, size in enumerate((40, 40, 32, 30)):
        (source / f"app-{number}.log").write_bytes(_log_text(size * MIB, number))
    _round_trip(cli, source, taf_env / "恢复", level=1)


@pytest.mark.slow
def test_big_text_and_small_files_with_8_mib_blocks_in_64_mib_packages(
        taf_env: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_FILE_SIZE", str(64 * MIB))
    monkeypatch.setenv("SOLID_BLOCK_SIZE", str(8 * MIB))
    source = taf_env / "文件服务器"
    source.mkdir()
    for number, size in enumerate((50, 40, 40, 30, 24, 16)):
        (source / f"导出-{number}.txt").write_bytes(_log_text(size * MIB, 100 + number))
    _small_files(source / "小文件", 400, (8, 5), 3 * MIB, seed=2)
    _round_trip(cli, source, taf_env / "恢复", level=1)


@pytest.mark.slow
def test_six_hundred_small_files_with_1_mib_blocks(taf_env: Path, cli: Callable[..., Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_FILE_SIZE", str(64 * MIB))
    monkeypatch.setenv("SOLID_BLOCK_SIZE", str(1 * MIB))
    source = taf_env / "共享"
    _small_files(source, 600, (5, 7), 18 * MIB, seed=3)
    _round_trip(cli, source, taf_env / "恢复", level=1)


@pytest.mark.slow
def test_a_monthly_file_server_backup_at_default_settings_and_level_0(taf_env: Path,
                                                                       cli: Callable[..., Any]) -> None:
    source = taf_env / "月度"
    _small_files(source, 539, (4, 9), 150 * MIB, seed=4)
    _round_trip(cli, source, taf_env / "恢复", level=0)
