"""The operator-facing text of the packing pipeline, in one place for a translator.

Code raises and records `BackupWarning` values that carry a stable English `code`; only
`BackupWarning.text` turns one into Simplified Chinese, so logs, the ledger and tests can match on
the code while the web UI and the TUI show the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import os_error_detail  # one table of OSError meanings, shared with every face

__all__ = ["CATALOGUE", "SPECIAL_KIND_NAMES", "BackupWarning", "os_error_detail"]

CATALOGUE: dict[str, str] = {
    # scan
    "scan.root_missing": "备份源不存在或无法访问，已跳过：{path}（{detail}）",
    "scan.root_nested": "备份源位于另一个备份源之内，已合并，不会重复备份：{path}（包含于 {detail}）",
    "scan.dir_unreadable": "无法读取目录，其中内容未备份：{path}（{detail}）",
    "scan.entry_unreadable": "无法读取文件信息，已跳过：{path}（{detail}）",
    "scan.special_skipped": "已跳过特殊文件（{detail}）：{path}",
    "scan.link_unreadable": "无法读取符号链接的目标，已跳过：{path}（{detail}）",
    # pack
    "pack.vanished": "文件在备份前已被删除或移走，未备份：{path}",
    "pack.unreadable": "无法打开文件，未备份：{path}（{detail}）",
    "pack.read_failed": "读取文件中途出错，只备份了前 {detail} 字节：{path}",
    "pack.changed_since_scan": "文件在扫描后被修改，备份的是修改后的内容：{path}",
    "pack.changed_while_reading": "文件在读取过程中被修改，备份内容可能不一致：{path}",
    "pack.shrank": "文件在备份时变短，只备份了现有的 {detail} 字节：{path}",
    "pack.grew": "文件在备份时变长，只备份了计划的前 {detail} 字节：{path}",
    "pack.not_a_file": "扫描时是普通文件，备份时已不是，未备份：{path}",
}

SPECIAL_KIND_NAMES: dict[str, str] = {
    "fifo": "命名管道",
    "socket": "套接字",
    "char_device": "字符设备",
    "block_device": "块设备",
    "door": "门文件",
    "unknown": "未知类型",
}


@dataclass(frozen=True, slots=True)
class BackupWarning:
    """Something the operator should know about one path; never fatal to the job."""

    code: str
    path: str
    detail: str = ""

    @property
    def text(self) -> str:
        """The Simplified Chinese sentence shown to the operator."""
        return CATALOGUE[self.code].format(path=self.path, detail=self.detail)
