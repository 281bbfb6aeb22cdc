"""Every error becomes one Chinese answer, registered once for the whole app.

- `TafError` (and any other exception) through `kernel.errors.describe`: its message and HTTP status.
- Litestar's own HTTP exceptions (404, 405, validation …) with a Chinese sentence per status;
  a validation error names the parameter.
- The shape follows who asked: JSON `{"status_code", "detail", "extra"}` under `/api/`, an htmx
  fragment swapped into the page's message area for an htmx request, otherwise an error page.
  An HTML request that is not signed in is sent to `/login` (htmx: `HX-Redirect`).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from kernel.errors import TafError, describe
from web import messages
from web.pages import current_user, wants_json

log = logging.getLogger("taf.web")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _answer(request: Request[Any, Any, Any], status: int, message: str, *,
            extra: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> Response[Any]:
    if wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": message}
        if extra:
            body["extra"] = extra
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    context = {"status": status, "message": message, "extra": extra or [], "user": current_user(request),
               "title": messages.ERROR_TITLE}
    if request.headers.get("hx-request"):
        return Template("partials/error.html", context=context, status_code=status,
                        headers={**(headers or {}), "HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return Template("error.html", context=context, status_code=status, headers=headers)


def _http_message(error: HTTPException) -> str:
    if "CSRF" in error.detail:
        return messages.CSRF_FAILED
    return error.detail if _CJK.search(error.detail or "") else messages.status_text(error.status_code)


def _validation_extra(error: ValidationException) -> list[dict[str, Any]]:
    items = error.extra if isinstance(error.extra, list) else []
    return [{"key": item.get("key", ""), "message": item.get("message", ""), "source": item.get("source", "")}
            for item in items if isinstance(item, dict)]


def handle_http(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    if isinstance(error, NotAuthorizedException):
        return _not_signed_in(request, error)
    if isinstance(error, ValidationException):
        extra = _validation_extra(error)
        parts = [messages.INVALID_PARAMETER.format(key=item["key"], message=item["message"])
                 for item in extra if item["key"]]
        message = "；".join(parts) or messages.INVALID_BODY.format(message=error.detail)
        return _answer(request, error.status_code, message, extra=extra)
    return _answer(request, error.status_code, _http_message(error), headers=error.headers)


def _not_signed_in(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    message = _http_message(error)
    if wants_json(request):
        return _answer(request, 401, message, headers={"WWW-Authenticate": 'Bearer realm="taf"'})
    target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if request.headers.get("hx-request"):
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def handle_taf(request: Request[Any, Any, Any], error: TafError) -> Response[Any]:
    report = describe(error)
    if report.http_status == 401:
        return _not_signed_in(request, HTTPException(status_code=401, detail=report.message))
    if report.http_status >= 500:
        log.warning("请求 %s %s 失败：%s", request.method, request.url.path, report.message)
    return _answer(request, report.http_status, report.message)


def handle_other(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    report = describe(error)
    log.error("请求 %s %s 出错：%s", request.method, request.url.path, report.message, exc_info=error)
    return _answer(request, report.http_status, report.message)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: handle_http,
    TafError: handle_taf,
    Exception: handle_other,
}
