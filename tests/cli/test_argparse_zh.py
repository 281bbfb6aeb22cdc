"""argparse's usage lines, help headings and usage errors reach the operator in Chinese."""

from __future__ import annotations

import argparse
import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest

from cli import argparse_zh

_PLACEHOLDER = re.compile(r"%\(\w+\)[sr]|%[sr]")
_ARGPARSE_SOURCE = inspect.getsource(argparse)


@pytest.mark.parametrize("english", [*argparse_zh.MESSAGES, *argparse_zh.PLURALS])
def test_every_translated_wording_is_argparse_s_own(english: str) -> None:
    """A Python whose argparse words a message differently would silently fall back to English."""
    assert repr(english)[1:-1] in _ARGPARSE_SOURCE or english in _ARGPARSE_SOURCE


@pytest.mark.parametrize(("english", "chinese"), [*argparse_zh.MESSAGES.items(), *argparse_zh.PLURALS.items()])
def test_translations_keep_every_placeholder(english: str, chinese: str) -> None:
    assert sorted(_PLACEHOLDER.findall(english)) == sorted(_PLACEHOLDER.findall(chinese))
    assert re.search(r"[\u4e00-\u9fff]", chinese)


def test_plural_forms_and_untranslated_messages() -> None:
    assert argparse_zh.translate_plural("expected %s argument", "expected %s arguments", 2) == "需要 %s 个值"
    assert argparse_zh.translate_plural("%d thing", "%d things", 1) == "%d thing"
    assert argparse_zh.translate_plural("%d thing", "%d things", 3) == "%d things"
    assert argparse_zh.translate("cannot merge actions") == "cannot merge actions"


@pytest.mark.parametrize(("message", "polished"), [
    ("参数 {run,status}：无效的选择：'x'（可选：'run', 'status'）", "没有这个命令：'x'（可选：'run', 'status'）"),
    ("参数 --level：'九' 不是有效的int", "参数 --level：'九' 不是有效的整数"),
    ("参数 --seconds：'x' 不是有效的float", "参数 --seconds：'x' 不是有效的数字"),
    ("参数 --asc：“zz”不是十六进制字节", "参数 --asc：“zz”不是十六进制字节"),
])
def test_polish(message: str, polished: str) -> None:
    assert argparse_zh.polish(message) == polished


@pytest.mark.parametrize(("args", "expected"), [
    (("settings",), "缺少必需的参数：{show,set}"),
    (("备份",), "没有这个命令：'备份'（可选：'backup',"),
    (("backup", "frob"), "没有这个命令：'frob'（可选：'run', 'status',"),
    (("backup", "run"), "缺少必需的参数：--source"),
    (("backup", "run", "--source"), "参数 --source：需要一个值"),
    (("backup", "run", "--source", ".", "--level", "九"), "参数 --level：'九' 不是有效的整数"),
    (("ledger", "log", "--limit", "x", "--json"), "参数 --limit：'x' 不是有效的整数"),
    (("ledger", "log", "多余"), "无法识别的参数：多余"),
])
def test_usage_errors_are_chinese(cli: Callable[..., Any], args: tuple[str, ...], expected: str) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.err.startswith("用法：python main.py"), result.err
    assert f"错误：参数有误：{expected}" in result.err, result.err


def test_help_is_chinese(cli: Callable[..., Any]) -> None:
    shown = cli("backup", "run", "--help")
    assert shown.code == 0
    assert shown.out.startswith("用法：python main.py backup run")
    assert "选项:" in shown.out and re.search(r"-h, --help +显示本帮助并退出", shown.out)
    assert "--source 目录" in shown.out and "--level 级别" in shown.out  # values are named in Chinese too
    top = cli("--help")
    assert "位置参数:" in top.out and "备份任务" in top.out
    for english in ("usage:", "options:", "positional arguments", "show this help"):
        assert english not in shown.out + top.out
