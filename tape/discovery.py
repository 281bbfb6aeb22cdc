r"""Finding tape drives and changers, and reading the device names users write in configuration.

Linux: sysfs, with the root injectable so tests build a fake tree. Every /sys/class/scsi_generic
entry whose SCSI device has `type` 1 (tape) or 8 (changer) is one device; its st (nst) or sch
node is found through the same SCSI device directory, and tape drives that have an st node but no
sg node (sg module not loaded) are reported with the fix. Windows: \\.\TapeN and \\.\ChangerN are
probed in order and identified by INQUIRY (tape devices have no drive letters). Drives are keyed by
their VPD 80h serial, read through a transport opener when one is given — never by index, which
is not stable across reboots.

Public API:
- `DeviceInfo` — path, kind ('drive' | 'changer'), vendor, product, revision, serial, sg_path,
  st_path, changer_path, hctl, problem (Chinese, when something is wrong); `.supported`, `.generation`.
- `discover_linux(sysfs_root, dev_root, open_transport)`, `discover_windows(open_transport, count)`,
  `discover(open_transport, ...)` for the running platform.
- `identify(transport) -> (StandardInquiry, serial)`.
- `is_supported_drive(product)`, `lto_generation(product)` — tape-scsi.md §8 point 2.
- `parse_device_spec(value) -> DeviceSpec` for TAPE_DEVICE; `device_from_drive_letter(value)` for
  the legacy TAPE_DRIVE_LETTER; both raise `InvalidDeviceSpec` with a Chinese message.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from kernel.errors import EXIT_USAGE, TafError
from tape.scsi import cdb
from tape.scsi.errors import TapeError
from tape.scsi.inquiry import CHANGER, TAPE, InquiryError, StandardInquiry, parse_inquiry, parse_unit_serial
from tape.scsi.outcomes import check
from tape.transport import DeviceNotFound, Direction, Transport, TransportError
from tape.transports.messages import render

DeviceKind = Literal["drive", "changer"]
TransportOpener = Callable[[str], Transport]

_PRODUCT = re.compile(r"^(?:(?:ULT3580|ULTRIUM)-(?:HH|TD)(?P<gen>\d{1,2})|HH LTO Gen (?P<oem>\d{1,2}))$")
_KINDS: dict[int, DeviceKind] = {TAPE: "drive", CHANGER: "changer"}
_IDENTIFY_TIMEOUT = 10.0  # seconds; LTFS uses the same for its device scan


def lto_generation(product: str) -> int | None:
    """The LTO generation in an IBM product id (ULT3580-HH9, ULTRIUM-TD9, HH LTO Gen 9), else None."""
    match = _PRODUCT.match(product.strip())
    if match is None:
        return None
    return int(match.group("gen") or match.group("oem"))


def is_supported_drive(product: str) -> bool:
    """True for the IBM LTO product ids this system drives (both the ULT3580 and ULTRIUM prefixes)."""
    return lto_generation(product) is not None


@dataclass(frozen=True)
class DeviceInfo:
    path: str  # the path to open for SCSI commands
    kind: DeviceKind
    vendor: str = ""
    product: str = ""
    revision: str = ""
    serial: str | None = None
    sg_path: str | None = None
    st_path: str | None = None  # the non-rewinding /dev/nstN, for reference only
    changer_path: str | None = None  # /dev/schN
    hctl: str | None = None  # host:channel:target:lun
    problem: str | None = None

    @property
    def supported(self) -> bool:
        return self.kind == "changer" or is_supported_drive(self.product)

    @property
    def generation(self) -> int | None:
        return lto_generation(self.product) if self.kind == "drive" else None


def identify(transport: Transport) -> tuple[StandardInquiry, str | None]:
    """Standard INQUIRY and the VPD 80h serial (None if the device has no serial page)."""
    reply = transport.execute(cdb.inquiry(96), Direction.FROM_DEVICE, length=96, timeout=_IDENTIFY_TIMEOUT)
    check(reply, "INQUIRY")
    standard = parse_inquiry(reply.data)
    reply = transport.execute(
        cdb.inquiry_vpd(0x80), Direction.FROM_DEVICE, length=255, timeout=_IDENTIFY_TIMEOUT
    )
    try:
        check(reply, "INQUIRY")
        serial = parse_unit_serial(reply.data) or None
    except (TapeError, InquiryError):
        serial = None
    return standard, serial


def _read_serial(info: DeviceInfo, open_transport: TransportOpener) -> DeviceInfo:
    try:
        transport = open_transport(info.path)
    except TransportError as exc:
        return replace(info, problem=str(exc))
    try:
        _, serial = identify(transport)
    except (TransportError, TapeError, InquiryError) as exc:
        return replace(info, problem=str(exc))
    finally:
        transport.close()
    return replace(info, serial=serial)


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _children(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _number(name: str) -> int:
    digits = re.search(r"\d+", name)
    return int(digits.group()) if digits else 0


def _st_node(scsi_device: str, dev_root: str) -> str | None:
    """The non-rewinding node of the st device under `scsi_device` (nstN; derived from stN if needed)."""
    names = _children(os.path.join(scsi_device, "scsi_tape"))
    for name in names:
        if re.fullmatch(r"nst\d+", name):
            return os.path.join(dev_root, name)
    for name in names:
        if re.fullmatch(r"st\d+", name):
            return os.path.join(dev_root, "n" + name)
    return None


def _changer_node(scsi_device: str, dev_root: str) -> str | None:
    names = [n for n in _children(os.path.join(scsi_device, "scsi_changer")) if re.fullmatch(r"sch\d+", n)]
    return os.path.join(dev_root, names[0]) if names else None


def _describe(scsi_device: str, kind: DeviceKind, path: str, dev_root: str) -> DeviceInfo:
    return DeviceInfo(
        path=path,
        kind=kind,
        vendor=_read(os.path.join(scsi_device, "vendor")),
        product=_read(os.path.join(scsi_device, "model")),
        revision=_read(os.path.join(scsi_device, "rev")),
        st_path=_st_node(scsi_device, dev_root) if kind == "drive" else None,
        changer_path=_changer_node(scsi_device, dev_root) if kind == "changer" else None,
        hctl=os.path.basename(scsi_device),
    )


def _kind(scsi_device: str) -> DeviceKind | None:
    type_text = _read(os.path.join(scsi_device, "type"))
    return _KINDS.get(int(type_text)) if type_text.isdigit() else None


def discover_linux(
    sysfs_root: str = "/sys", dev_root: str = "/dev", open_transport: TransportOpener | None = None
) -> list[DeviceInfo]:
    """Tape drives and changers from sysfs, sg devices first, in sg number order."""
    found: list[DeviceInfo] = []
    seen: set[str] = set()
    generic = os.path.join(sysfs_root, "class", "scsi_generic")
    for name in sorted(_children(generic), key=_number):
        scsi_device = os.path.realpath(os.path.join(generic, name, "device"))
        kind = _kind(scsi_device)
        if kind is None:
            continue
        seen.add(scsi_device)
        sg_path = os.path.join(dev_root, name)
        found.append(replace(_describe(scsi_device, kind, sg_path, dev_root), sg_path=sg_path))
    tapes = os.path.join(sysfs_root, "class", "scsi_tape")
    for name in sorted(_children(tapes), key=_number):
        if not re.fullmatch(r"nst\d+", name):
            continue
        scsi_device = os.path.realpath(os.path.join(tapes, name, "device"))
        if scsi_device in seen or _kind(scsi_device) != "drive":
            continue
        seen.add(scsi_device)
        st_path = os.path.join(dev_root, name)
        problem, advice = render("no_sg_node", value=st_path)
        found.append(
            replace(_describe(scsi_device, "drive", st_path, dev_root), problem=f"{problem}（{advice}）")
        )
    if open_transport is not None:
        found = [_read_serial(info, open_transport) if info.sg_path else info for info in found]
    return found


def discover_windows(open_transport: TransportOpener, count: int = 32) -> list[DeviceInfo]:
    r"""Probe \\.\Tape0..N−1 and \\.\Changer0..N−1; devices that cannot be opened for another
    reason than "not found" are listed with the problem."""
    found: list[DeviceInfo] = []
    probes: tuple[tuple[str, DeviceKind], ...] = (("Tape", "drive"), ("Changer", "changer"))
    for prefix, kind in probes:
        for index in range(count):
            path = f"\\\\.\\{prefix}{index}"
            try:
                transport = open_transport(path)
            except DeviceNotFound:
                continue
            except TransportError as exc:
                found.append(DeviceInfo(path=path, kind=kind, problem=str(exc)))
                continue
            try:
                standard, serial = identify(transport)
            except (TransportError, TapeError, InquiryError) as exc:
                found.append(DeviceInfo(path=path, kind=kind, problem=str(exc)))
                continue
            finally:
                transport.close()
            found.append(
                DeviceInfo(
                    path=path,
                    kind=_KINDS.get(standard.device_type, kind),
                    vendor=standard.vendor,
                    product=standard.product,
                    revision=standard.revision,
                    serial=serial,
                )
            )
    return found


def discover(
    open_transport: TransportOpener | None = None, *, sysfs_root: str = "/sys", platform: str = sys.platform
) -> list[DeviceInfo]:
    """Devices on the running platform (Windows needs `open_transport` to probe at all)."""
    if platform == "win32":
        return discover_windows(open_transport) if open_transport is not None else []
    return discover_linux(sysfs_root, open_transport=open_transport)


class InvalidDeviceSpec(TafError):
    """A device name from configuration that this system cannot use (exit code 2, HTTP 400)."""

    exit_code = EXIT_USAGE
    default_message = "无法使用这个磁带设备名"

    def __init__(self, key: str, value: str = "") -> None:
        super().__init__(*render(key, value=value))

    def __str__(self) -> str:
        return self.text


SpecKind = Literal["emulated", "linux_sg", "windows_tape", "windows_changer"]


@dataclass(frozen=True)
class DeviceSpec:
    kind: SpecKind
    path: str  # normalised: "emulated:LIB:0", "/dev/sg3", "\\.\Tape0"
    index: int | None = None
    library: str | None = None


_EMULATED = re.compile(r"^emulated(?::(?P<library>[A-Za-z0-9_.-]+))?(?::(?P<index>\d+))?$", re.IGNORECASE)
_WINDOWS = re.compile(r"^(?:\\\\|//)[.?][\\/](?P<kind>tape|changer)(?P<index>\d+)$", re.IGNORECASE)
_SG = re.compile(r"^/dev/sg(?P<index>\d+)$")
_ST_OR_CH = re.compile(r"^/dev/(?:n?st\d+[lma]?|sch\d+|IBMtape\d+n?|IBMchanger\d+)$")


def parse_device_spec(value: str) -> DeviceSpec:
    r"""Read TAPE_DEVICE: `emulated:0`, `emulated:LIB:0`, `/dev/sgN`, `\\.\TapeN` or `\\.\ChangerN`."""
    text = value.strip()
    if not text:
        raise InvalidDeviceSpec("spec_empty")
    if match := _EMULATED.match(text):
        library, index_text = match.group("library"), match.group("index")
        if library is not None and library.isdigit() and index_text is None:
            library, index_text = None, library  # "emulated:3" names drive 3 of the default library
        index = int(index_text or 0)
        path = f"emulated:{library}:{index}" if library else f"emulated:{index}"
        return DeviceSpec("emulated", path, index, library)
    if match := _SG.match(text):
        return DeviceSpec("linux_sg", text, int(match.group("index")))
    if _ST_OR_CH.match(text):
        raise InvalidDeviceSpec("spec_st_node", text)
    if match := _WINDOWS.match(text):
        index = int(match.group("index"))
        if match.group("kind").lower() == "tape":
            return DeviceSpec("windows_tape", f"\\\\.\\Tape{index}", index)
        return DeviceSpec("windows_changer", f"\\\\.\\Changer{index}", index)
    raise InvalidDeviceSpec("spec_invalid", text)


def device_from_drive_letter(value: str) -> str:
    r"""Map the legacy TAPE_DRIVE_LETTER to a device: a number N means \\.\TapeN; a letter is invalid.

    Tape drives have no drive letter on Windows; only LTFS mounts give one, and this system does
    not go through LTFS.
    """
    text = value.strip()
    if text.isdigit():
        return f"\\\\.\\Tape{int(text)}"
    raise InvalidDeviceSpec("drive_letter_invalid" if text else "drive_letter_empty", text)
