"""Recovery from tapes alone (B2): rebuild the ledger's knowledge of what the tapes hold.

For every cartridge in the library (each loaded by the robot in turn) — or the one cartridge in a
standalone drive — read the label, every package header and manifest (`scan_packages`, which needs
no index) and the last tape index, then record what the ledger does not know yet:

- the cartridge (Cartridge.Registered) and its labelling with the sequence read from the label
  (Cartridge.Labelled),
- each complete package with its positions and manifest (Cartridge.PackageWritten), which fills
  the catalog exactly as the backup that wrote it did,
- each backup group seen (BackupGroup.Opened, CartridgeAdded),
- the tape index (Cartridge.IndexWritten) when it follows the last package.

Idempotent: what the ledger already knows (same label sequence, same package id) is left alone,
so running it twice records nothing new the second time. A cartridge whose label is older than
the ledger's record of it (erased or relabelled since) is skipped with a warning.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.domain import BackupGroup, Cartridge
from ledger.domain.group import check_group_name
from ledger.errors import InvalidValue
from media import operations
from media.cartridges import ensure_cartridge
from media.devices import DeviceSession
from media.errors import MediaError
from restore import messages
from tape import volume_io
from tape.drive_types import MediumInfo
from tape.scsi.errors import TapeError
from tape.volume import Label, TapeIndex
from tape.volume_errors import ForeignTape, VolumeError

Say = Callable[[str], None]


@dataclass
class CartridgeFindings:
    barcode: str
    label_sequence: int = 0
    packages: int = 0
    new_packages: int = 0
    registered: bool = False
    chain_head: str = ""
    skipped: str = ""


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


def recover_from_tapes(services: Any, session: DeviceSession, *, actor: str, say: Say | None = None) -> Recovery:
    recovery = Recovery()
    tell = say or (lambda _message: None)
    changer = session.changer
    if changer is None:
        medium = session.mount()
        barcode = session.barcode(medium) or ""
        _read_cartridge(services, session, medium, barcode, recovery, actor, tell, _unknown(services, barcode))
    else:
        inventory = changer.inventory()
        drive_element = changer.drive_element(session.drive, inventory)
        was_empty = not drive_element.full
        elements = [drive_element, *inventory.slots, *inventory.ie_slots]
        barcodes = [e.barcode for e in elements if e.full and e.barcode and not _cleaning(e.barcode)]
        for barcode in dict.fromkeys(barcodes):
            unknown = _unknown(services, barcode)  # before loading, which registers it
            operations.load(session, barcode)
            medium = session.mount()
            _read_cartridge(services, session, medium, barcode, recovery, actor, tell, unknown)
        if was_empty and barcodes:
            with contextlib.suppress(MediaError, TapeError):
                operations.unload(session)
    if not recovery.cartridges and not recovery.blank:
        recovery.warnings.append(messages.text("recover_no_tape"))
    services.projector.catch_up()
    recovery.files = services.catalog.count()
    return recovery


def _unknown(services: Any, barcode: str) -> bool:
    return not barcode or services.ledger.find(Cartridge, Cartridge.create_id(barcode.strip().upper())) is None


def _cleaning(barcode: str) -> bool:
    code = barcode.strip().upper()
    return code.startswith("CLN") or code.endswith("CU")


def _read_cartridge(services: Any, session: DeviceSession, medium: MediumInfo, barcode: str,
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
    findings = CartridgeFindings(barcode, label.label_sequence)
    recovery.cartridges.append(findings)
    scanned = volume_io.scan_packages(drive)
    index, index_file, index_block = _last_index(session)
    findings.chain_head = index.chain_head if index else ""
    ledger = services.ledger
    findings.registered = unknown
    cartridge = ensure_cartridge(ledger, barcode, medium, location=f"drive:{session.spec}", by=actor)
    if cartridge.label_sequence > label.label_sequence:
        findings.skipped = messages.text("recover_older_label", barcode=barcode, tape=label.label_sequence,
                                         ledger=cartridge.label_sequence)
        recovery.warnings.append(findings.skipped)
        return
    if cartridge.label_sequence < label.label_sequence:
        _labelled(cartridge, label, actor)
    known = set(cartridge.packages)
    groups: dict[str, BackupGroup] = {}
    for package in scanned:
        positions = package.positions
        if not package.complete:
            recovery.warnings.append(messages.text("recover_incomplete", barcode=barcode, package=positions.package_id))
            continue
        findings.packages += 1
        header = positions.header
        group = str(header.get("group", ""))
        if group and group not in groups:
            opened = _group(ledger, group, positions.package_id, recovery, actor)
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
        findings.new_packages += 1
    if index is not None:
        found = {p.positions.package_id for p in scanned}
        for entry in index.packages:
            if entry.package_id not in found:
                recovery.warnings.append(messages.text("recover_index_missing", barcode=barcode,
                                                       package=entry.package_id))
        if index_file >= cartridge.next_tape_file and not cartridge.index_written:
            cartridge.record_index(tape_file=index_file, block=index_block, packages=len(index.packages),
                                   chain_head=index.chain_head)
    for aggregate in groups.values():
        aggregate.add_cartridge(barcode)
    ledger.save(*groups.values(), cartridge)
    tell(messages.text("recover_cartridge", barcode=barcode, sequence=label.label_sequence,
                       packages=findings.packages, new=findings.new_packages))


def _labelled(cartridge: Cartridge, label: Label, actor: str) -> None:
    # The label names its own sequence; `Cartridge.label()` would count one up from the ledger's,
    # which knows nothing of this tape's history. The event itself is the same one a labelling records.
    cartridge._labelled(volume_serial=label.volume_serial, label_sequence=label.label_sequence, pool=label.pool,
                        block_size=label.block_size, by=actor)


def _group(ledger: Any, name: str, package_id: str, recovery: Recovery, actor: str) -> BackupGroup | None:
    try:
        check_group_name(name)
    except InvalidValue:
        recovery.warnings.append(messages.text("recover_bad_group", package=package_id, group=name))
        return None
    group = ledger.find_group(name)
    if group is None:
        group = BackupGroup(name=name, by=actor)
        recovery.groups_opened.append(name)
    return group


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
