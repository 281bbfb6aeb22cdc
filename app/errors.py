"""Refusals of the application layer: a request a face passed on that cannot be carried out."""

from __future__ import annotations

from kernel.errors import EXIT_NOT_FOUND, EXIT_STATE, EXIT_USAGE, TafError


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
