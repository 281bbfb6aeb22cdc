"""The gateway stand-in itself: loopback only, control endpoints, failure modes, command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from notify.gateway import GatewayClient, RetryableGatewayError
from notify.standin import FAILURE_MODES, StandIn, main, start_standin
from tests.notify.conftest import CLIENT_TIMEOUT, PHONE, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ROOT = Path(__file__).resolve().parents[2]


def call(standin: StandIn, method: str, path: str, **kwargs: object) -> requests.Response:
    return requests.request(method, standin.url + path, timeout=CLIENT_TIMEOUT, **kwargs)  # type: ignore[arg-type]


# --- where it listens --------------------------------------------------------------------------


def test_the_stand_in_listens_on_127_0_0_1_only(standin: StandIn) -> None:
    assert standin.host == "127.0.0.1"
    assert standin.url.startswith("http://127.0.0.1:")
    assert standin.port > 0


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::1", "example.invalid", ""])
def test_the_stand_in_refuses_any_address_outside_the_loopback_range(host: str) -> None:
    with pytest.raises(ValueError, match="只能监听本机回环地址"):
        start_standin(TOKEN, host=host)


def test_localhost_is_taken_as_127_0_0_1() -> None:
    with start_standin(TOKEN, host="localhost") as running:
        assert running.host == "127.0.0.1"


def test_the_stand_in_needs_a_token() -> None:
    with pytest.raises(ValueError, match="需要一个令牌"):
        start_standin("")


# --- contract details --------------------------------------------------------------------------


def test_every_contract_endpoint_needs_the_bearer_token(standin: StandIn) -> None:
    for method, path in [
        ("POST", "/api/v1/messages/send"), ("POST", "/api/v1/messages/batch"), ("GET", "/api/v1/tasks/x"),
        ("GET", "/api/v1/messages"), ("GET", "/api/v1/statistics"), ("GET", "/api/v1/health"),
    ]:
        response = call(standin, method, path, json={})
        assert response.status_code == 401, path
        assert response.json() == {"success": False, "message": "无效的 API 密钥"}
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_send_missing_a_field_is_answered_422(standin: StandIn) -> None:
    response = call(standin, "POST", "/api/v1/messages/send", json={"phone": PHONE, "title": "标题"}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["message"] == "缺少必填字段 content"


def test_a_send_with_an_unknown_message_type_is_answered_422(standin: StandIn) -> None:
    body = {"phone": PHONE, "title": "标题", "content": "内容", "message_type": "html"}
    assert call(standin, "POST", "/api/v1/messages/send", json=body, headers=AUTH).status_code == 422


def test_a_batch_without_phones_is_answered_422(standin: StandIn) -> None:
    body = {"phones": [], "title": "标题", "content": "内容"}
    response = call(standin, "POST", "/api/v1/messages/batch", json=body, headers=AUTH)
    assert response.status_code == 422 and "phones" in response.json()["message"]


def test_a_body_that_is_not_json_is_answered_400(standin: StandIn) -> None:
    response = call(standin, "POST", "/api/v1/messages/send", data=b"{not json", headers=AUTH)
    assert response.status_code == 400


def test_an_unknown_path_is_404_and_a_wrong_method_405(standin: StandIn) -> None:
    assert call(standin, "GET", "/api/v1/nothing", headers=AUTH).status_code == 404
    response = call(standin, "GET", "/api/v1/messages/send", headers=AUTH)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_message_listing_rejects_a_non_numeric_limit(standin: StandIn) -> None:
    assert call(standin, "GET", "/api/v1/messages?limit=many", headers=AUTH).status_code == 422


def test_a_partly_unknown_batch_still_succeeds_for_the_known_phones(standin: StandIn, client: GatewayClient) -> None:
    standin.unknown_phones.add("13800000009")
    result = client.send_batch([PHONE, "13800000009"], "标题", "内容")
    assert result.message == "批量消息已发送：成功 1 条，失败 1 条"
    assert [m["status"] for m in standin.messages] == ["success", "failed"]


# --- what it received --------------------------------------------------------------------------


def test_received_requests_are_inspectable_in_process_and_over_http(standin: StandIn, client: GatewayClient) -> None:
    client.send(PHONE, "标题", "内容")
    client.health()
    over_http = call(standin, "GET", "/_standin/received").json()["received"]
    assert over_http == standin.received
    assert [(r["method"], r["path"], r["status"]) for r in over_http] == [
        ("POST", "/api/v1/messages/send", 200), ("GET", "/api/v1/health", 200),
    ]


def test_the_received_log_never_holds_the_token(standin: StandIn, client: GatewayClient) -> None:
    client.send(PHONE, "标题", "内容")
    assert TOKEN not in repr(standin.received)


def test_control_requests_are_not_counted_as_received(standin: StandIn) -> None:
    call(standin, "GET", "/_standin/received")
    call(standin, "POST", "/_standin/recover")
    assert standin.received == []


def test_reset_forgets_everything(standin: StandIn, client: GatewayClient) -> None:
    client.send(PHONE, "标题", "内容")
    standin.fail("500")
    assert call(standin, "POST", "/_standin/reset").json() == {"ok": True}
    assert standin.received == [] and standin.messages == []
    assert client.health().healthy


# --- failing on purpose ------------------------------------------------------------------------


def test_failing_for_a_count_fails_exactly_that_many_requests(standin: StandIn, client: GatewayClient) -> None:
    standin.fail("500", count=2)
    for _ in range(2):
        with pytest.raises(RetryableGatewayError):
            client.health()
    assert client.health().healthy
    assert [r["status"] for r in standin.received] == ["500", "500", 200]


def test_failing_for_a_time_stops_by_itself(standin: StandIn, client: GatewayClient) -> None:
    standin.fail("503", seconds=0.3)
    with pytest.raises(RetryableGatewayError):
        client.health()
    time.sleep(0.35)
    assert client.health().healthy


def test_failing_until_told_to_recover(standin: StandIn, client: GatewayClient) -> None:
    standin.fail("500")
    for _ in range(3):
        with pytest.raises(RetryableGatewayError):
            client.health()
    standin.recover()
    assert client.health().healthy


def test_a_failure_can_be_limited_to_one_endpoint(standin: StandIn, client: GatewayClient) -> None:
    standin.fail("500", path="/api/v1/messages")
    client.send(PHONE, "标题", "内容")
    with pytest.raises(RetryableGatewayError):
        client.messages()


def test_a_failure_path_ending_in_a_slash_covers_everything_under_it(standin: StandIn, client: GatewayClient) -> None:
    standin.fail("500", path="/api/v1/tasks/")
    with pytest.raises(RetryableGatewayError):
        client.task("task_1")
    assert client.health().healthy


def test_failures_can_be_ordered_over_http(standin: StandIn, client: GatewayClient) -> None:
    answer = call(standin, "POST", "/_standin/fail", json={"mode": "429", "count": 1})
    assert answer.json() == {"ok": True, "failure": {"mode": "429", "remaining": 1, "sleep": 12.0, "path": None}}
    with pytest.raises(RetryableGatewayError, match="限流"):
        client.health()
    assert client.health().healthy


def test_a_timeout_ordered_over_http_outlasts_the_client(standin: StandIn, client: GatewayClient) -> None:
    call(standin, "POST", "/_standin/fail", json={"mode": "timeout", "seconds": 5, "sleep": 2.5})
    with pytest.raises(RetryableGatewayError, match="没有响应"):
        client.health()
    call(standin, "POST", "/_standin/recover")
    assert client.health().healthy


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"mode": "418"}, "不支持的故障模式"),
        ({"mode": "500", "count": 0}, "count 必须是正整数"),
        ({"mode": "500", "count": True}, "count 必须是正整数"),
        ({"mode": "500", "seconds": -1}, "seconds 必须是正数"),
        ({"mode": "timeout", "sleep": -1}, "sleep 不能为负数"),
        ({"mode": "500", "path": 5}, "path 必须是文本"),
        ([], "JSON 对象"),
    ],
)
def test_a_bad_failure_order_is_refused_with_a_reason(standin: StandIn, body: object, complaint: str) -> None:
    response = call(standin, "POST", "/_standin/fail", json=body)
    assert response.status_code == 400
    assert complaint in response.json()["message"]


def test_an_unknown_control_endpoint_is_404(standin: StandIn) -> None:
    assert call(standin, "GET", "/_standin/nothing").status_code == 404


def test_every_failure_mode_is_known() -> None:
    assert set(FAILURE_MODES) == {"500", "503", "429", "401", "timeout", "lost_reply", "drop"}


def test_stopping_wakes_a_request_held_in_a_simulated_timeout() -> None:
    running = start_standin(TOKEN)
    running.fail("timeout", sleep=30)
    with GatewayClient(running.url, TOKEN, timeout=0.2) as client, pytest.raises(RetryableGatewayError):
        client.health()
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 5


# --- command line ------------------------------------------------------------------------------


def test_the_command_line_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--host", "0.0.0.0", "--port", "0"])
    assert stopped.value.code == 2
    assert "只能监听本机回环地址" in capsys.readouterr().err


def _as_a_background_job() -> None:
    """What a non-interactive shell does to `cmd &`: SIGINT ignored, inherited by the program."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a child process on Windows")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_python_dash_m_notify_standin_serves_until_interrupted(stop: signal.Signals) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "notify.standin", "--port", "0", "--token", "demo"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=_as_a_background_job,
    ) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert "钉钉网关替身已启动：http://127.0.0.1:" in banner
            assert "demo" not in banner.split("令牌")[1]
            url = banner.split("：", 1)[1].split("（", 1)[0]
            with GatewayClient(url, "demo", timeout=5) as client:
                assert client.health().healthy
            process.send_signal(stop)
            assert process.wait(timeout=10) == 0
            assert "正在停止网关替身" in process.stdout.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
