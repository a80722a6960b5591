"""A notice that cannot reach a party, through the real commands: a party with no email address is named
when a decision or a publication would have told it, never skipped in silence; a rejection says why;
`confirm`, `reject` and `approve` report in JSON too."""

from __future__ import annotations

import sqlite3

from cpl.core.domain import SubmissionType
from cpl.demo.samples import ACME, sample_row
from formats.vocabulary import PhysicalDeviceType
from tests.cpl.conftest import CplRun
from tests.cpl.test_cli import workbook

GAS = PhysicalDeviceType.GAS_SMART_METER
HOW = "(add one with cpl parties update PARTY --email ADDRESS)."


def _submitted(cpl: CplRun, count: int = 1) -> None:
    for number in range(1, count + 1):
        entry, certs = sample_row(GAS, number, maker=ACME)
        cpl("submit", workbook(cpl.tmp / f"s{number}.xlsx", [(entry, certs)]), "--party", "acme-meters")


def _stored(cpl: CplRun, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(cpl.tmp / "cpl.db") as db:
        return db.execute(query).fetchall()


def test_an_approval_names_the_submitter_it_could_not_tell(cpl: CplRun) -> None:
    cpl.parties()  # no party has an email address
    _submitted(cpl)
    out = cpl("approve", "1", "--by", "alice").stdout
    assert f"Not told of the approval of submission 1, having no email address: acme-meters {HOW}" in out
    assert _stored(cpl, "SELECT count(*) FROM sentnotice") == [(0,)]


def test_an_approval_of_a_party_with_an_address_says_nothing_of_it(cpl: CplRun) -> None:
    cpl.parties()
    cpl("parties", "update", "acme-meters", "--email", "cpl@acme.example")
    _submitted(cpl)
    report = cpl.json("approve", "1", "--by", "alice")
    assert report["not_told"] == [] and [e["entry_id"] for e in report["entries"]] == ["CPL-000001"]
    assert "Not told" not in cpl("approve", "1", "--by", "bob", expect=1).stdout  # decided already: refused


def test_a_rejection_without_a_note_is_refused_and_changes_nothing(cpl: CplRun) -> None:
    cpl.parties()
    _submitted(cpl)
    before = _stored(cpl, "SELECT id, state, decided_by, decision_note FROM submission")
    for note in ([], ["--note", ""], ["--note", "   "]):
        refused = cpl("reject", "1", "--by", "alice", *note, expect=2)
        assert "Say why submission 1 is rejected (--note TEXT)" in refused.stderr
    assert _stored(cpl, "SELECT id, state, decided_by, decision_note FROM submission") == before


def test_a_rejection_says_why_and_names_the_party_not_told(cpl: CplRun) -> None:
    cpl.parties()
    _submitted(cpl, 2)
    out = cpl("reject", "1", "--by", "alice", "--note", "The CPA certificate is for another model.").stdout
    assert out.splitlines() == [
        "Submission 1 rejected.",
        f"Not told of the rejection of submission 1, having no email address: acme-meters {HOW}",
    ]
    report = cpl.json("reject", "2", "--by", "alice", "--note", "  Missing release notes. ")
    assert report == {
        "submission": 2,
        "state": "rejected",
        "note": "Missing release notes.",
        "not_told": ["acme-meters"],
    }
    assert _stored(cpl, "SELECT id, state, decision_note FROM submission ORDER BY id") == [
        (1, "rejected", "The CPA certificate is for another model."),
        (2, "rejected", "Missing release notes."),
    ]


def test_publication_names_every_party_no_notice_reaches(cpl: CplRun) -> None:
    cpl.parties()
    cpl("parties", "update", "secas", "--email", "cpl@secas.example")
    _submitted(cpl)
    cpl("approve", "1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")
    cpl("extract", "approve", "1", "--by", "bob", "--yes")
    out = cpl("publish", "--out-dir", cpl.tmp / "public").stdout
    told = "Not told of version 1.0 (extract 1), having no email address: acme-meters, bright-energy, dcc, northwind"
    assert out.splitlines()[-1] == f"{told} {HOW}"
    report = cpl.json("publish", "--out-dir", cpl.tmp / "public")
    assert report["not_told"] == ["acme-meters", "bright-energy", "dcc", "northwind"]
    assert _stored(cpl, "SELECT party_id FROM sentnotice WHERE kind = 'cpl-published'") == [("secas",)]


def test_confirm_reports_in_json(cpl: CplRun) -> None:
    cpl.parties()
    _submitted(cpl)
    cpl("approve", "1", "--by", "alice")
    update, certs = sample_row(GAS, 1, maker=ACME, submission_type=SubmissionType.FIRMWARE_UPDATE, firmware="9002")
    update["firmware_mapping_evidence"] = "RN 9002 s.3"
    update["confirming_supplier"] = "bright-energy"
    cpl("submit", workbook(cpl.tmp / "fw.xlsx", [(update, certs)]), "--party", "acme-meters")
    confirmation = cpl.json("confirm", "2", "--by", "bright-energy")
    assert (confirmation["submission_id"], confirmation["supplier_party_id"]) == (2, "bright-energy")
