"""open_device / open_changer: a device name from configuration to a logged transport."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tape.devices import library_root, open_changer, open_device
from tape.discovery import InvalidDeviceSpec, parse_device_spec
from tape.emulator import Library
from tape.tapelog import CommandRecord, LoggingTransport
from tape.transport import DeviceNotFound, TransportError


def test_an_emulated_drive_and_its_robot_come_wrapped_in_the_command_log(tmp_path: Path) -> None:
    Library.create(tmp_path / "vtl", drives=2, slots=2).close()
    failures: list[CommandRecord] = []
    drive = open_device("emulated:1", tmp_path / "vtl", on_failure=failures.append)
    assert isinstance(drive, LoggingTransport) and drive.name.endswith(":1")
    drive.execute(bytes([0xFF, 0, 0, 0, 0, 0]))  # an opcode no drive has
    assert [f.command for f in failures] == ["OPCODE 0xFF"]
    changer = open_changer("emulated:0", tmp_path / "vtl")
    assert changer is not None and changer.name.endswith(":changer")
    drive.close()
    changer.close()


def test_named_libraries_live_under_the_vtl_root(tmp_path: Path) -> None:
    Library.create(tmp_path / "vtl" / "lab", drives=1, slots=0).close()
    assert library_root(parse_device_spec("emulated:lab:0"), tmp_path / "vtl") == tmp_path / "vtl" / "lab"
    assert open_changer("emulated:lab:0", tmp_path / "vtl") is None  # a standalone drive has no robot
    open_device("emulated:lab:0", tmp_path / "vtl").close()
    with pytest.raises(DeviceNotFound):
        open_device("emulated:other:0", tmp_path / "vtl")


def test_device_names_that_cannot_be_opened_say_why(tmp_path: Path) -> None:
    with pytest.raises(InvalidDeviceSpec):
        open_device("/dev/nst0")
    with pytest.raises(InvalidDeviceSpec):
        open_device(r"\\.\Changer0")
    with pytest.raises(InvalidDeviceSpec):
        open_changer(r"\\.\Tape0")
    with pytest.raises(InvalidDeviceSpec):
        open_device("emulated:0")  # an emulated device needs the library root
    if sys.platform != "win32":
        with pytest.raises(TransportError) as caught:
            open_device(r"\\.\Tape0")
        assert "Windows" in caught.value.message
        with pytest.raises(DeviceNotFound) as missing:
            open_device("/dev/sg987")
        assert "/dev/sg987" in missing.value.message
