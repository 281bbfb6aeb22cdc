"""Hypothesis strategies for source trees and packing settings (see `harness.Case`).

File sizes are drawn relative to the case's own solid block and package limit: 0, 1, small,
just under / at / just over the solid block, and over the package limit (so the file is cut into
chunks). Names are Chinese, long, odd (spaces, dots, quotes, leading dashes, newlines, emoji,
raw bytes that are not UTF-8). Folders are flat or deep; some are empty; links point at files,
folders or nothing, always inside the tree (restore refuses links that leave the target).
"""

from __future__ import annotations

import sys

from hypothesis import strategies as st

from tests.roundtrip.harness import KIB, MIB, T0, Case, Node

SOLID_BLOCKS = (64 * KIB, 100 * KIB, 256 * KIB)
PACKAGE_LIMITS = (1 * MIB, 3 * MIB // 2)
LEVELS = (0, 1, 3, 6, 9)

_PLAIN = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789_-"), min_size=1, max_size=12)
_CHINESE = st.text(alphabet=st.sampled_from("数据备份磁带恢复报告财务部门项目文件夹日志照片共享季度总结年月日"),
                   min_size=1, max_size=10)
_ODD = st.sampled_from([
    "带 空格 的名字", ".隐藏", "a.b.c.d", "'引号'", '"双引号"', "-以横线开头", "名字#百分号%", "emoji😀文件",
    "new\nline", "tab\tname", "e\u0301组合字符", "很长的名字" * 14, "x" * 200, "UPPER", "upper",
])
_NAME = st.one_of(_PLAIN, _CHINESE, _ODD)
if sys.platform == "linux":
    # Bytes that are not UTF-8, as os.scandir hands them over (surrogate escapes).
    _NAME = st.one_of(_NAME, st.sampled_from(["caf\udce9", "\udcff\udcfe二进制", "ok\udc80"]))


def _valid(name: str) -> bool:
    raw = name.encode("utf-8", "surrogateescape")
    return name not in (".", "..") and "/" not in name and "\x00" not in name and 0 < len(raw) <= 255


NAMES = _NAME.filter(_valid)


@st.composite
def sizes(draw: st.DrawFn, solid_block: int, max_package: int, big_left: list[int]) -> int:
    kinds = ["zero", "one", "small", "small", "small", "under", "at", "over"]
    if big_left[0] > 0:
        kinds.append("chunked")
    kind = draw(st.sampled_from(kinds))
    if kind == "chunked":
        big_left[0] -= 1
        return draw(st.integers(max_package + 1, max_package + max_package // 2))
    return {
        "zero": 0, "one": 1,
        "small": draw(st.integers(2, 4 * KIB)),
        "under": solid_block - draw(st.integers(1, 64)),
        "at": solid_block,
        "over": solid_block + draw(st.integers(1, 64)),
    }[kind]


@st.composite
def cases(draw: st.DrawFn, max_nodes: int = 60) -> Case:
    solid_block = draw(st.sampled_from(SOLID_BLOCKS))
    max_package = draw(st.sampled_from(PACKAGE_LIMITS))
    level = draw(st.sampled_from(LEVELS))
    # Slow levels get less data: LZMA2 level 6–9 runs near 1 MiB/s per core here.
    big_left = [draw(st.integers(0, 2 if level <= 3 else 1))]
    folders = draw(st.lists(st.lists(NAMES, min_size=1, max_size=6).map(tuple), min_size=1, max_size=6))
    folders.append(())  # the top of the tree
    nodes: dict[tuple[str, ...], Node] = {}
    taken: set[tuple[str, ...]] = set()  # every path used, folders included, compared as the file system does

    def free(parts: tuple[str, ...]) -> bool:
        key = tuple(p.encode("utf-8", "surrogateescape") for p in parts)
        return all(key[:i] not in taken for i in range(1, len(key) + 1))

    def claim(parts: tuple[str, ...]) -> None:
        key = tuple(p.encode("utf-8", "surrogateescape") for p in parts)
        taken.update(key[:i] for i in range(1, len(key)))
        taken.add(key)

    def folder_ok(parts: tuple[str, ...]) -> bool:
        key = tuple(p.encode("utf-8", "surrogateescape") for p in parts)
        return not any(key[:i] in files for i in range(1, len(key) + 1))

    files: set[tuple[bytes, ...]] = set()
    # Small trees shrink well; bigger ones fill several solid blocks with folders between files.
    count = draw(st.one_of(st.integers(1, 10), st.integers(10, max_nodes)))
    for number in range(count):
        folder = draw(st.sampled_from(folders))
        if not folder_ok(folder):
            continue
        parts = (*folder, draw(NAMES))
        if not free(parts) or len("/".join(parts).encode("utf-8", "surrogateescape")) > 3000:
            continue
        kind = draw(st.sampled_from(["file"] * 6 + ["dir", "link"]))
        mtime = T0 + draw(st.integers(-10**17, 10**17)) // 1000 * 1000
        if kind == "dir":
            node = Node(parts, "dir", mode=draw(st.sampled_from([0o755, 0o700, 0o750])), mtime_ns=mtime)
        elif kind == "link":
            target = draw(st.sampled_from(["../" * (len(parts) - 1) + "/".join(p) for p in folders if p] + ["不存在的目标"]))
            node = Node(parts, "link", target=target or ".", mtime_ns=mtime)
        else:
            size = draw(sizes(solid_block, max_package, big_left))
            data = draw(st.sampled_from(["text", "text", "random", "zeros"]))
            node = Node(parts, "file", size=size, data=data, seed=number,
                        mode=draw(st.sampled_from([0o644, 0o600, 0o640, 0o444, 0o755, 0o1644])), mtime_ns=mtime)
            files.add(tuple(p.encode("utf-8", "surrogateescape") for p in parts))
        claim(parts)
        nodes[parts] = node
    return Case(tuple(nodes.values()), solid_block, max_package, level)
