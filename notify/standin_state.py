"""The stand-in gateway's memory: messages, tasks, what it received, and the failure it was told to
play. Part of `notify.standin` (which serves it over HTTP)."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from notify.gateway import MESSAGE_TYPES

VERSION = "taf-standin 1.0"
FAILURE_MODES = ("500", "503", "429", "401", "timeout", "lost_reply", "drop")
# Longer than the client's default timeout (10 s), so "timeout" really times the client out.
DEFAULT_FAILURE_SLEEP = 12.0


def loopback_host(host: str) -> str:
    """Return the address to bind, refusing anything outside 127.0.0.0/8."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or not address.is_loopback:
        raise ValueError(f"网关替身只能监听本机回环地址（127.0.0.1），拒绝监听“{host}”")
    return host


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def user_id(phone: str) -> str:
    # Stable and obviously synthetic: the same phone always maps to the same user.
    return "user_" + hashlib.sha256(phone.encode("utf-8")).hexdigest()[:10]


@dataclass
class Failure:
    mode: str
    remaining: int | None
    until: float | None
    sleep: float
    path: str | None

    def applies(self, path: str, clock: float) -> bool:
        # "/api/v1/messages" means that endpoint only; a trailing slash ("/api/v1/tasks/") a prefix.
        if self.path is not None and not (path == self.path or (self.path.endswith("/") and path.startswith(self.path))):
            return False
        if self.until is not None and clock >= self.until:
            return False
        return self.remaining is None or self.remaining > 0

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "remaining": self.remaining, "sleep": self.sleep, "path": self.path}


class State:
    """Everything the stand-in remembers; guarded by one lock, copied out on every read."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.started = time.monotonic()
        self.unknown_phones: set[str] = set()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.received: list[dict[str, Any]] = []
            self.messages: list[dict[str, Any]] = []
            self.tasks: dict[str, dict[str, Any]] = {}
            self.failure: Failure | None = None
            self.usage: dict[str, int] = {}
            self.unauthorized = 0

    def set_failure(self, failure: Failure | None) -> None:
        with self.lock:
            self.failure = failure

    def take_failure(self, path: str) -> Failure | None:
        """Consume one failure for this request, if one is set and still applies."""
        with self.lock:
            failure = self.failure
            if failure is None:
                return None
            if not failure.applies(path, time.monotonic()):
                if failure.until is not None and time.monotonic() >= failure.until:
                    self.failure = None
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining == 0:
                    self.failure = None  # used up: the next request is served normally
            return failure

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.received.append(entry)
            key = f"{entry['method']} {entry['route']}"
            self.usage[key] = self.usage.get(key, 0) + 1
            if not entry["authorized"]:
                self.unauthorized += 1
        return entry

    def set_status(self, entry: dict[str, Any], status: int | str) -> None:
        with self.lock:
            entry["status"] = status

    def add_messages(self, phones: Iterable[str], body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        task_id = f"task_{uuid.uuid4().hex}"
        created = now_iso()
        records = []
        with self.lock:
            for phone in phones:
                known = phone not in self.unknown_phones
                record = {
                    "id": len(self.messages) + 1,
                    "task_id": task_id,
                    "phone": phone,
                    "user_id": user_id(phone) if known else None,
                    "title": body["title"],
                    "content": body["content"],
                    "message_type": body["message_type"],
                    "status": "success" if known else "failed",
                    "error": None if known else f"未找到手机号 {phone} 对应的钉钉用户",
                    "created_at": created,
                    "_clock": time.monotonic(),
                }
                self.messages.append(record)
                records.append(record)
            task = {
                "task_id": task_id,
                "status": "completed",
                "user_id": ",".join(r["user_id"] or "" for r in records),
                "phone": ",".join(r["phone"] for r in records),
                "title": body["title"],
                "content": body["content"],
                "created_at": created,
            }
            self.tasks[task_id] = task
        return task, records

    def public_messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [{k: v for k, v in m.items() if not k.startswith("_")} for m in self.messages]


def json_body(handler: BaseHTTPRequestHandler) -> tuple[Any, str | None]:
    length = int(handler.headers.get("Content-Length") or 0)
    if length == 0:
        return None, None
    raw = handler.rfile.read(length)
    try:
        return json.loads(raw.decode("utf-8")), None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "请求体不是有效的 JSON"



def failure_from(mode: str, count: Any, seconds: Any, sleep: Any, path: Any) -> Failure:
    if mode not in FAILURE_MODES:
        raise ValueError(f"不支持的故障模式“{mode}”，可用：{'、'.join(FAILURE_MODES)}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count 必须是正整数")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0):
        raise ValueError("seconds 必须是正数")
    if sleep is not None and (isinstance(sleep, bool) or not isinstance(sleep, int | float) or sleep < 0):
        raise ValueError("sleep 不能为负数")
    if path is not None and not isinstance(path, str):
        raise ValueError("path 必须是文本")
    until = time.monotonic() + float(seconds) if seconds is not None else None
    return Failure(mode, count, until, DEFAULT_FAILURE_SLEEP if sleep is None else float(sleep), path)


def message_problem(body: Any, phones_key: str) -> str | None:
    """Why a send or batch body is refused (the gateway's own checks), or None."""
    if not isinstance(body, dict):
        return "请求体必须是 JSON 对象"
    if phones_key == "phone":
        if not isinstance(body.get("phone"), str) or not body["phone"].strip():
            return "缺少必填字段 phone"
    elif (
        not isinstance(body.get("phones"), list)
        or not body["phones"]
        or not all(isinstance(p, str) and p.strip() for p in body["phones"])
    ):
        return "phones 必须是非空的手机号列表"
    for key in ("title", "content"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            return f"缺少必填字段 {key}"
    body.setdefault("message_type", "markdown")
    if body["message_type"] not in MESSAGE_TYPES:
        return f"message_type 必须是 {'、'.join(MESSAGE_TYPES)} 之一"
    return None
