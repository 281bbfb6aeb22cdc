"""`App`: every area's service, built once by the composition root and handed to a face."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.audit import Audit
from app.backups import Backups
from app.catalog import Catalog
from app.lifecycle import Lifecycle
from app.notifications import Notifications
from app.pending import PendingRequests
from app.reports import Reports
from app.restores import Restores
from app.settings import SettingsService
from app.system import System
from app.tapes import Tapes
from app.users import Users


@dataclass(frozen=True)
class App:
    settings: SettingsService
    users: Users
    audit: Audit
    notifications: Notifications
    tapes: Tapes
    lifecycle: Lifecycle
    backups: Backups
    restores: Restores
    catalog: Catalog
    pending: PendingRequests  # operator requests (换盘) and answering them
    system: System
    reports: Reports  # the auditor's monthly report (issue 17)


def make_app(deps: Any) -> App:
    """Each service from the one object that satisfies every area's Protocol (bootstrap.Services)."""
    return App(settings=SettingsService(deps), users=Users(deps), audit=Audit(deps),
               notifications=Notifications(deps), tapes=Tapes(deps), lifecycle=Lifecycle(deps),
               backups=Backups(deps), restores=Restores(deps), catalog=Catalog(deps),
               system=System(deps), pending=PendingRequests(deps), reports=Reports(deps))
