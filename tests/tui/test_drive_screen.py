"""驱动器: every act on the drive, driven with the keys the footer shows, against an emulated library."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, Input

from tests.tui.kit import ACTOR, connection, console, drive, screen_text, shows, until


def test_load_label_rewind_health_erase_and_unload_from_the_drive_screen(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        await pilot.press("l")
        await pilot.press(*"taf001l9", "enter")
        screen = await shows(pilot, "已装入 TAF001L9")
        assert "已就绪" in screen and "第 0 个磁带文件" in screen

        await pilot.press("b")
        assert app.screen.query_one("#barcode", Input).value == "TAF001L9"
        await pilot.click("#ok")
        await shows(pilot, "已为 TAF001L9 写入标签")
        await shows(pilot, "卷序列号 TAF001，磁带池 default")

        await pilot.press("w")
        await shows(pilot, "已倒带：TAF001L9 回到开头")
        await pilot.press("h")
        screen = await shows(pilot, "已读取健康状况")
        assert "无需清洁" in screen and "TapeAlert：无" in screen

        await pilot.press("e")
        await pilot.press(*"TAF002L9")
        assert app.screen.query_one("#ok", Button).disabled  # the wrong barcode typed back: no erase
        await pilot.press(*["backspace"] * 8, *"taf001l9")
        assert not app.screen.query_one("#ok", Button).disabled
        await pilot.press("enter")
        await shows(pilot, "已擦除 TAF001L9（快速擦除）")

        await pilot.press("u")
        await shows(pilot, "已卸下 TAF001L9")
        await shows(pilot, "驱动器中没有磁带")

    drive(app, scenario)
    cartridge = library.ledger.cartridge("TAF001L9")
    assert cartridge.label_sequence == 1 and cartridge.status == "scratch"
    names = [type(event).__name__ for event in library.ledger.events.get(cartridge.id)]
    assert {"Loaded", "Labelled", "HealthRecorded", "Erased", "Unloaded"} <= set(names)
    erased = next(event for event in library.ledger.events.get(cartridge.id) if type(event).__name__ == "Erased")
    assert erased.by == ACTOR


def test_an_erase_cancelled_or_typed_wrong_changes_nothing(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        await pilot.press("l", *"TAF002L9", "enter")
        await shows(pilot, "已装入 TAF002L9")
        await pilot.press("e")
        await pilot.press(*"TAF002L")
        await pilot.press("enter")  # Enter with the barcode half typed: refused in the dialog itself
        assert app.screen.query_one("#typed", Input)
        await pilot.press("escape")
        await until(pilot, lambda: not app.screen.query("#typed"), "对话框关闭")
        assert "已擦除" not in screen_text(app)

    drive(app, scenario)
    names = [type(e).__name__ for e in library.ledger.events.get(library.ledger.cartridge("TAF002L9").id)]
    assert "Erased" not in names


def test_the_device_picker_lists_what_discovery_found_and_selects_a_drive(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        await pilot.press("d")
        screen = await shows(pilot, "选择磁带设备")
        assert "emulated:0  驱动器  IBM ULT3580-HH9" in screen and "机械手" in screen
        await pilot.press("enter")
        await shows(pilot, "已选择设备 emulated:0")

    drive(app, scenario)
    assert app.session.device == "emulated:0"


def test_a_drive_that_cannot_be_opened_says_so_and_the_other_screens_keep_working(library: Any) -> None:
    app = console(lambda: connection(library), device="/dev/sg250")

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "无法读取驱动器：")
        await pilot.press("l", *"TAF001L9", "enter")
        await shows(pilot, "装带失败")
        await pilot.press("f2")
        await shows(pilot, "何时空闲")

    drive(app, scenario)


def test_a_new_lto9_cartridges_first_load_shows_the_optimisation_as_a_state_with_its_estimate(
        taf_env: Any, monkeypatch: Any) -> None:
    from bootstrap import build

    monkeypatch.setenv("VTL_SLOTS", "2")
    monkeypatch.setenv("VTL_FIRST_LOAD_SECONDS", "4")
    services = build()
    try:
        app = console(lambda: connection(services))

        async def scenario(pilot: Any) -> None:
            await shows(pilot, "驱动器中没有磁带")
            await pilot.press("l", *"TAF001L9", "enter")
            screen = await shows(pilot, "正在装带：正在进行介质优化，预计还需")
            assert "失败" not in screen
            await pilot.press("u")  # the drive is busy with the load: refused, nothing sent
            await until(pilot, lambda: any("驱动器正在装带，请稍候" in n.message for n in app._notifications),
                        "拒绝同时操作")
            await shows(pilot, "已装入 TAF001L9", timeout=60)

        drive(app, scenario)
    finally:
        services.close()
