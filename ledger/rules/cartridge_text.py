"""A cartridge's status and pool in the operator's words — one place for every face and job.

The ledger keeps status and pool as codes (`scratch`, `expired`, the pool `default`); whatever a
person reads — `tape list`, `drive label`, a backup's warning about a cartridge it skipped — goes
through these two functions, so no code leaks out as English.
"""

from __future__ import annotations

DEFAULT_POOL = "default"  # the pool a cartridge is in until someone names another (`drive label --pool`)

STATUS_TEXT = {"scratch": "空白", "active": "使用中", "full": "已满", "expired": "已过期", "retired": "已退役",
               "cleaning": "清洁带"}


def status_text(status: str | None) -> str:
    """空白、使用中、已满、已过期、已退役、清洁带; an unknown code as it is (never hidden)."""
    return STATUS_TEXT.get(status or "", status or "未登记")


def pool_text(pool: str | None) -> str:
    """The operator's own pool names as they are; the built-in `default` pool as 默认."""
    return "默认" if not pool or pool == DEFAULT_POOL else pool
