"""`settings`, `ledger`, `projections`, `audit` and `user` commands."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from cli.context import Context
from cli.errors import EXIT_INTEGRITY, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    settings = sub.add_parser("settings", help="查看或修改系统设置").add_subparsers(dest="action", required=True)
    show = settings.add_parser("show", parents=[common], help="显示当前设置")
    show.set_defaults(handler=settings_show)
    setter = settings.add_parser("set", parents=[common], help="修改一项运行时设置（记入台账）")
    setter.add_argument("key")
    setter.add_argument("value")
    setter.set_defaults(handler=settings_set)

    ledger = sub.add_parser("ledger", help="台账").add_subparsers(dest="action", required=True)
    log = ledger.add_parser("log", parents=[common], help="最近的台账事件")
    log.add_argument("--limit", type=int, default=20)
    log.set_defaults(handler=ledger_log)

    projections = sub.add_parser("projections", help="读模型").add_subparsers(dest="action", required=True)
    rebuild = projections.add_parser("rebuild", parents=[common], help="从台账重建读模型")
    rebuild.add_argument("name", nargs="?", default="")
    rebuild.set_defaults(handler=projections_rebuild)

    audit = sub.add_parser("audit", help="审计").add_subparsers(dest="action", required=True)
    verify = audit.add_parser("verify", parents=[common], help="校验台账哈希链")
    verify.set_defaults(handler=audit_verify)

    user = sub.add_parser("user", help="用户").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", parents=[common], help="添加用户（密码从标准输入读取，或自动生成）")
    add.add_argument("name")
    add.add_argument("--role", required=True, help="管理员|操作员|审计员（或 admin/operator/auditor）")
    add.set_defaults(handler=user_add)
    listing = user.add_parser("list", parents=[common], help="列出用户")
    listing.set_defaults(handler=user_list)
    token = user.add_parser("token", parents=[common],
                            help="签发 API 令牌（供脚本用 Authorization: Bearer 调用 /api/v1），或列出、吊销")
    token.add_argument("name")
    token.add_argument("--label", default="", help="令牌的用途说明")
    token.add_argument("--days", type=int, default=None, help="有效天数（默认一直有效，直到吊销）")
    other = token.add_mutually_exclusive_group()
    other.add_argument("--list", action="store_true", dest="list_tokens", help="列出该用户的令牌（不显示令牌本身）")
    other.add_argument("--revoke", metavar="令牌编号", default=None, help="吊销一个令牌")
    token.set_defaults(handler=user_token)


def settings_show(ctx: Context) -> int:
    view = ctx.app.settings.show()
    rows = [{"key": row.key, "value": row.value, "source": row.source} for row in view.runtime]
    if ctx.json:
        emit_json({"settings": rows, "startup": view.startup})
    else:
        print("运行时设置（可用 settings set 修改，修改记入台账）：")
        emit_table(rows, [("key", "设置项"), ("value", "当前值"), ("source", "来源")])
    return 0


def settings_set(ctx: Context) -> int:
    change = ctx.app.settings.change(ctx.args.key, ctx.args.value, actor=ctx.actor)
    if ctx.json:
        emit_json({"ok": True, "key": change.key, "value": change.shown})
    else:
        print(f"已修改 {change.key} = {change.shown}（操作人 {change.by}，已记入台账）")
    return 0


def ledger_log(ctx: Context) -> int:
    if ctx.args.limit < 1:
        raise CliError("--limit 必须是正整数", EXIT_USAGE)
    audit = ctx.app.audit
    rows = [{"id": line.id, "at": line.at, "actor": line.actor, "event": line.event, "summary": line.summary}
            for line in audit.recent_events(ctx.args.limit)]
    if ctx.json:
        emit_json({"events": rows, "head": audit.head_id()})
    else:
        emit_table(rows, [("id", "序号"), ("at", "时间"), ("actor", "操作人"), ("event", "事件"),
                          ("summary", "说明")])
    return 0


def projections_rebuild(ctx: Context) -> int:
    rebuilt = ctx.app.audit.rebuild_views(ctx.args.name)
    if ctx.json:
        emit_json({"ok": True, "rebuilt": rebuilt.views, "events": rebuilt.events})
    else:
        print(f"已重建读模型 {'、'.join(rebuilt.views)}，处理事件 {rebuilt.events} 条")
    return 0


def audit_verify(ctx: Context) -> int:
    verdict = ctx.app.audit.verify_chain()
    if ctx.json:
        emit_json({"ok": verdict.ok, "head": verdict.head, "checked": verdict.checked,
                   "first_bad": verdict.first_bad, "message": verdict.message})
    else:
        print(verdict.message)
    if not verdict.ok:
        print(f"错误：{verdict.message}", file=sys.stderr)
        return EXIT_INTEGRITY
    return 0


def user_add(ctx: Context) -> int:
    password = "" if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    user = ctx.app.users.add(ctx.args.name, ctx.args.role, password or None, actor=ctx.actor)
    if ctx.json:
        payload = {"ok": True, "name": user.name, "role": user.role_label}
        if user.generated_password:
            payload["password"] = user.generated_password
        emit_json(payload)
    else:
        print(f"已添加用户 {user.name}（{user.role_label}）")
        if user.generated_password:
            print(f"初始密码（只显示这一次，请妥善保存）：{user.generated_password}")
    return 0


def user_list(ctx: Context) -> int:
    rows = [{"name": u.name, "role": u.role_label, "enabled": u.enabled, "active_tokens": u.active_tokens}
            for u in ctx.app.users.list_users()]
    if ctx.json:
        emit_json({"users": rows})
    else:
        emit_table([{**row, "enabled": "启用" if row["enabled"] else "已停用"} for row in rows],
                   [("name", "用户名"), ("role", "角色"), ("enabled", "状态"), ("active_tokens", "有效令牌")])
    return 0


def user_token(ctx: Context) -> int:
    users, name = ctx.app.users, ctx.args.name
    if ctx.args.list_tokens:
        rows = [asdict(entry) for entry in users.tokens(name)]
        if ctx.json:
            emit_json({"name": name, "tokens": rows})
        else:
            emit_table([{**row, "expires_at": row["expires_at"] or "吊销前一直有效",
                         "revoked": "已吊销" if row["revoked"] else "有效"} for row in rows],
                       [("token_id", "编号"), ("label", "用途"), ("issued_at", "签发时间"), ("issued_by", "签发人"),
                        ("expires_at", "到期"), ("revoked", "状态")])
        return 0
    if ctx.args.revoke:
        entry = users.revoke_token(name, ctx.args.revoke, actor=ctx.actor)
        if ctx.json:
            emit_json({"ok": True, "name": name, **asdict(entry)})
        else:
            print(f"已吊销用户 {name} 的 API 令牌 {entry.token_id}（已记入台账）")
        return 0
    issued = users.issue_token(name, ctx.args.label, ctx.args.days, actor=ctx.actor)
    if ctx.json:
        emit_json({"ok": True, **asdict(issued)})
    else:
        until = f"有效至 {issued.expires_at}" if issued.expires_at else "吊销前一直有效"
        print(f"已为用户 {issued.name} 签发 API 令牌 {issued.token_id}（{until}，已记入台账）")
        print(f"令牌（只显示这一次，请妥善保存）：{issued.token}")
        print(f"用法：Authorization: Bearer {issued.token}")
    return 0
