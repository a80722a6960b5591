"""A small CPL world for the HTTP tests, built once through the real service and copied per test.

Parties: manufacturers acme-meters and northwind, supplier bright-energy, the DCC, SECAS (users
alice and bob). State: three Active entries from an approved submission, extract 1 issued
(prepared by alice, approved by bob) and published, an open clean submission, an open firmware
update from acme-meters that names bright-energy to confirm, a draft of extract 2 prepared by bob,
and a signed DCC receipt for extract 1 not yet imported. Each role has a token; acme-meters also
has a revoked one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from api.app import create_app
from api.config import Settings
from cpl.config import Settings as CplSettings
from cpl.core.domain import PartyRole, SubmissionType
from cpl.core.rules import SignatureState
from cpl.core.specs import SpecRegistry
from cpl.demo.samples import sample_row, sample_submission
from cpl.services import extracts as extract_service
from cpl.services import parties as party_service
from cpl.services import submissions as submission_service
from cpl.services import tokens
from cpl.specs_file import load_registry
from cpl.store import get_engine
from cpl.workbook.template import write_submission
from formats.receipt import build_receipt
from formats.vocabulary import PhysicalDeviceType
from signing.cms import sign_data
from signing.signers import PemKeySigner

ROOT = Path(__file__).resolve().parents[2]


def app_settings(url: str, **limits: Any) -> Settings:
    """The service's settings for the database at ``url``, the rest read from this test's environment."""
    return Settings(cpl=dataclasses.replace(CplSettings.from_environment(os.environ), database_url=url), **limits)


KEYS = ROOT / "keys-dev"

#: Every kind of caller the access tests try.
ROLES: tuple[str, ...] = (
    "manufacturer",
    "other_manufacturer",
    "supplier",
    "dcc",
    "secas",
    "no_token",
    "revoked_token",
    "garbage_token",
)
AUTHENTICATED: frozenset[str] = frozenset(ROLES[:5])
EVERYONE: frozenset[str] = frozenset(ROLES)

#: The user each role's token speaks for.
ROLE_USERS = {
    "manufacturer": "acme-meters",
    "other_manufacturer": "northwind",
    "supplier": "bright-energy",
    "dcc": "dcc",
    "secas": "alice",
}
GARBAGE_TOKEN = "cpl_" + "A" * 43


def workbook_bytes(entries: list[dict[str, object]], certificates: list[dict[str, object]]) -> bytes:
    buffer = io.BytesIO()
    write_submission(buffer, entries, certificates)
    return buffer.getvalue()


def clean_workbook(start: int) -> bytes:
    """Valid New entries for models no other workbook here uses (``start`` picks them)."""
    sample = sample_submission(2, start=start)
    return workbook_bytes(sample.entries, sample.certificates)


def extract_signer() -> PemKeySigner:
    return PemKeySigner.from_files(
        KEYS / "secas-signer-1.pem", KEYS / "secas-signer-1.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )


def receipt_signer() -> PemKeySigner:
    return PemKeySigner.from_files(
        KEYS / "dcc-receipt-signer.pem", KEYS / "dcc-receipt-signer.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )


def signed_receipt(sequence: int, extract_sha256: str, received_at: dt.datetime) -> bytes:
    content = build_receipt(
        sequence=sequence,
        extract_sha256=extract_sha256,
        received_at=received_at,
        applied_at=received_at + dt.timedelta(minutes=5),
        devices_suspended=0,
        devices_restored=0,
    )
    return sign_data(content, receipt_signer())


@dataclass
class Template:
    path: Path
    tokens: dict[str, str]
    open_submission: int
    firmware_update: int
    draft: int
    extract_sha256: str
    receipt: bytes
    started: dt.datetime


def _registry() -> SpecRegistry:
    """The packaged registry, whatever CPL_SPECS_FILE says (the template is built outside any test)."""
    return load_registry(Path("/nonexistent/specifications.json"))


def _submit(session: Session, user: str, workbook: bytes, at: dt.datetime) -> int:
    record, result = submission_service.submit(
        session,
        user_id=user,
        filename="submission.xlsx",
        workbook=workbook,
        signature=None,
        registry=_registry(),
        signature_state=SignatureState.ABSENT,
        signature_problem="",
        now=at,
    )
    assert not result.has_errors, [f.as_dict() for f in result.findings]
    assert record.id is not None
    return record.id


def build_template(directory: Path) -> Template:
    path = directory / "template.db"
    url = f"sqlite:///{path}"
    started = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    at = started
    issued_tokens: dict[str, str] = {}
    with Session(get_engine(url), expire_on_commit=False) as session:
        for party, role in (
            ("acme-meters", PartyRole.MANUFACTURER),
            ("northwind", PartyRole.MANUFACTURER),
            ("bright-energy", PartyRole.SUPPLIER),
            ("dcc", PartyRole.DCC),
            ("secas", PartyRole.SECAS),
        ):
            party_service.add_party(session, party, party, role, at)
            session.flush()
            party_service.add_user(session, party, party, party, at)
        party_service.add_user(session, "alice", "secas", "Alice", at)
        party_service.add_user(session, "bob", "secas", "Bob", at)
        session.flush()
        for kind, user in ROLE_USERS.items():
            issued_tokens[kind] = tokens.issue_token(session, user, at, label=f"{kind} tests")[1]
        issued_tokens["bob"] = tokens.issue_token(session, "bob", at, label="second SECAS user")[1]
        revoked, issued_tokens["revoked_token"] = tokens.issue_token(session, "acme-meters", at, label="old")
        assert revoked.id is not None
        tokens.revoke_token(session, revoked.id, at)

        first = sample_submission(3)
        at += dt.timedelta(minutes=1)
        approved = _submit(session, "acme-meters", workbook_bytes(first.entries, first.certificates), at)
        submission_service.approve(session, approved, "alice", _registry(), at, SignatureState.ABSENT)
        at += dt.timedelta(minutes=1)
        draft, _ = extract_service.prepare(session, "alice", at)
        assert draft.id is not None
        issued = extract_service.approve(
            session, draft.id, "bob", at, extract_signer(), CplSettings().extract_trust(KEYS / "root-ca.pem")
        )

        at += dt.timedelta(minutes=1)
        open_submission = _submit(session, "acme-meters", clean_workbook(100), at)
        device_type = PhysicalDeviceType(str(first.entries[0]["physical_device_type"]))
        update, certificates = sample_row(
            device_type, 0, submission_type=SubmissionType.FIRMWARE_UPDATE, firmware="9002"
        )
        update["confirming_supplier"] = "bright-energy"
        update["firmware_mapping_evidence"] = "RN-106C-9002.pdf"
        firmware_update = _submit(session, "acme-meters", workbook_bytes([update], certificates), at)

        at += dt.timedelta(minutes=1)
        next_draft, _ = extract_service.prepare(session, "bob", at, unchanged=True)
        assert next_draft.id is not None
        session.commit()
        template = Template(
            path=path,
            tokens=issued_tokens,
            open_submission=open_submission,
            firmware_update=firmware_update,
            draft=next_draft.id,
            extract_sha256=issued.content_sha256,
            receipt=signed_receipt(issued.sequence, issued.content_sha256, at),
            started=started,
        )
    get_engine(url).dispose()
    return template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return build_template(tmp_path_factory.mktemp("cpl-api-template"))


@pytest.fixture(autouse=True)
def dev_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Signing and trust from keys-dev by absolute path, whatever the working directory."""
    signer = f"pem:{KEYS}/secas-signer-1.pem:{KEYS}/secas-signer-1.key.pem:{KEYS}/issuing-ca.pem"
    monkeypatch.setenv("CPL_SIGNER", signer)
    for variable in ("CPL_EXTRACT_TRUST", "CPL_RECEIPT_TRUST", "CPL_SUBMISSION_TRUST"):
        monkeypatch.setenv(variable, str(KEYS / "root-ca.pem"))
    monkeypatch.setenv("CPL_SPECS_FILE", str(tmp_path / "specifications.json"))
    monkeypatch.delenv("CPL_MAX_UPLOAD_BYTES", raising=False)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: equal snapshots mean nothing changed."""
    engine = get_engine(url)
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


@dataclass
class World:
    """A fresh copy of the template database and a client of an app over it."""

    url: str
    client: TestClient
    template: Template
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        if role == "no_token":
            return {}
        if role == "garbage_token":
            return {"Authorization": f"Bearer {GARBAGE_TOKEN}"}
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return snapshot(self.url)


def copy_template(template: Template, directory: Path) -> str:
    target = directory / "cpl.db"
    shutil.copyfile(template.path, target)
    return f"sqlite:///{target}"


def publish(url: str, workbook: bytes, submitter: str = "acme-meters") -> int:
    """Submit, approve (alice) and issue (prepared by alice, approved by bob) a clean workbook; the sequence."""
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with Session(get_engine(url), expire_on_commit=False) as session:
        submission = _submit(session, submitter, workbook, at)
        submission_service.approve(session, submission, "alice", _registry(), at, SignatureState.ABSENT)
        draft, _ = extract_service.prepare(session, "alice", at)
        assert draft.id is not None
        issued = extract_service.approve(
            session, draft.id, "bob", at, extract_signer(), CplSettings().extract_trust(KEYS / "root-ca.pem")
        )
        session.commit()
        return issued.sequence


@pytest.fixture
def world(template: Template, tmp_path: Path) -> Iterator[World]:
    url = copy_template(template, tmp_path)
    with TestClient(create_app(app_settings(url)), raise_server_exceptions=False) as client:
        yield World(url=url, client=client, template=template, tokens=dict(template.tokens))
    get_engine(url).dispose()
