"""The error answers the JSON API documents in OpenAPI: one body shape (`web.errors`), a sentence per
status so a client's author reads what each means."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.openapi.datastructures import ResponseSpec


@dataclass(frozen=True)
class ErrorBody:
    """Every error the API answers: the status, the Chinese message and, for bad parameters, which."""

    status_code: int
    detail: str  # in Chinese, with the advice when there is one
    extra: list[dict[str, Any]] = field(default_factory=list)  # the parameters that were wrong


MEANINGS = {
    400: "请求的参数有误（哪个参数、错在哪里见 detail 与 extra）",
    403: "权限不足，或路径不在允许的范围内",
    404: "没有这个任务或目录",
    409: "任务当前的状态不允许这个操作（如已完成的任务不能暂停）",
    503: "数据库或后台任务队列暂时无法访问（已记录的任务会在队列恢复后运行）",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=ErrorBody, description=MEANINGS[status], generate_examples=False)
            for status in statuses}
