"""Issue 13 item 11: a phone number must be a mainland mobile number; `catalog tree` of a folder the
group does not hold says so and exits 4. Nothing refused reaches the ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.kit import GROUP, on_tapes, small_library

Cli = Callable[..., Any]
MOBILE_RULE = "不是中国大陆手机号：应为 11 位数字，以 13–19 开头"


def _head(cli: Cli) -> int:
    return int(cli("ledger", "log", "--json").json()["head"])


@pytest.mark.parametrize("phone", ["12345", "12800138000", "1380013800", "138001380001", "+1 415 555 0100",
                                   "010-88886666", "１３８００１３８０００"])
def test_a_number_that_is_not_a_mainland_mobile_is_refused(cli: Cli, phone: str) -> None:
    head = _head(cli)
    added = cli("notify", "recipients", "add", "值班", phone)
    assert added.code == 2
    assert added.err == f"错误：手机号的值无效：“{phone}”{MOBILE_RULE}，如 13800138000\n"
    tested = cli("notify", "test", "--phone", phone)
    assert tested.code == 2 and MOBILE_RULE in tested.err
    assert _head(cli) == head
    assert cli("notify", "recipients", "list", "--json").json()["recipients"] == []


def test_a_mobile_number_is_kept_as_its_eleven_digits(cli: Cli) -> None:
    added = cli("notify", "recipients", "add", "值班", "+86 138-0013-8000", "--json")
    assert added.code == 0 and added.json()["phone"] == "13800138000"
    recipient = added.json()["id"]
    changed = cli("notify", "recipients", "update", recipient, "--phone", "19912345678", "--json")
    assert changed.code == 0 and changed.json()["phone"] == "19912345678"
    head = _head(cli)
    refused = cli("notify", "recipients", "update", recipient, "--phone", "11912345678")
    assert refused.code == 2 and MOBILE_RULE in refused.err and _head(cli) == head
    log = cli("ledger", "log", "--json").json()["events"]
    assert [e["summary"] for e in log[:2]] == ["修改通知接收人 值班（19912345678）", "添加通知接收人 值班（13800138000）"]


@pytest.fixture
def backed_up(cli: Cli, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    small_library(monkeypatch)
    source = taf_env / "源数据"
    (source / "空文件夹").mkdir(parents=True)
    (source / "报告").mkdir()
    (source / "报告" / "季度.txt").write_text("第一季度", encoding="utf-8")
    on_tapes(source, ["TAF001L9"], taf_env / "staging")
    return source


def test_catalog_tree_of_a_folder_that_does_not_exist_says_so_and_exits_4(backed_up: Path, cli: Cli) -> None:
    missing = backed_up / "没有这个文件夹"
    result = cli("catalog", "tree", GROUP, str(missing))
    assert result.code == 4
    assert result.err.startswith(f"错误：备份组 {GROUP} 中没有文件夹 {missing}（请检查路径")
    as_json = cli("catalog", "tree", GROUP, str(missing), "--json")
    assert as_json.code == 4 and as_json.json() == {"ok": False, "error": result.err[3:].rstrip("\n"), "exit_code": 4}
    a_file = cli("catalog", "tree", GROUP, str(backed_up / "报告" / "季度.txt"))
    assert a_file.code == 2 and "是文件，不是文件夹" in a_file.err
    empty = cli("catalog", "tree", GROUP, str(backed_up / "空文件夹"), "--json")
    assert empty.code == 0 and empty.json()["children"] == []
    assert cli("catalog", "tree", GROUP, str(backed_up / "报告")).code == 0
    assert cli("catalog", "tree", "2026-08", str(backed_up)).code == 4  # a group it does not hold, as before
