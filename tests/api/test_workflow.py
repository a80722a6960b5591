"""The lifecycle over HTTP, rule by rule, and one whole scenario from submission to the DCC's receipt."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from api.app import create_app
from cpl.config import Settings as CplSettings
from cpl.core.domain import PartyRole, SubmissionType
from cpl.demo.samples import sample_row
from cpl.services import extracts as extract_service
from cpl.services import parties as party_service
from cpl.services import tokens
from cpl.store import session_scope
from formats.extract import sha256_hex
from formats.vocabulary import PhysicalDeviceType
from signing.cms import sign_data
from signing.signers import PemKeySigner
from tests.api.conftest import KEYS, World, app_settings, clean_workbook, signed_receipt, workbook_bytes


def submit(world: World, role: str, workbook: bytes, signature: bytes | None = None) -> Any:
    files: dict[str, tuple[str, bytes, str]] = {"workbook": ("w.xlsx", workbook, "application/octet-stream")}
    if signature is not None:
        files["signature"] = ("w.xlsx.p7s", signature, "application/pkcs7-signature")
    return world.client.post("/api/v1/submissions", headers=world.headers(role), files=files)


def add_party_with_token(world: World, party: str, role: PartyRole) -> str:
    now = dt.datetime.now(dt.UTC)
    with session_scope(world.url) as session:
        party_service.add_party(session, party, party, role, now)
        session.flush()
        party_service.add_user(session, party, party, party, now)
        session.flush()
        return tokens.issue_token(session, party, now)[1]


# --- who sees what ---------------------------------------------------------------------------


def test_a_manufacturer_lists_only_its_own_submissions_and_secas_lists_all(world: World) -> None:
    assert submit(world, "other_manufacturer", clean_workbook(700)).status_code == 201
    acme = world.client.get("/api/v1/submissions", headers=world.headers("manufacturer")).json()["submissions"]
    northwind = world.client.get("/api/v1/submissions", headers=world.headers("other_manufacturer")).json()
    everyone = world.client.get("/api/v1/submissions", headers=world.headers("secas")).json()["submissions"]
    assert {s["party_id"] for s in acme} == {"acme-meters"} and len(acme) == 3
    assert [s["party_id"] for s in northwind["submissions"]] == ["northwind"]
    assert len(everyone) == 4
    assert [s["id"] for s in everyone] == sorted((s["id"] for s in everyone), reverse=True)


def test_the_submission_list_filters_by_state_and_pages(world: World) -> None:
    headers = world.headers("secas")
    approved = world.client.get("/api/v1/submissions?state=approved", headers=headers).json()["submissions"]
    assert [s["state"] for s in approved] == ["approved"]
    page = world.client.get("/api/v1/submissions?limit=1&offset=1", headers=headers).json()["submissions"]
    assert len(page) == 1
    assert world.client.get("/api/v1/submissions?state=bogus", headers=headers).status_code == 422


def test_a_supplier_not_named_may_neither_read_nor_confirm_a_firmware_update(world: World) -> None:
    token = add_party_with_token(world, "other-energy", PartyRole.SUPPLIER)
    headers = {"Authorization": f"Bearer {token}"}
    submission = world.template.firmware_update
    before = world.snapshot()
    assert world.client.get(f"/api/v1/submissions/{submission}", headers=headers).status_code == 403
    refused = world.client.post(f"/api/v1/submissions/{submission}/confirmation", headers=headers)
    assert refused.status_code == 403
    assert world.snapshot() == before


def test_an_unknown_submission_is_404_and_a_silly_id_is_422(world: World) -> None:
    headers = world.headers("secas")
    missing = world.client.get("/api/v1/submissions/999", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_submission"
    for silly in ("0", "-1", "abc", str(2**70)):
        assert world.client.get(f"/api/v1/submissions/{silly}", headers=headers).status_code == 422


# --- the rules, through the API --------------------------------------------------------------


def test_a_firmware_update_needs_the_named_supplier_to_confirm_before_approval(world: World) -> None:
    path = f"/api/v1/submissions/{world.template.firmware_update}"
    before = world.snapshot()
    early = world.client.post(f"{path}/approval", headers=world.headers("secas"))
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "supplier_confirmation_missing"
    assert "bright-energy" in early.json()["error"]["message"]
    assert world.snapshot() == before
    confirmed = world.client.post(f"{path}/confirmation", headers=world.headers("supplier"))
    assert confirmed.status_code == 201 and confirmed.json()["supplier_party_id"] == "bright-energy"
    approved = world.client.post(f"{path}/approval", headers=world.headers("secas"))
    assert approved.status_code == 200, approved.text
    assert [e["firmware_version"] for e in approved.json()["entries"]] == ["9002"]
    assert approved.json()["submission"]["state"] == "approved"


def test_a_decided_submission_cannot_be_decided_again(world: World) -> None:
    path = f"/api/v1/submissions/{world.template.open_submission}"
    rejected = world.client.post(f"{path}/rejection", headers=world.headers("secas"), json={"note": "no"})
    assert rejected.status_code == 200
    before = world.snapshot()
    for action in ("approval", "rejection"):
        again = world.client.post(f"{path}/{action}", headers=world.headers("secas"), json={"note": "again"})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "submission_already_decided"
    assert world.snapshot() == before


def test_a_rejection_needs_a_note_and_keeps_it(world: World) -> None:
    path = f"/api/v1/submissions/{world.template.open_submission}/rejection"
    before = world.snapshot()
    for body in ({}, {"json": {}}, {"json": {"note": ""}}, {"json": {"note": "   "}}):
        refused = world.client.post(path, headers=world.headers("secas"), **body)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "invalid_request"
        assert "note" in error["message"] and "<" not in error["message"], error["message"]
    assert world.snapshot() == before
    response = world.client.post(path, headers=world.headers("secas"), json={"note": "  Release notes missing. "})
    assert response.status_code == 200
    assert response.json()["state"] == "rejected" and response.json()["decision_note"] == "Release notes missing."


def test_a_submission_with_errors_cannot_be_approved(world: World) -> None:
    broken = submit(world, "manufacturer", b"not a workbook").json()
    before = world.snapshot()
    response = world.client.post(f"/api/v1/submissions/{broken['id']}/approval", headers=world.headers("secas"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "submission_has_errors"
    assert "WB001" in response.json()["error"]["message"]
    assert world.snapshot() == before


def test_only_the_dcc_submits_smets1_entries(world: World) -> None:
    row, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 900, submission_type=SubmissionType.SMETS1)
    workbook = workbook_bytes([row], certificates)
    by_manufacturer = submit(world, "manufacturer", workbook).json()
    by_dcc = submit(world, "dcc", workbook).json()
    assert "P002" in [f["code"] for f in by_manufacturer["findings"]]
    assert by_dcc["findings"] == [] and by_dcc["state"] == "open"


def test_a_workbook_with_an_image_hash_must_be_signed_by_its_submitter(world: World) -> None:
    row, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 950)
    row["manufacturer_image_hash"] = hashlib.sha256(b"firmware image").hexdigest()
    row["manufacturer_image_creator"] = "Acme Meters build service"
    workbook = workbook_bytes([row], certificates)

    def signature(party: str) -> bytes:
        signer = PemKeySigner.from_files(
            KEYS / f"manufacturer-{party}.pem", KEYS / f"manufacturer-{party}.key.pem", chain=[KEYS / "issuing-ca.pem"]
        )
        return sign_data(workbook, signer, detached=True)

    unsigned = submit(world, "manufacturer", workbook).json()
    signed = submit(world, "manufacturer", workbook, signature("acme-meters")).json()
    signed_by_another = submit(world, "manufacturer", workbook, signature("northwind")).json()
    assert "P003" in [f["code"] for f in unsigned["findings"]]
    assert signed["findings"] == [] and signed["signed"] is True
    assert "P003" in [f["code"] for f in signed_by_another["findings"]]
    approved = world.client.post(f"/api/v1/submissions/{signed['id']}/approval", headers=world.headers("secas"))
    assert approved.status_code == 200, approved.text


def test_a_removal_needs_the_panel_reference(world: World) -> None:
    before = world.snapshot()
    for reference in ("", "minutes of last week", "SECP_66"):
        response = world.client.post(
            "/api/v1/entries/CPL-000001/removal",
            headers=world.headers("secas"),
            json={"status": "Withdrawn", "panel_reference": reference},
        )
        assert response.status_code == 422, reference
    assert world.snapshot() == before
    not_a_removal = world.client.post(
        "/api/v1/entries/CPL-000001/removal",
        headers=world.headers("secas"),
        json={"status": "Active", "panel_reference": "SECP_66_1503"},
    )
    assert not_a_removal.status_code == 422
    removed = world.client.post(
        "/api/v1/entries/cpl-1/removal",
        headers=world.headers("secas"),
        json={"status": "Cancelled", "panel_reference": "SECP_66_1503", "reason": "withdrawn by maker"},
    )
    assert removed.status_code == 200
    assert removed.json()["status"] == "Cancelled" and removed.json()["panel_reference"] == "SECP_66_1503"
    twice = world.client.post(
        "/api/v1/entries/CPL-000001/removal",
        headers=world.headers("secas"),
        json={"status": "Cancelled", "panel_reference": "SECP_66_1503"},
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "entry_status"


def test_removing_an_unknown_entry_is_404(world: World) -> None:
    response = world.client.post(
        "/api/v1/entries/CPL-000999/removal",
        headers=world.headers("secas"),
        json={"status": "Withdrawn", "panel_reference": "SECP_66_1503"},
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_entry"


def test_revoking_a_certificate_proposes_removals_for_the_panel(world: World) -> None:
    body = {"scheme": "ZigBee", "number": "ZIGBEE-106C-C000-0000", "reason": "scheme withdrew it"}
    response = world.client.post("/api/v1/certificates/revocations", headers=world.headers("secas"), json=body)
    assert response.status_code == 200
    assert [p["entry_id"] for p in response.json()["proposals"]] == ["CPL-000001"]
    listed = world.client.get("/api/v1/certificates?scheme=ZigBee").json()["certificates"]
    assert [c["revoked"] for c in listed if c["number"] == body["number"]] == [True]
    again = world.client.post("/api/v1/certificates/revocations", headers=world.headers("secas"), json=body)
    assert again.status_code == 409
    unknown = world.client.post(
        "/api/v1/certificates/revocations", headers=world.headers("secas"), json={**body, "number": "ZB-NONE"}
    )
    assert unknown.status_code == 404


def test_the_preparer_of_a_draft_cannot_approve_it(world: World) -> None:
    before = world.snapshot()
    response = world.client.post(
        f"/api/v1/extracts/drafts/{world.template.draft}/approval",
        headers={"Authorization": f"Bearer {world.tokens['bob']}"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "four_eyes"
    assert world.snapshot() == before


def test_a_stale_draft_cannot_be_approved(world: World) -> None:
    headers = world.headers("secas")
    assert (
        world.client.post(f"/api/v1/submissions/{world.template.open_submission}/approval", headers=headers).status_code
        == 200
    )
    response = world.client.post(f"/api/v1/extracts/drafts/{world.template.draft}/approval", headers=headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "extract"


def test_an_unusable_signer_is_a_503_and_nothing_is_issued(world: World, monkeypatch: Any) -> None:
    monkeypatch.setenv("CPL_SIGNER", "pem:/nonexistent/cert.pem:/nonexistent/key.pem")
    before = world.snapshot()
    with TestClient(create_app(app_settings(world.url)), raise_server_exceptions=False) as client:
        response = client.post(
            f"/api/v1/extracts/drafts/{world.template.draft}/approval", headers=world.headers("secas")
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "signer_unavailable"
    assert world.snapshot() == before


def test_the_audit_log_pages_and_says_the_chain_is_intact(world: World) -> None:
    headers = world.headers("secas")
    whole = world.client.get("/api/v1/audit?limit=1000", headers=headers).json()
    assert whole["chain_intact"] is True and whole["chain_break"] is None
    assert whole["total"] == len(whole["events"])
    actions = [e["action"] for e in whole["events"]]
    assert "token.add" in actions and "token.revoke" in actions and "extract.approve" in actions
    page = world.client.get("/api/v1/audit?limit=2&offset=3", headers=headers).json()
    assert [e["id"] for e in page["events"]] == [e["id"] for e in whole["events"][3:5]]


def test_me_says_who_the_token_speaks_for(world: World) -> None:
    me = world.client.get("/api/v1/me", headers=world.headers("supplier")).json()
    assert me == {
        "user_id": "bright-energy",
        "user_name": "bright-energy",
        "party_id": "bright-energy",
        "party_name": "bright-energy",
        "role": "supplier",
    }


# --- the whole way ---------------------------------------------------------------------------


def test_from_submission_to_the_dcc_loading_the_published_cpl(world: World) -> None:
    acme, alice, dcc = world.headers("manufacturer"), world.headers("secas"), world.headers("dcc")
    bob = {"Authorization": f"Bearer {world.tokens['bob']}"}

    submitted = submit(world, "manufacturer", clean_workbook(1000))
    assert submitted.status_code == 201 and submitted.json()["state"] == "open"
    submission = submitted.json()["id"]
    assert world.client.get(f"/api/v1/submissions/{submission}", headers=acme).json()["findings"] == []

    approved = world.client.post(f"/api/v1/submissions/{submission}/approval", headers=alice)
    assert approved.status_code == 200
    new_entries = [e["entry_id"] for e in approved.json()["entries"]]
    assert len(new_entries) == 2

    draft = world.client.post("/api/v1/extracts/drafts", headers=alice).json()
    assert draft["sequence"] == 2 and draft["changes"]["added"] == new_entries
    assert world.client.get(f"/api/v1/extracts/drafts/{draft['id']}", headers=bob).json()["changes"] == draft["changes"]
    issued = world.client.post(f"/api/v1/extracts/drafts/{draft['id']}/approval", headers=bob)
    assert issued.status_code == 201
    assert issued.json()["prepared_by"] == "alice" and issued.json()["approved_by"] == "bob"

    downloaded = world.client.get("/api/v1/extracts/2/signed", headers=dcc)
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/pkcs7-mime"
    assert 'filename="cpl-extract-000002.p7m"' in downloaded.headers["content-disposition"]
    verified = extract_service.verify_extract(downloaded.content, CplSettings().extract_trust(KEYS / "root-ca.pem"))
    assert verified.extract.sequence == 2 and verified.content_sha256 == issued.json()["content_sha256"]
    assert sha256_hex(verified.verified.content) == downloaded.headers["x-content-sha256"]

    published = world.client.get("/api/v1/cpl.json").json()
    assert published["sequence"] == 2 and published["dcc_loaded"] is False
    assert [e["entry_id"] for e in published["entries"]][-2:] == new_entries

    receipt = signed_receipt(2, verified.content_sha256, dt.datetime.now(dt.UTC).replace(microsecond=0))
    loaded = world.client.post(
        "/api/v1/receipts", headers=dcc, files={"receipt": ("receipt-2.p7m", receipt, "application/pkcs7-mime")}
    )
    assert loaded.status_code == 201, loaded.text
    published = world.client.get("/api/v1/cpl.json").json()
    assert published["dcc_loaded"] is True and published["dcc_loaded_at"] is not None

    csv = world.client.get("/api/v1/cpl.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("Entry ID,")
    assert len(csv.text.strip().splitlines()) == 1 + published["entry_count"]
    xlsx = world.client.get("/api/v1/cpl.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert book.sheetnames[0] == "CPL"

    audit = world.client.get("/api/v1/audit?limit=1000", headers=alice).json()
    assert audit["chain_intact"] is True
    assert [e["action"] for e in audit["events"]][-1] == "receipt.import"
