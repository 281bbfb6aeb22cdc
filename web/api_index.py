"""The page at /api/v1/schema: every operation of the JSON API, in Chinese, rendered on the server.

A third-party API browser would be one more large script to vendor and keep; the OpenAPI document
itself (`/api/v1/schema/openapi.json`) is what scripts and tools read, and this page is what a person
reads: method, path, summary, parameters and the link to the document.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

_METHODS = ("get", "post", "put", "patch", "delete")


class ApiIndexRenderPlugin(OpenAPIRenderPlugin):
    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        rows = []
        for path, item in sorted(openapi_schema.get("paths", {}).items()):
            for method in _METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                params = "、".join(p.get("name", "") for p in operation.get("parameters", []))
                rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                            f"<td>{escape(operation.get('summary') or operation.get('operationId') or '')}</td>"
                            f"<td>{escape(params) or '—'}</td></tr>")
        document = escape(self.get_openapi_json_route(request))
        body = "".join(rows) or "<tr><td colspan='4'>暂无接口</td></tr>"
        return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>{self.favicon}"
                f"<title>{escape(info.get('title', 'API'))}</title>"
                "<link rel='stylesheet' href='/static/css/taf.css'></head>"
                f"<body class='api-index'><main><h1>{escape(info.get('title', 'API'))}</h1>"
                f"<p>{escape(info.get('description', ''))}</p>"
                f"<p>OpenAPI 文档（JSON）：<a href='{document}'>{document}</a>；版本 {escape(str(info.get('version', '')))}</p>"
                "<table class='table'><thead><tr><th>方法</th><th>路径</th><th>说明</th><th>参数</th></tr></thead>"
                f"<tbody>{body}</tbody></table></main></body></html>").encode()
