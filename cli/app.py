"""Parse the command line and run one handler; every error becomes one Chinese line and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli import (
    argparse_zh,
    backup_cmds,
    catalog_cmds,
    ledger_cmds,
    lifecycle_cmds,
    notify_cmds,
    restore_cmds,
    serve,
    tape_cmds,
    worker,
)
from cli.context import Context
from cli.errors import EXIT_USAGE, report

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
    for module in (backup_cmds, serve, worker, ledger_cmds, lifecycle_cmds, notify_cmds, tape_cmds, catalog_cmds,
                   restore_cmds):
        module.register(sub, common)
    argparse_zh.name_subcommands_by_choices(parser)
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
    try:
        return int(args.handler(ctx) or 0)
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as error:  # every failure ends as one Chinese line and its exit code
        return report(error, as_json=ctx.json)
    finally:
        try:
            ctx.close()
        except Exception as error:
            report(error, as_json=False)
