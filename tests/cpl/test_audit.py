"""`cpl audit verify` / `cpl audit list`: the hash chain holds, and an edited, deleted or reordered event is named."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from tests.cpl.conftest import CplRun


@pytest.fixture
def logged(cpl: CplRun) -> CplRun:
    """Five parties, each with a user, and two more SECAS users: twelve events in the chain."""
    cpl.parties()
    return cpl


def tamper(cpl: CplRun, statement: str) -> None:
    with sqlite3.connect(cpl.tmp / "cpl.db") as db:
        db.execute(statement)


def test_an_intact_log_verifies(logged: CplRun) -> None:
    count = len(logged.json("audit", "list")["events"])
    assert count == 12
    result = logged("audit", "verify")
    assert result.stdout.splitlines()[0] == f"intact: {count} events"
    report = logged.json("audit", "verify")
    assert report["intact"] is True and report["events"] == count and report["broken_event"] is None


def test_an_empty_log_is_intact(cpl: CplRun) -> None:
    assert cpl("audit", "verify").stdout.startswith("intact: 0 events")


def test_an_edited_event_is_found(logged: CplRun) -> None:
    tamper(logged, "UPDATE auditevent SET actor = 'mallory' WHERE id = 4")
    result = logged("audit", "verify", expect=1)
    assert result.stderr.strip() == (
        "The audit log is broken at event 4: its content does not match its hash (the event was edited)."
    )
    report = logged.json("audit", "verify", expect=1)
    assert report["intact"] is False and report["broken_event"] == 4 and "edited" in report["reason"]


def test_edited_details_are_found(logged: CplRun) -> None:
    tamper(logged, 'UPDATE auditevent SET details_json = \'{"role": "secas"}\' WHERE id = 1')
    assert logged.json("audit", "verify", expect=1)["broken_event"] == 1


def test_an_edited_hash_is_found(logged: CplRun) -> None:
    tamper(
        logged,
        "UPDATE auditevent SET event_hash = "
        "(CASE WHEN substr(event_hash, 1, 1) = 'f' THEN '0' ELSE 'f' END) || substr(event_hash, 2) WHERE id = 4",
    )
    assert logged.json("audit", "verify", expect=1)["broken_event"] == 4


def test_a_deleted_event_is_found(logged: CplRun) -> None:
    tamper(logged, "DELETE FROM auditevent WHERE id = 5")
    result = logged("audit", "verify", expect=1)
    assert "broken at event 6" in result.stderr and "removed or reordered" in result.stderr


def test_reordered_events_are_found(logged: CplRun) -> None:
    tamper(logged, "UPDATE auditevent SET id = id + 100 WHERE id IN (2, 3)")
    tamper(logged, "UPDATE auditevent SET id = 2 WHERE id = 103")
    tamper(logged, "UPDATE auditevent SET id = 3 WHERE id = 102")
    assert logged.json("audit", "verify", expect=1)["broken_event"] == 2


def test_audit_list_shows_who_did_what(logged: CplRun) -> None:
    events = logged.json("audit", "list")["events"]
    first = events[0]
    assert (first["id"], first["actor"], first["action"], first["subject"]) == (1, "cli", "party.add", "acme-meters")
    assert first["details"]["role"] == "manufacturer" and first["previous_hash"] == "0" * 64
    assert all(later["previous_hash"] == earlier["event_hash"] for earlier, later in itertools.pairwise(events))
    assert [e["id"] for e in logged.json("audit", "list", "--last", "2")["events"]] == [11, 12]
    text = logged("audit", "list").stdout
    assert "party.add" in text and "12 events." in text
