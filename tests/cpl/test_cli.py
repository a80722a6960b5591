"""Scenarios through the real `cpl` command line: check, submit, approve, remove, revoke, specs."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from cpl.core.domain import SubmissionType
from cpl.demo.samples import ACME, Row, sample_row, sample_submission
from cpl.workbook.template import write_submission
from formats.vocabulary import PhysicalDeviceType
from tests.cpl.conftest import CplRun

GAS = PhysicalDeviceType.GAS_SMART_METER


def workbook(path: Path, rows: list[tuple[Row, list[Row]]], extra_columns: tuple[str, ...] = ()) -> Path:
    write_submission(path, [e for e, _ in rows], [c for _, cs in rows for c in cs], extra_columns=extra_columns)
    return path


def test_check_of_a_clean_workbook_exits_0(cpl: CplRun) -> None:
    sample = sample_submission(9)
    path = cpl.tmp / "good.xlsx"
    write_submission(path, sample.entries, sample.certificates)
    assert cpl.json("check", path, "--as-of", "2026-11-23")["findings"] == []


def test_check_reports_each_finding_with_code_sheet_row_column(cpl: CplRun) -> None:
    entry, certs = sample_row(GAS, 1, cpa_expiry=dt.date(2026, 1, 1))
    other, other_certs = sample_row(PhysicalDeviceType.PPMID, 2)
    other["gbcs_version"] = "v1.0"
    path = workbook(cpl.tmp / "bad.xlsx", [(entry, certs), (other, other_certs)], extra_columns=("Colour",))
    report = cpl.json("check", path, "--as-of", "2026-11-23", expect=1)
    found = {(f["code"], f["severity"], f["sheet"], f["row"], f["column"]) for f in report["findings"]}
    assert ("C002", "error", "CPL New Entry", 2, "CPA Expiry Date") in found
    assert ("V002", "error", "CPL New Entry", 3, "GBCS Version") in found
    assert ("N002", "warning", "CPL New Entry", 1, "Colour") in found


def test_check_of_a_missing_file_exits_2_with_one_sentence(cpl: CplRun) -> None:
    result = cpl("check", cpl.tmp / "nowhere.xlsx", expect=2)
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr


def test_check_of_a_file_that_is_not_a_workbook_is_wb001(cpl: CplRun) -> None:
    path = cpl.tmp / "fake.xlsx"
    path.write_bytes(b"%PDF-1.7 not a spreadsheet")
    report = cpl.json("check", path, expect=1)
    assert [f["code"] for f in report["findings"]] == ["WB001"]


def test_check_with_a_bad_date_option_exits_2(cpl: CplRun) -> None:
    path = cpl.tmp / "x.xlsx"
    path.write_bytes(b"")
    assert "YYYY-MM-DD" in cpl("check", path, "--as-of", "23/11/2026", expect=2).stderr


def test_submit_approve_and_list(cpl: CplRun) -> None:
    cpl.parties()
    sample = sample_submission(4)
    path = cpl.tmp / "acme.xlsx"
    write_submission(path, sample.entries, sample.certificates)
    submitted = cpl.json("submit", path, "--party", "acme-meters")
    assert submitted["state"] == "open" and submitted["submission"] == 1
    approved = cpl.json("approve", "1", "--by", "alice")
    assert [e["entry_id"] for e in approved["entries"]] == ["CPL-000001", "CPL-000002", "CPL-000003", "CPL-000004"]
    listed = cpl.json("list")["entries"]
    assert {e["status"] for e in listed} == {"Active"} and len(listed) == 4
    shown = cpl.json("show", "CPL-000002")
    assert [h["status"] for h in shown["history"]] == ["Active"]


def test_submission_keeps_the_workbook_bytes_verbatim(cpl: CplRun) -> None:
    cpl.parties()
    sample = sample_submission(2)
    path = cpl.tmp / "acme.xlsx"
    write_submission(path, sample.entries, sample.certificates)
    cpl("submit", path, "--party", "acme-meters")
    with sqlite3.connect(cpl.tmp / "cpl.db") as db:
        stored, digest = db.execute("select workbook, workbook_sha256 from submission").fetchone()
    assert stored == path.read_bytes()
    import hashlib

    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_submission_with_errors_cannot_be_approved(cpl: CplRun) -> None:
    cpl.parties()
    entry, certs = sample_row(GAS, 1)
    entry["zigbee_certificate"] = None
    path = workbook(cpl.tmp / "bad.xlsx", [(entry, certs)])
    assert cpl.json("submit", path, "--party", "acme-meters", expect=1)["state"] == "has_errors"
    result = cpl("approve", "1", "--by", "alice", expect=1)
    assert "cannot be approved" in result.stderr and "C001" in result.stderr
    assert cpl.json("list")["entries"] == []


def test_only_secas_users_approve(cpl: CplRun) -> None:
    cpl.parties()
    sample = sample_submission(1)
    path = cpl.tmp / "a.xlsx"
    write_submission(path, sample.entries, sample.certificates)
    cpl("submit", path, "--party", "acme-meters")
    assert "only a secas user" in cpl("approve", "1", "--by", "acme-meters", expect=1).stderr


def test_the_same_entry_already_on_the_cpl_is_d001(cpl: CplRun) -> None:
    cpl.parties()
    sample = sample_submission(2)
    path = cpl.tmp / "a.xlsx"
    write_submission(path, sample.entries, sample.certificates)
    cpl("submit", path, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    report = cpl.json("check", path, expect=1)
    assert {f["code"] for f in report["findings"]} == {"D001"}


def test_a_removal_needs_a_panel_reference(cpl: CplRun) -> None:
    cpl.parties()
    sample = sample_submission(1)
    path = cpl.tmp / "a.xlsx"
    write_submission(path, sample.entries, sample.certificates)
    cpl("submit", path, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    refused = cpl("remove", "CPL-000001", "--status", "Withdrawn", "--panel-ref", "minutes", "--by", "alice", expect=1)
    assert "SECP_66_1503" in refused.stderr
    assert cpl.json("show", "CPL-000001")["status"] == "Active"
    cpl("remove", "CPL-000001", "--status", "Withdrawn", "--panel-ref", "SECP_66_1503", "--by", "alice")
    shown = cpl.json("show", "CPL-000001")
    assert (shown["status"], shown["panel_reference"]) == ("Withdrawn", "SECP_66_1503")
    assert [h["status"] for h in shown["history"]] == ["Active", "Withdrawn"]


def test_certificate_revocation_proposes_removals_and_removes_nothing(cpl: CplRun) -> None:
    cpl.parties()
    entry, certs = sample_row(GAS, 1)
    path = workbook(cpl.tmp / "a.xlsx", [(entry, certs)])
    cpl("submit", path, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    cpl("certificates", "revoke", "ZigBee", str(entry["zigbee_certificate"]), "--by", "alice")
    assert [p["entry_id"] for p in cpl.json("proposals")["proposals"]] == ["CPL-000001"]
    assert cpl.json("show", "CPL-000001")["status"] == "Active"
    cpl("remove", "CPL-000001", "--status", "Withdrawn", "--panel-ref", "SECP_70_0101", "--by", "bob")
    assert cpl.json("proposals")["proposals"] == []


def test_firmware_update_from_a_manufacturer_waits_for_its_supplier(cpl: CplRun) -> None:
    cpl.parties()
    entry, certs = sample_row(GAS, 1, maker=ACME)
    cpl("submit", workbook(cpl.tmp / "new.xlsx", [(entry, certs)]), "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    update, update_certs = sample_row(
        GAS, 1, maker=ACME, submission_type=SubmissionType.FIRMWARE_UPDATE, firmware="9002"
    )
    update["firmware_mapping_evidence"] = "RN 9002 s.3"
    update["confirming_supplier"] = "bright-energy"
    cpl("submit", workbook(cpl.tmp / "fw.xlsx", [(update, update_certs)]), "--party", "acme-meters")
    assert "awaiting confirmation by bright-energy" in cpl("approve", "2", "--by", "alice", expect=1).stderr
    assert "only a supplier" in cpl("confirm", "2", "--by", "northwind", expect=1).stderr
    cpl("confirm", "2", "--by", "bright-energy")
    cpl("approve", "2", "--by", "alice")
    assert [e["firmware_version"] for e in cpl.json("list")["entries"]] == ["9001", "9002"]


def test_smets1_entries_only_from_the_dcc(cpl: CplRun) -> None:
    cpl.parties()
    path = workbook(cpl.tmp / "s1.xlsx", [sample_row(GAS, 5, submission_type=SubmissionType.SMETS1)])
    assert cpl.json("submit", path, "--party", "acme-meters", expect=1)["findings"][0]["code"] == "P002"
    assert cpl.json("submit", path, "--party", "dcc")["state"] == "open"


def test_specs_registry_is_edited_through_the_cli(cpl: CplRun) -> None:
    entry, certs = sample_row(GAS, 1)
    entry["gbcs_version"] = "v5.0"
    path = workbook(cpl.tmp / "v5.xlsx", [(entry, certs)])
    assert [f["code"] for f in cpl.json("check", path, expect=1)["findings"]] == ["V001"]
    cpl("specs", "add", "gbcs", "v5.0", "--effective-from", "2026-01-01")
    assert cpl.json("check", path)["findings"] == []
    cpl("specs", "end-date", "gbcs", "v5.0", "2026-06-01")
    assert [f["code"] for f in cpl.json("check", path, expect=1)["findings"]] == ["V002"]
    versions = {v["version"]: v for v in cpl.json("specs", "list")["versions"]}
    assert versions["v1.0"]["end_date"] == "2018-05-07" and "v1.1" in versions


def test_a_version_gets_another_spelling_through_the_cli_and_keeps_it_when_end_dated(cpl: CplRun) -> None:
    entry, certs = sample_row(GAS, 1)
    entry["gbcs_version"] = "GBCS 5.0"
    path = workbook(cpl.tmp / "v5.xlsx", [(entry, certs)])
    cpl("specs", "add", "gbcs", "v5.0", "--alias", "GBCS 5.0", "--alias", " ")
    assert cpl.json("check", path)["findings"] == []
    cpl("specs", "end-date", "gbcs", "GBCS 5.0", "2026-06-01")
    assert [f["code"] for f in cpl.json("check", path, expect=1)["findings"]] == ["V002"]
    assert {v["version"]: v["aliases"] for v in cpl.json("specs", "list")["versions"]}["v5.0"] == ["GBCS 5.0"]
    clash = cpl("specs", "add", "gbcs", "v5.1", "--alias", "v5.0", expect=2)
    assert clash.stderr.strip() == "gbcs 'v5.0' would name both v5.0 and v5.1."


def test_template_is_written(cpl: CplRun) -> None:
    out = cpl.tmp / "template.xlsx"
    cpl("template", out)
    report = cpl.json("check", out, expect=1)
    # An empty form is read whole (no WB002, no N002) and lists no entry: F003, and nothing else.
    assert [(f["code"], f["sheet"]) for f in report["findings"]] == [("F003", "CPL New Entry")]


HOSTILE = [
    "empty_file",
    "not_a_zip",
    "truncated_zip",
    "ole2_container",
    "zip_bomb",
    "billion_laughs",
    "external_entity",
    "million_row_sheet",
    "far_apart_cells",
    "many_members",
    "missing_workbook_part",
]


@pytest.mark.parametrize("builder", HOSTILE)
def test_a_hostile_workbook_is_wb001_through_the_cli_and_stores_nothing_half_way(cpl: CplRun, builder: str) -> None:
    import tests.cpl.workbook.hostile_workbooks as hostile

    path = cpl.tmp / f"{builder}.xlsx"
    path.write_bytes(getattr(hostile, builder)())
    report = cpl.json("check", path, expect=1)
    assert [f["code"] for f in report["findings"]] == ["WB001"]
    assert report["findings"][0]["message"].endswith(".")
    cpl.parties()
    submitted = cpl.json("submit", path, "--party", "acme-meters", expect=1)
    assert submitted["state"] == "has_errors"
    with sqlite3.connect(cpl.tmp / "cpl.db") as db:
        assert db.execute("select count(*) from entry").fetchone() == (0,)
        assert db.execute("select count(*) from certificate").fetchone() == (0,)


def _signed_submission(cpl: CplRun, signer: str) -> tuple[Path, Path]:
    from cpl.demo.samples import NORTHWIND
    from signing.cms import sign_data
    from signing.signers import PemKeySigner

    entry, certs = sample_row(PhysicalDeviceType.POLYPHASE_ELECTRICITY_METER, 3, maker=NORTHWIND)
    entry["manufacturer_image_hash"] = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
    entry["manufacturer_image_creator"] = "Northwind build service"
    path = workbook(cpl.tmp / "signed.xlsx", [(entry, certs)])
    keys = Path(__file__).resolve().parents[2] / "keys-dev"
    pem = PemKeySigner.from_files(keys / f"{signer}.pem", keys / f"{signer}.key.pem", chain=[keys / "issuing-ca.pem"])
    signature = path.with_name("signed.xlsx.p7s")
    signature.write_bytes(sign_data(path.read_bytes(), pem, detached=True))
    return path, signature


def test_a_manufacturer_image_hash_with_the_submitters_signature_passes(cpl: CplRun) -> None:
    path, signature = _signed_submission(cpl, "manufacturer-northwind")
    assert cpl.json("check", path, "--signature", signature, "--party", "northwind")["findings"] == []
    assert [f["code"] for f in cpl.json("check", path, expect=1)["findings"]] == ["P003"]


def test_a_signature_by_another_party_is_p003(cpl: CplRun) -> None:
    path, signature = _signed_submission(cpl, "manufacturer-acme-meters")
    found = cpl.json("check", path, "--signature", signature, "--party", "northwind", expect=1)["findings"]
    assert [f["code"] for f in found] == ["P003"] and "signed by acme-meters, not by northwind" in found[0]["message"]


def test_a_signature_over_other_bytes_is_p003(cpl: CplRun) -> None:
    path, signature = _signed_submission(cpl, "manufacturer-northwind")
    path.write_bytes(path.read_bytes() + b"\0")  # the workbook changed after signing
    found = cpl.json("check", path, "--signature", signature, "--party", "northwind", expect=1)["findings"]
    assert "P003" in [f["code"] for f in found] and "digest" in found[-1]["message"]


def test_a_signature_by_a_secas_extract_key_is_not_a_submission_signature(cpl: CplRun) -> None:
    path, signature = _signed_submission(cpl, "secas-signer-1")
    found = cpl.json("check", path, "--signature", signature, expect=1)["findings"]
    assert [f["code"] for f in found] == ["P003"]
