"""The Litestar application: `create_app(services)` puts the web's parts together.

- areas (`web/areas/`): one module per area, page and API controllers with class-level guards;
- auth (`web/auth/`): session cookie or bearer token, CSRF, roles, login throttling;
- errors (`web/errors.py`): every exception to one Chinese answer, registered once here;
- templates (`web/templates/`, Jinja, Simplified Chinese), static files (`web/static/`, the
  vendored htmx, its SSE extension and ECharts: no CDN), the HTMX plugin;
- OpenAPI at `/api/v1/schema` (the document at `/api/v1/schema/openapi.json`).

The web calls `App` verbs only (`app.facade.make_app(services)`); the progress store is the one
other thing it reads (live job progress).
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

import anyio
from litestar import Litestar
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.facade import App, AppDeps, make_app
from ledger.domain.settings import SECRET_KEYS
from web import formatting, messages, offload
from web.api_index import ApiIndexRenderPlugin
from web.areas import CONTROLLERS
from web.auth.csrf import CsrfMiddleware, csrf_config
from web.auth.identities import Identities
from web.auth.middleware import AuthMiddleware
from web.auth.sessions import SESSION_COOKIE, SessionTokens, derived_key, installation_secret
from web.auth.throttle import LoginThrottle
from web.errors import EXCEPTION_HANDLERS
from web.live import STREAM_THREADS
from web.pages import navigation, served_pages
from web.progress_view import progress_view

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PRODUCT = "TAF 企业级磁带备份系统"
log = logging.getLogger("taf.web")


def installed_version() -> str:
    try:
        return package_version("taf")
    except PackageNotFoundError:
        return "0.1.0"


def create_app(services: AppDeps, *, version: str | None = None) -> Litestar:
    """Build the web app over `services` (the composition root's Services)."""
    settings = services.settings
    version = version or installed_version()
    secret_key = installation_secret(settings)
    taf = make_app(services)
    sessions = SessionTokens(derived_key(secret_key, "session"), settings.algorithm,
                             settings.access_token_expire_minutes)
    throttle = LoginThrottle()
    identities = Identities(taf.users)
    auth = DefineMiddleware(AuthMiddleware, identities=identities, sessions=sessions)
    csrf = DefineMiddleware(CsrfMiddleware, config=csrf_config(derived_key(secret_key, "csrf")))

    app = Litestar(
        route_handlers=[*CONTROLLERS, create_static_files_router(
            path="/static", directories=[STATIC], name="static", cache_control=CacheControlHeader(max_age=3600))],
        dependencies={
            "taf": Provide(lambda: taf, sync_to_thread=False),
            "sessions": Provide(lambda: sessions, sync_to_thread=False),
            "throttle": Provide(lambda: throttle, sync_to_thread=False),
            "progress": Provide(lambda: services.progress, sync_to_thread=False),
            "version": Provide(lambda: version, sync_to_thread=False),
        },
        middleware=[auth, csrf],
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[sessions.renew],
        on_startup=[lambda app: _first_start(app, taf)],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine,
                                       engine_callback=lambda engine: _template_globals(engine, version)),
        plugins=[HTMXPlugin()],
        openapi_config=_openapi(version),
        logging_config=None,
        state=State({"stream_limiter": None, "identities": identities, offload.INLINE: settings.is_sqlite}),
    )
    app.state["served_pages"] = served_pages(app)
    return app


def _first_start(app: Litestar, taf: App) -> None:
    """At start: the live-progress thread limiter, and the first administrator on an empty ledger
    (its password printed once to the console)."""
    app.state["stream_limiter"] = anyio.CapacityLimiter(STREAM_THREADS)
    print_first_admin(taf)


def print_first_admin(taf: App) -> None:
    """On an empty ledger, the first administrator, its password printed once to the console."""
    try:
        first = taf.users.ensure_first_admin()
    except Exception as error:  # a ledger that is down must not keep the web from starting
        log.warning(messages.FIRST_ADMIN_UNCHECKED.format(error=error))
        return
    if first is not None:
        print(messages.FIRST_ADMIN.format(name=first.name, password=first.generated_password), flush=True)


def _template_globals(engine: JinjaTemplateEngine, version: str) -> None:
    engine.engine.globals.update(
        product=PRODUCT,
        version=version,
        nav=navigation,
        asset=lambda path: f"/static/{path}?v={version}",
        secret_keys=SECRET_KEYS,
        job_kinds=messages.JOB_KINDS,
        job_kind_groups=messages.JOB_KIND_GROUPS,
    )
    engine.engine.filters.update(when=formatting.when, shown=formatting.shown, editable=formatting.editable,
                                 size=formatting.size)
    engine.engine.filters.update(duration=formatting.duration, rate=formatting.rate, progress_view=progress_view)
    engine.engine.globals["percent"] = formatting.percent


def _openapi(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title=f"{PRODUCT} API",
        version=version,
        description="TAF 的 JSON 接口。浏览器会话（Cookie）或 API 令牌（Authorization: Bearer taf_…，"
                    "用 `python main.py user token 用户名` 签发）均可认证；出错时返回中文的 detail。",
        path="/api/v1/schema",
        render_plugins=[
            ApiIndexRenderPlugin(path="/", favicon="<link rel='icon' href='/static/favicon.svg'>"),
            JsonRenderPlugin(path="/openapi.json"),
        ],
        components=Components(security_schemes={
            "apiToken": SecurityScheme(type="http", scheme="bearer", description="API 令牌"),
            "session": SecurityScheme(type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie",
                                      description="浏览器登录后的会话 Cookie"),
        }),
        security=[{"apiToken": []}, {"session": []}],
        use_handler_docstrings=False,
    )
