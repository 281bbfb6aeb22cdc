"""Shared fixtures: a gateway stand-in on 127.0.0.1 and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notify.gateway import GatewayClient
from notify.standin import StandIn, start_standin

TOKEN = "test-token"
PHONE = "13800000000"
OTHER_PHONE = "13800000001"
# Short enough to keep the suite quick, long enough for an idle loopback answer on a busy machine.
CLIENT_TIMEOUT = 1.0
# How long a simulated timeout holds the request: well past CLIENT_TIMEOUT.
STALL = 2.5


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with start_standin(TOKEN) as running:
        yield running


@pytest.fixture
def client(standin: StandIn) -> Iterator[GatewayClient]:
    with GatewayClient(standin.url, TOKEN, timeout=CLIENT_TIMEOUT) as gateway:
        yield gateway
