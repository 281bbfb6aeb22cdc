"""设置: the runtime settings in force (ledger, .env or built in), changed by administrators — each
change a ledger event naming who made it; the startup configuration (secrets masked); the users.
Page `/settings`, API `/api/v1/settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, get, post, put
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Template

from app.facade import App
from app.settings import SettingChange, SettingRow, SettingsView
from app.users import SignedIn
from web import messages
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf
from web.auth.guards import ADMIN
from web.pages import fragment, page


@dataclass
class NewValue:
    value: str


def _row(taf: App, key: str) -> SettingRow:
    return next(row for row in taf.settings.show().runtime if row.key == key)


class SettingsPages(PageController):
    path = "/settings"

    @get("/", sync_to_thread=True)
    def settings(self, request: Request[SignedIn, Any, Any], taf: Taf) -> Template:
        view = taf.settings.show()
        users = taf.users.list_users() if request.user.role in ADMIN else []
        return page(request, "settings.html", title="设置", view=view, labels=messages.SETTING_LABELS,
                    users=users, editable=request.user.role in ADMIN)

    @post("/{key:str}", sync_to_thread=True, opt={"roles": ADMIN})
    def change(self, request: Request[SignedIn, Any, Any], taf: Taf, key: FromPath[str],
               data: URLEncodedBody[NewValue]) -> HTMXTemplate:
        change = taf.settings.change(key, data.value, actor=request.user.name)
        return fragment("partials/setting_row.html", row=_row(taf, change.key), labels=messages.SETTING_LABELS,
                        editable=True, saved=True)


class SettingsApi(ApiController):
    path = f"{API}/settings"
    tags = ["设置"]

    @get("/", sync_to_thread=True, summary="当前设置")
    def settings(self, taf: Taf) -> SettingsView:
        return taf.settings.show()

    @put("/{key:str}", sync_to_thread=True, opt={"roles": ADMIN}, summary="修改一项运行时设置（记入台账）")
    def change(self, request: Request[SignedIn, Any, Any], taf: Taf, key: FromPath[str], data: JSONBody[NewValue]) -> SettingChange:
        return taf.settings.change(key, data.value, actor=request.user.name)
