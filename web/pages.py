"""Rendering pages: the layout's navigation, who is signed in, and full page versus htmx fragment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Template

from app.users import SignedIn


@dataclass(frozen=True)
class NavEntry:
    label: str
    path: str


# The layout's navigation, in order. An entry whose page is not served (yet) is shown, greyed,
# as not available: the link appears by itself once a controller serves GET on its path.
NAVIGATION = (
    NavEntry("仪表盘", "/"),
    NavEntry("备份", "/backups"),
    NavEntry("恢复", "/restores"),
    NavEntry("磁带", "/tapes"),
    NavEntry("设置", "/settings"),
    NavEntry("日志", "/logs"),
    NavEntry("审计", "/audit"),
)


def current_user(request: Request[Any, Any, Any]) -> SignedIn | None:
    """The signed-in user, or None on a page that needs none (login, errors before sign-in)."""
    user = request.scope.get("user")
    return user if isinstance(user, SignedIn) else None


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """API paths answer JSON; so does a client that asks for JSON and not for HTML."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def served_pages(app: Litestar) -> frozenset[str]:
    """The paths of NAVIGATION that some handler serves with GET."""
    served = {path for path, methods in app.route_handler_method_map.items() if "GET" in methods}
    return frozenset(entry.path for entry in NAVIGATION if entry.path in served)


def navigation(request: Request[Any, Any, Any]) -> list[dict[str, Any]]:
    served = request.app.state.get("served_pages", frozenset())
    path = request.url.path
    return [{"label": entry.label, "path": entry.path, "served": entry.path in served,
             "active": path == entry.path or (entry.path != "/" and path.startswith(entry.path + "/"))}
            for entry in NAVIGATION]


def page(request: Request[Any, Any, Any], template: str, *, title: str, status: int = 200,
         **context: Any) -> Template:
    """A full page in the layout (templates extend `base.html`)."""
    return Template(template, context={"title": title, "user": current_user(request), **context},
                    status_code=status)


def fragment(template: str, **context: Any) -> HTMXTemplate:
    """A piece of a page for htmx to swap in (templates under `partials/`)."""
    return HTMXTemplate(template_name=template, context=context)


def rendered(request: Request[Any, Any, Any], template: str, **context: Any) -> str:
    """A template rendered to text (for a region sent over SSE), with the same globals and filters."""
    engine: Any = request.app.template_engine
    return str(engine.get_template(template).render(**context))
