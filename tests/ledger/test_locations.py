"""Location codes and the one sentence each becomes (ledger/rules/locations.py)."""

from __future__ import annotations

import pytest

from ledger.rules import locations
from ledger.rules.locations import location_text


@pytest.mark.parametrize(("code", "words"), [
    ("slot:1", "槽位 1"),
    ("ie:2", "导入/导出口 2"),
    ("robot:1", "机械手 1"),
    ("drive:emulated:0", "驱动器 emulated:0"),
    ("drive:emulated:lib2:1", "驱动器 emulated:lib2:1"),
    ("drive:/dev/sg3", "驱动器 /dev/sg3"),
    ("drive:\\\\.\\Tape0:ejected", "已从驱动器 \\\\.\\Tape0 弹出"),
    ("shelf", "磁带架"),
    ("shelf:B 架 3 层", "磁带架（B 架 3 层）"),
    ("offsite", "异地"),
    ("offsite:银行保险柜", "异地（银行保险柜）"),
    ("vtl:槽位 3", "槽位 3"),  # what `vtl insert` recorded before it used the codes
    ("异地库房 A3", "异地库房 A3"),  # the operator's own words
    ("slot:x", "slot:x"),  # not a code after all: shown as given
    ("", "未登记"),
    (None, "未登记"),
])
def test_every_location_code_reads_as_chinese(code: str | None, words: str) -> None:
    assert location_text(code) == words


def test_the_builders_make_the_codes_the_reader_understands() -> None:
    made = [locations.slot(3), locations.ie_slot(1), locations.drive("emulated:0"), locations.ejected_from("/dev/sg3"),
            locations.SHELF, locations.OFFSITE]
    assert made == ["slot:3", "ie:1", "drive:emulated:0", "drive:/dev/sg3:ejected", "shelf", "offsite"]
    assert [location_text(code) for code in made] == ["槽位 3", "导入/导出口 1", "驱动器 emulated:0",
                                                      "已从驱动器 /dev/sg3 弹出", "磁带架", "异地"]
