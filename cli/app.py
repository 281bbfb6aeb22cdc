"""Parse the command line and run one handler; every error becomes one Chinese line and an exit code."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
from collections.abc import Sequence

from cli import (
    argparse_zh,
    backup_cmds,
    cartridge_cmds,
    catalog_cmds,
    ledger_cmds,
    lifecycle_cmds,
    notify_cmds,
    report_cmds,
    restore_cmds,
    serve,
    tape_cmds,
    tui_cmds,
    worker,
)
from cli.context import Context
from cli.errors import EXIT_PIPE, EXIT_USAGE, report

log = logging.getLogger("taf.cli")

argparse_zh.install()  # before any parser is built: help headings are translated when a parser is made


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"错误：参数有误：{argparse_zh.polish(message)}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="以 JSON 输出（供脚本使用）")
    parser = _Parser(prog="python main.py", description="TAF 企业级磁带备份系统")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for module in (backup_cmds, serve, worker, ledger_cmds, lifecycle_cmds, notify_cmds, tape_cmds, cartridge_cmds,
                   catalog_cmds, restore_cmds, tui_cmds, report_cmds):
        module.register(sub, common)
    argparse_zh.name_subcommands_by_choices(parser)
    argparse_zh.name_values_in_chinese(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not arguments or arguments[0].startswith("--host") or arguments[0].startswith("--port"):
        arguments = ["serve", *arguments]
    args = parser.parse_args(arguments)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_USAGE
    ctx = Context(args)
    failed = False
    try:
        code = int(args.handler(ctx) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        code, failed = 130, True
    except BrokenPipeError:
        code, failed = _reader_gone(), True
    except Exception as error:  # every failure ends as one Chinese line and its exit code
        code, failed = report(error, as_json=ctx.json), True
    try:
        ctx.close()
    except Exception as error:  # after a failure the first error is the one to read; this one is logged
        if failed:
            log.warning("命令结束时整理失败：%s", error, exc_info=error)
        else:
            code = report(error, as_json=False)
    return code


def _reader_gone() -> int:
    """Whoever read our output went away (`… | head`): stop quietly, as other command-line tools do,
    with the exit code the shell gives a program ended by SIGPIPE. Later writes go nowhere."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):  # no file: tests capture stdout
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_PIPE
