"""The root of every error TAF raises: one Chinese message, advice, an exit code and an HTTP status.

Modelled on borgbackup's `helpers/errors.py`: each class says how it is reported, so the CLI, the
web and the TUI map any error the same way (`describe` below is that one mapping; nothing guesses
by attribute names). Families (ledger refusals, tape errors, media and restore refusals,
configuration) derive from `TafError` and keep their own constructors; every instance ends up with
`message` (Chinese), `advice` (Chinese, may be empty), `exit_code` and `http_status`.
"""

from __future__ import annotations

import errno
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
# A job's outcome, not an error (`cli.errors.job_exit_code`): no error class carries these two.
EXIT_PARTIAL = 8  # a job ended, but with files it could not back up or restore (its warnings say which)
EXIT_UNFINISHED = 9  # a job stopped before its end: cancelled, paused, or still waiting for a tape
EXIT_DATABASE = 69  # the ledger database cannot be reached (EX_UNAVAILABLE)
EXIT_CONFIG = 78  # a configuration value TAF cannot use (EX_CONFIG)
EXIT_PIPE = 141  # the reader of our output went away (`… | head`): 128 + SIGPIPE, as the shell reports it

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
    """How a face reports one error: the line to show, the exit code and the HTTP status, and the
    technical detail (the database's or the operating system's own words) that goes to the log only."""

    message: str
    exit_code: int
    http_status: int
    detail: str = ""


# What an OSError means, in the words an operator reads (the errno name stays in the log).
OS_ERROR_NAMES: dict[int, str] = {
    errno.ENOENT: "不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "操作不允许",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EIO: "输入/输出错误",
    errno.EROFS: "文件系统只读",
    errno.ENOTDIR: "不是文件夹",
    errno.EISDIR: "是文件夹",
    errno.ENAMETOOLONG: "名称太长",
    errno.ELOOP: "符号链接层数太多",
    errno.EBUSY: "正被占用",
    errno.EMFILE: "打开的文件太多",
    errno.ENFILE: "系统打开的文件太多",
    errno.ETIMEDOUT: "超时",
    errno.ESTALE: "网络文件句柄已失效",
    errno.EINVAL: "参数无效",
    errno.EEXIST: "已存在",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EXDEV: "不能跨文件系统移动",
    errno.ENODEV: "没有这个设备",
    errno.ENXIO: "设备不存在或未就绪",
    errno.ECONNREFUSED: "连接被拒绝",
    errno.EHOSTUNREACH: "主机不可达",
}


def os_error_detail(error: OSError) -> str:
    """A short, stable, Chinese description of an OSError: "没有权限（EACCES）"."""
    name = errno.errorcode.get(error.errno or 0, "")
    if error.errno in OS_ERROR_NAMES:
        return f"{OS_ERROR_NAMES[error.errno]}（{name}）"
    return f"系统错误 {name or error.errno or type(error).__name__}"


def describe(error: BaseException) -> ErrorReport:
    """The one mapping from an exception to what the CLI prints and the web answers.

    A `TafError` says it all itself. Of the rest, only what the operating system or the database
    raise has a meaning of its own; anything else is an internal error, whatever attributes it has.
    The words of the database driver or the operating system (English, with the driver's internals)
    never reach the operator: they are the report's `detail`, for the log.
    """
    if isinstance(error, TafError):
        return ErrorReport(error.text, error.exit_code, error.http_status)
    detail = f"{type(error).__name__}: {' '.join(str(error).split()) or '—'}"
    if _is_database_error(error, _UNREACHABLE):
        return _report("数据库无法访问（请检查 DATABASE_URL 和数据库服务是否在运行；详细信息已写入日志）",
                       EXIT_DATABASE, detail)
    if _is_database_error(error, _DATABASE) and any(words in str(error) for words in _DAMAGED):
        return _report("数据库文件已损坏，无法读取（详细信息已写入日志；请停止服务，按《灾难恢复》从备份或磁带恢复台账）",
                       EXIT_DATABASE, detail)
    if _is_database_error(error, _DATABASE):
        return _report("数据库拒绝了这个操作（详细信息已写入日志；请检查数据库用户的权限和数据库的状态）",
                       EXIT_FAILURE, detail)
    if isinstance(error, PermissionError):
        return _report(f"没有权限访问{_named(error, '这个文件或设备')}（请检查文件或设备的访问权限）", EXIT_FAILURE, detail)
    if isinstance(error, FileNotFoundError):
        return _report(f"找不到文件或目录{_named(error, '')}", EXIT_USAGE, detail)
    if isinstance(error, OSError):
        meaning = OS_ERROR_NAMES.get(error.errno or 0, "操作系统报告了错误（详细信息已写入日志）")
        return _report(f"文件或设备操作失败{_named(error, '')}：{meaning}", EXIT_FAILURE, detail)
    return _report(f"内部错误：程序遇到了意外情况（{type(error).__name__}），详细信息已写入日志", EXIT_FAILURE, detail)


def _named(error: OSError, unnamed: str) -> str:
    """" /dev/sg3" for an OSError that names its file (both, for a rename), else `unnamed`."""
    names = [str(name) for name in (error.filename, error.filename2) if name is not None]
    return " " + " → ".join(names) if names else unnamed


def _report(message: str, exit_code: int, detail: str) -> ErrorReport:
    return ErrorReport(message, exit_code, HTTP_STATUS_FOR_EXIT.get(exit_code, 500), detail)


# The database drivers' error classes, named rather than imported: the kernel imports no driver.
_DRIVERS = ("psycopg2", "eventsourcing", "sqlite3")
_UNREACHABLE = frozenset({"OperationalError", "InterfaceError"})  # no connection, or it broke
_DATABASE = frozenset({"DatabaseError", "PersistenceError"})  # any other refusal of the database
_DAMAGED = ("file is not a database", "database disk image is malformed")  # SQLite's words for a bad file


def _is_database_error(error: BaseException, kinds: frozenset[str]) -> bool:
    """True for psycopg2's, sqlite3's or eventsourcing's errors of one of `kinds`."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(kinds & names) and type(error).__module__.startswith(_DRIVERS)
