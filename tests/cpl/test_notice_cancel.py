"""`cpl notices cancel`: a notice that cannot be delivered is given up, never sent again and never queued
again, shown as cancelled; only a queued notice can be, on its locked row. Through the real `cpl`
command, with a real SMTP server (aiosmtpd) that refuses one mailbox."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from cpl import mailer
from cpl.core import errors, notices
from cpl.services import notices as notice_service
from cpl.store import Party, SentNotice, get_engine
from tests.conftest import PostgresServer
from tests.cpl.conftest import CplRun, mail_settings, unit
from tests.cpl.test_expiry import NOW, SIX, TWELVE, World, add_entry, build_world
from tests.cpl.test_notices import Collector, SmtpServer, start

REFUSED = "refuse-me@acme.example"  # the test server answers 550 for it


@pytest.fixture
def smtp(cpl: CplRun) -> Iterator[SmtpServer]:
    collector = Collector()
    controller, port = start(collector)
    cpl.env["CPL_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        yield SmtpServer(collector, port)
    finally:
        controller.stop()


@pytest.fixture
def world(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    return build_world(cpl.tmp)


def refused_notice(cpl: CplRun, world: World, smtp: SmtpServer) -> dict[str, object]:
    """acme-meters's mailbox is refused: the 12-month notice of its entry stays queued with the reason."""
    add_entry(world)
    cpl("parties", "update", "acme-meters", "--email", REFUSED)
    result = cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    assert "refused the notice to refuse-me@acme.example (550 5.1.1 No such mailbox here)" in result.stderr
    (queued,) = cpl.json("notices", "list")["notices"]
    assert queued["state"] == "queued" and smtp.messages == []
    return dict(queued)


def state_of(cpl: CplRun, notice_id: object) -> str:
    (found,) = [n for n in cpl.json("notices", "list")["notices"] if n["id"] == notice_id]
    return str(found["state"])


def test_a_cancelled_notice_is_never_sent_again_and_shows_as_cancelled(
    cpl: CplRun, world: World, smtp: SmtpServer
) -> None:
    queued = refused_notice(cpl, world, smtp)
    cancelled = cpl.json(
        "notices", "cancel", str(queued["id"]), "--by", "alice", "--reason", "the mailbox does not exist"
    )["notice"]
    assert (cancelled["id"], cancelled["state"]) == (queued["id"], "cancelled")
    assert (cancelled["cancelled_by"], cancelled["cancellation_reason"]) == ("alice", "the mailbox does not exist")
    assert cancelled["sent_at"] is None and cancelled["cancelled_at"] is not None
    # retried by hand and by the job, later, in both windows: nothing goes, nothing is queued again
    assert cpl.json("notices", "send") == {"sent": {}, "failures": []}
    later = cpl.json("expiry", "run", "--as-of", (TWELVE + dt.timedelta(days=3)).isoformat(), "--send")
    assert (later["queued"], later["sent"], later["failures"]) == ({}, {}, [])
    assert smtp.messages == []
    listed = cpl.json("notices", "list")["notices"]
    assert [(n["id"], n["state"], n["attempts"]) for n in listed] == [(queued["id"], "cancelled", 1)]
    assert [n["id"] for n in cpl.json("notices", "list", "--state", "cancelled")["notices"]] == [queued["id"]]
    assert cpl.json("notices", "list", "--state", "queued")["notices"] == []
    cpl.env["COLUMNS"] = "400"  # a table row on one line
    (row,) = [line for line in cpl("notices", "list").stdout.splitlines() if f"│ {queued['id']} " in line]
    assert "│ cancelled │" in row and "cancelled by alice: the mailbox does not exist" in row
    # the next window is another notice: it is owed and tried (and refused) in its turn
    six = cpl.json("expiry", "run", "--as-of", SIX.isoformat(), "--send", expect=1)
    assert six["queued"] == {"cpa-expiry-6-months": 1} and len(six["failures"]) == 1


def test_the_cancellation_is_in_the_audit_log_with_who_and_why(cpl: CplRun, world: World, smtp: SmtpServer) -> None:
    queued = refused_notice(cpl, world, smtp)
    text = cpl("notices", "cancel", str(queued["id"]), "--by", "alice", "--reason", "no such mailbox").stdout
    assert text == (
        f"Notice {queued['id']} ({queued['kind']} {queued['subject_ref']}) to acme-meters <{REFUSED}> "
        "cancelled: it will not be sent.\n"
    )
    (event,) = [e for e in cpl.json("audit", "list")["events"] if e["action"] == "notice.cancel"]
    assert (event["actor"], event["subject"]) == ("alice", f"notice:{queued['id']}")
    assert event["details"] == {
        "kind": queued["kind"],
        "ref": queued["subject_ref"],
        "party": "acme-meters",
        "recipient": REFUSED,
        "reason": "no such mailbox",
        "last_error": queued["last_error"],
    }
    assert cpl("audit", "verify").stdout.startswith("intact: ")


def test_a_sent_notice_cannot_be_cancelled(cpl: CplRun, world: World) -> None:
    add_entry(world)
    cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send")
    (sent,) = cpl.json("notices", "list")["notices"]
    result = cpl("notices", "cancel", str(sent["id"]), "--by", "alice", "--reason", "too late", expect=1)
    at = f"{dt.datetime.fromisoformat(str(sent['sent_at'])):%Y-%m-%d %H:%M}"
    assert result.stderr == f"Notice {sent['id']} was sent at {at} UTC; a sent notice cannot be cancelled.\n"
    assert state_of(cpl, sent["id"]) == "sent"


def test_a_notice_cancelled_once_cannot_be_cancelled_again(cpl: CplRun, world: World, smtp: SmtpServer) -> None:
    queued = refused_notice(cpl, world, smtp)
    cpl("notices", "cancel", str(queued["id"]), "--by", "alice", "--reason", "no such mailbox")
    again = cpl("notices", "cancel", str(queued["id"]), "--by", "secas", "--reason", "again", expect=1)
    assert again.stderr == f"Notice {queued['id']} was already cancelled by alice (no such mailbox).\n"
    (event,) = [e for e in cpl.json("audit", "list")["events"] if e["action"] == "notice.cancel"]
    assert event["actor"] == "alice"


def test_a_notice_a_deliverer_is_sending_cannot_be_cancelled(cpl: CplRun, world: World, smtp: SmtpServer) -> None:
    queued = refused_notice(cpl, world, smtp)
    engine = get_engine(world.url)
    with Session(engine) as s:  # a deliverer's claim, as `mailer._claim` takes it
        assert mailer._claim(s, int(str(queued["id"])), dt.datetime.now(dt.UTC))
    result = cpl("notices", "cancel", str(queued["id"]), "--by", "alice", "--reason", "no such mailbox", expect=1)
    assert result.stderr.startswith(f"Notice {queued['id']} is being sent right now; nothing was cancelled")
    assert state_of(cpl, queued["id"]) == "sending"
    assert [e for e in cpl.json("audit", "list")["events"] if e["action"] == "notice.cancel"] == []


def test_a_deliverer_never_claims_a_cancelled_notice(cpl: CplRun, world: World, smtp: SmtpServer) -> None:
    queued = refused_notice(cpl, world, smtp)
    notice_id = int(str(queued["id"]))
    cpl("notices", "cancel", str(notice_id), "--by", "alice", "--reason", "no such mailbox")
    engine = get_engine(world.url)
    with Session(engine) as s:
        assert not mailer._claim(s, notice_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        assert mailer.owed(s) == []
    report = mailer.deliver_queued(engine, mail_settings(), ids=[notice_id])
    assert report.sent == [] and report.failures == [] and smtp.messages == []
    with Session(engine) as s:
        stored = s.get(SentNotice, notice_id)
        assert stored is not None and (stored.state, stored.attempts) == ("cancelled", 1)


def test_only_a_secas_user_may_cancel_and_must_say_why(cpl: CplRun, world: World, smtp: SmtpServer) -> None:
    queued = refused_notice(cpl, world, smtp)
    notice = str(queued["id"])
    refused = cpl("notices", "cancel", notice, "--by", "acme-meters", "--reason", "mine", expect=1)
    assert refused.stderr == "acme-meters belongs to acme-meters (manufacturer); only a secas user may do this.\n"
    blank = cpl("notices", "cancel", notice, "--by", "alice", "--reason", "  ", expect=2)
    assert blank.stderr == "Say why the notice is cancelled (--reason TEXT).\n"
    assert "--reason" in cpl("notices", "cancel", notice, "--by", "alice", expect=2).stderr
    unknown = cpl("notices", "cancel", "999", "--by", "alice", "--reason", "x", expect=2)
    assert unknown.stderr == "There is no notice 999; 'cpl notices list' shows them.\n"
    assert state_of(cpl, queued["id"]) == "queued"


# --- the row lock, on PostgreSQL ------------------------------------------------------------------


def queued_notice(world: World) -> int:
    with unit(world.url) as s:
        mailer.deliver_myself(s)  # queued, not delivered
        party = s.get(Party, "acme-meters")
        assert party is not None
        (row,) = mailer.queue(
            s, notices.Notice("cpl-published", "extract:9", "CPL version 9 published", "x"), [party], NOW
        )
        assert row.id is not None
        return row.id


@pytest.mark.postgres
def test_on_postgresql_a_claim_waits_for_a_cancellation_holding_the_row_and_then_takes_nothing(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    world = build_world(tmp_path, postgres_server.create_database())
    notice_id = queued_notice(world)
    engine = get_engine(world.url)
    claimed: list[bool] = []

    def deliverer() -> None:
        with Session(engine) as s:
            claimed.append(mailer._claim(s, notice_id, dt.datetime.now(dt.UTC)))

    with Session(engine) as canceller:
        notice_service.cancel_notice(canceller, notice_id, "alice", "no such mailbox", NOW)  # row locked
        thread = threading.Thread(target=deliverer)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive() and claimed == []  # the claim waits on the cancellation's lock
        canceller.commit()
    thread.join(timeout=30)
    assert claimed == [False]
    with Session(engine) as s:
        stored = s.get(SentNotice, notice_id)
        assert stored is not None and (stored.state, stored.attempts) == ("cancelled", 0)


@pytest.mark.postgres
def test_on_postgresql_a_cancellation_waits_for_a_claim_holding_the_row_and_then_refuses(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    world = build_world(tmp_path, postgres_server.create_database())
    notice_id = queued_notice(world)
    engine = get_engine(world.url)
    refusals: list[str] = []

    def canceller() -> None:
        with Session(engine) as s:
            try:
                notice_service.cancel_notice(s, notice_id, "alice", "no such mailbox", NOW)
                s.commit()
            except errors.NoticeStateError as refusal:
                refusals.append(str(refusal))

    with Session(engine) as deliverer:
        deliverer.exec(  # the claim's UPDATE, not yet committed
            update(SentNotice).where(col(SentNotice.id) == notice_id).values(state="sending", claimed_at=NOW)
        )
        thread = threading.Thread(target=canceller)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive() and refusals == []
        deliverer.commit()
    thread.join(timeout=30)
    assert len(refusals) == 1 and "is being sent right now" in refusals[0]
