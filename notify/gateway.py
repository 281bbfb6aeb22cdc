"""Client for the user's DingTalk gateway (contract in MISSION.md).

Every failure is raised as one of two families so callers can decide without inspecting details:
  * RetryableGatewayError — connection refused, timeouts, 5xx, 429, 408, an unreadable answer:
    the same request may well succeed later.
  * PermanentGatewayError — 401/403 (bad token), 400/422 (bad request), other 4xx, or an answer
    with ``success: false``: repeating the same request will not help.
Messages are Chinese, for the notification log and the settings page. The token is never part of
any message or repr; use ``mask_token`` to show which token is configured. As `TafError`s they
answer HTTP 502 (503 while a retry may help or nothing is configured); a request refused before it
was sent is bad input (exit code 2, HTTP 400), a missing configuration exit code 78.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from notify.gateway_errors import (
    GatewayAuthError,
    GatewayBadRequest,
    GatewayError,
    GatewayNotConfigured,
    PermanentGatewayError,
    RetryableGatewayError,
)

__all__ = ["DEFAULT_TIMEOUT", "MESSAGE_TYPES", "GatewayAuthError", "GatewayBadRequest", "GatewayClient",
           "GatewayError", "GatewayNotConfigured", "Health", "PermanentGatewayError", "RetryableGatewayError",
           "SendResult", "Statistics", "TaskStatus", "mask_token"]

MESSAGE_TYPES = ("text", "markdown", "action_card")
DEFAULT_TIMEOUT = 10.0


def mask_token(token: str | None) -> str:
    """Show enough of a token to recognise it, never enough to use it: ``sk-1…89ab``."""
    if not token:
        return "（未设置）"
    if len(token) < 8:
        return "****"
    # Reveal at most a quarter of the token from each end, and never more than four characters.
    shown = min(4, len(token) // 4)
    return f"{token[:shown]}…{token[-shown:]}"


@dataclass(frozen=True)
class SendResult:
    """Answer of send and batch: ``task_id`` identifies the gateway task for later lookups."""

    success: bool
    message: str
    task_id: str | None
    user_id: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    status: str
    success: bool
    message: str
    user_id: str | None
    phone: str | None
    title: str | None
    content: str | None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.status == "completed"


@dataclass(frozen=True)
class Statistics:
    total: int
    success_count: int
    failed_count: int
    success_rate: float
    recent_24h: Mapping[str, Any]
    api_usage: Mapping[str, Any]
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Health:
    status: str
    timestamp: str | None
    version: str | None
    uptime: Any
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return self.status == "healthy"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # An HTTP-date form; the caller's own backoff is good enough then.


def _gateway_text(response: requests.Response) -> str:
    """The gateway's own explanation, if it sent one, kept short for the log."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, Mapping):
        for key in ("message", "detail", "error"):
            if body.get(key):
                return str(body[key])[:200]
    return ""


class GatewayClient:
    """Talks to one gateway with one token. Thread-safe as far as ``requests.Session`` is."""

    def __init__(
        self, base_url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT, session: requests.Session | None = None
    ) -> None:
        if not base_url or not base_url.strip():
            raise GatewayNotConfigured("未配置钉钉网关地址（DINGTALK_API_URL），通知功能未启用")
        if not token or not token.strip():
            raise GatewayNotConfigured("未配置钉钉网关令牌（DINGTALK_API_KEY），通知功能未启用")
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GatewayNotConfigured(f"钉钉网关地址“{base_url}”无效，应以 http:// 或 https:// 开头")
        if timeout <= 0:
            raise ValueError("网关超时时间必须大于 0 秒")
        self.base_url = base_url.strip().rstrip("/")
        self.timeout = timeout
        self._token = token.strip()
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"GatewayClient({self.base_url!r}, token={mask_token(self._token)!r})"

    @property
    def masked_token(self) -> str:
        return mask_token(self._token)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the contract ----------------------------------------------------------------------

    def send(self, phone: str, title: str, content: str, message_type: str = "markdown") -> SendResult:
        """POST /api/v1/messages/send — one message to one phone."""
        _require_text(phone=phone, title=title, content=content)
        _require_type(message_type)
        body = {"phone": phone, "title": title, "content": content, "message_type": message_type}
        return self._send_result(self._request("POST", "/api/v1/messages/send", json_body=body, sends=True))

    def send_batch(
        self, phones: Sequence[str], title: str, content: str, message_type: str = "markdown"
    ) -> SendResult:
        """POST /api/v1/messages/batch — one message to several phones, as one gateway task."""
        if isinstance(phones, str) or not phones or not all(isinstance(p, str) and p.strip() for p in phones):
            raise GatewayBadRequest("批量发送需要至少一个有效的手机号")
        _require_text(title=title, content=content)
        _require_type(message_type)
        body = {"phones": list(phones), "title": title, "content": content, "message_type": message_type}
        return self._send_result(self._request("POST", "/api/v1/messages/batch", json_body=body, sends=True))

    def task(self, task_id: str) -> TaskStatus:
        """GET /api/v1/tasks/{task_id}."""
        _require_text(task_id=task_id)
        body = self._request("GET", f"/api/v1/tasks/{quote(task_id, safe='')}")
        return TaskStatus(
            task_id=str(body.get("task_id") or task_id),
            status=str(body.get("status") or ""),
            success=bool(body.get("success", True)),
            message=str(body.get("message") or ""),
            user_id=_opt_str(body.get("user_id")),
            phone=_opt_str(body.get("phone")),
            title=_opt_str(body.get("title")),
            content=_opt_str(body.get("content")),
            raw=body,
        )

    def messages(self, limit: int = 50, offset: int = 0, phone: str | None = None) -> list[dict[str, Any]]:
        """GET /api/v1/messages — message records, as the gateway lists them (newest first on ours)."""
        if limit < 1 or offset < 0:
            raise GatewayBadRequest("查询消息记录时，数量必须大于 0，偏移不能为负数")
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if phone:
            params["phone"] = phone
        body = self._request("GET", "/api/v1/messages", params=params)
        return _records(body)

    def statistics(self) -> Statistics:
        """GET /api/v1/statistics."""
        body = self._request("GET", "/api/v1/statistics")
        return Statistics(
            total=int(body.get("total") or 0),
            success_count=int(body.get("success_count") or 0),
            failed_count=int(body.get("failed_count") or 0),
            success_rate=float(body.get("success_rate") or 0.0),
            recent_24h=dict(body.get("recent_24h") or {}),
            api_usage=dict(body.get("api_usage") or {}),
            raw=body,
        )

    def health(self) -> Health:
        """GET /api/v1/health."""
        body = self._request("GET", "/api/v1/health")
        return Health(
            status=str(body.get("status") or ""),
            timestamp=_opt_str(body.get("timestamp")),
            version=_opt_str(body.get("version")),
            uptime=body.get("uptime"),
            raw=body,
        )

    # --- plumbing --------------------------------------------------------------------------

    def _send_result(self, body: Mapping[str, Any]) -> SendResult:
        if body.get("success") is False:
            reason = body.get("message") or "未说明原因"
            raise PermanentGatewayError(f"钉钉网关拒绝了这条消息：{reason}")
        return SendResult(
            success=True,
            message=str(body.get("message") or ""),
            task_id=_opt_str(body.get("task_id")),
            user_id=_opt_str(body.get("user_id")),
            details=dict(body.get("details") or {}),
            raw=dict(body),
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        sends: bool = False,
    ) -> dict[str, Any]:
        url = self.base_url + path
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        try:
            response = self._session.request(
                method, url, headers=headers, data=data, params=params, timeout=self.timeout
            )
        except requests.exceptions.ConnectTimeout as error:
            raise RetryableGatewayError(f"连接钉钉网关 {self.base_url} 超时（{self.timeout:g} 秒）") from error
        except requests.exceptions.Timeout as error:
            # The request went out; for a send the gateway may have taken it before we gave up.
            raise RetryableGatewayError(
                f"钉钉网关 {self.base_url} 在 {self.timeout:g} 秒内没有响应", ambiguous=sends
            ) from error
        except requests.exceptions.ConnectionError as error:
            if _after_send(error):
                raise RetryableGatewayError(
                    f"钉钉网关 {self.base_url} 在回复前断开了连接", ambiguous=sends
                ) from error
            raise RetryableGatewayError(
                f"无法连接钉钉网关 {self.base_url}，请确认网关已启动且地址正确"
            ) from error
        except requests.exceptions.RequestException as error:
            raise GatewayBadRequest(f"无法向钉钉网关发出请求：{type(error).__name__}") from error
        return self._answer(response, sends)

    def _answer(self, response: requests.Response, sends: bool) -> dict[str, Any]:
        status = response.status_code
        said = _gateway_text(response)
        suffix = f"（网关说明：{said}）" if said else ""
        if status in (401, 403):
            raise GatewayAuthError(
                f"网关令牌无效或无权限（HTTP {status}），请在系统设置中检查钉钉网关令牌 {self.masked_token}{suffix}",
                status=status,
            )
        if status in (400, 422):
            raise GatewayBadRequest(f"钉钉网关认为请求内容有误（HTTP {status}）{suffix}", status=status)
        if status == 429:
            raise RetryableGatewayError(
                f"钉钉网关请求过于频繁，已被限流（HTTP 429）{suffix}", status=status, retry_after=_retry_after(response)
            )
        if status == 408 or status >= 500:
            raise RetryableGatewayError(
                f"钉钉网关暂时出错（HTTP {status}）{suffix}",
                status=status,
                ambiguous=sends and status != 408,
                retry_after=_retry_after(response),
            )
        if status >= 400:
            raise PermanentGatewayError(f"钉钉网关拒绝了请求（HTTP {status}）{suffix}", status=status)
        try:
            body = response.json()
        except ValueError as error:
            raise RetryableGatewayError(
                f"钉钉网关返回的内容不是 JSON（HTTP {status}）", status=status, ambiguous=sends
            ) from error
        if not isinstance(body, dict):
            if isinstance(body, list):
                return {"records": body}
            raise RetryableGatewayError(f"钉钉网关返回的内容格式不正确（HTTP {status}）", status=status, ambiguous=sends)
        return body


def _after_send(error: requests.exceptions.ConnectionError) -> bool:
    """Whether a connection error happened after the request was sent (reply lost), as far as known.

    A refused or unreachable connection never delivered anything; a connection dropped while
    waiting for the reply may have. When unsure, say "may have", so the caller checks before resending.
    """
    text = repr(error).lower()
    return not any(word in text for word in ("refused", "newconnectionerror", "name or service", "nodename"))


def _records(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The list of message records, whatever key the gateway puts it under."""
    for key in ("records", "messages", "data", "items", "results"):
        value = body.get(key)
        if isinstance(value, list):
            return [dict(item) for item in value if isinstance(item, Mapping)]
        if isinstance(value, Mapping):
            nested = _records(value)
            if nested:
                return nested
    return []


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _require_text(**values: Any) -> None:
    names = {"phone": "手机号", "title": "标题", "content": "内容", "task_id": "任务编号"}
    for key, value in values.items():
        if not isinstance(value, str) or not value.strip():
            raise GatewayBadRequest(f"{names.get(key, key)}不能为空")


def _require_type(message_type: str) -> None:
    if message_type not in MESSAGE_TYPES:
        raise GatewayBadRequest(f"不支持的消息类型“{message_type}”，可用：{'、'.join(MESSAGE_TYPES)}")
