"""Settings from `.env` and the environment, the data folder, and logging."""

from config.errors import ConfigError
from config.settings import DEFAULTS, Settings, load_settings

__all__ = ["DEFAULTS", "ConfigError", "Settings", "load_settings"]
