"""Answers kept while the read model they were read from stands still.

A catalog search is the same answer for the same question until the catalog takes in another event
(a backup wrote a package, a group rotated out): keyed by the question and the view's position, a
kept answer is never stale, and the web tier's fifty operators typing the same fragment, or paging
through one result, cost one search. Weighed by rows, so a few large answers cannot hold the
process's memory; the least recently used goes first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class AnswerCache(Generic[V]):
    def __init__(self, max_weight: int) -> None:
        self.max_weight = max_weight
        self._answers: OrderedDict[Hashable, tuple[int, V]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()  # the web asks from the event loop and from worker threads
        self._version: int | None = None

    def get(self, question: Hashable, version: int) -> V | None:
        """The answer kept for `question` at `version`; None when there is none (or it was read at
        another version: every older answer is dropped then)."""
        with self._lock:
            self._move_to(version)
            kept = self._answers.get(question)
            if kept is None:
                return None
            self._answers.move_to_end(question)
            return kept[1]

    def put(self, question: Hashable, version: int, answer: V, weight: int) -> None:
        """Keep `answer`, read at `version` and worth `weight` (rows, say); an answer weighing more
        than the whole cache is not kept."""
        weight = max(1, weight)
        if weight > self.max_weight:
            return
        with self._lock:
            self._move_to(version)
            if self._version != version:
                return  # read at an older version than the newest asked about: already stale
            previous = self._answers.pop(question, None)
            if previous is not None:
                self._weight -= previous[0]
            self._answers[question] = (weight, answer)
            self._weight += weight
            while self._weight > self.max_weight:
                _, (dropped, _) = self._answers.popitem(last=False)
                self._weight -= dropped

    def _move_to(self, version: int) -> None:
        if self._version is None or version > self._version:
            self._answers.clear()
            self._weight = 0
            self._version = version
