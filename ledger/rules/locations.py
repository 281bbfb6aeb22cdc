"""Where a cartridge is: the location codes the ledger records, and the one sentence each becomes.

The ledger keeps a cartridge's place as a short code, the same on every host and in every
language: `slot:3` (a library storage slot, counted from 1 as an operator counts), `ie:1` (an
import/export slot), `drive:emulated:0` (in that drive), `drive:/dev/sg3:ejected` (pushed out of a
standalone drive for the operator to take), `robot:1` (in the robot's hand), `shelf` and
`offsite`, either optionally followed by `:` and the operator's note. Anything else is the
operator's own words (`Tapes.move`), shown as given.

`location_text` is the only place a code becomes what a person reads — every face (command line,
web, ledger log, restore plan) shows locations through it.
"""

from __future__ import annotations

SHELF = "shelf"
OFFSITE = "offsite"
_EJECTED = ":ejected"
_LEGACY_EMULATOR = "vtl:"  # what `vtl insert` recorded before it used the codes: already Chinese


def slot(number: int) -> str:
    return f"slot:{number}"


def ie_slot(number: int) -> str:
    return f"ie:{number}"


def drive(device: str) -> str:
    return f"drive:{device}"


def ejected_from(device: str) -> str:
    return f"drive:{device}{_EJECTED}"


def location_text(code: str | None) -> str:
    """A location code in the operator's words: 槽位 1、导入/导出口 1、驱动器 emulated:0、磁带架、异地 ……"""
    text = (code or "").strip()
    if not text:
        return "未登记"
    kind, _, rest = text.partition(":")
    if kind == "drive" and rest:
        if rest.endswith(_EJECTED):
            return f"已从驱动器 {rest[: -len(_EJECTED)]} 弹出"
        return f"驱动器 {rest}"
    if kind in ("slot", "ie", "robot") and rest.isdigit():
        return {"slot": "槽位", "ie": "导入/导出口", "robot": "机械手"}[kind] + f" {rest}"
    if kind in (SHELF, OFFSITE):
        place = "磁带架" if kind == SHELF else "异地"
        return f"{place}（{rest}）" if rest else place
    if text.startswith(_LEGACY_EMULATOR):
        return text[len(_LEGACY_EMULATOR):]
    return text
