"""The root of every error TAF raises: one Chinese message, advice, an exit code and an HTTP status.

Modelled on borgbackup's `helpers/errors.py`: each class says how it is reported, so the CLI, the
web and the TUI map any error the same way (`describe` below is that one mapping; nothing guesses
by attribute names). Families (ledger refusals, tape errors, media and restore refusals,
configuration) derive from `TafError` and keep their own constructors; every instance ends up with
`message` (Chinese), `advice` (Chinese, may be empty), `exit_code` and `http_status`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# Exit codes (README "退出码"), one per kind of outcome.
EXIT_OK = 0
EXIT_FAILURE = 1  # the work was done and failed, or an internal fault
EXIT_USAGE = 2  # bad arguments or values
EXIT_STATE = 3  # refused in the present state (nothing was changed)
EXIT_NOT_FOUND = 4
EXIT_BUSY = 5  # a drive or cartridge held by another job
EXIT_INTEGRITY = 6  # the ledger's hash chain does not verify
EXIT_DEVICE = 7  # the tape device failed
EXIT_DATABASE = 69  # the ledger database cannot be reached (EX_UNAVAILABLE)
EXIT_CONFIG = 78  # a configuration value TAF cannot use (EX_CONFIG)

# The HTTP status that goes with each exit code (the web's mapping is this table).
HTTP_STATUS_FOR_EXIT: dict[int, int] = {
    EXIT_FAILURE: 500,
    EXIT_USAGE: 400,
    EXIT_STATE: 409,
    EXIT_NOT_FOUND: 404,
    EXIT_BUSY: 423,
    EXIT_INTEGRITY: 500,
    EXIT_DEVICE: 502,
    EXIT_DATABASE: 503,
    EXIT_CONFIG: 500,
}


class TafError(Exception):
    """Base of every error a person may read. Subclasses set `exit_code` (and `http_status` when it
    differs from the exit code's usual one) and `default_message`.

    A class that sets `exit_code` without `http_status` gets the exit code's usual status; one that
    sets neither inherits both from its parent. `detail`, when given, is a technical addition (a
    device's reply, an offset) shown after the Chinese message and kept apart for the log.
    """

    exit_code: int = EXIT_FAILURE
    http_status: int = 500
    default_message: str = "操作失败"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "exit_code" in cls.__dict__ and "http_status" not in cls.__dict__:
            cls.http_status = HTTP_STATUS_FOR_EXIT.get(cls.exit_code, 500)

    def __init__(self, message: str | None = None, advice: str = "", *, detail: str = "") -> None:
        message = message or self.default_message
        self.message = f"{message}：{detail}" if detail else message
        self.advice = advice
        self.detail = detail
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Families have constructors of their own; rebuilding from the state instead of calling
        # them lets every TafError cross a process boundary (packer processes, task queues) intact.
        return _rebuild, (type(self), self.args, self.__dict__)

    @property
    def text(self) -> str:
        """The one line an operator reads: the message, and the advice in brackets."""
        return f"{self.message}（{self.advice}）" if self.advice else self.message


def _rebuild(cls: type[TafError], args: tuple[Any, ...], state: dict[str, Any]) -> TafError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ErrorReport(NamedTuple):
    """How a face reports one error: the line to show, the exit code and the HTTP status."""

    message: str
    exit_code: int
    http_status: int


def describe(error: BaseException) -> ErrorReport:
    """The one mapping from an exception to what the CLI prints and the web answers.

    A `TafError` says it all itself. Of the rest, only what the operating system or the database
    raise has a meaning of its own; anything else is an internal error, whatever attributes it has.
    """
    if isinstance(error, TafError):
        return ErrorReport(error.text, error.exit_code, error.http_status)
    if _is_database_error(error):
        return _report(f"数据库无法访问：{_first_line(error)}。请检查 DATABASE_URL 和数据库服务是否在运行",
                       EXIT_DATABASE)
    if isinstance(error, PermissionError):
        return _report(f"没有权限：{error.filename or _first_line(error)}。请检查文件或设备的访问权限", EXIT_FAILURE)
    if isinstance(error, FileNotFoundError):
        return _report(f"找不到文件或目录：{error.filename or _first_line(error)}", EXIT_USAGE)
    return _report(f"内部错误：{type(error).__name__}: {_first_line(error)}", EXIT_FAILURE)


def _report(message: str, exit_code: int) -> ErrorReport:
    return ErrorReport(message, exit_code, HTTP_STATUS_FOR_EXIT.get(exit_code, 500))


def _is_database_error(error: BaseException) -> bool:
    """psycopg2's, sqlite3's or eventsourcing's OperationalError/InterfaceError, named rather than
    imported: the kernel imports no database driver."""
    names = {cls.__name__ for cls in type(error).__mro__}
    module = type(error).__module__
    return bool({"OperationalError", "InterfaceError"} & names) and (
        module.startswith(("psycopg2", "eventsourcing", "sqlite3")))


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
