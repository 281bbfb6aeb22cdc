"""TapeAlert (log page 2Eh): the 64 flags, explained in Chinese, with severity and advice.

This module is also the TapeAlert catalogue for translators: `TAPEALERT_FLAGS` holds every flag's
English T10 name, a Chinese title, what it means, its severity (信息/警告/严重 after the TapeAlert
specification's Information/Warning/Critical) and the next step. Flags are usually cleared when
the page is read, so read it after every job and keep what you found.

Public API:
- `TapeAlertFlag`, `Severity`, `TAPEALERT_FLAGS` (codes 1..64), `flag(code)`.
- `active_flags(log_page_bytes) -> list[TapeAlertFlag]` — the flags set in a LOG SENSE 2Eh reply.
- `needs_attention(flags)` — those the operator must hear about (tape-scsi.md §8 point 14).
- `CLEANING_FLAGS` — flags that mean "clean the drive".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from tape.scsi.logpages import TAPE_ALERT, parse_log_page


class Severity(enum.Enum):
    INFO = "信息"
    WARNING = "警告"
    CRITICAL = "严重"


@dataclass(frozen=True)
class TapeAlertFlag:
    code: int
    name: str
    title: str
    description: str
    severity: Severity
    advice: str

    def __str__(self) -> str:
        return f"TapeAlert {self.code:02X}h {self.title}（{self.severity.value}）"


INF, W, C = Severity.INFO, Severity.WARNING, Severity.CRITICAL
_SERVICE = "请联系 IBM 维修"
_OBSOLETE = "SSC-3 起已废弃的自动加载器标志，LTO-9 驱动器不会设置"

# (code, T10 name, title, description, severity, advice)
_TABLE: list[tuple[int, str, str, str, Severity, str]] = [
    (
        0x01,
        "Read warning",
        "读取告警",
        "驱动器读数据有困难，数据没有丢失，但读取性能下降",
        W,
        "任务结束后清洗驱动器；频繁出现请检查磁带",
    ),
    (
        0x02,
        "Write warning",
        "写入告警",
        "驱动器写数据有困难，数据没有丢失，但磁带容量下降",
        W,
        "任务结束后清洗驱动器；频繁出现请更换磁带",
    ),
    (
        0x03,
        "Hard error",
        "硬错误",
        "读写时出现无法纠正的错误，操作已停止",
        W,
        "清洗驱动器后重试；仍然失败请更换磁带",
    ),
    (
        0x04,
        "Media",
        "磁带介质损坏",
        "磁带已损坏，数据有风险",
        C,
        "把数据复制到另一盘磁带，然后停止使用这盘磁带",
    ),
    (
        0x05,
        "Read failure",
        "读取失败",
        "磁带已损坏或驱动器故障，无法读出数据",
        C,
        "在另一台驱动器上重试；仍然失败请从其它副本恢复",
    ),
    (
        0x06,
        "Write failure",
        "写入失败",
        "磁带已损坏或驱动器故障，无法写入数据",
        C,
        "换一盘磁带重写；换带后仍失败请检查驱动器",
    ),
    (0x07, "Media life", "磁带寿命已到", "磁带已达到设计寿命", W, "把数据复制到新磁带，然后淘汰这盘磁带"),
    (
        0x08,
        "Not data grade",
        "非数据级磁带",
        "磁带不是数据级磁带，写入的数据可能有风险",
        W,
        "换用合格的 LTO 数据磁带",
    ),
    (0x09, "Write protect", "写保护", "尝试写入一盘写保护的磁带", C, "拨回写保护开关，或换一盘磁带"),
    (0x0A, "No removal", "禁止退带", "驱动器正在使用中，退带被禁止", INF, "等待当前操作结束后再退带"),
    (0x0B, "Cleaning media", "清洗带已装入", "驱动器中装的是清洗带", INF, "清洗结束后换数据磁带"),
    (
        0x0C,
        "Unsupported format",
        "不支持的格式",
        "磁带格式不被驱动器支持",
        INF,
        "LTO-9 驱动器只能使用 LTO-9 和 LTO-8 磁带",
    ),
    (
        0x0D,
        "Recoverable mechanical cartridge failure",
        "磁带盒机械故障（可恢复）",
        "磁带盒机械故障，操作失败但磁带已退出",
        C,
        "停止使用这盘磁带，把数据复制到其它磁带",
    ),
    (
        0x0E,
        "Unrecoverable mechanical cartridge failure",
        "磁带盒机械故障（不可恢复）",
        "磁带盒机械故障，磁带可能卡在驱动器中",
        C,
        "不要强行取带；" + _SERVICE,
    ),
    (
        0x0F,
        "Memory chip in cartridge failure",
        "磁带存储芯片故障",
        "磁带盒中的存储芯片（MAM）故障，性能可能下降",
        W,
        "把数据复制到新磁带后淘汰这盘磁带",
    ),
    (
        0x10,
        "Forced eject",
        "强制退带",
        "磁带在读写过程中被手动强制退出",
        C,
        "核对最后写入的数据；需要时重新执行任务",
    ),
    (
        0x11,
        "Read only format",
        "只读格式",
        "磁带格式在本驱动器上只能读不能写",
        W,
        "换一盘可写的 LTO-9 或 LTO-8 磁带",
    ),
    (
        0x12,
        "Tape directory corrupted on load",
        "装带时磁带目录损坏",
        "磁带目录损坏，文件定位会变慢",
        W,
        "把数据复制到新磁带",
    ),
    (0x13, "Nearing media life", "磁带接近寿命", "磁带接近设计寿命", INF, "近期安排把数据复制到新磁带"),
    (0x14, "Cleaning required", "需要清洗", "驱动器需要清洗", C, "请立即装入清洗带清洗驱动器"),
    (0x15, "Cleaning requested", "建议清洗", "到了定期清洗驱动器的时间", W, "请在方便时清洗驱动器"),
    (0x16, "Expired cleaning media", "清洗带已失效", "清洗带已用完", C, "请换一盘新清洗带"),
    (
        0x17,
        "Invalid cleaning tape",
        "无效的清洗带",
        "装入的清洗带不是驱动器认可的类型",
        C,
        "请使用 LTO 通用清洗带",
    ),
    (0x18, "Retension requested", "需要重新张紧磁带", "驱动器请求对磁带做张紧操作", W, "倒带到头再重试"),
    (
        0x19,
        "Multi-port interface error on a primary port",
        "主端口接口错误",
        "双端口驱动器的主端口出错",
        W,
        "检查线缆和连接",
    ),
    (0x1A, "Cooling fan failure", "散热风扇故障", "驱动器的散热风扇故障", W, "检查驱动器通风；" + _SERVICE),
    (0x1B, "Power supply failure", "电源故障", "驱动器电源故障", W, _SERVICE),
    (0x1C, "Power consumption", "功耗异常", "驱动器功耗超出范围", W, _SERVICE),
    (0x1D, "Drive preventive maintenance required", "需要预防性维护", "驱动器需要预防性维护", W, _SERVICE),
    (
        0x1E,
        "Hardware A",
        "硬件故障 A",
        "驱动器硬件故障，需要复位",
        C,
        "退出磁带后关闭再打开驱动器电源；仍然出现请联系 IBM 维修",
    ),
    (0x1F, "Hardware B", "硬件故障 B", "驱动器硬件故障，自检失败", C, "记录错误代码；" + _SERVICE),
    (0x20, "Primary interface", "主机接口故障", "驱动器与主机的接口出错", W, "检查线缆、终结器和 HBA 卡"),
    (0x21, "Eject media", "请退带", "操作失败，需要退带后重新装入", C, "退出磁带后重新装入，再重试"),
    (0x22, "Microcode update fail", "固件更新失败", "驱动器固件更新失败", W, "重新下载正确的固件再更新"),
    (0x23, "Drive humidity", "湿度异常", "驱动器环境湿度超出范围", W, "检查机房湿度"),
    (0x24, "Drive temperature", "温度异常", "驱动器温度过高", W, "检查机房温度和驱动器风扇"),
    (0x25, "Drive voltage", "电压异常", "驱动器供电电压超出范围", W, "检查供电"),
    (0x26, "Predictive failure", "预测性故障", "驱动器预测到即将出现硬件故障", C, "尽快" + _SERVICE),
    (
        0x27,
        "Diagnostics required",
        "需要诊断",
        "驱动器可能有硬件故障，需要运行诊断",
        W,
        "用 IBM ITDT 运行驱动器诊断",
    ),
    (0x28, "Obsolete (loader hardware A)", "已废弃（28h）", _OBSOLETE, INF, "无需处理"),
    (0x29, "Obsolete (loader stray tape)", "已废弃（29h）", _OBSOLETE, INF, "无需处理"),
    (0x2A, "Obsolete (loader hardware B)", "已废弃（2Ah）", _OBSOLETE, INF, "无需处理"),
    (0x2B, "Obsolete (loader door)", "已废弃（2Bh）", _OBSOLETE, INF, "无需处理"),
    (0x2C, "Obsolete (loader hardware C)", "已废弃（2Ch）", _OBSOLETE, INF, "无需处理"),
    (0x2D, "Obsolete (loader magazine)", "已废弃（2Dh）", _OBSOLETE, INF, "无需处理"),
    (0x2E, "Obsolete (loader predictive failure)", "已废弃（2Eh）", _OBSOLETE, INF, "无需处理"),
    (
        0x2F,
        "External data encryption control - communication failure",
        "外部加密控制通信失败",
        "与加密密钥管理器通信失败",
        W,
        "检查密钥管理器的网络连接",
    ),
    (
        0x30,
        "External data encryption control - key manager returned an error",
        "密钥管理器报错",
        "加密密钥管理器返回了错误",
        W,
        "检查密钥管理器日志",
    ),
    (
        0x31,
        "Diminished native capacity",
        "原生容量减少",
        "磁带的原生容量低于标称值",
        W,
        "这盘磁带能写的数据会变少；频繁出现请更换磁带",
    ),
    (
        0x32,
        "Lost statistics",
        "统计数据丢失",
        "驱动器或磁带的统计数据丢失",
        W,
        "无需立即处理，下次装带时会重新累计",
    ),
    (
        0x33,
        "Tape directory invalid at unload",
        "卸带时磁带目录无效",
        "卸带时磁带目录未能更新，下次定位会变慢",
        W,
        "把数据复制到新磁带",
    ),
    (
        0x34,
        "Tape system area write failure",
        "系统区写入失败",
        "写磁带系统区失败，磁带可能无法再装入",
        C,
        "立即把数据复制到其它磁带，然后淘汰这盘磁带",
    ),
    (
        0x35,
        "Tape system area read failure",
        "系统区读取失败",
        "读磁带系统区失败，磁带无法装入",
        C,
        "在另一台驱动器上尝试；仍然失败请淘汰这盘磁带",
    ),
    (
        0x36,
        "No start of data",
        "找不到数据开头",
        "磁带开头找不到数据，可能已损坏或被消磁",
        C,
        "确认这盘磁带是否空白；否则从其它副本恢复",
    ),
    (
        0x37,
        "Loading or threading failure",
        "装带失败",
        "磁带无法装入或穿带",
        C,
        "取出磁带检查；换一盘磁带试驱动器，仍失败请联系 IBM 维修",
    ),
    (0x38, "Unrecoverable unload failure", "卸带失败", "磁带无法卸下", C, "不要强行取带；" + _SERVICE),
    (
        0x39,
        "Automation interface failure",
        "自动化接口故障",
        "驱动器与带库的接口出错",
        C,
        "检查带库与驱动器的连接；" + _SERVICE,
    ),
    (0x3A, "Microcode failure", "固件故障", "驱动器固件出错", W, "重新装载固件或重启驱动器"),
    (
        0x3B,
        "WORM medium - integrity check failed",
        "WORM 完整性检查失败",
        "WORM 磁带的完整性检查失败，可能被篡改",
        W,
        "停止使用这盘磁带，保留现状并联系磁带供应商",
    ),
    (
        0x3C,
        "WORM medium - overwrite attempted",
        "WORM 覆盖写尝试",
        "有程序试图覆盖 WORM 磁带上的数据",
        W,
        "WORM 磁带只能在末尾追加；检查任务设置",
    ),
    (
        0x3D,
        "Encryption policy violation",
        "违反加密策略",
        "写入请求不符合驱动器的加密策略",
        W,
        "检查加密设置",
    ),
    (0x3E, "Reserved (3Eh)", "保留（3Eh）", "标准保留的标志，没有定义含义", INF, "无需处理"),
    (0x3F, "Reserved (3Fh)", "保留（3Fh）", "标准保留的标志，没有定义含义", INF, "无需处理"),
    (0x40, "Reserved (40h)", "保留（40h）", "标准保留的标志，没有定义含义", INF, "无需处理"),
]

TAPEALERT_FLAGS: dict[int, TapeAlertFlag] = {row[0]: TapeAlertFlag(*row) for row in _TABLE}

CLEANING_FLAGS = frozenset({0x14, 0x15})
# Flags worth a notification even when their severity is only informational (tape-scsi.md §8.14).
_ATTENTION = frozenset({0x03, 0x04, 0x05, 0x06, 0x07, 0x13, 0x14, 0x15, 0x1E, 0x1F, 0x31, 0x37, 0x3B, 0x3C})


def flag(code: int) -> TapeAlertFlag:
    """The catalogue entry for flag `code` (1..64)."""
    try:
        return TAPEALERT_FLAGS[code]
    except KeyError:
        raise ValueError(f"TapeAlert flag {code} is outside 1..64") from None


def active_flags(data: bytes) -> list[TapeAlertFlag]:
    """The flags set in a LOG SENSE page 2Eh reply, in code order."""
    page = parse_log_page(data)
    if page.page != TAPE_ALERT:
        raise ValueError(f"expected log page 2Eh, got {page.page:02X}h")
    return [
        TAPEALERT_FLAGS[code]
        for code, param in sorted(page.parameters.items())
        if code in TAPEALERT_FLAGS and param.value and param.value[0] & 0x01
    ]


def needs_attention(flags: Iterable[TapeAlertFlag]) -> list[TapeAlertFlag]:
    """The flags the operator must be told about: every critical one plus the §8.14 list."""
    return [f for f in flags if f.severity is Severity.CRITICAL or f.code in _ATTENTION]
