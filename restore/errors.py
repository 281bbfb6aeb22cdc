"""Refusals of the restore use cases. Each carries its Chinese message, advice and CLI exit code,
like `media.errors`, so the CLI, the web and the TUI report them the same way."""

from __future__ import annotations

from kernel.errors import EXIT_NOT_FOUND, EXIT_STATE, EXIT_USAGE, TafError
from media.errors import MediaError


class RestoreError(MediaError):
    """Same shape as the media refusals (message, advice, exit code); its own family for `except`."""

    exit_code = 1
    default_message = "恢复失败"


class BadRequest(RestoreError):
    """The request itself is malformed: a bad date, a target that is a file, an unknown option."""

    exit_code = EXIT_USAGE
    default_message = "恢复请求有误"


class Refused(RestoreError):
    """Well-formed but impossible now (a finished job, a cartridge that is not ours); nothing changed."""

    exit_code = EXIT_STATE
    default_message = "当前不能执行这个恢复操作"


class NothingFound(RestoreError):
    """An unknown group or job, or a selection that matches nothing in the catalog."""

    exit_code = EXIT_NOT_FOUND
    default_message = "找不到要恢复的内容"


class Stopped(TafError):
    """The job was cancelled or paused while it ran; `status` says which, `reason` why (when it
    was this process that decided to pause, e.g. nobody brought the cartridge in time).

    A signal inside the restore, not a failure: it reaches a face only if a caller lets it through.
    """

    exit_code = EXIT_STATE
    default_message = "恢复任务已停止"

    def __init__(self, status: str, reason: str = "") -> None:
        super().__init__(reason or None)
        self.status = status
        self.reason = reason
