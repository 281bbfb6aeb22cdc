"""`settings`, `ledger`, `projections`, `audit` and `user` commands."""

from __future__ import annotations

import argparse
import secrets as pysecrets
import sys
from typing import Any

from bootstrap import BUILTIN_DEFAULTS, RUNTIME_DEFAULTS
from cli.context import Context
from cli.errors import EXIT_INTEGRITY, EXIT_USAGE, CliError
from cli.output import emit_json, emit_table
from ledger import chain
from ledger.domain.people import ROLES, normalise_role
from ledger.domain.settings import RULES, SECRET_KEYS, TEMPLATE_PREFIX
from ledger.secrets import hash_password, mask
from projections.audit import event_attributes
from projections.audit_text import actor, describe
from projections.view import event_name

STATIC_KEYS_SECRET = {"SECRET_KEY", "DINGTALK_API_KEY", "DATABASE_URL"}


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


def _runtime_keys() -> list[str]:
    return sorted(set(RULES) | set(BUILTIN_DEFAULTS))


def settings_show(ctx: Context) -> int:
    services = ctx.services
    changed = services.ledger.settings().values
    rows = []
    for key in _runtime_keys():
        value = services.effective(key)
        if key in SECRET_KEYS and key not in changed:
            value = mask(str(value or ""))
        source = "台账" if key in changed else (".env/环境" if key in RUNTIME_DEFAULTS or key in SECRET_KEYS
                                                else "内置默认")
        rows.append({"key": key, "value": value, "source": source})
    for key in sorted(changed):
        if key.startswith(TEMPLATE_PREFIX):
            rows.append({"key": key, "value": changed[key], "source": "台账"})
    if ctx.json:
        emit_json({"settings": rows, "startup": _startup_rows(ctx)})
    else:
        print("运行时设置（可用 settings set 修改，修改记入台账）：")
        emit_table(rows, [("key", "设置项"), ("value", "当前值"), ("source", "来源")])
    return 0


def _startup_rows(ctx: Context) -> dict[str, Any]:
    from config.settings import read_raw

    raw = read_raw()
    return {key: (mask(value) if key in STATIC_KEYS_SECRET else value) for key, value in raw.items()}


def settings_set(ctx: Context) -> int:
    services = ctx.services
    key = ctx.args.key
    if key in SECRET_KEYS:
        old_hint = mask(services.secret(key))
        services.ledger.change_secret(key, ciphertext=services.secret_box.seal(ctx.args.value),
                                      hint=mask(ctx.args.value), old_hint=old_hint, by=ctx.actor)
        shown = mask(ctx.args.value)
    else:
        if key not in RULES and not key.startswith(TEMPLATE_PREFIX):
            raise CliError(f"未知的设置项：{key}。可修改的设置项：{'、'.join(_runtime_keys())}", EXIT_USAGE)
        services.ledger.change_setting(key, ctx.args.value, old=services.effective(key), by=ctx.actor)
        shown = services.effective(key)
    if ctx.json:
        emit_json({"ok": True, "key": key, "value": shown})
    else:
        print(f"已修改 {key} = {shown}（操作人 {ctx.actor}，已记入台账）")
    return 0


def ledger_log(ctx: Context) -> int:
    if ctx.args.limit < 1:
        raise CliError("--limit 必须是正整数", EXIT_USAGE)
    ledger = ctx.services.ledger
    head = ledger.head_id()
    start = max(0, head - ctx.args.limit)
    rows = []
    for notification in ledger.notifications(start):
        event = ledger.mapper.to_domain_event(notification)
        name = event_name(event)
        attributes = event_attributes(event)
        rows.append({"id": notification.id, "at": event.timestamp.isoformat(timespec="seconds"),
                     "actor": actor(attributes), "event": name, "summary": describe(name, attributes)})
    rows.reverse()
    if ctx.json:
        emit_json({"events": rows, "head": head})
    else:
        emit_table(rows, [("id", "序号"), ("at", "时间"), ("actor", "操作人"), ("event", "事件"),
                          ("summary", "说明")])
    return 0


def projections_rebuild(ctx: Context) -> int:
    projector = ctx.services.projector
    names = [ctx.args.name] if ctx.args.name else []
    known = [view.name for view in projector.views]
    if ctx.args.name and ctx.args.name not in known:
        raise CliError(f"没有名为 {ctx.args.name} 的读模型。可选：{'、'.join(known)}", EXIT_USAGE)
    count = projector.rebuild(names)
    rebuilt = names or [v.name for v in projector.views if v.rebuild_with_all]
    if ctx.json:
        emit_json({"ok": True, "rebuilt": rebuilt, "events": count})
    else:
        print(f"已重建读模型 {'、'.join(rebuilt)}，处理事件 {count} 条")
    return 0


def audit_verify(ctx: Context) -> int:
    services = ctx.services
    services.projector.catch_up(["chain"])  # seal what was appended since the last run, then check all
    verdict = chain.verify(services.ledger.notifications(), services.chain.sealed())
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
    role = normalise_role(ctx.args.role)
    password = "" if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    generated = not password
    if generated:
        password = pysecrets.token_urlsafe(12)
    elif len(password) < 8:
        raise CliError("密码至少需要 8 个字符", EXIT_USAGE)
    ctx.services.ledger.add_user(ctx.args.name, role, hash_password(password), by=ctx.actor)
    if ctx.json:
        payload = {"ok": True, "name": ctx.args.name, "role": ROLES[role]}
        if generated:
            payload["password"] = password
        emit_json(payload)
    else:
        print(f"已添加用户 {ctx.args.name}（{ROLES[role]}）")
        if generated:
            print(f"初始密码（只显示这一次，请妥善保存）：{password}")
    return 0
