"""A page made of parts that fail alone: the drive, the queue or the database being down costs the
part that needs it, which says so in Chinese, and never the whole page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from kernel.errors import describe
from web import messages

T = TypeVar("T")
log = logging.getLogger("taf.web")


@dataclass(frozen=True)
class Problem:
    part: str  # drive, jobs, tapes … (messages.PARTS)
    label: str  # the part as an operator calls it
    cause: str  # why it cannot be shown: the error's own Chinese message

    @property
    def message(self) -> str:
        return messages.PART_FAILED.format(part=self.label, message=self.cause)


class Parts:
    """Collects each part's value, or — when asking for it failed — its problem and a stand-in."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def get(self, part: str, ask: Callable[[], T], stand_in: Any) -> T:
        try:
            return ask()
        except Exception as error:  # any failure of one part is that part's message
            problem = Problem(part, messages.PARTS.get(part, part), describe(error).message)
            if problem not in self.problems:
                log.warning("%s", problem.message)
                self.problems.append(problem)
            return cast(T, stand_in)

    def failed(self, part: str) -> bool:
        return any(problem.part == part for problem in self.problems)
