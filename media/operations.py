"""Tape acts on one drive, each recorded in the ledger with the acting user.

load / unload (Cartridge.Loaded/Unloaded + Drive.CartridgeLoaded/Unloaded, one atomic save),
label (Cartridge.Labelled), erase (Cartridge.Erased, refused by the domain while the cartridge
holds an active group), health (Cartridge.HealthRecorded), plus rewind and status, which change
nothing worth a ledger entry. SCSI failures reach the ledger on their own, through the session's
command-log hook. Every refusal happens before the tape or the ledger is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from importlib import metadata
from typing import Any

from ledger import clock
from media.cartridges import active_groups_on, ensure_cartridge, volume_serial_of
from media.devices import DeviceSession
from media.errors import BadInput, NotFound, Refused
from tape import drive_mam, volume_io
from tape.drive_messages import text
from tape.drive_ready import StateCallback
from tape.drive_types import MediumInfo
from tape.scsi.errors import LoadRequired, NoMedium, NotReadyBecoming
from tape.volume import MIN_BLOCK_SIZE, Label
from tape.volume_errors import ForeignTape, TapeHoldsData, WriteProtectedTape

Ask = Callable[[str], str]


def program_version() -> str:
    try:
        return metadata.version("taf")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def _medium_row(session: DeviceSession, medium: MediumInfo) -> dict[str, Any]:
    position = medium.position
    return {
        "barcode": session.barcode(medium), "medium_serial": medium.serial, "medium_type": f"{medium.medium_type:02X}h",
        "generation": medium.generation, "worm": medium.worm, "write_protected": medium.write_protected,
        "compression": medium.compression, "block": position.block if position else None,
        "file": position.file if position else None,
        "beyond_early_warning": bool(position and position.beyond_early_warning),
        "mam": medium.mam,
    }


def _require_barcode(session: DeviceSession, medium: MediumInfo, given: str | None = None) -> str:
    barcode = (given or session.barcode(medium) or "").strip().upper()
    if not barcode:
        raise Refused("无法确定驱动器中磁带的条码", "请用 --barcode 指定（单机驱动器没有条码阅读器）")
    return barcode


# -- load and unload --------------------------------------------------------------------------------


def load(session: DeviceSession, barcode: str, on_state: StateCallback | None = None) -> dict[str, Any]:
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
    home = inventory.describe(element) if previous else ""
    medium = changer.load(barcode, session.drive, on_state=on_state)
    ledger, by, device = session.ledger, session.actor, session.spec
    changed: list[Any] = []
    aggregate = session.drive_aggregate()
    if previous:
        after = changer.inventory()
        found = after.find(previous)
        old = ensure_cartridge(ledger, previous, None, location=home, by=by)
        old.unloaded(drive=device, location=after.describe(found) if found else "", by=by)
        aggregate.cartridge_unloaded(barcode=previous, by=by)
        changed.append(old)
    cartridge = ensure_cartridge(ledger, barcode, medium, location=f"drive:{device}", by=by)
    cartridge.loaded(drive=device, by=by)
    aggregate.cartridge_loaded(barcode=barcode, by=by)
    ledger.save(aggregate, cartridge, *changed)
    return {"ok": True, "barcode": barcode, "drive": device, "unloaded": previous, **_medium_row(session, medium)}


def unload(session: DeviceSession) -> dict[str, Any]:
    drive, changer = session.drive, session.changer
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
        location = f"drive:{session.spec}:ejected"
    if not barcode:
        return {"ok": True, "barcode": None, "location": location}
    ledger, by = session.ledger, session.actor
    cartridge = ensure_cartridge(ledger, barcode, medium, location=location, by=by)
    cartridge.unloaded(drive=session.spec, location=location, by=by)
    aggregate = session.drive_aggregate()
    aggregate.cartridge_unloaded(barcode=barcode, by=by)
    ledger.save(aggregate, cartridge)
    return {"ok": True, "barcode": barcode, "location": location}


def rewind(session: DeviceSession) -> dict[str, Any]:
    session.mount()
    session.drive.rewind()
    position = session.drive.read_position()
    return {"ok": True, "barcode": session.barcode(), "block": position.block, "file": position.file}


def status(session: DeviceSession) -> dict[str, Any]:
    """What the drive is doing, without moving the tape."""
    drive = session.drive
    identity = drive.identify()
    row: dict[str, Any] = {"device": session.spec, "vendor": identity.vendor, "product": identity.product,
                           "revision": identity.revision, "serial": identity.serial}
    try:
        medium = drive.refresh_medium()
    except NoMedium:
        return {**row, "state": "empty", "state_text": "驱动器中没有磁带"}
    except LoadRequired:
        return {**row, "state": "unloaded", "state_text": "磁带已插入但未装载"}
    except NotReadyBecoming as waiting:
        return {**row, "state": "loading", "state_text": waiting.message}
    return {**row, "state": "ready", "state_text": "已就绪", **_medium_row(session, medium)}


# -- label, erase, health ---------------------------------------------------------------------------


def label(session: DeviceSession, *, pool: str, block_size: int, barcode: str | None = None,
          force: bool = False, confirm: str | None = None, ask: Ask | None = None) -> dict[str, Any]:
    """Write a TAF label at BOT (format v1), mirror it into MAM, record Cartridge.Labelled.

    A foreign tape or one holding data needs `force` and the barcode typed back (`confirm`, or
    asked through `ask`); a write-protected or used WORM cartridge, or one the ledger says still
    holds an active backup group, is refused outright.
    """
    medium = session.mount()
    limit = medium.block_limits.max_block_length if medium.block_limits else 0
    if block_size < MIN_BLOCK_SIZE or (limit and block_size > limit):
        raise BadInput(f"块大小 {block_size} 字节不可用", f"请在 {MIN_BLOCK_SIZE} 到 {limit or '驱动器上限'} 字节之间选择，"
                                                          "通常为 256K、512K 或 1M")
    code = _require_barcode(session, medium, barcode)
    ledger, by = session.ledger, session.actor
    cartridge = ensure_cartridge(ledger, code, medium, location=f"drive:{session.spec}", by=by)
    cartridge.check_usable("贴标签")
    held = active_groups_on(ledger, cartridge)
    if held:
        # Relabelling truncates the tape at BOT: the same interlock as an erase, --force or not.
        raise Refused(f"拒绝重新贴标签磁带 {code}：它仍保存活动备份组 {'、'.join(held)}",
                      "等这些备份组轮换出活动集后再重新使用这盘磁带")
    if medium.write_protected:
        raise WriteProtectedTape(barcode=code)
    volser = volume_serial_of(code)
    sequence = cartridge.label_sequence + 1
    tape_label = Label(volume_serial=volser, barcode=code, pool=pool,
                       labelled_at=clock.now().isoformat(timespec="seconds"), label_sequence=sequence,
                       block_size=block_size, ledger_id=str(cartridge.id), program_version=program_version())
    identity = drive_mam.MamIdentity(code, volser, sequence, pool, session.host, program_version())
    drive = session.drive
    with drive.removal_prevented():
        try:
            before = volume_io.write_label(drive, tape_label, identity)
        except (ForeignTape, TapeHoldsData) as refusal:
            if not force:
                raise
            typed = confirm if confirm is not None else (ask(f"请输入条码 {code} 以确认清除这盘磁带：") if ask else "")
            if typed.strip().upper() != code:
                raise Refused(f"确认条码不符，未做任何改动（需要输入 {code}）",
                              "请核对磁带条码后重试") from refusal
            before = volume_io.write_label(drive, tape_label, identity, force=True)
    cartridge.label(volume_serial=volser, pool=pool, block_size=block_size, by=by)
    ledger.save(cartridge)
    return {"ok": True, "barcode": code, "volume_serial": volser, "label_sequence": sequence, "pool": pool,
            "block_size": block_size, "previous": before.kind.value,
            "previous_label": asdict(before.label) if before.label else None}


def erase(session: DeviceSession, *, long: bool, progress: Callable[[float], None] | None = None,
          confirm: str | None = None, ask: Ask | None = None, require_confirmation: bool = True,
          reason: str = "") -> dict[str, Any]:
    """Rewind and erase the whole cartridge; the domain refuses first if it holds an active group.

    A cartridge that holds packages is erased only after its barcode is typed back (`confirm`, or
    asked through `ask`), unless the caller is the automatic erase of an expired cartridge.
    """
    medium = session.mount()
    code = _require_barcode(session, medium)
    ledger, by = session.ledger, session.actor
    cartridge = ensure_cartridge(ledger, code, medium, location=f"drive:{session.spec}", by=by)
    mode = "long" if long else "short"
    held_before = list(cartridge.groups)
    cartridge.erase(mode, active_groups=active_groups_on(ledger, cartridge), by=by)
    if medium.write_protected:
        raise WriteProtectedTape(barcode=code)
    if require_confirmation and held_before:
        typed = confirm if confirm is not None else (ask(f"磁带 {code} 上有备份数据，请输入条码确认擦除：") if ask else "")
        if (typed or "").strip().upper() != code:
            raise Refused(f"确认条码不符，未做任何改动（需要输入 {code}）", "请核对磁带条码后重试，或用 --confirm 条码")
    drive = session.drive
    with drive.removal_prevented():
        drive.rewind()
        drive.erase(long=long, progress=progress)
        drive.write_attributes(drive_mam.cleared_label())
    ledger.save(cartridge)
    _notify_erased(session, code, mode, held_before, reason or "手动擦除")
    return {"ok": True, "barcode": code, "mode": mode, "label_sequence": cartridge.label_sequence}


def _notify_erased(session: DeviceSession, barcode: str, mode: str, groups: list[str], reason: str) -> None:
    services = getattr(session, "services", None)
    if services is None:
        return
    from notify.outbox import notify_event

    try:
        notify_event(services, "erase_done", {"cartridge": barcode, "mode": "长擦除" if mode == "long" else "快速擦除",
                                              "erased_at": clock.now(), "groups": groups, "reason": reason},
                     cause=f"erase:{barcode}:{clock.now():%Y-%m-%dT%H:%M:%S}")
    except Exception:  # a notification problem never undoes an erase that happened
        import logging

        logging.getLogger("taf.media").exception("擦除通知排队失败")


def health(session: DeviceSession) -> dict[str, Any]:
    medium = session.mount()
    code = _require_barcode(session, medium)
    snapshot = session.drive.health().to_dict()
    snapshot["barcode"] = code
    ledger, by = session.ledger, session.actor
    cartridge = ensure_cartridge(ledger, code, medium, location=f"drive:{session.spec}", by=by)
    cartridge.record_health(snapshot=snapshot, by=by)
    ledger.save(cartridge)
    return {"ok": True, **snapshot}
