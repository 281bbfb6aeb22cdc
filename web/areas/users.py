"""用户与令牌 (a tab of 设置): accounts with their roles — added, given another role, disabled — and
their API tokens, issued (the token shown once, only its hash kept) and revoked. Administrators act;
everyone signed in reads. Pages under `/settings/users`, API under `/api/v1/users`. Each act is a
ledger event naming the administrator; a changed role or a disabled account applies at once here
(and within seconds in every other web process).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post, put
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.plugins.htmx import HTMXTemplate

from app.users import IssuedToken, NewUser, SignedIn, TokenEntry, UserEntry
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf
from web.auth.guards import ADMIN
from web.pages import fragment
from web.settings_view import refusals
from web.users_view import (
    NewUserForm,
    NewUserRequest,
    RoleRequest,
    TokenForm,
    TokenRequest,
    days_of,
    tokens_context,
    users_context,
)

USERS = "partials/settings_users.html"
TOKENS = "partials/settings_tokens.html"


def _forget(request: Request[Any, Any, Any]) -> None:
    """Who may do what changed: this process stops trusting what it remembered of anyone."""
    request.app.state["identities"].forget()


class UsersPages(PageController):
    path = "/settings/users"

    @get("/", sync_to_thread=True)
    def users(self, request: Request[SignedIn, Any, Any], taf: Taf) -> HTMXTemplate:
        return fragment(USERS, editable=request.user.role in ADMIN, me=request.user.name, **users_context(taf))

    @post("/", sync_to_thread=True, opt={"roles": ADMIN})
    def add(self, request: Request[SignedIn, Any, Any], taf: Taf, data: URLEncodedBody[NewUserForm]) -> HTMXTemplate:
        added = taf.users.add(data.name.strip(), data.role, data.password or None, actor=request.user.name)
        return fragment(USERS, editable=True, me=request.user.name, **users_context(taf, added=added))

    @post("/{name:str}/role", sync_to_thread=True, opt={"roles": ADMIN})
    def role(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str],
             data: URLEncodedBody[RoleRequest]) -> HTMXTemplate:
        changed = taf.users.change_role(name, data.role, actor=request.user.name)
        _forget(request)
        return fragment(USERS, editable=True, me=request.user.name, **users_context(taf, saved=changed.name))

    @post("/{name:str}/disable", sync_to_thread=True, opt={"roles": ADMIN})
    def disable(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str]) -> HTMXTemplate:
        disabled = taf.users.disable(name, actor=request.user.name)
        _forget(request)
        return fragment(USERS, editable=True, me=request.user.name, **users_context(taf, saved=disabled.name))

    @get("/{name:str}/tokens", sync_to_thread=True)
    def tokens(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str]) -> HTMXTemplate:
        return fragment(TOKENS, editable=request.user.role in ADMIN, **tokens_context(taf, name))

    @post("/{name:str}/tokens", sync_to_thread=True, opt={"roles": ADMIN})
    def issue(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str],
              data: URLEncodedBody[TokenForm]) -> HTMXTemplate:
        issued = taf.users.issue_token(name, data.label, days_of(data.days), actor=request.user.name)
        return fragment(TOKENS, editable=True, **tokens_context(taf, name, issued=issued))

    @delete("/{name:str}/tokens/{token_id:str}", sync_to_thread=True, status_code=200, opt={"roles": ADMIN})
    def revoke(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str],
               token_id: FromPath[str]) -> HTMXTemplate:
        revoked = taf.users.revoke_token(name, token_id, actor=request.user.name)
        _forget(request)
        return fragment(TOKENS, editable=True, **tokens_context(taf, name, revoked=revoked.token_id))


class UsersApi(ApiController):
    path = f"{API}/users"
    tags = ["用户"]

    @get("/", sync_to_thread=True, summary="用户列表（角色、是否启用、有效的 API 令牌数）")
    def users(self, taf: Taf) -> list[UserEntry]:
        return taf.users.list_users()

    @post("/", sync_to_thread=True, opt={"roles": ADMIN}, summary="添加用户（不给密码则生成一个，只在此应答中出现一次）",
          responses=refusals(400, 403, 409))
    def add(self, request: Request[SignedIn, Any, Any], taf: Taf, data: JSONBody[NewUserRequest]) -> NewUser:
        return taf.users.add(data.name.strip(), data.role, data.password or None, actor=request.user.name)

    @put("/{name:str}/role", sync_to_thread=True, opt={"roles": ADMIN}, summary="修改用户的角色",
         responses=refusals(400, 403, 404, 409))
    def role(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str],
             data: JSONBody[RoleRequest]) -> UserEntry:
        changed = taf.users.change_role(name, data.role, actor=request.user.name)
        _forget(request)
        return changed

    @post("/{name:str}/disable", sync_to_thread=True, status_code=200, opt={"roles": ADMIN},
          summary="停用用户（不能再登录，会话与 API 令牌随即失效）", responses=refusals(403, 404, 409))
    def disable(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str]) -> UserEntry:
        disabled = taf.users.disable(name, actor=request.user.name)
        _forget(request)
        return disabled

    @get("/{name:str}/tokens", sync_to_thread=True, summary="用户的 API 令牌（不含令牌本身）", responses=refusals(404))
    def tokens(self, taf: Taf, name: FromPath[str]) -> list[TokenEntry]:
        return taf.users.tokens(name)

    @post("/{name:str}/tokens", sync_to_thread=True, opt={"roles": ADMIN},
          summary="签发 API 令牌（令牌只在此应答中出现一次）", responses=refusals(400, 403, 404))
    def issue(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str],
              data: JSONBody[TokenRequest]) -> IssuedToken:
        return taf.users.issue_token(name, data.label, data.days, actor=request.user.name)

    @delete("/{name:str}/tokens/{token_id:str}", sync_to_thread=True, status_code=200, opt={"roles": ADMIN},
            summary="吊销 API 令牌", responses=refusals(403, 404))
    def revoke(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str],
               token_id: FromPath[str]) -> TokenEntry:
        revoked = taf.users.revoke_token(name, token_id, actor=request.user.name)
        _forget(request)
        return revoked
