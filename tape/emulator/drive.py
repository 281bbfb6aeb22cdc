"""The emulated IBM ULT3580-HH9: command dispatch, the medium state machine and the checks every
command shares.

A `Drive` is built for one command inside a runtime session; it reads and changes the shared
state and the loaded cartridge, and returns a `Reply`. The command families live in their own
modules (drive_info, drive_media, drive_io, drive_position, drive_mode, drive_log, drive_mam),
each with its own command table; `DRIVE_COMMANDS` below joins them, naming each family.

Medium states: empty → (insert) loading → ready ⇄ (UNLOAD / LOAD) unloaded → (removed) empty.
"loading" lasts the load time, plus the first-load optimisation of a new LTO-9 cartridge; when it
ends, a cartridge that was inserted (not loaded by command) raises 6/28/00 once. While the
optimisation runs, NOT READY 2/04/01 carries a progress indication (SKSV, bytes 16-17), as SPC
allows for NOT READY: how far the calibration is — the one thing a host can show besides waiting.
"""

from __future__ import annotations

from tape.emulator import (
    drive_info,
    drive_io,
    drive_log,
    drive_mam,
    drive_media,
    drive_mode,
    drive_position,
)
from tape.emulator import faults as fault_kinds
from tape.emulator.cartridge import Cartridge
from tape.emulator.commands import CommandTable, Reply, Wait
from tape.emulator.drive_log import (
    TA_CLEANING_MEDIA,
    TA_CLEANING_REQUESTED,
    TA_CLEANING_REQUIRED,
    TA_WORM_OVERWRITE,
    TA_WRITE_FAILURE,
    TA_WRITE_PROTECT,
)
from tape.emulator.faults import Fault
from tape.emulator.library_state import Element
from tape.emulator.media import drive_accepts
from tape.emulator.partition import CorruptBlock, Partition
from tape.emulator.runtime import Runtime
from tape.emulator.sense import (
    BECOMING_READY,
    CLEANING_CARTRIDGE_INSTALLED,
    INCOMPATIBLE_MEDIUM,
    INITIALIZING_COMMAND_REQUIRED,
    INVALID_OPCODE,
    MEDIUM_ERROR,
    MEDIUM_FORMAT_CORRUPTED,
    MEDIUM_NOT_PRESENT,
    NOT_READY,
    OPERATION_IN_PROGRESS,
    UNIT_ATTENTION,
    WORM_OVERWRITE,
    WRITE_PROTECTED,
    CheckCondition,
    Sense,
    progress,
)

INQUIRY = 0x12
REQUEST_SENSE = 0x03
REPORT_LUNS = 0xA0
# Commands a unit attention does not interrupt (SPC-4 §5.14).
ATTENTION_EXEMPT = (INQUIRY, REPORT_LUNS, REQUEST_SENSE)
# Every command the drive answers, family by family.
DRIVE_COMMANDS = CommandTable.joined(
    drive_media.COMMANDS,
    drive_info.COMMANDS,
    drive_io.COMMANDS,
    drive_position.COMMANDS,
    drive_mode.COMMANDS,
    drive_log.COMMANDS,
    drive_mam.COMMANDS,
)


class Drive:
    """One drive of the library, as seen by one command."""

    commands = DRIVE_COMMANDS

    def __init__(self, runtime: Runtime, index: int) -> None:
        self.rt = runtime
        self.index = index
        self.library = runtime.library
        self.element: Element = self.library.drives[index]
        self.state = runtime.drive_state(index)
        self.hot = self.state.hot
        self.cold = self.state.cold
        self.now = runtime.now()
        self._cartridge: Cartridge | None = None

    # -- identity and what is loaded ------------------------------------------------------------

    @property
    def serial(self) -> str:
        return self.element.serial

    @property
    def cartridge(self) -> Cartridge | None:
        barcode = self.element.cartridge
        if barcode is None:
            return None
        cart = self._cartridge
        if cart is None or cart.barcode != barcode:
            cart = self._cartridge = self.rt.cartridge(barcode)
        return cart

    @property
    def loaded(self) -> Cartridge:
        """The cartridge of a ready drive (callers have passed require_ready)."""
        cart = self.cartridge
        assert cart is not None
        return cart

    @property
    def partition(self) -> Partition:
        part = self.loaded.partitions[self.hot.partition]
        if self.hot.position > part.count:
            # The cartridge lost unflushed blocks (power loss) behind the drive's back.
            self.hot.position = part.count
        return part

    # -- dispatch -------------------------------------------------------------------------------

    def execute(self, cdb: bytes, data: bytes | memoryview | None, length: int) -> Reply:
        self.advance()
        spec = self.commands.lookup(cdb)
        if spec is None:
            reply = Reply(sense=INVALID_OPCODE)
        else:
            try:
                self._gate(cdb[0], spec.medium)
                reply = spec.handler(self, cdb, data, length)
            except CheckCondition as condition:
                reply = Reply(data=condition.data, sense=condition.sense)
            except CorruptBlock:
                reply = Reply(sense=MEDIUM_FORMAT_CORRUPTED)  # a damaged index record mid-tape
        if cdb[0] != REQUEST_SENSE and reply.wait is None:
            self.hot.last_sense = reply.sense.to_bytes() if reply.sense else b""
        return reply

    def resume(self, wait: Wait) -> Reply:
        """Finish a command that asked to wait: LOAD until ready, a long ERASE until done."""
        self.advance()
        if wait.what == "load" and self.cold.medium == "loading":
            return Reply(wait=Wait(self.cold.ready_at, "load"))
        if wait.what == "erase" and self.cold.busy:
            return Reply(wait=Wait(self.cold.busy_end, "erase"))
        try:
            if wait.what == "load":
                self.require_ready()
        except CheckCondition as condition:
            return Reply(sense=condition.sense)
        return Reply()

    def advance(self) -> None:
        """Apply what time has done since the last command: loads finish, erases end."""
        cold = self.cold
        if cold.medium == "loading" and self.now >= cold.ready_at:
            cold.medium = "ready"
            cold.optimising_from = 0.0
            if cold.announce:
                cold.queue_attention(0x28, 0x00)
                cold.announce = False
        if cold.busy and self.now >= cold.busy_end:
            cold.busy = ""

    def _gate(self, opcode: int, needs_medium: bool) -> None:
        if opcode in ATTENTION_EXEMPT:
            return
        if self.library.faults:
            self._one_shot_faults()
        if self.cold.attentions:
            asc, ascq = self.cold.attentions[0]
            self.cold.attentions = self.cold.attentions[1:]
            raise CheckCondition(Sense(UNIT_ATTENTION, asc, ascq))
        if needs_medium:
            self.require_ready()

    def _one_shot_faults(self) -> None:
        for fault in self.faults(fault_kinds.UNIT_ATTENTION):
            self.remove_fault(fault)
            self.cold.queue_attention(fault.asc or 0x29, fault.ascq or 0x00)
        for fault in self.faults(fault_kinds.DEFERRED_ERROR):
            self.remove_fault(fault)
            self.cold.set_alert(TA_WRITE_FAILURE)
            raise CheckCondition(self.deferred_sense(fault))

    @staticmethod
    def deferred_sense(fault: Fault) -> Sense:
        asc = fault.asc if fault.asc is not None else 0x0C
        return Sense(MEDIUM_ERROR, asc, fault.ascq or 0x00, deferred=True)

    def not_ready_reason(self) -> Sense | None:
        """Why medium access would fail now, or None if the drive is ready."""
        if self.library.faults:
            fault = next(iter(self.faults(fault_kinds.NOT_READY)), None)
            if fault is not None:
                return Sense(NOT_READY, fault.asc or 0x04, fault.ascq if fault.ascq is not None else 0x01)
        medium = self.cold.medium
        if medium != "ready":
            if medium == "empty":
                return MEDIUM_NOT_PRESENT
            return self.loading_sense() if medium == "loading" else INITIALIZING_COMMAND_REQUIRED
        if self.cold.busy:
            return OPERATION_IN_PROGRESS
        media = self.loaded.media
        if media.cleaning:
            return CLEANING_CARTRIDGE_INSTALLED
        if not drive_accepts(media):
            return INCOMPATIBLE_MEDIUM
        return None

    def loading_sense(self) -> Sense:
        """2/04/01, with how far the media optimisation is once it has started."""
        start = self.cold.optimising_from
        if not start or self.now < start:
            return BECOMING_READY
        done = (self.now - start) / max(self.cold.ready_at - start, 1e-9)
        return Sense(NOT_READY, 0x04, 0x01, specific=progress(done))

    def optimise(self, seconds: float, after: float = 0.0) -> None:
        """Start calibrating the loaded cartridge: NOT READY for `seconds`, after `after` seconds of threading."""
        cold = self.cold
        cold.medium = "loading"
        cold.optimising_from = self.now + after
        cold.ready_at = cold.optimising_from + seconds

    def require_ready(self) -> None:
        reason = self.not_ready_reason()
        if reason is not None:
            raise CheckCondition(reason)

    # -- faults -----------------------------------------------------------------------------------

    def faults(self, kind: str) -> list[Fault]:
        if not self.library.faults:
            return []
        barcode = self.element.cartridge
        out = []
        for fault in list(self.library.faults):
            if fault.kind == fault_kinds.NOT_READY and fault.until is not None and self.now >= fault.until:
                self.remove_fault(fault)  # expired: forget it, so the fast path is fast again
                continue
            if fault.kind == kind and fault.concerns(self.index, barcode):
                out.append(fault)
        return out

    def medium_fault(self, kind: str, operation: str, position: int | None = None) -> Fault | None:
        where = self.hot.position if position is None else position
        for fault in self.faults(kind):
            if fault.hits(self.hot.partition, where, operation):
                return fault
        return None

    def remove_fault(self, fault: Fault) -> None:
        self.library.faults = [f for f in self.library.faults if f.id != fault.id]
        self.rt.library_changed()

    def fired(self, fault: Fault) -> None:
        if fault.once:
            self.remove_fault(fault)

    # -- shared by the writing commands ----------------------------------------------------------

    def check_writable(self) -> None:
        if self.loaded.state.write_protect:
            self.cold.set_alert(TA_WRITE_PROTECT)
            raise CheckCondition(WRITE_PROTECTED)

    def prepare_write(self) -> None:
        """Writing before end of data truncates it there — unless the medium is WORM."""
        cart = self.loaded
        part = self.partition
        if self.hot.position < part.count:
            if cart.worm:
                self.cold.set_alert(TA_WORM_OVERWRITE)
                raise CheckCondition(WORM_OVERWRITE)
            cart.truncate(self.hot.partition, self.hot.position)
        self.note_change()

    def note_change(self) -> None:
        """MAM 0009h (volume change reference) moves once per load in which the tape changes."""
        if not self.cold.changed_this_load:
            cart = self.loaded
            cart.state.volume_change_reference += 1
            cart.save_state()
            self.cold.changed_this_load = True

    def flush(self) -> None:
        """Empty the drive buffer: everything written so far becomes durable."""
        cart = self.cartridge
        if cart is not None:
            cart.sync()

    def flush_if_full(self) -> None:
        size = self.library.buffer_size
        if size and self.loaded.unsynced_bytes() >= size:
            self.loaded.sync()

    # -- the medium state machine -----------------------------------------------------------------

    def thread(self, *, announce: bool) -> None:
        """Start loading the cartridge now in the drive: inserted (announce) or LOAD command."""
        cart = self.loaded
        delay = self.library.load_seconds
        optimisation = 0.0
        if cart.media.needs_optimisation and not cart.state.optimised:
            optimisation = cart.state.first_load_seconds
            cart.state.optimised = True  # calibration is stored on the cartridge once it starts
        cart.state.load_count += 1
        cart.state.last_drives = [self.serial, *cart.state.last_drives][:4]
        cart.save_state()
        if cart.media.cleaning:
            cleaned = (1 << (TA_CLEANING_REQUIRED - 1)) | (1 << (TA_CLEANING_REQUESTED - 1))
            self.cold.alerts = self.cold.alerts & ~cleaned
            self.cold.set_alert(TA_CLEANING_MEDIA)
        self.hot.partition = self.hot.position = 0
        self.hot.reset_counters()
        cold = self.cold
        cold.busy = ""
        cold.changed_this_load = False
        if optimisation > 0:
            self.optimise(optimisation, after=delay)
        else:
            cold.ready_at = self.now + delay
            cold.medium = "loading"
            cold.optimising_from = 0.0
        cold.announce = announce
        self.advance()

    def unthread(self) -> None:
        """UNLOAD: flush, fold this load's counters into the cartridge, keep it in the drive."""
        cart = self.cartridge
        if cart is not None and self.cold.medium in ("ready", "loading"):
            cart.sync()
            cart.state.bytes_written += self.hot.medium_written
            cart.state.bytes_read += self.hot.medium_read
            cart.save_state()
        self.hot.reset_counters()
        self.hot.partition = self.hot.position = 0
        self.cold.medium = "unloaded" if cart is not None else "empty"
        self.cold.busy = ""

    def emptied(self) -> None:
        """The cartridge has left the drive (moved by the robot or taken by the operator)."""
        self.cold.medium = "empty"
        self.cold.optimising_from = 0.0
        self.cold.pending_partitions = None

