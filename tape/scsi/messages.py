"""The Chinese text of the SCSI layer, in one place for translators and reviewers.

Each entry is a `Text`: what happened (`message`) and what the operator should do next (`advice`).
`tape.scsi.outcomes` maps sense codes to these ids; `tape.scsi.errors` gives every exception class
a default id. `MAM_LABELS` names the cartridge memory attributes for display. TapeAlert flags have
their own catalogue in `tape.scsi.tapealert`; transport and device-naming messages are in
`tape.transports.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A message and the next step for the operator."""

    message: str
    advice: str = ""


_RETRY_LATER = "系统会自动重试，无需操作"
_REPORT_BUG = "这通常是程序问题，请把磁带命令日志（taf.tape）交给维护人员"
_CALL_SERVICE = "请关闭并重新打开驱动器电源；仍然失败请联系 IBM 维修"
_CLEAN_THEN_RETRY = "请先用清洗带清洗驱动器，再重试；仍然失败请换一盘磁带"

TEXTS: dict[str, Text] = {
    # Conditions that complete the command (reported as flags, logged as notes).
    "filemark": Text("读到文件标记（一个磁带文件结束）"),
    "early_warning": Text("已越过早期告警位置，磁带即将写满", "写完当前数据包和磁带索引后，换下一盘磁带继续"),
    "programmable_early_warning": Text(
        "已越过可编程早期告警位置", "写完当前数据包和磁带索引后，换下一盘磁带继续"
    ),
    "beginning_of_partition": Text("反向移动时到达分区开头"),
    "incorrect_length": Text("磁带块的实际长度与请求的长度不同"),
    "operation_in_progress": Text("驱动器正在执行上一个操作", _RETRY_LATER),
    "erase_in_progress": Text("正在擦除磁带", "擦除需要较长时间，请等待完成"),
    "locate_in_progress": Text("正在定位磁带"),
    "rewind_in_progress": Text("正在倒带"),
    "cleaning_requested": Text("驱动器请求清洗", "请在当前任务结束后装入清洗带清洗驱动器"),
    "recovered": Text("驱动器自行纠正了一个错误", "偶尔出现无需处理；频繁出现请清洗驱动器"),
    "parameters_rounded": Text("驱动器对设置的参数做了取整"),
    "no_sense": Text("驱动器返回了附加信息"),
    # NOT READY
    "not_ready": Text("驱动器未就绪", _RETRY_LATER),
    "no_medium": Text("驱动器中没有磁带", "请装入磁带（或通过带库把磁带移入驱动器）"),
    "becoming_ready": Text(
        "驱动器正在准备（装带中，新的 LTO-9 磁带首次装入还要做介质优化）",
        "请等待：普通磁带约 20 秒；新 LTO-9 磁带首次装入可能需要 20–130 分钟，期间不要取出磁带",
    ),
    "load_required": Text("磁带已插入但尚未装载", "系统会发送 LOAD 命令装载磁带；仍然失败请取出磁带重新插入"),
    "manual_intervention": Text(
        "驱动器或带库需要人工处理（例如带库门未关好）", "请检查驱动器和带库面板上的提示"
    ),
    "busy_not_ready": Text("驱动器正忙于另一个操作", _RETRY_LATER),
    "cleaning_cartridge": Text("驱动器中装的是清洗带", "清洗结束后取出清洗带，再装入数据磁带"),
    "cleaning_failed": Text("驱动器清洗失败", "请换一盘清洗带重新清洗；清洗带可能已过期"),
    "cleaning_required": Text("驱动器需要清洗", "请装入清洗带清洗驱动器，然后重试"),
    # MEDIUM ERROR and incompatible media
    "medium_error": Text("磁带介质错误", _CLEAN_THEN_RETRY),
    "read_error": Text(
        "无法恢复的读错误", "请清洗驱动器后重试；仍然失败说明该处数据已损坏，请从其它副本恢复"
    ),
    "write_error": Text("写入磁带失败", "请清洗驱动器，然后把这个数据包写到另一盘磁带"),
    "entity_not_found": Text("找不到要求的磁带位置", "磁带内容可能与数据库记录不一致，请核对磁带条码"),
    "eod_not_found": Text(
        "找不到数据结尾（EOD），上次可能意外断电或未正常卸载",
        "不要在这盘磁带上追加数据；先读取并核对已有内容，再决定是否重新初始化",
    ),
    "format_corrupted": Text("磁带格式已损坏", "停止使用这盘磁带，从其它副本恢复数据"),
    "append_error": Text("追加写入失败", "请从数据结尾重新定位后重写；反复出现请换一盘磁带"),
    "cartridge_fault": Text("磁带盒故障", "请取出磁带检查外观，停止使用这盘磁带"),
    "load_eject_failed": Text("装带或退带失败", "请检查驱动器前面板；如磁带卡住请联系 IBM 维修"),
    "incompatible_medium": Text(
        "磁带与驱动器不兼容（例如把 LTO-7 磁带放入 LTO-9 驱动器）",
        "LTO-9 驱动器只能使用 LTO-9（L9/LZ）和 LTO-8（L8/LY）磁带",
    ),
    "unknown_format": Text(
        "无法识别磁带上的格式", "请确认这是本系统使用过的数据磁带，或按空白磁带重新初始化"
    ),
    "incompatible_format": Text("磁带格式与驱动器不兼容", "请换一盘 LTO-9 或 LTO-8 磁带"),
    "cannot_write_format": Text(
        "驱动器不能以这种格式写这盘磁带", "LTO-9 驱动器只能写 LTO-9 和 LTO-8 格式，请换磁带"
    ),
    # HARDWARE ERROR
    "hardware_error": Text("驱动器硬件故障", _CALL_SERVICE),
    "hardware_internal": Text("驱动器内部故障", _CALL_SERVICE),
    "hardware_diagnostic": Text("驱动器自检失败", _CALL_SERVICE),
    "hardware_load": Text("驱动器装带机构故障", "请取出磁带（必要时手动）并联系 IBM 维修"),
    "hardware_erase": Text("擦除失败", "请重试擦除；仍然失败请换一盘磁带或联系 IBM 维修"),
    # ILLEGAL REQUEST
    "illegal_request": Text("驱动器拒绝了这个命令", _REPORT_BUG),
    "invalid_opcode": Text("驱动器不支持这个命令", _REPORT_BUG),
    "invalid_cdb_field": Text("命令中有驱动器不接受的参数", _REPORT_BUG),
    "invalid_parameter_field": Text("发给驱动器的参数数据有误", _REPORT_BUG),
    "parameter_length": Text("参数数据长度有误", _REPORT_BUG),
    "sequence_error": Text("命令顺序有误", _REPORT_BUG),
    "positioning_error": Text("磁带定位失败", "请倒带后重试"),
    "past_beginning": Text("定位位置超出磁带开头", "请倒带后重试"),
    "removal_prevented": Text("驱动器已锁定，不能退出磁带", "系统会先解除锁定（ALLOW MEDIUM REMOVAL）再退带"),
    "destination_full": Text("目标位置已有磁带", "请刷新带库清单后选择空槽位"),
    "source_empty": Text("源位置没有磁带", "请刷新带库清单后重试"),
    "invalid_element": Text("带库元素地址无效", "请刷新带库清单；带库配置可能已改变"),
    # UNIT ATTENTION
    "unit_attention": Text("驱动器状态已改变", "系统会重新检查驱动器和磁带后继续"),
    "medium_changed": Text("检测到新装入的磁带", "系统会重新识别磁带后继续"),
    "import_export_accessed": Text("带库出入口被打开过", "系统会重新读取带库清单"),
    "device_reset": Text(
        "驱动器被复位或重新上电", "缓冲中未写入的数据可能已丢失，系统会重新核对磁带位置和最后写入的数据"
    ),
    "mode_changed": Text("驱动器设置被其它程序修改", "系统会重新设置块大小和压缩参数"),
    "reservations_preempted": Text(
        "驱动器预留被其它主机抢占", "请检查是否有其它主机或备份软件在使用这台驱动器"
    ),
    "microcode_changed": Text("驱动器固件已更新", "系统会重新识别驱动器"),
    # DATA PROTECT
    "data_protect": Text("磁带受保护，拒绝写入", "请检查磁带的写保护开关和类型"),
    "write_protected": Text("磁带处于写保护状态", "请取出磁带，拨回写保护开关后重新装入，或换一盘磁带"),
    "worm_medium": Text(
        "这是一次写入（WORM）磁带，不允许这种写入", "WORM 磁带只能在数据末尾追加；如需改写请换普通磁带"
    ),
    "worm_overwrite": Text("WORM 磁带拒绝覆盖已有数据", "WORM 磁带只能在数据末尾追加；请换一盘普通磁带"),
    "worm_integrity": Text("WORM 磁带完整性检查失败", "停止使用这盘磁带，保留现状并联系磁带供应商"),
    "operator_write_protect": Text("操作员在驱动器上设置了写保护", "请在驱动器或带库管理界面解除写保护"),
    "encryption": Text("磁带加密出错", "请检查加密密钥管理设置"),
    # BLANK CHECK, VOLUME OVERFLOW, ABORTED COMMAND
    "blank_check": Text("到达数据结尾（EOD）", "后面没有数据；如果在磁带开头出现，说明这是一盘空白磁带"),
    "volume_overflow": Text("已到达磁带物理末尾，这个块没有写入", "系统会在下一盘磁带上重写这个块"),
    "aborted_command": Text("命令被驱动器中止", "系统会自动重试；反复出现请检查线缆和 HBA 卡"),
    "library_path_failure": Text("带库内部通路故障", "请检查带库状态，必要时重启带库"),
    # Status bytes other than CHECK CONDITION, and sense we cannot place.
    "busy": Text("驱动器忙", _RETRY_LATER),
    "reservation_conflict": Text(
        "驱动器已被其它主机或程序预留", "请检查是否有其它备份软件（例如 LTFS、ITDT）正在使用这台驱动器"
    ),
    "no_sense_data": Text("驱动器报告了错误，但没有返回错误详情", "请重试；反复出现请检查 HBA 驱动"),
    "unexpected_status": Text("驱动器返回了意外的状态", _REPORT_BUG),
    "unknown": Text("驱动器报告了错误", _REPORT_BUG),
}

# Appended to the message of an error the drive reports late, for data it had already accepted.
DEFERRED_NOTE = "（此错误属于先前已缓冲的写入，数据可能没有写到磁带上）"

SENSE_KEY_NAMES: dict[int, str] = {
    0x0: "无错误",
    0x1: "已恢复的错误",
    0x2: "未就绪",
    0x3: "介质错误",
    0x4: "硬件错误",
    0x5: "非法请求",
    0x6: "单元注意",
    0x7: "数据保护",
    0x8: "空白检查",
    0x9: "厂商专用",
    0xA: "复制中止",
    0xB: "命令中止",
    0xD: "卷溢出",
    0xE: "比较不符",
}


def text(text_id: str) -> Text:
    """The catalogue entry `text_id`; an unknown id falls back to the generic error text."""
    return TEXTS.get(text_id, TEXTS["unknown"])


def sense_code_note(key: int, asc: int, ascq: int) -> str:
    """A short "检测键 … 附加代码 …" note naming the raw codes, for messages and logs."""
    name = SENSE_KEY_NAMES.get(key, "保留")
    return f"检测键 {key:X}（{name}），附加代码 {asc:02X}/{ascq:02X}"


def status_note(status: int) -> str:
    """The raw SCSI status byte, for messages about a status other than CHECK CONDITION."""
    return f"SCSI 状态 0x{status:02X}"


# Display names of cartridge memory (MAM) attributes, by attribute id.
MAM_LABELS: dict[int, str] = {
    0x0000: "分区剩余容量（MiB）",
    0x0001: "分区最大容量（MiB）",
    0x0002: "TapeAlert 标志",
    0x0003: "装带次数",
    0x0004: "MAM 剩余空间（字节）",
    0x0005: "设备分配机构",
    0x0006: "格式密度代码",
    0x0007: "初始化次数",
    0x0009: "卷变更参考号",
    0x020A: "最近一次装带的驱动器",
    0x020B: "倒数第二次装带的驱动器",
    0x020C: "倒数第三次装带的驱动器",
    0x020D: "倒数第四次装带的驱动器",
    0x0220: "累计写入（MiB）",
    0x0221: "累计读取（MiB）",
    0x0222: "本次装带写入（MiB）",
    0x0223: "本次装带读取（MiB）",
    0x0400: "磁带制造商",
    0x0401: "磁带序列号",
    0x0402: "磁带长度（米）",
    0x0403: "磁带宽度（0.1 毫米）",
    0x0404: "分配机构",
    0x0405: "介质密度代码",
    0x0406: "生产日期",
    0x0407: "MAM 容量（字节）",
    0x0408: "介质类型",
    0x0409: "介质类型信息",
    0x0800: "应用程序厂商",
    0x0801: "应用程序名称",
    0x0802: "应用程序版本",
    0x0803: "用户标签",
    0x0804: "最后写入时间",
    0x0805: "文本编码",
    0x0806: "条码",
    0x0807: "所属主机",
    0x0808: "磁带池",
    0x0809: "分区标签",
    0x080B: "应用格式版本",
    0x080C: "卷一致性信息",
}
