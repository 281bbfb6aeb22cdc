"""Drive commands about the medium itself: TEST UNIT READY, REQUEST SENSE, LOAD/UNLOAD,
PREVENT ALLOW MEDIUM REMOVAL, RESERVE/RELEASE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tape.emulator import faults as fault_kinds
from tape.emulator.commands import CommandTable, Reply, Wait, trim
from tape.emulator.drive_log import TA_NO_REMOVAL
from tape.emulator.media import drive_accepts
from tape.emulator.sense import (
    INCOMPATIBLE_MEDIUM,
    MEDIUM_NOT_PRESENT,
    NO_SENSE,
    OPERATION_IN_PROGRESS,
    REMOVAL_PREVENTED,
    UNIT_ATTENTION,
    CheckCondition,
    Sense,
    invalid_field_in_cdb,
    progress,
)

if TYPE_CHECKING:
    from tape.emulator.drive import Drive

# This family's commands; the drive names each family when it builds its table.
COMMANDS = CommandTable()


@COMMANDS.register(0x00, "TEST UNIT READY", 6, medium=True)
def test_unit_ready(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return Reply()


@COMMANDS.register(0x03, "REQUEST SENSE", 6)
def request_sense(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    if cdb[1] & 0x01:
        raise invalid_field_in_cdb(1, 0)  # descriptor format is not offered (D_SENSE fixed at 0)
    return Reply(data=trim(current_sense(d), cdb[4]))


def current_sense(d: Drive) -> bytes:
    """What REQUEST SENSE reports, most urgent first.

    A deferred error or unit attention is reported and cleared; then the sense of the last
    command that failed (cleared once read); then an operation in progress (long erase: 0/00/18
    with the progress indicator) or the not-ready reason; otherwise NO SENSE.
    """
    for fault in d.faults(fault_kinds.DEFERRED_ERROR):
        d.remove_fault(fault)
        return d.deferred_sense(fault).to_bytes()
    cold = d.cold
    if cold.attentions:
        asc, ascq = cold.attentions[0]
        cold.attentions = cold.attentions[1:]
        return Sense(UNIT_ATTENTION, asc, ascq).to_bytes()
    if d.hot.last_sense:
        last, d.hot.last_sense = d.hot.last_sense, b""
        return last
    if cold.busy:
        span = max(cold.busy_end - cold.busy_start, 1e-9)
        done = (d.now - cold.busy_start) / span
        return Sense(NO_SENSE, 0x00, 0x18, specific=progress(done)).to_bytes()
    reason = d.not_ready_reason()
    return (reason or Sense(NO_SENSE)).to_bytes()


@COMMANDS.register(0x1B, "LOAD UNLOAD", 6, timeout=7920)
def load_unload(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    immed = bool(cdb[1] & 0x01)
    load, eot = bool(cdb[4] & 0x01), bool(cdb[4] & 0x04)
    if load and eot:
        raise invalid_field_in_cdb(4, 2)
    if d.element.cartridge is None:
        raise CheckCondition(MEDIUM_NOT_PRESENT)
    if d.cold.busy:
        raise CheckCondition(OPERATION_IN_PROGRESS)
    if load:
        return _load(d, immed)
    if d.cold.prevent:
        d.cold.set_alert(TA_NO_REMOVAL)
        raise CheckCondition(REMOVAL_PREVENTED)
    if d.cold.medium == "loading":
        raise CheckCondition(d.loading_sense())  # the load (optimisation) cannot be interrupted
    d.unthread()
    return Reply()


def _load(d: Drive, immed: bool) -> Reply:
    if d.cold.medium == "unloaded":
        d.thread(announce=False)
    elif d.cold.medium == "ready":
        d.flush()
        d.hot.partition = d.hot.position = 0  # LOAD of a loaded tape rewinds it
    if d.cold.medium == "loading":
        return Reply() if immed else Reply(wait=Wait(d.cold.ready_at, "load"))
    media = d.loaded.media
    if not media.cleaning and not drive_accepts(media):
        raise CheckCondition(INCOMPATIBLE_MEDIUM)
    return Reply()


@COMMANDS.register(0x1E, "PREVENT ALLOW MEDIUM REMOVAL", 6)
def prevent_allow(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    mode = cdb[4] & 0x03
    if mode > 1:
        raise invalid_field_in_cdb(4, 1)
    d.cold.prevent = mode == 1
    return Reply()


@COMMANDS.register(0x16, "RESERVE(6)", 6)
def reserve6(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return Reply()  # one initiator path: a reservation always succeeds


@COMMANDS.register(0x17, "RELEASE(6)", 6)
def release6(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    return Reply()
