"""How the CLI reports an error: one Chinese line and the exit code `kernel.errors.describe` gives.

Every TAF error class carries its own message, exit code and HTTP status; this module only prints.
The exit codes are re-exported here for the command modules.
"""

from __future__ import annotations

import sys
from typing import Any

from kernel.errors import (
    EXIT_DATABASE,
    EXIT_DEVICE,
    EXIT_FAILURE,
    EXIT_INTEGRITY,
    EXIT_OK,
    EXIT_STATE,
    EXIT_USAGE,
    HTTP_STATUS_FOR_EXIT,
    TafError,
    describe,
)

__all__ = ["EXIT_DATABASE", "EXIT_DEVICE", "EXIT_FAILURE", "EXIT_INTEGRITY", "EXIT_OK", "EXIT_STATE",
           "EXIT_USAGE", "CliError", "report"]


class CliError(TafError):
    """An error the CLI reports as one line with its own exit code (chosen where it is raised)."""

    default_message = "命令无法完成"

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.http_status = HTTP_STATUS_FOR_EXIT.get(exit_code, 500)


def report(error: BaseException, *, as_json: bool) -> int:
    message, code, _ = describe(error)
    if as_json:
        from cli.output import emit_json

        payload: dict[str, Any] = {"ok": False, "error": message, "exit_code": code}
        emit_json(payload)
    print(f"错误：{message}", file=sys.stderr)
    return code
