"""驱动器: every act on the drive, driven with the keys the footer shows, against an emulated library."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, Input

from tests.tui.kit import (
    ACTOR,
    connection,
    console,
    drive,
    noticed,
    reported,
    screen_text,
    services_with,
    shows,
    until,
)


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
        await shows(pilot, "卷序列号 TAF001，磁带池 默认")

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
    with services_with(monkeypatch, VTL_SLOTS="2", VTL_FIRST_LOAD_SECONDS="4") as services:
        app = console(lambda: connection(services))

        async def scenario(pilot: Any) -> None:
            await shows(pilot, "驱动器中没有磁带")
            await pilot.press("l", *"TAF001L9", "enter")
            screen = await shows(pilot, "状态  正在装带：正在进行介质优化，预计还需")
            assert "失败" not in screen
            await pilot.press("u")  # the drive is busy with the load: refused, nothing sent
            await until(pilot, lambda: any("驱动器正在装带，请稍候" in n.message for n in app._notifications),
                        "拒绝同时操作")
            await shows(pilot, "已装入 TAF001L9", timeout=60)

        drive(app, scenario)


def test_relabelling_a_labelled_tape_needs_force_and_the_barcode_typed_back(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        await pilot.press("l", *"TAF001L9", "enter")
        await shows(pilot, "已装入 TAF001L9")
        await pilot.press("b")
        await pilot.click("#ok")
        await reported(pilot, "已为 TAF001L9 写入标签")

        await pilot.press("b")  # again, without force: the drive screen says why not
        await pilot.click("#ok")
        await reported(pilot, "贴标签失败")
        await pilot.press("b")
        assert not app.screen.query_one("#confirm", Input).display  # asked only once force is ticked
        await pilot.click("#force")
        await until(pilot, lambda: app.screen.query_one("#confirm", Input).display, "显示确认输入框")
        app.screen.query_one("#confirm", Input).focus()
        await pilot.press(*"TAF002L9", "enter")
        await noticed(pilot, "输入的条码与 TAF001L9 不符")
        assert app.screen.query("#confirm")  # the dialog stays open: nothing was sent
        await pilot.press(*["backspace"] * 8, *"taf001l9", "enter")
        await until(pilot, lambda: len([line for _, line in app.session.acts if "已为 TAF001L9 写入标签" in line]) == 2,
                    "强制重贴标签")

    drive(app, scenario)
    cartridge = library.ledger.cartridge("TAF001L9")
    assert cartridge.label_sequence == 2
    labelled = [e for e in library.ledger.events.get(cartridge.id) if type(e).__name__ == "Labelled"]
    assert len(labelled) == 2


def test_tapealert_flags_are_shown_with_their_advice(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        await pilot.press("l", *"TAF001L9", "enter")
        await shows(pilot, "已装入 TAF001L9")
        # The drive fails a write it had buffered: it reports it on the next command and raises
        # TapeAlert 06, which the health read finds.
        connection(library).app.tapes.vtl_set_fault("deferred_error", drive=0)
        await pilot.press("w")
        await reported(pilot, "倒带失败")
        await pilot.press("h")
        await reported(pilot, "1 条 TapeAlert 告警")
        screen = await shows(pilot, "TapeAlert 06 写入失败：换一盘磁带重写；换带后仍失败请检查驱动器")
        assert "无需清洁" in screen

    drive(app, scenario)


def test_a_new_lto9_cartridge_put_into_a_standalone_drive_shows_its_optimisation_until_it_is_ready(
        taf_env: Any, monkeypatch: Any) -> None:
    with services_with(monkeypatch, VTL_SLOTS="0", VTL_FIRST_LOAD_SECONDS="8") as services:
        app = console(lambda: connection(services), drive_seconds=0.3)

        async def scenario(pilot: Any) -> None:
            await shows(pilot, "驱动器中没有磁带")
            connection(services).app.tapes.vtl_insert("TAF009L9", actor=ACTOR)  # the operator's hand
            screen = await shows(pilot, "正在进行介质优化，预计还需")  # read by the screen's own polling
            assert "期间不要取出磁带" in screen and "分钟" in screen
            await shows(pilot, "已就绪", timeout=60)

        drive(app, scenario)
