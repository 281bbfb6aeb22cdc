"""磁带 as JSON under /api/v1, with the pages' roles: everyone reads; operators act (load, unload, label,
erase, move, one cartridge's retention); only administrators change the default retention.

- `/api/v1/cartridges`: the inventory (filtered, sorted), one cartridge, its acts and its retention
  with the preview of a change;
- `/api/v1/devices`: the drives and changers on this host, which one TAF uses, unloading a drive;
- `/api/v1/retention`: the default retention, the next rotation under it, the preview of a change.

Load, unload, label and erase answer 202 with the act's id: it runs beside the request, and its
progress is at `/api/v1/jobs/{act_id}/progress` and, live, `/api/v1/jobs/{act_id}/events`.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post, put
from litestar.params import FromPath, JSONBody, Parameter

from app.lifecycle import CartridgeEntry
from app.retention import RetentionPreview
from app.settings import SettingChange
from app.tapes import Devices, Moved, RetentionChanged
from app.users import SignedIn
from web.api_errors import error_responses
from web.areas.base import API, ApiController
from web.areas.deps import Taf
from web.auth.guards import ADMIN
from web.tapes_view import (
    ActAccepted,
    DeviceChoice,
    EraseRequest,
    InventoryQuery,
    LabelRequest,
    MoveRequest,
    Order,
    Place,
    Pool,
    Q,
    RetentionInForce,
    RetentionRequest,
    Sort,
    Status,
    accepted,
    busy_responses,
    cartridge,
    listed,
    months_of,
)

Months = Annotated[str, Parameter(description="存活期（月），1 到 120 的整数")]


class CartridgesApi(ApiController):
    path = f"{API}/cartridges"
    tags = ["磁带"]

    @get("/", sync_to_thread=True, summary="磁带库存：状态、池、位置、容量、备份组、标签序号、健康、何时释放及原因（可筛选、排序）",
         responses=error_responses(400))
    def cartridges(self, taf: Taf, q: Q = "", status: Status = "", pool: Pool = "", place: Place = "",
                   sort: Sort = "barcode", order: Order = "asc") -> list[CartridgeEntry]:
        return listed(taf.tapes.inventory(), InventoryQuery(q, status, pool, place, sort, order))

    @get("/{barcode:str}", sync_to_thread=True, summary="一盘磁带", responses=error_responses(404))
    def cartridge(self, taf: Taf, barcode: FromPath[str]) -> CartridgeEntry:
        return cartridge(taf, barcode)

    @post("/{barcode:str}/load", sync_to_thread=True, status_code=202, responses=busy_responses(),
          summary="机械手把磁带装入驱动器（在请求之外进行；新 LTO-9 磁带首次装入的介质优化及其预计时间见进度）")
    def load(self, request: Request[SignedIn, Any, Any], taf: Taf, barcode: FromPath[str],
             data: JSONBody[DeviceChoice | None] = None) -> ActAccepted:
        return accepted(taf.tapes.acts.load(barcode, actor=request.user.name, device=data.device if data else None))

    @post("/{barcode:str}/label", sync_to_thread=True, status_code=202, responses=busy_responses(),
          summary="写入 TAF 标签（先装入）；已有标签的磁带需 confirm 再次输入条码；保存活动备份组的磁带一律拒绝")
    def label(self, request: Request[SignedIn, Any, Any], taf: Taf, barcode: FromPath[str],
              data: JSONBody[LabelRequest]) -> ActAccepted:
        return accepted(taf.tapes.acts.label(barcode, actor=request.user.name, confirm=data.confirm, pool=data.pool,
                                             device=data.device))

    @post("/{barcode:str}/erase", sync_to_thread=True, status_code=202, responses=busy_responses(),
          summary="擦除磁带（先装入），回到空白池；需 confirm 再次输入条码；保存活动备份组的磁带一律拒绝（互锁）")
    def erase(self, request: Request[SignedIn, Any, Any], taf: Taf, barcode: FromPath[str],
              data: JSONBody[EraseRequest]) -> ActAccepted:
        return accepted(taf.tapes.acts.erase(barcode, actor=request.user.name, confirm=data.confirm, long=data.long,
                                             device=data.device))

    @post("/{barcode:str}/move", sync_to_thread=True, status_code=200, responses=error_responses(400, 404),
          summary="登记磁带现在的位置（磁带架、异地……）")
    def move(self, request: Request[SignedIn, Any, Any], taf: Taf, barcode: FromPath[str],
             data: JSONBody[MoveRequest]) -> Moved:
        return taf.tapes.move(barcode, data.location, actor=request.user.name)

    @get("/{barcode:str}/retention/preview", sync_to_thread=True, responses=error_responses(400, 404),
         summary="修改这盘磁带的存活期之前：哪些磁带的结论会变，下次轮换与擦除会怎样（不改变任何东西）")
    def retention_preview(self, taf: Taf, barcode: FromPath[str], months: Months) -> RetentionPreview:
        return taf.tapes.preview_retention(months_of(months), barcode=cartridge(taf, barcode).barcode)

    @put("/{barcode:str}/retention", sync_to_thread=True, responses=error_responses(400, 404),
         summary="修改这盘磁带自己的存活期（记入台账：旧值、新值、修改人）")
    def change_retention(self, request: Request[SignedIn, Any, Any], taf: Taf, barcode: FromPath[str],
                         data: JSONBody[RetentionRequest]) -> RetentionChanged:
        return taf.tapes.change_retention(cartridge(taf, barcode).barcode, data.months, actor=request.user.name)


class DevicesApi(ApiController):
    path = f"{API}/devices"
    tags = ["磁带"]

    @get("/", sync_to_thread=True, summary="本机的驱动器与机械手（SG_IO / SPTI 发现或模拟带库）、TAF 使用哪一个、"
                                          "各驱动器此刻的状态（含 LTO-9 首次装入介质优化及预计剩余时间）")
    def devices(self, request: Request[SignedIn, Any, Any], taf: Taf) -> Devices:
        return taf.tapes.devices_overview(actor=request.user.name)

    @post("/unload", sync_to_thread=True, status_code=202, responses=busy_responses(),
          summary="卸下驱动器中的磁带，放回原处（在请求之外进行）")
    def unload(self, request: Request[SignedIn, Any, Any], taf: Taf,
               data: JSONBody[DeviceChoice | None] = None) -> ActAccepted:
        return accepted(taf.tapes.acts.unload(actor=request.user.name, device=data.device if data else None))


class RetentionApi(ApiController):
    path = f"{API}/retention"
    tags = ["磁带"]

    @get("/", sync_to_thread=True, summary="默认存活期、是否自动擦除，以及下次月度备份将轮换、释放、擦除什么")
    def retention(self, taf: Taf) -> RetentionInForce:
        rows = {row.key: row.value for row in taf.settings.show().runtime}
        return RetentionInForce(int(rows["default_retention_months"]), bool(rows["auto_erase_expired"]),
                                taf.lifecycle.preview())

    @get("/preview", sync_to_thread=True, responses=error_responses(400),
         summary="修改默认存活期之前：哪些磁带的结论会变，下次轮换与擦除会怎样（不改变任何东西）")
    def preview(self, taf: Taf, months: Months) -> RetentionPreview:
        return taf.tapes.preview_retention(months_of(months))

    @put("/", sync_to_thread=True, opt={"roles": ADMIN}, responses=error_responses(400),
         summary="修改默认存活期（仅管理员；记入台账：旧值、新值、修改人）")
    def change(self, request: Request[SignedIn, Any, Any], taf: Taf, data: JSONBody[RetentionRequest]) -> SettingChange:
        return taf.settings.change("default_retention_months", str(data.months), actor=request.user.name)
