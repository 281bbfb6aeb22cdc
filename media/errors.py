"""Refusals of the media use cases. Each carries its Chinese message, advice and CLI exit code,
like `ledger.errors` does, so every face reports them the same way."""

from __future__ import annotations


class MediaError(Exception):
    exit_code = 1

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice

    def __str__(self) -> str:
        return f"{self.message}（{self.advice}）" if self.advice else self.message


class BadInput(MediaError):
    """The request itself is malformed (a CDB that is not hex, an impossible option)."""

    exit_code = 2


class Refused(MediaError):
    """The request is well-formed but unsafe or impossible now; nothing was changed."""

    exit_code = 3


class NotFound(MediaError):
    exit_code = 4
