"""What a retention change would do, shown before it is saved (R6, B4).

`preview_retention` is a pure function over the inventory rows and the backup groups: it judges
every cartridge twice — with the retention in force and with the one proposed (one cartridge's own,
or the default that every cartridge without its own follows) — and runs the rotation preview of the
next monthly backup both ways. What differs is the answer: which cartridges expire now or no longer
do, whose free date moves, which the interlock keeps whatever the retention, and which the next
backup will erase in addition or no longer. Nothing is recorded; `Tapes.preview_retention` feeds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.errors import BadRequest
from app.lifecycle import RotationPreview, free_when, rotation_preview
from ledger.rules import CartridgeState, ExpiryVerdict, GroupState, Reason, expiry_of
from ledger.rules import preview as preview_rules
from ledger.rules.months import format_day, format_minute
from ledger.rules.retention import validate_retention_months
from media.lifecycle import cartridge_state

# What a change does to one cartridge, by code (the sentence says it in words).
EXPIRES = "expires"  # its retention has run out under the new value
NO_LONGER_EXPIRED = "no_longer_expired"  # expired now, kept by the longer retention
HELD = "held"  # its retention has run out, but it holds an active group: the interlock keeps it
DATE_MOVES = "date_moves"  # its retention ends on another day
SAME = "same"  # nothing a person would notice


@dataclass(frozen=True)
class CartridgeChange:
    barcode: str
    retention_before: int
    retention_after: int
    effect: str  # EXPIRES, NO_LONGER_EXPIRED, HELD, DATE_MOVES or SAME
    free_when_before: str
    free_when_after: str
    explanation_after: str  # the rules' sentence under the new retention
    sentence: str  # what the change does to it


@dataclass(frozen=True)
class RetentionPreview:
    """What saving a retention would do: to each cartridge it applies to, and to the next rotation and erase."""

    scope: str  # cartridge (one cartridge's own retention) or default (DEFAULT_RETENTION_MONTHS)
    barcode: str | None
    months_before: int  # in force now (for a cartridge: its own, else the default)
    months_after: int
    applies_to: int  # cartridges whose retention in force changes
    changes: list[CartridgeChange]  # those of them holding data, in barcode order
    erased_added: list[str]  # the next backup erases these too
    erased_removed: list[str]  # … and no longer these
    before: RotationPreview
    after: RotationPreview
    next_check_at: datetime | None  # the next retention check (marks expired cartridges), default scope
    summary: list[str]  # the preview in sentences, most important first


def checked_months(months: Any) -> int:
    """A retention as the rules accept it (1–120 whole months), else a Chinese refusal."""
    try:
        return validate_retention_months(months)
    except ValueError as error:
        raise BadRequest(str(error)) from None


def preview_retention(rows: Sequence[dict[str, Any]], groups: Sequence[GroupState], now: datetime,
                      next_backup_at: datetime, *, default_months: int, months: int, barcode: str | None = None,
                      keep: int, auto_erase: bool, next_check_at: datetime | None = None) -> RetentionPreview:
    """Judge the inventory with the retention in force and with `months` — for cartridge `barcode`, or
    as the default when `barcode` is None — and say what differs. `rows` are the inventory's, `now` and
    the other moments in the wall clock the sentences show."""
    months = checked_months(months)
    default_after = default_months if barcode else months
    pairs = []
    for row in rows:
        before = cartridge_state(row, default_months)
        after = cartridge_state(row, default_after)
        if barcode is not None and row["barcode"] == barcode:
            after = replace(before, retention_months=months, own_retention=True)
        pairs.append((row, before, after))
    if barcode is not None and not any(row["barcode"] == barcode for row, _, _ in pairs):
        raise BadRequest(f"台账中没有条码为 {barcode} 的磁带")
    changed = [(row, before, after) for row, before, after in pairs if before.retention_months != after.retention_months
               or (row["barcode"] == barcode)]
    changes = [_change(row, before, after, groups, now, barcode is not None, next_check_at)
               for row, before, after in changed if before.last_written_at is not None]

    def rotation(states: list[CartridgeState]) -> RotationPreview:
        return rotation_preview(preview_rules(states, groups, now, next_backup_at, keep=keep, auto_erase=auto_erase),
                                auto_erase)

    shown_before = rotation([before for _, before, _ in pairs])
    shown_after = rotation([after for _, _, after in pairs])
    added = sorted(set(shown_after.erased) - set(shown_before.erased))
    removed = sorted(set(shown_before.erased) - set(shown_after.erased))
    in_force = next((before.retention_months for row, before, _ in pairs if row["barcode"] == barcode), default_months)
    summary = _summary(barcode, in_force, months, len(changed), len(pairs), changes, shown_after, added, removed)
    return RetentionPreview("cartridge" if barcode else "default", barcode, in_force, months, len(changed), changes,
                            added, removed, shown_before, shown_after, None if barcode else next_check_at, summary)


def _change(row: dict[str, Any], before: CartridgeState, after: CartridgeState, groups: Sequence[GroupState],
            now: datetime, own: bool, next_check_at: datetime | None) -> CartridgeChange:
    was, will = expiry_of(before, groups, now), expiry_of(after, groups, now)
    code = row["barcode"]
    effect, sentence = _effect(code, row["status"], was, will, own, now, next_check_at)
    return CartridgeChange(code, before.retention_months, after.retention_months, effect, free_when(was, now),
                           free_when(will, now), will.explanation, sentence)


def _effect(code: str, status: str, was: ExpiryVerdict, will: ExpiryVerdict, own: bool, now: datetime,
            next_check_at: datetime | None) -> tuple[str, str]:
    ends = format_day(will.retention_ends_at) if will.retention_ends_at else ""
    if will.expired and not was.expired:
        if own:
            return EXPIRES, f"磁带 {code} 的存活期已于 {ends} 结束，保存后立即标记为已过期，可擦除复用。"
        when = f"下次存活期检查（{format_minute(next_check_at)}）" if next_check_at else "下次存活期检查"
        return EXPIRES, f"磁带 {code} 的存活期已于 {ends} 结束，{when}时标记为已过期，可擦除复用。"
    if was.expired and not will.expired:
        if will.reason is Reason.RETENTION_PENDING:
            return NO_LONGER_EXPIRED, f"磁带 {code} 不再过期：新的存活期到 {ends} 才结束，在此之前不会擦除。"
        return NO_LONGER_EXPIRED, f"磁带 {code} 不再过期：{will.explanation}"
    if will.reason in (Reason.ACTIVE_GROUP, Reason.UNKNOWN_GROUP) and will.retention_ends_at is not None \
            and will.retention_ends_at <= now:
        held = "、".join(will.blocking_groups)
        return HELD, f"磁带 {code} 的存活期到 {ends} 已结束，但它仍保存活动备份组 {held}，互锁保证它不会被擦除。"
    if was.retention_ends_at != will.retention_ends_at and will.retention_ends_at is not None:
        start = format_day(was.retention_ends_at) if was.retention_ends_at else "—"
        expired_note = "（已标记为已过期）" if status == "expired" and will.expired else ""
        return DATE_MOVES, f"磁带 {code} 的存活期结束日由 {start} 改为 {ends}{expired_note}。"
    return SAME, f"磁带 {code}：{will.explanation}"


def _summary(barcode: str | None, before: int, after: int, applies: int, total: int, changes: list[CartridgeChange],
             rotation: RotationPreview, added: list[str], removed: list[str]) -> list[str]:
    if barcode:
        lines = [f"磁带 {barcode} 的存活期：{before} 个月 → {after} 个月。"]
    else:
        lines = [f"默认存活期：{before} 个月 → {after} 个月，适用于 {applies} 盘沿用默认值的磁带"
                 f"（另有 {total - applies} 盘有自己的存活期，不受影响）。"]
    expiring = [c.barcode for c in changes if c.effect == EXPIRES]
    kept = [c.barcode for c in changes if c.effect == NO_LONGER_EXPIRED]
    held = [c.barcode for c in changes if c.effect == HELD]
    if expiring:
        lines.append(f"将到期：{'、'.join(expiring)}。")
    if kept:
        lines.append(f"不再过期：{'、'.join(kept)}。")
    if held:
        lines.append(f"存活期已到但仍保存活动备份组、不会擦除：{'、'.join(held)}。")
    when = rotation.next_backup_text
    if added:
        lines.append(f"下次备份（{when}）前将多擦除：{'、'.join(added)}。")
    if removed:
        lines.append(f"下次备份（{when}）前不再擦除：{'、'.join(removed)}。")
    if not added and not removed:
        erased = "、".join(rotation.erased) or "无"
        lines.append(f"下次备份（{when}）前擦除的磁带不变：{erased}。")
    if rotation.rotating_out:
        lines.append(f"下次备份将轮换出备份组 {'、'.join(rotation.rotating_out)}。")
    return lines
