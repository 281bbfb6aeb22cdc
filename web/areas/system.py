"""The health check, open without signing in (`/healthz`, `GET /api/v1/health`): the web answers
and the ledger is reachable."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get

from web.areas.deps import Taf, Version


@dataclass(frozen=True)
class Health:
    status: str  # "ok"
    message: str  # "正常", in words
    events: int  # events in the ledger
    version: str


class HealthController(Controller):
    path = "/"
    tags = ["系统"]
    opt = {"exclude_from_auth": True}

    @get(["/healthz", "/api/v1/health"], sync_to_thread=True, summary="健康检查（无需登录）")
    def health(self, taf: Taf, version: Version) -> Health:
        return Health("ok", "正常", taf.audit.head_id(), version)
