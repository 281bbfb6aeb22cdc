"""Configuration errors: one Chinese line that names the key and the fix."""

from __future__ import annotations

from kernel.errors import EXIT_CONFIG, TafError


class ConfigError(TafError):
    """A setting has a value TAF cannot use; start-up stops with this message."""

    exit_code = EXIT_CONFIG
    default_message = "配置项无效"

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        self.problem = problem
        self.fix = fix
        super().__init__(f"配置项 {key} 无效：{problem}。{fix}")
