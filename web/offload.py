"""Where a read of the read models runs: on the event loop when the ledger is the embedded SQLite,
in a worker thread when it is openGauss/PostgreSQL.

A read of the embedded store is Python and SQLite work on this host's CPU: a thread cannot run it
beside the event loop (one interpreter lock), and handing it over costs more than the read — under
fifty concurrent clients a folder listing of 0.2 ms answered 846 requests a second with p99 205 ms
from the thread pool, and 1,415 a second with p99 48 ms on the loop (docs/性能.md). A read of
openGauss mostly waits on the network, which a thread overlaps with other requests.

Only reads bounded by design go here (a page of a folder, a limited search, the tape inventory):
anything that may wait on a drive, a lock or the queue stays in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")
INLINE = "reads_inline"  # the app state's flag, set by create_app from the ledger's kind


def inline_reads(request: Any) -> bool:
    return bool(request.app.state.get(INLINE))


async def read(request: Any, work: Callable[[], T]) -> T:
    """`work()` where reads of this installation's read models run best."""
    if inline_reads(request):
        return work()
    return await anyio.to_thread.run_sync(work)
