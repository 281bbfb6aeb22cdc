"""What a command's status and sense mean: success with flags, or a typed `TapeError`.

The one table `SENSE_TABLE` maps (key, ASC, ASCQ) to an exception class — or to None for
conditions where the command did complete (filemark, early warning, ILI, recovered errors,
operations in progress) — plus a message id in `tape.scsi.messages`. It follows tape-scsi.md §2.7
and §8 point 4. Lookup goes from the most to the least specific row: (key, asc, ascq), then
(key, asc, any), then the sense key's default.

Public API:
- `check(result, command="") -> Completion` — raise the right `TapeError` or return the flags.
- `interpret(sense, command="") -> Completion` — the same for an already decoded sense (e.g. the
  reply of REQUEST SENSE while polling an IMMED erase).
- `Completion` — filemark, early_warning, programmable_early_warning, beginning_of_partition, ili,
  residue, recovered, cleaning_requested, in_progress, progress, note, sense.
- `describe(sense) -> str` — one Chinese line for logs.
- `lookup(sense) -> (class | None, text id)` — the table row, for tests and tools.
"""

from __future__ import annotations

from dataclasses import dataclass

from tape.scsi import errors as e
from tape.scsi.messages import sense_code_note, status_note, text
from tape.scsi.sense import Sense, SenseKey, parse_sense
from tape.transport import BUSY, CHECK_CONDITION, GOOD, RESERVATION_CONFLICT, TASK_SET_FULL, ScsiResult

Row = tuple[type[e.TapeError] | None, str]
ANY = None

SENSE_TABLE: dict[tuple[int, int | None, int | None], Row] = {
    # NO SENSE: the command completed; the codes say what it ran into.
    (0x0, 0x00, 0x00): (None, "no_sense"),
    (0x0, 0x00, 0x01): (None, "filemark"),
    (0x0, 0x00, 0x02): (None, "early_warning"),
    (0x0, 0x00, 0x04): (None, "beginning_of_partition"),
    (0x0, 0x00, 0x07): (None, "programmable_early_warning"),
    (0x0, 0x00, 0x16): (None, "operation_in_progress"),
    (0x0, 0x00, 0x17): (None, "cleaning_requested"),
    (0x0, 0x00, 0x18): (None, "erase_in_progress"),
    (0x0, 0x00, 0x19): (None, "locate_in_progress"),
    (0x0, 0x00, 0x1A): (None, "rewind_in_progress"),
    (0x0, 0x82, 0x82): (None, "cleaning_requested"),  # IBM vendor code "drive needs cleaning"
    (0x0, 0x30, 0x03): (e.CleaningCartridgeLoaded, "cleaning_cartridge"),
    (0x0, ANY, ANY): (None, "no_sense"),
    (0x1, 0x37, 0x00): (None, "parameters_rounded"),
    (0x1, ANY, ANY): (None, "recovered"),
    # NOT READY: treat every 04/xx as "wait", except 04/02 (send LOAD) and 04/03 (a person must act).
    (0x2, 0x04, 0x02): (e.LoadRequired, "load_required"),
    (0x2, 0x04, 0x03): (e.ManualIntervention, "manual_intervention"),
    (0x2, 0x04, 0x07): (e.NotReadyBecoming, "busy_not_ready"),
    (0x2, 0x04, ANY): (e.NotReadyBecoming, "becoming_ready"),
    (0x2, 0x3A, ANY): (e.NoMedium, "no_medium"),
    (0x2, 0x30, 0x03): (e.CleaningCartridgeLoaded, "cleaning_cartridge"),
    (0x2, 0x30, 0x07): (e.CleaningRequired, "cleaning_failed"),
    (0x2, 0x82, 0x82): (e.CleaningRequired, "cleaning_required"),
    (0x2, ANY, ANY): (e.NotReady, "not_ready"),
    # MEDIUM ERROR
    (0x3, 0x11, 0x00): (e.MediumError, "read_error"),
    (0x3, 0x0C, 0x00): (e.MediumError, "write_error"),
    (0x3, 0x14, 0x00): (e.MediumError, "entity_not_found"),
    (0x3, 0x14, 0x03): (e.EndOfDataNotFound, "eod_not_found"),
    (0x3, 0x30, 0x00): (e.IncompatibleMedium, "incompatible_medium"),
    (0x3, 0x30, 0x01): (e.IncompatibleMedium, "unknown_format"),
    (0x3, 0x30, 0x02): (e.IncompatibleMedium, "incompatible_format"),
    (0x3, 0x30, 0x03): (e.CleaningCartridgeLoaded, "cleaning_cartridge"),
    (0x3, 0x31, 0x00): (e.MediumError, "format_corrupted"),
    (0x3, 0x50, 0x00): (e.MediumError, "append_error"),
    (0x3, 0x52, 0x00): (e.MediumError, "cartridge_fault"),
    (0x3, 0x53, 0x00): (e.MediumError, "load_eject_failed"),
    (0x3, ANY, ANY): (e.MediumError, "medium_error"),
    # HARDWARE ERROR
    (0x4, 0x44, 0x00): (e.HardwareError, "hardware_internal"),
    (0x4, 0x40, ANY): (e.HardwareError, "hardware_diagnostic"),
    (0x4, 0x53, ANY): (e.HardwareError, "hardware_load"),
    (0x4, 0x51, 0x00): (e.HardwareError, "hardware_erase"),
    (0x4, ANY, ANY): (e.HardwareError, "hardware_error"),
    # ILLEGAL REQUEST
    (0x5, 0x20, 0x00): (e.IllegalRequest, "invalid_opcode"),
    (0x5, 0x24, 0x00): (e.IllegalRequest, "invalid_cdb_field"),
    (0x5, 0x26, 0x00): (e.IllegalRequest, "invalid_parameter_field"),
    (0x5, 0x1A, 0x00): (e.IllegalRequest, "parameter_length"),
    (0x5, 0x2C, 0x00): (e.IllegalRequest, "sequence_error"),
    (0x5, 0x30, 0x00): (e.IncompatibleMedium, "incompatible_medium"),
    (0x5, 0x30, 0x05): (e.IncompatibleMedium, "cannot_write_format"),
    (0x5, 0x3B, 0x00): (e.PositioningError, "positioning_error"),
    (0x5, 0x3B, 0x0C): (e.PositioningError, "past_beginning"),
    (0x5, 0x3B, 0x0D): (e.DestinationFull, "destination_full"),
    (0x5, 0x3B, 0x0E): (e.SourceEmpty, "source_empty"),
    (0x5, 0x21, 0x01): (e.InvalidElementAddress, "invalid_element"),
    (0x5, 0x53, 0x02): (e.MediumRemovalPrevented, "removal_prevented"),
    (0x5, ANY, ANY): (e.IllegalRequest, "illegal_request"),
    # UNIT ATTENTION
    (0x6, 0x00, 0x02): (None, "early_warning"),  # listed by LTFS: some drives report EW this way
    (0x6, 0x28, 0x00): (e.MediumChanged, "medium_changed"),
    (0x6, 0x28, 0x01): (e.MediumChanged, "import_export_accessed"),
    (0x6, 0x29, ANY): (e.DeviceReset, "device_reset"),
    (0x6, 0x2A, 0x01): (e.UnitAttention, "mode_changed"),
    (0x6, 0x2A, 0x03): (e.UnitAttention, "reservations_preempted"),
    (0x6, 0x3F, 0x01): (e.UnitAttention, "microcode_changed"),
    (0x6, ANY, ANY): (e.UnitAttention, "unit_attention"),
    # DATA PROTECT
    (0x7, 0x27, ANY): (e.WriteProtected, "write_protected"),
    (0x7, 0x30, 0x00): (e.WormOverwriteRefused, "worm_medium"),
    (0x7, 0x30, 0x05): (e.IncompatibleMedium, "cannot_write_format"),
    (0x7, 0x30, 0x0C): (e.WormOverwriteRefused, "worm_overwrite"),
    (0x7, 0x30, 0x0D): (e.WormIntegrityError, "worm_integrity"),
    (0x7, 0x5A, 0x02): (e.WriteProtected, "operator_write_protect"),
    (0x7, 0x74, ANY): (e.EncryptionError, "encryption"),
    (0x7, ANY, ANY): (e.DataProtect, "data_protect"),
    # BLANK CHECK
    (0x8, 0x14, 0x03): (e.EndOfDataNotFound, "eod_not_found"),
    (0x8, ANY, ANY): (e.BlankCheck, "blank_check"),
    # ABORTED COMMAND, VOLUME OVERFLOW
    (0xB, 0x41, ANY): (e.AbortedCommand, "library_path_failure"),
    (0xB, ANY, ANY): (e.AbortedCommand, "aborted_command"),
    (0xD, ANY, ANY): (e.VolumeOverflow, "volume_overflow"),
}

_IN_PROGRESS_ASCQ = {0x16, 0x18, 0x19, 0x1A}


@dataclass(frozen=True)
class Completion:
    """A command that completed, with what the drive reported along the way."""

    sense: Sense | None = None
    filemark: bool = False
    early_warning: bool = False
    programmable_early_warning: bool = False
    beginning_of_partition: bool = False
    ili: bool = False
    residue: int = 0
    recovered: bool = False
    cleaning_requested: bool = False
    in_progress: bool = False
    progress: float | None = None
    note: str = ""


def lookup(sense: Sense) -> Row:
    """The table row for `sense`: (exception class or None, message id)."""
    for key in ((sense.key, sense.asc, sense.ascq), (sense.key, sense.asc, ANY), (sense.key, ANY, ANY)):
        row = SENSE_TABLE.get(key)
        if row is not None:
            return row
    return (e.TapeError, "unknown")


def describe(sense: Sense) -> str:
    """One Chinese line naming what the sense means and its raw codes, for logs."""
    cls, text_id = lookup(sense)
    meaning = text(_note_for_bits(sense, text_id) if cls is None else text_id).message
    return f"{meaning}（{sense_code_note(*sense.code)}）"


def _note_for_bits(sense: Sense, text_id: str) -> str:
    """A plain 00/00 report means whatever its FILEMARK, EOM or ILI bit says."""
    if text_id == "no_sense":
        for flag, bit_id in (
            (sense.ili, "incorrect_length"),
            (sense.filemark, "filemark"),
            (sense.eom, "early_warning"),
        ):
            if flag:
                return bit_id
    return text_id


def _completion(sense: Sense, text_id: str) -> Completion:
    asc_ascq = (sense.asc, sense.ascq)
    pew = asc_ascq == (0x00, 0x07)
    bop = asc_ascq == (0x00, 0x04)
    return Completion(
        sense=sense,
        filemark=sense.filemark or asc_ascq == (0x00, 0x01),
        # EOM without a BOP code is the early-warning report; a write that crossed EW succeeded.
        early_warning=(sense.eom and not bop) or asc_ascq == (0x00, 0x02) or pew,
        programmable_early_warning=pew,
        beginning_of_partition=bop,
        ili=sense.ili,
        residue=sense.residue,
        recovered=sense.key == SenseKey.RECOVERED_ERROR,
        cleaning_requested=asc_ascq in ((0x00, 0x17), (0x82, 0x82)),
        in_progress=sense.asc == 0x00 and sense.ascq in _IN_PROGRESS_ASCQ,
        progress=sense.progress,
        note=text(_note_for_bits(sense, text_id)).message,
    )


def interpret(sense: Sense, command: str = "") -> Completion:
    """Raise the `TapeError` for `sense`, or return the `Completion` it describes."""
    cls, text_id = lookup(sense)
    if cls is None:
        return _completion(sense, text_id)
    entry = text(text_id)
    message = entry.message if text_id != "unknown" else f"{entry.message}（{sense_code_note(*sense.code)}）"
    raise cls(message, entry.advice, sense=sense, command=command)


def check(result: ScsiResult, command: str = "") -> Completion:
    """Turn a transport result into a `Completion`, or raise the matching `TapeError`."""
    if result.status == GOOD:
        return Completion()
    if result.status in (BUSY, TASK_SET_FULL):
        raise e.DeviceBusy(command=command)
    if result.status == RESERVATION_CONFLICT:
        raise e.ReservationConflict(command=command)
    if result.status != CHECK_CONDITION:
        entry = text("unexpected_status")
        raise e.TapeError(f"{entry.message}（{status_note(result.status)}）", entry.advice, command=command)
    sense = parse_sense(result.sense)
    if sense is None:
        entry = text("no_sense_data")
        raise e.TapeError(entry.message, entry.advice, command=command)
    return interpret(sense, command)
