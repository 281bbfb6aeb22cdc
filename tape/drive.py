"""The Drive API: one IBM LTO drive behind any `Transport`, as a backup program wants to use it.

    drive = Drive(open_device("emulated:0", vtl_root))
    medium = drive.mount(on_state=show)            # tape-scsi.md §8 point 5
    drive.locate_end_of_data()
    result = drive.write_block(block)              # result.early_warning: success, nearly full
    drive.write_filemarks(1)                       # also flushes the drive buffer
    read = drive.read_block(1 << 20)               # DATA / FILEMARK / END_OF_DATA, long blocks re-read

Every command goes through `CommandRunner` (timeouts, backoff on 2/04/01 and busy, unit
attentions). A unit attention that says the medium changed or the drive was reset makes the
Drive re-identify the cartridge (MAM serial): a command that depends on the tape position then
raises `CartridgeChanged` (another cartridge) or `PositionLost` (same cartridge, back at BOP);
other commands are simply sent again.

Neighbours: `drive_ready` (waiting, media optimisation), `drive_erase` (erase with progress),
`drive_health` (health snapshot), `drive_mam` (cartridge memory), `drive_medium` (what is loaded),
`drive_types` (the values).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from tape import drive_erase, drive_health, drive_mam, drive_medium, drive_ready
from tape.drive_errors import BlockTooLarge, CartridgeChanged, NotMounted, PositionLost
from tape.drive_exec import CommandRunner, Outcome
from tape.drive_types import (
    DriveIdentity,
    DrivePolicy,
    MediumInfo,
    ReadKind,
    ReadResult,
    ReadyState,
    SpaceResult,
    WriteResult,
)
from tape.scsi import cdb
from tape.scsi import logpages as lp
from tape.scsi import mam as m
from tape.scsi.capabilities import BlockLimits, parse_block_limits
from tape.scsi.errors import (
    BlankCheck,
    DeviceReset,
    IllegalRequest,
    MediumChanged,
    NoMedium,
    TapeError,
    UnitAttention,
)
from tape.scsi.inquiry import InquiryError, parse_inquiry, parse_unit_serial
from tape.scsi.modepages import (
    DATA_COMPRESSION,
    DataCompression,
)
from tape.scsi.opcodes import TimeoutTable
from tape.scsi.position import Position, parse_long
from tape.scsi.tapealert import TapeAlertFlag, active_flags
from tape.transport import Direction, Transport

_SPACE6_LIMIT = (1 << 23) - 1
_MODE_ALLOCATION = 4096
MediumCallback = Callable[[MediumInfo | None, MediumInfo], None]


class Drive:
    """One tape drive. Not thread-safe: one operation at a time, as the drive itself works."""

    def __init__(
        self,
        transport: Transport,
        *,
        policy: DrivePolicy | None = None,
        timeouts: TimeoutTable | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_medium_changed: MediumCallback | None = None,
    ) -> None:
        self.transport = transport
        self.name = transport.name
        self.runner = CommandRunner(transport, policy=policy, timeouts=timeouts, sleep=sleep, clock=clock)
        self.on_medium_changed = on_medium_changed
        self.identity: DriveIdentity | None = None
        self.medium: MediumInfo | None = None
        self.state: ReadyState | None = None
        self.early_warning = False  # the last write reported early warning
        self._limits: BlockLimits | None = None
        self._unreported_alerts: list[TapeAlertFlag] = []  # read (and so cleared) at mount, not yet reported
        self._compression: bool | None = None
        self._reidentifying = False

    @property
    def policy(self) -> DrivePolicy:
        return self.runner.policy

    # -- commands ---------------------------------------------------------------------------------

    def command(
        self,
        command_block: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        *,
        retry: bool = True,
        positional: bool = False,
    ) -> Outcome:
        """Send one command with retries; `positional` commands stop if the cartridge changed."""
        hook = self._positional_attention if positional else self._attention
        return self.runner.run(command_block, direction, data, length, retry=retry, on_attention=hook)

    def _attention(self, error: UnitAttention) -> None:
        self._on_attention(error, positional=False)

    def _positional_attention(self, error: UnitAttention) -> None:
        self._on_attention(error, positional=True)

    def _on_attention(self, error: UnitAttention, positional: bool) -> None:
        if self._reidentifying or not isinstance(error, MediumChanged | DeviceReset) or self.medium is None:
            return  # consumed; the command is sent again
        old = self.medium
        self._reidentifying = True
        try:
            drive_ready.wait_until_ready(self)
            new = self._identify_medium(restore_settings=True)
        except NoMedium:
            self.medium = None  # taken out and nothing put back: whatever was mounted is gone
            raise
        finally:
            self._reidentifying = False
        self.medium = new
        self.early_warning = False
        if old.identity != new.identity:
            if self.on_medium_changed is not None:
                self.on_medium_changed(old, new)
            if positional:
                raise CartridgeChanged(old.barcode or old.identity, new.barcode or new.identity, command=error.command)
        elif positional:
            raise PositionLost(command=error.command)

    # -- identity and mounting ---------------------------------------------------------------------

    def identify(self) -> DriveIdentity:
        """INQUIRY and VPD 80h (the serial that maps the drive to its library element)."""
        if self.identity is None:
            standard = parse_inquiry(self.command(cdb.inquiry(96), Direction.FROM_DEVICE, length=96).data)
            serial: str | None
            try:
                reply = self.command(cdb.inquiry_vpd(0x80), Direction.FROM_DEVICE, length=255)
                serial = parse_unit_serial(reply.data) or None
            except (TapeError, InquiryError):
                serial = None
            self.identity = DriveIdentity(standard.vendor, standard.product, standard.revision, serial)
        return self.identity

    def wait_ready(
        self, on_state: drive_ready.StateCallback | None = None, timeout: float | None = None
    ) -> ReadyState:
        return drive_ready.wait_until_ready(self, on_state=on_state, timeout=timeout)

    def mount(
        self,
        *,
        on_state: drive_ready.StateCallback | None = None,
        compression: bool = True,
        prevent_removal: bool = True,
    ) -> MediumInfo:
        """The mount sequence of tape-scsi.md §8 point 5; returns (and keeps) the medium's identity.

        TUR (handling unit attentions, LOAD on 04/02, waiting out media optimisation), INQUIRY and
        VPD 80h, MODE SENSE(10) 3Fh, READ BLOCK LIMITS, MODE SELECT (variable blocks, compression),
        PREVENT MEDIUM REMOVAL, READ ATTRIBUTE, LOG SENSE 17h and 2Eh, READ POSITION long.
        """
        self.wait_ready(on_state)
        self.identify()
        self._compression = compression
        if prevent_removal:
            self.prevent_removal()
        self.medium = self._identify_medium(restore_settings=True, read_alerts=True)
        return self.medium

    def refresh_medium(self) -> MediumInfo:
        """Identify what is loaded now without moving the tape or waiting for it.

        The TEST UNIT READY consumes a pending unit attention; NOT READY is raised, not waited out.
        """
        self.command(cdb.test_unit_ready(), retry=False)
        self.medium = self._identify_medium(restore_settings=False)
        return self.medium

    def require_medium(self) -> MediumInfo:
        if self.medium is None:
            raise NotMounted()
        return self.medium

    def _identify_medium(self, *, restore_settings: bool, read_alerts: bool = False) -> MediumInfo:
        medium = drive_medium.identify(self, compression=self._compression if restore_settings else None,
                                       restore_settings=restore_settings, read_alerts=read_alerts)
        self._limits = medium.block_limits
        self._unreported_alerts.extend(medium.alerts_at_mount)
        return medium

    # -- configuration ----------------------------------------------------------------------------

    def block_limits(self) -> BlockLimits:
        if self._limits is None:
            reply = self.command(cdb.read_block_limits(), Direction.FROM_DEVICE, length=6)
            self._limits = parse_block_limits(reply.data)
        return self._limits

    def set_compression(self, enabled: bool) -> None:
        """Drive compression on or off (mode page 0Fh, DCE); kept across re-identification."""
        self._compression = enabled
        drive_medium.select_modes(self, drive_medium.mode_sense(self), enabled)

    def compression_enabled(self) -> bool | None:
        page = drive_medium.mode_sense(self).page(DATA_COMPRESSION)
        return DataCompression.from_page(page).compress if page is not None else None

    def log_page(self, code: int) -> lp.LogPage | None:
        """LOG SENSE of one page (cumulative values), or None if the drive does not have it."""
        try:
            reply = self.command(cdb.log_sense(code), Direction.FROM_DEVICE, length=0xFFFF)
        except IllegalRequest:
            return None
        return lp.parse_log_page(reply.data)

    def tape_alerts(self) -> list[TapeAlertFlag]:
        """Active TapeAlert flags (page 2Eh). Reading clears them on the drive: keep what you get."""
        try:
            reply = self.command(cdb.log_sense(lp.TAPE_ALERT), Direction.FROM_DEVICE, length=0xFFFF)
        except IllegalRequest:
            return []
        return active_flags(reply.data)

    def collect_alerts(self) -> list[TapeAlertFlag]:
        """Every TapeAlert flag not yet reported: those found (and cleared) at mount, and those now."""
        flags: dict[int, TapeAlertFlag] = {flag.code: flag for flag in self._unreported_alerts}
        flags.update((flag.code, flag) for flag in self.tape_alerts())
        self._unreported_alerts.clear()
        return [flags[code] for code in sorted(flags)]

    def read_attributes(self, ids: list[int] | tuple[int, ...]) -> dict[int, m.Attribute]:
        return drive_mam.read_attributes(self, ids)

    def write_attributes(self, attributes: list[m.Attribute]) -> None:
        drive_mam.write_attributes(self, attributes)

    # -- loading and the eject button ----------------------------------------------------------------

    def prevent_removal(self) -> None:
        self.command(cdb.prevent_allow_medium_removal(True))

    def allow_removal(self) -> None:
        self.command(cdb.prevent_allow_medium_removal(False))

    @contextlib.contextmanager
    def removal_prevented(self) -> Iterator[None]:
        """Lock the eject button (and the robot) for the duration of a write."""
        self.prevent_removal()
        try:
            yield
        finally:
            with contextlib.suppress(TapeError):
                self.allow_removal()

    def load(self, on_state: drive_ready.StateCallback | None = None) -> ReadyState:
        """LOAD (IMMED) and wait until ready, media optimisation included."""
        self.command(cdb.load_unload(True, immed=True))
        return self.wait_ready(on_state)

    def unload(self) -> None:
        """Flush, allow removal, rewind and unthread the cartridge (LOAD/UNLOAD with LOAD = 0)."""
        self.allow_removal()
        self.command(cdb.load_unload(False))
        self.medium = None
        self.early_warning = False

    # -- positioning ------------------------------------------------------------------------------

    def read_position(self) -> Position:
        """READ POSITION, long form: partition, logical object number, file number, EW flags."""
        return parse_long(self.command(cdb.read_position(), Direction.FROM_DEVICE, length=32, positional=True).data)

    def rewind(self) -> None:
        self.command(cdb.rewind(), positional=True)
        self.early_warning = False

    def locate(self, block: int, partition: int | None = None) -> None:
        """LOCATE(16) to logical object `block`. Past end of data: BlankCheck, left at end of data."""
        self.command(cdb.locate16(block, partition), positional=True)

    def locate_file(self, file_number: int) -> None:
        """LOCATE(16) to the first object of tape file `file_number` (after that many filemarks)."""
        self.command(cdb.locate16(file_number, destination=cdb.LocateDestination.FILE), positional=True)

    def locate_end_of_data(self) -> Position:
        """Go to end of data, where appending starts, and say where that is."""
        self.command(cdb.locate16(destination=cdb.LocateDestination.END_OF_DATA), positional=True)
        return self.read_position()

    def space_blocks(self, count: int) -> SpaceResult:
        """SPACE over `count` blocks (negative: towards BOP); stops at a filemark, BOP or EOD."""
        return self._space(cdb.SpaceCode.BLOCKS, count)

    def space_filemarks(self, count: int) -> SpaceResult:
        return self._space(cdb.SpaceCode.FILEMARKS, count)

    def _space(self, code: cdb.SpaceCode, count: int) -> SpaceResult:
        block = cdb.space6(code, count) if abs(count) <= _SPACE6_LIMIT else cdb.space16(code, count)
        try:
            completion = self.command(block, positional=True).completion
        except BlankCheck as end:
            return SpaceResult(end_of_data=True, residue=abs(end.residue))
        return SpaceResult(
            filemark=completion.filemark,
            beginning_of_partition=completion.beginning_of_partition,
            residue=abs(completion.residue),
        )

    # -- data -------------------------------------------------------------------------------------

    def write_block(self, data: bytes) -> WriteResult:
        """WRITE one variable-length block. Early warning is success with a flag; VolumeOverflow raises."""
        outcome = self.command(cdb.write6(len(data)), Direction.TO_DEVICE, data=data, positional=True)
        if outcome.completion.early_warning:
            self.early_warning = True
        return WriteResult(early_warning=outcome.completion.early_warning)

    def write_filemarks(self, count: int = 1) -> WriteResult:
        """WRITE FILEMARKS without IMMED: the marks, and everything buffered, are on tape after it."""
        outcome = self.command(cdb.write_filemarks(count), positional=True)
        if outcome.completion.early_warning:
            self.early_warning = True
        return WriteResult(early_warning=outcome.completion.early_warning)

    def flush(self) -> None:
        """WRITE FILEMARKS 0: empty the drive buffer onto tape without writing a mark."""
        self.command(cdb.write_filemarks(0), positional=True)

    def read_block(self, length: int, *, sili: bool = True) -> ReadResult:
        """READ one block into a buffer of `length` bytes (tape-scsi.md §8 point 13).

        A shorter block is normal (reported as `short` only without SILI). A longer block has
        passed with its tail lost: space back over it and read it again with a buffer that fits.
        """
        try:
            outcome = self.command(cdb.read6(length, sili=sili), Direction.FROM_DEVICE, length=length,
                                   positional=True)
        except BlankCheck as end:
            return ReadResult(ReadKind.END_OF_DATA, residue=end.residue)
        completion = outcome.completion
        if completion.filemark:
            return ReadResult(ReadKind.FILEMARK, residue=completion.residue)
        if completion.ili and completion.residue < 0:
            actual = length - completion.residue
            limit = self.block_limits().max_block_length
            if limit and actual > limit:
                raise BlockTooLarge(actual, limit)
            self.space_blocks(-1)
            again = self.read_block(actual, sili=sili)
            return ReadResult(again.kind, again.data, again.short, again.residue, reread=True)
        short = completion.ili and completion.residue > 0
        return ReadResult(ReadKind.DATA, outcome.data, short=short, residue=completion.residue)

    def is_blank(self, length: int = 1 << 20) -> bool:
        """Blank-tape detection (tape-scsi.md §8 point 6): rewind, read; BLANK CHECK at BOP = blank.

        Anything else — data, a filemark — is not blank, and a read error is raised, never taken
        for a blank tape. Leaves the tape at BOP or just after its first object.
        """
        self.rewind()
        return self.read_block(length).kind is ReadKind.END_OF_DATA

    # -- longer operations (their own modules) ----------------------------------------------------

    def erase(self, *, long: bool = False, progress: drive_erase.ProgressCallback | None = None) -> None:
        """Erase from the current position to the end (rewind first to wipe the cartridge)."""
        drive_erase.erase(self, long=long, progress=progress)
        self.early_warning = False

    def health(self) -> drive_health.HealthSnapshot:
        return drive_health.snapshot(self)

    def close(self) -> None:
        self.transport.close()
