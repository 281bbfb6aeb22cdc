"""The JSON API against its own OpenAPI document: schemathesis generates requests for every operation
of `/api/v1/schema/openapi.json` (a few examples each, so `make test` stays quick) and sends them as
an administrator with an API token. No answer may be a 500, and every answer whose status the
document describes must match the schema it gives.

The live streams (SSE, `text/event-stream`) are left out: they answer for minutes by design. The app
runs over a fresh SQLite ledger with a few cartridges, a job, an event or two, so generated ids
sometimes meet real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.facade import make_app
from ledger import clock
from tests.web.conftest import PASSWORD
from tests.web.seed import fresh_installation
from web.app import create_app

EXAMPLES = 6  # per operation: about 70 operations, well under a minute on two cores
SCHEMA = "/api/v1/schema/openapi.json"


def answers_a_stream(context: Any) -> bool:
    """Whether the operation answers an event stream (its document says so)."""
    answer = context.operation.definition.raw.get("responses", {}).get("200") or {}
    return "text/event-stream" in (answer.get("content") or {})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """The app over a fresh SQLite ledger with an administrator, and the administrator's API token."""
    from bootstrap import build

    folder = tmp_path_factory.mktemp("schemathesis")
    with pytest.MonkeyPatch.context() as patch:
        # Nothing listens on port 9: a test message to the gateway fails at once, on this host.
        fresh_installation(patch, folder, DINGTALK_API_URL="http://127.0.0.1:9/")
        services = build()
        taf = make_app(services)
        taf.users.add("admin", "admin", PASSWORD, actor="测试")
        token = taf.users.issue_token("admin", label="schemathesis", actor="测试").token
        for number in range(1, 3):
            services.ledger.register_cartridge(f"TAF00{number}L9", capacity_bytes=18 * 10**12, by="admin")
        services.ledger.request_backup("schemathesis-job", kind="manual", sources=["/srv/财务"], group="2026-12",
                                       params={}, by="admin")
        services.catch_up()
        try:
            yield create_app(services), token
        finally:
            services.close()
            clock.start_at(None)


@pytest.fixture(scope="module")
def api(served: tuple[Any, str]) -> Any:
    app, _ = served
    return schemathesis.openapi.from_asgi(SCHEMA, app)


schema = schemathesis.pytest.from_fixture("api").exclude(answers_a_stream)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_500_or_against_its_schema(case: Any, served: tuple[Any, str]) -> None:
    _, token = served
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error, response_schema_conformance])
