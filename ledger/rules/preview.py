"""Preview of the next rotation and the next erase, before they happen (B4).

Order of events at the next monthly backup, as this preview assumes it:
  1. the erase pass runs first and judges the groups as they stand BEFORE that backup's rotation;
  2. the backup opens (or appends to) its group and the oldest active groups rotate out.
So the cartridges of the group that rotates out are never erased to make room for the very backup
that replaces it: if that backup fails, the old group is still readable. They become erasable at the
earliest in the erase pass after the rotation, once their own retention has also passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ledger.rules.months import format_day, format_minute
from ledger.rules.retention import CartridgeState, Reason, erase_allowed, expiry_of
from ledger.rules.rotation import (
    DEFAULT_KEEP_GROUPS,
    GroupState,
    RotationDecision,
    apply_rotation,
    decide_rotation,
    group_name_for,
)


class PreviewKind(StrEnum):
    GROUP_OPENS = "group_opens"
    GROUP_APPENDS = "group_appends"
    GROUP_ROTATES_OUT = "group_rotates_out"
    CARTRIDGE_FREED = "cartridge_freed"
    CARTRIDGE_STILL_HELD = "cartridge_still_held"
    CARTRIDGE_ERASED = "cartridge_erased"
    CARTRIDGE_EXPIRED_KEPT = "cartridge_expired_kept"


@dataclass(frozen=True)
class PreviewItem:
    """One thing that will happen; ``subject`` is a group name or a volume serial."""

    kind: PreviewKind
    subject: str
    at: datetime | None
    sentence: str


@dataclass(frozen=True)
class FreedCartridge:
    volser: str
    free_at: datetime


@dataclass(frozen=True)
class Preview:
    next_backup_at: datetime
    decision: RotationDecision
    rotating_out: tuple[str, ...]
    freed: tuple[FreedCartridge, ...]
    erased: tuple[str, ...]
    items: tuple[PreviewItem, ...]
    alerts: tuple[str, ...]


def preview(
    cartridges: Sequence[CartridgeState],
    groups: Sequence[GroupState],
    now: datetime,
    next_backup_at: datetime,
    keep: int = DEFAULT_KEEP_GROUPS,
    auto_erase: bool = True,
) -> Preview:
    """Describe what the next monthly backup at ``next_backup_at`` will rotate, free and erase."""
    if next_backup_at < now:
        raise ValueError(
            f"下次备份时间 {format_minute(next_backup_at)} 早于当前时间 {format_minute(now)}，无法预览"
        )
    when = format_minute(next_backup_at)
    decision = decide_rotation(groups, group_name_for(next_backup_at), keep)
    items: list[PreviewItem] = [_group_item(decision, next_backup_at, when)]

    erased: list[str] = []
    alerts: list[str] = []
    for cartridge in sorted(cartridges, key=lambda c: c.volser):
        item = _erase_item(cartridge, groups, next_backup_at, when, auto_erase)
        if item is not None:
            items.append(item)
            if item.kind is PreviewKind.CARTRIDGE_ERASED:
                erased.append(cartridge.volser)
        alert = erase_allowed(cartridge, groups, now).alert
        if alert is not None:
            alerts.append(alert)

    groups_after = apply_rotation(groups, decision, next_backup_at)
    freed: list[FreedCartridge] = []
    for name in decision.rotate_out:
        items.append(PreviewItem(
            PreviewKind.GROUP_ROTATES_OUT, name, next_backup_at,
            f"下次月度备份（{when}）时，最旧的活动备份组 {name} 将轮换出去。",
        ))
        for cartridge in sorted(cartridges, key=lambda c: c.volser):
            if name not in cartridge.groups:
                continue
            item, free = _after_rotation_item(cartridge, name, groups_after, next_backup_at)
            if item is not None:
                items.append(item)
            if free is not None:
                freed.append(free)

    return Preview(
        next_backup_at=next_backup_at,
        decision=decision,
        rotating_out=decision.rotate_out,
        freed=tuple(freed),
        erased=tuple(erased),
        items=tuple(items),
        alerts=tuple(alerts),
    )


def _group_item(decision: RotationDecision, at: datetime, when: str) -> PreviewItem:
    if decision.is_append:
        return PreviewItem(
            PreviewKind.GROUP_APPENDS, decision.group, at,
            f"下次备份（{when}）将追加到本月已有的备份组 {decision.group}，这是该组第 {decision.run_number} 次运行。",
        )
    return PreviewItem(
        PreviewKind.GROUP_OPENS, decision.group, at, f"下次月度备份（{when}）将开启新备份组 {decision.group}。"
    )


def _erase_item(
    cartridge: CartridgeState, groups: Sequence[GroupState], at: datetime, when: str, auto_erase: bool
) -> PreviewItem | None:
    expiry = expiry_of(cartridge, groups, at)
    if expiry.reason is not Reason.EXPIRED or not erase_allowed(cartridge, groups, at).allowed:
        return None
    assert expiry.retention_ends_at is not None
    ends = format_day(expiry.retention_ends_at)
    if auto_erase:
        return PreviewItem(
            PreviewKind.CARTRIDGE_ERASED, cartridge.volser, at,
            f"磁带 {cartridge.volser} 的存活期到 {ends} 结束，且不保存活动备份组，"
            f"将在下次备份（{when}）前自动擦除并回到空白池。",
        )
    return PreviewItem(
        PreviewKind.CARTRIDGE_EXPIRED_KEPT, cartridge.volser, at,
        f"磁带 {cartridge.volser} 的存活期到 {ends} 结束，但自动擦除已关闭，下次备份前不会擦除，需要手动擦除。",
    )


def _after_rotation_item(
    cartridge: CartridgeState, group: str, groups_after: Sequence[GroupState], at: datetime
) -> tuple[PreviewItem | None, FreedCartridge | None]:
    expiry = expiry_of(cartridge, groups_after, at)
    volser = cartridge.volser
    match expiry.reason:
        case Reason.ACTIVE_GROUP | Reason.UNKNOWN_GROUP:
            held = "、".join(expiry.blocking_groups)
            return PreviewItem(
                PreviewKind.CARTRIDGE_STILL_HELD, volser, None,
                f"备份组 {group} 轮换出去后，磁带 {volser} 仍保存备份组 {held}，暂时不能释放。",
            ), None
        case Reason.RETENTION_PENDING | Reason.EXPIRED:
            assert expiry.retention_ends_at is not None
            free_at = max(expiry.retention_ends_at, at)
            if expiry.reason is Reason.EXPIRED:
                tail = f"它的存活期已于 {format_day(expiry.retention_ends_at)} 到期，轮换后即可擦除复用。"
            else:
                tail = f"它的存活期于 {format_day(expiry.retention_ends_at)} 到期，届时即可擦除复用。"
            return PreviewItem(
                PreviewKind.CARTRIDGE_FREED, volser, free_at,
                f"备份组 {group} 轮换出去后，磁带 {volser} 不再保存活动备份组；{tail}",
            ), FreedCartridge(volser, free_at)
        case _:
            # WORM, retired and cleaning cartridges never return to the pool; nothing to announce.
            return None, None
