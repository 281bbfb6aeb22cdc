r"""Opening a device by the name users write in configuration (TAPE_DEVICE, `--device`).

    transport = open_device("/dev/sg3", vtl_root)            # SgTransport on Linux
    transport = open_device(r"\\.\Tape0", vtl_root)         # SptiTransport on Windows
    transport = open_device("emulated:0", vtl_root)          # drive 0 of the emulated library
    changer = open_changer("emulated:0", vtl_root)           # that library's robot, if it has one

Every transport comes back wrapped in `LoggingTransport`, so each command is in the tape command
log and failures reach `on_failure` (the application records them in its ledger).

Emulated libraries: `emulated:N` is drive N of the library in `vtl_root`; `emulated:NAME:N` is
drive N of the library in the subdirectory `vtl_root/NAME`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from tape.discovery import DeviceSpec, InvalidDeviceSpec, parse_device_spec
from tape.tapelog import CommandRecord, LoggingTransport
from tape.transport import DeviceNotFound, Transport

FailureHook = Callable[[CommandRecord], None]


def library_root(spec: DeviceSpec, vtl_root: Path | str) -> Path:
    """The directory of the emulated library a spec names."""
    root = Path(vtl_root)
    return root / spec.library if spec.library else root


def _raw_transport(spec: DeviceSpec, vtl_root: Path | str | None, *, changer: bool) -> Transport:
    if spec.kind == "emulated":
        from tape.transports.emulated import EmulatedTransport

        if vtl_root is None:
            raise InvalidDeviceSpec("spec_invalid", spec.path)
        root = library_root(spec, vtl_root)
        if changer:
            return EmulatedTransport(root, changer=True)
        return EmulatedTransport(root, spec.index or 0, exclusive=True)  # as a real drive is opened: O_EXCL
    if spec.kind == "linux_sg":
        from tape.transports.linux_sg import SgTransport

        return SgTransport(spec.path)
    from tape.transports.windows_spti import SptiTransport

    return SptiTransport(spec.path)


def open_device(
    spec: str | DeviceSpec,
    vtl_root: Path | str | None = None,
    *,
    on_failure: FailureHook | None = None,
    logger: logging.Logger | None = None,
) -> LoggingTransport:
    """The transport to a tape drive, wrapped in the command log."""
    parsed = parse_device_spec(spec) if isinstance(spec, str) else spec
    if parsed.kind == "windows_changer":
        raise InvalidDeviceSpec("spec_invalid", parsed.path)
    return LoggingTransport(_raw_transport(parsed, vtl_root, changer=False), logger, on_failure=on_failure)


def open_changer(
    spec: str | DeviceSpec,
    vtl_root: Path | str | None = None,
    *,
    on_failure: FailureHook | None = None,
    logger: logging.Logger | None = None,
) -> LoggingTransport | None:
    r"""The transport to a medium changer.

    For an emulated drive: the robot of the same library, or None for a standalone drive. For a
    real device `spec` must name the changer itself (\\.\ChangerN, or the /dev/sgN whose
    peripheral type is 08h).
    """
    parsed = parse_device_spec(spec) if isinstance(spec, str) else spec
    if parsed.kind == "emulated":
        from tape.emulator.library_state import LIBRARY_FILE

        try:
            raw = _raw_transport(parsed, vtl_root, changer=True)
        except DeviceNotFound:
            if vtl_root is not None and (library_root(parsed, vtl_root) / LIBRARY_FILE).exists():
                return None  # a standalone drive: the library has no robot
            raise
        return LoggingTransport(raw, logger, on_failure=on_failure)
    if parsed.kind == "windows_tape":
        raise InvalidDeviceSpec("spec_invalid", parsed.path)
    return LoggingTransport(_raw_transport(parsed, vtl_root, changer=True), logger, on_failure=on_failure)
