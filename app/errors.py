"""Refusals of the application layer: a request a face passed on that cannot be carried out."""

from __future__ import annotations

from kernel.errors import EXIT_DATABASE, EXIT_NOT_FOUND, EXIT_STATE, EXIT_USAGE, TafError


class AppError(TafError):
    default_message = "请求无法执行"


class BadRequest(AppError):
    """The request itself is wrong: an unknown setting, a password too short, a malformed value."""

    exit_code = EXIT_USAGE
    default_message = "请求的参数有误"


class Refused(AppError):
    """Well-formed, but not allowed now or for this user; nothing was changed."""

    exit_code = EXIT_STATE
    default_message = "当前不允许这个操作"


class SignInRefused(Refused):
    """Wrong name or password, or a disabled account (the message never says which)."""

    http_status = 401
    default_message = "用户名或密码不正确"


class Unknown(AppError):
    exit_code = EXIT_NOT_FOUND
    default_message = "找不到请求的对象"


class QueueDown(AppError):
    """The job is recorded, but the worker's queue could not take it: it runs once the worker is back."""

    exit_code = EXIT_DATABASE  # the service that takes the work is unavailable (503)

    def __init__(self, job_id: str, error: BaseException) -> None:
        super().__init__(f"任务 {job_id} 已记录，但后台任务队列暂时无法访问（{type(error).__name__}: {error}）",
                         "后台任务进程恢复后会自动运行它，无须重新提交")
        self.job_id = job_id
