"""Issue 13 item 7: wherever TAF says where a file is, it names every cartridge holding a part of it.

A file split into chunks over two cartridges, and the folders above it: `catalog search` (also when
its limit leaves chunks out), `catalog tree` of the folder and of the file's folder, as text and as
`--json` — against what the ledger recorded of each package.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.kit import GROUP, on_tapes, small_library

Cli = Callable[..., Any]
BIG = 200 * 1024  # four chunks of at most 64 KiB (tests.restore.tapes.MAX_PACKAGE)


@pytest.fixture
def spanned(cli: Cli, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source whose split file has chunks on TAF001L9 and on TAF002L9."""
    small_library(monkeypatch)
    source = taf_env / "源数据"
    (source / "大文件").mkdir(parents=True)
    (source / "大文件" / "数据库备份.bin").write_bytes(random.Random(13).randbytes(BIG))
    (source / "说明.txt").write_text("备份说明", encoding="utf-8")
    on_tapes(source, ["TAF001L9", "TAF002L9"], taf_env / "staging")
    return source


def test_a_split_file_names_every_cartridge_holding_a_chunk_in_search_and_tree(spanned: Path, cli: Cli) -> None:
    big = spanned / "大文件" / "数据库备份.bin"
    found = cli("catalog", "search", "数据库备份", "--json")
    assert found.code == 0, found.err
    [version] = found.json()["files"]
    assert version["chunks"] == 4 and [p["chunk"] for p in version["positions"]] == [0, 1, 2, 3]
    by_chunk = [p["cartridge"] for p in version["positions"]]
    assert set(by_chunk) == {"TAF001L9", "TAF002L9"}, by_chunk  # the chunks really span two tapes
    assert version["cartridges"] == list(dict.fromkeys(by_chunk))  # every one, in the order written

    # A limit that cuts the chunk rows short still says where every chunk is.
    cut = cli("catalog", "search", "数据库备份", "--limit", "1", "--json").json()["files"]
    assert [len(cut[0]["positions"]), sorted(cut[0]["cartridges"])] == [4, ["TAF001L9", "TAF002L9"]]

    text = cli("catalog", "search", "数据库备份")
    assert text.code == 0 and "、".join(version["cartridges"]) in text.out and "共 1 个文件版本" in text.out

    inside = cli("catalog", "tree", GROUP, str(big.parent), "--json")
    assert inside.code == 0, inside.err
    [node] = inside.json()["children"]
    assert (node["name"], node["kind"], node["size"]) == ("数据库备份.bin", "file", BIG)
    assert node["cartridges"] == version["cartridges"]
    shown = cli("catalog", "tree", GROUP, str(big.parent))
    assert "数据库备份.bin" in shown.out and "、".join(version["cartridges"]) in shown.out


def test_a_folder_names_every_cartridge_holding_something_below_it(spanned: Path, cli: Cli) -> None:
    top = cli("catalog", "tree", GROUP, str(spanned), "--json")
    assert top.code == 0, top.err
    nodes = {node["name"]: node for node in top.json()["children"]}
    assert nodes["大文件"]["kind"] == "dir" and nodes["大文件"]["files"] == 1
    assert sorted(nodes["大文件"]["cartridges"]) == ["TAF001L9", "TAF002L9"]
    assert len(nodes["说明.txt"]["cartridges"]) == 1
    above = cli("catalog", "tree", GROUP, str(spanned.parent), "--json").json()["children"]
    [source] = [node for node in above if node["name"] == spanned.name]
    assert sorted(source["cartridges"]) == ["TAF001L9", "TAF002L9"] and source["files"] == 2
    text = cli("catalog", "tree", GROUP, str(spanned))
    assert any("大文件" in line and "TAF001L9" in line and "TAF002L9" in line for line in text.out.splitlines())
