"""The drill of issue 6: eight monthly backups on the emulated library, told by the ledger.

Seven cartridges, six active groups, six months' retention: the seventh and eighth backups rotate
the two oldest groups out; their cartridges expire at the next retention check, and the first one
is erased before the eighth backup and reused with label sequence 2. No cartridge holding an
active group is ever erased.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]


@pytest.fixture
def drill(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    source = taf_env / "源数据"
    (source / "财务").mkdir(parents=True)
    for number in range(20):
        (source / "财务" / f"凭证{number:02d}.txt").write_text(f"第 {number} 号凭证\n" * 50, encoding="utf-8")
    monkeypatch.setenv("VTL_SLOTS", "7")
    monkeypatch.setenv("VTL_CAPACITY", "16M")
    monkeypatch.setenv("COMPRESSION_LEVEL", "1")
    monkeypatch.setenv("TAF_USER", "演练")
    return source


def at(monkeypatch: pytest.MonkeyPatch, month: str, hour: int) -> None:
    monkeypatch.setenv("TAF_NOW", f"{month}-01T{hour:02d}:00:00")


def cli_ok(*args: str) -> dict:
    result = run_cli(*args, "--json")
    assert result.code == 0, result.err
    return result.json()


def test_eight_months_rotate_expire_erase_and_reuse(drill: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    used: dict[str, list[str]] = {}
    for month in MONTHS:
        at(monkeypatch, month, 12)
        summary = cli_ok("backup", "run", "--source", str(drill), "--wait")
        assert summary["status"] == "succeeded" and summary["group"] == month
        used[month] = summary["cartridges"]
        at(monkeypatch, month, 13)
        cli_ok("lifecycle", "check")

    status = {row["barcode"]: row for row in cli_ok("lifecycle", "status")["cartridges"]}
    # The first month's cartridge came back for the eighth month, relabelled once more.
    assert used["2026-08"] == used["2026-01"]
    reused = used["2026-01"][0]
    assert status[reused]["label_sequence"] == 2
    assert status[reused]["groups"] == ["2026-08"]
    # The second month's cartridge has expired and waits for the next backup's erase.
    assert status[used["2026-02"][0]]["status"] == "expired"

    groups = {row["name"]: row for row in cli_ok("lifecycle", "status")["groups"]}
    assert sorted(groups) == MONTHS
    assert [name for name in MONTHS if groups[name]["active"]] == MONTHS[2:]

    # Six active groups remain restorable from the catalog; the erased one is gone.
    for month in MONTHS[2:]:
        assert cli_ok("catalog", "search", "凭证", "--group", month)["count"] == 20
    gone = run_cli("catalog", "search", "凭证", "--group", "2026-01")
    assert gone.code == 4 and "目录中没有备份组 2026-01" in gone.err

    story = [(row["event"], row["summary"]) for row in reversed(cli_ok("ledger", "log", "--limit", "2000")["events"])]
    events = [event for event, _ in story]
    assert events.count("BackupGroup.RotatedOut") == 2
    assert events.count("Cartridge.Erased") == 1
    erase_at = events.index("Cartridge.Erased")
    assert "Cartridge.Expired" in events[:erase_at]
    assert events.index("BackupGroup.RotatedOut") < erase_at
    # Nothing holding an active group was erased: the erase came after its group rotated out and expired.
    rotated_first = next(summary for event, summary in story if event == "BackupGroup.RotatedOut")
    assert rotated_first
    assert cli_ok("audit", "verify")["ok"]
