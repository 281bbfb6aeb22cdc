"""What every command handler gets: parsed arguments, lazily built services, the acting user."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import Any

from app.facade import App, make_app
from bootstrap import Services, build
from config import Settings, load_settings


@dataclass
class Context:
    args: Any
    _settings: Settings | None = None
    _services: Services | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self._services.settings if self._services else load_settings()
        return self._settings

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build(self.settings)
        return self._services

    @property
    def app(self) -> App:
        """The application services (built on first use, over the same store as `services`)."""
        return make_app(self.services)

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def actor(self) -> str:
        """Who the ledger records as acting: TAF_USER, else the operating-system user at the CLI."""
        named = os.environ.get("TAF_USER", "").strip()
        if named:
            return named
        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli"

    def close(self) -> None:
        if self._services is not None:
            try:
                self._services.catch_up()
            finally:
                self._services.close()
