"""The file catalog: search by any fragment of a path (Chinese included), by type and date, and one
folder of a group a page at a time. Fragments for the restore page under `/catalog`, API under
`/api/v1/catalog`.

A folder listing reads that folder only (`App.catalog.folder`), so the file tree opens any folder of
a group of millions of files at once, and a long folder comes a page at a time.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXTemplate

from app.catalog import FOLDER_PAGE, FOLDER_PAGE_MAX, FolderPage, SearchResult
from web import messages
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf
from web.offload import read
from web.pages import fragment
from web.restores_view import opened_folder, passed_label, search_rows

SEARCH_LIMIT, SEARCH_LIMIT_MAX = 100, 1000

Fragment = Annotated[str, Parameter(description="路径中的任意片段（中文亦可），如 报告、.xlsx、2024/财务；空为全部")]
Group = Annotated[str, Parameter(description="备份组 YYYY-MM；空为全部备份组")]
Type = Annotated[str, Parameter(description="文件类型（扩展名），如 docx、jpg")]
Since = Annotated[str, Parameter(description="修改时间起，YYYY-MM-DD 或 YYYY-MM-DDTHH:MM（服务器本地时间）")]
Until = Annotated[str, Parameter(description="修改时间止（只写日期时含当天）")]
Limit = Annotated[int, Parameter(ge=1, le=SEARCH_LIMIT_MAX, description="最多返回多少个目录行（最新的在前）")]
TreeGroup = Annotated[str, Parameter(description="备份组 YYYY-MM")]
Folder = Annotated[str, Parameter(description="目录的完整路径，如 /srv/数据；空为最上层")]
Offset = Annotated[int, Parameter(ge=0, description="从第几项起（0 为第一项）")]
PageSize = Annotated[int, Parameter(ge=1, le=FOLDER_PAGE_MAX, description="每页多少项")]


def _search(taf: Taf, q: str, group: str, type: str, since: str, until: str, limit: int) -> SearchResult:
    return taf.catalog.search(q.strip(), group=group, type=type.strip(), since=since or None, until=until or None,
                              limit=limit)


class CatalogPages(PageController):
    """Pieces of the restore page: a folder's children, search results."""

    path = "/catalog"

    @get("/tree")
    async def tree(self, request: Request[Any, Any, Any], taf: Taf, group: TreeGroup, path: Folder = "",
                   offset: Offset = 0, limit: PageSize = FOLDER_PAGE,
                   depth: Annotated[int, Parameter(ge=0, le=64)] = 0) -> HTMXTemplate:
        folder, passed = await read(request, lambda: opened_folder(taf, group, path, offset=offset, limit=limit))
        return fragment("partials/catalog_folder.html", folder=folder, depth=depth, kinds=messages.ENTRY_KINDS,
                        passed=passed, passed_label=passed_label(passed))

    @get("/search")
    async def search(self, request: Request[Any, Any, Any], taf: Taf, q: Fragment = "", group: Group = "",
                     type: Type = "", since: Since = "", until: Until = "", limit: Limit = SEARCH_LIMIT) -> HTMXTemplate:
        result = await read(request, lambda: _search(taf, q, group, type, since, until, limit))
        return fragment("partials/catalog_results.html", result=result, rows=search_rows(result.files, q.strip()),
                        q=q.strip(), limit=limit, kinds=messages.ENTRY_KINDS)


class CatalogApi(ApiController):
    path = f"{API}/catalog"
    tags = ["恢复"]

    @get("/search",
         summary="按路径片段（含中文）、备份组、类型、修改日期搜索文件版本，最新的在前；每个版本列出它所在的每盘磁带与位置")
    async def search(self, request: Request[Any, Any, Any], taf: Taf, q: Fragment = "", group: Group = "",
                     type: Type = "", since: Since = "", until: Until = "", limit: Limit = SEARCH_LIMIT) -> SearchResult:
        return await read(request, lambda: _search(taf, q, group, type, since, until, limit))

    @get("/tree",
         summary="备份组里一个目录的直接子项（文件夹在前，按名称），分页；只读这一个目录，与备份组大小无关")
    async def tree(self, request: Request[Any, Any, Any], taf: Taf, group: TreeGroup, path: Folder = "",
                   offset: Offset = 0, limit: PageSize = FOLDER_PAGE) -> FolderPage:
        return await read(request, lambda: taf.catalog.folder(group, path, offset=offset, limit=limit))
