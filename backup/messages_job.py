"""What a backup job tells the operator, in one catalogue; and the exception that stops a job."""

from __future__ import annotations

from typing import Any

from kernel.errors import EXIT_STATE, TafError

TEXTS = {
    "no_usable_tape": "没有可写入的磁带",
    "tape_full": "磁带 {barcode} 已写满（{why}）",
    "why_early_warning": "驱动器报告磁带即将写满",
    "why_volume_cap": "达到每盘写入上限 MAX_VOLUME_SIZE",
    "why_overflow": "写入时磁带已满，数据包将在下一盘磁带上完整重写",
    "tape_not_eligible": "磁带 {barcode} 不能用于本备份组 {group}（{why}），已跳过",
    "why_other_groups": "保存着备份组 {groups} 的数据",
    "why_expired_worm": "已过期，但它是 WORM 一次写入磁带，不能擦除",
    "why_expired_no_auto_erase": "已过期，但没有启用备份前自动擦除（auto_erase_expired）",
    "tape_booked": "磁带 {barcode} 已被任务 {job} 预订，已跳过",
    "write_protected": "磁带 {barcode} 处于写保护状态，已跳过",
    "foreign_tape": "磁带 {barcode} 不是 TAF 的磁带，不会覆盖，已跳过",
    "label_mismatch": "磁带 {barcode} 上的标签与台账记录不符，已跳过（请检查后用 drive label 重新标记）",
    "tape_refused": "磁带 {barcode} 无法使用：{reason}",
    "tape_behind_ledger": "磁带 {barcode} 上只有 {tape} 个磁带文件，台账记录应有 {ledger} 个：磁带与台账不一致，"
                          "请先用 backup verify 或 catalog rebuild --from-tapes 检查",
    "worm_unrecorded": "WORM 磁带 {barcode} 上有台账未记录的数据，无法追加",
    "tape_wait_timeout": "等待换盘超时，任务已暂停（装入磁带后执行 backup resume 继续）",
    "already_running": "再次运行：它正在另一个进程中运行",
    "device_unavailable": "无法打开磁带设备 {device}：{reason}",
    "drive_wait": "等待驱动器空闲：{reason}（空闲后自动开始）",
    "drive_wait_timeout": "驱动器 {device} 一直被占用，任务已暂停（驱动器空闲后执行 backup resume 继续）：{reason}",
    "plan_lost": "任务的数据包计划文件已丢失，而重新扫描得到的计划与台账记录的不同（备份源已变化）："
                 "继续运行会把已在磁带上的文件再写一遍，任务停止。请重新提交一个备份任务",
    "tape_wait_library": "带库中没有可写入的磁带：请把空白或可用的磁带放入带库（导入口或空槽位）",
    "cancelled": "任务已被取消",
    "paused": "任务已暂停",
    "interrupted": "执行任务的进程已不在运行（被终止或崩溃）：执行 {command} 继续；"
                   "本机的后台任务进程启动时也会自动继续它",
    "stopped_by_signal": "任务所在的进程被要求停止，任务已在安全点暂停",
    "stopped_by_worker": "后台任务进程停止，任务已在安全点暂停；后台任务进程再次启动时自动继续",
    # Asking for a cartridge (standalone drive, or a library with no usable cartridge left).
    "insert_group_tape": "请将本备份组 {group} 的磁带 {barcode}（未写满）或一盘空白磁带装入驱动器 {drive}",
    "insert_scratch": "请将一盘空白磁带（如 {barcodes}）装入驱动器 {drive}",
    "insert_blank": "请将一盘新的空白磁带{expired}装入驱动器 {drive}",
    "or_expired": "或已过期、可擦除的磁带",
    "library_insert_group_tape": "请将本备份组 {group} 的磁带 {barcode}（未写满）或一盘空白磁带放入磁带库的导入/导出口或空槽位",
    "library_insert_blank": "请将一盘空白磁带{expired}放入磁带库的导入/导出口或空槽位",
    "still_waiting": "仍在等待换盘（已等待 {minutes} 分钟）：{instruction}",
    "tape_wait_logged": "任务 {job} 等待换盘：{reason}。{instruction}",
    "tape_ready": "磁带 {barcode} 已就绪，等待写入下一个数据包",
    "tape_checking": "发现装入的磁带 {barcode}，正在检查能否使用",
    "tape_wait_over": "任务 {job} 换上了磁带 {barcode}（等待了 {minutes} 分钟）",
    "source_missing": "备份源不存在：{path}",
    "source_not_dir": "备份源不是目录：{path}",
    "nothing_to_back_up": "备份源中没有任何文件",
    "advice_failed": "排除上述原因后重新提交备份任务；已写入磁带的数据包仍可恢复",
    "state_full": "已写满",
    "pack_failed": "打包第 {seq} 号数据包（{package}）时 7z 组件出错（{kind}），任务已停止。该包有 {count} 个文件，"
                   "例如 {files}。详细的技术信息已写入日志；已写入磁带的数据包不受影响，仍可恢复",
    "staging_failed": "无法写入第 {seq} 号数据包（{package}）的暂存文件 {path}：{detail}。请检查暂存目录"
                      "（STAGING_DIR）是否存在、可写、空间足够，然后用 backup resume 继续",
    "summary": "任务 {job} {status}：{files} 个文件，读入 {bytes_in}，打包后 {bytes_packed}，{packages} 个数据包，"
               "使用磁带 {cartridges}，用时 {seconds:.1f} 秒，警告 {warnings} 条",
}


def text(key: str, **values: Any) -> str:
    return TEXTS[key].format(**values)


class JobStopped(TafError):
    """The job stops here: cancelled, paused, or failed with a reason the operator can act on.

    The runner records it on the job; should it reach a face, the job is no longer running (exit
    code 3, HTTP 409).
    """

    exit_code = EXIT_STATE
    default_message = "备份任务已停止"

    def __init__(self, message: str, status: str = "failed") -> None:
        super().__init__(message)
        self.status = status
