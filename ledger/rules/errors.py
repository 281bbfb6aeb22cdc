"""The refusal the lifecycle rules give: a value they cannot work with, named in Chinese."""

from __future__ import annotations

from kernel.errors import EXIT_USAGE, TafError


class RuleError(TafError):
    """A cron expression, group name or rotation request the rules cannot honour (exit code 2,
    HTTP 400); each subclass's message says what is wrong with it."""

    exit_code = EXIT_USAGE
    default_message = "生命周期规则不接受这个值"
