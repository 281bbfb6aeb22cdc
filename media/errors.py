"""Refusals of the media use cases. Each carries its Chinese message, advice, exit code and HTTP
status (`kernel.errors`), like `ledger.errors` does, so every face reports them the same way."""

from __future__ import annotations

from kernel.errors import EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_STATE, EXIT_USAGE, TafError


class MediaError(TafError):
    exit_code = EXIT_FAILURE
    default_message = "磁带操作失败"

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message, advice)

    def __str__(self) -> str:
        return self.text


class BadInput(MediaError):
    """The request itself is malformed (a CDB that is not hex, an impossible option)."""

    exit_code = EXIT_USAGE
    default_message = "请求的参数有误"


class Refused(MediaError):
    """The request is well-formed but unsafe or impossible now; nothing was changed."""

    exit_code = EXIT_STATE
    default_message = "当前不能执行这个磁带操作"


class NotFound(MediaError):
    exit_code = EXIT_NOT_FOUND
    default_message = "找不到请求的磁带或设备"
