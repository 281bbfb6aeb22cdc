"""Typed settings read from `.env` and the environment (the environment wins).

Every key of MISSION.md's table is here, plus the keys TAF adds. `load_settings` validates all of
them and stops start-up with one Chinese line naming the key and the fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values

from config import parse
from config.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    """数据目录：SQLite 台账、暂存区、模拟磁带库和生成的密钥都放在这里。"""
    database: dict[str, str]
    """DATABASE_URL 解析后的连接参数（kind = sqlite | postgresql | opengauss）。"""
    database_url: str
    db_pool_size: int
    db_max_overflow: int
    secret_key: str | None
    """JWT 签名密钥；为空时首次启动生成并保存在数据目录。"""
    algorithm: str
    access_token_expire_minutes: int
    tape_device: str
    """所选磁带设备：emulated:0、/dev/sg3 或 \\\\.\\Tape0。"""
    tape_drive_letter: str
    default_block_size: int
    max_volume_size: int
    compression_level: int
    solid_block_size: int
    max_file_size: int
    scheduler_enabled: bool
    monthly_backup_cron: str
    retention_check_cron: str
    dingtalk_api_url: str
    dingtalk_api_key: str
    log_level: str
    log_file: Path
    default_retention_months: int
    auto_erase_expired: bool
    active_groups: int
    redis_url: str
    redis_key_prefix: str
    """Redis 键名前缀：同一台 Redis 上的多套 TAF（或并行的测试）各用各的前缀。"""
    host_name: str
    """驱动器主机名：多主机部署时每台主机一个任务队列。"""
    web_host: str
    web_port: int
    backup_sources: list[str]
    """月度全备份的源目录（分号或换行分隔）。"""
    backup_allowed_roots: list[Path]
    """Web 界面里可选作备份源的目录范围（分号或换行分隔）；为空时取备份源的上一级目录，再为空则手动输入路径。"""
    restore_allowed_roots: list[Path]
    """Web 界面和 API 发起的恢复可以写入的目录范围；为空时不限制（与命令行相同）。"""
    staging_dir: Path
    vtl_dir: Path
    vtl_drives: int
    vtl_slots: int
    vtl_capacity: int
    vtl_early_warning_pct: int
    vtl_first_load_seconds: float = 0.0
    """模拟磁带库中新 LTO-9 磁带首次装入时介质优化持续的秒数（0 = 不模拟；真实驱动器 20–132 分钟）。"""
    now: datetime | None = None
    """TAF_NOW：替换所有命令的时钟（演练和测试用）；为空则使用真实时间。"""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database["kind"] == "sqlite"


DEFAULTS: dict[str, str] = {
    "DATA_DIR": "./data",
    "DATABASE_URL": "",
    "DB_POOL_SIZE": "10",
    "DB_MAX_OVERFLOW": "20",
    "SECRET_KEY": "",
    "ALGORITHM": "HS256",
    "ACCESS_TOKEN_EXPIRE_MINUTES": "30",
    "TAPE_DEVICE": "",
    "TAPE_DRIVE_LETTER": "",
    "DEFAULT_BLOCK_SIZE": "262144",
    "MAX_VOLUME_SIZE": "0",
    "COMPRESSION_LEVEL": "9",
    "SOLID_BLOCK_SIZE": "67108864",
    "MAX_FILE_SIZE": "3221225472",
    "SCHEDULER_ENABLED": "true",
    "MONTHLY_BACKUP_CRON": "0 2 1 * *",
    "RETENTION_CHECK_CRON": "0 3 * * *",
    "DINGTALK_API_URL": "",
    "DINGTALK_API_KEY": "",
    "LOG_LEVEL": "INFO",
    "LOG_FILE": "logs/application.log",
    "DEFAULT_RETENTION_MONTHS": "6",
    "AUTO_ERASE_EXPIRED": "true",
    "ACTIVE_GROUPS": "6",
    "REDIS_URL": "",
    "REDIS_KEY_PREFIX": "taf",
    "HOST_NAME": "",
    "WEB_HOST": "127.0.0.1",
    "WEB_PORT": "8000",
    "STAGING_DIR": "",
    "BACKUP_SOURCES": "",
    "BACKUP_ALLOWED_ROOTS": "",
    "RESTORE_ALLOWED_ROOTS": "",
    "VTL_DIR": "",
    "VTL_DRIVES": "1",
    "VTL_SLOTS": "8",
    "VTL_CAPACITY": "64M",
    "VTL_EARLY_WARNING_PCT": "10",
    "VTL_FIRST_LOAD_SECONDS": "0",
    "TAF_NOW": "",
}
"""Every key TAF reads, with its default. `.env.sample` documents each one."""

_BLOCK_SIZE_MAX = 8 * 1024 * 1024
FIRST_LOAD_SECONDS_MAX = 132 * 60  # the longest LTO-9 first-load media optimisation (tape-scsi.md §1.6)


def read_raw(env_file: Path | None = None, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Defaults, overlaid by the `.env` file, overlaid by the process environment."""
    raw = dict(DEFAULTS)
    path = env_file if env_file is not None else Path(os.environ.get("TAF_ENV_FILE", ".env"))
    if path.is_file():
        raw.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    source = os.environ if environ is None else environ
    raw.update({k: v for k, v in source.items() if k in DEFAULTS})
    return raw


def load_settings(env_file: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    raw = read_raw(env_file, environ)
    data_dir = Path(raw["DATA_DIR"] or "./data").expanduser().resolve()
    database_url = raw["DATABASE_URL"].strip() or f"sqlite:///{data_dir / 'ledger.db'}"
    block_size = parse.parse_size("DEFAULT_BLOCK_SIZE", raw["DEFAULT_BLOCK_SIZE"], minimum=512)
    if block_size > _BLOCK_SIZE_MAX:
        raise ConfigError("DEFAULT_BLOCK_SIZE", f"{block_size} 超过 LTO-9 的最大块 {_BLOCK_SIZE_MAX}",
                          "请使用 262144（256 KiB）或更小的值")
    max_file_size = parse.parse_size("MAX_FILE_SIZE", raw["MAX_FILE_SIZE"], minimum=1024 * 1024)
    host_name = raw["HOST_NAME"].strip() or _default_host_name()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", host_name):
        raise ConfigError("HOST_NAME", f"“{host_name}”含有不允许的字符", "请只用字母、数字、点、下划线和短横线")
    return Settings(
        data_dir=data_dir,
        database=parse.parse_database_url("DATABASE_URL", database_url),
        database_url=database_url,
        db_pool_size=parse.parse_int("DB_POOL_SIZE", raw["DB_POOL_SIZE"], minimum=1, maximum=500),
        db_max_overflow=parse.parse_int("DB_MAX_OVERFLOW", raw["DB_MAX_OVERFLOW"], minimum=0, maximum=1000),
        secret_key=raw["SECRET_KEY"].strip() or None,
        algorithm=_parse_algorithm(raw["ALGORITHM"]),
        access_token_expire_minutes=parse.parse_int(
            "ACCESS_TOKEN_EXPIRE_MINUTES", raw["ACCESS_TOKEN_EXPIRE_MINUTES"], minimum=1, maximum=60 * 24 * 30),
        tape_device=raw["TAPE_DEVICE"].strip(),
        tape_drive_letter=raw["TAPE_DRIVE_LETTER"].strip(),
        default_block_size=block_size,
        max_volume_size=parse.parse_size("MAX_VOLUME_SIZE", raw["MAX_VOLUME_SIZE"], minimum=0),
        compression_level=parse.parse_int("COMPRESSION_LEVEL", raw["COMPRESSION_LEVEL"], minimum=0, maximum=9),
        solid_block_size=parse.parse_size("SOLID_BLOCK_SIZE", raw["SOLID_BLOCK_SIZE"], minimum=64 * 1024),
        max_file_size=max_file_size,
        scheduler_enabled=parse.parse_bool("SCHEDULER_ENABLED", raw["SCHEDULER_ENABLED"]),
        monthly_backup_cron=parse.parse_cron("MONTHLY_BACKUP_CRON", raw["MONTHLY_BACKUP_CRON"]),
        retention_check_cron=parse.parse_cron("RETENTION_CHECK_CRON", raw["RETENTION_CHECK_CRON"]),
        dingtalk_api_url=parse.parse_http_url("DINGTALK_API_URL", raw["DINGTALK_API_URL"]),
        dingtalk_api_key=raw["DINGTALK_API_KEY"].strip(),
        log_level=parse.parse_log_level("LOG_LEVEL", raw["LOG_LEVEL"]),
        log_file=Path(raw["LOG_FILE"] or "logs/application.log").expanduser().resolve(),
        default_retention_months=parse.parse_int(
            "DEFAULT_RETENTION_MONTHS", raw["DEFAULT_RETENTION_MONTHS"], minimum=1, maximum=120),
        auto_erase_expired=parse.parse_bool("AUTO_ERASE_EXPIRED", raw["AUTO_ERASE_EXPIRED"]),
        active_groups=parse.parse_int("ACTIVE_GROUPS", raw["ACTIVE_GROUPS"], minimum=1, maximum=120),
        redis_url=parse.parse_redis_url("REDIS_URL", raw["REDIS_URL"]),
        redis_key_prefix=_parse_key_prefix(raw["REDIS_KEY_PREFIX"]),
        host_name=host_name,
        web_host=raw["WEB_HOST"].strip() or "127.0.0.1",
        web_port=parse.parse_int("WEB_PORT", raw["WEB_PORT"], minimum=1, maximum=65535),
        backup_sources=_path_list(raw["BACKUP_SOURCES"]),
        backup_allowed_roots=[Path(p).expanduser().resolve() for p in _path_list(raw["BACKUP_ALLOWED_ROOTS"])],
        restore_allowed_roots=[Path(p).expanduser().resolve() for p in _path_list(raw["RESTORE_ALLOWED_ROOTS"])],
        staging_dir=Path(raw["STAGING_DIR"]).expanduser().resolve() if raw["STAGING_DIR"].strip()
        else data_dir / "staging",
        vtl_dir=Path(raw["VTL_DIR"]).expanduser().resolve() if raw["VTL_DIR"].strip() else data_dir / "vtl",
        vtl_drives=parse.parse_int("VTL_DRIVES", raw["VTL_DRIVES"], minimum=1, maximum=16),
        vtl_slots=parse.parse_int("VTL_SLOTS", raw["VTL_SLOTS"], minimum=0, maximum=500),
        vtl_capacity=parse.parse_size("VTL_CAPACITY", raw["VTL_CAPACITY"], minimum=1024 * 1024),
        vtl_early_warning_pct=parse.parse_int("VTL_EARLY_WARNING_PCT", raw["VTL_EARLY_WARNING_PCT"],
                                              minimum=1, maximum=50),
        vtl_first_load_seconds=parse_first_load_seconds("VTL_FIRST_LOAD_SECONDS", raw["VTL_FIRST_LOAD_SECONDS"]),
        now=parse.parse_now("TAF_NOW", raw["TAF_NOW"]),
    )


def _path_list(raw: str) -> list[str]:
    """Paths separated by semicolons or new lines, blanks dropped."""
    return [p.strip() for p in re.split(r"[;\n]", raw) if p.strip()]


def parse_first_load_seconds(key: str, raw: str) -> float:
    """Seconds of simulated media optimisation, 0 to 7920 (132 minutes); decimals allowed for tests."""
    try:
        value = float(raw.strip() or "0")
    except ValueError:
        raise ConfigError(key, f"“{raw}”不是秒数", "请填写 0 到 7920 之间的秒数，如 0、30、2400") from None
    if not 0 <= value <= FIRST_LOAD_SECONDS_MAX:
        raise ConfigError(key, f"{raw} 秒超出范围", f"请填写 0 到 {FIRST_LOAD_SECONDS_MAX} 之间的秒数（最长 132 分钟）")
    return value


def _parse_algorithm(raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"HS256", "HS384", "HS512"}:
        raise ConfigError("ALGORITHM", f"不支持的签名算法“{raw}”", "请使用 HS256、HS384 或 HS512")
    return value


def _parse_key_prefix(raw: str) -> str:
    value = raw.strip() or "taf"
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
        raise ConfigError("REDIS_KEY_PREFIX", f"“{raw}”含有不允许的字符", "请只用字母、数字、点、冒号、下划线和短横线")
    return value


def _default_host_name() -> str:
    import socket

    name = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:64]
    return name or "taf-host"
