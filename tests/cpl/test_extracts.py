"""The authority's extracts: four eyes, sequence and chain, Panel references, openssl, receipts."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from cpl import audit
from cpl.config import Settings as CplSettings
from cpl.core import errors
from cpl.core.domain import PartyRole
from cpl.services import entries as entry_service
from cpl.services import extracts as extract_service
from cpl.services import parties as party_service
from cpl.store import Entry, IssuedExtract, get_engine
from formats.extract import canonical_json, parse_extract, sha256_hex
from formats.receipt import build_receipt
from formats.vocabulary import EntryStatus
from signing.cms import sign_data
from signing.signers import PemKeySigner

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "keys-dev"
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with Session(get_engine(f"sqlite:///{tmp_path / 'cpl.db'}"), expire_on_commit=False) as s:
        for party, role in (
            ("acme-meters", PartyRole.MANUFACTURER),
            ("secas", PartyRole.SECAS),
            ("dcc", PartyRole.DCC),
        ):
            party_service.add_party(s, party, party, role, NOW)
            s.flush()
            party_service.add_user(s, party, party, party, NOW)
        party_service.add_user(s, "alice", "secas", "Alice", NOW)
        party_service.add_user(s, "bob", "secas", "Bob", NOW)
        s.flush()
        yield s


def add_entry(session: Session, model_id: str, *, device_type: str = "Gas Smart Meter") -> Entry:
    from cpl.store import Submission

    if session.get(Submission, 1) is None:
        session.add(
            Submission(
                id=1,
                party_id="acme-meters",
                submitted_by="acme-meters",
                submitted_at=NOW,
                filename="x.xlsx",
                workbook=b"x",
                workbook_sha256="0" * 64,
                checked_as_of=NOW.date(),
                findings_json="[]",
                state="approved",
            )
        )
        session.flush()  # no ORM relationship orders these inserts: the submission must exist first
    entry = Entry(
        physical_device_type=device_type,
        manufacturer="Acme Meters",
        manufacturer_id="106C",
        model="G4",
        model_id=model_id,
        hardware_version="00AC",
        firmware_version="9001",
        release_notes="RN",
        technical_specification="SMETS2 v4.2",
        gbcs_version="v4.2",
        zigbee_certificate=f"ZB-{model_id}",
        cpa_certificate=f"CPA-{model_id}",
        cpa_expiry=dt.date(2031, 1, 31),
        submission_type="New",
        status=EntryStatus.ACTIVE,
        status_since=NOW.date(),
        submission_id=1,
        submitting_party_id="acme-meters",
    )
    session.add(entry)
    session.flush()
    return entry


def signer() -> PemKeySigner:
    return PemKeySigner.from_files(
        KEYS / "secas-signer-1.pem", KEYS / "secas-signer-1.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )


def issue(session: Session, preparer: str = "alice", approver: str = "bob", now: dt.datetime = NOW) -> IssuedExtract:
    draft, _ = extract_service.prepare(session, preparer, now)
    assert draft.id is not None
    return extract_service.approve(session, draft.id, approver, now, signer(), CplSettings().extract_trust())


def test_the_preparer_cannot_approve_their_own_draft(session: Session) -> None:
    add_entry(session, "4331")
    draft, _ = extract_service.prepare(session, "alice", NOW)
    assert draft.id is not None
    with pytest.raises(errors.FourEyesError):
        extract_service.approve(session, draft.id, "alice", NOW, signer(), CplSettings().extract_trust())


def test_only_secas_users_prepare_extracts(session: Session) -> None:
    with pytest.raises(errors.NotPermittedError):
        extract_service.prepare(session, "acme-meters", NOW)


def test_sequences_rise_by_one_and_chain_by_previous_content_hash(session: Session) -> None:
    add_entry(session, "4331")
    first = issue(session)
    add_entry(session, "4332")
    second = issue(session, now=NOW + dt.timedelta(hours=1))
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_sha256 is None and second.previous_sha256 == first.content_sha256
    content = extract_service.verify_extract(second.signed, CplSettings().extract_trust())
    assert content.extract.previous_sha256 == first.content_sha256
    assert [e.entry_id for e in content.extract.entries] == ["CPL-000001", "CPL-000002"]


def test_the_same_cpl_state_gives_the_same_bytes(session: Session) -> None:
    add_entry(session, "4331")
    one, _ = extract_service.prepare(session, "alice", NOW)
    two, _ = extract_service.prepare(session, "bob", NOW)
    first, second = json.loads(one.content), json.loads(two.content)
    # The audit log's head moved (the first prepare is itself an audited event); nothing else differs.
    assert first.pop("audit_head_sha256") != second.pop("audit_head_sha256")
    assert first == second
    assert canonical_json(first) == canonical_json(second)
    assert one.state == "superseded" and two.state == "draft"


def test_an_extract_carries_the_audit_head_as_it_stood_when_prepared(session: Session) -> None:
    add_entry(session, "4331")
    head = audit.head_hash(session)
    draft, _ = extract_service.prepare(session, "alice", NOW)
    assert parse_extract(draft.content).audit_head_sha256 == head
    assert audit.head_hash(session) != head  # the prepare is recorded after it


def test_next_update_by_is_the_promised_interval_after_issue(session: Session) -> None:
    add_entry(session, "4331")
    draft, _ = extract_service.prepare(session, "alice", NOW, next_update_within=dt.timedelta(days=8))
    assert parse_extract(draft.content).next_update_by == NOW + dt.timedelta(days=8)
    plain, _ = extract_service.prepare(session, "alice", NOW)
    assert parse_extract(plain.content).next_update_by is None


def test_prepare_shows_removals_with_their_panel_reference(session: Session) -> None:
    add_entry(session, "4331")
    add_entry(session, "4332")
    issue(session)
    entry_service.remove(session, "CPL-000002", EntryStatus.WITHDRAWN, "SECP_66_1503", "alice", NOW)
    add_entry(session, "4333")
    _, changes = extract_service.prepare(session, "alice", NOW + dt.timedelta(days=1))
    assert changes.removed == [{"entry_id": "CPL-000002", "status": "Withdrawn", "panel_reference": "SECP_66_1503"}]
    assert changes.added == ["CPL-000003"] and changes.restored == [] and changes.changed == []


def test_a_removal_without_panel_reference_cannot_be_issued(session: Session) -> None:
    entry = add_entry(session, "4331")
    issue(session)
    entry.status = EntryStatus.WITHDRAWN  # bypassing cpl.services.entries.remove, as a buggy tool might
    session.add(entry)
    session.flush()
    with pytest.raises(errors.PanelReferenceError):
        extract_service.prepare(session, "alice", NOW)


def test_a_draft_is_refused_once_the_cpl_has_changed(session: Session) -> None:
    add_entry(session, "4331")
    draft, _ = extract_service.prepare(session, "alice", NOW)
    add_entry(session, "4332")
    assert draft.id is not None
    with pytest.raises(errors.ExtractError, match="changed"):
        extract_service.approve(session, draft.id, "bob", NOW, signer(), CplSettings().extract_trust())


def test_issued_extract_verifies_with_openssl(session: Session, tmp_path: Path) -> None:
    add_entry(session, "4331")
    issued = issue(session)
    path = extract_service.write_issued(issued, tmp_path)
    result = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-binary",
            "-CAfile",
            str(KEYS / "root-ca.pem"),
            "-purpose",
            "any",
            "-in",
            str(path),
        ],
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert sha256_hex(result.stdout) == issued.content_sha256
    assert json.loads(result.stdout)["format"] == "cpl-extract"


def test_audit_only_evidence_is_never_published(session: Session) -> None:
    entry = add_entry(session, "4331")
    entry.firmware_mapping_evidence = "internal release notes"
    entry.confirming_supplier = "bright-energy"
    session.add(entry)
    issued = issue(session)
    content = parse_extract(
        extract_service.verify_extract(issued.signed, CplSettings().extract_trust()).verified.content
    )
    published = json.dumps(content.to_json())
    assert "internal release notes" not in published and "bright-energy" not in published


def dcc_receipt(issued: IssuedExtract, *, sha: str | None = None, applied: dt.datetime = NOW) -> bytes:
    dcc = PemKeySigner.from_files(
        KEYS / "dcc-receipt-signer.pem", KEYS / "dcc-receipt-signer.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )
    content = build_receipt(
        sequence=issued.sequence,
        extract_sha256=sha or issued.content_sha256,
        received_at=applied - dt.timedelta(minutes=5),
        applied_at=applied,
        devices_suspended=12,
        devices_restored=0,
    )
    return sign_data(content, dcc, signing_time=applied)


def test_a_dcc_receipt_records_that_the_extract_was_loaded(session: Session) -> None:
    add_entry(session, "4331")
    issued = issue(session)
    extract_service.import_receipt(session, dcc_receipt(issued), NOW, CplSettings().receipt_trust())
    assert issued.dcc_loaded_at is not None


def test_a_replayed_receipt_is_refused(session: Session) -> None:
    add_entry(session, "4331")
    issued = issue(session)
    receipt = dcc_receipt(issued)
    extract_service.import_receipt(session, receipt, NOW, CplSettings().receipt_trust())
    with pytest.raises(errors.ReceiptError, match="already imported"):
        extract_service.import_receipt(session, receipt, NOW, CplSettings().receipt_trust())


def test_a_receipt_for_other_content_is_refused(session: Session) -> None:
    add_entry(session, "4331")
    issued = issue(session)
    with pytest.raises(errors.ReceiptError, match="does not match"):
        extract_service.import_receipt(session, dcc_receipt(issued, sha="ab" * 32), NOW, CplSettings().receipt_trust())
    assert issued.dcc_loaded_at is None


def test_a_receipt_signed_by_secas_not_the_dcc_is_refused(session: Session) -> None:
    add_entry(session, "4331")
    issued = issue(session)
    content = build_receipt(
        sequence=1,
        extract_sha256=issued.content_sha256,
        received_at=NOW,
        applied_at=NOW,
        devices_suspended=0,
        devices_restored=0,
    )
    with pytest.raises(errors.ReceiptError, match="refused"):
        extract_service.import_receipt(
            session, sign_data(content, signer(), signing_time=NOW), NOW, CplSettings().receipt_trust()
        )
