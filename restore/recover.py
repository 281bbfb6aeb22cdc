"""Recovery from tapes alone (B2): rebuild the ledger's knowledge of what the tapes hold.

For every cartridge in the library (each loaded by the robot in turn) — or the one cartridge in a
standalone drive — read the label, every package header and manifest (`scan_packages`, which needs
no index) and the last tape index, then record what the ledger does not know yet:

- the cartridge (Cartridge.Registered) and its labelling with the sequence read from the label
  (Cartridge.Labelled),
- each complete package with its positions and manifest (Cartridge.PackageWritten and its
  PackageManifest), which fills the catalog exactly as the backup that wrote it did — recorded as
  the tape is read, a few hundred thousand entries a save, so a tape's manifests are never held at once,
- each backup group seen (BackupGroup.Opened, CartridgeAdded),
- the tape index (Cartridge.IndexWritten) when it follows the last package.

Idempotent: what the ledger already knows (same label sequence, same package id) is left alone,
so running it twice records nothing new the second time. A cartridge whose label is older than
the ledger's record of it (erased or relabelled since) is skipped with a warning.

How far it is (cartridges read, packages found) is published as job `catalog-rebuild`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kernel.progress import REBUILD, ProgressBoard
from ledger.application import Ledger
from ledger.domain import BackupGroup, Cartridge
from ledger.domain.base import TafAggregate
from ledger.domain.group import check_group_name
from ledger.errors import InvalidValue
from media import operations
from media.cartridges import ensure_cartridge
from media.devices import DeviceSession
from media.errors import MediaError
from restore import messages
from restore.ports import RecoveryServices
from tape import volume_io
from tape.drive_types import MediumInfo
from tape.scsi.errors import TapeError
from tape.volume import Label, TapeIndex
from tape.volume_errors import ForeignTape, VolumeError
from tape.volume_packages import ScannedPackage

Say = Callable[[str], None]
PROGRESS_ID = "catalog-rebuild"


@dataclass(frozen=True)
class CartridgeFindings:
    """What one cartridge's tape told the ledger."""

    barcode: str
    label_sequence: int = 0
    packages: int = 0
    new_packages: int = 0  # recorded now; the ledger knew the rest
    registered: bool = False  # the ledger had never seen the cartridge
    chain_head: str = ""  # the ledger's hash-chain head its last tape index recorded
    skipped: str = ""  # why it was left alone, if it was


@dataclass
class Recovery:
    cartridges: list[CartridgeFindings] = field(default_factory=list)
    groups_opened: list[str] = field(default_factory=list)
    blank: list[str] = field(default_factory=list)  # scratch cartridges: nothing to learn, nothing wrong
    warnings: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def registered(self) -> int:
        return sum(1 for c in self.cartridges if c.registered)

    @property
    def new_packages(self) -> int:
        return sum(c.new_packages for c in self.cartridges)

    def to_dict(self) -> dict[str, Any]:
        return {"cartridges": [c.__dict__ for c in self.cartridges], "groups_opened": self.groups_opened,
                "registered": self.registered, "new_packages": self.new_packages, "files": self.files,
                "blank": self.blank, "warnings": self.warnings}

    @property
    def text(self) -> str:
        return messages.text("recover_summary", cartridges=len(self.cartridges), registered=self.registered,
                             packages=self.new_packages, groups=len(self.groups_opened), files=self.files)


def recover_from_tapes(services: RecoveryServices, session: DeviceSession, *, actor: str, say: Say | None = None) -> Recovery:
    board = ProgressBoard(services.progress, PROGRESS_ID, REBUILD)
    with board.running(phase="load"):
        return _recover(services, session, actor, say or (lambda _message: None), board)


def _recover(services: RecoveryServices, session: DeviceSession, actor: str, say: Say, board: ProgressBoard) -> Recovery:
    recovery = Recovery()

    def tell(message: str) -> None:
        say(message)
        board.update(message=message)

    def read(medium: MediumInfo, barcode: str, unknown: bool) -> None:
        board.update(phase="read", current_cartridge=barcode)
        _read_cartridge(services, session, medium, barcode, recovery, actor, tell, unknown)
        board.update(cartridges_done=board.state.cartridges_done + 1,
                     packages_read=sum(c.packages for c in recovery.cartridges))

    changer = session.changer
    if changer is None:
        board.update(cartridges_total=1)
        medium = session.mount()
        barcode = session.barcode(medium) or ""
        read(medium, barcode, _unknown(services, barcode))
    else:
        inventory = changer.inventory()
        drive_element = changer.drive_element(session.drive, inventory)
        was_empty = not drive_element.full
        elements = [drive_element, *inventory.slots, *inventory.ie_slots]
        barcodes = list(dict.fromkeys(e.barcode for e in elements if e.full and e.barcode and not _cleaning(e.barcode)))
        board.update(cartridges_total=len(barcodes))
        for barcode in barcodes:
            unknown = _unknown(services, barcode)  # before loading, which registers it
            board.update(phase="load", current_cartridge=barcode)
            operations.load(session, barcode)
            read(session.mount(), barcode, unknown)
        if was_empty and barcodes:
            with contextlib.suppress(MediaError, TapeError):
                operations.unload(session)
    if not recovery.cartridges and not recovery.blank:
        recovery.warnings.append(messages.text("recover_no_tape"))
    board.update(phase="catalog")
    services.projector.catch_up()
    recovery.files = services.catalog.count()
    return recovery


def _unknown(services: RecoveryServices, barcode: str) -> bool:
    return not barcode or services.ledger.find(Cartridge, Cartridge.create_id(barcode.strip().upper())) is None


def _cleaning(barcode: str) -> bool:
    code = barcode.strip().upper()
    return code.startswith("CLN") or code.endswith("CU")


def _read_cartridge(services: RecoveryServices, session: DeviceSession, medium: MediumInfo, barcode: str,
                    recovery: Recovery, actor: str, tell: Say, unknown: bool) -> None:
    drive = session.drive
    try:
        label = volume_io.read_label(drive)
    except ForeignTape:
        recovery.warnings.append(messages.text("recover_foreign", barcode=barcode or "（无条码）"))
        return
    if label is None:
        recovery.blank.append(barcode)
        tell(messages.text("recover_blank", barcode=barcode or "（无条码）"))
        return
    barcode = (barcode or label.barcode).strip().upper()
    cartridge: Cartridge | None = ensure_cartridge(services.ledger, barcode, medium,
                                                   location=f"drive:{session.spec}", by=actor)
    found = _Found()
    # Package by package as the tape is read, in saves of at most RECORD_ENTRIES entries: a tape's
    # manifests are never held at once (issue 18). Each save is whole; a second run records the rest.
    for batch in _batches(volume_io.iter_packages(drive)):
        found.add(services.ledger, _Recording(services.ledger, barcode, cartridge, label, batch, NO_INDEX,
                                              actor, found.seen))
        cartridge = None
        if found.skipped:
            break
    index = NO_INDEX if found.skipped else _last_index(session)
    if not found.skipped:
        found.add(services.ledger, _Recording(services.ledger, barcode, cartridge, label, [], index, actor,
                                              found.seen))
    recovery.cartridges.append(CartridgeFindings(barcode, label.label_sequence, found.packages, found.new_packages,
                                                 unknown, index[0].chain_head if index[0] else "", found.skipped))
    recovery.warnings.extend(found.warnings)
    recovery.groups_opened.extend(found.groups_opened)
    if not found.skipped:
        tell(messages.text("recover_cartridge", barcode=barcode, sequence=label.label_sequence,
                           packages=found.packages, new=found.new_packages))


# Manifest entries recorded per save while a tape is read (a few hundred MB of manifests at most).
RECORD_ENTRIES = 200_000
NO_INDEX: tuple[TapeIndex | None, int, int] = (None, 0, 0)


def _batches(scanned: Iterable[ScannedPackage], entries: int | None = None) -> Iterator[list[ScannedPackage]]:
    """The scanned packages in runs of at most `entries` manifest entries (a bigger one alone)."""
    limit = RECORD_ENTRIES if entries is None else entries
    batch: list[ScannedPackage] = []
    held = 0
    for package in scanned:
        if batch and held + len(package.manifest) > limit:
            yield batch
            batch, held = [], 0
        batch.append(package)
        held += len(package.manifest)
    if batch:
        yield batch


@dataclass
class _Found:
    """What the saves of one cartridge recorded, added up."""

    packages: int = 0
    new_packages: int = 0
    skipped: str = ""
    warnings: list[str] = field(default_factory=list)
    groups_opened: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # every package id read so far, for the index check

    def add(self, ledger: Ledger, recording: _Recording) -> None:
        ledger.change(recording, what=f"磁带 {recording.barcode}")
        self.packages += recording.packages
        self.new_packages += recording.new_packages
        self.skipped = recording.skipped
        self.warnings.extend(recording.warnings)
        self.groups_opened.extend(recording.groups_opened)


class _Recording:
    """What part of one cartridge's tape says, recorded in the ledger in one save: its labelling,
    each complete package of `scanned` that the ledger does not know, the groups seen, and (the
    last save, given it) its tape index.

    Called by `Ledger.change`, again on fresh copies if another process saved meanwhile; what it
    learns (counts, warnings) is therefore worked out anew on each call.
    """

    def __init__(self, ledger: Ledger, barcode: str, cartridge: Cartridge | None, label: Label,
                 scanned: list[ScannedPackage], index: tuple[TapeIndex | None, int, int], actor: str,
                 seen: set[str]) -> None:
        self.ledger = ledger
        self.barcode = barcode
        self.label = label
        self.scanned = scanned
        self.index = index
        self.actor = actor
        self.seen = seen
        # The copy just read, used by the first call only.
        self._loaded: list[Cartridge] = [cartridge] if cartridge is not None else []
        self.skipped = ""
        self.packages = self.new_packages = 0
        self.warnings: list[str] = []
        self.groups_opened: list[str] = []

    def __call__(self) -> tuple[TafAggregate, ...] | None:
        self.skipped, self.packages, self.new_packages = "", 0, 0
        self.warnings, self.groups_opened = [], []
        cartridge = self._loaded.pop() if self._loaded else self.ledger.cartridge(self.barcode)
        label, barcode = self.label, self.barcode
        if cartridge.label_sequence > label.label_sequence:
            self.skipped = messages.text("recover_older_label", barcode=barcode, tape=label.label_sequence,
                                         ledger=cartridge.label_sequence)
            self.warnings.append(self.skipped)
            return None
        if cartridge.label_sequence < label.label_sequence:
            _labelled(cartridge, label, self.actor)
        groups = self._packages(cartridge)
        self._index(cartridge)
        for aggregate in groups.values():
            aggregate.add_cartridge(barcode)
        return (*groups.values(), cartridge)

    def _packages(self, cartridge: Cartridge) -> dict[str, BackupGroup]:
        known = set(cartridge.packages)
        groups: dict[str, BackupGroup] = {}
        for package in self.scanned:
            positions = package.positions
            self.seen.add(positions.package_id)
            if not package.complete:
                self.warnings.append(messages.text("recover_incomplete", barcode=self.barcode,
                                                   package=positions.package_id))
                continue
            self.packages += 1
            header = positions.header
            group = str(header.get("group", ""))
            if group and group not in groups:
                opened = self._group(group, positions.package_id)
                if opened is not None:
                    groups[group] = opened
            if positions.package_id in known:
                continue
            cartridge.record_package(
                job_id=str(header.get("job_id", "")), package_id=positions.package_id, group=group,
                sequence=int(header.get("sequence", 0)), tape_file=positions.tape_file,
                header_block=positions.header_block, payload_block=positions.payload_block,
                payload_blocks=positions.payload_blocks, payload_bytes=positions.payload_bytes,
                payload_sha256=positions.payload_sha256, compression=str(header.get("compression", "")),
                manifest=package.manifest, extra={**dict(header.get("extra") or {}), "recovered_from_tape": True})
            known.add(positions.package_id)
            self.new_packages += 1
        return groups

    def _index(self, cartridge: Cartridge) -> None:
        index, index_file, index_block = self.index
        if index is None:
            return
        for entry in index.packages:
            if entry.package_id not in self.seen:
                self.warnings.append(messages.text("recover_index_missing", barcode=self.barcode,
                                                   package=entry.package_id))
        if index_file >= cartridge.next_tape_file and not cartridge.index_written:
            cartridge.record_index(tape_file=index_file, block=index_block, packages=len(index.packages),
                                   chain_head=index.chain_head)

    def _group(self, name: str, package_id: str) -> BackupGroup | None:
        try:
            check_group_name(name)
        except InvalidValue:
            self.warnings.append(messages.text("recover_bad_group", package=package_id, group=name))
            return None
        group = self.ledger.find_group(name)
        if group is None:
            group = BackupGroup(name=name, by=self.actor)
            self.groups_opened.append(name)
        return group


def _labelled(cartridge: Cartridge, label: Label, actor: str) -> None:
    # The label names its own sequence; `Cartridge.label()` would count one up from the ledger's,
    # which knows nothing of this tape's history. The event itself is the same one a labelling records.
    cartridge._labelled(volume_serial=label.volume_serial, label_sequence=label.label_sequence, pool=label.pool,
                        block_size=label.block_size, by=actor)


def _last_index(session: DeviceSession) -> tuple[TapeIndex | None, int, int]:
    """The last tape index and where it starts (tape file, first block); (None, 0, 0) without one."""
    drive = session.drive
    try:
        index = volume_io.read_index(drive)
    except (VolumeError, TapeError):
        return None, 0, 0
    if index is None:
        return None, 0, 0
    tape_file = drive.read_position().file or 0
    drive.locate_file(tape_file)
    return index, tape_file, drive.read_position().block or 0
