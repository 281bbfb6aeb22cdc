"""Tape acts on one drive, each recorded in the ledger with the acting user.

load / unload (Cartridge.Loaded/Unloaded + Drive.CartridgeLoaded/Unloaded, one atomic save),
label (Cartridge.Labelled), erase (Cartridge.Erased, refused by the domain while the cartridge
holds an active group; its progress published as job `erase-<barcode>`), health
(Cartridge.HealthRecorded), plus rewind and status, which change nothing worth a ledger entry.
Every record goes through a `Ledger` verb. SCSI failures reach the ledger on their own, through
the session's command-log hook. Every refusal happens before the tape or the ledger is touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, replace
from importlib import metadata

from kernel.progress import ERASE, Observer, ProgressBoard
from ledger import clock
from ledger.rules import locations
from ledger.rules.cartridge_text import DEFAULT_POOL, pool_text
from media.cartridges import ensure_cartridge, volume_serial_of
from media.devices import DeviceSession
from media.errors import BadInput, NotFound, Refused
from media.results import DriveReport, Erased, Labelled, Loaded, MediumView, Rewound, Unloaded
from notify.outbox import deliver_now, notify_event
from tape import drive_mam, volume_io
from tape.drive_health import HealthSnapshot
from tape.drive_messages import text
from tape.drive_ready import StateCallback, becoming_ready_state
from tape.drive_types import MediumInfo, ReadyKind
from tape.scsi import cdb
from tape.scsi.errors import LoadRequired, NoMedium, NotReadyBecoming, TapeError
from tape.volume import MIN_BLOCK_SIZE, Label
from tape.volume_errors import WriteProtectedTape
from tape.volume_io import VolumeKind

Ask = Callable[[str], str]
log = logging.getLogger("taf.media")


def program_version() -> str:
    try:
        return metadata.version("taf")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _medium_view(session: DeviceSession, medium: MediumInfo) -> MediumView:
    position = medium.position
    return MediumView(
        barcode=session.barcode(medium), medium_serial=medium.serial, medium_type=f"{medium.medium_type:02X}h",
        generation=medium.generation, worm=medium.worm, write_protected=medium.write_protected,
        compression=medium.compression, block=position.block if position else None,
        file=position.file if position else None,
        beyond_early_warning=bool(position and position.beyond_early_warning), mam=medium.mam,
    )


def _require_barcode(session: DeviceSession, medium: MediumInfo, given: str | None = None) -> str:
    barcode = (given or session.barcode(medium) or "").strip().upper()
    if not barcode:
        raise Refused("无法确定驱动器中磁带的条码", "请用 --barcode 指定（单机驱动器没有条码阅读器）")
    return barcode


def _confirmed(code: str, confirm: str | None, ask: Ask | None, prompt: str, needed: str, advice: str) -> None:
    """The barcode typed back (`confirm`, else asked through `ask`), or a refusal that changed nothing:
    `needed` (why the barcode is asked for) when nothing was typed — no answer, an empty line — and
    "does not match" only when something else was typed."""
    typed = (confirm if confirm is not None else (ask(prompt) if ask else "")) or ""
    if not typed.strip():
        raise Refused(f"{needed}，未做任何改动", advice)
    if typed.strip().upper() != code:
        raise Refused(f"确认条码不符，未做任何改动（需要输入 {code}）", advice)


# -- load and unload --------------------------------------------------------------------------------


def load(session: DeviceSession, barcode: str, on_state: StateCallback | None = None) -> Loaded:
    changer = session.changer
    if changer is None:
        entry = text("no_changer")
        raise Refused(entry.message, entry.advice)
    barcode = barcode.strip().upper()
    inventory = changer.inventory()
    if inventory.find(barcode) is None:
        raise NotFound(f"带库中找不到条码为 {barcode} 的磁带", "请用 vtl list 查看带库中的磁带，或先用 vtl insert 放入")
    element = changer.drive_element(session.drive, inventory)
    previous = element.barcode if element.full and element.barcode != barcode else None
    medium = changer.load(barcode, session.drive, on_state=on_state)
    ledger, by, device = session.ledger, session.actor, session.spec
    put_back = ""
    if previous:
        after = changer.inventory()
        found = after.find(previous)
        put_back = after.describe(found) if found else ""
        ensure_cartridge(ledger, previous, None, location=locations.drive(device), by=by)
    ensure_cartridge(ledger, barcode, medium, location=locations.drive(device), by=by)
    ledger.cartridge_loaded(session.host, device, barcode, by=by, replacing=previous, replaced_to=put_back)
    return Loaded(barcode, device, previous, _medium_view(session, medium))


def _not_while_optimising(session: DeviceSession) -> None:
    """Refuse at once, rather than wait up to two hours, to take out a cartridge being calibrated."""
    drive = session.drive
    try:
        drive.command(cdb.test_unit_ready(), retry=False)
    except NotReadyBecoming as waiting:
        state = becoming_ready_state(waiting, drive.policy)
        if state.kind is ReadyKind.OPTIMISING:
            raise Refused(f"{state.message}，期间不能卸带",
                          "介质优化不能中断，完成后驱动器自动就绪；可用 drive status 查看") from None
    except TapeError:
        return  # anything else is the mount's to handle, as before


def unload(session: DeviceSession) -> Unloaded:
    drive, changer = session.drive, session.changer
    _not_while_optimising(session)
    try:
        medium: MediumInfo | None = session.mount()
    except (NoMedium, LoadRequired):
        medium = None
    barcode = session.barcode(medium) if medium is not None else None
    if changer is not None:
        inventory = changer.inventory()
        element = changer.drive_element(drive, inventory)
        if not element.full:
            raise Refused("驱动器中没有磁带", "无需卸带")
        barcode = barcode or element.barcode
        destination = changer.unload(drive, inventory)
        location = inventory.describe(destination) if destination is not None else ""
    else:
        if medium is None:
            raise Refused("驱动器中没有已装载的磁带", "无需卸带")
        drive.unload()
        location = locations.ejected_from(session.spec)
    if not barcode:
        return Unloaded(None, location, locations.location_text(location))
    ledger, by = session.ledger, session.actor
    ensure_cartridge(ledger, barcode, medium, location=location, by=by)
    ledger.cartridge_unloaded(session.host, session.spec, barcode, location=location, by=by)
    return Unloaded(barcode, location, locations.location_text(location))


def rewind(session: DeviceSession) -> Rewound:
    session.mount()
    session.drive.rewind()
    position = session.drive.read_position()
    return Rewound(session.barcode(), position.block, position.file)


def status(session: DeviceSession) -> DriveReport:
    """What the drive is doing, without moving the tape."""
    drive = session.drive
    identity = drive.identify()

    def report(state: str, said: str, medium: MediumView | None = None, minutes: int | None = None) -> DriveReport:
        advice = text("state_optimising", minutes=minutes).advice if state == ReadyKind.OPTIMISING.value else ""
        return DriveReport(session.spec, identity.vendor, identity.product, identity.revision, identity.serial,
                           state, said, medium, minutes, advice)

    try:
        medium = drive.refresh_medium()
    except NoMedium:
        return report("empty", "驱动器中没有磁带")
    except LoadRequired:
        return report("unloaded", "磁带已插入但未装载")
    except NotReadyBecoming as waiting:
        # Loading, or calibrating a new LTO-9 cartridge: a state with an estimate, not an error.
        state = becoming_ready_state(waiting, drive.policy)
        return report(state.kind.value, state.message, minutes=state.remaining_minutes)
    return report("ready", "已就绪", _medium_view(session, medium))


# -- label, erase, health ---------------------------------------------------------------------------


def label(session: DeviceSession, *, block_size: int, pool: str | None = None, barcode: str | None = None,
          force: bool = False, confirm: str | None = None, ask: Ask | None = None) -> Labelled:
    """Write a TAF label at BOT (format v1), mirror it into MAM, record Cartridge.Labelled.

    Only a blank tape is labelled unasked. One that already has a TAF label needs `force`; a foreign
    tape or one holding data also needs the barcode typed back (`confirm`, or asked through `ask`);
    a write-protected or used WORM cartridge, or one the ledger says still holds an active backup
    group, is refused outright. The cartridge keeps its pool unless `pool` names another.
    """
    medium = session.mount()
    limit = medium.block_limits.max_block_length if medium.block_limits else 0
    if block_size < MIN_BLOCK_SIZE or (limit and block_size > limit):
        raise BadInput(f"块大小 {block_size} 字节不可用", f"请在 {MIN_BLOCK_SIZE} 到 {limit or '驱动器上限'} 字节之间选择，"
                                                          "通常为 256K、512K 或 1M")
    code = _require_barcode(session, medium, barcode)
    ledger, by = session.ledger, session.actor
    cartridge = ensure_cartridge(ledger, code, medium, location=locations.drive(session.spec), by=by)
    cartridge.check_usable("贴标签")
    held = ledger.active_groups_on(cartridge)
    if held:
        # Relabelling truncates the tape at BOT: the same interlock as an erase, --force or not.
        raise Refused(f"拒绝重新贴标签磁带 {code}：它仍保存活动备份组 {'、'.join(held)}",
                      "等这些备份组轮换出活动集后再重新使用这盘磁带")
    if medium.write_protected:
        raise WriteProtectedTape(barcode=code)
    drive = session.drive
    before = volume_io.inspect(drive)
    if not medium.worm:  # a used WORM cartridge is refused by write_label, forced or not
        _may_relabel(code, before, force=force, confirm=confirm, ask=ask)
    pool = pool or cartridge.pool or DEFAULT_POOL
    volser = volume_serial_of(code)
    sequence = cartridge.label_sequence + 1
    tape_label = Label(volume_serial=volser, barcode=code, pool=pool,
                       labelled_at=clock.now().isoformat(timespec="seconds"), label_sequence=sequence,
                       block_size=block_size, ledger_id=str(cartridge.id), program_version=program_version())
    identity = drive_mam.MamIdentity(code, volser, sequence, pool, session.host, program_version())
    with drive.removal_prevented():
        volume_io.write_label(drive, tape_label, identity, force=force)
    ledger.label_cartridge(code, volume_serial=volser, pool=pool, block_size=block_size, by=by)
    return Labelled(code, volser, sequence, pool, block_size, before.kind.value,
                    asdict(before.label) if before.label else None)


def _may_relabel(code: str, before: volume_io.VolumeState, *, force: bool, confirm: str | None,
                 ask: Ask | None) -> None:
    """Refuse, changing nothing, to label over anything but a blank tape unasked: a TAF label needs
    `force` (relabelling starts the cartridge afresh); a foreign tape or one holding data also needs
    the barcode typed back."""
    if before.kind is VolumeKind.BLANK:
        return
    if before.kind is VolumeKind.TAF and not before.holds_data:
        if not force:
            old = before.label
            raise Refused(f"磁带 {code} 已有 TAF 标签 {old.volume_serial if old else ''}"
                          f"（第 {old.label_sequence if old else '?'} 次，池 {pool_text(old.pool) if old else '—'}），"
                          "重新贴标签未执行", "确需重新贴标签请加 --force（池不变，除非用 --pool 指定）")
        return
    if force:  # without it, write_label itself refuses (ForeignTape, TapeHoldsData)
        _confirmed(code, confirm, ask, f"请输入条码 {code} 以确认清除这盘磁带：",
                   f"磁带 {code} 上{'是其它系统的数据' if before.kind is VolumeKind.FOREIGN else '已有数据'}，"
                   f"重新贴标签前需要再次输入条码 {code} 确认",
                   f"请核对磁带条码后重试，或加 --confirm {code}")


def erase(session: DeviceSession, *, long: bool, progress: Observer | None = None,
          confirm: str | None = None, ask: Ask | None = None, require_confirmation: bool = True,
          reason: str = "") -> Erased:
    """Rewind and erase the whole cartridge; the domain refuses first if it holds an active group.

    A cartridge that holds packages is erased only after its barcode is typed back (`confirm`, or
    asked through `ask`), unless the caller is the automatic erase of an expired cartridge. How far
    the drive is goes on the progress board `erase-<barcode>`; `progress` is told of each step the
    drive reports, and of the end.
    """
    medium = session.mount()
    code = _require_barcode(session, medium)
    ledger, by = session.ledger, session.actor
    cartridge = ensure_cartridge(ledger, code, medium, location=locations.drive(session.spec), by=by)
    mode = "long" if long else "short"
    held_before = list(cartridge.groups)
    # The interlock, asked of this copy before the tape is touched; the ledger asks again when it records.
    cartridge.erase(mode, active_groups=ledger.active_groups_on(cartridge), by=by)
    if medium.write_protected:
        raise WriteProtectedTape(barcode=code)
    if require_confirmation and held_before:
        _confirmed(code, confirm, ask, f"磁带 {code} 上有备份数据，请输入条码确认擦除：",
                   f"磁带 {code} 上有备份数据，擦除前需要再次输入条码 {code} 确认",
                   f"请在提示时输入条码，或加 --confirm {code}")
    drive = session.drive
    progress_id = f"erase-{code}"
    board = ProgressBoard(session.services.progress if session.services else None, progress_id, ERASE)
    with board.running(phase="erase", current_cartridge=code):
        board.observer = progress
        with drive.removal_prevented():
            drive.rewind()
            drive.erase(long=long, progress=lambda fraction: board.update(device_fraction=fraction))
            drive.write_attributes(drive_mam.cleared_label())
        erased = ledger.erase_cartridge(code, mode, by=by)
    _notify_erased(session, code, mode, held_before, reason or "手动擦除")
    return Erased(code, mode, erased.label_sequence, progress_id)


def _notify_erased(session: DeviceSession, barcode: str, mode: str, groups: list[str], reason: str) -> None:
    if session.services is None:
        return
    try:
        queued = notify_event(session.services, "erase_done",
                              {"cartridge": barcode, "mode": "长擦除" if mode == "long" else "快速擦除",
                               "erased_at": clock.now(), "groups": groups, "reason": reason},
                              cause=f"erase:{barcode}:{clock.now():%Y-%m-%dT%H:%M:%S}")
    except Exception:  # a notification problem never undoes an erase that happened
        log.exception("擦除通知排队失败")
        return
    deliver_now(session.services, clock.now(), queued)  # at once, not only when a worker next runs


def health(session: DeviceSession) -> HealthSnapshot:
    """The drive's and the cartridge's health (TapeAlert explained in Chinese), recorded on the cartridge."""
    medium = session.mount()
    code = _require_barcode(session, medium)
    snapshot = replace(session.drive.health(), barcode=code)
    ledger, by = session.ledger, session.actor
    ensure_cartridge(ledger, code, medium, location=locations.drive(session.spec), by=by)
    ledger.record_health(code, snapshot.to_dict(), by=by)
    return snapshot
