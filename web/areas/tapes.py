"""磁带: the inventory (status, pool, place, capacity, groups, label sequence, health with the TapeAlert
advice, when each cartridge becomes free and why), filtered and sorted; the acts on a cartridge —
load, unload, move, label, erase, its own retention — and the default retention, each retention with
the preview of what it changes before it is saved; the drives and changers on this host. Pages under
`/tapes`; the API is `web.areas.tapes_api`.

Load, unload, label and erase run beside the request (`App.tapes.acts`): the answer is a panel that
follows the act over SSE and reloads the inventory when it ends. A refusal — the interlock, a barcode
typed back wrong, a drive in use — is answered at once, in Chinese, with nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, HeaderParameter, Parameter, URLEncodedBody
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import ServerSentEvent, Template

from app.errors import BadRequest
from app.tape_acts import ACTS, ActStarted
from app.users import SignedIn
from ledger.rules.cartridge_text import pool_text
from web.areas.base import PageController
from web.areas.deps import Progress, Taf
from web.auth.guards import ADMIN
from web.live import progress_stream
from web.offload import inline_reads, read
from web.pages import current_user, fragment, page, rendered
from web.snapshots import shared
from web.tapes_view import (
    DESTINATIONS,
    InventoryQuery,
    Order,
    Place,
    Pool,
    Q,
    Sort,
    Status,
    TapesRead,
    cartridge,
    inventory_context,
    location_of,
    months_of,
    read_tapes,
)

DIALOGS = {"erase": "擦除磁带", "label": "写入标签", "move": "登记位置", "retention": "修改存活期"}
BODIES_KEPT = 32  # rendered pages kept with one read of the inventory (filters × roles)
SNAPSHOT_SECONDS = 2.0  # how old the inventory a page shows may be while the ledger stands still
CHANGED = "tapes-changed"  # the event a page hears when the inventory changed: it reloads its parts


@dataclass
class DeviceForm:
    device: str = ""


@dataclass
class LabelForm:
    confirm: str = ""
    pool: str = ""
    device: str = ""


@dataclass
class EraseForm:
    confirm: str = ""
    long: str = ""  # a checkbox: present when ticked
    device: str = ""


@dataclass
class MoveForm:
    destination: str = ""
    note: str = ""


@dataclass
class MonthsForm:
    months: str = ""


def _act(request: Request[Any, Any, Any], progress: Any, started: ActStarted) -> HTMXTemplate:
    return fragment("partials/tape_act.html", act=started, progress=progress.latest(started.act_id), acts=ACTS,
                    user=current_user(request))


def _saved(message: str) -> HTMXTemplate:
    """A change recorded at once: said in the message area, and the page's parts reload."""
    return HTMXTemplate(template_name="partials/tape_saved.html", context={"message": message},
                        re_target="#flash", re_swap="innerHTML", trigger_event=CHANGED, after="settle")


async def tapes_read(request: Request[Any, Any, Any], taf: Taf) -> TapesRead:
    """The cartridges and the default retention, read once for every page asking while the ledger
    stands still (its head is the snapshot's version: an act's change shows at once) and at most
    SNAPSHOT_SECONDS old (what becomes free when follows the clock)."""
    try:
        head = await read(request, taf.audit.head_id)
    except Exception:  # the database is down: each part of a fresh read says so in Chinese
        return await read(request, lambda: read_tapes(taf))
    return await shared(request.app.state, "tapes", SNAPSHOT_SECONDS).get(
        lambda: read_tapes(taf), version=head, inline=inline_reads(request))


def tapes_body(request: Request[Any, Any, Any], found: TapesRead, query: InventoryQuery) -> str:
    """The page below the layout: rendered once per read of the inventory for each filter and role
    asked (it shows no one's name, only what the role may do) — a few dozen kept at most."""
    user = current_user(request)
    key = (query, user.role if user else "")
    body = found.bodies.get(key)
    if body is None:
        body = rendered(request, "partials/tapes_body.html", user=user, **inventory_context(found, query),
                        **found.retention, destinations=DESTINATIONS)
        if len(found.bodies) < BODIES_KEPT:
            found.bodies[key] = body
    return body


class TapesPages(PageController):
    path = "/tapes"

    @get("/")
    async def tapes(self, request: Request[Any, Any, Any], taf: Taf, q: Q = "", status: Status = "", pool: Pool = "",
                    place: Place = "", sort: Sort = "barcode", order: Order = "asc") -> Template:
        query = InventoryQuery(q, status, pool, place, sort, order)
        found = await tapes_read(request, taf)
        return page(request, "tapes.html", title="磁带", body=tapes_body(request, found, query))

    @get("/inventory")
    async def inventory(self, request: Request[Any, Any, Any], taf: Taf, q: Q = "", status: Status = "",
                        pool: Pool = "", place: Place = "", sort: Sort = "barcode", order: Order = "asc") -> HTMXTemplate:
        query = InventoryQuery(q, status, pool, place, sort, order)
        found = await tapes_read(request, taf)
        return fragment("partials/tape_inventory.html", user=current_user(request), oob=True,
                        **inventory_context(found, query))

    @get("/devices", sync_to_thread=True)
    def devices(self, request: Request[SignedIn, Any, Any], taf: Taf) -> HTMXTemplate:
        return fragment("partials/tape_devices.html", user=request.user,
                        found=taf.tapes.devices_overview(actor=request.user.name))

    @get("/retention")
    async def retention(self, request: Request[Any, Any, Any], taf: Taf) -> HTMXTemplate:
        found = await tapes_read(request, taf)
        return fragment("partials/tape_retention.html", user=current_user(request), **found.retention)

    @get("/retention/preview", sync_to_thread=True)
    def retention_preview(self, taf: Taf, months: FromQuery[str] = "", barcode: FromQuery[str] = "") -> HTMXTemplate:
        """What the retention typed would do, before it is saved (one cartridge's, or the default)."""
        preview = taf.tapes.preview_retention(months_of(months), barcode=barcode or None)
        return fragment("partials/tape_retention_preview.html", preview=preview)

    @post("/retention", sync_to_thread=True, opt={"roles": ADMIN})
    def change_default(self, request: Request[SignedIn, Any, Any], taf: Taf,
                       data: URLEncodedBody[MonthsForm]) -> HTMXTemplate:
        changed = taf.settings.change("default_retention_months", str(months_of(data.months)), actor=request.user.name)
        return _saved(f"默认存活期已改为 {changed.text} 个月，已记入台账（{changed.by}）")

    @get("/{barcode:str}/dialog", sync_to_thread=True)
    def dialog(self, request: Request[Any, Any, Any], taf: Taf, barcode: FromPath[str],
               act: Annotated[str, Parameter(description="erase、label、move 或 retention")] = "") -> HTMXTemplate:
        if act not in DIALOGS:
            raise BadRequest(f"未知的操作：{act}。可选：{'、'.join(DIALOGS)}")
        return fragment("partials/tape_dialog.html", tape=cartridge(taf, barcode), act=act, title=DIALOGS[act],
                        destinations=DESTINATIONS, user=current_user(request), pool_text=pool_text)

    @post("/{barcode:str}/load", sync_to_thread=True)
    def load(self, request: Request[SignedIn, Any, Any], taf: Taf, progress: Progress, barcode: FromPath[str],
             data: URLEncodedBody[DeviceForm]) -> HTMXTemplate:
        device = data.device or None
        return _act(request, progress, taf.tapes.acts.load(barcode, actor=request.user.name, device=device))

    @post("/unload", sync_to_thread=True)
    def unload(self, request: Request[SignedIn, Any, Any], taf: Taf, progress: Progress,
               data: URLEncodedBody[DeviceForm]) -> HTMXTemplate:
        device = data.device or None
        return _act(request, progress, taf.tapes.acts.unload(actor=request.user.name, device=device))

    @post("/{barcode:str}/label", sync_to_thread=True)
    def label(self, request: Request[SignedIn, Any, Any], taf: Taf, progress: Progress, barcode: FromPath[str],
              data: URLEncodedBody[LabelForm]) -> HTMXTemplate:
        started = taf.tapes.acts.label(barcode, actor=request.user.name, confirm=data.confirm or None,
                                       pool=data.pool or None, device=data.device or None)
        return _act(request, progress, started)

    @post("/{barcode:str}/erase", sync_to_thread=True)
    def erase(self, request: Request[SignedIn, Any, Any], taf: Taf, progress: Progress, barcode: FromPath[str],
              data: URLEncodedBody[EraseForm]) -> HTMXTemplate:
        started = taf.tapes.acts.erase(barcode, actor=request.user.name, confirm=data.confirm, long=bool(data.long),
                                       device=data.device or None)
        return _act(request, progress, started)

    @post("/{barcode:str}/move", sync_to_thread=True)
    def move(self, request: Request[SignedIn, Any, Any], taf: Taf, barcode: FromPath[str],
             data: URLEncodedBody[MoveForm]) -> HTMXTemplate:
        moved = taf.tapes.move(barcode, location_of(data.destination, data.note), actor=request.user.name)
        return _saved(f"已登记：磁带 {moved.barcode} 现在在{moved.location_text}")

    @post("/{barcode:str}/retention", sync_to_thread=True)
    def change_retention(self, request: Request[SignedIn, Any, Any], taf: Taf, barcode: FromPath[str],
                         data: URLEncodedBody[MonthsForm]) -> HTMXTemplate:
        changed = taf.tapes.change_retention(barcode, months_of(data.months), actor=request.user.name)
        expired = "，存活期已到，已标记为已过期" if changed.expired_now else ""
        return _saved(f"磁带 {changed.barcode} 的存活期已由 {changed.old_in_force} 个月改为 {changed.new} 个月"
                      f"{expired}，已记入台账。{changed.cartridge.free_when}：{changed.cartridge.explanation}")

    @get("/acts/{act_id:str}/live", sync_to_thread=True)
    def live(self, request: Request[Any, Any, Any], progress: Progress, act_id: FromPath[str],
             last_event_id: Annotated[str | None, HeaderParameter(name="last-event-id", required=False)] = None,
             ) -> ServerSentEvent:
        """An act's progress rendered for the page (SSE `progress`, then `done`)."""
        if not act_id.startswith("tape-") or progress.latest(act_id) is None:
            raise NotFoundException(f"没有这个磁带操作：{act_id}")
        return progress_stream(progress, act_id, last_event_id, limiter=request.app.state.get("stream_limiter"),
                               render=lambda p: rendered(request, "partials/tape_act_progress.html", p=p, acts=ACTS))
