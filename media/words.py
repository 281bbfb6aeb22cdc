"""The Chinese an operator reads for the codes the media use cases hand back: kinds of device and
states of a drive's medium. (Locations have their own place, `ledger.rules.locations`, because the
ledger log shows them too.)"""

from __future__ import annotations

DEVICE_KINDS = {"drive": "驱动器", "changer": "机械手（带库）"}

MEDIUM_STATES = {
    "empty": "无磁带",
    "unloaded": "已插入未装载",
    "loading": "正在装带",
    "optimising": "介质优化中",
    "ready": "已就绪",
}


def device_kind_text(kind: str) -> str:
    return DEVICE_KINDS.get(kind, kind)


def medium_text(state: str | None) -> str | None:
    """A drive's medium state in words; None stays None (a device with no such state, a changer)."""
    return None if state is None else MEDIUM_STATES.get(state, state)
