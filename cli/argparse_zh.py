"""argparse's own words in Simplified Chinese: usage lines, help headings and usage errors.

argparse takes every message it prints through `gettext` (its module-level `_` and `ngettext`),
which is how it is translated anywhere. The standard library ships no Chinese catalogue, and a
.mo file bound to the process-wide default domain would translate other libraries' messages
too, so `install()` points argparse's own two names at this table. A message not in the table
(argparse's errors for programming mistakes, or a wording a newer Python introduced) stays as
argparse wrote it: the table can only add Chinese, never lose a message.
"""

from __future__ import annotations

import argparse
import re

MESSAGES: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "subcommands": "子命令",
    "show this help message and exit": "显示本帮助并退出",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "参数 %s 必须给出其中一个",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "多余的参数值 %r",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多一个值",
    "expected at least one argument": "至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "unexpected option string: %s": "意外的选项：%s",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}

# ngettext's singular form → (Chinese, which has no plural)
PLURALS: dict[str, str] = {
    "expected %s argument": "需要 %s 个值",
    "conflicting option string: %s": "选项冲突：%s",
}


# Converter names argparse puts into "invalid %(type)s value"; our own converters raise Chinese errors.
TYPE_NAMES: dict[str, str] = {"int": "整数", "float": "数字"}
_INVALID_TYPE = re.compile(r"不是有效的(\w+)$")
# A subcommand slot is named by its choices (name_subcommands_by_choices), which the message lists again.
_SUBCOMMAND_CHOICE = re.compile(r"^参数 \{[^}]*\}：无效的选择：")


def polish(message: str) -> str:
    """The last touches on an already translated error: Chinese type names, no doubled choice list."""
    message = _SUBCOMMAND_CHOICE.sub("没有这个命令：", message)
    return _INVALID_TYPE.sub(lambda m: "不是有效的" + TYPE_NAMES.get(m.group(1), m.group(1)), message)


def name_subcommands_by_choices(parser: argparse.ArgumentParser) -> None:
    """Errors name a subcommand slot by its choices, {run,status,…}, not by its English `dest`
    (argparse would say "缺少必需的参数：action"); usage and help look the same as before.
    Call it once every subcommand is registered."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            action.metavar = "{" + ",".join(action.choices) + "}"
            for child in action.choices.values():
                name_subcommands_by_choices(child)


# What a value is called in usage lines, help and errors, by the argument's `dest` (its name in the
# code stays English). A positional and an option of one name may differ (`settings set KEY` is a
# setting, `--key` an idempotency key); anything not listed is a "值".
POSITIONAL_NAMES: dict[str, str] = {
    "job": "任务号", "barcode": "条码", "name": "名称", "paths": "路径", "path": "路径", "kind": "类型",
    "id": "编号", "key": "设置项", "value": "值", "phone": "手机号", "pattern": "片段", "months": "月数",
    "month": "月份", "group": "备份组", "cdb": "CDB",
}
OPTION_NAMES: dict[str, str] = {
    "barcode": "条码", "confirm": "条码", "block_size": "字节数", "capacity": "容量", "changer": "设备",
    "device": "设备", "data_out": "文件", "out": "文件", "days": "天数", "drive": "驱动器", "drives": "数量",
    "slots": "数量", "slot": "槽位", "events": "事件", "first_load": "秒数", "seconds": "秒数", "group": "备份组",
    "host": "地址", "port": "端口", "key": "幂等键", "label": "用途", "level": "级别", "limit": "条数",
    "media": "介质", "name": "名称", "phone": "手机号", "pool": "池", "reason": "原因", "role": "角色",
    "since": "日期", "until": "日期", "source": "目录", "target": "目录", "status": "状态", "type": "扩展名",
    "wait_minutes": "分钟数", "workers": "线程数", "data_in": "字节数",
}
_ENGLISH_METAVAR = re.compile(r"^[A-Z][A-Z_]*$")  # PATH, JOB: argparse's style, English to an operator


def name_values_in_chinese(parser: argparse.ArgumentParser) -> None:
    """Name every value an argument takes in Chinese (`--device 设备`, `任务号`) instead of argparse's
    `DEVICE` or the bare `dest`; an argument with choices keeps them ({all,web,…} are what one types).
    Call it once every subcommand is registered."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                name_values_in_chinese(child)
        elif action.nargs != 0 and not action.choices and (
                action.metavar is None or _ENGLISH_METAVAR.match(str(action.metavar))):
            names = OPTION_NAMES if action.option_strings else POSITIONAL_NAMES
            action.metavar = names.get(action.dest, "值")


def translate(message: str) -> str:
    return MESSAGES.get(message, message)


def translate_plural(singular: str, plural: str, count: int) -> str:
    if singular in PLURALS:
        return PLURALS[singular]
    return singular if count == 1 else plural


def install() -> None:
    """Make argparse speak Chinese in this process (idempotent)."""
    argparse._ = translate  # type: ignore[attr-defined]
    argparse.ngettext = translate_plural  # type: ignore[attr-defined]
