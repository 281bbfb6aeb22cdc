"""Monthly backup groups and their rotation.

A backup group is named after the month of its full backup (``YYYY-MM``). A fixed number of groups
stay active (six by default); opening one more rotates the oldest active groups out. A second run in
the same month does not open a new group: it adds to the existing one and is numbered, so the
history shows "2026-05, run 2" rather than a silent overwrite.

Groups only move forward: a new group must not be older than the newest group already known.
Otherwise "rotate the oldest out" would be ambiguous and a late run could rotate itself out at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from ledger.rules.errors import RuleError

DEFAULT_KEEP_GROUPS = 6

_GROUP_NAME = re.compile(r"(\d{4})-(\d{2})")


class GroupNameError(RuleError):
    """A group name that is not ``YYYY-MM`` with a month 01–12; the message is Chinese."""

    default_message = "备份组名称无效"


class RotationError(RuleError):
    """A rotation request that cannot be honoured (bad keep count, group moving backwards…)."""

    default_message = "无法按要求轮换备份组"


@dataclass(frozen=True)
class GroupState:
    """A backup group as the rules need to see it.

    ``runs`` counts the backup runs that went into the group (1 for a group opened once);
    ``rotated_out_at`` is known once the group has left the active set.
    """

    name: str
    opened_at: datetime
    active: bool = True
    runs: int = 1
    rotated_out_at: datetime | None = None

    def __post_init__(self) -> None:
        validate_group_name(self.name)
        if self.runs < 1:
            raise ValueError(f"备份组 {self.name} 的运行次数必须至少为 1，实际为 {self.runs}")


class RotationAction(StrEnum):
    OPEN = "open"
    APPEND = "append"


@dataclass(frozen=True)
class RotationDecision:
    """What a backup run for ``group`` does to the set of groups.

    ``run_number`` is 1 when the group is opened and 2, 3… when a later run in the same month
    appends to it. ``rotate_out`` and ``active_after`` list group names oldest first.
    """

    group: str
    action: RotationAction
    run_number: int
    rotate_out: tuple[str, ...]
    active_after: tuple[str, ...]
    keep: int
    explanation: str

    @property
    def is_append(self) -> bool:
        return self.action is RotationAction.APPEND


def parse_group_name(name: str) -> tuple[int, int]:
    """Return (year, month) of a group name, or raise GroupNameError in Chinese."""
    if not isinstance(name, str):
        raise GroupNameError(f"备份组名称必须是文本，实际为 {type(name).__name__}")
    match = _GROUP_NAME.fullmatch(name)
    if match is None:
        raise GroupNameError(f"备份组名称“{name}”格式不正确，应为“年-月”，例如 2026-05")
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1:
        raise GroupNameError(f"备份组名称“{name}”中的年份不正确")
    if not 1 <= month <= 12:
        raise GroupNameError(f"备份组名称“{name}”中的月份 {match.group(2)} 不正确，月份应在 01 到 12 之间")
    return year, month


def validate_group_name(name: str) -> str:
    """Return the name unchanged if it is a valid group name; raise GroupNameError otherwise."""
    parse_group_name(name)
    return name


def group_name_for(moment: datetime) -> str:
    """The group a full backup started at ``moment`` belongs to."""
    return f"{moment.year:04d}-{moment.month:02d}"


def _validate_keep(keep: int) -> None:
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise RotationError(f"保留的活动备份组数量必须是不小于 1 的整数，实际为 {keep!r}")


def _index_by_name(groups: Iterable[GroupState]) -> dict[str, GroupState]:
    by_name: dict[str, GroupState] = {}
    for group in groups:
        if group.name in by_name:
            raise RotationError(f"备份组 {group.name} 重复出现，账本中的备份组名称必须唯一")
        by_name[group.name] = group
    return by_name


def decide_rotation(
    groups: Sequence[GroupState], new_group: str, keep: int = DEFAULT_KEEP_GROUPS
) -> RotationDecision:
    """Decide what a backup run for ``new_group`` does.

    Opens the group, or appends to it when a run in the same month already made it; then rotates
    out the oldest active groups beyond ``keep`` (group names sort chronologically, so "oldest" is
    the smallest name). When ``keep`` was lowered since the last run, several groups rotate at once.
    """
    validate_group_name(new_group)
    _validate_keep(keep)
    by_name = _index_by_name(groups)

    existing = by_name.get(new_group)
    if existing is not None and not existing.active:
        raise RotationError(f"备份组 {new_group} 已经轮换出去，不能再向它追加备份")
    newest = max(by_name, default=None)
    if existing is None and newest is not None and new_group < newest:
        raise RotationError(
            f"备份组只能按月份向前推进：新备份组 {new_group} 早于已有的备份组 {newest}"
        )

    if existing is None:
        action, run_number = RotationAction.OPEN, 1
    else:
        action, run_number = RotationAction.APPEND, existing.runs + 1

    active = sorted({g.name for g in by_name.values() if g.active} | {new_group})
    excess = max(0, len(active) - keep)
    rotate_out = tuple(active[:excess])
    active_after = tuple(active[excess:])

    return RotationDecision(
        group=new_group,
        action=action,
        run_number=run_number,
        rotate_out=rotate_out,
        active_after=active_after,
        keep=keep,
        explanation=_explain(new_group, action, run_number, rotate_out, keep),
    )


def _explain(
    group: str, action: RotationAction, run_number: int, rotate_out: tuple[str, ...], keep: int
) -> str:
    if action is RotationAction.OPEN:
        head = f"开启新备份组 {group}"
    else:
        head = f"本月已有备份组 {group}，本次为第 {run_number} 次运行，追加到该组"
    if rotate_out:
        tail = f"；活动备份组超过 {keep} 个，最旧的 {'、'.join(rotate_out)} 轮换出去。"
    else:
        tail = f"；活动备份组不超过 {keep} 个，无需轮换。"
    return head + tail


def apply_rotation(
    groups: Sequence[GroupState], decision: RotationDecision, at: datetime
) -> list[GroupState]:
    """Return the groups as they stand after ``decision`` is carried out at ``at`` (name order)."""
    by_name = _index_by_name(groups)
    if decision.is_append:
        current = by_name[decision.group]
        by_name[decision.group] = replace(current, runs=decision.run_number)
    else:
        by_name[decision.group] = GroupState(name=decision.group, opened_at=at)
    for name in decision.rotate_out:
        by_name[name] = replace(by_name[name], active=False, rotated_out_at=at)
    return [by_name[name] for name in sorted(by_name)]
