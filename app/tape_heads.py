"""The chain heads on the tapes, for `audit verify`: which cartridges to read, reading them through
the media use case, and each index read turned into a claim to judge against the ledger.

By default every cartridge whose present label the ledger says holds a tape index is read, if the
drive can reach it; `tapes` names the cartridges to read instead. Nothing is read while a job holds
the drive; a device that cannot be opened is reported, not fatal: the chain and the reports are
still checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kernel.errors import TafError
from media.devices import device_spec, open_session
from media.ports import SessionServices
from media.tape_heads import read_tape_indexes
from projections.heads import Claim, HeadCheck, RecordedHeads, missing_index, tape_claim

NOTES = {
    "busy": "驱动器正被任务 {job} 使用，本次未读取磁带",
    "no_device": "无法打开磁带设备 {device}：{error}",
}


@dataclass(frozen=True)
class TapeNote:
    """A cartridge (or, with barcode "", the drive) whose indexes were not read, and why."""

    barcode: str
    why: str


@dataclass
class HeadsRead:
    claims: list[Claim] = field(default_factory=list)
    problems: list[HeadCheck] = field(default_factory=list)  # indexes the ledger records and the tape lacks
    read: list[str] = field(default_factory=list)
    skipped: list[TapeNote] = field(default_factory=list)


def read_heads(deps: SessionServices, recorded: RecordedHeads, tapes: Sequence[str] | None, *, actor: str,
               device: str | None = None) -> HeadsRead:
    indexed = recorded.indexed_files()
    named = [code.strip().upper() for code in tapes or () if code.strip()]
    wanted = {barcode: indexed.get(barcode, []) for barcode in named} if named else indexed
    found = HeadsRead()
    if not wanted:
        return found
    spec = device or ""
    try:
        spec = device_spec(deps.settings, device)
        drive = deps.ledger.find_drive(deps.settings.host_name, spec)
        if drive is not None and drive.reserved_by:
            found.skipped.append(TapeNote("", NOTES["busy"].format(job=drive.reserved_by)))
            return found
        with open_session(deps, spec, actor) as session:
            readings = read_tape_indexes(session, wanted)
    except (TafError, OSError) as error:
        shown = error.text if isinstance(error, TafError) else str(error)
        found.skipped.append(TapeNote("", NOTES["no_device"].format(device=spec or "—", error=shown)))
        return found
    found.read = readings.read
    found.skipped = [TapeNote(barcode, why) for barcode, why in readings.skipped]
    for reading in readings.readings:
        if reading.index is None:
            problem = missing_index(recorded, reading.barcode, reading.label_sequence, reading.tape_file)
            if problem is not None:
                found.problems.append(problem)
            continue
        found.claims.append(tape_claim(recorded, reading.barcode, reading.label_sequence, reading.tape_file,
                                       reading.index.chain_head, _moment(reading.index.written_at)))
    return found


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.astimezone()
