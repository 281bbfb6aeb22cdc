"""What scheduled and queued work needs from the composition root, and nothing more.

`bootstrap.Services` satisfies these structurally; the worker and the tests hand one in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from backup.ports import BackupServices
from restore.ports import RestoreServices, VerifyServices


class JobServices(BackupServices, RestoreServices, VerifyServices, Protocol):
    """The scheduled and queued work (jobs/handlers.py) hands one object to the backups, restores,
    read-back verifications, retention checks and erases it runs, so it needs what each declares;
    jobs itself reads only the settings in force, the jobs and inventory views, and the outbox."""


Handler = Callable[..., Any]
"""One piece of work the worker looks up by name (jobs/handlers.py): a schedule's `(services, slot)`,
`job.<kind>` `(services, job_id)`, `<schedule>.ran` `(services, slot) -> bool`, `unfinished`
`(services) -> [(kind, job_id)]` and `report` `(services, sentence)`."""
