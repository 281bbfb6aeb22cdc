"""The gateway client's failures, in two families callers decide on without inspecting details:
retryable (the same request may succeed later) and permanent (repeating it will not help)."""

from __future__ import annotations

from kernel.errors import EXIT_CONFIG, EXIT_FAILURE, EXIT_USAGE, TafError


class GatewayError(TafError):
    """Base of every gateway failure; ``str()`` is a Chinese sentence for the user. ``status`` is
    the gateway's own HTTP status, when it answered."""

    exit_code = EXIT_FAILURE
    http_status = 502
    default_message = "钉钉网关出错"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableGatewayError(GatewayError):
    """A failure worth retrying later.

    ``ambiguous`` is True when the gateway may have accepted the request before the failure (the
    reply was lost or late), so a resend could duplicate a message unless checked first.
    ``retry_after`` carries the gateway's Retry-After seconds when it sent one.
    """

    http_status = 503
    default_message = "钉钉网关暂时无法送达"

    def __init__(
        self, message: str, *, status: int | None = None, ambiguous: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.ambiguous = ambiguous
        self.retry_after = retry_after


class PermanentGatewayError(GatewayError):
    """A failure that repeating the same request will not cure."""

    default_message = "钉钉网关拒绝了请求"


class GatewayAuthError(PermanentGatewayError):
    """401/403: the token is missing, wrong or not allowed."""

    default_message = "钉钉网关不接受当前的令牌"


class GatewayBadRequest(PermanentGatewayError):
    """400/422 or a request refused before it was sent: the request itself is wrong."""

    exit_code = EXIT_USAGE
    default_message = "发给钉钉网关的请求有误"


class GatewayNotConfigured(PermanentGatewayError):
    """No gateway URL or token is set: notifications are off."""

    exit_code = EXIT_CONFIG
    http_status = 503
    default_message = "未配置钉钉网关，通知功能未启用"
