"""The web's areas, one module each; `CONTROLLERS` is what the app serves.

To add an area: a module here with a `PageController` subclass (path `/<area>`, pages in
`templates/<area>.html`) and/or an `ApiController` subclass (path `/api/v1/<area>`), both calling
`App` verbs only, then list them below. The layout's navigation links to `/<area>` by itself once
it is served (`web.pages.NAVIGATION`).
"""

from __future__ import annotations

from web.areas.audit import AuditApi, AuditPages, EventsApi
from web.areas.backups import BackupsApi, BackupsPages, GroupsApi
from web.areas.catalog import CatalogApi, CatalogPages
from web.areas.dashboard import DashboardApi, DashboardPages, RequestsApi
from web.areas.jobs import JobsApi
from web.areas.logs import LogsApi, LogsPages
from web.areas.notifications import NotificationPages, NotificationsApi, RecipientsApi, TemplatesApi
from web.areas.restores import RestoresApi, RestoresPages
from web.areas.session import LoginController, LogoutController, MeApi
from web.areas.settings import SettingsApi, SettingsPages
from web.areas.system import HealthController
from web.areas.tapes import TapesPages
from web.areas.tapes_api import CartridgesApi, DevicesApi, RetentionApi
from web.areas.users import UsersApi, UsersPages

CONTROLLERS = [
    LoginController, LogoutController, MeApi,
    DashboardPages, DashboardApi, RequestsApi,
    BackupsPages, RestoresPages, TapesPages,
    BackupsApi, GroupsApi,
    RestoresApi, CatalogPages, CatalogApi,
    SettingsPages, SettingsApi,
    LogsPages, LogsApi, AuditPages, AuditApi, EventsApi,
    UsersApi, JobsApi,
    CartridgesApi, DevicesApi, RetentionApi,
    NotificationPages, RecipientsApi, TemplatesApi, NotificationsApi, UsersPages,
    HealthController,
]
