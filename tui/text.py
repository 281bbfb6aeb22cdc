"""Every word the console shows, and how figures are written: one catalogue, where a translator finds it.

Bars are drawn with coloured spaces, not block or box characters: those are East-Asian "ambiguous"
width, two cells wide in some CJK terminals, and would push the columns out of line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from ledger.units import human_bytes, human_duration

TITLE = "TAF 磁带控制台"
# An empty cell: an ASCII hyphen, since the dash NOTHING is ambiguous width and would shift a table row.
NOTHING = "-"

SCREEN_TITLES = {
    "drive": "驱动器",
    "tapes": "磁带",
    "jobs": "任务",
    "restore": "恢复",
    "requests": "待处理",
}

# What the operator can do on each screen ("screen.action"): the footer's word, the palette's explanation.
ACTS: dict[str, tuple[str, str]] = {
    "drive.refresh": ("刷新", "重新读取驱动器状态（不移动磁带）"),
    "drive.load": ("装带", "带库把一盘磁带装入驱动器"),
    "drive.unload": ("卸带", "卸下驱动器中的磁带（带库放回原槽位，单机驱动器弹出）"),
    "drive.rewind": ("倒带", "把驱动器中的磁带倒回开头"),
    "drive.label": ("贴标签", "为驱动器中的磁带写入 TAF 标签"),
    "drive.erase": ("擦除", "擦除驱动器中的整盘磁带（需再次输入条码）"),
    "drive.health": ("健康", "读取驱动器和磁带的健康状况与 TapeAlert 告警"),
    "drive.devices": ("设备", "选择要使用的磁带设备"),
    "tapes.filter": ("筛选", "按条码、状态、位置或备份组筛选磁带"),
    "tapes.move": ("记录位置", "记录所选磁带现在放在哪里（异地、磁带架）"),
    "jobs.start_backup": ("新备份", "按配置的备份源开始一次备份"),
    "jobs.pause": ("暂停", "暂停所选任务（在安全点停下）"),
    "jobs.resume": ("继续", "继续所选的已暂停或中断的任务"),
    "jobs.cancel": ("取消", "取消所选任务"),
    "restore.search": ("搜索", "在文件目录中按路径片段搜索"),
    "restore.choose": ("选择", "选择或取消选择所在行的文件"),
    "restore.select_all": ("全选", "选择或取消选择全部搜索结果"),
    "restore.plan": ("计划", "查看恢复计划：哪些磁带、顺序、位置和预计时间"),
    "restore.start_restore": ("开始恢复", "恢复所选文件到指定文件夹"),
    "requests.answer": ("应答", "已按请求装入磁带：应答，让等待的任务继续"),
}

TEXTS: dict[str, str] = {
    # the frame
    "updated": "更新于 {time}",
    "not_yet": "正在读取",
    "actor": "操作人 {actor}",
    "requests_waiting": "待处理 {count} 项：{first}（按 F5 查看并应答）",
    "new_request": "{kind}任务需要操作员：{text}",
    "new_request_title": "待处理",
    "quit_hint": "按 Ctrl+Q 或 q 退出控制台",
    "quit": "退出",
    "quit_help": "退出控制台（任务在后台任务进程中照常运行）",
    "palette": "命令",
    "palette_placeholder": "输入命令名称搜索",
    "palette_nothing": "没有匹配的命令",
    "switch_to": "切换到“{screen}”屏幕",
    "problem_area": "{area}：{message}",
    # areas (for problems)
    "area_database": "数据库",
    "area_jobs": "任务",
    "area_tapes": "磁带清单",
    "area_requests": "待处理请求",
    # drive screen
    "drive_device": "设备",
    "drive_model": "型号",
    "drive_serial": "序列号",
    "drive_firmware": "固件",
    "drive_state": "状态",
    "drive_tape": "磁带",
    "drive_position": "位置",
    "drive_medium": "介质",
    "drive_cleaning": "清洁",
    "drive_alerts": "TapeAlert",
    "drive_no_tape": "无",
    "drive_unknown_barcode": "条码未知",
    "drive_tape_label": "{barcode}（卷序列号 {volser}，磁带池 {pool}，第 {sequence} 次标签，{status}）",
    "drive_tape_unlabelled": "{barcode}（台账中没有它的标签）",
    "drive_position_at": "第 {file} 个磁带文件，逻辑块 {block}",
    "drive_position_unknown": "未知",
    "drive_medium_line": "LTO-{generation}（{medium_type}），压缩 {compression}，写保护 {protected}{worm}{early}",
    "drive_worm": "，WORM",
    "drive_early_warning": "，已过早期预警点",
    "drive_clean_needed": "需要清洁：请装入清洁带",
    "drive_clean_ok": "无需清洁",
    "drive_clean_unknown": "未读取（按 h 读取健康状况）",
    "drive_no_alerts": "无",
    "drive_alert_line": "{code:02d} {title}：{advice}",
    "drive_busy": "驱动器正由{kind}任务 {job} 使用（{phase}）：操作和自动刷新暂停，状态以任务报告为准",
    "drive_busy_act": "驱动器正由{kind}任务 {job} 使用，请等任务结束或暂停后再操作",
    "drive_reading": "正在读取驱动器状态",
    "drive_unreachable": "无法读取驱动器：{message}",
    "drive_health_heading": "健康状况（{taken}）",
    "drive_health_line": "写入 {written}，读取 {read}，压缩比 {ratio}，装载 {mounts} 次，写重试 {write_retries}，读重试 {read_retries}",
    "drive_recent": "最近的操作",
    "drive_none_yet": "（还没有操作）",
    "drive_act_running": "正在{act}",
    "drive_act_note": "正在{act}：{note}",
    "drive_act_busy": "驱动器正在{act}，请稍候",
    "device_picked": "已选择设备 {device}",
    "device_title": "选择磁带设备",
    "device_none": "没有找到可用的磁带设备",
    "device_line": "{path}  {kind}  {vendor} {product}{extra}",
    "device_loaded": "  磁带 {barcode}",
    "device_problem": "  不可用：{problem}",
    "device_drive": "驱动器",
    "device_changer": "机械手",
    # acts
    "act_load": "装带",
    "act_unload": "卸带",
    "act_rewind": "倒带",
    "act_label": "贴标签",
    "act_erase": "擦除",
    "act_health": "读取健康状况",
    "act_move": "记录位置",
    "act_answer": "应答",
    "done_load": "已装入 {barcode}{replaced}",
    "done_load_replaced": "（换下 {barcode}）",
    "done_unload": "已卸下 {barcode}，放到 {location}",
    "done_rewind": "已倒带：{barcode} 回到开头",
    "done_label": "已为 {barcode} 写入标签（卷序列号 {volser}，磁带池 {pool}）",
    "done_erase": "已擦除 {barcode}（{mode}）",
    "done_health": "已读取健康状况：{alerts}",
    "done_move": "已记录 {barcode} 的位置：{location}",
    "failed_act": "{act}失败：{message}",
    "erase_short": "快速擦除",
    "erase_long": "长擦除",
    "alerts_none": "没有 TapeAlert 告警",
    "alerts_count": "{count} 条 TapeAlert 告警",
    # dialogs
    "ok": "确定",
    "cancel": "取消",
    "load_title": "装带",
    "load_prompt": "要装入的磁带条码",
    "load_hint": "带库中的磁带：{barcodes}",
    "load_hint_none": "带库中没有登记的磁带",
    "label_title": "写入磁带标签",
    "label_barcode": "条码（单机驱动器没有条码阅读器时填写）",
    "label_pool": "磁带池",
    "label_force": "强制覆盖（非本系统磁带或已有数据的磁带）",
    "label_confirm": "强制覆盖会清除磁带上的全部数据，请再次输入条码 {barcode} 确认",
    "erase_title": "擦除磁带 {barcode}",
    "erase_warning": "擦除会清除磁带 {barcode} 上的全部数据，无法撤销。仍保存活动备份组的磁带会被拒绝。",
    "erase_long_choice": "长擦除（覆盖到磁带末尾，耗时很长）",
    "erase_prompt": "请输入条码 {barcode} 确认擦除",
    "typed_mismatch": "输入的条码与 {barcode} 不符",
    "barcode": "条码",
    "no_barcode": "无法确定驱动器中磁带的条码，请先读取驱动器状态",
    "move_title": "记录磁带 {barcode} 的位置",
    "move_prompt": "放到了哪里（如 异地保险柜、磁带架 3 层）",
    "answer_title": "应答请求",
    "answer_prompt": "{kind}任务 {job} 请求：{text}\n确认已照做（已装入磁带）后应答，任务会检查驱动器。",
    "answer_stalled": "这个任务已停下（{status}）：应答后交给后台任务进程继续。",
    "answer_waiting": "正在等待任务检查驱动器",
    "backup_title": "开始备份",
    "backup_prompt": "备份以下源到本月的备份组：\n{sources}\n任务交给后台任务进程执行。",
    "backup_no_sources": "没有配置备份源：请在 Web 的系统设置中设置 backup_sources",
    "cancel_title": "取消任务",
    "cancel_prompt": "取消{kind}任务 {job}？已写入磁带或已恢复的内容保留。",
    "restore_title": "开始恢复",
    "restore_prompt": "恢复 {count} 项，需要读取 {cartridges} 盘磁带、{bytes}，预计 {eta}。",
    "restore_target": "恢复到的文件夹",
    "restore_conflict": "目标中已有同名文件时",
    "conflict_skip": "跳过",
    "conflict_rename": "改名保存",
    "conflict_overwrite": "覆盖",
    # tapes screen
    "tapes_filter": "筛选：条码、状态、位置或备份组（按 / 输入）",
    "tapes_count": "共 {shown} 盘（全部 {total} 盘）",
    "tapes_empty": "台账中还没有磁带",
    "tapes_select": "请先在表格中选择一盘磁带",
    "tapes_detail": "{explanation}已用 {used} / {capacity}，{packages} 个数据包。",
    # jobs screen
    "jobs_empty": "还没有任务",
    "jobs_head": "{kind}任务 {job}（{group}，{status}）",
    "jobs_number": "任务编号 {job}",
    "jobs_figures": "文件 {files_done}/{files_total}，数据包 {packages}，已读写 {moved}，磁带 {cartridge}，剩余 {eta}",
    "pause_title": "暂停任务",
    "resume_title": "继续任务",
    "jobs_started": "已提交备份任务 {job}，交给后台任务进程执行",
    "jobs_existing": "相同的备份任务已经存在：{job}",
    "jobs_changed": "{kind}任务 {job}：{status}",
    "jobs_resumed": "{kind}任务 {job} 已交给后台任务进程继续",
    "jobs_requested_hint": "等待后台任务进程接手（python main.py 或 python main.py worker）",
    "jobs_select": "请先在表格中选择一个任务",
    "eta_unknown": "估算中",
    "kind_backup": "备份",
    "kind_restore": "恢复",
    # restore screen
    "restore_search": "搜索路径片段（回车搜索，如 报告 或 /data/财务）",
    "restore_found": "找到 {count} 个文件版本{more}，已选 {selected} 项",
    "restore_more": "（还有更多，请缩小范围）",
    "restore_none": "没有找到匹配的文件",
    "restore_hint": "输入路径片段后回车搜索；空格选择，v 查看计划，g 开始恢复",
    "restore_nothing_selected": "请先用空格选择要恢复的文件",
    "restore_mixed_groups": "一次只能恢复同一个备份组的文件，请只选择一个备份组中的文件",
    "restore_search_act": "搜索文件目录",
    "restore_plan_act": "计算恢复计划",
    "restore_plan_head": "恢复计划：{files} 个文件（{file_bytes}），读取 {cartridges} 盘磁带、{bytes}，预计 {eta}",
    "restore_plan_step": "{order}. {barcode}（{location}）：{packages} 个数据包，{bytes}，约 {eta}",
    "restore_plan_missing": "目录中找不到：{paths}",
    "restore_requested": "已提交恢复任务 {job}，交给后台任务进程执行",
    "restore_watch": "恢复任务 {job}：{status} {phase} {bar}",
    "restore_no_job": "没有进行中的恢复任务",
    # requests screen
    "requests_empty": "没有等待处理的请求",
    "requests_detail": "{waiting}\n{state}",
    "requests_live": "任务每隔几秒检查一次驱动器",
    "requests_stalled": "任务已停下（{status}），应答后由后台任务进程继续",
    "answer_sent": "已应答：{text}",
}

COLUMNS = {
    "tapes": (("barcode", "条码"), ("status", "状态"), ("location", "位置"), ("groups", "备份组"),
              ("used", "已用"), ("free_when", "何时空闲")),
    "jobs": (("job", "任务"), ("kind", "类型"), ("status", "状态"), ("progress", "进度"), ("rate", "速率"),
             ("eta", "剩余"), ("requested", "提交时间")),
    "restore": (("mark", "选"), ("path", "路径"), ("group", "备份组"), ("size", "大小"), ("cartridges", "磁带")),
    "requests": (("job", "任务"), ("kind", "类型"), ("text", "请求"), ("status", "状态"), ("since", "开始等待")),
}

AREA_NAMES = {"database": TEXTS["area_database"], "jobs": TEXTS["area_jobs"], "tapes": TEXTS["area_tapes"],
              "requests": TEXTS["area_requests"]}


def text(key: str, **values: Any) -> str:
    return TEXTS[key].format(**values)


# -- figures ------------------------------------------------------------------------------------------


def size(count: int | float | None) -> str:
    return NOTHING if count is None else human_bytes(count)


def rate(per_second: float) -> str:
    return f"{human_bytes(per_second)}/秒" if per_second > 0 else NOTHING


def eta(seconds: float | None) -> str:
    return TEXTS["eta_unknown"] if seconds is None else human_duration(seconds)


def short_id(job_id: str) -> str:
    return job_id[:8]


def moment(value: datetime | str | None) -> str:
    """A time as the operator reads it: local month-day hour:minute."""
    if value is None or value == "":
        return NOTHING
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%m-%d %H:%M")


def clock_time(value: datetime) -> str:
    return (value.astimezone() if value.tzinfo else value).strftime("%H:%M:%S")


def yes_no(value: bool | None) -> str:
    return "未知" if value is None else ("是" if value else "否")


def on_off(value: bool | None) -> str:
    return "未知" if value is None else ("开启" if value else "关闭")


def bar(fraction: float, width: int = 12) -> Text:
    """A progress bar of coloured spaces and the percentage: the same width in every terminal."""
    fraction = min(1.0, max(0.0, fraction))
    done = round(fraction * width)
    shown = Text()
    shown.append(" " * done, style="on green")
    shown.append(" " * (width - done), style="on grey30")
    shown.append(f" {fraction * 100:3.0f}%")
    return shown
