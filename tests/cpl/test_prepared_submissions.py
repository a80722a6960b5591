"""A submission checked in one unit of work and stored in another: the check stands only while the
CPL it read stands, and the audit chain after the head it read says whether it does.

Against a real SQLite file and a real PostgreSQL server (READ COMMITTED), as the race tests are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpl import audit
from cpl.core.domain import PartyRole
from cpl.core.rules import SignatureState
from cpl.services import checking
from cpl.services import parties as party_service
from cpl.services import submissions as submission_service
from cpl.specs_file import default_registry
from cpl.store import Submission, session_scope
from tests.api.conftest import clean_workbook
from tests.conftest import PostgresServer

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
REGISTRY = default_registry()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cpl.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database()


def populate(url: str) -> None:
    with session_scope(url) as s:
        for party, role in (
            ("acme-meters", PartyRole.MANUFACTURER),
            ("dcc", PartyRole.DCC),
            ("secas", PartyRole.SECAS),
        ):
            party_service.add_party(s, party, party, role, NOW)
            s.flush()
            party_service.add_user(s, party, party, party, NOW)
        party_service.add_user(s, "alice", "secas", "Alice", NOW)


def prepared(
    url: str, workbook: bytes, *, user: str = "acme-meters", as_of: dt.date = NOW.date()
) -> submission_service.PreparedSubmission:
    """The workbook checked for ``user`` in a read-only unit of work, as the HTTP route checks it."""
    read = checking.read_submission_file(workbook)
    with session_scope(url, write=False) as s:
        acting, party = party_service.acting_user(s, user)
        return submission_service.prepare_submission(
            s,
            user_id=acting.user_id,
            party_id=party.party_id,
            submitter=PartyRole(party.role),
            read=read,
            registry=REGISTRY,
            signature_state=SignatureState.ABSENT,
            signature_problem="",
            as_of=as_of,
        )


def store(
    url: str, check: submission_service.PreparedSubmission, workbook: bytes, *, user: str = "acme-meters"
) -> tuple[Submission, checking.CheckResult]:
    with session_scope(url) as s:
        return submission_service.submit_prepared(
            s, check, user_id=user, filename="w.xlsx", workbook=workbook, signature=None, now=NOW
        )


def submit_and_approve(url: str, workbook: bytes) -> None:
    with session_scope(url) as s:
        record, _ = submission_service.submit(
            s,
            user_id="acme-meters",
            filename="w.xlsx",
            workbook=workbook,
            signature=None,
            registry=REGISTRY,
            signature_state=SignatureState.ABSENT,
            signature_problem="",
            now=NOW,
        )
        assert record.id is not None
        submission_service.approve(s, record.id, "alice", REGISTRY, NOW, SignatureState.ABSENT)


def codes(result: checking.CheckResult) -> list[str]:
    return [str(f.code) for f in result.findings]


# --- the audit chain says whether the CPL moved ----------------------------------------------------


def test_nothing_appended_since_a_head_is_no_change(url: str) -> None:
    populate(url)
    with session_scope(url) as s:
        head = audit.head_hash(s)
        assert audit.changed_since(s, head) is False


def test_an_event_appended_since_a_head_is_a_change_unless_its_action_is_ignored(url: str) -> None:
    populate(url)
    with session_scope(url, write=False) as s:
        head = audit.head_hash(s)
    with session_scope(url) as s:
        party_service.add_party(s, "northwind", "Northwind", PartyRole.MANUFACTURER, NOW)
    with session_scope(url) as s:
        assert audit.changed_since(s, head) is True
        assert audit.changed_since(s, head, ignoring=frozenset({"party.add"})) is False
        assert audit.changed_since(s, head, ignoring=frozenset({"user.add"})) is True


def test_since_genesis_any_event_is_a_change(url: str) -> None:
    populate(url)
    with session_scope(url) as s:
        assert audit.changed_since(s, audit.GENESIS) is True
        assert audit.changed_since(s, audit.GENESIS, ignoring=frozenset({"party.add", "user.add"})) is False


def test_an_empty_store_has_not_changed_since_genesis(url: str) -> None:
    with session_scope(url) as s:
        assert audit.head_hash(s) == audit.GENESIS
        assert audit.changed_since(s, audit.GENESIS) is False


# --- a check made before the write transaction -----------------------------------------------------


def test_a_check_nothing_has_changed_since_is_stored_as_it_was_made(url: str) -> None:
    populate(url)
    workbook = clean_workbook(10)
    check = prepared(url, workbook)
    record, result = store(url, check, workbook)
    assert result is check.result
    assert (record.party_id, record.submitted_by, record.state) == ("acme-meters", "acme-meters", "open")


def test_other_submissions_meanwhile_leave_a_check_standing(url: str) -> None:
    populate(url)
    workbook = clean_workbook(10)
    check = prepared(url, workbook)
    store(url, prepared(url, clean_workbook(20)), clean_workbook(20))  # submission.submit: neutral
    _, result = store(url, check, workbook)
    assert result is check.result


def test_an_approval_meanwhile_has_the_check_made_again_against_the_cpl_as_it_is_now(url: str) -> None:
    populate(url)
    workbook = clean_workbook(10)
    check = prepared(url, workbook)
    assert "D001" not in codes(check.result)
    submit_and_approve(url, workbook)
    record, result = store(url, check, workbook)
    assert result is not check.result
    assert codes(result).count("D001") == 2 and record.state == "has_errors"


def test_a_check_made_another_day_is_made_again_as_of_today(url: str) -> None:
    populate(url)
    workbook = clean_workbook(10)
    check = prepared(url, workbook, as_of=NOW.date() - dt.timedelta(days=1))
    record, result = store(url, check, workbook)
    assert result is not check.result and record.checked_as_of == NOW.date()


def test_a_check_made_for_another_user_is_made_again_for_the_one_storing_it(url: str) -> None:
    populate(url)
    workbook = clean_workbook(10)
    check = prepared(url, workbook, user="acme-meters")
    record, result = store(url, check, workbook, user="dcc")
    assert result is not check.result
    assert (record.party_id, record.submitted_by) == ("dcc", "dcc")
