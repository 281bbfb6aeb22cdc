"""A stand-in for the user's DingTalk gateway, served on the loopback interface only.

It implements every endpoint of the gateway contract (MISSION.md) with realistic answers, checks
the bearer token, records what it received, and can be told to misbehave for a while — answer 500,
503, 429 or 401, time out, drop the connection, or take a message and lose the reply (the case
that makes duplicate sends possible). Tests start it in-process with ``start_standin``; a person can
run it for a demo with ``python -m notify.standin --port 5555 --token demo``.

Extra endpoints for tests and demos (no token needed, loopback only):
  GET  /_standin/received   every request that reached /api/v1, oldest first
  POST /_standin/fail       {"mode": "500", "count": 3} or {"mode": "timeout", "seconds": 5, "sleep": 2}
  POST /_standin/recover    stop failing
  POST /_standin/reset      forget messages, tasks, received requests and failures

Nothing here sends anything to DingTalk; "delivered" means "recorded as the gateway would".
"""
from __future__ import annotations

import argparse
import hmac
import ipaddress
import json
import signal
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from notify.gateway import mask_token
from notify.standin_state import (
    DEFAULT_FAILURE_SLEEP,
    FAILURE_MODES,
    VERSION,
    Failure,
    State,
    failure_from,
    json_body,
    loopback_host,
    message_problem,
    now_iso,
)

__all__ = ["DEFAULT_FAILURE_SLEEP", "FAILURE_MODES", "VERSION", "StandIn", "main", "start_standin"]


class _Handler(BaseHTTPRequestHandler):
    server_version = "TAFGatewayStandIn/1.0"
    state: State  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests inspect .received instead of parsing a console log

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # --- plumbing --------------------------------------------------------------------------

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout); nothing left to tell it.
            self.close_connection = True

    def _dispatch(self, method: str) -> None:
        client = ipaddress.ip_address(self.client_address[0])
        if not client.is_loopback:
            self._reply(403, {"success": False, "message": "网关替身只接受本机请求"})
            return
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body, body_error = json_body(self)
        if path.startswith("/_standin/"):
            self._control(method, path, body, body_error)
            return
        self._api(method, path, query, body, body_error)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.state.token.encode())

    # --- the contract ----------------------------------------------------------------------

    def _api(self, method: str, path: str, query: dict[str, str], body: Any, body_error: str | None) -> None:
        state = self.state
        route = "/api/v1/tasks/{task_id}" if path.startswith("/api/v1/tasks/") else path
        authorized = self._authorized()
        failure = state.take_failure(path) if path.startswith("/api/v1/") else None
        entry = state.record({
            "at": now_iso(), "method": method, "path": path, "route": route, "query": query, "body": body,
            "authorized": authorized, "failure": failure.mode if failure else None, "status": None,
        })
        if failure is not None:
            state.set_status(entry, failure.mode)
            self._fail(failure, method, path, query, body, body_error)
            return
        status, answer, headers = self._answer(method, path, query, body, body_error, authorized)
        state.set_status(entry, status)
        self._reply(status, answer, headers)

    def _fail(
        self, failure: Failure, method: str, path: str, query: dict[str, str], body: Any, body_error: str | None
    ) -> None:
        """Misbehave as told."""
        mode = failure.mode
        if mode in ("500", "503"):
            self._reply(int(mode), {"success": False, "message": "网关内部错误（替身模拟）"})
        elif mode == "429":
            self._reply(429, {"success": False, "message": "请求过于频繁（替身模拟）"}, {"Retry-After": "1"})
        elif mode == "401":
            self._reply(401, {"success": False, "message": "无效的 API 密钥（替身模拟）"}, {"WWW-Authenticate": "Bearer"})
        elif mode == "timeout":
            self.state.stopping.wait(failure.sleep)
            self.close_connection = True
        elif mode == "drop":
            self.close_connection = True
        elif mode == "lost_reply":
            # Do the work, then answer too late: the client times out but the message exists.
            self._answer(method, path, query, body, body_error, self._authorized())
            self.state.stopping.wait(failure.sleep)
            self.close_connection = True

    def _answer(
        self, method: str, path: str, query: dict[str, str], body: Any, body_error: str | None, authorized: bool
    ) -> tuple[int, dict[str, Any], dict[str, str] | None]:
        if not authorized:
            return 401, {"success": False, "message": "无效的 API 密钥"}, {"WWW-Authenticate": "Bearer"}
        routes = {
            "/api/v1/messages/send": ("POST", self._send),
            "/api/v1/messages/batch": ("POST", self._batch),
            "/api/v1/messages": ("GET", self._messages),
            "/api/v1/statistics": ("GET", self._statistics),
            "/api/v1/health": ("GET", self._health),
        }
        if path.startswith("/api/v1/tasks/"):
            allowed, action = "GET", self._task
        elif path in routes:
            allowed, action = routes[path]
        else:
            return 404, {"success": False, "message": f"接口不存在：{path}"}, None
        if method != allowed:
            return 405, {"success": False, "message": f"{path} 不支持 {method} 方法"}, {"Allow": allowed}
        if body_error is not None:
            return 400, {"success": False, "message": body_error}, None
        return action(path, query, body)

    def _send(self, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any], None]:
        problem = message_problem(body, "phone")
        if problem:
            return 422, {"success": False, "message": problem, "detail": [{"msg": problem}]}, None
        task, records = self.state.add_messages([body["phone"]], body)
        record = records[0]
        if record["status"] != "success":
            return 200, {"success": False, "message": record["error"], "task_id": task["task_id"]}, None
        return 200, {
            "success": True,
            "message": "消息发送成功",
            "user_id": record["user_id"],
            "task_id": task["task_id"],
            "details": {"phone": body["phone"], "title": body["title"], "content": body["content"]},
        }, None

    def _batch(self, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any], None]:
        problem = message_problem(body, "phones")
        if problem:
            return 422, {"success": False, "message": problem, "detail": [{"msg": problem}]}, None
        task, records = self.state.add_messages(body["phones"], body)
        sent = sum(1 for r in records if r["status"] == "success")
        return 200, {
            "success": sent > 0,
            "message": f"批量消息已发送：成功 {sent} 条，失败 {len(records) - sent} 条",
            "user_id": task["user_id"],
            "task_id": task["task_id"],
            "details": {"phones": body["phones"], "title": body["title"], "content": body["content"]},
        }, None

    def _task(self, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any], None]:
        task_id = path.removeprefix("/api/v1/tasks/")
        with self.state.lock:
            task = dict(self.state.tasks.get(task_id) or {})
        if not task:
            return 404, {"success": False, "message": f"任务不存在：{task_id}"}, None
        return 200, {"success": True, "message": "查询成功", **task}, None

    def _messages(self, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any], None]:
        try:
            limit = int(query.get("limit", 50))
            offset = int(query.get("offset", 0))
        except ValueError:
            return 422, {"success": False, "message": "limit 和 offset 必须是整数"}, None
        if not 1 <= limit <= 1000 or offset < 0:
            return 422, {"success": False, "message": "limit 应在 1–1000 之间，offset 不能为负数"}, None
        records = list(reversed(self.state.public_messages()))
        phone = query.get("phone")
        if phone:
            records = [r for r in records if r["phone"] == phone]
        page = records[offset:offset + limit]
        return 200, {"success": True, "total": len(records), "limit": limit, "offset": offset, "messages": page}, None

    def _statistics(self, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any], None]:
        state = self.state
        horizon = time.monotonic() - timedelta(hours=24).total_seconds()
        with state.lock:
            messages = list(state.messages)
            usage = dict(state.usage)
            unauthorized = state.unauthorized
            requests_total = len(state.received)
        ok = sum(1 for m in messages if m["status"] == "success")
        recent = [m for m in messages if m["_clock"] >= horizon]
        recent_ok = sum(1 for m in recent if m["status"] == "success")
        return 200, {
            "success": True,
            "total": len(messages),
            "success_count": ok,
            "failed_count": len(messages) - ok,
            "success_rate": round(100.0 * ok / len(messages), 2) if messages else 0.0,
            "recent_24h": {"total": len(recent), "success_count": recent_ok, "failed_count": len(recent) - recent_ok},
            "api_usage": {"total_requests": requests_total, "unauthorized": unauthorized, "by_endpoint": usage},
        }, None

    def _health(self, path: str, query: dict[str, str], body: Any) -> tuple[int, dict[str, Any], None]:
        return 200, {
            "status": "healthy",
            "timestamp": now_iso(),
            "version": VERSION,
            "uptime": round(time.monotonic() - self.state.started, 3),
        }, None

    # --- control endpoints -----------------------------------------------------------------

    def _control(self, method: str, path: str, body: Any, body_error: str | None) -> None:
        state = self.state
        if path == "/_standin/received" and method == "GET":
            with state.lock:
                received = [dict(r) for r in state.received]
            self._reply(200, {"received": received})
        elif path == "/_standin/fail" and method == "POST":
            if body_error or not isinstance(body, dict):
                self._reply(400, {"ok": False, "message": body_error or "请求体必须是 JSON 对象"})
                return
            try:
                failure = failure_from(
                    str(body.get("mode", "")), body.get("count"), body.get("seconds"), body.get("sleep"), body.get("path")
                )
            except ValueError as error:
                self._reply(400, {"ok": False, "message": str(error)})
                return
            state.set_failure(failure)
            self._reply(200, {"ok": True, "failure": failure.describe()})
        elif path == "/_standin/recover" and method == "POST":
            state.set_failure(None)
            self._reply(200, {"ok": True})
        elif path == "/_standin/reset" and method == "POST":
            state.reset()
            self._reply(200, {"ok": True})
        else:
            self._reply(404, {"ok": False, "message": f"替身控制接口不存在：{method} {path}"})


class StandIn:
    """A running stand-in. Use ``start_standin`` to make one; ``stop`` (or ``with``) to end it."""

    def __init__(self, server: ThreadingHTTPServer, state: State, thread: threading.Thread) -> None:
        self._server = server
        self._state = state
        self._thread = thread
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.url = f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        return self._state.token

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every request that reached /api/v1, oldest first (copies)."""
        with self._state.lock:
            return [dict(r) for r in self._state.received]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message the stand-in took as sent to DingTalk, oldest first (copies)."""
        return self._state.public_messages()

    @property
    def unknown_phones(self) -> set[str]:
        """Phones answered with ``success: false`` (no DingTalk user), for rejection tests."""
        return self._state.unknown_phones

    def fail(
        self,
        mode: str,
        *,
        count: int | None = None,
        seconds: float | None = None,
        sleep: float | None = None,
        path: str | None = None,
    ) -> None:
        """Misbehave for the next ``count`` requests, for ``seconds``, or until ``recover``.

        ``sleep`` is how long "timeout" and "lost_reply" hold the request; ``path`` limits the
        failure to one endpoint ("/api/v1/messages/send"), or to every path under it when it ends
        with a slash ("/api/v1/tasks/").
        """
        self._state.set_failure(failure_from(mode, count, seconds, sleep, path))

    def recover(self) -> None:
        self._state.set_failure(None)

    def reset(self) -> None:
        self._state.reset()

    def stop(self) -> None:
        self._state.stopping.set()  # wake handlers sleeping in a simulated timeout
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_standin(token: str, port: int = 0, host: str = "127.0.0.1") -> StandIn:
    """Serve the stand-in on 127.0.0.1 (port 0 picks a free one) in a background thread."""
    if not token:
        raise ValueError("网关替身需要一个令牌")
    bind = loopback_host(host)
    state = State(token)
    handler = type("StandInHandler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer((bind, port), handler)
    server.daemon_threads = True
    # A short poll interval makes stop() return promptly (shutdown waits for the next poll).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="gateway-standin", daemon=True
    )
    thread.start()
    return StandIn(server, state, thread)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notify.standin", description="钉钉网关替身（仅监听本机回环地址）")
    parser.add_argument("--port", type=int, default=5555, help="监听端口，默认 5555")
    parser.add_argument("--token", default="demo", help="客户端需携带的 Bearer 令牌，默认 demo")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址，只允许 127.0.0.1")
    args = parser.parse_args(argv)
    try:
        standin = start_standin(args.token, args.port, args.host)
    except (ValueError, OSError) as error:
        parser.exit(2, f"无法启动网关替身：{error}\n")
    # Ctrl+C and `kill` stop it cleanly even where it was started with SIGINT ignored (the background
    # job of a non-interactive shell inherits SIG_IGN, and Python then installs no handler of its own).
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.default_int_handler)
    try:
        print(f"钉钉网关替身已启动：{standin.url}（令牌 {mask_token(args.token)}），按 Ctrl+C 停止", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("正在停止网关替身…", flush=True)
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
