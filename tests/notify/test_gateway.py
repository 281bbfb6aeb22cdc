"""The gateway client against the stand-in over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest

from notify.gateway import (
    GatewayAuthError,
    GatewayBadRequest,
    GatewayClient,
    GatewayError,
    GatewayNotConfigured,
    PermanentGatewayError,
    RetryableGatewayError,
    mask_token,
)
from notify.standin import StandIn
from tests.notify.conftest import CLIENT_TIMEOUT, OTHER_PHONE, PHONE, STALL, TOKEN

# --- every endpoint ----------------------------------------------------------------------------


def test_sending_a_message_returns_the_task_and_the_user(client: GatewayClient, standin: StandIn) -> None:
    result = client.send(PHONE, "【TAF】测试消息", "### 测试\n- 内容")
    assert result.success
    assert result.message == "消息发送成功"
    assert result.task_id and result.user_id
    assert result.details == {"phone": PHONE, "title": "【TAF】测试消息", "content": "### 测试\n- 内容"}
    assert [m["title"] for m in standin.messages] == ["【TAF】测试消息"]


def test_the_request_carries_the_bearer_token_and_json(client: GatewayClient, standin: StandIn) -> None:
    client.send(PHONE, "标题", "内容", message_type="text")
    (request,) = standin.received
    assert request["authorized"]
    assert request["method"] == "POST" and request["path"] == "/api/v1/messages/send"
    assert request["body"] == {"phone": PHONE, "title": "标题", "content": "内容", "message_type": "text"}


def test_markdown_is_the_default_message_type(client: GatewayClient, standin: StandIn) -> None:
    client.send(PHONE, "标题", "内容")
    assert standin.received[0]["body"]["message_type"] == "markdown"


def test_a_batch_goes_out_as_one_task_to_every_phone(client: GatewayClient, standin: StandIn) -> None:
    result = client.send_batch([PHONE, OTHER_PHONE], "标题", "内容", "action_card")
    assert result.success and result.task_id
    assert result.details["phones"] == [PHONE, OTHER_PHONE]
    assert {m["phone"] for m in standin.messages} == {PHONE, OTHER_PHONE}
    assert {m["task_id"] for m in standin.messages} == {result.task_id}


def test_a_task_can_be_looked_up_and_is_completed(client: GatewayClient) -> None:
    sent = client.send(PHONE, "标题", "内容")
    assert sent.task_id is not None
    task = client.task(sent.task_id)
    assert task.completed and task.status == "completed"
    assert (task.task_id, task.phone, task.title, task.content) == (sent.task_id, PHONE, "标题", "内容")
    assert task.user_id == sent.user_id


def test_an_unknown_task_is_a_permanent_error(client: GatewayClient) -> None:
    with pytest.raises(PermanentGatewayError, match="HTTP 404") as caught:
        client.task("task_does_not_exist")
    assert caught.value.status == 404


def test_message_records_are_listed_newest_first_with_limit_offset_and_phone(client: GatewayClient) -> None:
    for i in range(5):
        client.send(PHONE if i % 2 == 0 else OTHER_PHONE, f"标题 {i}", "内容")
    assert [r["title"] for r in client.messages()] == [f"标题 {i}" for i in (4, 3, 2, 1, 0)]
    assert [r["title"] for r in client.messages(limit=2, offset=1)] == ["标题 3", "标题 2"]
    assert [r["title"] for r in client.messages(phone=PHONE)] == ["标题 4", "标题 2", "标题 0"]
    assert client.messages(offset=10) == []


def test_listing_records_with_a_bad_limit_is_refused_before_sending(client: GatewayClient, standin: StandIn) -> None:
    with pytest.raises(GatewayBadRequest, match="数量必须大于 0"):
        client.messages(limit=0)
    assert standin.received == []


def test_statistics_count_successes_and_failures(client: GatewayClient, standin: StandIn) -> None:
    standin.unknown_phones.add(OTHER_PHONE)
    client.send(PHONE, "标题", "内容")
    with pytest.raises(PermanentGatewayError):
        client.send(OTHER_PHONE, "标题", "内容")
    stats = client.statistics()
    assert (stats.total, stats.success_count, stats.failed_count) == (2, 1, 1)
    assert stats.success_rate == 50.0
    assert stats.recent_24h == {"total": 2, "success_count": 1, "failed_count": 1}
    assert stats.api_usage["by_endpoint"]["POST /api/v1/messages/send"] == 2


def test_health_reports_healthy_with_timestamp_version_and_uptime(client: GatewayClient) -> None:
    health = client.health()
    assert health.healthy and health.status == "healthy"
    assert health.timestamp and health.version
    assert isinstance(health.uptime, float)


# --- classified failures -----------------------------------------------------------------------


def test_a_wrong_token_is_a_permanent_auth_error_in_chinese(standin: StandIn) -> None:
    with (
        GatewayClient(standin.url, "wrong-token-0000", timeout=CLIENT_TIMEOUT) as client,
        pytest.raises(GatewayAuthError, match="网关令牌无效") as caught,
    ):
        client.health()
    assert caught.value.status == 401
    assert "wrong-token-0000" not in str(caught.value)
    assert standin.received[0]["authorized"] is False


def test_a_simulated_401_is_an_auth_error(client: GatewayClient, standin: StandIn) -> None:
    standin.fail("401", count=1)
    with pytest.raises(GatewayAuthError):
        client.send(PHONE, "标题", "内容")
    assert standin.messages == []


@pytest.mark.parametrize("mode", ["500", "503"])
def test_a_server_error_is_retryable_and_ambiguous_for_a_send(client: GatewayClient, standin: StandIn, mode: str) -> None:
    standin.fail(mode, count=1)
    with pytest.raises(RetryableGatewayError, match=f"HTTP {mode}") as caught:
        client.send(PHONE, "标题", "内容")
    assert caught.value.status == int(mode)
    assert caught.value.ambiguous
    assert client.send(PHONE, "标题", "内容").success


def test_a_server_error_on_a_read_is_retryable_but_not_ambiguous(client: GatewayClient, standin: StandIn) -> None:
    standin.fail("500", count=1)
    with pytest.raises(RetryableGatewayError) as caught:
        client.health()
    assert not caught.value.ambiguous


def test_rate_limiting_is_retryable_and_carries_retry_after(client: GatewayClient, standin: StandIn) -> None:
    standin.fail("429", count=1)
    with pytest.raises(RetryableGatewayError, match="限流") as caught:
        client.health()
    assert caught.value.retry_after == 1.0


def test_a_timeout_is_retryable_and_a_send_may_have_been_taken(client: GatewayClient, standin: StandIn) -> None:
    standin.fail("timeout", count=1, sleep=STALL)
    started = time.monotonic()
    with pytest.raises(RetryableGatewayError, match="没有响应") as caught:
        client.send(PHONE, "标题", "内容")
    assert time.monotonic() - started < STALL
    assert caught.value.ambiguous
    assert standin.messages == []


def test_a_lost_reply_times_out_although_the_gateway_took_the_message(client: GatewayClient, standin: StandIn) -> None:
    standin.fail("lost_reply", count=1, sleep=STALL)
    with pytest.raises(RetryableGatewayError) as caught:
        client.send(PHONE, "标题", "内容")
    assert caught.value.ambiguous
    assert [m["title"] for m in standin.messages] == ["标题"]


def test_a_dropped_connection_is_retryable(client: GatewayClient, standin: StandIn) -> None:
    standin.fail("drop", count=1)
    with pytest.raises(RetryableGatewayError, match="断开了连接") as caught:
        client.send(PHONE, "标题", "内容")
    assert caught.value.ambiguous


def test_a_refused_connection_is_retryable_and_never_ambiguous() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        GatewayClient(f"http://127.0.0.1:{port}", TOKEN, timeout=CLIENT_TIMEOUT) as client,
        pytest.raises(RetryableGatewayError, match="无法连接钉钉网关") as caught,
    ):
        client.send(PHONE, "标题", "内容")
    assert not caught.value.ambiguous


def test_a_validation_error_from_the_gateway_is_a_bad_request(client: GatewayClient, standin: StandIn) -> None:
    # The client leaves the upper bound of "limit" to the gateway, which answers 422.
    with pytest.raises(GatewayBadRequest, match="HTTP 422.*limit") as caught:
        client.messages(limit=5000)
    assert caught.value.status == 422
    assert standin.received[0]["status"] == 422


def test_a_gateway_answer_with_success_false_is_a_permanent_rejection(client: GatewayClient, standin: StandIn) -> None:
    standin.unknown_phones.add(PHONE)
    with pytest.raises(PermanentGatewayError, match="拒绝了这条消息.*未找到手机号"):
        client.send(PHONE, "标题", "内容")


@pytest.mark.parametrize(
    ("call", "complaint"),
    [
        (lambda c: c.send("", "标题", "内容"), "手机号不能为空"),
        (lambda c: c.send(PHONE, " ", "内容"), "标题不能为空"),
        (lambda c: c.send(PHONE, "标题", ""), "内容不能为空"),
        (lambda c: c.send(PHONE, "标题", "内容", "html"), "不支持的消息类型"),
        (lambda c: c.send_batch([], "标题", "内容"), "至少一个有效的手机号"),
        (lambda c: c.send_batch(PHONE, "标题", "内容"), "至少一个有效的手机号"),
        (lambda c: c.task(""), "任务编号不能为空"),
    ],
)
def test_a_request_that_cannot_be_right_is_refused_before_it_is_sent(
    client: GatewayClient, standin: StandIn, call: object, complaint: str
) -> None:
    with pytest.raises(GatewayBadRequest, match=complaint):
        call(client)  # type: ignore[operator]
    assert standin.received == []


def test_error_families_are_distinct() -> None:
    assert issubclass(GatewayAuthError, PermanentGatewayError)
    assert issubclass(GatewayBadRequest, PermanentGatewayError)
    assert not issubclass(RetryableGatewayError, PermanentGatewayError)
    assert issubclass(RetryableGatewayError, GatewayError)


# --- configuration and the token ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "token", "complaint"),
    [
        ("", TOKEN, "未配置钉钉网关地址"),
        ("http://127.0.0.1:5555", "", "未配置钉钉网关令牌"),
        ("127.0.0.1:5555", TOKEN, "地址.*无效"),
        ("ftp://127.0.0.1", TOKEN, "地址.*无效"),
    ],
)
def test_a_missing_or_malformed_configuration_says_so_in_chinese(url: str, token: str, complaint: str) -> None:
    with pytest.raises(GatewayNotConfigured, match=complaint):
        GatewayClient(url, token)


def test_a_timeout_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="大于 0"):
        GatewayClient("http://127.0.0.1:5555", TOKEN, timeout=0)


def test_a_trailing_slash_in_the_base_url_is_harmless(standin: StandIn) -> None:
    with GatewayClient(standin.url + "/", TOKEN, timeout=CLIENT_TIMEOUT) as client:
        assert client.health().healthy


def test_the_client_never_shows_its_token() -> None:
    client = GatewayClient("http://127.0.0.1:5555", "sk-1234567890abcdef89ab")
    assert "sk-1234567890abcdef89ab" not in repr(client)
    assert client.masked_token == "sk-1…89ab"


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        ("sk-1234567890abcdef89ab", "sk-1…89ab"),
        ("test-token", "te…en"),
        ("abcdefgh", "ab…gh"),
        ("short", "****"),
        ("", "（未设置）"),
        (None, "（未设置）"),
    ],
)
def test_a_masked_token_shows_at_most_a_quarter_from_each_end(token: str | None, shown: str) -> None:
    assert mask_token(token) == shown


def test_a_masked_token_never_contains_the_whole_token() -> None:
    for length in range(1, 64):
        token = "".join(chr(ord("a") + i % 26) for i in range(length))
        masked = mask_token(token)
        assert token not in masked or length == 0
        assert sum(ch != "…" for ch in masked if ch != "*") <= max(0, length // 2)
