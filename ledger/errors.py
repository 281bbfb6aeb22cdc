"""Domain errors. Each class carries its Chinese message template and its exit code; the HTTP
status follows the exit code (`kernel.errors`)."""

from __future__ import annotations

from kernel.errors import EXIT_INTEGRITY, TafError


class LedgerError(TafError):
    """Base of every refusal the ledger gives."""

    template = "台账拒绝了该操作"
    default_message = template
    exit_code = 1

    def __init__(self, **details: object) -> None:
        self.details = details
        super().__init__(self.template.format(**details))


class NotFound(LedgerError):
    template = "找不到{what}：{key}"
    exit_code = 4


class InvalidValue(LedgerError):
    template = "{what}的值无效：{problem}"
    exit_code = 2


class CartridgeRetired(LedgerError):
    template = "磁带 {barcode} 已退役，不能再{action}"
    exit_code = 3


class CleaningCartridge(LedgerError):
    template = "磁带 {barcode} 是清洁带，不能用于{action}"
    exit_code = 3


class EraseRefused(LedgerError):
    template = "拒绝擦除磁带 {barcode}：{reason}"
    exit_code = 3


class RetentionOutOfRange(LedgerError):
    template = "存活期必须在 1 到 120 个月之间（收到 {months}）"
    exit_code = 2


class JobStateError(LedgerError):
    template = "任务 {job} 当前状态为“{status}”，不能{action}"
    exit_code = 3


class DriveBusy(LedgerError):
    template = "驱动器 {drive} 正被任务 {job} 使用，一个驱动器同一时间只运行一个任务"
    exit_code = 5


class AlreadyExists(LedgerError):
    template = "{what}已存在：{key}"
    exit_code = 3


class CartridgeBusy(LedgerError):
    template = "磁带 {barcode} 已被任务 {job} 占用，一盘磁带同一时间只属于一个任务"
    exit_code = 5


class ConcurrentChange(LedgerError):
    template = "台账中的{what}正被其他进程同时修改，重试 {attempts} 次仍未成功，请稍后再试"
    exit_code = 5
    http_status = 409  # try again: nothing is held, someone else was faster


class UnreadableEvent(LedgerError):
    """A stored event that cannot be decoded: the ledger was altered or damaged outside TAF."""

    template = "台账中的{event}无法读取：内容已损坏或被改动"
    exit_code = EXIT_INTEGRITY

    def __init__(self, **details: object) -> None:
        super().__init__(**details)
        self.advice = "请运行 python main.py audit verify 查看台账哈希链，找出被改动的事件"
