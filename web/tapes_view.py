"""What the 磁带 pages and API read and send: the request and answer schemas, the inventory's filters
and sort orders, each cartridge as a row shows it (place, capacity, health with the TapeAlert advice),
and the checks of the face's own input (a filter's choices, months typed as text).

Only presentation: the statuses, sentences, interlock and acts are the App's (`App.tapes`,
`App.tapes.acts`, `App.lifecycle`); here they are filtered, ordered and put into words for a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from app.errors import BadRequest, Unknown
from app.facade import App
from app.lifecycle import STATUS_LABELS, CartridgeEntry, RotationPreview
from app.tape_acts import ActStarted
from ledger.rules.cartridge_text import pool_text
from web.api_errors import ErrorBody, error_responses
from web.parts import Parts, Problem

# Where a cartridge is, by the kind of its location code (ledger.rules.locations).
PLACES = {"drive": "驱动器", "slot": "槽位", "ie": "导入/导出口", "shelf": "磁带架", "offsite": "异地", "other": "其他"}
SORTS = {"barcode": "条码", "status": "状态", "pool": "池", "place": "位置", "used": "已用", "groups": "备份组",
         "label": "标签序号", "health": "健康", "free": "何时释放"}
ORDERS = {"asc": "升序", "desc": "降序"}
# The move form's destinations: where a cartridge goes when it leaves the library.
DESTINATIONS = {"shelf": "磁带架", "offsite": "异地"}
_STATUS_ORDER = {code: number for number, code in enumerate(STATUS_LABELS)}
_SEVERITY_ORDER = {"信息": 1, "警告": 2, "严重": 3}
_FREE_ORDER = {"scratch": 0, "expired": 1, "retention_pending": 2, "active_group": 3, "unknown_group": 4}
MOVE_NOTE_MAX = 120

# The inventory's query parameters, as the page and the API document them.
Q = Annotated[str, Parameter(description="条码、池、位置或备份组中的词，空格分隔")]
Status = Annotated[str, Parameter(description="状态：scratch、active、full、expired、retired、cleaning，空为全部")]
Pool = Annotated[str, Parameter(description="磁带池，空为全部")]
Place = Annotated[str, Parameter(description="位置：drive、slot、ie、shelf、offsite、other，空为全部")]
Sort = Annotated[str, Parameter(description="排序列：barcode、status、pool、place、used、groups、label、health、free")]
Order = Annotated[str, Parameter(description="asc（升序）或 desc（降序）")]


def busy_responses() -> dict[int, ResponseSpec]:
    """The answers of an act: bad input, no such cartridge, the interlock, the drive held."""
    return {**error_responses(400, 404, 409),
            423: ResponseSpec(data_container=ErrorBody, generate_examples=False,
                              description="驱动器正被一个任务占用（一个驱动器同一时间只运行一个任务）")}


# -- the API's schemas ---------------------------------------------------------------------------------


@dataclass
class DeviceChoice:
    """Which drive an act uses (POST …/load, /api/v1/devices/unload); empty: the one TAF uses."""

    device: str | None = None


@dataclass
class LabelRequest:
    confirm: str | None = None  # the barcode typed back: needed when the cartridge already has a label
    pool: str | None = None  # the pool it joins; empty: it keeps its own
    device: str | None = None


@dataclass
class EraseRequest:
    confirm: str  # the barcode typed back (always: an erase cannot be undone)
    long: bool = False  # a long erase overwrites to the end of the tape (hours on a real LTO-9)
    device: str | None = None


@dataclass
class MoveRequest:
    location: str  # shelf, offsite, either with ":" and a note (offsite:保险柜 A), or the operator's own words


@dataclass
class RetentionRequest:
    months: int  # 1–120


@dataclass(frozen=True)
class ActAccepted:
    """The act is checked and runs beside the request; follow it under `act_id`."""

    act_id: str
    act: str
    act_text: str
    barcode: str | None
    device: str
    message: str
    progress_url: str  # GET: its latest progress
    events_url: str  # GET: its progress live (SSE)


@dataclass(frozen=True)
class RetentionInForce:
    """The default retention and what the next monthly backup will rotate and erase under it."""

    default_months: int
    auto_erase: bool
    next: RotationPreview


def accepted(started: ActStarted) -> ActAccepted:
    return ActAccepted(started.act_id, started.act, started.act_text, started.barcode, started.device, started.message,
                       f"/api/v1/jobs/{started.act_id}/progress", f"/api/v1/jobs/{started.act_id}/events")


def months_of(text: str) -> int:
    """Months typed in a form or a query: a whole number (the App checks the range)."""
    value = (text or "").strip()
    if not re.fullmatch(r"[0-9]{1,6}", value):
        raise BadRequest(f"存活期必须是 1 到 120 之间的整数（月），收到“{value}”")
    return int(value)


def location_of(destination: str, note: str) -> str:
    """The move form's destination and note as the location code `Tapes.move` records."""
    if destination not in DESTINATIONS:
        raise BadRequest(f"未知的去向：{destination}。可选：{'、'.join(DESTINATIONS)}")
    note = " ".join(note.split())
    if len(note) > MOVE_NOTE_MAX:
        raise BadRequest(f"位置说明最多 {MOVE_NOTE_MAX} 个字")
    return f"{destination}:{note}" if note else destination


# -- the inventory: filters, sort orders, rows ---------------------------------------------------------


@dataclass(frozen=True)
class InventoryQuery:
    q: str = ""  # words that each appear in the barcode, pool, location or a group
    status: str = ""
    pool: str = ""
    place: str = ""
    sort: str = "barcode"
    order: str = "asc"

    def __post_init__(self) -> None:
        for value, allowed, what in ((self.status, STATUS_LABELS, "状态"), (self.place, PLACES, "位置"),
                                     (self.sort, SORTS, "排序列"), (self.order, ORDERS, "排序方向")):
            if value and value not in allowed:
                raise BadRequest(f"未知的{what}：{value}。可选：{'、'.join(allowed)}")

    def toggled(self, column: str) -> dict[str, str]:
        """The query that sorts by `column` (the other way round when it already does)."""
        order = "desc" if self.sort == column and self.order == "asc" else "asc"
        return {"q": self.q, "status": self.status, "pool": self.pool, "place": self.place, "sort": column,
                "order": order}


def place_of(location: str) -> str:
    kind = location.partition(":")[0]
    return kind if kind in PLACES else "other"


@dataclass(frozen=True)
class AlertView:
    title: str
    severity: str  # 信息, 警告, 严重
    advice: str


@dataclass(frozen=True)
class HealthView:
    label: str  # 良好, 2 条告警, 未检查
    level: str  # ok, info, warn, bad, none (the CSS class)
    alerts: list[AlertView]
    cleaning: bool
    taken_at: str | None


def health_of(snapshot: dict[str, Any]) -> HealthView:
    """The last health snapshot recorded on a cartridge, with each TapeAlert flag's advice in Chinese."""
    if not snapshot:
        return HealthView("未检查", "none", [], False, None)
    alerts = [AlertView(str(a.get("title", "")), str(a.get("severity", "")), str(a.get("advice", "")))
              for a in snapshot.get("alerts") or []]
    worst = max((_SEVERITY_ORDER.get(a.severity, 1) for a in alerts), default=0)
    cleaning = bool(snapshot.get("cleaning_required"))
    label = f"{len(alerts)} 条告警" if alerts else ("需要清洁" if cleaning else "良好")
    level = {0: "warn" if cleaning else "ok", 1: "info", 2: "warn", 3: "bad"}[worst]
    return HealthView(label, level, alerts, cleaning, snapshot.get("taken_at"))


@dataclass(frozen=True)
class CartridgeRow:
    entry: CartridgeEntry
    place: str  # drive, slot, ie, shelf, offsite or other
    used_percent: int
    health: HealthView


def row_of(entry: CartridgeEntry) -> CartridgeRow:
    used = round(100 * entry.bytes_written / entry.capacity_bytes) if entry.capacity_bytes else 0
    return CartridgeRow(entry, place_of(entry.location), max(0, min(100, used)), health_of(entry.health))


def _far(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("inf")


SORT_KEYS: dict[str, Callable[[CartridgeRow], Any]] = {
    "barcode": lambda r: r.entry.barcode,
    "status": lambda r: (_STATUS_ORDER.get(r.entry.status, 99), r.entry.barcode),
    "pool": lambda r: (r.entry.pool, r.entry.barcode),
    "place": lambda r: (list(PLACES).index(r.place), r.entry.location_text, r.entry.barcode),
    "used": lambda r: (r.entry.bytes_written / r.entry.capacity_bytes if r.entry.capacity_bytes else 0,
                       r.entry.bytes_written, r.entry.barcode),
    "groups": lambda r: (len(r.entry.groups), r.entry.groups, r.entry.barcode),
    "label": lambda r: (r.entry.label_sequence, r.entry.barcode),
    "health": lambda r: ({"bad": 0, "warn": 1, "info": 2, "ok": 3, "none": 4}[r.health.level], r.entry.barcode),
    "free": lambda r: (_FREE_ORDER.get(r.entry.reason, 9), _far(r.entry.free_at), r.entry.barcode),
}


def matches(entry: CartridgeEntry, query: InventoryQuery) -> bool:
    if query.status and entry.status != query.status:
        return False
    if query.pool and entry.pool != query.pool:
        return False
    if query.place and place_of(entry.location) != query.place:
        return False
    haystack = " ".join([entry.barcode, entry.pool, entry.location, entry.location_text, entry.volume_serial or "",
                         *entry.groups]).lower()
    return all(word in haystack for word in query.q.lower().split())


def listed(entries: list[CartridgeEntry], query: InventoryQuery) -> list[CartridgeEntry]:
    """The cartridges the query asks for, in its order."""
    rows = sorted((row_of(e) for e in entries if matches(e, query)), key=SORT_KEYS[query.sort],
                  reverse=query.order == "desc")
    return [row.entry for row in rows]


@dataclass(frozen=True)
class TapesRead:
    """What the 磁带 page reads, whatever its filters: every cartridge (or why they cannot be shown)
    and the default retention with the rotation it leads to."""

    entries: list[CartridgeEntry]
    problems: list[Problem]
    retention: dict[str, Any]
    # The page below the layout as rendered from this read, by filter and role (web.areas.tapes).
    bodies: dict[tuple[InventoryQuery, str], str] = field(default_factory=dict)


def read_tapes(taf: App) -> TapesRead:
    parts = Parts()
    entries: list[CartridgeEntry] = parts.get("tapes", taf.tapes.inventory, [])
    return TapesRead(entries, parts.problems, retention_context(taf))


def inventory_context(read: TapesRead, query: InventoryQuery) -> dict[str, Any]:
    """The inventory as the page shows it: the rows asked for, the counts and the filters' choices."""
    entries = read.entries
    counts: dict[str, int] = {}
    for entry in entries:
        label = entry.status_label or entry.status
        counts[label] = counts.get(label, 0) + 1
    return {"rows": [row_of(entry) for entry in listed(entries, query)], "total": len(entries),
            "counts": sorted(counts.items()), "pools": sorted({e.pool for e in entries}), "query": query,
            "statuses": STATUS_LABELS, "places": PLACES, "sorts": SORTS, "problems": read.problems,
            "pool_text": pool_text}


def retention_context(taf: App) -> dict[str, Any]:
    """The default retention in force and the next rotation it leads to (a part that fails says why)."""
    parts = Parts()
    settings = parts.get("health", lambda: {row.key: row.value for row in taf.settings.show().runtime}, {})
    return {"default_months": settings.get("default_retention_months", ""),
            "auto_erase": settings.get("auto_erase_expired"),
            "rotation": parts.get("lifecycle", taf.lifecycle.preview, None), "retention_problems": parts.problems}


def cartridge(taf: App, barcode: str) -> CartridgeEntry:
    """One cartridge of the inventory, or a Chinese 404."""
    code = barcode.strip().upper()
    found = next((entry for entry in taf.tapes.inventory() if entry.barcode == code), None)
    if found is None:
        raise Unknown(f"台账中没有条码为 {code} 的磁带")
    return found
