"""A party withdraws its own submission before SECAS decides it; nothing is decided on it after.

The rules (pure, `cpl.core.lifecycle`), the service on a real store, the `cpl withdraw` command, and
a withdrawal racing an approval on SQLite and on PostgreSQL: exactly one of them is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from cpl import audit
from cpl.core import errors, lifecycle
from cpl.core.domain import PartyRole
from cpl.core.lifecycle import SubmissionState
from cpl.core.rules import SignatureState
from cpl.demo.samples import sample_row
from cpl.services import submissions as submission_service
from cpl.store import AuditEvent, Entry, Submission, get_engine, session_scope
from formats.vocabulary import PhysicalDeviceType
from tests.api.conftest import clean_workbook, workbook_bytes
from tests.conftest import PostgresServer
from tests.cpl.conftest import CplRun
from tests.cpl.test_races import REGISTRY, populate, race, submit

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cpl.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cpl.db'}"
    populate(url)
    return url


def _state(url: str, submission: int) -> Submission:
    with Session(get_engine(url)) as s:
        record = s.get(Submission, submission)
        assert record is not None
        return record


def _withdraw(url: str, submission: int, user: str = "acme-meters", note: str = "") -> Submission:
    with session_scope(url) as s:
        return submission_service.withdraw(s, submission, user, note, LATER)


def _approve(url: str, submission: int, user: str = "alice") -> list[Entry]:
    with session_scope(url) as s:
        return submission_service.approve(s, submission, user, REGISTRY, LATER, SignatureState.ABSENT)


# --- the rules, pure -------------------------------------------------------------------------------


def test_a_withdrawn_submission_counts_as_decided() -> None:
    assert SubmissionState.WITHDRAWN in lifecycle.DECIDED_STATES
    assert {SubmissionState.OPEN, SubmissionState.HAS_ERRORS}.isdisjoint(lifecycle.DECIDED_STATES)


@pytest.mark.parametrize("state", [SubmissionState.OPEN, SubmissionState.HAS_ERRORS])
def test_an_undecided_submission_may_still_be_decided(state: str) -> None:
    lifecycle.require_undecided(7, state, None)


def test_nothing_is_decided_on_a_withdrawn_submission_and_the_refusal_names_the_withdrawal() -> None:
    with pytest.raises(errors.SubmissionWithdrawnError) as refused:
        lifecycle.require_undecided(7, SubmissionState.WITHDRAWN, "acme-meters")
    assert isinstance(refused.value, errors.SubmissionAlreadyDecidedError)  # a 409, like any decided one
    message = str(refused.value)
    assert message.startswith("Submission 7 was withdrawn by acme-meters") and message.endswith(".")
    assert "submits the workbook again" in message


@pytest.mark.parametrize("state", [SubmissionState.APPROVED, SubmissionState.REJECTED])
def test_a_decided_submission_is_refused_as_decided_not_as_withdrawn(state: str) -> None:
    with pytest.raises(errors.SubmissionAlreadyDecidedError) as refused:
        lifecycle.require_undecided(7, state, "alice")
    assert not isinstance(refused.value, errors.SubmissionWithdrawnError)
    assert str(refused.value) == f"Submission 7 was already {state} by alice."


@pytest.mark.parametrize("role", list(PartyRole))
def test_the_submitting_party_may_withdraw_whatever_its_role(role: PartyRole) -> None:
    lifecycle.require_own_submission(7, "maker", "maker", role)


def test_another_party_may_not_withdraw_a_submission() -> None:
    with pytest.raises(errors.NotPermittedError, match="submitted by acme-meters; only that party may withdraw it"):
        lifecycle.require_own_submission(7, "acme-meters", "northwind", PartyRole.MANUFACTURER)


def test_secas_never_withdraws_for_the_party_it_rejects_instead() -> None:
    with pytest.raises(errors.NotPermittedError, match=r"acme-meters's to withdraw; SECAS decides it instead"):
        lifecycle.require_own_submission(7, "acme-meters", "secas", PartyRole.SECAS)


# --- the service ------------------------------------------------------------------------------------


def test_the_submitting_party_withdraws_its_open_submission_and_it_is_audited(sqlite_url: str) -> None:
    submission = submit(sqlite_url)
    record = _withdraw(sqlite_url, submission, note="Wrong firmware version; resubmitting.")
    assert (record.state, record.decided_by) == (SubmissionState.WITHDRAWN, "acme-meters")
    assert record.decision_note == "Wrong firmware version; resubmitting."
    with Session(get_engine(sqlite_url)) as s:
        (event,) = s.exec(select(AuditEvent).where(AuditEvent.action == "submission.withdraw")).all()
        assert (event.actor, event.subject) == ("acme-meters", f"submission:{submission}")
        details = json.loads(event.details_json)
        assert details == {
            "party": "acme-meters",
            "state_before": "open",
            "note": "Wrong firmware version; resubmitting.",
        }
        assert audit.verify_chain(audit.all_events(s)) is None


def test_a_submission_with_errors_may_be_withdrawn_too(sqlite_url: str) -> None:
    entry, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 1)
    entry["zigbee_certificate"] = None  # C001: kept with its errors, never approvable
    with session_scope(sqlite_url) as s:
        record, result = submission_service.submit(
            s,
            user_id="acme-meters",
            filename="bad.xlsx",
            workbook=workbook_bytes([entry], certificates),
            signature=None,
            registry=REGISTRY,
            signature_state=SignatureState.ABSENT,
            signature_problem="",
            now=NOW,
        )
        assert result.has_errors and record.id is not None
        submission = record.id
    assert _withdraw(sqlite_url, submission).state == SubmissionState.WITHDRAWN


def test_a_withdrawn_submission_can_never_be_approved(sqlite_url: str) -> None:
    submission = submit(sqlite_url)
    _withdraw(sqlite_url, submission)
    with pytest.raises(errors.SubmissionWithdrawnError, match=f"Submission {submission} was withdrawn"):
        _approve(sqlite_url, submission)
    with Session(get_engine(sqlite_url)) as s:
        assert s.exec(select(Entry)).first() is None
    assert _state(sqlite_url, submission).state == SubmissionState.WITHDRAWN


def test_a_withdrawn_submission_can_be_neither_rejected_nor_withdrawn_again(sqlite_url: str) -> None:
    submission = submit(sqlite_url)
    _withdraw(sqlite_url, submission)
    with pytest.raises(errors.SubmissionWithdrawnError), session_scope(sqlite_url) as s:
        submission_service.reject(s, submission, "alice", "too late", LATER)
    with pytest.raises(errors.SubmissionWithdrawnError):
        _withdraw(sqlite_url, submission)
    assert _state(sqlite_url, submission).decision_note is None


@pytest.mark.parametrize("decided", ["approved", "rejected"])
def test_a_decided_submission_cannot_be_withdrawn(sqlite_url: str, decided: str) -> None:
    submission = submit(sqlite_url)
    if decided == "approved":
        _approve(sqlite_url, submission)
    else:
        with session_scope(sqlite_url) as s:
            submission_service.reject(s, submission, "alice", "no", LATER)
    with pytest.raises(errors.SubmissionAlreadyDecidedError, match=f"already {decided} by alice"):
        _withdraw(sqlite_url, submission)


@pytest.mark.parametrize("user", ["bright-energy", "alice"])
def test_only_the_submitting_party_withdraws_and_a_refusal_changes_nothing(sqlite_url: str, user: str) -> None:
    submission = submit(sqlite_url)
    with pytest.raises(errors.NotPermittedError):
        _withdraw(sqlite_url, submission, user)
    assert _state(sqlite_url, submission).state == SubmissionState.OPEN
    with Session(get_engine(sqlite_url)) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "submission.withdraw")).first() is None


def test_a_withdrawal_does_not_make_another_submissions_check_stale(sqlite_url: str) -> None:
    assert "submission.withdraw" in submission_service.CHECK_NEUTRAL_ACTIONS


# --- racing an approval -----------------------------------------------------------------------------


def test_a_withdrawal_racing_an_approval_gives_exactly_one_decision(url: str) -> None:
    populate(url)
    submission = submit(url)

    def withdrawal() -> object:
        return _withdraw(url, submission)

    def approval() -> object:
        return _approve(url, submission)

    def second_approval() -> object:
        return _approve(url, submission, "bob")

    workers: list[Callable[[], object]] = [withdrawal, approval, second_approval]
    results = race(workers)
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 2, results
    assert all(isinstance(r, errors.SubmissionAlreadyDecidedError | errors.ConcurrentChangeError) for r in lost)
    record = _state(url, submission)
    with Session(get_engine(url)) as s:
        decisions = s.exec(
            select(AuditEvent).where(col(AuditEvent.action).in_(["submission.withdraw", "submission.approve"]))
        ).all()
        entries = s.exec(select(Entry)).all()
        assert audit.verify_chain(audit.all_events(s)) is None
    assert len(decisions) == 1
    if isinstance(won[0], Submission):
        assert (
            record.state == SubmissionState.WITHDRAWN and entries == [] and decisions[0].action == "submission.withdraw"
        )
    else:
        assert record.state == SubmissionState.APPROVED and len(entries) == 2
        assert decisions[0].action == "submission.approve"


# --- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def submitted(cpl: CplRun) -> CplRun:
    cpl.parties()
    path = cpl.tmp / "acme.xlsx"
    path.write_bytes(clean_workbook(300))
    assert cpl.json("submit", path, "--party", "acme-meters")["submission"] == 1
    return cpl


def test_cpl_withdraw_then_approve_is_refused_with_one_sentence(submitted: CplRun) -> None:
    cpl = submitted
    done = cpl("withdraw", "1", "--party", "acme-meters", "--note", "Superseded.")
    assert done.stdout.strip() == "Submission 1 withdrawn by acme-meters for acme-meters."
    refused = cpl("approve", "1", "--by", "alice", expect=1)
    assert refused.stderr.strip().startswith("Submission 1 was withdrawn by acme-meters")
    assert cpl.json("list")["entries"] == []
    (listed,) = cpl.json("submissions", "list")["submissions"]
    assert (listed["state"], listed["decided_by"], listed["decision_note"]) == (
        "withdrawn",
        "acme-meters",
        "Superseded.",
    )


def test_cpl_withdraw_json_is_the_submission(submitted: CplRun) -> None:
    shown = submitted.json("withdraw", "1", "--party", "acme-meters")
    assert (shown["id"], shown["state"], shown["party_id"]) == (1, "withdrawn", "acme-meters")


def test_cpl_withdraw_by_another_party_or_secas_is_refused_and_leaves_it_open(submitted: CplRun) -> None:
    cpl = submitted
    assert "only that party may withdraw it" in cpl("withdraw", "1", "--party", "northwind", expect=1).stderr
    assert "SECAS decides it instead" in cpl("withdraw", "1", "--party", "secas", "--by", "alice", expect=1).stderr
    assert (
        "does not belong to acme-meters"
        in cpl("withdraw", "1", "--party", "acme-meters", "--by", "alice", expect=1).stderr
    )
    assert cpl.json("submissions", "show", "1")["state"] == "open"


def test_cpl_withdraw_of_an_approved_submission_exits_1(submitted: CplRun) -> None:
    cpl = submitted
    cpl("approve", "1", "--by", "alice")
    assert "already approved by alice" in cpl("withdraw", "1", "--party", "acme-meters", expect=1).stderr


def test_cpl_withdraw_of_an_unknown_submission_exits_2(submitted: CplRun) -> None:
    assert "There is no submission 9" in submitted("withdraw", "9", "--party", "acme-meters", expect=2).stderr
