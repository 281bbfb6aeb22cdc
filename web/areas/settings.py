"""设置: the runtime settings in force (ledger, .env or built in) in groups, the schedules as cron with
their words and next runs, the version and the history of every change; administrators change
them, each change a ledger event naming who made it. DingTalk (web.areas.notifications) and users
(web.areas.users) are tabs of the same page. Page `/settings`, API `/api/v1/settings`.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post, put
from litestar.params import FromPath, JSONBody, Parameter, URLEncodedBody
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Template

from app.facade import App
from app.settings import (
    CronPreview,
    HistoryEntry,
    ScheduleEntry,
    SettingChange,
    SettingRefused,
    SettingRow,
    SettingsView,
)
from app.users import SignedIn
from web import messages
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf, Version
from web.auth.guards import ADMIN
from web.notifications_view import dingtalk_context
from web.pages import fragment, page
from web.settings_view import (
    TABS,
    About,
    NewValue,
    about,
    param_groups,
    refusals,
    rows_by_key,
    template_context,
)
from web.users_view import users_context

HISTORY = 100
ScheduleKey = Annotated[str, Parameter(description="计划任务的设置项，如 monthly_backup_cron")]
Expression = Annotated[str, Parameter(description="cron 表达式（分 时 日 月 星期），如 0 2 1 * *")]
HistoryLimit = Annotated[int, Parameter(ge=1, le=1000, description="最多返回多少条，最新的在前")]
HistoryKey = Annotated[str, Parameter(description="只看这一项设置的修改（设置项的键），空为全部")]


def _row(taf: App, key: str) -> SettingRow:
    return rows_by_key(taf.settings.show())[key]


def _schedule(taf: App, key: str) -> ScheduleEntry:
    return next(entry for entry in taf.settings.schedules() if entry.key == key)


class SettingsPages(PageController):
    path = "/settings"

    @get("/", sync_to_thread=True)
    def settings(self, request: Request[SignedIn, Any, Any], taf: Taf, version: Version) -> Template:
        view = taf.settings.show()
        editable = request.user.role in ADMIN
        return page(request, "settings.html", title="设置", view=view, rows=rows_by_key(view),
                    groups=param_groups(view), schedules=taf.settings.schedules(), tabs=TABS,
                    history=taf.settings.history(HISTORY), about=about(taf, version), editable=editable,
                    labels=messages.SETTING_LABELS, **dingtalk_context(taf), **users_context(taf),
                    **template_context())

    @post("/{key:str}", sync_to_thread=True, opt={"roles": ADMIN})
    def change(self, request: Request[SignedIn, Any, Any], taf: Taf, key: FromPath[str],
               data: URLEncodedBody[NewValue]) -> HTMXTemplate:
        change = taf.settings.change(key, data.value, actor=request.user.name)
        return fragment("partials/setting_row.html", row=_row(taf, change.key), labels=messages.SETTING_LABELS,
                        editable=True, saved=True, **template_context())

    @get("/schedules/preview", sync_to_thread=True)
    def preview(self, taf: Taf, key: ScheduleKey, value: Expression = "") -> HTMXTemplate:
        """The words and next runs of what is typed, or why it is refused — shown in place as one types."""
        try:
            return fragment("partials/settings_cron_preview.html", preview=taf.settings.preview_cron(key, value),
                            error="")
        except SettingRefused as refused:
            return fragment("partials/settings_cron_preview.html", preview=None, error=refused.message)

    @post("/schedules/{key:str}", sync_to_thread=True, opt={"roles": ADMIN})
    def change_schedule(self, request: Request[SignedIn, Any, Any], taf: Taf, key: FromPath[str],
                        data: URLEncodedBody[NewValue]) -> HTMXTemplate:
        taf.settings.preview_cron(key, data.value)  # only a schedule's key, and the schedule named if malformed
        taf.settings.change(key, data.value, actor=request.user.name)
        return fragment("partials/settings_schedule.html", schedule=_schedule(taf, key), editable=True, saved=True)

    @get("/history", sync_to_thread=True)
    def history(self, taf: Taf, key: HistoryKey = "") -> HTMXTemplate:
        return fragment("partials/settings_history.html", history=taf.settings.history(HISTORY, key or None),
                        history_key=key)


class SettingsApi(ApiController):
    path = f"{API}/settings"
    tags = ["设置"]

    @get("/", sync_to_thread=True, summary="当前设置（运行时设置及其来源、启动配置；密钥只显示首尾几位）")
    def settings(self, taf: Taf) -> SettingsView:
        return taf.settings.show()

    @put("/{key:str}", sync_to_thread=True, opt={"roles": ADMIN}, summary="修改一项运行时设置（记入台账）",
         responses=refusals(400, 403))
    def change(self, request: Request[SignedIn, Any, Any], taf: Taf, key: FromPath[str], data: JSONBody[NewValue]) -> SettingChange:
        return taf.settings.change(key, data.value, actor=request.user.name)

    @get("/schedules", sync_to_thread=True, summary="计划任务：cron 表达式、中文说明与接下来五次运行时间（本机时间）")
    def schedules(self, taf: Taf) -> list[ScheduleEntry]:
        return taf.settings.schedules()

    @get("/schedules/preview", sync_to_thread=True, summary="预览一个 cron 表达式：中文说明与接下来五次运行时间（不保存）",
         responses=refusals(400))
    def preview(self, taf: Taf, key: ScheduleKey, expression: Expression) -> CronPreview:
        return taf.settings.preview_cron(key, expression)

    @get("/history", sync_to_thread=True, summary="设置的修改历史（谁、何时、旧值 → 新值），最新的在前",
         responses=refusals(400))
    def history(self, taf: Taf, limit: HistoryLimit = HISTORY, key: HistoryKey = "") -> list[HistoryEntry]:
        return taf.settings.history(limit, key or None)

    @get("/version", sync_to_thread=True, summary="版本与运行环境")
    def version(self, taf: Taf, version: Version) -> About:
        return about(taf, version)
