"""How the CLI reports an error, and how a job command's exit code follows the job's outcome.

Every TAF error class carries its own message, exit code and HTTP status (`kernel.errors.describe`);
this module prints the one line and writes the technical detail (a database's or the operating
system's own words) to the log only. The exit codes are re-exported here for the command modules.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from kernel.errors import (
    EXIT_DATABASE,
    EXIT_DEVICE,
    EXIT_FAILURE,
    EXIT_INTEGRITY,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_PIPE,
    EXIT_STATE,
    EXIT_UNFINISHED,
    EXIT_USAGE,
    HTTP_STATUS_FOR_EXIT,
    TafError,
    describe,
)

__all__ = ["EXIT_DATABASE", "EXIT_DEVICE", "EXIT_FAILURE", "EXIT_INTEGRITY", "EXIT_OK", "EXIT_PARTIAL", "EXIT_PIPE",
           "EXIT_STATE", "EXIT_UNFINISHED", "EXIT_USAGE", "CliError", "job_exit_code", "report"]

log = logging.getLogger("taf.cli")

# The one rule for every job command (README "退出码"): how the job ended decides the exit code.
JOB_EXIT_CODES = {"succeeded": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_FAILURE}


def job_exit_code(status: str, *, waited: bool = True) -> int:
    """The exit code of a command that ran or showed a job whose state is now `status`.

    succeeded 0, partial 8, failed 1; any other state means the job has not ended (cancelled,
    paused, waiting for a tape, interrupted): 9 for a command that ran the job to see its end
    (`--wait`, resume, verify). A status query (`waited=False`) of a job still under way exits 0,
    and of a cancelled job 9.
    """
    if status in JOB_EXIT_CODES:
        return JOB_EXIT_CODES[status]
    return EXIT_UNFINISHED if waited or status == "cancelled" else EXIT_OK


class CliError(TafError):
    """An error the CLI reports as one line with its own exit code (chosen where it is raised)."""

    default_message = "命令无法完成"

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.http_status = HTTP_STATUS_FOR_EXIT.get(exit_code, 500)


def report(error: BaseException, *, as_json: bool) -> int:
    shown = describe(error)
    if shown.detail and log.hasHandlers():
        # Only with TAF's log set up: Python's last-resort handler would print the detail on the console.
        log.error("%s（%s）", shown.message, shown.detail, exc_info=error)
    if as_json:
        from cli.output import emit_json

        payload: dict[str, Any] = {"ok": False, "error": shown.message, "exit_code": shown.exit_code}
        emit_json(payload)
    print(f"错误：{shown.message}", file=sys.stderr)
    return shown.exit_code
