"""`settings`, `ledger`, `projections`, `audit` and `user` commands."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from cli.context import Context
from cli.errors import EXIT_INTEGRITY, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from cli.replay_output import REPLAY_VIEWS, print_replay


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
    verify = audit.add_parser("verify", parents=[common],
                              help="校验台账哈希链，并与磁带索引、任务报告中记下的链头核对")
    verify.add_argument("--tapes", nargs="+", metavar="条码", default=None,
                        help="只读取这些磁带的索引（默认读取驱动器能取到的、台账记录写有索引的每盘磁带）")
    verify.add_argument("--no-tapes", action="store_true", help="不读取磁带，只核对哈希链和任务报告")
    verify.add_argument("--device", default=None, help="磁带设备（默认 TAPE_DEVICE，否则 emulated:0）")
    verify.set_defaults(handler=audit_verify)
    replay = audit.add_parser("replay", parents=[common], help="回放台账：某一时刻整个系统的状态")
    replay.add_argument("--until", required=True, metavar="时刻",
                        help="日期（2026-03-15，指当天结束时）、日期和时间（2026-03-15T14:30）或事件序号（1234）")
    replay.add_argument("--view", choices=REPLAY_VIEWS, default=None, help="只显示其中一项（默认全部）")
    replay.set_defaults(handler=audit_replay)

    user = sub.add_parser("user", help="用户").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", parents=[common], help="添加用户（密码从标准输入读取，或自动生成）")
    add.add_argument("name")
    add.add_argument("--role", required=True, help="管理员|操作员|审计员（或 admin/operator/auditor）")
    add.set_defaults(handler=user_add)
    listing = user.add_parser("list", parents=[common], help="列出用户")
    listing.set_defaults(handler=user_list)
    role = user.add_parser("role", parents=[common], help="给用户换一个角色（记入台账）")
    role.add_argument("name")
    role.add_argument("--role", required=True, help="管理员|操作员|审计员（或 admin/operator/auditor）")
    role.set_defaults(handler=user_role)
    disable = user.add_parser("disable", parents=[common],
                              help="停用用户：不能再登录，会话和 API 令牌立即失效（记入台账，不能撤销）")
    disable.add_argument("name")
    disable.add_argument("--yes", action="store_true", help="确认停用")
    disable.set_defaults(handler=user_disable)
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
    rows = [{"key": row.key, "value": row.value, "source": row.source, "label": row.label, "text": row.text}
            for row in view.runtime]
    if ctx.json:
        emit_json({"settings": rows, "startup": view.startup})
    else:
        print("运行时设置（可用 settings set 设置项 值 修改，修改记入台账）：")
        emit_table(rows, [("label", "名称"), ("key", "设置项"), ("text", "当前值"), ("source", "来源")])
    return 0


def settings_set(ctx: Context) -> int:
    change = ctx.app.settings.change(ctx.args.key, ctx.args.value, actor=ctx.actor)
    if ctx.json:
        emit_json({"ok": True, "key": change.key, "value": change.shown, "text": change.text})
    else:
        print(f"已修改 {change.label}（{change.key}）为 {change.text}（操作人 {change.by}，已记入台账）")
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
    verdict = ctx.app.audit.verify(actor=ctx.actor, tapes=ctx.args.tapes, read_tapes=not ctx.args.no_tapes,
                                   device=ctx.args.device)
    chain = verdict.chain
    if ctx.json:
        emit_json({"ok": verdict.ok, "head": chain.head, "checked": chain.checked, "first_bad": chain.first_bad,
                   "message": chain.message, "heads": [asdict(check) for check in verdict.heads],
                   "tapes_read": verdict.tapes_read, "tapes_skipped": [asdict(note) for note in verdict.tapes_skipped]})
    else:
        print(chain.message)
        print(verdict.summary)
        if verdict.tapes_read:
            print(f"已读取磁带索引：{'、'.join(verdict.tapes_read)}")
        for note in verdict.tapes_skipped:
            print(f"未读取：{note.barcode + '：' if note.barcode else ''}{note.why}")
        for check in verdict.mismatches:
            print(f"不符：{check.message}")
    if not verdict.ok:
        problems = [] if chain.ok else [chain.message]
        print(f"错误：{'；'.join([*problems, *(check.message for check in verdict.mismatches)])}", file=sys.stderr)
        return EXIT_INTEGRITY
    return 0


def audit_replay(ctx: Context) -> int:
    shown = ctx.app.audit.replay(ctx.args.until, [ctx.args.view] if ctx.args.view else [])
    if ctx.json:
        emit_json(asdict(shown))
        return 0
    print_replay(shown)
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


def user_role(ctx: Context) -> int:
    entry = ctx.app.users.change_role(ctx.args.name, ctx.args.role, actor=ctx.actor)
    return _user_changed(ctx, entry, f"用户 {entry.name} 现在是{entry.role_label}（已记入台账）")


def user_disable(ctx: Context) -> int:
    if not ctx.args.yes:
        raise CliError(f"停用后用户 {ctx.args.name} 不能再登录，也不能重新启用，请加 --yes 确认", EXIT_USAGE)
    entry = ctx.app.users.disable(ctx.args.name, actor=ctx.actor)
    return _user_changed(ctx, entry, f"已停用用户 {entry.name}：不能再登录，会话和 API 令牌已失效（已记入台账）")


def _user_changed(ctx: Context, entry: Any, text: str) -> int:
    """The account as it now is (--json), or `text`."""
    if ctx.json:
        emit_json({"ok": True, **asdict(entry)})
    else:
        print(text)
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
