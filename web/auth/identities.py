"""Who a session or an API token belongs to right now, asked of `App.users` and kept a few seconds.

Every request is checked against the ledger (a disabled user, a changed role or a revoked token
counts), but loading a user replays its events, so the answer is kept per process for `ttl`
seconds: a revocation takes effect in every web process within that time. The calls run in a
worker thread, never on the event loop, one at a time for a key.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import anyio
import anyio.to_thread
from litestar.exceptions import NotAuthorizedException

from app.users import SignedIn, Users
from kernel.errors import TafError

DEFAULT_TTL = 10.0
MAX_ENTRIES = 4096


class Identities:
    def __init__(self, users: Users, ttl: float = DEFAULT_TTL) -> None:
        self._users = users
        self._ttl = ttl
        self._cache: dict[str, tuple[float, SignedIn | None, Exception | None]] = {}
        self._lock = threading.Lock()
        # The question being asked for a key: when the answer expires under load, fifty requests
        # wait for one look-up instead of making fifty (a stall every `ttl` seconds).
        self._flights: dict[str, anyio.Event] = {}

    async def by_name(self, name: str) -> SignedIn:
        """The signed-in user of a session; NotAuthorized if the account is gone or disabled."""
        user = await self._cached(f"name:{name.lower()}", lambda: self._users.who(name))
        if user is None:
            raise NotAuthorizedException("账户已不存在或已停用，请重新登录")
        return user

    async def by_token(self, token: str) -> SignedIn:
        """The user an API token belongs to; `TokenRefused` (401) if it is not valid now."""
        key = "token:" + hashlib.sha256(token.encode()).hexdigest()
        user = await self._cached(key, lambda: self._users.authenticate_token(token))
        assert user is not None  # authenticate_token raises rather than answer None
        return user

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    async def _cached(self, key: str, ask: Callable[[], SignedIn | None]) -> SignedIn | None:
        while True:
            now = time.monotonic()
            with self._lock:
                entry = self._cache.get(key)
                flight = self._flights.get(key)
                asking = flight is None and (entry is None or entry[0] <= now)
                if asking:
                    flight = self._flights[key] = anyio.Event()
            if entry is not None and entry[0] > now:
                break
            assert flight is not None
            if not asking:  # another request of this process is asking already: share its answer
                await flight.wait()
                continue
            try:
                entry = await anyio.to_thread.run_sync(self._ask, ask, now + self._ttl)
                with self._lock:
                    if len(self._cache) >= MAX_ENTRIES:
                        self._cache.clear()
                    self._cache[key] = entry
            finally:
                with self._lock:
                    del self._flights[key]
                flight.set()
            break
        _, user, refusal = entry
        if refusal is not None:
            raise refusal
        return user

    @staticmethod
    def _ask(ask: Callable[[], SignedIn | None],
             until: float) -> tuple[float, SignedIn | None, Exception | None]:
        """The answer with its expiry; a refusal (a TafError) is kept too, anything else is raised."""
        try:
            return until, ask(), None
        except TafError as refusal:
            return until, None, refusal
