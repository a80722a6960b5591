"""`cpl extract show`: a draft or issued extract, what it changes, and the DCC's preview of it beside each change.

The scenario drives both real commands: SECAS drafts a withdrawal, writes the draft's unsigned content,
the DCC previews it (`smi preview --json`), SECAS attaches that preview; after approval the signed
extract previews the same and the DCC's apply does what was shown.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cpl.demo.samples import sample_submission
from cpl.services.extract_views import PreviewMismatchError, UnusablePreviewError, entry_changes, read_dcc_preview
from cpl.workbook.template import write_submission
from formats.extract import parse_extract, sha256_hex
from tests.cpl.conftest import CplRun
from tests.smi.commandline import SmiRun, environment
from tests.smi.factories import GAS, HUB, entry, key


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return list(db.iterdump())


def test_show_writes_the_draft_content_the_dcc_previews_and_attaches_its_preview(cpl: CplRun) -> None:
    cpl.parties()
    sample = sample_submission(3)
    workbook = cpl.tmp / "acme.xlsx"
    write_submission(workbook, sample.entries, sample.certificates)
    cpl("submit", workbook, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")
    first = cpl.json("extract", "approve", "1", "--by", "bob")
    smi = SmiRun(cpl.tmp, environment(cpl.tmp, f"sqlite:///{cpl.tmp / 'smi.db'}"))
    smi("seed", "--devices", "1000", "--from-extract", first["file"], "--seed", "3")

    cpl("remove", "CPL-000001", "--status", "Withdrawn", "--panel-ref", "SECP_66_1503", "--by", "alice")
    draft = cpl.json("extract", "prepare", "--by", "alice")["draft"]
    assert draft == 2
    content = cpl.tmp / "draft-2.json"
    before = dump(cpl.tmp / "cpl.db")
    shown = cpl.json("extract", "show", str(draft), "--content-out", content)
    assert (shown["draft"], shown["sequence"], shown["state"], shown["follows_last_issued"]) == (2, 2, "draft", True)
    assert shown["entries"] == {"total": 3, "by_status": {"Active": 2, "Expired": 0, "Withdrawn": 1, "Cancelled": 0}}
    assert shown["compared_with"] == {"sequence": 1, "what": "extract 1"}
    [change] = shown["changes"]
    assert (change["entry_id"], change["change"], change["status_before"], change["status"]) == (
        "CPL-000001",
        "removed",
        "Active",
        "Withdrawn",
    )
    assert change["panel_reference"] == "SECP_66_1503" and change["dcc"] is None and shown["dcc_preview"] is None
    assert shown["change_counts"]["removed"] == 1 and sum(shown["change_counts"].values()) == 1
    assert sha256_hex(content.read_bytes()) == shown["content_sha256"] and parse_extract(content.read_bytes())

    # The DCC previews the unsigned content; SECAS attaches the preview.
    printed = smi("preview", content, "--json")
    assert "unsigned: signature not checked" in printed.stdout
    preview = json.loads(printed.stdout)
    assert preview["content_sha256"] == shown["content_sha256"] and preview["result"] == "new"
    suspended = preview["devices_suspended"]
    assert suspended > 0 and [e["entry_id"] for e in preview["entries"]] == ["CPL-000001"]
    preview_file = cpl.tmp / "preview.json"
    preview_file.write_text(printed.stdout)
    attached = cpl.json("extract", "show", "draft:2", "--preview", preview_file)
    assert attached["changes"][0]["dcc"] == {
        "change": "suspend",
        "devices_suspended": suspended,
        "devices_restored": 0,
        "suspended_by_status": preview["entries"][0]["suspended_by_status"],
        "restored_by_status": {k: 0 for k in preview["entries"][0]["restored_by_status"]},
    }
    assert attached["dcc_preview"]["result"] == "new" and attached["dcc_preview"]["devices_suspended"] == suspended
    assert attached["dcc_preview"]["signature"] == "unsigned: signature not checked"
    assert attached["dcc_preview"]["entries_not_among_changes"] == []
    text = cpl("extract", "show", "2", "--preview", preview_file).stdout
    assert "DCC: suspend" in text and f"{suspended:,}" in text and "would accept it" in text
    assert "CPL-000001" in text and "removed" in text
    assert dump(cpl.tmp / "cpl.db") == before  # every show read only

    # A preview of other content is refused (1); a file that is no preview is unusable (2).
    mismatch = cpl("extract", "show", "1", "--preview", preview_file, expect=1)
    assert "other content" in mismatch.stderr and "Traceback" not in mismatch.stderr
    not_json = cpl.tmp / "not.json"
    not_json.write_text("nope")
    assert "not JSON" in cpl("extract", "show", "2", "--preview", not_json, expect=2).stderr
    assert "does not exist" in cpl("extract", "show", "2", "--preview", cpl.tmp / "gone.json", expect=2).stderr

    # Signed, the same entries preview the same (the content differs only in its issue time, the signing
    # time); the DCC's apply then does what was shown.
    issued = cpl.json("extract", "approve", "2", "--by", "bob")
    signed = smi.json("preview", issued["file"], "--received-at", preview["received_at"])
    assert signed["signature"] == "verified" and signed["content_sha256"] == issued["content_sha256"]
    assert signed["content_sha256"] != preview["content_sha256"]
    assert signed["entries"] == preview["entries"]
    assert issued["issued_at"] > shown["issued_at"]
    applied = smi.json("ingest", issued["file"])["applied"][0]
    assert (applied["devices_suspended"], applied["devices_restored"]) == (suspended, 0)
    alerts = [json.loads(line) for line in (cpl.tmp / "alerts.jsonl").read_text().splitlines()]
    assert sum(1 for a in alerts if a["extract_sequence"] == 2 and a["alert"] == "DeviceSuspended") == suspended

    # The issued extract, by its sequence.
    by_sequence = cpl.json("extract", "show", "extract:2")
    assert (by_sequence["draft"], by_sequence["state"], by_sequence["approved_by"]) == (2, "issued", "bob")
    assert by_sequence["version"] and by_sequence["changes"] == shown["changes"]
    assert cpl.json("extract", "show", "extract:1")["compared_with"]["what"] == "nothing (the first extract)"


def test_an_unknown_draft_or_extract_is_unusable_input(cpl: CplRun) -> None:
    assert "no extract draft 7" in cpl("extract", "show", "7", expect=2).stderr
    assert "no issued extract 3" in cpl("extract", "show", "extract:3", expect=2).stderr
    assert "names no draft or extract" in cpl("extract", "show", "latest", expect=2).stderr


# --- the comparison and the preview check, as functions ------------------------------------------------


def test_entry_changes_names_each_kind_of_change() -> None:
    a, b, c, d, e, f = (key(GAS, f"000{n}") for n in range(1, 7))
    before = [entry(a), entry(b), entry(c, status="Withdrawn"), entry(d, status="Withdrawn"), entry(e), entry(f)]
    after = [
        entry(a),  # unchanged: not listed
        entry(b, status="Expired"),
        entry(c),
        entry(d, status="Cancelled"),
        dataclasses.replace(entry(e), model="renamed"),
        entry(key(HUB, "0007")),
    ]
    kinds = {c.entry_id: c.change for c in entry_changes(before, after)}
    assert kinds == {
        entry(b).entry_id: "removed",
        entry(c).entry_id: "restored",
        entry(d).entry_id: "status changed",
        entry(e).entry_id: "changed",
        entry(key(HUB, "0007")).entry_id: "added",
        entry(f).entry_id: "dropped",
    }


#: Just what `read_dcc_preview` reads of a shown extract: its draft's number, sequence and content SHA-256.
SHOWN = SimpleNamespace(draft=SimpleNamespace(id=4, sequence=3, content_sha256="a" * 64))


def _preview(**changes: Any) -> bytes:
    data = {"result": "new", "content_sha256": "a" * 64, "entries": [], **changes}
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "error", "words"),
    [
        (b"\xff", UnusablePreviewError, "not JSON"),
        (b"[]", UnusablePreviewError, "not a DCC preview"),
        (_preview(result="maybe"), UnusablePreviewError, "not a DCC preview"),
        (_preview(entries=[{"entry_id": "CPL-000001"}]), UnusablePreviewError, "lists an entry"),
        (_preview(content_sha256=None, result="refused"), PreviewMismatchError, "names no content SHA-256"),
        (_preview(content_sha256="b" * 64), PreviewMismatchError, "other content"),
    ],
)
def test_a_preview_is_attached_only_to_the_content_it_was_made_of(raw: bytes, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        read_dcc_preview(raw, SHOWN)  # type: ignore[arg-type]
    assert read_dcc_preview(_preview(), SHOWN).by_entry == {}  # type: ignore[arg-type]
