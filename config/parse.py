"""Parsers for setting values; each raises ConfigError naming the key."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from config.errors import ConfigError
from ledger.rules.schedule import CronError, validate_cron

_TRUE = {"1", "true", "yes", "on", "y", "t", "是"}
_FALSE = {"0", "false", "no", "off", "n", "f", "否"}
_SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1024**2, "MB": 1024**2,
               "MIB": 1024**2, "G": 1024**3, "GB": 1024**3, "GIB": 1024**3, "T": 1024**4,
               "TB": 1024**4, "TIB": 1024**4}


def parse_bool(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(key, f"“{raw}”不是布尔值", "请填写 true 或 false")


def parse_int(key: str, raw: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(key, f"“{raw}”不是整数", "请填写一个整数") from None
    _check_range(key, value, minimum, maximum)
    return value


def parse_size(key: str, raw: str, *, minimum: int = 0) -> int:
    """Bytes, with an optional unit: 262144, 256K, 3G, 3GiB."""
    match = re.fullmatch(r"\s*(-?\d+)\s*([A-Za-z]*)\s*", raw)
    if not match or match.group(2).upper() not in _SIZE_UNITS:
        raise ConfigError(key, f"“{raw}”不是有效的大小", "请填写字节数，或带单位，如 256K、3G")
    value = int(match.group(1)) * _SIZE_UNITS[match.group(2).upper()]
    if value < minimum:
        raise ConfigError(key, f"大小不能小于 {minimum}（当前 {value}）", f"请填写不小于 {minimum} 的值")
    return value


def _check_range(key: str, value: int, minimum: int | None, maximum: int | None) -> None:
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        low = "-∞" if minimum is None else minimum
        high = "∞" if maximum is None else maximum
        raise ConfigError(key, f"取值 {value} 超出范围 {low}–{high}", f"请填写 {low} 到 {high} 之间的整数")


def parse_cron(key: str, raw: str) -> str:
    try:
        return validate_cron(raw)
    except CronError as error:
        raise ConfigError(key, str(error), "请使用五段格式“分 时 日 月 周”，如 0 2 1 * *") from None


def parse_log_level(key: str, raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(key, f"“{raw}”不是日志级别", "请填写 DEBUG、INFO、WARNING、ERROR 或 CRITICAL")
    return value


def parse_now(key: str, raw: str) -> datetime | None:
    """An ISO timestamp; naive values are taken as UTC."""
    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(key, f"“{raw}”不是 ISO 时间", "请填写如 2026-05-01T02:00:00+08:00 的时间") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_http_url(key: str, raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(key, f"“{raw}”不是 http(s) 地址", "请填写如 http://127.0.0.1:5555 的地址")
    return value


def parse_redis_url(key: str, raw: str) -> str:
    value = raw.strip()
    if value and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(key, f"“{raw}”不是 Redis 地址", "请填写如 redis://127.0.0.1:6379/0 的地址，或留空使用内置 SQLite 队列")
    return value


def parse_database_url(key: str, raw: str) -> dict[str, str]:
    """Map DATABASE_URL onto the eventsourcing persistence environment."""
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme == "sqlite":
        path = value[len("sqlite:///"):] if value.startswith("sqlite:///") else ""
        if not path:
            raise ConfigError(key, f"“{raw}”缺少文件路径", "请写成 sqlite:///data/ledger.db")
        return {"kind": "sqlite", "path": unquote(path)}
    if parts.scheme in {"postgresql", "postgres", "opengauss"}:
        dbname = parts.path.lstrip("/")
        if not parts.hostname or not dbname:
            raise ConfigError(key, f"“{_mask_url(value)}”缺少主机或数据库名",
                              "请写成 opengauss://用户:密码@主机:端口/数据库")
        return {
            "kind": parts.scheme if parts.scheme != "postgres" else "postgresql",
            "host": parts.hostname,
            "port": str(parts.port or 5432),
            "user": unquote(parts.username or "postgres"),
            "password": unquote(parts.password or ""),
            "dbname": unquote(dbname),
        }
    raise ConfigError(key, f"不支持的数据库类型“{parts.scheme or value}”",
                      "请使用 sqlite:///路径、postgresql://… 或 opengauss://…")


def _mask_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.password:
        return value.replace(f":{parts.password}@", ":***@")
    return value
