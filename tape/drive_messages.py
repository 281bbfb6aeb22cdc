"""The Chinese text of the Drive, Changer and volume APIs, in one place for translators.

Each entry is a `Text` (message and advice) with `str.format` fields. The SCSI-level texts (sense
codes, TapeAlert flags) live in `tape.scsi.messages` and `tape.scsi.tapealert`.
"""

from __future__ import annotations

from tape.scsi.messages import Text

TEXTS: dict[str, Text] = {
    # Waiting for the drive.
    "state_loading": Text("正在装带，请稍候"),
    "state_optimising": Text(
        "正在进行介质优化，预计还需 {minutes} 分钟",
        "新的 LTO-9 磁带首次装入时驱动器会做一次介质优化（20–130 分钟），期间不要取出磁带",
    ),
    "state_ready": Text("驱动器已就绪"),
    "state_load_sent": Text("磁带已插入但未装载，已发送 LOAD 命令"),
    "not_ready_timeout": Text(
        "驱动器在 {minutes} 分钟内没有就绪",
        "请检查驱动器面板；新 LTO-9 磁带的介质优化最长约 2.2 小时，超过仍未就绪请联系 IBM 维修",
    ),
    # The cartridge changed under a running operation.
    "cartridge_changed": Text(
        "驱动器中的磁带已更换（原 {old}，现为 {new}），当前操作已停止",
        "请确认装入的是正确的磁带后重新开始该操作",
    ),
    "position_lost": Text(
        "驱动器被复位或磁带被重新装入，磁带位置已丢失",
        "系统已重新识别磁带；请重新开始该操作（已写完并记入台账的数据包不受影响）",
    ),
    "not_mounted": Text("驱动器中的磁带尚未装载识别", "请先装带（drive load 或 vtl insert），再执行该操作"),
    "block_too_large": Text(
        "磁带块长 {length} 字节，超过驱动器允许的最大块 {limit} 字节", "这盘磁带不是用本系统的块大小写的"
    ),
    "transfer_fallback": Text("主机适配器拒绝了 {old} 字节的传输，改用 {new} 字节的块"),
    # Changer.
    "barcode_not_in_library": Text("带库中找不到条码为 {barcode} 的磁带", "请先用 vtl insert 或带库面板把磁带放入带库"),
    "drive_not_in_library": Text(
        "带库中找不到序列号为 {serial} 的驱动器", "请确认该驱动器属于这台带库（按序列号对应，而不是按顺序）"
    ),
    "no_free_slot": Text("带库中没有空槽位", "请先导出一盘磁带，腾出槽位"),
    "no_free_ie_slot": Text("导入/导出口没有空位", "请先取走导入/导出口中的磁带"),
    "no_place_to_return": Text(
        "磁带无法放回：它原来的位置已被占用，带库中没有空槽位，导入/导出口也已占满",
        "请先从导入/导出口取走一盘磁带，再卸带",
    ),
    "barcode_mismatch": Text(
        "装入的磁带条码与要求不符：带库报告 {expected}，磁带存储器中记录的是 {found}",
        "请检查磁带外壳上的条码标签是否贴错",
    ),
    "no_changer": Text("这台驱动器没有机械手（带库）", "请手动插入磁带（模拟库可用 vtl insert 条码）"),
    # Volume format.
    "blank_tape": Text("这是一盘空白磁带，还没有标签", "请先执行 drive label 写入标签"),
    "foreign_tape": Text(
        "这盘磁带不是本系统写的（磁带开头不是 TAF 标签）",
        "为防止覆盖其它系统的数据，默认拒绝写入；确认可以清除后请加 --force 并输入条码确认",
    ),
    "tape_holds_data": Text(
        "磁带 {barcode} 上已有 {objects} 个数据块和文件标记（标签 {volume}）",
        "重新贴标签会清除磁带上的全部数据；确认后请加 --force 并输入条码确认",
    ),
    "worm_not_blank": Text("这是一次写入（WORM）磁带且已有数据，不能重新贴标签", "WORM 磁带只能追加，请换一盘普通磁带"),
    "write_protected": Text("磁带 {barcode} 处于写保护状态，未做任何改动", "请取出磁带，拨回写保护开关后重新装入"),
    "not_labelled": Text("磁带开头没有完整的 TAF 标签", "请先执行 drive label 写入标签"),
    "package_overflow": Text(
        "写数据包 {package} 时到达磁带物理末尾，数据包没有写完",
        "这盘磁带已满；请在下一盘磁带上重新完整写入这个数据包",
    ),
    "package_empty": Text("数据包 {package} 的内容为空", "这是程序问题，请把日志交给维护人员"),
    "payload_changed": Text(
        "数据包 {package} 的文件在写入过程中被改动（校验和不符）", "请重新打包后再写入"
    ),
    "payload_mismatch": Text(
        "读回的数据包 {package} 校验失败：期望 {expected}，实际 {actual}",
        "请清洗驱动器后重试；仍然失败说明磁带上的数据已损坏，请从其它副本恢复",
    ),
    "package_truncated": Text(
        "数据包 {package} 在磁带上不完整：应有 {expected} 个数据块，只读到 {found} 个",
        "这个数据包当时没有写完，请从其它磁带或副本恢复",
    ),
    "not_a_package": Text("磁带文件 {tape_file} 不是数据包（{detail}）", "磁带内容可能与记录不一致，请核对条码"),
    "not_an_index": Text("磁带文件 {tape_file} 不是磁带索引", "请改用逐个读取数据包头的方式重建目录"),
}


def text(text_id: str, **fields: object) -> Text:
    """The catalogue entry `text_id` with `fields` filled in."""
    entry = TEXTS[text_id]
    return Text(entry.message.format(**fields), entry.advice.format(**fields))
