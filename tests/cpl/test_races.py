"""Nothing lost, nothing forked: the authority under concurrent writers and kill -9 at chosen moments.

Real concurrency (threads, each with its own connection, released together by a barrier) against a
real SQLite file and a real PostgreSQL server at READ COMMITTED; real crashes (the `cpl` process
kills itself with SIGKILL at a named step: `cpl.checkpoints`).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.app import create_app
from cpl import audit
from cpl.config import Settings as CplSettings
from cpl.core import errors
from cpl.core.domain import PartyRole, SubmissionType
from cpl.core.rules import SignatureState
from cpl.demo.samples import sample_row
from cpl.mailer import MailConfigurationError, parse_smtp_url
from cpl.services import entries as entry_service
from cpl.services import extracts as extract_service
from cpl.services import parties as party_service
from cpl.services import submissions as submission_service
from cpl.services import tokens
from cpl.specs_file import default_registry
from cpl.store import AuditEvent, EntryStatusChange, IssuedExtract, SupplierConfirmation, get_engine, session_scope
from formats.vocabulary import EntryStatus, PhysicalDeviceType
from signing.devpki import Revocation, make_crl
from signing.signers import PemKeySigner
from tests.api.conftest import app_settings, clean_workbook, workbook_bytes
from tests.conftest import PostgresServer
from tests.cpl.conftest import CplRun
from tests.signing.helpers import dev_credential

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "keys-dev"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
REGISTRY = default_registry()


def signer() -> PemKeySigner:
    return PemKeySigner.from_files(
        KEYS / "secas-signer-1.pem", KEYS / "secas-signer-1.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )


def populate(url: str) -> None:
    with session_scope(url) as s:
        for party, role in (
            ("acme-meters", PartyRole.MANUFACTURER),
            ("bright-energy", PartyRole.SUPPLIER),
            ("secas", PartyRole.SECAS),
        ):
            party_service.add_party(s, party, party, role, NOW)
            s.flush()
            party_service.add_user(s, party, party, party, NOW)
        for user in ("alice", "bob", "carol"):
            party_service.add_user(s, user, "secas", user, NOW)


def submit(url: str, start: int = 0) -> int:
    with session_scope(url) as s:
        record, result = submission_service.submit(
            s,
            user_id="acme-meters",
            filename="w.xlsx",
            workbook=clean_workbook(start),
            signature=None,
            registry=REGISTRY,
            signature_state=SignatureState.ABSENT,
            signature_problem="",
            now=NOW,
        )
        assert not result.has_errors
        assert record.id is not None
        return record.id


def race(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run every worker at once (a barrier releases them together); each result or the exception raised."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = workers[index]()
        except Exception as problem:
            results[index] = problem

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cpl.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database()


# --- 1. the audit chain never forks ------------------------------------------------------------------


def test_twenty_concurrent_writers_append_one_unforked_chain(url: str) -> None:
    populate(url)

    def append(i: int) -> Callable[[], None]:
        def work() -> None:
            with session_scope(url) as s:
                party_service.add_party(s, f"maker-{i}", f"Maker {i}", PartyRole.MANUFACTURER, NOW)

        return work

    results = race([append(i) for i in range(20)])
    assert [r for r in results if r is not None] == []
    with Session(get_engine(url)) as s:
        events = audit.all_events(s)
        assert audit.verify_chain(events) is None
        links = [e.previous_hash for e in events]
        assert len(links) == len(set(links))  # no two events link to the same predecessor
        assert audit.head_hash(s) == events[-1].event_hash
        assert sum(e.action == "party.add" and e.subject.startswith("maker-") for e in events) == 20


# --- 3. one decision per submission, one issue per draft ---------------------------------------------


def test_two_secas_users_approving_one_submission_at_once_gives_one_approval(url: str) -> None:
    populate(url)
    submission = submit(url)

    def approve(user: str) -> Callable[[], object]:
        def work() -> object:
            with session_scope(url) as s:
                return submission_service.approve(s, submission, user, REGISTRY, NOW, SignatureState.ABSENT)

        return work

    results = race([approve("alice"), approve("bob"), approve("carol")])
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 2, results
    assert all(isinstance(r, errors.SubmissionAlreadyDecidedError | errors.ConcurrentChangeError) for r in lost)
    with Session(get_engine(url)) as s:
        approvals = s.exec(select(AuditEvent).where(AuditEvent.action == "submission.approve")).all()
        assert len(approvals) == 1
        assert len(s.exec(select(EntryStatusChange)).all()) == 2  # the workbook's two entries, once each
        assert audit.verify_chain(audit.all_events(s)) is None


def test_a_supplier_confirms_a_submission_once(url: str) -> None:
    populate(url)
    with session_scope(url) as s:
        record, _ = submission_service.submit(
            s,
            user_id="acme-meters",
            filename="fw.xlsx",
            workbook=_firmware_update(),
            signature=None,
            registry=REGISTRY,
            signature_state=SignatureState.ABSENT,
            signature_problem="",
            now=NOW,
        )
        submission = record.id or 0

    def confirm() -> object:
        with session_scope(url) as s:
            return submission_service.confirm(s, submission, "bright-energy", NOW)

    results = race([confirm, confirm, confirm])
    assert sum(isinstance(r, SupplierConfirmation) for r in results) == 1, results
    assert all(
        isinstance(r, errors.DuplicateError | errors.ConcurrentChangeError)
        for r in results
        if r is not None and not isinstance(r, SupplierConfirmation)
    )
    with Session(get_engine(url)) as s:
        assert len(s.exec(select(SupplierConfirmation)).all()) == 1


def _firmware_update() -> bytes:
    """A manufacturer's firmware update naming bright-energy (its Device Model need not be listed:
    the confirmation is judged before approval)."""
    entry, certs = sample_row(PhysicalDeviceType.GAS_SMART_METER, 5)
    entry.update(submission_type=SubmissionType.FIRMWARE_UPDATE, confirming_supplier="bright-energy")
    return workbook_bytes([entry], certs)


def test_approving_one_extract_draft_twice_at_once_issues_it_once(url: str) -> None:
    populate(url)
    submission = submit(url)
    with session_scope(url) as s:
        submission_service.approve(s, submission, "alice", REGISTRY, NOW, SignatureState.ABSENT)
        draft, _ = extract_service.prepare(s, "alice", NOW)
        draft_id = draft.id or 0

    def approve(user: str) -> Callable[[], object]:
        def work() -> object:
            with session_scope(url) as s:
                return extract_service.approve(s, draft_id, user, NOW, signer(), CplSettings().extract_trust())

        return work

    results = race([approve("bob"), approve("carol")])
    assert sum(isinstance(r, IssuedExtract) for r in results) == 1, results
    assert all(
        isinstance(r, errors.ExtractError | errors.ConcurrentChangeError)
        for r in results
        if not isinstance(r, IssuedExtract)
    )
    with Session(get_engine(url)) as s:
        assert len(s.exec(select(IssuedExtract)).all()) == 1
        assert audit.verify_chain(audit.all_events(s)) is None


# --- 2. an extract's file only for a committed issue, repaired after a crash -------------------------


def _world(cpl: CplRun) -> None:
    cpl.parties()
    url = cpl.env["CPL_DATABASE_URL"]
    with session_scope(url) as s:
        party_service.add_user(s, "carol", "secas", "carol", NOW)
    submission = submit(url)
    cpl("approve", str(submission), "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")


def _killed(cpl: CplRun, step: str, *args: str) -> None:
    env = {**cpl.env, "CPL_FAULT_KILL_AT": step}
    result = CplRun(cpl.tmp, env)(*args, expect=None)
    assert result.returncode == -9, (result.returncode, result.stdout, result.stderr)


def _issued(cpl: CplRun) -> list[IssuedExtract]:
    with Session(get_engine(cpl.env["CPL_DATABASE_URL"])) as s:
        return list(s.exec(select(IssuedExtract).order_by(col(IssuedExtract.sequence))).all())


def test_killed_before_the_issue_commits_leaves_no_file_and_no_issue(cpl: CplRun) -> None:
    _world(cpl)
    _killed(cpl, "extract-approve:before-commit", "extract", "approve", "1", "--by", "bob")
    extracts = Path(cpl.env["CPL_EXTRACT_DIR"])
    assert _issued(cpl) == [] and not list(extracts.glob("*.p7m"))
    cpl("extract", "approve", "1", "--by", "bob")
    assert [i.sequence for i in _issued(cpl)] == [1]


def test_killed_after_the_issue_commits_the_next_run_writes_the_file_from_the_store(cpl: CplRun) -> None:
    _world(cpl)
    _killed(cpl, "extract-approve:after-commit", "extract", "approve", "1", "--by", "bob")
    extracts = Path(cpl.env["CPL_EXTRACT_DIR"])
    (issued,) = _issued(cpl)
    assert not (extracts / "cpl-extract-000001.p7m").exists()
    again = cpl("extract", "approve", "1", "--by", "carol", expect=1)  # the draft is issued: refused ...
    assert "issued" in again.stderr and "Wrote" in again.stderr  # ... and the missing file written
    assert (extracts / "cpl-extract-000001.p7m").read_bytes() == issued.signed


def test_killed_while_renaming_the_file_leaves_no_half_file_and_is_finished(cpl: CplRun) -> None:
    _world(cpl)
    _killed(cpl, "file:renaming", "extract", "approve", "1", "--by", "bob")
    extracts = Path(cpl.env["CPL_EXTRACT_DIR"])
    assert not (extracts / "cpl-extract-000001.p7m").exists()
    assert [p.name for p in extracts.iterdir() if p.name.startswith(".")]  # the temporary file, never served
    cpl("extract", "approve", "1", "--by", "carol", expect=1)
    (issued,) = _issued(cpl)
    assert (extracts / "cpl-extract-000001.p7m").read_bytes() == issued.signed
    assert [p.name for p in extracts.iterdir()] == ["cpl-extract-000001.p7m"]


def test_a_signed_file_the_store_never_issued_is_set_aside_never_served(cpl: CplRun) -> None:
    _world(cpl)
    extracts = Path(cpl.env["CPL_EXTRACT_DIR"])
    extracts.mkdir(parents=True, exist_ok=True)
    (extracts / "cpl-extract-000001.p7m").write_bytes(b"an orphan a crashed older version left")
    result = cpl("extract", "approve", "1", "--by", "bob")
    assert "Set" in result.stderr and "aside" in result.stderr
    (issued,) = _issued(cpl)
    assert (extracts / "cpl-extract-000001.p7m").read_bytes() == issued.signed
    assert (extracts / "cpl-extract-000001.p7m.orphan").read_bytes().startswith(b"an orphan")


# --- 8. a locked database is a sentence and exit 2, or a JSON 503 with Retry-After --------------------


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    return connection


def test_a_locked_database_is_one_sentence_and_exit_2(cpl: CplRun) -> None:
    cpl.parties()
    lock = _hold_write_lock(Path(cpl.env["CPL_DATABASE_URL"].removeprefix("sqlite:///")))
    try:
        result = cpl("parties", "add", "late-maker", "--role", "manufacturer", expect=2)
    finally:
        lock.rollback()
        lock.close()
    assert "busy" in result.stderr and "try again" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_a_locked_database_is_a_json_503_with_retry_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cpl.db'}"
    populate(url)
    with session_scope(url) as s:
        token = party_service_token(s)
    lock = _hold_write_lock(tmp_path / "cpl.db")
    try:
        with TestClient(create_app(app_settings(url)), raise_server_exceptions=False) as client:
            auth = {"Authorization": f"Bearer {token}"}
            read = client.get("/api/v1/me", headers=auth)  # a read never waits for the writer
            response = client.post("/api/v1/proposals/1/dismissal", headers=auth, json={"reason": "not due"})
    finally:
        lock.rollback()
        lock.close()
    assert read.status_code == 200 and read.json()["user_id"] == "alice", read.text
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"]["code"] == "store_busy"


def party_service_token(session: Session) -> str:
    _, token = tokens.issue_token(session, "alice", NOW, label="race test")
    return token


# --- 9. smaller: file modes, secrets in messages ------------------------------------------------------


def test_a_new_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    get_engine(f"sqlite:///{tmp_path / 'private' / 'cpl.db'}")
    mode = stat.S_IMODE(os.stat(tmp_path / "private" / "cpl.db").st_mode)
    assert mode & 0o077 == 0, oct(mode)


@pytest.mark.parametrize("url", ["smtp://bob:s3cret@mail.example:99999", "smtp://bob:s3cret@mail:port"])
def test_a_malformed_smtp_url_never_echoes_its_password(url: str) -> None:
    with pytest.raises(MailConfigurationError) as refused:
        parse_smtp_url(url)
    assert "s3cret" not in str(refused.value) and "CPL_SMTP_URL" in str(refused.value)


def test_two_removals_of_one_entry_at_once_record_one(url: str) -> None:
    populate(url)
    submission = submit(url)
    with session_scope(url) as s:
        (entry, _) = submission_service.approve(s, submission, "alice", REGISTRY, NOW, SignatureState.ABSENT)
        entry_id = entry.id or 0

    def remove(user: str, reference: str) -> Callable[[], object]:
        def work() -> object:
            with session_scope(url) as s:
                return entry_service.remove(s, entry_id, EntryStatus.WITHDRAWN, reference, user, NOW)

        return work

    results = race([remove("alice", "SECP_70_0001"), remove("bob", "SECP_70_0002")])
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(
        isinstance(r, errors.EntryStatusError | errors.ConcurrentChangeError)
        for r in results
        if isinstance(r, Exception)
    )
    with Session(get_engine(url)) as s:
        removals = s.exec(select(AuditEvent).where(AuditEvent.action == "entry.remove")).all()
        assert len(removals) == 1
        changes = s.exec(select(EntryStatusChange).where(EntryStatusChange.entry_id == entry_id)).all()
        assert [c.status for c in changes] == ["Active", "Withdrawn"]


# --- trust: a revoked signer's extract is refused where CRLs are configured ---------------------------


def test_cpl_extract_verify_refuses_a_revoked_signer_with_the_rule_named(cpl: CplRun, tmp_path: Path) -> None:
    _world(cpl)
    cpl("extract", "approve", "1", "--by", "bob")
    extract = Path(cpl.env["CPL_EXTRACT_DIR"]) / "cpl-extract-000001.p7m"
    now = dt.datetime.now(dt.UTC)
    signer_serial = x509.load_pem_x509_certificate((KEYS / "secas-signer-1.pem").read_bytes()).serial_number
    crls = []
    for issuer, revoked in (
        ("issuing-ca", [Revocation(signer_serial, now - dt.timedelta(minutes=1))]),
        ("root-ca", []),
    ):
        crl = make_crl(
            dev_credential(issuer),
            revoked,
            this_update=now - dt.timedelta(minutes=1),
            next_update=now + dt.timedelta(days=1),
        )
        path = tmp_path / f"{issuer}.crl"
        path.write_bytes(crl.public_bytes(serialization.Encoding.DER))
        crls.append(str(path))
    clean = cpl("extract", "verify", extract)  # no CRL configured: valid
    assert "Valid extract 1" in clean.stdout
    revoked_run = CplRun(cpl.tmp, {**cpl.env, "CPL_EXTRACT_CRL": os.pathsep.join(crls)})
    refused = revoked_run("extract", "verify", extract, expect=1)
    assert "revoked" in refused.stderr and format(signer_serial, "X") in refused.stderr.replace(":", "")
