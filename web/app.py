"""The Litestar application: for now the home page and the health check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

TEMPLATES = Path(__file__).parent / "templates"


def create_app(services: Any, *, version: str = "0.1.0") -> Litestar:
    """Build the web app over `services` (the composition root's Services)."""

    @get("/", media_type=MediaType.HTML, sync_to_thread=True)
    def home() -> Template:
        head_id, head_hash = services.chain.head()
        return Template(template_name="home.html", context={
            "version": version,
            "events": services.ledger.head_id(),
            "chain_head": head_hash,
            "chain_sealed": head_id,
            "store": "SQLite（内置）" if services.settings.is_sqlite else "openGauss / PostgreSQL",
            "recent": services.audit.recent(10),
        })

    @get("/healthz", sync_to_thread=True)
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "状态": "正常", "events": services.ledger.head_id(), "version": version}

    return Litestar(
        route_handlers=[home, healthz],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=None,
    )
