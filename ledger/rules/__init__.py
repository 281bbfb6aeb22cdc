"""Lifecycle rules as pure functions over plain data.

Rotation of monthly backup groups, cartridge retention and the erase safety interlock, a preview of
the next rotation and erase, and cron helpers. Nothing here touches the ledger, a device or the
clock: callers pass in the state and the moment, and get back plain values with a Chinese sentence
for the user. That keeps the rules exhaustively testable and usable from projections, jobs and the
web alike.
"""

from ledger.rules.errors import RuleError
from ledger.rules.months import add_months
from ledger.rules.preview import Preview, PreviewItem, PreviewKind, preview
from ledger.rules.retention import (
    DEFAULT_RETENTION_MONTHS,
    MAX_RETENTION_MONTHS,
    MIN_RETENTION_MONTHS,
    CartridgeKind,
    CartridgeState,
    EraseVerdict,
    ExpiryVerdict,
    Reason,
    erase_allowed,
    expiry_of,
    validate_retention_months,
)
from ledger.rules.rotation import (
    DEFAULT_KEEP_GROUPS,
    GroupNameError,
    GroupState,
    RotationAction,
    RotationDecision,
    RotationError,
    apply_rotation,
    decide_rotation,
    group_name_for,
    parse_group_name,
    validate_group_name,
)
from ledger.rules.schedule import (
    CatchUp,
    CronError,
    missed_runs,
    next_run,
    previous_run,
    validate_cron,
)

__all__ = [
    "DEFAULT_KEEP_GROUPS",
    "DEFAULT_RETENTION_MONTHS",
    "MAX_RETENTION_MONTHS",
    "MIN_RETENTION_MONTHS",
    "CartridgeKind",
    "CartridgeState",
    "CatchUp",
    "CronError",
    "EraseVerdict",
    "ExpiryVerdict",
    "GroupNameError",
    "GroupState",
    "Preview",
    "PreviewItem",
    "PreviewKind",
    "Reason",
    "RotationAction",
    "RotationDecision",
    "RotationError",
    "RuleError",
    "add_months",
    "apply_rotation",
    "decide_rotation",
    "erase_allowed",
    "expiry_of",
    "group_name_for",
    "missed_runs",
    "next_run",
    "parse_group_name",
    "preview",
    "previous_run",
    "validate_cron",
    "validate_group_name",
    "validate_retention_months",
]
