"""What a handler may ask for by parameter name (provided once in `web.app.create_app`)."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency

from app.facade import App
from kernel.progress import ProgressStore
from web.auth.sessions import SessionTokens
from web.auth.throttle import LoginThrottle

Taf: TypeAlias = NamedDependency[App]  # `taf`: the application's verbs
Progress: TypeAlias = NamedDependency[ProgressStore]  # `progress`: live job progress
Sessions: TypeAlias = NamedDependency[SessionTokens]  # `sessions`: issuing session cookies
Throttle: TypeAlias = NamedDependency[LoginThrottle]  # `throttle`: failed sign-ins
Version: TypeAlias = NamedDependency[str]  # `version`: TAF's version
