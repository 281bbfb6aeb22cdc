"""Exit codes per error class, and the one Chinese line each error prints."""

from __future__ import annotations

import sys
from typing import Any

from config.errors import ConfigError
from ledger.errors import LedgerError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_STATE = 3
EXIT_INTEGRITY = 6
EXIT_DEVICE = 7
EXIT_DATABASE = 69


class CliError(Exception):
    """An error the CLI reports as one line with its own exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def classify(error: BaseException) -> tuple[str, int]:
    """Map an exception to (Chinese message, exit code)."""
    if isinstance(error, CliError):
        return error.message, error.exit_code
    if isinstance(error, ConfigError):
        return str(error), error.exit_code
    if isinstance(error, LedgerError):
        return error.message, error.exit_code
    exit_code = getattr(error, "exit_code", None)
    message = getattr(error, "message", None)
    if isinstance(exit_code, int) and isinstance(message, str):
        advice = getattr(error, "advice", "")
        return (f"{message}（{advice}）" if advice else message), exit_code
    if _is_database_error(error):
        return f"数据库无法访问：{_first_line(error)}。请检查 DATABASE_URL 和数据库服务是否在运行", EXIT_DATABASE
    if isinstance(error, PermissionError):
        return f"没有权限：{error.filename or _first_line(error)}。请检查文件或设备的访问权限", EXIT_FAILURE
    if isinstance(error, FileNotFoundError):
        return f"找不到文件或目录：{error.filename or _first_line(error)}", EXIT_USAGE
    return f"内部错误：{type(error).__name__}: {_first_line(error)}", EXIT_FAILURE


def _is_database_error(error: BaseException) -> bool:
    names = {cls.__name__ for cls in type(error).__mro__}
    module = type(error).__module__
    return bool({"OperationalError", "InterfaceError"} & names) and (
        module.startswith(("psycopg2", "eventsourcing", "sqlite3")))


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def report(error: BaseException, *, as_json: bool) -> int:
    message, code = classify(error)
    if as_json:
        from cli.output import emit_json

        payload: dict[str, Any] = {"ok": False, "error": message, "exit_code": code}
        emit_json(payload)
    print(f"错误：{message}", file=sys.stderr)
    return code
