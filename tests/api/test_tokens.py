"""API tokens: random, prefixed, shown once, stored as a digest, revocable, audited; and `cpl serve`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from cpl.core import errors
from cpl.core.domain import PartyRole
from cpl.services import parties as party_service
from cpl.services import tokens
from cpl.store import AuditEvent, get_engine
from tests.api.conftest import ROOT, app_settings

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with Session(get_engine(f"sqlite:///{tmp_path / 'cpl.db'}"), expire_on_commit=False) as s:
        party_service.add_party(s, "acme-meters", "Acme Meters", PartyRole.MANUFACTURER, NOW)
        s.flush()
        party_service.add_user(s, "acme-meters", "acme-meters", "Acme", NOW)
        s.flush()
        yield s


def test_a_token_is_random_prefixed_and_stored_only_as_its_digest(session: Session, tmp_path: Path) -> None:
    record, token = tokens.issue_token(session, "acme-meters", NOW, label="ci")
    other = tokens.issue_token(session, "acme-meters", NOW)[1]
    session.commit()
    assert token.startswith("cpl_") and len(token) == 47 and token != other
    assert record.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("cpl.db*"))
    assert token.encode() not in stored and record.token_sha256.encode() in stored


def test_a_token_authenticates_its_user_until_revoked(session: Session) -> None:
    record, token = tokens.issue_token(session, "acme-meters", NOW)
    principal = tokens.authenticate(session, token)
    assert principal is not None
    assert (principal.user_id, principal.party_id, principal.role) == ("acme-meters", "acme-meters", "manufacturer")
    assert record.id is not None
    tokens.revoke_token(session, record.id, NOW)
    assert tokens.authenticate(session, token) is None
    with pytest.raises(tokens.TokenAlreadyRevokedError):
        tokens.revoke_token(session, record.id, NOW)


@pytest.mark.parametrize(
    "presented",
    ["", "cpl_", "cpl_short", "Bearer cpl_x", "x" * 47, "cpl_" + "A" * 43, "cpl_" + "A" * 44, "cpl_" + "é" * 43],
)
def test_anything_but_an_issued_token_authenticates_nobody(session: Session, presented: str) -> None:
    tokens.issue_token(session, "acme-meters", NOW)
    assert tokens.authenticate(session, presented) is None


def test_issuing_and_revoking_are_audited(session: Session) -> None:
    record, _ = tokens.issue_token(session, "acme-meters", NOW, label="portal")
    assert record.id is not None
    tokens.revoke_token(session, record.id, NOW, actor="operator")
    events = session.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("token."))).all()
    assert [(e.action, e.actor, e.subject) for e in events] == [
        ("token.add", "cli", f"token:{record.id}"),
        ("token.revoke", "operator", f"token:{record.id}"),
    ]
    assert json.loads(events[0].details_json) == {"user": "acme-meters", "party": "acme-meters", "label": "portal"}


def test_tokens_for_unknown_users_or_ids_are_refused(session: Session) -> None:
    with pytest.raises(errors.UnknownUserError):
        tokens.issue_token(session, "nobody", NOW)
    with pytest.raises(tokens.UnknownTokenError):
        tokens.revoke_token(session, 42, NOW)
    with pytest.raises(tokens.TokenLabelError):
        tokens.issue_token(session, "acme-meters", NOW, label="x" * 201)


# --- the command line ------------------------------------------------------------------------


@dataclass
class Cli:
    env: dict[str, str]
    url: str

    def __call__(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-c", "from api.serve import cpl_main; cpl_main()", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == expect, (result.returncode, result.stdout, result.stderr)
        return result


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPL_")}
    url = f"sqlite:///{tmp_path / 'cpl.db'}"
    env.update({"CPL_DATABASE_URL": url, "CPL_SPECS_FILE": str(tmp_path / "specs.json"), "COLUMNS": "200"})
    return Cli(env, url)


def test_token_commands_issue_once_list_without_secrets_and_revoke(cli: Cli) -> None:
    cli("parties", "add", "acme-meters", "--role", "manufacturer")
    issued = json.loads(cli("parties", "add-token", "acme-meters", "--label", "portal", "--json").stdout)
    token = issued["token"]
    assert issued["token_id"] == 1 and issued["user"] == "acme-meters" and token.startswith("cpl_")

    plain = cli("parties", "add-token", "acme-meters")
    assert "cannot be shown again" in plain.stdout and "Authorization: Bearer" in plain.stderr
    second = next(line for line in plain.stdout.splitlines() if line.startswith("cpl_"))
    assert second != token

    listed = cli("parties", "tokens", "--json").stdout
    assert token not in listed and second not in listed
    rows = json.loads(listed)["tokens"]
    assert [(r["token_id"], r["user"], r["label"], r["revoked_at"]) for r in rows] == [
        (1, "acme-meters", "portal", None),
        (2, "acme-meters", "", None),
    ]

    with TestClient(create_app(app_settings(cli.url))) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert "API token 1 of acme-meters revoked." in cli("parties", "revoke-token", "1").stdout
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200

    assert "already revoked" in cli("parties", "revoke-token", "1", expect=1).stderr
    assert "no API token 9" in cli("parties", "revoke-token", "9", expect=2).stderr
    assert "no user 'nobody'" in cli("parties", "add-token", "nobody", expect=2).stderr
    table = cli("parties", "tokens").stdout
    assert "portal" in table and "2 token(s), 1 in use." in table


# --- cpl serve -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cpl_serve_serves_the_api_and_the_page(cli: Cli) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.serve import cpl_main; cpl_main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env=cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                schema = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "cpl serve did not start within 30 seconds"
                time.sleep(0.2)
        assert schema.status_code == 200 and "/api/v1/submissions" in schema.json()["paths"]
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "No CPL has been published yet" in page.text
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_cpl_serve_refuses_an_unusable_upload_limit(cli: Cli) -> None:
    cli.env["CPL_MAX_UPLOAD_BYTES"] = "lots"
    result = cli("serve", "--port", str(_free_port()), expect=2)
    assert result.stderr.strip() == "CPL_MAX_UPLOAD_BYTES must be a whole number of bytes, not 'lots'."
