"""Users and their API tokens, for administrators: `/api/v1/users`.

Issuing and revoking a token are ledger events naming the administrator; the token itself is in
the answer to the issue request only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, delete, get, post
from litestar.params import FromPath, JSONBody

from app.users import IssuedToken, SignedIn, TokenEntry, UserEntry
from web.areas.base import API, ApiController
from web.areas.deps import Taf
from web.auth.guards import ADMIN


@dataclass
class TokenRequest:
    label: str = ""
    days: int | None = None  # None: valid until revoked


class UsersApi(ApiController):
    path = f"{API}/users"
    tags = ["用户"]
    opt = {"roles": ADMIN}

    @get("/", sync_to_thread=True, summary="用户列表")
    def users(self, taf: Taf) -> list[UserEntry]:
        return taf.users.list_users()

    @get("/{name:str}/tokens", sync_to_thread=True, summary="用户的 API 令牌（不含令牌本身）")
    def tokens(self, taf: Taf, name: FromPath[str]) -> list[TokenEntry]:
        return taf.users.tokens(name)

    @post("/{name:str}/tokens", sync_to_thread=True, summary="签发 API 令牌（令牌只在此应答中出现一次）")
    def issue(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str], data: JSONBody[TokenRequest]) -> IssuedToken:
        return taf.users.issue_token(name, data.label, data.days, actor=request.user.name)

    @delete("/{name:str}/tokens/{token_id:str}", sync_to_thread=True, status_code=200, summary="吊销 API 令牌")
    def revoke(self, request: Request[SignedIn, Any, Any], taf: Taf, name: FromPath[str], token_id: FromPath[str]) -> TokenEntry:
        return taf.users.revoke_token(name, token_id, actor=request.user.name)
