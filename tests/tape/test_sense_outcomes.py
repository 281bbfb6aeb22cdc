"""Every row of tape-scsi.md §2.7 in both sense formats: the right exception, or success with flags."""

from __future__ import annotations

import pytest

from tape.scsi import errors as e
from tape.scsi.messages import TEXTS
from tape.scsi.outcomes import SENSE_TABLE, Completion, check, describe, interpret, lookup
from tape.scsi.sense import build_descriptor_sense, build_fixed_sense, parse_sense
from tape.transport import BUSY, CHECK_CONDITION, GOOD, RESERVATION_CONFLICT, TASK_SET_FULL, ScsiResult

FORMATS = pytest.mark.parametrize(
    "build", [build_fixed_sense, build_descriptor_sense], ids=["fixed", "descriptor"]
)


def result(sense: bytes) -> ScsiResult:
    return ScsiResult(status=CHECK_CONDITION, sense=sense)


ERROR_ROWS = [
    # (key, asc, ascq, class) — the error rows of §2.7 and §3
    (0x2, 0x04, 0x00, e.NotReadyBecoming),
    (0x2, 0x04, 0x01, e.NotReadyBecoming),
    (0x2, 0x04, 0x02, e.LoadRequired),
    (0x2, 0x04, 0x03, e.ManualIntervention),
    (0x2, 0x04, 0x07, e.NotReadyBecoming),
    (0x2, 0x3A, 0x00, e.NoMedium),
    (0x2, 0x30, 0x03, e.CleaningCartridgeLoaded),
    (0x0, 0x30, 0x03, e.CleaningCartridgeLoaded),
    (0x3, 0x30, 0x03, e.CleaningCartridgeLoaded),
    (0x2, 0x30, 0x07, e.CleaningRequired),
    (0x3, 0x30, 0x00, e.IncompatibleMedium),
    (0x5, 0x30, 0x00, e.IncompatibleMedium),
    (0x3, 0x30, 0x01, e.IncompatibleMedium),
    (0x3, 0x30, 0x02, e.IncompatibleMedium),
    (0x5, 0x30, 0x05, e.IncompatibleMedium),
    (0x7, 0x30, 0x05, e.IncompatibleMedium),
    (0x3, 0x11, 0x00, e.MediumError),
    (0x3, 0x0C, 0x00, e.MediumError),
    (0x3, 0x14, 0x00, e.MediumError),
    (0x3, 0x14, 0x03, e.EndOfDataNotFound),
    (0x8, 0x14, 0x03, e.EndOfDataNotFound),
    (0x3, 0x31, 0x00, e.MediumError),
    (0x3, 0x50, 0x00, e.MediumError),
    (0x3, 0x52, 0x00, e.MediumError),
    (0x3, 0x53, 0x00, e.MediumError),
    (0x4, 0x44, 0x00, e.HardwareError),
    (0x4, 0x40, 0x80, e.HardwareError),
    (0x4, 0x53, 0x01, e.HardwareError),
    (0x4, 0x51, 0x00, e.HardwareError),
    (0x5, 0x20, 0x00, e.IllegalRequest),
    (0x5, 0x24, 0x00, e.IllegalRequest),
    (0x5, 0x26, 0x00, e.IllegalRequest),
    (0x5, 0x1A, 0x00, e.IllegalRequest),
    (0x5, 0x2C, 0x00, e.IllegalRequest),
    (0x5, 0x53, 0x02, e.MediumRemovalPrevented),
    (0x5, 0x3B, 0x00, e.PositioningError),
    (0x5, 0x3B, 0x0C, e.PositioningError),
    (0x5, 0x3B, 0x0D, e.DestinationFull),
    (0x5, 0x3B, 0x0E, e.SourceEmpty),
    (0x5, 0x21, 0x01, e.InvalidElementAddress),
    (0x6, 0x28, 0x00, e.MediumChanged),
    (0x6, 0x28, 0x01, e.MediumChanged),
    (0x6, 0x29, 0x00, e.DeviceReset),
    (0x6, 0x29, 0x04, e.DeviceReset),
    (0x6, 0x2A, 0x01, e.UnitAttention),
    (0x6, 0x2A, 0x03, e.UnitAttention),
    (0x6, 0x3F, 0x01, e.UnitAttention),
    (0x7, 0x27, 0x00, e.WriteProtected),
    (0x7, 0x30, 0x00, e.WormOverwriteRefused),
    (0x7, 0x30, 0x0C, e.WormOverwriteRefused),
    (0x7, 0x30, 0x0D, e.WormIntegrityError),
    (0x7, 0x5A, 0x02, e.WriteProtected),
    (0x7, 0x74, 0x01, e.EncryptionError),
    (0x7, 0x74, 0x05, e.EncryptionError),
    (0x8, 0x00, 0x05, e.BlankCheck),
    (0xB, 0x00, 0x00, e.AbortedCommand),
    (0xB, 0x47, 0x03, e.AbortedCommand),
    (0xB, 0x41, 0x00, e.AbortedCommand),
    (0xD, 0x00, 0x02, e.VolumeOverflow),
]


@FORMATS
@pytest.mark.parametrize(("key", "asc", "ascq", "cls"), ERROR_ROWS)
def test_error_rows_raise_their_exception_class(
    build, key: int, asc: int, ascq: int, cls: type[e.TapeError]
) -> None:
    with pytest.raises(e.TapeError) as caught:
        check(result(build(key, asc, ascq)), "TEST")
    assert type(caught.value) is cls
    assert caught.value.sense is not None and caught.value.sense.code == (key, asc, ascq)
    assert caught.value.command == "TEST"
    assert caught.value.message and caught.value.advice


@FORMATS
def test_filemark_completes_with_the_flag_and_the_residue(build) -> None:
    done = check(result(build(0, 0x00, 0x01, filemark=True, information=262144)))
    assert done.filemark and done.residue == 262144
    assert not done.early_warning and not done.ili
    assert done.note == TEXTS["filemark"].message


@FORMATS
@pytest.mark.parametrize("key", [0x0, 0x6])
def test_early_warning_is_success_plus_a_flag(build, key: int) -> None:
    done = check(result(build(key, 0x00, 0x02, eom=True)))
    assert done.early_warning and not done.programmable_early_warning


@FORMATS
def test_programmable_early_warning_sets_both_flags(build) -> None:
    done = check(result(build(0, 0x00, 0x07, eom=True)))
    assert done.early_warning and done.programmable_early_warning


@FORMATS
def test_eom_with_no_codes_is_still_early_warning(build) -> None:
    assert check(result(build(0, 0, 0, eom=True))).early_warning


@FORMATS
def test_beginning_of_partition_on_reverse_space_is_not_early_warning(build) -> None:
    done = check(result(build(0, 0x00, 0x04, eom=True, information=3)))
    assert done.beginning_of_partition and not done.early_warning and done.residue == 3


@FORMATS
def test_volume_overflow_carries_the_unwritten_residue(build) -> None:
    with pytest.raises(e.VolumeOverflow) as caught:
        check(result(build(0xD, 0x00, 0x02, eom=True, information=262144)))
    assert caught.value.residue == 262144


@FORMATS
def test_blank_check_is_end_of_data_with_residue(build) -> None:
    with pytest.raises(e.EndOfData) as caught:
        check(result(build(0x8, 0x00, 0x05, information=1048576)))
    assert caught.value.residue == 1048576


@FORMATS
@pytest.mark.parametrize(
    ("ascq", "text_id"),
    [
        (0x16, "operation_in_progress"),
        (0x18, "erase_in_progress"),
        (0x19, "locate_in_progress"),
        (0x1A, "rewind_in_progress"),
    ],
)
def test_operations_in_progress_complete_with_progress(build, ascq: int, text_id: str) -> None:
    done = check(result(build(0, 0x00, ascq, progress=0.25)))
    assert done.in_progress and done.progress == 0.25
    assert done.note == TEXTS[text_id].message


@FORMATS
@pytest.mark.parametrize(("asc", "ascq"), [(0x00, 0x17), (0x82, 0x82)])
def test_cleaning_requested_is_a_flag_on_success(build, asc: int, ascq: int) -> None:
    assert check(result(build(0, asc, ascq))).cleaning_requested


@FORMATS
@pytest.mark.parametrize("residue", [4096, -4096])
def test_incorrect_length_reports_ili_with_signed_residue(build, residue: int) -> None:
    done = check(result(build(0, 0, 0, ili=True, information=residue)))
    assert done.ili and done.residue == residue
    assert done.note == TEXTS["incorrect_length"].message


@FORMATS
def test_rounded_mode_parameters_are_a_recovered_success(build) -> None:
    done = check(result(build(0x1, 0x37, 0x00)))
    assert done.recovered and done.note == TEXTS["parameters_rounded"].message


def test_good_status_is_a_plain_completion() -> None:
    assert check(ScsiResult(status=GOOD)) == Completion()


def test_retryable_classes_are_the_ones_to_wait_for() -> None:
    assert e.NotReadyBecoming.retryable and e.UnitAttention.retryable and e.DeviceBusy.retryable
    assert e.AbortedCommand.retryable
    assert not e.NoMedium.retryable and not e.LoadRequired.retryable and not e.MediumError.retryable


@pytest.mark.parametrize("status", [BUSY, TASK_SET_FULL])
def test_busy_statuses_raise_device_busy(status: int) -> None:
    with pytest.raises(e.DeviceBusy):
        check(ScsiResult(status=status))


def test_reservation_conflict_names_other_software() -> None:
    with pytest.raises(e.ReservationConflict) as caught:
        check(ScsiResult(status=RESERVATION_CONFLICT))
    assert "LTFS" in caught.value.advice


def test_check_condition_without_sense_is_a_generic_error() -> None:
    with pytest.raises(e.TapeError) as caught:
        check(ScsiResult(status=CHECK_CONDITION))
    assert caught.value.message == TEXTS["no_sense_data"].message


def test_unexpected_status_names_the_byte() -> None:
    with pytest.raises(e.TapeError, match="0x40"):
        check(ScsiResult(status=0x40))


def test_unknown_sense_key_names_the_raw_codes() -> None:
    with pytest.raises(e.TapeError) as caught:
        check(result(build_fixed_sense(0xE, 0x1D, 0x00)))
    assert type(caught.value) is e.TapeError
    assert "1D/00" in caught.value.message


def test_deferred_errors_say_the_data_may_not_be_on_tape() -> None:
    with pytest.raises(e.MediumError) as caught:
        check(result(build_fixed_sense(0x3, 0x0C, 0x00, deferred=True)))
    assert caught.value.deferred
    assert "先前已缓冲的写入" in caught.value.message


def test_interpret_accepts_an_already_decoded_sense_from_request_sense() -> None:
    sense = parse_sense(build_fixed_sense(0, 0x00, 0x18, progress=0.75))
    assert sense is not None
    assert interpret(sense).progress == 0.75


def test_describe_gives_chinese_meaning_and_raw_codes() -> None:
    sense = parse_sense(build_fixed_sense(0x2, 0x3A, 0x00))
    assert sense is not None
    assert describe(sense) == f"{TEXTS['no_medium'].message}（检测键 2（未就绪），附加代码 3A/00）"


def test_describe_reads_the_bits_of_a_plain_report() -> None:
    sense = parse_sense(build_fixed_sense(0, 0, 0, ili=True, information=100))
    assert sense is not None
    assert describe(sense).startswith(TEXTS["incorrect_length"].message)


def test_str_of_an_error_joins_message_and_advice() -> None:
    error = e.WriteProtected()
    assert str(error) == f"{TEXTS['write_protected'].message}（{TEXTS['write_protected'].advice}）"


def test_every_table_row_and_every_class_has_catalogue_text() -> None:
    for _cls, text_id in SENSE_TABLE.values():
        assert text_id in TEXTS, text_id
    classes = [c for c in vars(e).values() if isinstance(c, type) and issubclass(c, e.TapeError)]
    for cls in classes:
        assert cls.text_id in TEXTS, cls.__name__


def test_lookup_prefers_the_most_specific_row() -> None:
    specific = parse_sense(build_fixed_sense(0x2, 0x04, 0x02))
    general = parse_sense(build_fixed_sense(0x2, 0x04, 0x55))
    fallback = parse_sense(build_fixed_sense(0x2, 0x99, 0x00))
    assert specific is not None and general is not None and fallback is not None
    assert lookup(specific) == (e.LoadRequired, "load_required")
    assert lookup(general) == (e.NotReadyBecoming, "becoming_ready")
    assert lookup(fallback) == (e.NotReady, "not_ready")
