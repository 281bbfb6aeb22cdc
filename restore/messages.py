"""Every sentence the restore and recovery use cases (and their CLI verbs) show, in one place."""

from __future__ import annotations

from typing import Any

from ledger.domain.job import STATUS_NAMES
from ledger.units import human_bytes

TEXTS: dict[str, str] = {
    # selection
    "selection_empty": "没有指定要恢复的路径",
    "group_unknown": "目录中没有备份组 {group}",
    "group_unknown_advice": "用 catalog search 或 catalog tree 查看已有的备份组",
    "pattern_too_wide": "“{pattern}”匹配的文件超过 {limit} 个",
    "pattern_too_wide_advice": "请缩小范围，或改用以 / 开头的文件夹路径",
    "nothing_matched": "目录中没有与 {selection} 匹配的文件",
    "nothing_matched_advice": "用 catalog search 确认路径；以 / 开头表示完整路径，否则按路径中的片段查找",
    "bad_date": "日期“{value}”无效，请写成 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM",
    "bad_conflict": "冲突处理方式“{value}”无效，只能是 skip、rename 或 overwrite",
    "target_is_file": "恢复目标 {target} 是一个文件，不是文件夹",
    "target_is_file_advice": "请指定一个文件夹（不存在时会自动创建）",
    "target_missing": "没有指定恢复目标文件夹",
    # paths
    "unsafe_component": "{what}“{name}”含有不安全的部分（空名、.、.. 或非法字符）",
    "unsafe_absolute": "路径“{name}”是绝对路径或带盘符",
    "unsafe_member": "7z 成员名“{name}”是绝对路径、带盘符或含有 ..",
    "unsafe_link_in_target": "{name} 是指向恢复目标之外的链接",
    "not_a_folder": "{name} 已存在且不是文件夹",
    "renamed_file": "{stem} (恢复 {number}){suffix}",
    # files
    "refused_entry": "拒绝恢复 {path}：{reason}，没有写入任何内容",
    "chunks_missing": "{path} 缺少第 {missing} 块（共 {total} 块），无法恢复",
    "changed_during_backup": "{path} 在备份时正被修改，恢复的内容可能混有前后两个版本",
    "partial_lost": "{path} 之前恢复的部分已丢失，请重新恢复该文件",
    "checksum_failed": "{path} 的 SHA-256 与清单不符，未恢复",
    "folder_in_the_way": "{path} 的位置上已有同名文件夹，未恢复",
    "link_outside": "拒绝创建符号链接 {path}：它指向恢复目标之外（{link}）",
    "link_failed": "无法创建符号链接 {path}：{error}",
    "file_incomplete": "{path} 没有全部读到（所在的数据包未能读取），未恢复",
    # tape
    "package_mismatch": "磁带 {barcode} 块 {block} 处是数据包 {found}，目录记录的是 {expected}",
    "package_mismatch_advice": "磁带与目录不一致；可用 catalog rebuild --from-tapes 从磁带重建目录",
    "payload_moved": "磁带 {barcode} 上数据包 {package} 的载荷在块 {found}，目录记录的是块 {expected}",
    "package_unreadable": "数据包 {package}（磁带 {barcode}）无法读取：{error}",
    "manifest_disagrees": "{path}：数据包 {package} 的清单与目录不符，未恢复",
    "unpack_failed": "数据包 {package} 解压失败：{error}",
    "unpack_stopped": "解压中途失败：{error}",
    "members_differ": "{count} 个成员（共 {total} 个）解出后与目录记录的大小或 SHA-256 不符",
    "partial_fallback": "数据包 {package} 未能只读取所需的固实块（{reason}），已改为读取整个数据包",
    "layout_unreadable": "台账中数据包 {package} 的记录无法读取（{error}）",
    "layout_other_package": "台账第 {event} 号事件不是数据包 {package} 的记录",
    "layout_header_differs": "磁带上的数据包头与台账记录的大小或 SHA-256 不同",
    "layout_blocks_differ": "磁带块 {block} 长 {found} 字节，布局记录的是 {expected} 字节",
    "layout_blocks_missing": "磁带块 {block} 处没有数据（{kind}）",
    "layout_not_read": "解压需要数据包第 {offset} 字节，它不在读取的固实块中",
    "layout_member_missing": "7z 头中没有成员 {member}",
    "cartridge_busy": "磁带 {barcode} 正被任务 {job} 使用",
    "cartridge_busy_advice": "请等该任务结束后用 restore resume 继续",
    "insert_into_drive": "请将磁带 {barcode} 装入驱动器",
    "insert_into_library": "请将磁带 {barcode} 放入磁带库的导入/导出口",
    "waited_too_long": "等待磁带 {barcode} 超过 {minutes} 分钟，任务已暂停（装入磁带后用 restore resume 继续）",
    "tape_arrived": "磁带 {barcode} 已就绪",
    "progress_package": "正在读取磁带 {barcode} 上的数据包 {package}",
    # jobs
    "job_not_runnable": "恢复任务 {job} 当前状态为“{status}”，不能运行",
    "job_not_runnable_advice": "已暂停的任务用 restore resume 继续；已结束的任务请重新提交",
    "job_finished": "恢复任务 {job} 已结束（{status}）",
    "interrupted": "操作员中断",
    "nothing_left": "目录中已没有与 {selection} 匹配的文件（磁带可能已被擦除或重新贴标签）",
    "summary": ("恢复{status}：{files} 个文件（{bytes}），跳过 {skipped} 个，改名 {renamed} 个，失败 {failed} 个，"
                "拒绝 {refused} 个；文件夹 {folders} 个，链接 {links} 个；用了 {cartridges} 盘磁带"
                "（{barcodes}），读取 {packages} 个数据包，从磁带读取 {tape_bytes}；用时 {seconds:.1f} 秒"),
    # read-back verification
    "verify_no_cartridge": "驱动器中没有磁带，请装入该磁带后重新校验",
    "verify_cannot_load": "无法装入：{error}",
    "verify_other_cartridge": "驱动器中是磁带 {loaded}，请装入该磁带后重新校验",
    "verify_no_barcode": "（无条码）",
    "verify_waited_too_long": "等待磁带 {barcode} 超过 {minutes} 分钟，没有装入",
    "verify_no_drive": "无法使用驱动器：{error}",
    "verify_outcome_verified": "检查 {checked} 个数据包、{files} 个文件，全部可以恢复",
    "verify_outcome_mismatch": "检查 {checked} 个数据包、{files} 个文件，发现 {mismatches} 处不一致",
    "verify_outcome_incomplete": "校验未完成：已检查的 {checked} 个数据包、{files} 个文件全部可以恢复，"
                                 "但有 {unreadable} 盘磁带未能读取（不是数据不一致）",
    "verify_outcome_skipped": "校验已跳过：{unreadable} 盘磁带都未能读取，没有检查任何数据（不是数据不一致）",
    "verify_unreadable": "{barcode} 无法读取：{problem}（{count} 个数据包未能检查）",
    "verify_damaged": "{barcode} 数据包 {package}：{detail}",
    "verify_manifest_differs": "{barcode} 数据包 {package}：磁带上的清单与台账记录的不一致",
    "verify_files_differ": "{count} 个成员解出后与清单不符（共 {total} 个）",
    "verify_unrestorable": "{barcode} 数据包 {package}：数据完好，但文件无法按清单恢复——{detail}；涉及 {paths}。"
                           "请重新备份这些文件",
    "verify_other_tools_fail": "{barcode} 数据包 {package}：TAF 可以恢复，但它的 7z 头记录的成员大小有误"
                               "（由有缺陷的旧版本写入），其他 7z 工具无法正确解出。建议重新备份",
    # recovery
    "recover_nothing": "没有读到任何本系统的磁带，台账与目录没有改动",
    "recover_no_tape": "驱动器中没有磁带，带库中也没有可读的磁带",
    "recover_foreign": "磁带 {barcode} 不是本系统的磁带，已跳过",
    "recover_blank": "磁带 {barcode} 是空白磁带，已跳过",
    "recover_older_label": "磁带 {barcode} 的标签序号 {tape} 小于台账中的 {ledger}（台账记录了之后的擦除或重新贴标签），已跳过",
    "recover_incomplete": "磁带 {barcode} 上的数据包 {package} 不完整（写入中断），已跳过",
    "recover_bad_group": "数据包 {package} 的备份组名“{group}”无效，未建立备份组",
    "recover_index_missing": "磁带 {barcode} 的索引列出了数据包 {package}，但逐个读取数据包头时没有找到",
    "recover_cartridge": "磁带 {barcode}：标签序号 {sequence}，{packages} 个数据包（新登记 {new} 个）",
    "recover_summary": ("从 {cartridges} 盘磁带重建：新登记磁带 {registered} 盘，数据包 {packages} 个，"
                        "备份组 {groups} 个，目录现有 {files} 个文件版本"),
}


def text(key: str, **fields: Any) -> str:
    return TEXTS[key].format(**fields)


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def summary_text(summary: Any) -> str:
    return text("summary", status=status_name(summary.status), files=summary.files,
                bytes=human_bytes(summary.bytes), skipped=summary.skipped, renamed=summary.renamed,
                failed=summary.failed, refused=summary.refused, folders=summary.folders, links=summary.links,
                cartridges=len(summary.cartridges), barcodes="、".join(summary.cartridges) or "无",
                packages=summary.packages_read, tape_bytes=f"{summary.tape_bytes_read} 字节",
                seconds=summary.seconds)
