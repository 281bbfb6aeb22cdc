"""Login throttling: too many failed sign-ins for one user name or from one address → 429.

Failures are counted in memory, per web process, over a sliding window: with several web
processes an attacker gets that many tries per process, which still makes guessing a password
hopeless, and no state has to be shared. Every failure is also a `LoginFailed` event in the
ledger (with the address), so the audit log shows an attack whatever this counter forgets on a
restart. A success clears the user's count (not the address's: one address guessing many names
stays blocked).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from kernel.errors import EXIT_STATE, TafError

MAX_PER_USER = 5
MAX_PER_ADDRESS = 20
WINDOW_SECONDS = 15 * 60
MAX_KEYS = 10_000


class TooManyAttempts(TafError):
    exit_code = EXIT_STATE
    http_status = 429
    default_message = "登录失败次数过多，请稍后再试"


class LoginThrottle:
    def __init__(self, *, per_user: int = MAX_PER_USER, per_address: int = MAX_PER_ADDRESS,
                 window: float = WINDOW_SECONDS) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, name: str, address: str) -> None:
        """Refuse before any password is checked if this name or this address failed too often."""
        now = time.monotonic()
        with self._lock:
            for key, limit, what in ((_user(name), self.per_user, "该用户"), (_address(address), self.per_address, "该地址")):
                recent = self._recent(key, now)
                if len(recent) >= limit:
                    minutes = max(1, math.ceil((recent[0] + self.window - now) / 60))
                    raise TooManyAttempts(f"{what}登录失败次数过多（{self.window // 60:.0f} 分钟内 {len(recent)} 次），"
                                          f"请 {minutes} 分钟后再试")

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (_user(name), _address(address)):
                self._recent(key, now).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(_user(name), None)

    def _recent(self, key: str, now: float) -> deque[float]:
        if len(self._failures) > MAX_KEYS:  # forget names and addresses whose failures have all aged out
            self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - self.window}
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent


def _user(name: str) -> str:
    return "user:" + name.strip().lower()


def _address(address: str) -> str:
    return "address:" + address
