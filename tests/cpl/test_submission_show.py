"""`cpl submissions show N`: what SECAS approves, and what a New Entry form gave that is kept for audit."""

from __future__ import annotations

from cpl.demo.samples import sample_submission
from cpl.demo.workbooks import ACME_FORM, ACME_FORM_CERTIFICATES, sec_form
from cpl.workbook.template import write_submission
from tests.cpl.conftest import CplRun


def test_an_approved_submission_shows_each_entry_it_made_active_with_its_model_and_status(cpl: CplRun) -> None:
    cpl.parties()
    sample = sample_submission(2)
    path = cpl.tmp / "two.xlsx"
    write_submission(path, sample.entries, sample.certificates)
    submitted = cpl.json("submit", path, "--party", "acme-meters")["submission"]
    assert "Entries its approval made Active" not in cpl("submissions", "show", str(submitted)).stdout
    approved = cpl.json("approve", str(submitted), "--by", "alice")["entries"]
    shown = cpl("submissions", "show", str(submitted)).stdout
    assert "Entries its approval made Active (2), as they stand now:" in shown
    for entry in approved:
        [line] = [line for line in shown.splitlines() if line.strip().startswith(entry["entry_id"])]
        assert entry["model"] in line and entry["model_id"] in line and line.endswith(": Active")
    assert "Kept for audit" not in shown  # the project's own layout has no form contacts
    as_json = cpl.json("submissions", "show", str(submitted))
    assert as_json["created_entries"] == [e["entry_id"] for e in approved] and as_json["form_audit"] is None


def test_a_new_entry_form_submission_shows_the_contacts_kept_for_audit(cpl: CplRun) -> None:
    cpl.parties()
    path = cpl.tmp / "form.xlsx"
    path.write_bytes(sec_form(ACME_FORM, ACME_FORM_CERTIFICATES))
    submitted = cpl.json("submit", path, "--party", "acme-meters", expect=None)["submission"]
    shown = cpl("submissions", "show", str(submitted)).stdout
    assert "Kept for audit from the SEC's New Entry form (never published):" in shown
    assert "assurance@acme.example" in shown
    assert "assurance@acme.example" in cpl.json("submissions", "show", str(submitted))["form_audit"].values()
