"""LTO-9 first-load media optimisation on the emulator, as an operator meets it (issue 13, item 13):
`vtl create --first-load`, VTL_FIRST_LOAD_SECONDS, `drive load` waiting with an estimate, `drive
status` / `drive list` / `vtl list` showing the state, and an unload refused while it runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

# Long enough that the calibration is still running when the next command looks at it.
HOUR = "3600"
ESTIMATE = re.compile(r"正在进行介质优化，预计还需 (\d+) 分钟")


@pytest.fixture
def tape_cli(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("VTL_CAPACITY", "4M")
    monkeypatch.setenv("VTL_SLOTS", "2")
    monkeypatch.setenv("TAF_USER", "王工")
    return cli


def events(cli: Callable[..., Any]) -> list[str]:
    return [row["event"] for row in reversed(cli("ledger", "log", "--limit", "50", "--json").json()["events"])]


def test_a_new_cartridge_being_optimised_is_a_state_every_command_shows(tape_cli: Callable[..., Any]) -> None:
    made = tape_cli("vtl", "create", "--first-load", HOUR)
    assert made.code == 0 and "新 LTO-9 磁带首次装入时介质优化 3600 秒" in made.out, made.err
    assert tape_cli("vtl", "list", "--json").json()["first_load_seconds"] == 3600
    assert tape_cli("vtl", "insert", "NEW001L9", "--drive", "0").code == 0  # straight into the drive: it loads

    status = tape_cli("drive", "status")
    assert status.code == 0, status.err
    found = ESTIMATE.search(status.out)
    assert found and 1 <= int(found.group(1)) <= 40, status.out  # counted against IBM's 40-minute average
    assert "期间不要取出磁带" in status.out
    body = tape_cli("drive", "status", "--json").json()
    assert body["state"] == "optimising" and 1 <= body["remaining_minutes"] <= 40
    assert ESTIMATE.fullmatch(body["state_text"])

    listed = tape_cli("drive", "list")
    assert "NEW001L9" in listed.out and "介质优化中" in listed.out
    assert tape_cli("drive", "list", "--json").json()["devices"][0]["medium"] == "optimising"
    assert "介质优化中" in tape_cli("vtl", "list").out

    before = len(events(tape_cli))
    refused = tape_cli("drive", "unload")  # answered at once, not after the hour
    assert refused.code == 3 and "期间不能卸带" in refused.err and ESTIMATE.search(refused.err), refused.err
    assert len(events(tape_cli)) == before  # nothing recorded: nothing moved


def test_drive_load_waits_out_the_optimisation_once_per_cartridge(tape_cli: Callable[..., Any]) -> None:
    assert tape_cli("vtl", "create", "--first-load", "0.5").code == 0
    first = tape_cli("drive", "load", "TAF001L9")
    assert first.code == 0, first.err
    assert ESTIMATE.search(first.out) and first.out.rstrip().endswith("磁带 TAF001L9 已装入驱动器 emulated:0")
    assert tape_cli("drive", "status", "--json").json()["state"] == "ready"
    assert tape_cli("drive", "unload").code == 0
    again = tape_cli("drive", "load", "TAF001L9")  # calibrated on its first load, for good
    assert again.code == 0 and "介质优化" not in again.out
    cartridges = {c["barcode"]: c for c in tape_cli("vtl", "list", "--json").json()["cartridges"]}
    assert cartridges["TAF001L9"]["optimised"] and not cartridges["TAF002L9"]["optimised"]
    assert events(tape_cli).count("Cartridge.Loaded") == 2


def test_the_setting_shapes_the_library_made_on_first_use(tape_cli: Callable[..., Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTL_FIRST_LOAD_SECONDS", "0.5")
    loaded = tape_cli("drive", "load", "TAF002L9")  # the first drive command creates the library
    assert loaded.code == 0 and ESTIMATE.search(loaded.out), loaded.out + loaded.err
    assert tape_cli("vtl", "list", "--json").json()["first_load_seconds"] == 0.5


def test_without_the_setting_there_is_no_optimisation(tape_cli: Callable[..., Any]) -> None:
    loaded = tape_cli("drive", "load", "TAF001L9")
    assert loaded.code == 0 and "介质优化" not in loaded.out
    assert "不模拟首次装入的介质优化" in tape_cli("vtl", "list").out


@pytest.mark.parametrize(("value", "words"), [("两分钟", "“两分钟”不是秒数"), ("-1", "超出范围"), ("9000", "超出范围")])
def test_a_setting_that_is_not_a_duration_stops_the_command(tape_cli: Callable[..., Any],
                                                            monkeypatch: pytest.MonkeyPatch, value: str,
                                                            words: str) -> None:
    monkeypatch.setenv("VTL_FIRST_LOAD_SECONDS", value)
    refused = tape_cli("drive", "list")
    assert refused.code == 78 and "配置项 VTL_FIRST_LOAD_SECONDS 无效" in refused.err and words in refused.err


def test_vtl_create_refuses_an_optimisation_longer_than_a_real_drive_takes(tape_cli: Callable[..., Any],
                                                                           taf_env: Any) -> None:
    refused = tape_cli("vtl", "create", "--first-load", "9000")
    assert refused.code == 2 and "0 到 7920 秒之间" in refused.err
    assert not (taf_env / "data" / "vtl" / "library.json").exists()
    assert tape_cli("vtl", "create", "--first-load", "两秒").code == 2  # not a number at all
