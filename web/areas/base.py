"""What every area's controllers share: the role guard, and pages kept out of the API document.

An area is one module under `web/areas/` with a `PageController` subclass for its HTML pages and an
`ApiController` subclass for its JSON API under `/api/v1`. Both take the App (`taf: Taf`, see `deps`) by
dependency injection and call its verbs; nothing here decides anything.
"""

from __future__ import annotations

from litestar import Controller

from web.auth.guards import role_guard

API = "/api/v1"


class PageController(Controller):
    """HTML pages (Jinja, htmx fragments): signed-in users only, roles per handler or controller."""

    guards = [role_guard]
    include_in_schema = False


class ApiController(Controller):
    """JSON under /api/v1, in the OpenAPI document; the same roles as the pages."""

    guards = [role_guard]
