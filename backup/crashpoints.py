"""Named points where a drill can make the job process die as abruptly as `kill -9`.

`TAF_CRASH_AT=name[:n]` ends the process the n-th time (default first) the job passes `name`.
Only the crash-and-resume tests and operator drills set it; an unset variable costs one dict
lookup. The points sit in the windows that matter for "nothing written twice": while the plan is
being stored, after it is stored but before the ledger knows, while packing, in the middle of a
package on tape, after the filemark but before the ledger knows, and after the ledger knows but
before the staging file is gone.
"""

from __future__ import annotations

import os

POINTS = ("planning", "planned", "packing", "mid_package", "after_flush", "after_record")
_passed: dict[str, int] = {}


def crash_point(name: str) -> None:
    wanted = os.environ.get("TAF_CRASH_AT")
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] >= int(count or 1):
        os._exit(137)  # no cleanup, no flush: exactly what a killed process leaves behind
