"""API tokens from the command line: `user token NAME` issues one that the API accepts as a bearer,
`--list` shows them without the token, `--revoke ID` ends it; each act is a ledger event."""

from __future__ import annotations

from litestar.testing import TestClient

from bootstrap import build
from web.app import create_app


def test_a_token_issued_at_the_command_line_opens_the_api_until_it_is_revoked(cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TAF_USER", "王工")
    assert cli("user", "add", "robot", "--role", "操作员").code == 0
    issued = cli("user", "token", "robot", "--label", "监控", "--json").json()
    assert issued["ok"] and issued["token"].startswith("taf_") and issued["expires_at"] is None
    text = cli("user", "token", "robot", "--days", "30")
    assert text.code == 0 and "只显示这一次" in text.out and "Authorization: Bearer taf_" in text.out

    services = build()
    try:
        with TestClient(app=create_app(services)) as client:
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['token']}"})
            assert me.json() == {"name": "robot", "role": "operator", "role_label": "操作员", "via": "token"}
            listed = cli("user", "token", "robot", "--list", "--json").json()["tokens"]
            assert len(listed) == 2 and all("token" not in row and "hash" not in row for row in listed)
            assert listed[0] == {**listed[0], "token_id": issued["token_id"], "label": "监控", "issued_by": "王工",
                                 "revoked": False}
            revoked = cli("user", "token", "robot", "--revoke", issued["token_id"])
            assert revoked.code == 0 and "已吊销" in revoked.out
            client.app.state.identities.forget()
            assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['token']}"}).status_code == 401
    finally:
        services.close()
    log = cli("ledger", "log", "--json").json()["events"]
    assert [line["event"] for line in log[:3]] == ["User.TokenRevoked", "User.TokenIssued", "User.TokenIssued"]
    assert log[0]["actor"] == "王工"
    users = cli("user", "list", "--json").json()["users"]
    assert {"name": "robot", "role": "操作员", "enabled": True, "active_tokens": 1} in users


def test_bad_token_requests_are_refused_with_the_usual_exit_codes(cli) -> None:  # noqa: ANN001
    assert cli("user", "add", "robot", "--role", "auditor").code == 0
    assert cli("user", "token", "nobody").code == 4
    assert cli("user", "token", "robot", "--revoke", "nope").code == 4
    assert cli("user", "token", "robot", "--days", "0").code == 2
    assert cli("user", "token", "robot", "--list", "--revoke", "x").code == 2
