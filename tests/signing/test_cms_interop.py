"""Our CMS files and openssl's agree (CONTRACT.md section 2: `openssl cms -verify` must succeed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from formats.extract import Extract, ExtractEntry, parse_extract
from signing.cms import sign_data, verify_signed_data
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING, DEV_POLICY_SUBMISSION_SIGNING, party_id
from tests.signing.helpers import KEYS, ROOT_CA, dev_signer, dev_trust, now, openssl_sign, openssl_verify

pytestmark = pytest.mark.usefixtures("openssl")


def sample_extract(sequence: int = 42) -> Extract:
    entry = ExtractEntry(
        entry_id="CPL-000123",
        physical_device_type="Gas Smart Meter",
        manufacturer="Acme Meters",
        manufacturer_id="106C",
        model="G4",
        model_id="4331",
        hardware_version="00AC",
        firmware_version="9001",
        technical_specification="SMETS2 v4.2",
        gbcs_version="v4.2",
        certificates={"zigbee": "ZB-1", "dlms": None, "cpa": "CPA-1"},
        cpa_expiry="2030-01-31",
        manufacturer_image_hash=None,
        status="Active",
        status_since="2026-11-01",
        panel_reference=None,
    )
    return Extract(
        sequence=sequence,
        issued_at=dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC),
        previous_sha256=None,
        entries=(entry,),
    )


def test_openssl_accepts_our_signed_extract_and_outputs_the_exact_content(tmp_path: Path) -> None:
    content = sample_extract().content()
    signed = tmp_path / "extract.p7m"
    signed.write_bytes(sign_data(content, dev_signer()))

    result = openssl_verify(signed, ROOT_CA)

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == content


def test_openssl_accepts_non_ascii_and_binary_content_byte_for_byte(tmp_path: Path) -> None:
    content = "Compteur à gaz — ü\r\n".encode() + bytes(range(256))
    signed = tmp_path / "binary.p7m"
    signed.write_bytes(sign_data(content, dev_signer()))

    result = openssl_verify(signed, ROOT_CA)

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == content


def test_openssl_refuses_our_file_under_a_root_that_did_not_issue_it(tmp_path: Path) -> None:
    signed = tmp_path / "extract.p7m"
    signed.write_bytes(sign_data(sample_extract().content(), dev_signer()))

    assert openssl_verify(signed, KEYS / "root-ca-2.pem").returncode != 0


def test_we_accept_an_extract_signed_by_openssl(tmp_path: Path) -> None:
    extract = sample_extract()
    signed = openssl_sign(
        extract.content(),
        KEYS / "secas-signer-1.pem",
        KEYS / "secas-signer-1.key.pem",
        tmp_path,
        certfile=KEYS / "issuing-ca.pem",
    )

    verified = verify_signed_data(signed, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING, now=now())

    assert verified.content == extract.content()
    assert parse_extract(verified.content) == extract
    assert party_id(verified.signer_certificate) == "secas"
    assert verified.signer_certificate == dev_signer().certificate


def test_we_accept_openssl_naming_the_signer_by_subject_key_identifier(tmp_path: Path) -> None:
    signed = openssl_sign(
        b"keyid",
        KEYS / "secas-signer-2.pem",
        KEYS / "secas-signer-2.key.pem",
        tmp_path,
        certfile=KEYS / "issuing-ca.pem",
        extra=["-keyid"],
    )

    verified = verify_signed_data(signed, dev_trust(), required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)

    assert verified.content == b"keyid"
    assert verified.signer_certificate == dev_signer("secas-signer-2").certificate


def test_our_file_round_trips_with_signer_chain_and_signing_time() -> None:
    moment = now() - dt.timedelta(minutes=3)
    signer = dev_signer()

    verified = verify_signed_data(
        sign_data(b"{}", signer, signing_time=moment),
        dev_trust(),
        required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING,
        now=now(),
    )

    assert verified.content == b"{}"
    assert verified.signing_time == moment
    assert verified.signer_certificate == signer.certificate
    assert verified.chain[0] == signer.chain[0]
    assert verified.trust_anchor == dev_trust().anchors[0]


def test_detached_signature_over_workbook_bytes_verifies_with_the_workbook(tmp_path: Path) -> None:
    workbook = b"PK\x03\x04" + bytes(range(256)) * 40
    signature = sign_data(workbook, dev_signer("manufacturer-acme-meters"), detached=True)

    verified = verify_signed_data(
        signature, dev_trust(), detached_content=workbook, required_policy=DEV_POLICY_SUBMISSION_SIGNING
    )

    assert verified.content == workbook
    (tmp_path / "workbook.xlsx").write_bytes(workbook)
    (tmp_path / "workbook.xlsx.p7s").write_bytes(signature)
    result = openssl_verify(tmp_path / "workbook.xlsx.p7s", ROOT_CA, content=tmp_path / "workbook.xlsx")
    assert result.returncode == 0, result.stderr.decode()


def test_detached_signature_leaves_the_content_out_of_the_file() -> None:
    workbook = b"a workbook that must not be inside its own signature" * 20
    signature = sign_data(workbook, dev_signer("manufacturer-acme-meters"), detached=True)

    assert workbook not in signature
    assert len(signature) < len(workbook) + 2000
