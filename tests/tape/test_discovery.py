"""Device discovery on a fake sysfs tree and by probing, and the device names of the configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tape.discovery import (
    DeviceInfo,
    DeviceSpec,
    InvalidDeviceSpec,
    device_from_drive_letter,
    discover,
    discover_linux,
    discover_windows,
    identify,
    is_supported_drive,
    lto_generation,
    parse_device_spec,
)
from tape.scsi.sense import build_fixed_sense
from tape.transport import (
    CHECK_CONDITION,
    GOOD,
    DeviceNotFound,
    Direction,
    PermissionDenied,
    ScsiResult,
    Transport,
)


def scsi_device(root: Path, hctl: str, type_code: int, vendor: str, model: str, rev: str) -> Path:
    device = root / "devices" / "pci0000:00" / f"host{hctl[0]}" / f"target{hctl[:5]}" / hctl
    device.mkdir(parents=True)
    (device / "type").write_text(f"{type_code}\n")
    (device / "vendor").write_text(vendor.ljust(8) + "\n")
    (device / "model").write_text(model.ljust(16) + "\n")
    (device / "rev").write_text(rev + "\n")
    return device


def class_entry(root: Path, device: Path, cls: str, name: str) -> None:
    """/sys/class/<cls>/<name> → <device>/<cls>/<name>, whose `device` link points back up."""
    node = device / cls / name
    node.mkdir(parents=True)
    os.symlink("../..", node / "device")
    (root / "class" / cls).mkdir(parents=True, exist_ok=True)
    os.symlink(node, root / "class" / cls / name)


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    root = tmp_path / "sys"
    disk = scsi_device(root, "0:0:0:0", 0, "ATA", "WDC WD100EFAX-68", "0A83")
    class_entry(root, disk, "scsi_generic", "sg0")
    drive = scsi_device(root, "1:0:0:0", 1, "IBM", "ULT3580-HH9", "Q9E9")
    class_entry(root, drive, "scsi_generic", "sg1")
    for name in ("st0", "st0l", "st0m", "st0a", "nst0", "nst0l", "nst0m", "nst0a"):
        class_entry(root, drive, "scsi_tape", name)
    changer = scsi_device(root, "1:0:0:1", 8, "IBM", "3573-TL", "F.11")
    class_entry(root, changer, "scsi_generic", "sg2")
    class_entry(root, changer, "scsi_changer", "sch0")
    orphan = scsi_device(root, "2:0:0:0", 1, "IBM", "ULTRIUM-HH9", "PA63")
    class_entry(root, orphan, "scsi_tape", "st1")
    class_entry(root, orphan, "scsi_tape", "nst1")
    other_tape = scsi_device(root, "3:0:0:0", 1, "HP", "Ultrium 5-SCSI", "Z51U")
    class_entry(root, other_tape, "scsi_generic", "sg10")
    class_entry(root, other_tape, "scsi_tape", "st2")
    return root


def test_linux_discovery_finds_drives_and_changers_with_their_nodes(sysfs: Path) -> None:
    drive, changer, hp, orphan = discover_linux(str(sysfs), "/dev")
    assert drive == DeviceInfo(
        path="/dev/sg1",
        kind="drive",
        vendor="IBM",
        product="ULT3580-HH9",
        revision="Q9E9",
        sg_path="/dev/sg1",
        st_path="/dev/nst0",
        hctl="1:0:0:0",
    )
    assert drive.supported and drive.generation == 9
    assert (changer.kind, changer.path, changer.changer_path, changer.product) == (
        "changer",
        "/dev/sg2",
        "/dev/sch0",
        "3573-TL",
    )
    assert changer.st_path is None and changer.supported
    assert (
        hp.path == "/dev/sg10" and hp.st_path == "/dev/nst2" and not hp.supported
    )  # sorted by number, not text
    assert orphan.sg_path is None and orphan.path == "/dev/nst1"
    assert orphan.problem is not None and "modprobe sg" in orphan.problem


def test_empty_or_missing_sysfs_finds_nothing(tmp_path: Path) -> None:
    assert discover_linux(str(tmp_path / "nothing")) == []


INQUIRY_HH9 = bytes.fromhex("01 80 06 12 41 01 10 02") + b"IBM     ULT3580-HH9     Q9E9" + bytes(60)


class FakeDevice:
    """A device that answers INQUIRY and VPD 80h."""

    def __init__(self, name: str, inquiry: bytes, serial: str | None) -> None:
        self.name = name
        self.inquiry = inquiry
        self.serial = serial
        self.closed = False

    def execute(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        timeout: float = 60.0,
    ) -> ScsiResult:
        assert timeout == 10.0
        if cdb[1] & 0x01:  # EVPD
            if self.serial is None:
                return ScsiResult(CHECK_CONDITION, sense=build_fixed_sense(5, 0x24, 0))
            payload = self.serial.encode()
            return ScsiResult(GOOD, data=bytes((self.inquiry[0], 0x80, 0, len(payload))) + payload)
        return ScsiResult(GOOD, data=self.inquiry[:length])

    def close(self) -> None:
        self.closed = True


def test_identify_reads_inquiry_and_serial() -> None:
    device = FakeDevice("/dev/sg1", INQUIRY_HH9, "10WT036260")
    assert isinstance(device, Transport)
    standard, serial = identify(device)
    assert standard.product == "ULT3580-HH9" and serial == "10WT036260"


def test_identify_without_serial_page() -> None:
    _, serial = identify(FakeDevice("/dev/sg1", INQUIRY_HH9, None))
    assert serial is None


def test_linux_discovery_reads_serials_through_the_opener(sysfs: Path) -> None:
    opened: list[FakeDevice] = []

    def opener(path: str) -> FakeDevice:
        if path == "/dev/sg2":
            raise PermissionDenied("没有权限访问磁带设备 /dev/sg2", "加入 tape 组")
        opened.append(FakeDevice(path, INQUIRY_HH9, f"SER{path[-2:]}"))
        return opened[-1]

    drive, changer, hp, orphan = discover_linux(str(sysfs), "/dev", open_transport=opener)
    assert drive.serial == "SERg1" and hp.serial == "SER10" and drive.problem is None
    assert changer.serial is None and changer.problem is not None and "没有权限" in changer.problem
    assert orphan.serial is None  # no sg node: nothing to open
    assert [d.name for d in opened] == ["/dev/sg1", "/dev/sg10"] and all(d.closed for d in opened)


def test_windows_probing_skips_absent_devices_and_reports_unusable_ones() -> None:
    changer_inquiry = bytes((0x08,)) + INQUIRY_HH9[1:8] + b"IBM     3573-TL         F.11" + bytes(60)
    present = {
        "\\\\.\\Tape0": FakeDevice("\\\\.\\Tape0", INQUIRY_HH9, "1013002519"),
        "\\\\.\\Tape2": FakeDevice("\\\\.\\Tape2", INQUIRY_HH9, "10WT015978"),
        "\\\\.\\Changer0": FakeDevice("\\\\.\\Changer0", changer_inquiry, "78A0123456"),
    }

    def opener(path: str) -> FakeDevice:
        if path == "\\\\.\\Tape1":
            raise PermissionDenied("没有权限访问磁带设备 \\\\.\\Tape1", "以管理员身份运行")
        if path not in present:
            raise DeviceNotFound("找不到", "")
        return present[path]

    tape0, tape1, tape2, changer = discover_windows(opener, count=4)
    assert (tape0.path, tape0.kind, tape0.product, tape0.serial) == (
        "\\\\.\\Tape0",
        "drive",
        "ULT3580-HH9",
        "1013002519",
    )
    assert tape1.problem is not None and "没有权限" in tape1.problem and tape1.serial is None
    assert tape2.serial == "10WT015978"
    assert (changer.kind, changer.product) == ("changer", "3573-TL")
    assert all(device.closed for device in present.values())


def test_discover_dispatches_on_platform(sysfs: Path) -> None:
    assert [d.path for d in discover(sysfs_root=str(sysfs), platform="linux")][:2] == ["/dev/sg1", "/dev/sg2"]
    assert discover(platform="win32") == []


@pytest.mark.parametrize(
    ("product", "generation"),
    [
        ("ULT3580-HH9", 9),
        ("ULTRIUM-HH9", 9),
        ("ULT3580-TD9", 9),
        ("ULTRIUM-TD8", 8),
        ("HH LTO Gen 9", 9),
        ("ULT3580-HH9     ", 9),
    ],
)
def test_ibm_product_ids(product: str, generation: int) -> None:
    assert is_supported_drive(product) and lto_generation(product) == generation


@pytest.mark.parametrize("product", ["Ultrium 5-SCSI", "ULT3580-XX9", "3573-TL", "ULTRIUM-HH", ""])
def test_other_product_ids(product: str) -> None:
    assert not is_supported_drive(product) and lto_generation(product) is None


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("emulated:0", DeviceSpec("emulated", "emulated:0", 0, None)),
        ("emulated:3", DeviceSpec("emulated", "emulated:3", 3, None)),
        ("emulated", DeviceSpec("emulated", "emulated:0", 0, None)),
        ("emulated:lib-a:1", DeviceSpec("emulated", "emulated:lib-a:1", 1, "lib-a")),
        ("emulated:main", DeviceSpec("emulated", "emulated:main:0", 0, "main")),
        (" /dev/sg3 ", DeviceSpec("linux_sg", "/dev/sg3", 3)),
        ("\\\\.\\Tape0", DeviceSpec("windows_tape", "\\\\.\\Tape0", 0)),
        ("\\\\.\\TAPE12", DeviceSpec("windows_tape", "\\\\.\\Tape12", 12)),
        ("//./tape1", DeviceSpec("windows_tape", "\\\\.\\Tape1", 1)),
        ("\\\\.\\Changer0", DeviceSpec("windows_changer", "\\\\.\\Changer0", 0)),
    ],
)
def test_device_specs(text: str, spec: DeviceSpec) -> None:
    assert parse_device_spec(text) == spec


@pytest.mark.parametrize("text", ["/dev/nst0", "/dev/st0", "/dev/st0l", "/dev/sch0", "/dev/IBMtape0n"])
def test_st_and_changer_driver_nodes_are_refused_with_the_sg_advice(text: str) -> None:
    with pytest.raises(InvalidDeviceSpec) as caught:
        parse_device_spec(text)
    assert text in caught.value.message and "/dev/sgN" in caught.value.advice


@pytest.mark.parametrize("text", ["O:", "tape0", "/dev/sgx", "COM1", "emulated:0:1:2"])
def test_unknown_specs_list_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidDeviceSpec) as caught:
        parse_device_spec(text)
    assert "无法识别" in caught.value.message and "emulated:0" in caught.value.advice


def test_empty_spec() -> None:
    with pytest.raises(InvalidDeviceSpec, match="没有配置磁带设备"):
        parse_device_spec("  ")


@pytest.mark.parametrize(
    ("value", "device"), [("0", "\\\\.\\Tape0"), (" 2 ", "\\\\.\\Tape2"), ("07", "\\\\.\\Tape7")]
)
def test_drive_letter_numbers_map_to_tape_devices(value: str, device: str) -> None:
    assert device_from_drive_letter(value) == device


@pytest.mark.parametrize("value", ["o", "O:", "E:\\", "-1", "Tape0"])
def test_drive_letters_are_reported_invalid_in_chinese(value: str) -> None:
    with pytest.raises(InvalidDeviceSpec) as caught:
        device_from_drive_letter(value)
    assert "没有盘符" in caught.value.message and value.strip() in caught.value.message
    assert "\\\\.\\Tape0" in caught.value.advice and "LTFS" in caught.value.advice


def test_empty_drive_letter() -> None:
    with pytest.raises(InvalidDeviceSpec, match="TAPE_DRIVE_LETTER 为空"):
        device_from_drive_letter("")
