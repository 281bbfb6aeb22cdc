"""Refusals of the restore use cases. Each carries its Chinese message, advice and CLI exit code,
like `media.errors`, so the CLI, the web and the TUI report them the same way."""

from __future__ import annotations

from media.errors import MediaError


class RestoreError(MediaError):
    """Same shape as the media refusals (message, advice, exit code); its own family for `except`."""

    exit_code = 1


class BadRequest(RestoreError):
    """The request itself is malformed: a bad date, a target that is a file, an unknown option."""

    exit_code = 2


class Refused(RestoreError):
    """Well-formed but impossible now (a finished job, a cartridge that is not ours); nothing changed."""

    exit_code = 3


class NothingFound(RestoreError):
    """An unknown group or job, or a selection that matches nothing in the catalog."""

    exit_code = 4


class Stopped(Exception):
    """The job was cancelled or paused while it ran; `status` says which, `reason` why (when it
    was this process that decided to pause, e.g. nobody brought the cartridge in time)."""

    def __init__(self, status: str, reason: str = "") -> None:
        super().__init__(status)
        self.status = status
        self.reason = reason
