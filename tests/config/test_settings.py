from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from config import DEFAULTS, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
MISSION_KEYS = ["DATABASE_URL", "DB_POOL_SIZE", "DB_MAX_OVERFLOW", "SECRET_KEY", "ALGORITHM",
                "ACCESS_TOKEN_EXPIRE_MINUTES", "TAPE_DRIVE_LETTER", "DEFAULT_BLOCK_SIZE", "MAX_VOLUME_SIZE",
                "COMPRESSION_LEVEL", "SOLID_BLOCK_SIZE", "MAX_FILE_SIZE", "SCHEDULER_ENABLED",
                "MONTHLY_BACKUP_CRON", "RETENTION_CHECK_CRON", "DINGTALK_API_URL", "DINGTALK_API_KEY",
                "LOG_LEVEL", "LOG_FILE", "DEFAULT_RETENTION_MONTHS", "AUTO_ERASE_EXPIRED"]


def test_defaults_match_the_mission_table(taf_env: Path) -> None:
    settings = load_settings()
    assert settings.database["kind"] == "sqlite"
    assert settings.database["path"] == str(taf_env / "data" / "ledger.db")
    assert (settings.db_pool_size, settings.db_max_overflow) == (10, 20)
    assert settings.algorithm == "HS256" and settings.access_token_expire_minutes == 30
    assert settings.default_block_size == 262144
    assert settings.max_volume_size == 0
    assert settings.compression_level == 9
    assert settings.solid_block_size == 64 * 1024 * 1024
    assert settings.max_file_size == 3 * 1024**3
    assert settings.scheduler_enabled is True and settings.auto_erase_expired is True
    assert settings.monthly_backup_cron == "0 2 1 * *"
    assert settings.retention_check_cron == "0 3 * * *"
    assert settings.dingtalk_api_url == "" and settings.dingtalk_api_key == ""
    assert settings.log_level == "INFO"
    assert settings.default_retention_months == 6
    assert settings.now is None
    assert settings.secret_key is None


def test_every_mission_key_is_read() -> None:
    assert set(MISSION_KEYS) <= set(DEFAULTS)


def test_env_sample_and_config_doc_document_every_key() -> None:
    sample = (ROOT / ".env.sample").read_text(encoding="utf-8")
    doc = (ROOT / "docs" / "配置说明.md").read_text(encoding="utf-8")
    sample_keys = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", sample, flags=re.M))
    for key in DEFAULTS:
        assert key in sample_keys, f".env.sample 缺少 {key}"
        assert f"`{key}`" in doc, f"docs/配置说明.md 缺少 {key}"


def test_env_file_is_read_and_the_environment_wins(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = taf_env / "my.env"
    env_file.write_text("COMPRESSION_LEVEL=3\nMAX_VOLUME_SIZE=322122547200\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("TAF_ENV_FILE", str(env_file))
    monkeypatch.setenv("COMPRESSION_LEVEL", "5")
    settings = load_settings()
    assert settings.compression_level == 5
    assert settings.max_volume_size == 322122547200
    assert settings.log_level == "DEBUG"


def test_sizes_accept_units(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_FILE_SIZE", "3G")
    monkeypatch.setenv("DEFAULT_BLOCK_SIZE", "256K")
    settings = load_settings()
    assert settings.max_file_size == 3 * 1024**3
    assert settings.default_block_size == 262144


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("DATABASE_URL", "mysql://root@127.0.0.1/taf", "不支持的数据库类型"),
    ("DATABASE_URL", "postgresql:///nohost", "缺少主机或数据库名"),
    ("DATABASE_URL", "sqlite://", "缺少文件路径"),
    ("MONTHLY_BACKUP_CRON", "0 25 1 * *", "第 2 个字段（小时）“25”无效"),
    ("RETENTION_CHECK_CRON", "every day", "应有 5 个字段"),
    ("RETENTION_CHECK_CRON", "0 4 30 2 *", "永远不会触发"),
    ("MAX_VOLUME_SIZE", "-1", "不能小于"),
    ("MAX_FILE_SIZE", "lots", "不是有效的大小"),
    ("DEFAULT_BLOCK_SIZE", "16M", "最大块"),
    ("COMPRESSION_LEVEL", "10", "超出范围"),
    ("DEFAULT_RETENTION_MONTHS", "0", "超出范围"),
    ("SCHEDULER_ENABLED", "maybe", "布尔"),
    ("LOG_LEVEL", "LOUD", "日志级别"),
    ("TAF_NOW", "yesterday", "ISO"),
    ("DINGTALK_API_URL", "ftp://127.0.0.1", "http"),
    ("REDIS_URL", "http://127.0.0.1:6379", "Redis"),
    ("ALGORITHM", "RS256", "签名算法"),
    ("DB_POOL_SIZE", "zero", "整数"),
])
def test_a_bad_value_stops_start_up_with_one_chinese_line_naming_the_key(
        taf_env: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str, fragment: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert caught.value.key == key
    assert key in message and fragment in message
    assert "\n" not in message


def test_database_url_maps_postgres_and_opengauss(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "opengauss://taf:p%40ss@127.0.0.1:15432/tafdb")
    db = load_settings().database
    assert db == {"kind": "opengauss", "host": "127.0.0.1", "port": "15432", "user": "taf",
                  "password": "p@ss", "dbname": "tafdb"}
    monkeypatch.setenv("DATABASE_URL", "postgres://127.0.0.1/x")
    assert load_settings().database["kind"] == "postgresql"


def test_taf_now_replaces_the_clock(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAF_NOW", "2026-05-01T02:00:00")
    assert load_settings().now == datetime(2026, 5, 1, 2, tzinfo=timezone.utc)


def test_host_name_is_checked(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST_NAME", "drive host/1")
    with pytest.raises(ConfigError, match="HOST_NAME"):
        load_settings()
