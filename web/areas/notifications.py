"""钉钉通知 (a tab of 设置): the gateway's address and token (the token never shown back in full), a
test message with the gateway's own answer, the recipients (added, edited, removed) and the message
templates per event with a live preview. Administrators change them; everyone signed in reads.
Pages under `/settings`, API under `/api/v1/recipients`, `/api/v1/templates` and
`/api/v1/notifications/test`. Every change is a ledger event naming who made it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post, put
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.plugins.htmx import HTMXTemplate

from app.notifications import (
    EventChoice,
    PreviewedMessage,
    RecipientEntry,
    SentTestMessage,
    TemplateKind,
    TemplateText,
    event_choices,
)
from app.users import SignedIn
from kernel.errors import TafError
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf
from web.auth.guards import ADMIN
from web.notifications_view import (
    events_ticked,
    gateway_context,
    recipients_context,
    templates_context,
    test_rows,
)
from web.pages import fragment
from web.settings_view import (
    GatewayForm,
    RecipientChange,
    RecipientForm,
    RecipientRequest,
    TemplateForm,
    TemplateRequest,
    TestRequest,
    refusals,
    ticked,
)

EDITOR = "partials/settings_templates.html"


class NotificationPages(PageController):
    path = "/settings"

    @post("/dingtalk", sync_to_thread=True, opt={"roles": ADMIN})
    def gateway(self, request: Request[SignedIn, Any, Any], taf: Taf, data: URLEncodedBody[GatewayForm]) -> HTMXTemplate:
        """The address first: a malformed one is refused before the token is touched."""
        before = gateway_context(taf)["gateway"]["dingtalk_api_url"].value
        after = taf.settings.change("dingtalk_api_url", data.url, actor=request.user.name).shown
        if data.token.strip():
            taf.settings.change("dingtalk_api_key", data.token, actor=request.user.name)
        changed = bool(data.token.strip()) or after != before
        return fragment("partials/settings_gateway.html", editable=True, saved=changed, unchanged=not changed,
                        **gateway_context(taf))

    @post("/notifications/test", sync_to_thread=True, opt={"roles": ADMIN})
    def send_test(self, request: Request[SignedIn, Any, Any], taf: Taf, data: URLEncodedBody[TestRequest]) -> HTMXTemplate:
        sent = taf.notifications.send_test(data.phone.strip() or None, actor=request.user.name)
        return fragment("partials/settings_test_result.html", sent=sent, rows=test_rows(sent))

    @get("/recipients", sync_to_thread=True)
    def recipients(self, request: Request[SignedIn, Any, Any], taf: Taf) -> HTMXTemplate:
        return fragment("partials/settings_recipients.html", editable=request.user.role in ADMIN,
                        **recipients_context(taf))

    @post("/recipients", sync_to_thread=True, opt={"roles": ADMIN})
    def add(self, request: Request[SignedIn, Any, Any], taf: Taf, data: URLEncodedBody[RecipientForm]) -> HTMXTemplate:
        added = taf.notifications.add_recipient(data.name, data.phone, events_ticked(ticked(data.events)),
                                                actor=request.user.name)
        return fragment("partials/settings_recipients.html", editable=True, **recipients_context(taf, saved=added.id))

    @get("/recipients/{rid:str}/edit", sync_to_thread=True, opt={"roles": ADMIN})
    def edit(self, taf: Taf, rid: FromPath[str]) -> HTMXTemplate:
        taf.notifications.recipient(rid)  # an unknown or removed one is a 404 here, not an empty form
        return fragment("partials/settings_recipients.html", editable=True, **recipients_context(taf, editing=rid))

    @post("/recipients/{rid:str}", sync_to_thread=True, opt={"roles": ADMIN})
    def update(self, request: Request[SignedIn, Any, Any], taf: Taf, rid: FromPath[str],
               data: URLEncodedBody[RecipientForm]) -> HTMXTemplate:
        changed = taf.notifications.update_recipient(rid, name=data.name, phone=data.phone,
                                                     events=events_ticked(ticked(data.events)), actor=request.user.name)
        return fragment("partials/settings_recipients.html", editable=True, **recipients_context(taf, saved=changed.id))

    @delete("/recipients/{rid:str}", sync_to_thread=True, status_code=200, opt={"roles": ADMIN})
    def remove(self, request: Request[SignedIn, Any, Any], taf: Taf, rid: FromPath[str]) -> HTMXTemplate:
        removed = taf.notifications.remove_recipient(rid, actor=request.user.name)
        return fragment("partials/settings_recipients.html", editable=True,
                        **recipients_context(taf, removed=removed.name))

    @get("/templates/{kind:str}", sync_to_thread=True)
    def template(self, request: Request[SignedIn, Any, Any], taf: Taf, kind: FromPath[str]) -> HTMXTemplate:
        return fragment(EDITOR, editable=request.user.role in ADMIN, **templates_context(taf, kind))

    @post("/templates/{kind:str}/preview", sync_to_thread=True, opt={"roles": ADMIN})
    def preview(self, taf: Taf, kind: FromPath[str], data: URLEncodedBody[TemplateForm]) -> HTMXTemplate:
        """The message as it would look with what is typed (nothing saved); a template that does not
        render says why in place of the preview."""
        try:
            shown = taf.notifications.preview_template(kind, title=data.title, content=data.content)
        except TafError as refused:
            return fragment("partials/settings_template_preview.html", preview=None, preview_error=refused.message)
        return fragment("partials/settings_template_preview.html", preview=shown, preview_error="")

    @post("/templates/{kind:str}", sync_to_thread=True, opt={"roles": ADMIN})
    def save_template(self, request: Request[SignedIn, Any, Any], taf: Taf, kind: FromPath[str],
                      data: URLEncodedBody[TemplateForm]) -> HTMXTemplate:
        taf.notifications.set_template(kind, title=data.title, content=data.content, actor=request.user.name)
        return fragment(EDITOR, editable=True, **templates_context(taf, kind, saved=True))


class RecipientsApi(ApiController):
    path = f"{API}/recipients"
    tags = ["通知"]

    @get("/", sync_to_thread=True, summary="通知接收人（姓名、手机号、接收的事件）")
    def recipients(self, taf: Taf) -> list[RecipientEntry]:
        return taf.notifications.recipients()

    @get("/events", sync_to_thread=True, summary="接收人可以订阅的事件")
    def events(self) -> list[EventChoice]:
        return event_choices()

    @post("/", sync_to_thread=True, opt={"roles": ADMIN}, summary="添加接收人（不写事件则接收全部事件）",
          responses=refusals(400, 403))
    def add(self, request: Request[SignedIn, Any, Any], taf: Taf, data: JSONBody[RecipientRequest]) -> RecipientEntry:
        return taf.notifications.add_recipient(data.name, data.phone, data.events, actor=request.user.name)

    @put("/{rid:str}", sync_to_thread=True, opt={"roles": ADMIN}, summary="修改接收人（未给出的字段不变）",
         responses=refusals(400, 403, 404))
    def update(self, request: Request[SignedIn, Any, Any], taf: Taf, rid: FromPath[str],
               data: JSONBody[RecipientChange]) -> RecipientEntry:
        return taf.notifications.update_recipient(rid, name=data.name, phone=data.phone, events=data.events,
                                                  actor=request.user.name)

    @delete("/{rid:str}", sync_to_thread=True, status_code=200, opt={"roles": ADMIN}, summary="删除接收人",
            responses=refusals(403, 404))
    def remove(self, request: Request[SignedIn, Any, Any], taf: Taf, rid: FromPath[str]) -> RecipientEntry:
        return taf.notifications.remove_recipient(rid, actor=request.user.name)


class TemplatesApi(ApiController):
    path = f"{API}/templates"
    tags = ["通知"]

    @get("/", sync_to_thread=True, summary="各类通知的消息模板（是否已自定义）")
    def kinds(self, taf: Taf) -> list[TemplateKind]:
        return taf.notifications.template_kinds()

    @get("/{kind:str}", sync_to_thread=True, summary="一类通知当前使用的模板及可用的变量", responses=refusals(400))
    def template(self, taf: Taf, kind: FromPath[str]) -> TemplateText:
        return taf.notifications.template(kind)

    @put("/{kind:str}", sync_to_thread=True, opt={"roles": ADMIN}, summary="修改模板的标题和/或内容（先试渲染，记入台账）",
         responses=refusals(400, 403))
    def change(self, request: Request[SignedIn, Any, Any], taf: Taf, kind: FromPath[str],
               data: JSONBody[TemplateRequest]) -> TemplateText:
        return taf.notifications.set_template(kind, title=data.title, content=data.content, actor=request.user.name)

    @post("/{kind:str}/preview", sync_to_thread=True, status_code=200, opt={"roles": ADMIN},
          summary="用示例数据预览模板（可带尚未保存的标题或内容；不保存）", responses=refusals(400, 403))
    def preview(self, taf: Taf, kind: FromPath[str], data: JSONBody[TemplateRequest]) -> PreviewedMessage:
        return taf.notifications.preview_template(kind, title=data.title, content=data.content)


class NotificationsApi(ApiController):
    path = f"{API}/notifications"
    tags = ["通知"]

    @post("/test", sync_to_thread=True, status_code=200, opt={"roles": ADMIN},
          summary="发送测试消息（给指定手机号或全部接收人），立即投递并返回网关的应答",
          responses=refusals(400, 403, 409))
    def send_test(self, request: Request[SignedIn, Any, Any], taf: Taf,
                  data: JSONBody[TestRequest | None] = None) -> SentTestMessage:
        phone = data.phone.strip() if data else ""
        return taf.notifications.send_test(phone or None, actor=request.user.name)
