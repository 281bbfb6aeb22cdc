"""Outbox delivery: backoff, outcomes, order per recipient, no duplicates — against the stand-in."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify.dispatch import (
    IN_FLIGHT_NOTE,
    OutboxStore,
    OutcomeKind,
    PendingNotification,
    RetryPolicy,
    delay_bounds,
    dispatch_once,
    find_at_gateway,
    next_delay,
)
from notify.gateway import (
    GatewayAuthError,
    GatewayClient,
    PermanentGatewayError,
    RetryableGatewayError,
    SendResult,
)
from notify.standin import StandIn
from tests.notify.conftest import CLIENT_TIMEOUT, OTHER_PHONE, PHONE, STALL, TOKEN

START = datetime(2026, 5, 1, 2, 0)
THIRD_PHONE = "13800000002"
FAST = RetryPolicy(base=1.0, cap=8.0, max_attempts=20)


# --- a tiny honest store -----------------------------------------------------------------------


@dataclass
class Row:
    notification: PendingNotification
    state: str = "pending"
    task_id: str | None = None
    error: str | None = None
    history: list[str] = field(default_factory=list)


class MemoryOutbox:
    """An in-memory OutboxStore that refuses anything a real store would refuse."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}

    def queue(self, nid: str, phone: str, title: str | None = None, content: str | None = None,
              **fields: Any) -> None:
        assert nid not in self.rows
        self.rows[nid] = Row(PendingNotification(
            nid, phone, title or f"标题 {nid}", content or f"内容 {nid}", **fields
        ))

    def list_pending(self, now: datetime) -> Sequence[PendingNotification]:
        return [row.notification for row in self.rows.values() if row.state == "pending"]

    def _pending(self, nid: str) -> Row:
        row = self.rows[nid]
        assert row.state == "pending", f"{nid} is already {row.state}"
        return row

    def mark_delivered(self, notification_id: str, task_id: str | None) -> None:
        row = self._pending(notification_id)
        row.state, row.task_id = "delivered", task_id
        row.history.append("delivered")

    def claim(self, notification_id: str, attempts: int, next_attempt_at: datetime) -> bool:
        row = self.rows[notification_id]
        if row.state != "pending" or row.notification.attempts >= attempts:
            return False  # another dispatcher took this attempt, or the story is closed
        self.mark_retry(notification_id, attempts, next_attempt_at, IN_FLIGHT_NOTE)
        return True

    def mark_retry(self, notification_id: str, attempts: int, next_attempt_at: datetime, error: str) -> None:
        row = self._pending(notification_id)
        assert attempts >= row.notification.attempts, "attempts never go backwards"
        row.notification = replace(row.notification, attempts=attempts, next_attempt_at=next_attempt_at)
        row.error = error
        row.history.append(f"retry {attempts}")

    def mark_failed(self, notification_id: str, error: str) -> None:
        row = self._pending(notification_id)
        row.state, row.error = "failed", error
        row.history.append("failed")

    def states(self) -> dict[str, str]:
        return {nid: row.state for nid, row in self.rows.items()}


class Crash(Exception):
    """The process dies here."""


class CrashBeforeMarkingDelivered(MemoryOutbox):
    """Dies once between the gateway accepting a message and the store recording it."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_next_delivery = True

    def mark_delivered(self, notification_id: str, task_id: str | None) -> None:
        if self.crash_next_delivery:
            self.crash_next_delivery = False
            raise Crash(notification_id)
        super().mark_delivered(notification_id, task_id)


def drain(store: OutboxStore, gateway: Any, *, policy: RetryPolicy = FAST, passes: int = 60) -> datetime:
    """Run passes, moving the clock past any backoff, until nothing is pending; return the clock."""
    now = START
    for _ in range(passes):
        if not store.list_pending(now):
            return now
        dispatch_once(store, gateway, now, policy=policy, rand=lambda: 1.0)
        now += timedelta(seconds=policy.cap + 1)
    raise AssertionError("the outbox did not drain")


def arrivals(standin: StandIn) -> dict[str, list[str]]:
    per_phone: dict[str, list[str]] = {}
    for message in standin.messages:
        per_phone.setdefault(message["phone"], []).append(message["title"])
    return per_phone


@pytest.fixture
def gateway(standin: StandIn) -> Iterator[GatewayClient]:
    with GatewayClient(standin.url, TOKEN, timeout=CLIENT_TIMEOUT) as client:
        yield client


def queue_mixed(store: MemoryOutbox, per_phone: int = 3) -> dict[str, list[str]]:
    expected: dict[str, list[str]] = {}
    for i in range(per_phone):
        for phone in (PHONE, OTHER_PHONE, THIRD_PHONE):
            nid = f"{phone[-1]}-{i}"
            store.queue(nid, phone)
            expected.setdefault(phone, []).append(f"标题 {nid}")
    return expected


# --- backoff -----------------------------------------------------------------------------------


def test_the_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    assert [delay_bounds(n, 30, 3600)[1] for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_the_jitter_lies_between_half_and_all_of_the_backoff() -> None:
    assert next_delay(3, 30, 3600, 0.0) == 60
    assert next_delay(3, 30, 3600, 1.0) == 120
    assert next_delay(3, 30, 3600, 0.5) == 90


def test_a_huge_attempt_count_waits_the_cap_without_overflowing() -> None:
    assert delay_bounds(10_000, 30, 3600) == (1800, 3600)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [((0, 30, 3600, 0.5), "尝试次数"), ((1, 0, 3600, 0.5), "退避基数"), ((1, 30, 10, 0.5), "上限"),
     ((1, 30, 3600, 1.5), "抖动比例"), ((1, 30, 3600, -0.1), "抖动比例")],
)
def test_backoff_arguments_out_of_range_are_refused(args: tuple[int, float, float, float], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        next_delay(*args)


def test_a_retry_policy_with_impossible_numbers_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base=0)
    with pytest.raises(ValueError, match="最大尝试次数"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="核对网关记录"):
        RetryPolicy(lookback=0)


@given(st.integers(1, 200), st.floats(0.001, 1000), st.floats(1, 100), st.floats(0, 1))
def test_every_delay_lies_within_its_bounds_and_never_exceeds_the_cap(
    attempts: int, base: float, factor: float, fraction: float
) -> None:
    cap = base * factor
    low, high = delay_bounds(attempts, base, cap)
    delay = next_delay(attempts, base, cap, fraction)
    assert base / 2 <= low <= delay <= high <= cap
    assert delay_bounds(attempts + 1, base, cap)[1] >= high


# --- against the stand-in ----------------------------------------------------------------------


def test_pending_notifications_are_delivered_and_recorded_with_their_task_id(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE, "【TAF】备份成功：2026-05", "### 备份成功")
    report = dispatch_once(store, gateway, START)
    assert report.delivered == ["n1"] and report.stopped is None
    assert store.rows["n1"].state == "delivered"
    assert store.rows["n1"].task_id == standin.messages[0]["task_id"]
    assert store.rows["n1"].history == ["retry 1", "delivered"]  # the write-ahead, then the result


def test_after_the_gateway_fails_for_a_while_everything_arrives_once_in_order(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = MemoryOutbox()
    expected = queue_mixed(store, per_phone=4)
    standin.fail("500", count=5)
    drain(store, gateway)
    assert set(store.states().values()) == {"delivered"}
    assert arrivals(standin) == expected


def test_after_timeouts_everything_arrives_once_in_order(standin: StandIn, gateway: GatewayClient) -> None:
    store = MemoryOutbox()
    expected = queue_mixed(store, per_phone=2)
    standin.fail("timeout", count=2, sleep=STALL)
    drain(store, gateway)
    assert arrivals(standin) == expected


def test_a_lost_reply_is_found_in_the_gateway_records_and_not_sent_again(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = MemoryOutbox()
    expected = queue_mixed(store, per_phone=2)
    standin.fail("lost_reply", count=1, sleep=STALL, path="/api/v1/messages/send")
    first = dispatch_once(store, gateway, START, policy=FAST)
    assert first.retrying == [f"{PHONE[-1]}-0"]
    assert len(standin.messages) == 1  # taken by the gateway although the reply never came
    second = dispatch_once(store, gateway, START + timedelta(seconds=10), policy=FAST)
    assert second.outcomes[0].kind is OutcomeKind.ALREADY_DELIVERED
    assert second.outcomes[0].task_id == standin.messages[0]["task_id"]
    drain(store, gateway)
    assert arrivals(standin) == expected


def test_a_crash_between_acceptance_and_recording_does_not_duplicate_the_message(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = CrashBeforeMarkingDelivered()
    store.queue("n1", PHONE)
    store.queue("n2", PHONE)
    with pytest.raises(Crash):
        dispatch_once(store, gateway, START, policy=FAST)
    # After the restart the write-ahead record shows an attempt was made.
    assert store.rows["n1"].notification.attempts == 1
    assert store.rows["n1"].error == IN_FLIGHT_NOTE
    drain(store, gateway)
    assert arrivals(standin) == {PHONE: ["标题 n1", "标题 n2"]}
    assert store.states() == {"n1": "delivered", "n2": "delivered"}


def test_a_drop_after_sending_is_retried_once_the_records_show_nothing(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE)
    standin.fail("drop", count=1, path="/api/v1/messages/send")
    drain(store, gateway)
    assert arrivals(standin) == {PHONE: ["标题 n1"]}
    assert store.rows["n1"].history == ["retry 1", "retry 1", "retry 2", "delivered"]


def test_a_gateway_in_trouble_ends_the_pass_and_defers_the_rest(standin: StandIn, gateway: GatewayClient) -> None:
    store = MemoryOutbox()
    queue_mixed(store, per_phone=1)
    standin.fail("503", count=1)
    report = dispatch_once(store, gateway, START, policy=FAST)
    kinds = [o.kind for o in report.outcomes]
    assert kinds == [OutcomeKind.RETRY, OutcomeKind.DEFERRED, OutcomeKind.DEFERRED]
    assert report.stopped is not None and "暂时不可用" in report.stopped
    assert [row.notification.attempts for row in store.rows.values()] == [1, 0, 0]


def test_a_rate_limited_retry_waits_at_least_what_the_gateway_asked(standin: StandIn, gateway: GatewayClient) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE)
    standin.fail("429", count=1)
    report = dispatch_once(store, gateway, START, policy=RetryPolicy(base=0.01, cap=0.02), rand=lambda: 0.0)
    assert report.outcomes[0].next_attempt_at == START + timedelta(seconds=1)


def test_a_notification_fails_for_good_after_the_maximum_attempts(standin: StandIn, gateway: GatewayClient) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE)
    store.queue("n2", PHONE)
    standin.fail("500")
    policy = RetryPolicy(base=1, cap=2, max_attempts=3)
    now = START
    for _ in range(3):
        dispatch_once(store, gateway, now, policy=policy)
        now += timedelta(seconds=10)
    assert store.rows["n1"].state == "failed"
    assert "已尝试 3 次仍未成功" in (store.rows["n1"].error or "")
    standin.recover()
    drain(store, gateway, policy=policy)
    assert arrivals(standin) == {PHONE: ["标题 n2"]}


def test_a_notification_found_at_its_limit_is_checked_then_failed_not_resent(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE, attempts=3)
    report = dispatch_once(store, gateway, START, policy=RetryPolicy(max_attempts=3))
    assert report.failed == ["n1"]
    assert "不再重试" in (store.rows["n1"].error or "")
    assert standin.messages == []


def test_a_rejected_message_fails_at_once_and_the_next_one_to_that_phone_goes_out(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = MemoryOutbox()
    store.queue("bad", PHONE, title=" ")
    store.queue("good", PHONE)
    report = dispatch_once(store, gateway, START)
    assert [(o.notification_id, o.kind) for o in report.outcomes] == [
        ("bad", OutcomeKind.FAILED), ("good", OutcomeKind.DELIVERED),
    ]
    assert "标题不能为空" in (store.rows["bad"].error or "")


def test_a_phone_without_a_dingtalk_user_fails_permanently(standin: StandIn, gateway: GatewayClient) -> None:
    standin.unknown_phones.add(PHONE)
    store = MemoryOutbox()
    store.queue("n1", PHONE)
    assert dispatch_once(store, gateway, START).failed == ["n1"]
    assert "未找到手机号" in (store.rows["n1"].error or "")


def test_a_bad_token_fails_the_notification_at_hand_and_stops_the_pass(standin: StandIn) -> None:
    store = MemoryOutbox()
    queue_mixed(store, per_phone=1)
    with GatewayClient(standin.url, "wrong-token-0000", timeout=CLIENT_TIMEOUT) as wrong:
        report = dispatch_once(store, wrong, START)
    assert [o.kind for o in report.outcomes] == [OutcomeKind.FAILED, OutcomeKind.DEFERRED, OutcomeKind.DEFERRED]
    assert report.stopped is not None and "网关令牌无效" in report.stopped
    assert list(store.states().values()) == ["failed", "pending", "pending"]


def test_a_failed_lookup_before_a_resend_waits_and_never_sends_blind(
    standin: StandIn, gateway: GatewayClient
) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE, attempts=1)
    standin.fail("500", count=1, path="/api/v1/messages")
    report = dispatch_once(store, gateway, START, policy=FAST)
    assert report.retrying == ["n1"]
    assert store.rows["n1"].notification.attempts == 2
    assert "无法核对是否已送达" in (store.rows["n1"].error or "")
    assert standin.messages == []
    drain(store, gateway)
    assert arrivals(standin) == {PHONE: ["标题 n1"]}


def test_a_last_ambiguous_failure_is_reported_as_possibly_delivered(standin: StandIn, gateway: GatewayClient) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE)
    standin.fail("503", count=1)
    report = dispatch_once(store, gateway, START, policy=RetryPolicy(max_attempts=1))
    assert report.failed == ["n1"]
    assert "可能已被网关接收" in (store.rows["n1"].error or "")


def test_a_lookup_refused_for_a_bad_token_fails_the_notification(standin: StandIn) -> None:
    store = MemoryOutbox()
    store.queue("n1", PHONE, attempts=1)
    with GatewayClient(standin.url, "wrong-token-0000", timeout=CLIENT_TIMEOUT) as wrong:
        report = dispatch_once(store, wrong, START)
    assert report.failed == ["n1"] and report.stopped is not None


# --- order and identity, without the network ---------------------------------------------------


class RecordingGateway:
    """An in-process gateway for the pure ordering rules."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, title: str, content: str, message_type: str = "markdown") -> SendResult:
        self.sent.append((phone, title))
        return SendResult(True, "ok", f"task-{len(self.sent)}", "user")

    def messages(self, limit: int = 50, offset: int = 0, phone: str | None = None) -> list[dict[str, Any]]:
        return []


def test_a_notification_waiting_for_its_backoff_holds_back_later_ones_to_the_same_phone() -> None:
    store = MemoryOutbox()
    store.queue("a1", PHONE, attempts=1, next_attempt_at=START + timedelta(minutes=5))
    store.queue("a2", PHONE)
    store.queue("b1", OTHER_PHONE)
    gateway = RecordingGateway()
    report = dispatch_once(store, gateway, START)
    assert [(o.notification_id, o.kind) for o in report.outcomes] == [
        ("a1", OutcomeKind.NOT_DUE), ("a2", OutcomeKind.HELD), ("b1", OutcomeKind.DELIVERED),
    ]
    assert gateway.sent == [(OTHER_PHONE, "标题 b1")]


def test_queue_time_decides_the_order_when_every_notification_has_one() -> None:
    store = MemoryOutbox()
    store.queue("late", PHONE, queued_at=START + timedelta(seconds=2))
    store.queue("early", PHONE, queued_at=START)
    store.queue("middle", PHONE, queued_at=START + timedelta(seconds=1))
    gateway = RecordingGateway()
    dispatch_once(store, gateway, START + timedelta(minutes=1))
    assert [title for _, title in gateway.sent] == ["标题 early", "标题 middle", "标题 late"]


def test_a_notification_listed_twice_is_sent_once() -> None:
    class Doubling(MemoryOutbox):
        def list_pending(self, now: datetime) -> Sequence[PendingNotification]:
            pending = list(super().list_pending(now))
            return pending + pending

    store = Doubling()
    store.queue("n1", PHONE)
    gateway = RecordingGateway()
    report = dispatch_once(store, gateway, START)
    assert gateway.sent == [(PHONE, "标题 n1")] and report.delivered == ["n1"]


def test_the_duplicate_check_ignores_records_the_gateway_itself_failed() -> None:
    class FailedRecord(RecordingGateway):
        def messages(self, limit: int = 50, offset: int = 0, phone: str | None = None) -> list[dict[str, Any]]:
            return [{"phone": PHONE, "title": "标题 n1", "content": "内容 n1", "status": "failed", "task_id": "t"}]

    notification = PendingNotification("n1", PHONE, "标题 n1", "内容 n1", attempts=1)
    assert find_at_gateway(FailedRecord(), notification, 200) is None


def test_the_duplicate_check_pages_through_the_records_up_to_the_lookback() -> None:
    class ManyRecords(RecordingGateway):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[tuple[int, int]] = []

        def messages(self, limit: int = 50, offset: int = 0, phone: str | None = None) -> list[dict[str, Any]]:
            self.calls.append((limit, offset))
            records = [{"phone": PHONE, "title": f"旧 {i}", "content": "x"} for i in range(120)]
            records.append({"phone": PHONE, "title": "标题 n1", "content": "内容 n1", "task_id": "task-9"})
            return records[offset:offset + limit]

    gateway = ManyRecords()
    notification = PendingNotification("n1", PHONE, "标题 n1", "内容 n1", attempts=1)
    assert find_at_gateway(gateway, notification, 200) == {
        "phone": PHONE, "title": "标题 n1", "content": "内容 n1", "task_id": "task-9",
    }
    assert gateway.calls == [(50, 0), (50, 50), (50, 100)]
    gateway.calls.clear()
    assert find_at_gateway(gateway, notification, 60) is None
    assert gateway.calls == [(50, 0), (10, 50)]


class FlakyGateway:
    """Fails on a script: 'ok', 'fail' (never reached the gateway), 'lost' (taken, reply lost),
    'lookup' (the record listing fails). Keeps what it took, like a real gateway's records."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.taken: list[dict[str, Any]] = []

    def _next(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def send(self, phone: str, title: str, content: str, message_type: str = "markdown") -> SendResult:
        step = self._next()
        if step in ("fail", "lookup"):
            raise RetryableGatewayError("模拟故障")
        record = {"phone": phone, "title": title, "content": content, "task_id": f"task-{len(self.taken)}"}
        self.taken.append(record)
        if step == "lost":
            raise RetryableGatewayError("模拟回复丢失", ambiguous=True)
        return SendResult(True, "ok", record["task_id"], "user")

    def messages(self, limit: int = 50, offset: int = 0, phone: str | None = None) -> list[dict[str, Any]]:
        if self.script and self.script[0] == "lookup":
            self.script.pop(0)
            raise RetryableGatewayError("模拟查询失败")
        mine = [r for r in reversed(self.taken) if phone is None or r["phone"] == phone]
        return mine[offset:offset + limit]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([PHONE, OTHER_PHONE, THIRD_PHONE]), min_size=1, max_size=12),
    st.lists(st.sampled_from(["ok", "fail", "lost", "lookup"]), max_size=30),
)
def test_whatever_the_gateway_does_each_notification_arrives_exactly_once_in_order_per_phone(
    phones: list[str], script: list[str]
) -> None:
    store = MemoryOutbox()
    for i, phone in enumerate(phones):
        store.queue(f"n{i}", phone)
    gateway = FlakyGateway(script)
    drain(store, gateway, policy=RetryPolicy(base=1, cap=2, max_attempts=1000), passes=200)
    assert set(store.states().values()) == {"delivered"}
    for phone in set(phones):
        wanted = [f"标题 n{i}" for i, p in enumerate(phones) if p == phone]
        assert [r["title"] for r in gateway.taken if r["phone"] == phone] == wanted


def test_a_gateway_that_is_not_a_gateway_error_is_not_swallowed() -> None:
    class Broken(RecordingGateway):
        def send(self, phone: str, title: str, content: str, message_type: str = "markdown") -> SendResult:
            raise RuntimeError("程序错误")

    store = MemoryOutbox()
    store.queue("n1", PHONE)
    with pytest.raises(RuntimeError):
        dispatch_once(store, Broken(), START)
    assert store.rows["n1"].notification.attempts == 1  # the attempt stays recorded


def test_permanent_and_retryable_errors_are_told_apart_by_class() -> None:
    assert issubclass(GatewayAuthError, PermanentGatewayError)
    assert not issubclass(RetryableGatewayError, PermanentGatewayError)
