"""`App`: every area's service, built once by the composition root and handed to a face."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.audit import Audit, AuditDeps
from app.backups import Backups
from app.catalog import Catalog, CatalogDeps
from app.lifecycle import Lifecycle, LifecycleDeps
from app.logs import Logs, LogsDeps
from app.notifications import Notifications, NotificationsDeps
from app.pending import PendingDeps, PendingRequests
from app.reports import Reports, ReportsDeps
from app.restores import Restores
from app.settings import SettingsDeps, SettingsService
from app.system import System, SystemDeps
from app.tapes import Tapes, TapesDeps
from app.users import Users, UsersDeps


class AppDeps(PendingDeps, CatalogDeps, TapesDeps, LifecycleDeps, AuditDeps, NotificationsDeps, ReportsDeps,
              SettingsDeps, SystemDeps, UsersDeps, LogsDeps, Protocol):
    """What the composition root (bootstrap.Services) gives a face: every area's dependencies
    (PendingDeps already holds the backups' and the restores')."""


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
    logs: Logs  # the operation, tape, system and notification logs (issue 15)


def make_app(deps: AppDeps) -> App:
    """Each service from the one object that satisfies every area's Protocol (bootstrap.Services)."""
    return App(settings=SettingsService(deps), users=Users(deps), audit=Audit(deps),
               notifications=Notifications(deps), tapes=Tapes(deps), lifecycle=Lifecycle(deps),
               backups=Backups(deps), restores=Restores(deps), catalog=Catalog(deps),
               system=System(deps), pending=PendingRequests(deps), reports=Reports(deps), logs=Logs(deps))
