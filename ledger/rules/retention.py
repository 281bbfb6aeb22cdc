"""Cartridge retention (存活期) and the erase safety interlock.

A cartridge becomes free for reuse when both hold:
  * its retention — whole calendar months, per cartridge — has passed since its LAST write, and
  * it holds no active backup group.
The second condition is absolute: a cartridge holding an active group is never erasable, whatever
the retention, the settings or the request say. A group the cartridge claims to hold but that the
caller does not know is treated as active, because "unknown" must never be read as "safe to erase".

Times: pass either naive local wall-clock datetimes or timezone-aware ones, consistently. Dates in
sentences are shown in the datetime's own wall clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ledger.rules.months import add_months, format_day
from ledger.rules.rotation import GroupState

DEFAULT_RETENTION_MONTHS = 6
MIN_RETENTION_MONTHS = 1
MAX_RETENTION_MONTHS = 120


def validate_retention_months(months: int) -> int:
    """Return ``months`` if it is an allowed retention, else raise ValueError in Chinese."""
    if isinstance(months, bool) or not isinstance(months, int):
        raise ValueError(f"存活期必须是整数个月，实际为 {months!r}")
    if not MIN_RETENTION_MONTHS <= months <= MAX_RETENTION_MONTHS:
        raise ValueError(
            f"存活期 {months} 个月超出允许范围，应在 {MIN_RETENTION_MONTHS} 到 {MAX_RETENTION_MONTHS} 个月之间"
        )
    return months


class CartridgeKind(StrEnum):
    DATA = "data"
    CLEANING = "cleaning"


class Reason(StrEnum):
    """Why a cartridge is (not) free; stable codes for the API, the sentence is for people."""

    SCRATCH = "scratch"
    ACTIVE_GROUP = "active_group"
    UNKNOWN_GROUP = "unknown_group"
    RETENTION_PENDING = "retention_pending"
    EXPIRED = "expired"
    RETIRED = "retired"
    WORM = "worm"
    CLEANING = "cleaning"


@dataclass(frozen=True)
class CartridgeState:
    """A cartridge as the lifecycle rules need to see it.

    ``groups`` names every backup group with data on the cartridge (active or rotated out).
    ``last_written_at`` is the last data write; None means never written since labelling or erase.
    ``own_retention``: ``retention_months`` was set for this cartridge, rather than the default.
    """

    volser: str
    last_written_at: datetime | None = None
    retention_months: int = DEFAULT_RETENTION_MONTHS
    groups: tuple[str, ...] = ()
    kind: CartridgeKind = CartridgeKind.DATA
    worm: bool = False
    retired: bool = False
    own_retention: bool = False

    def __post_init__(self) -> None:
        validate_retention_months(self.retention_months)
        if self.groups and self.last_written_at is None:
            # A group on tape implies a write; without its date retention cannot be judged safely.
            raise ValueError(f"磁带 {self.volser} 保存了备份组，却没有最后写入时间")

    @property
    def retention_ends_at(self) -> datetime | None:
        if self.last_written_at is None:
            return None
        return add_months(self.last_written_at, self.retention_months)


@dataclass(frozen=True)
class ExpiryVerdict:
    """When a cartridge becomes free and why.

    ``free_at``: when the cartridge is (or was) free for reuse — None when it is blank already or
    when it depends on a future rotation that only a preview can estimate. ``retention_ends_at`` is
    the plain date arithmetic, shown even while an active group holds the cartridge.
    """

    volser: str
    expired: bool
    free_at: datetime | None
    reason: Reason
    explanation: str
    retention_ends_at: datetime | None = None
    blocking_groups: tuple[str, ...] = ()

    @property
    def free_now(self) -> bool:
        """Blank or expired: may receive new data (an expired one after its erase)."""
        return self.reason in (Reason.SCRATCH, Reason.EXPIRED)


@dataclass(frozen=True)
class EraseVerdict:
    """Whether a cartridge may be erased now; ``alert`` is set for a conflict worth notifying."""

    volser: str
    allowed: bool
    reason: Reason
    explanation: str
    alert: str | None = None


def _held_groups(cartridge: CartridgeState, groups: Sequence[GroupState]) -> tuple[list[str], list[str]]:
    """Split the cartridge's groups into (active, unknown); both block freeing the cartridge."""
    by_name = {g.name: g for g in groups}
    active = sorted(name for name in set(cartridge.groups) if name in by_name and by_name[name].active)
    unknown = sorted(name for name in set(cartridge.groups) if name not in by_name)
    return active, unknown


def _rotated_out_latest(cartridge: CartridgeState, groups: Sequence[GroupState]) -> datetime | None:
    times = [g.rotated_out_at for g in groups if g.name in cartridge.groups and g.rotated_out_at is not None]
    return max(times, default=None)


def _written_clause(cartridge: CartridgeState) -> str:
    assert cartridge.last_written_at is not None
    whose = "（本盘单独设定）" if cartridge.own_retention else ""
    return (
        f"磁带 {cartridge.volser} 最后写入于 {format_day(cartridge.last_written_at)}，"
        f"存活期 {cartridge.retention_months} 个月{whose}"
    )


def _ends_clause(ends_at: datetime, now: datetime) -> str:
    verb = "已于" if now >= ends_at else "将于"
    return f"{verb} {format_day(ends_at)} 到期"


def _group_list(names: Sequence[str]) -> str:
    return "、".join(names)


def expiry_of(cartridge: CartridgeState, groups: Sequence[GroupState], now: datetime) -> ExpiryVerdict:
    """Say whether ``cartridge`` is expired at ``now``, when it becomes free, and why, in Chinese."""
    volser = cartridge.volser
    ends_at = cartridge.retention_ends_at

    def verdict(reason: Reason, text: str, *, expired: bool = False, free_at: datetime | None = None,
                blocking: Sequence[str] = ()) -> ExpiryVerdict:
        return ExpiryVerdict(volser, expired, free_at, reason, text, ends_at, tuple(blocking))

    if cartridge.kind is CartridgeKind.CLEANING:
        return verdict(Reason.CLEANING, f"磁带 {volser} 是清洗带，只用于清洁驱动器，不保存数据，不参与存活期计算。")
    if cartridge.retired:
        return verdict(Reason.RETIRED, f"磁带 {volser} 已停用，不再写入，也不会被擦除复用。")
    written = cartridge.last_written_at is not None
    if cartridge.worm and written:
        return verdict(
            Reason.WORM,
            f"磁带 {volser} 是 WORM（一次写入）磁带，已写入的数据永久保存，不能擦除，不会回到空白池。",
        )
    if not written:
        kind = "空白 WORM 磁带，可写入一次" if cartridge.worm else "空白磁带，随时可用"
        return verdict(Reason.SCRATCH, f"磁带 {volser}：{kind}。")

    assert ends_at is not None
    active, unknown = _held_groups(cartridge, groups)
    if unknown:
        return verdict(
            Reason.UNKNOWN_GROUP,
            f"{_written_clause(cartridge)}，{_ends_clause(ends_at, now)}；但它记录保存的备份组 "
            f"{_group_list(unknown)} 在账本中找不到，为安全起见视为仍在使用，不会释放。",
            blocking=unknown,
        )
    if active:
        which = "该组" if len(active) == 1 else "这些组全部"
        return verdict(
            Reason.ACTIVE_GROUP,
            f"{_written_clause(cartridge)}，{_ends_clause(ends_at, now)}；但它仍保存活动备份组 "
            f"{_group_list(active)}，需等{which}轮换出去后才能释放。",
            blocking=active,
        )

    rotated = _rotated_out_latest(cartridge, groups)
    free_at = ends_at if rotated is None else max(ends_at, rotated)
    if now < ends_at:
        return verdict(
            Reason.RETENTION_PENDING,
            f"{_written_clause(cartridge)}，将于 {format_day(ends_at)} 到期；它不保存活动备份组，"
            f"到期后即可擦除复用。",
            free_at=free_at,
        )
    return verdict(
        Reason.EXPIRED,
        f"已过期：{_written_clause(cartridge)}，已于 {format_day(ends_at)} 到期，且不保存活动备份组，可擦除复用。",
        expired=True,
        free_at=free_at,
    )


def erase_allowed(
    cartridge: CartridgeState,
    groups: Sequence[GroupState],
    now: datetime,
    *,
    requested: bool = False,
    before_expiry: bool = False,
) -> EraseVerdict:
    """The safety interlock: may ``cartridge`` be erased at ``now``?

    ``requested`` marks an explicit erase request (an operator or a job asked for this cartridge);
    refusing one because of an active group raises an alert. ``before_expiry`` lets an administrator
    erase a cartridge whose retention has not passed yet — it never overrides an active group,
    WORM, a cleaning cartridge or a retired one.
    """
    expiry = expiry_of(cartridge, groups, now)
    volser = cartridge.volser

    def refuse(text: str, alert: str | None = None) -> EraseVerdict:
        return EraseVerdict(volser, False, expiry.reason, text, alert)

    match expiry.reason:
        case Reason.CLEANING:
            return refuse(f"不能擦除磁带 {volser}：它是清洗带。")
        case Reason.RETIRED:
            return refuse(f"不能擦除磁带 {volser}：它已停用。")
        case Reason.WORM:
            return refuse(f"不能擦除磁带 {volser}：WORM（一次写入）磁带的数据不可擦除。")
        case Reason.ACTIVE_GROUP | Reason.UNKNOWN_GROUP:
            held = _group_list(expiry.blocking_groups)
            state = "活动备份组" if expiry.reason is Reason.ACTIVE_GROUP else "账本中找不到的备份组"
            text = f"不能擦除磁带 {volser}：它仍保存{state} {held}，无论设置如何都不会擦除。"
            return refuse(text, _interlock_alert(cartridge, expiry, now, requested, state, held))
        case Reason.SCRATCH:
            if cartridge.worm:
                return refuse(f"不能擦除磁带 {volser}：WORM（一次写入）磁带不可擦除。")
            return EraseVerdict(volser, True, expiry.reason, f"磁带 {volser} 是空白磁带，擦除不会丢失数据。")
        case Reason.EXPIRED:
            return EraseVerdict(volser, True, expiry.reason, expiry.explanation)
        case Reason.RETENTION_PENDING:
            assert expiry.retention_ends_at is not None
            ends = format_day(expiry.retention_ends_at)
            if before_expiry:
                return EraseVerdict(
                    volser, True, expiry.reason,
                    f"磁带 {volser} 的存活期要到 {ends} 才结束，按管理员要求提前擦除；它不保存活动备份组。",
                )
            return refuse(f"不能擦除磁带 {volser}：存活期要到 {ends} 才结束。")
    raise AssertionError(f"unhandled reason {expiry.reason}")  # pragma: no cover


def _interlock_alert(
    cartridge: CartridgeState, expiry: ExpiryVerdict, now: datetime, requested: bool, state: str, held: str
) -> str | None:
    volser = cartridge.volser
    if requested:
        return f"已拒绝擦除磁带 {volser} 的请求：它仍保存{state} {held}。磁带未被改动。"
    ends_at = expiry.retention_ends_at
    if ends_at is not None and now >= ends_at:
        # Retention shorter than the life of the groups it holds: a settings conflict the user
        # should hear about, because the tape will stay in use longer than the setting suggests.
        return (
            f"磁带 {volser} 的存活期（{cartridge.retention_months} 个月）已于 {format_day(ends_at)} 到期，"
            f"但它仍保存{state} {held}，因此不会被擦除。请检查存活期是否短于备份组的保留时间。"
        )
    return None
