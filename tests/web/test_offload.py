"""Where reads run (web/offload.py) and who looks a user up (web/auth/identities.py) under load: on
the event loop over the embedded store, in a thread over PostgreSQL; one look-up for many requests."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import anyio

from app.users import SignedIn
from web.auth.identities import Identities
from web.offload import INLINE, read


def request_with(inline: bool) -> Any:
    return SimpleNamespace(app=SimpleNamespace(state={INLINE: inline}))


def test_reads_run_on_the_event_loop_over_sqlite_and_in_a_worker_thread_otherwise() -> None:
    async def where(inline: bool) -> tuple[int, int]:
        return await read(request_with(inline), threading.get_ident), threading.get_ident()

    ran, loop = anyio.run(where, True)
    assert ran == loop
    ran, loop = anyio.run(where, False)
    assert ran != loop


def test_the_app_reads_inline_on_the_embedded_store(web_app: Any) -> None:
    assert web_app.state[INLINE] is True


class SlowUsers:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def who(self, name: str) -> SignedIn:
        time.sleep(0.05)  # a user's events replayed, in a worker thread
        self.asked.append(name)
        return SignedIn(name=name, role="operator", role_label="操作员")


def test_fifty_requests_of_one_user_whose_answer_expired_wait_for_one_look_up() -> None:
    users = SlowUsers()
    identities = Identities(users, ttl=60.0)  # type: ignore[arg-type]

    async def together() -> list[str]:
        answers: list[str] = []

        async def ask() -> None:
            answers.append((await identities.by_name("zhangsan")).name)

        async with anyio.create_task_group() as group:
            for _ in range(50):
                group.start_soon(ask)
        return answers

    assert anyio.run(together) == ["zhangsan"] * 50 and users.asked == ["zhangsan"]
    identities.forget()
    assert anyio.run(together) == ["zhangsan"] * 50 and users.asked == ["zhangsan"] * 2


def test_a_look_up_that_failed_leaves_the_waiting_requests_to_ask_again() -> None:
    users = SlowUsers()
    real = users.who
    failures = iter([RuntimeError("数据库不可用")])

    def who(name: str) -> SignedIn:
        failure = next(failures, None)
        if failure is not None:
            time.sleep(0.05)
            raise failure
        return real(name)

    users.who = who  # type: ignore[method-assign]
    identities = Identities(users, ttl=60.0)  # type: ignore[arg-type]

    async def together() -> list[str]:
        answers: list[str] = []

        async def ask() -> None:
            try:
                answers.append((await identities.by_name("zhangsan")).name)
            except RuntimeError as error:
                answers.append(str(error))

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(ask)
        return sorted(answers)

    assert anyio.run(together) == ["zhangsan"] * 4 + ["数据库不可用"] and users.asked == ["zhangsan"]
