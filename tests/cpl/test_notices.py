"""Notices by email: a real SMTP server (aiosmtpd), the .eml outbox, once-only, failures never recorded as sent."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session, col, select

from cpl import mailer
from cpl.config import DEFAULT_MAIL_FROM
from cpl.config import Settings as CplSettings
from cpl.core import errors, notices
from cpl.services import extracts as extract_service
from cpl.services import submissions as submission_service
from cpl.store import Party, SentNotice, Submission, get_engine
from tests.cpl.conftest import CplRun, mail_settings, unit
from tests.cpl.test_publication import NOW, add_entry, dcc_receipt, issue, populate

ACME_MAIL = "cpl@acme.example"
PARSER = email.parser.BytesParser(policy=email.policy.default)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse(data: bytes) -> EmailMessage:
    message = PARSER.parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage) -> str:
    part = message.get_body()
    assert part is not None
    return " ".join(str(part.get_content()).split())  # the text, whatever its line wrapping


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every message and refuses recipients whose address says so."""

    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if "refuse" in address:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parse(envelope.content)))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"secas", b"s3cret/pass")
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@dataclass
class SmtpServer:
    collector: Collector
    port: int

    @property
    def messages(self) -> list[Received]:
        return self.collector.received


def start(collector: Collector, **options: Any) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, port


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 and a free port; ``CPL_SMTP_URL`` points at it."""
    collector = Collector()
    controller, port = start(collector)
    monkeypatch.setenv("CPL_SMTP_URL", f"smtp://127.0.0.1:{port}")
    try:
        yield SmtpServer(collector, port)
    finally:
        controller.stop()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database with parties (four with email addresses, northwind without), an outbox in tmp."""
    monkeypatch.delenv("CPL_SMTP_URL", raising=False)
    monkeypatch.delenv("CPL_MAIL_FROM", raising=False)
    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    database = f"sqlite:///{tmp_path / 'cpl.db'}"
    with unit(database) as s:
        populate(s)
        s.add(open_submission(2, "acme-meters"))
    return database


def open_submission(number: int, party: str) -> Submission:
    return Submission(
        id=number,
        party_id=party,
        submitted_by=party,
        submitted_at=NOW,
        filename=f"{party}-{number}.xlsx",
        workbook=b"x",
        workbook_sha256="0" * 64,
        checked_as_of=NOW.date(),
        findings_json="[]",
        state="open",
    )


def rows(database: str) -> list[SentNotice]:
    with Session(get_engine(database)) as s:
        return list(s.exec(select(SentNotice).order_by(col(SentNotice.id))).all())


def outbox(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "outbox").glob("*.eml"))


# --- over SMTP ------------------------------------------------------------------------------------


def test_a_rejection_is_mailed_to_the_submitting_party_once_the_change_commits(
    url: str, smtp_server: SmtpServer
) -> None:
    with unit(url) as s:
        submission_service.reject(s, 2, "alice", "The CPA certificate does not cover hardware 00AD.", NOW)
        assert smtp_server.messages == []  # nothing leaves before the rejection is committed
    (received,) = smtp_server.messages
    assert received.rcpt_tos == [ACME_MAIL] and received.mail_from == DEFAULT_MAIL_FROM
    message = received.message
    assert message["To"] == ACME_MAIL and message["Subject"] == "CPL submission 2 rejected"
    assert "does not cover hardware 00AD" in body(message) and message["Auto-Submitted"] == "auto-generated"
    (row,) = rows(url)
    assert (row.kind, row.subject_ref, row.party_id, row.state) == (
        "submission-outcome",
        "submission:2",
        "acme-meters",
        "sent",
    )
    assert row.transport == "smtp" and row.sent_at is not None and row.message_id == message["Message-ID"]


def test_an_approval_lists_the_entry_ids(url: str, smtp_server: SmtpServer) -> None:
    with unit(url) as s:
        submission = s.get(Submission, 2)
        assert submission is not None
        submission.state, submission.decided_at = "approved", NOW
        mailer.queue_submission_outcome(s, submission, NOW, ["CPL-000007", "CPL-000008"])
    (received,) = smtp_server.messages
    assert received.message["Subject"] == "CPL submission 2 approved"
    assert "CPL-000007" in body(received.message) and "CPL-000008" in body(received.message)


def test_the_dcc_loading_a_version_is_mailed_to_every_party_with_an_address(url: str, smtp_server: SmtpServer) -> None:
    with unit(url) as s:
        add_entry(s, "4331")
        issued = issue(s)
    with unit(url) as s:
        extract_service.import_receipt(
            s, dcc_receipt(issued), NOW + dt.timedelta(hours=3), CplSettings().receipt_trust()
        )
    recipients = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert recipients == ["cpl@acme.example", "cpl@dcc.example", "cpl@secas.example", "metering@bright.example"]
    message = smtp_server.messages[0].message
    assert message["Subject"] == "CPL version 1 loaded by the DCC"
    text = body(message)
    assert "applied: 2026-11-23 11:00 UTC" in text
    assert "devices suspended: 12" in text and "devices restored: 3" in text


def test_smtp_login_with_credentials_from_the_url(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    collector = Collector()
    controller, port = start(collector, authenticator=collector.authenticate, auth_require_tls=False)
    try:
        monkeypatch.setenv("CPL_SMTP_URL", f"smtp://secas:s3cret%2Fpass@127.0.0.1:{port}")
        with unit(url) as s:
            submission_service.reject(s, 2, "alice", "no", NOW)
        assert collector.logins == ["secas"] and len(collector.received) == 1
        monkeypatch.setenv("CPL_SMTP_URL", f"smtp://secas:wrong@127.0.0.1:{port}")
        with unit(url) as s:
            s.add(open_submission(3, "acme-meters"))
        with unit(url) as s:
            submission_service.reject(s, 3, "alice", "no", NOW)
        report = mailer.deliver_queued(get_engine(url), mail_settings())
        assert report.sent == [] and "refused the login for secas" in report.failures[0]
    finally:
        controller.stop()


def test_a_refused_recipient_is_not_recorded_as_sent_and_the_others_still_go(url: str, smtp_server: SmtpServer) -> None:
    with unit(url) as s:
        party = s.get(Party, "bright-energy")
        assert party is not None
        party.email = "refuse-me@bright.example"
        s.add(party)
    with unit(url) as s:
        mailer.deliver_myself(s)
        mailer.queue(
            s,
            notices.Notice("cpl-published", "extract:9", "CPL version 9 published", "text"),
            mailer.parties_with_email(s),
            NOW,
        )
    report = mailer.deliver_queued(get_engine(url), mail_settings())
    assert len(report.sent) == 3 and len(smtp_server.messages) == 3
    (failure,) = report.failures
    assert failure == (
        f"The mail server at 127.0.0.1:{smtp_server.port} refused the notice to refuse-me@bright.example "
        "(550 5.1.1 No such mailbox here)."
    )
    refused = next(r for r in rows(url) if r.party_id == "bright-energy")
    assert refused.state == "queued" and refused.sent_at is None and refused.transport is None
    assert refused.attempts == 1 and refused.last_error == failure


def test_an_unreachable_server_leaves_notices_queued_until_it_is_back(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens here yet
    monkeypatch.setenv("CPL_SMTP_URL", f"smtp://127.0.0.1:{port}")
    with unit(url) as s:
        submission_service.reject(s, 2, "alice", "no", NOW)  # the rejection commits; the mail cannot go
    (row,) = rows(url)
    assert row.state == "queued" and row.sent_at is None
    assert row.last_error == f"The mail server at 127.0.0.1:{port} cannot be reached (Connection refused)."
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report = mailer.deliver_queued(get_engine(url), mail_settings())
        again = mailer.deliver_queued(get_engine(url), mail_settings())
    finally:
        controller.stop()
    assert len(report.sent) == 1 and again.sent == [] and len(collector.received) == 1
    assert rows(url)[0].state == "sent"


def test_a_rolled_back_change_sends_nothing(url: str, smtp_server: SmtpServer) -> None:
    with pytest.raises(RuntimeError), unit(url) as s:
        submission_service.reject(s, 2, "alice", "no", NOW)
        raise RuntimeError("something later in the same unit of work failed")
    assert smtp_server.messages == [] and rows(url) == []


def test_an_address_that_could_add_headers_is_never_used(url: str, smtp_server: SmtpServer) -> None:
    with unit(url) as s:
        party = s.get(Party, "acme-meters")
        assert party is not None
        party.email = "cpl@acme.example\r\nBcc: everyone@evil.example"
        s.add(party)
    with unit(url) as s:
        submission_service.reject(s, 2, "alice", "no", NOW)
    assert smtp_server.messages == [] and rows(url)[0].state == "queued"
    assert "no usable email address" in (rows(url)[0].last_error or "")


# --- the outbox ------------------------------------------------------------------------------------


def test_without_smtp_each_message_is_an_eml_file_that_parses_back(url: str, tmp_path: Path) -> None:
    with unit(url) as s:
        submission_service.reject(s, 2, "alice", "Missing release notes.", NOW)
    (path,) = outbox(tmp_path)
    assert path.name.endswith("-submission-outcome.eml")
    message = parse(path.read_bytes())
    assert message["From"] == "cpl@secas.example" and message["To"] == ACME_MAIL
    assert message["Subject"] == "CPL submission 2 rejected" and "Missing release notes." in body(message)
    assert message["Message-ID"] == rows(url)[0].message_id
    assert rows(url)[0].transport == f"outbox:{path}"
    assert b"\r\n" in path.read_bytes()  # RFC 5322 line endings


def test_outbox_files_sort_in_the_order_they_were_written(url: str, tmp_path: Path) -> None:
    for number in (3, 4, 5):
        with unit(url) as s:
            s.add(open_submission(number, "acme-meters"))
        with unit(url) as s:
            submission_service.reject(s, number, "alice", f"note {number}", NOW)
    subjects = [parse(p.read_bytes())["Subject"] for p in outbox(tmp_path)]
    assert subjects == [f"CPL submission {n} rejected" for n in (3, 4, 5)]


def test_the_from_address_comes_from_cpl_mail_from(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPL_MAIL_FROM", "notices@cpl.secas.example")
    with unit(url) as s:
        submission_service.reject(s, 2, "alice", "no", NOW)
    message = parse(outbox(tmp_path)[0].read_bytes())
    assert message["From"] == "notices@cpl.secas.example"
    assert message["Message-ID"].endswith("@cpl.secas.example>")


# --- once only --------------------------------------------------------------------------------------


def test_a_notice_is_queued_once_per_kind_subject_and_party(url: str, tmp_path: Path) -> None:
    notice = notices.Notice("cpl-published", "extract:1", "CPL version 1 published", "text")
    for _ in range(3):
        with unit(url) as s:
            mailer.queue(s, notice, mailer.parties_with_email(s), NOW)
    assert len(rows(url)) == 4 and len(outbox(tmp_path)) == 4
    # The database itself refuses a second one; the unit of work names it, and keeps nothing.
    with pytest.raises(errors.ConcurrentChangeError), unit(url) as s:
        first = rows(url)[0]
        s.add(
            SentNotice(
                kind=first.kind,
                subject_ref=first.subject_ref,
                party_id=first.party_id,
                recipient="x@y.example",
                subject="s",
                body="b",
                message_id="<m@x>",
                queued_at=NOW,
            )
        )


def test_a_notice_another_deliverer_has_claimed_is_not_sent_twice(url: str, tmp_path: Path) -> None:
    with unit(url) as s:
        mailer.deliver_myself(s)
        submission_service.reject(s, 2, "alice", "no", NOW)
    with unit(url) as s:
        row = s.exec(select(SentNotice)).one()
        row.state, row.claimed_at = "sending", dt.datetime.now(dt.UTC)
        s.add(row)
    assert mailer.deliver_queued(get_engine(url), mail_settings()).sent == [] and outbox(tmp_path) == []
    with unit(url) as s:  # a claim abandoned long ago (the deliverer died) is taken over
        row = s.exec(select(SentNotice)).one()
        row.claimed_at = dt.datetime.now(dt.UTC) - mailer.STALE_CLAIM - dt.timedelta(minutes=1)
        s.add(row)
    assert len(mailer.deliver_queued(get_engine(url), mail_settings()).sent) == 1 and len(outbox(tmp_path)) == 1


# --- configuration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp://mail.example", mailer.SmtpSettings("mail.example", 25, "plain")),
        ("smtp://mail.example:2525", mailer.SmtpSettings("mail.example", 2525, "plain")),
        (
            "smtp+starttls://u%40x:p%3Aw@mail.example",
            mailer.SmtpSettings("mail.example", 587, "starttls", "u@x", "p:w"),
        ),
        ("smtps://mail.example", mailer.SmtpSettings("mail.example", 465, "tls")),
    ],
)
def test_smtp_url_forms(text: str, expected: mailer.SmtpSettings) -> None:
    assert mailer.parse_smtp_url(text) == expected


@pytest.mark.parametrize("text", ["http://mail.example", "mail.example:25", "smtp://", "smtp://host:notaport"])
def test_an_unusable_smtp_url_is_one_sentence(text: str) -> None:
    with pytest.raises(mailer.MailConfigurationError) as refused:
        mailer.parse_smtp_url(text)
    assert str(refused.value).startswith("CPL_SMTP_URL") and refused.value.exit_code == 2


def test_the_password_is_not_shown_in_settings() -> None:
    assert "hunter2" not in repr(mailer.parse_smtp_url("smtp://u:hunter2@mail.example"))


# --- the command line --------------------------------------------------------------------------------


def test_cli_notices_send_with_the_server_down_exits_1_without_traceback(cpl: CplRun) -> None:
    with unit(cpl.env["CPL_DATABASE_URL"]) as s:
        mailer.deliver_myself(s)
        populate(s)
        s.add(open_submission(2, "acme-meters"))
        s.flush()
        submission_service.reject(s, 2, "alice", "no", NOW)
    cpl.env["CPL_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    result = cpl("notices", "send", expect=1)
    assert "cannot be reached" in result.stderr and "stays queued" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    (listed,) = cpl.json("notices", "list", "--state", "queued")["notices"]
    assert listed["sent_at"] is None and "cannot be reached" in listed["last_error"]
    cpl.env["CPL_SMTP_URL"] = "ftp://nowhere"
    assert "CPL_SMTP_URL must start smtp://" in cpl("notices", "send", expect=2).stderr
    del cpl.env["CPL_SMTP_URL"]
    assert cpl.json("notices", "send")["sent"] == {"submission-outcome": 1}
    assert [n["state"] for n in cpl.json("notices", "list")["notices"]] == ["sent"]
    assert "--state takes" in cpl("notices", "list", "--state", "lost", expect=2).stderr


def test_cli_reject_with_the_server_down_still_rejects_and_says_the_notice_waits(cpl: CplRun) -> None:
    with unit(cpl.env["CPL_DATABASE_URL"]) as s:
        populate(s)
        s.add(open_submission(2, "acme-meters"))
    cpl.env["CPL_SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    result = cpl("reject", "2", "--by", "alice", "--note", "no")
    assert "Submission 2 rejected." in result.stdout
    assert result.stderr.strip().endswith(
        "cannot be reached (Connection refused); it stays queued for 'cpl notices send'."
    )
    assert [n["state"] for n in cpl.json("notices", "list")["notices"]] == ["queued"]
