"""SECAS reviews before it signs: the drafts waiting, a draft's changes shown (and confirmed on a
terminal) at approval, a superseded draft that names its successor, no draft for a CPL that changed
nothing, and an extract issued at its signing time. Through the real `cpl` command and a terminal."""

from __future__ import annotations

import datetime as dt
import os
import pty
import selectors
import sqlite3
import subprocess
import time
from pathlib import Path

from cpl.demo.samples import sample_submission
from cpl.workbook.template import write_submission
from formats.extract import parse_extract
from tests.cpl.conftest import CPL, ROOT, CplRun


def _listed(cpl: CplRun, rows: int = 2) -> None:
    """Parties, one approved submission of ``rows`` entries, extract 1 issued."""
    cpl.parties()
    sample = sample_submission(rows)
    workbook = cpl.tmp / "acme.xlsx"
    write_submission(workbook, sample.entries, sample.certificates)
    cpl("submit", workbook, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")
    cpl("extract", "approve", "1", "--by", "bob")


def _drafts_in(database: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(database) as db:
        return [(int(i), str(s)) for i, s in db.execute("SELECT id, state FROM extractdraft ORDER BY id")]


def test_a_prepare_that_changes_nothing_makes_no_draft_unless_asked(cpl: CplRun) -> None:
    _listed(cpl)
    said = cpl("extract", "prepare", "--by", "alice")
    assert "Nothing changed since extract 1: no draft was made" in said.stdout
    assert _drafts_in(cpl.tmp / "cpl.db") == [(1, "issued")]
    assert cpl.json("extract", "prepare", "--by", "alice")["draft"] is None

    refresh = cpl.json("extract", "prepare", "--by", "alice", "--unchanged")
    assert (refresh["draft"], refresh["sequence"]) == (2, 2)
    assert refresh["changes"] == {"added": [], "removed": [], "restored": [], "changed": []}


def test_drafts_lists_the_one_waiting_and_every_draft_with_what_superseded_it(cpl: CplRun) -> None:
    _listed(cpl)
    assert "No draft is waiting for approval." in cpl("extract", "drafts").stdout
    assert cpl.json("extract", "drafts")["drafts"] == []

    cpl("remove", "CPL-000001", "--status", "Withdrawn", "--panel-ref", "SECP_70_1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")  # draft 2
    cpl("remove", "CPL-000002", "--status", "Cancelled", "--panel-ref", "SECP_70_2", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")  # draft 3 supersedes 2

    [waiting] = cpl.json("extract", "drafts")["drafts"]
    assert (waiting["id"], waiting["state"], waiting["superseded_by"]) == (3, "draft", None)
    assert {r["entry_id"] for r in waiting["changes"]["removed"]} == {"CPL-000001", "CPL-000002"}

    every = cpl.json("extract", "drafts", "--all")["drafts"]
    assert [(d["id"], d["state"], d["superseded_by"]) for d in every] == [
        (3, "draft", None),
        (2, "superseded", 3),
        (1, "issued", None),
    ]
    text = cpl("extract", "drafts", "--all").stdout
    assert "superseded by 3" in text and "prepared by" in text

    refused = cpl("extract", "approve", "2", "--by", "bob", expect=1)
    assert "Extract draft 2 was superseded by draft 3, which is waiting for approval" in refused.stderr
    assert "cpl extract show 3" in refused.stderr
    assert _drafts_in(cpl.tmp / "cpl.db") == [(1, "issued"), (2, "superseded"), (3, "draft")]


def test_approve_shows_the_changes_it_signs_and_lists_have_headers(cpl: CplRun) -> None:
    _listed(cpl)
    cpl("remove", "CPL-000001", "--status", "Withdrawn", "--panel-ref", "SECP_70_9", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")
    shown = cpl("extract", "approve", "2", "--by", "bob")
    assert "CPL-000001" in shown.stdout and "SECP_70_9" in shown.stdout and "Active -> Withdrawn" in shown.stdout
    assert "Extract 2 issued" in shown.stdout
    listing = cpl("extract", "list").stdout
    assert "issued at (UTC)" in listing and "approved by" in listing
    issued_rows = [line for line in listing.splitlines() if "alice" in line and "bob" in line]
    assert [row.split("│")[1].strip() for row in issued_rows] == ["1", "2"]


def _on_a_terminal(cpl: CplRun, args: list[str], answer: bytes) -> tuple[int, str]:
    """Run `cpl ARGS` with a pseudo-terminal as its stdin and stdout; type ``answer`` at the prompt."""
    leader, follower = pty.openpty()
    env = {**cpl.env, "COLUMNS": "200", "TERM": "dumb"}
    process = subprocess.Popen(
        [str(CPL), *args], cwd=ROOT, env=env, stdin=follower, stdout=follower, stderr=follower, close_fds=True
    )
    os.close(follower)
    watching = selectors.DefaultSelector()
    watching.register(leader, selectors.EVENT_READ)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = watching.select(0.5)  # poll, not select(): a long-lived worker's descriptors pass 1024
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(leader, answer)
                answered = True
        elif process.poll() is not None:
            break
    code = process.wait(timeout=30)
    watching.close()
    os.close(leader)
    return code, seen.decode("utf-8", "replace")


def test_on_a_terminal_approval_asks_and_a_no_signs_nothing(cpl: CplRun) -> None:
    _listed(cpl)
    cpl("remove", "CPL-000002", "--status", "Withdrawn", "--panel-ref", "SECP_71_1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")

    code, screen = _on_a_terminal(cpl, ["extract", "approve", "2", "--by", "bob"], b"n\n")
    assert "Sign extract 2 with these changes?" in screen and "CPL-000002" in screen
    assert code == 1 and "Nothing was signed." in screen
    assert _drafts_in(cpl.tmp / "cpl.db")[-1] == (2, "draft")
    assert not (cpl.tmp / "extracts" / "cpl-extract-000002.p7m").exists()

    code, screen = _on_a_terminal(cpl, ["extract", "approve", "2", "--by", "bob"], b"y\n")
    assert code == 0 and "Extract 2 issued" in screen
    assert (cpl.tmp / "extracts" / "cpl-extract-000002.p7m").exists()


def test_yes_signs_on_a_terminal_without_asking(cpl: CplRun) -> None:
    _listed(cpl)
    cpl("extract", "prepare", "--by", "alice", "--unchanged")
    code, screen = _on_a_terminal(cpl, ["extract", "approve", "2", "--by", "bob", "--yes"], b"n\n")
    assert code == 0 and "[y/N]" not in screen and "Extract 2 issued" in screen


def test_the_extract_is_issued_at_its_signing_time(cpl: CplRun) -> None:
    """The content signed says when it was signed, and its next-update deadline is as far ahead as drafted."""
    from sqlmodel import Session

    from cpl.services import extracts as extract_service
    from cpl.store import get_engine
    from tests.signing.helpers import dev_signer, dev_trust

    _listed(cpl)
    drafted_at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    signed_at = dt.datetime(2026, 12, 2, 16, 30, 5, tzinfo=dt.UTC)
    engine = get_engine(cpl.env["CPL_DATABASE_URL"])
    with Session(engine) as session:
        draft, _ = extract_service.prepare(
            session, "alice", drafted_at, next_update_within=dt.timedelta(days=7), unchanged=True
        )
        session.commit()
        draft_id = draft.id
        assert draft_id is not None
    with Session(engine) as session:
        issued = extract_service.approve(session, draft_id, "bob", signed_at, dev_signer(), dev_trust())
        session.commit()
        content = parse_extract(extract_service.get_draft(session, draft_id).content)
        assert issued.issued_at.replace(tzinfo=dt.UTC) == signed_at
        assert content.issued_at == signed_at
        assert content.next_update_by == signed_at + dt.timedelta(days=7)
        assert extract_service.get_draft(session, draft_id).content_sha256 == issued.content_sha256


def test_an_out_dir_that_is_a_file_is_refused_before_anything_is_signed(cpl: CplRun) -> None:
    _listed(cpl)
    cpl("extract", "prepare", "--by", "alice", "--unchanged")
    a_file = cpl.tmp / "not-a-directory"
    a_file.write_text("x")
    refused = cpl("extract", "approve", "2", "--by", "bob", "--out-dir", a_file, expect=2)
    assert "it is a file, not a directory" in refused.stderr
    assert _drafts_in(cpl.tmp / "cpl.db")[-1] == (2, "draft")
