"""Notices to parties by email: queued with the change they report, then delivered once.

What each notice says is composed in `cpl.core.notices`; this module keeps and sends it.

A notice is *queued* as a ``SentNotice`` row in the same transaction as the change it reports, so
it exists exactly when the change commits, and its unique key (kind, subject, party) makes queueing
idempotent. Delivery happens after commit, outside any lifecycle transaction: each notice is
claimed, sent, and marked sent in its own short transaction, so a failed send is never recorded
as sent and a crash can at worst repeat the one message in flight. A notice that cannot be delivered
(a mailbox that refuses it) can be cancelled (``cpl.services.notices.cancel_notice``): it is then
never claimed, never sent, and never queued again, since its row keeps the key. Delivery is:

- SMTP when ``MailSettings.smtp_url`` (``CPL_SMTP_URL``) is set: ``smtp://[user:password@]host[:port]``
  (plain, port 25), ``smtp+starttls://...`` (port 587) or ``smtps://...`` (implicit TLS, port 465);
- otherwise one ``.eml`` file per message in ``outbox_dir`` (``CPL_OUTBOX_DIR``, default
  ``var/outbox``), with a name that sorts by the time it was written.

The From address is ``mail_from`` (``CPL_MAIL_FROM``, default ``cpl@secas.example``). The settings
travel with the unit of work: ``cpl.store.session_scope`` puts them on the session it opens, so a
notice queued deep inside a lifecycle call is delivered, after commit, the way the caller configured.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import and_, event, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from cpl.config import MailSettings
from cpl.core import errors
from cpl.core.notices import Notice, dcc_loaded_notice, message_id, submission_outcome_notice
from cpl.store import Party, Receipt, SentNotice, Submission, utcnow

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30.0
#: A notice claimed for sending this long ago by a deliverer that never finished is retried.
STALE_CLAIM = dt.timedelta(minutes=10)


class NoticeState:
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    #: Given up on (``cpl notices cancel``): never claimed, never sent, never queued again.
    CANCELLED = "cancelled"

    ALL = (QUEUED, SENDING, SENT, CANCELLED)


# --- errors ----------------------------------------------------------------------------------------


class NoticeError(errors.CplError):
    """A notice could not be delivered; it stays queued."""


class MailConfigurationError(NoticeError):
    """``CPL_SMTP_URL`` or ``CPL_MAIL_FROM`` is not usable."""

    exit_code = 2


class MailServerError(NoticeError):
    """The mail server cannot be reached or refuses every message: stop trying for this run."""


class MessageRefusedError(NoticeError):
    """This one message was refused (its recipient, its content); others may still go."""


class OutboxError(MailServerError):
    """The outbox directory cannot be written."""


# --- configuration ---------------------------------------------------------------------------------


def mail_from(settings: MailSettings) -> str:
    sender = settings.mail_from
    if not usable_address(sender):
        raise MailConfigurationError(f"CPL_MAIL_FROM {sender!r} is not an email address like cpl@secas.example.")
    return sender


def usable_address(text: str) -> bool:
    """A single plain address (``name@domain``): nothing that could add a header or a recipient."""
    try:
        address = Address(addr_spec=text)
    except Exception:  # the parser raises HeaderParseError, ValueError and header defects, all Exceptions
        return False
    return bool(address.username and address.domain) and address.addr_spec == text


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "plain" | "starttls" | "tls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


def _redacted(url: str) -> str:
    """The URL with anything between '//' and '@' (user and password) replaced, for messages and logs."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return "not a URL"
    return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else f"{scheme}://{rest}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://[user:password@]host[:port]``, ``smtp+starttls://...`` or ``smtps://...``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        # Never echo the URL: it may carry a password.
        raise MailConfigurationError(f"CPL_SMTP_URL is not a URL like smtp://host:25 ({_redacted(url)}).") from None
    if parts.scheme not in _SCHEMES:
        raise MailConfigurationError(
            f"CPL_SMTP_URL must start smtp://, smtp+starttls:// or smtps:// (got {parts.scheme or 'no scheme'}://)."
        )
    if not parts.hostname:
        raise MailConfigurationError(f"CPL_SMTP_URL {parts.scheme}://... names no host.")
    security, default_port = _SCHEMES[parts.scheme]
    return SmtpSettings(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


# --- transports ------------------------------------------------------------------------------------


class Transport(Protocol):
    def send(self, message: EmailMessage, *, notice_id: int, kind: str, at: dt.datetime) -> str:
        """Deliver one message; return where it went (``smtp`` or ``outbox:PATH``) or raise a NoticeError."""
        ...

    def close(self) -> None: ...


def _reason(problem: BaseException) -> str:
    if isinstance(problem, smtplib.SMTPResponseException):
        text = problem.smtp_error.decode("utf-8", "replace") if isinstance(problem.smtp_error, bytes) else ""
        return f"{problem.smtp_code} {' '.join(text.split())}".strip()
    if isinstance(problem, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {' '.join(message.decode('utf-8', 'replace').split())}"
            for code, message in problem.recipients.values()
        )
    if isinstance(problem, OSError) and problem.strerror:
        return problem.strerror
    return str(problem) or type(problem).__name__


class SmtpTransport:
    """One connection for a batch of messages, opened on the first and reopened after an error."""

    def __init__(self, settings: SmtpSettings, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.timeout = timeout
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            client: smtplib.SMTP
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            try:
                client.ehlo()
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if s.username is not None:
                    client.login(s.username, s.password or "")
            except BaseException:
                with suppress(Exception):
                    client.close()
                raise
        except smtplib.SMTPAuthenticationError as problem:
            raise MailServerError(
                f"The mail server at {s.where} refused the login for {s.username} ({_reason(problem)})."
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailServerError(f"The mail server at {s.where} does not offer {s.security.upper()}.") from None
        except (smtplib.SMTPException, OSError) as problem:
            raise MailServerError(f"The mail server at {s.where} cannot be reached ({_reason(problem)}).") from None
        return client

    def send(self, message: EmailMessage, *, notice_id: int, kind: str, at: dt.datetime) -> str:
        if self._client is None:
            self._client = self._connect()
        where, to = self.settings.where, message["To"]
        try:
            self._client.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as problem:
            self.close()
            raise MessageRefusedError(
                f"The mail server at {where} refused the notice to {to} ({_reason(problem)})."
            ) from None
        except smtplib.SMTPSenderRefused as problem:
            self.close()
            raise MailServerError(
                f"The mail server at {where} refused the sender {message['From']} ({_reason(problem)})."
            ) from None
        except (smtplib.SMTPException, OSError) as problem:
            self.close()
            raise MailServerError(
                f"The mail server at {where} failed while sending the notice to {to} ({_reason(problem)})."
            ) from None
        return "smtp"

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                with suppress(Exception):
                    client.close()


class OutboxTransport:
    """Each message as an ``.eml`` file (RFC 5322, CRLF), named to sort by when it was written."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage, *, notice_id: int, kind: str, at: dt.datetime) -> str:
        moment = at.astimezone(dt.UTC) if at.tzinfo else at
        path = self.directory / f"{moment:%Y%m%dT%H%M%S%fZ}-{notice_id:08d}-{kind}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.directory, suffix=".tmp", delete=False) as partial:
                BytesGenerator(partial, policy=SMTP_POLICY).flatten(message)
            os.replace(partial.name, path)  # a reader never sees half a message
        except OSError as problem:
            raise OutboxError(f"The outbox {self.directory} cannot be written ({_reason(problem)}).") from None
        return f"outbox:{path}"

    def close(self) -> None:
        pass


def transport_for(settings: MailSettings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(parse_smtp_url(settings.smtp_url))
    return OutboxTransport(settings.outbox_dir)


_MAIL_SETTINGS = "cpl_mail_settings"


def mail_settings_of(session: Session) -> MailSettings:
    """The mail settings of the unit of work ``session`` belongs to (the defaults if it was opened without)."""
    settings = session.info.get(_MAIL_SETTINGS)
    return settings if isinstance(settings, MailSettings) else MailSettings()


def attach(session: Session, settings: MailSettings) -> None:
    """Deliver what ``session`` queues with ``settings`` (``cpl.store.session_scope`` calls this)."""
    session.info[_MAIL_SETTINGS] = settings


def build_message(notice: SentNotice, recipient: str, sender: str, at: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = notice.subject
    message["Date"] = email.utils.format_datetime(at if at.tzinfo else at.replace(tzinfo=dt.UTC))
    message["Message-ID"] = notice.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    message["X-CPL-Notice"] = f"{notice.kind} {notice.subject_ref}"
    message.set_content(notice.body)
    return message


# --- queueing (in the caller's transaction) --------------------------------------------------------


def queue(session: Session, notice: Notice, parties: Iterable[Party], now: dt.datetime) -> list[SentNotice]:
    """Queue ``notice`` for each party with an email address that does not already have it.

    In the caller's transaction: the notice exists exactly when the change it reports commits, and
    is delivered after that commit (see ``deliver_after_commit``).
    """
    settings = mail_settings_of(session)
    sender = settings.mail_from  # checked when delivered
    queued: list[SentNotice] = []
    for party in parties:
        if not party.email:
            continue
        existing = session.exec(
            select(SentNotice.id).where(
                SentNotice.kind == notice.kind,
                SentNotice.subject_ref == notice.subject_ref,
                SentNotice.party_id == party.party_id,
            )
        ).first()
        if existing is not None:
            continue
        row = SentNotice(
            kind=notice.kind,
            subject_ref=notice.subject_ref,
            party_id=party.party_id,
            recipient=party.email,
            subject=notice.subject,
            body=notice.body,
            message_id=message_id(notice.kind, notice.subject_ref, party.party_id, sender),
            queued_at=now,
        )
        session.add(row)
        queued.append(row)
    if queued:
        session.flush()
        deliver_after_commit(session, settings)
    return queued


def parties_with_email(session: Session) -> list[Party]:
    return list(session.exec(select(Party).where(col(Party.email).is_not(None)).order_by(col(Party.party_id))).all())


def parties_without_email(session: Session, party_ids: Iterable[str] | None = None) -> list[str]:
    """The parties (of ``party_ids``, or all) that a notice cannot reach, having no email address."""
    query = select(Party.party_id).where(or_(col(Party.email).is_(None), col(Party.email) == ""))
    if party_ids is not None:
        query = query.where(col(Party.party_id).in_(list(party_ids)))
    return list(session.exec(query.order_by(col(Party.party_id))).all())


def not_told_sentence(party_ids: Sequence[str], what: str) -> str:
    """One sentence naming the parties a notice did not reach, and how to give them an address."""
    names = ", ".join(party_ids)
    return (
        f"Not told of {what}, having no email address: {names} (add one with cpl parties update PARTY --email ADDRESS)."
    )


def queue_submission_outcome(
    session: Session, submission: Submission, now: dt.datetime, entry_ids: Sequence[str] = ()
) -> list[SentNotice]:
    """Hook for ``cpl.services.submissions.approve`` / ``reject``: tell the submitting party the outcome."""
    party = session.get(Party, submission.party_id)
    if party is None:
        return []
    notice = submission_outcome_notice(
        submission_id=submission.id or 0,
        filename=submission.filename,
        approved=submission.state == "approved",
        entry_ids=entry_ids,
        note=submission.decision_note,
        decided_at=submission.decided_at or now,
    )
    return queue(session, notice, [party], now)


def queue_dcc_loaded(session: Session, receipt: Receipt, now: dt.datetime) -> list[SentNotice]:
    """Hook for ``cpl.services.extracts.import_receipt``: tell every party the DCC has loaded that version."""
    summary: dict[str, Any] = json.loads(receipt.summary_json)
    received = summary.get("received_at")
    notice = dcc_loaded_notice(
        sequence=receipt.sequence,
        received_at=dt.datetime.fromisoformat(received.replace("Z", "+00:00")) if isinstance(received, str) else None,
        applied_at=receipt.applied_at,
        devices_suspended=int(summary.get("devices_suspended", 0)),
        devices_restored=int(summary.get("devices_restored", 0)),
    )
    return queue(session, notice, parties_with_email(session), now)


# --- delivery (after commit, one short transaction per notice) -------------------------------------


@dataclass
class DeliveryReport:
    sent: list[SentNotice] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def sent_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for notice in self.sent:
            counts[notice.kind] = counts.get(notice.kind, 0) + 1
        return counts


def _claim(session: Session, notice_id: int, now: dt.datetime) -> bool:
    """Take a queued (or abandoned) notice for sending; False if another deliverer has it or it is sent."""
    claimable = or_(
        col(SentNotice.state) == NoticeState.QUEUED,
        and_(col(SentNotice.state) == NoticeState.SENDING, col(SentNotice.claimed_at) < now - STALE_CLAIM),
    )
    result = session.exec(
        update(SentNotice)
        .where(col(SentNotice.id) == notice_id, claimable)
        .values(state=NoticeState.SENDING, claimed_at=now, attempts=col(SentNotice.attempts) + 1)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def _release(session: Session, notice: SentNotice, problem: str) -> None:
    notice.state, notice.claimed_at, notice.last_error = NoticeState.QUEUED, None, problem
    session.add(notice)
    session.commit()


def owed(session: Session, ids: Collection[int] | None = None) -> list[int]:
    """Notices still to send: queued, or claimed by a deliverer (``_claim`` takes those only once stale)."""
    query = (
        select(SentNotice.id)
        .where(col(SentNotice.state).in_([NoticeState.QUEUED, NoticeState.SENDING]))
        .order_by(col(SentNotice.id))
    )
    if ids is not None:
        query = query.where(col(SentNotice.id).in_(list(ids)))
    return [i for i in session.exec(query).all() if i is not None]


def deliver_queued(
    engine: Engine,
    settings: MailSettings,
    *,
    ids: Collection[int] | None = None,
    transport: Transport | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> DeliveryReport:
    """Send every queued notice (or those of ``ids``); stop at the first server-wide failure.

    A notice is marked sent only once the transport has taken it. A refused message stays queued
    with the reason; the next delivery (``cpl notices send``, or the next job) tries it again.
    """
    report = DeliveryReport()
    with Session(engine, expire_on_commit=False) as session:
        pending = owed(session, ids)
        session.commit()
        if not pending:
            return report
        sender = mail_from(settings)
        carrier = transport or transport_for(settings)
        try:
            for notice_id in pending:
                now = clock()
                if not _claim(session, notice_id, now):
                    continue
                notice = session.get(SentNotice, notice_id)
                assert notice is not None
                party = session.get(Party, notice.party_id)
                recipient = (party.email or "").strip() if party is not None else ""
                if not usable_address(recipient):
                    problem = (
                        f"Party {notice.party_id} has no usable email address ({recipient!r}), so the notice "
                        f"{notice.subject!r} cannot be sent."
                    )
                    _release(session, notice, problem)
                    report.failures.append(problem)
                    continue
                try:
                    where = carrier.send(
                        build_message(notice, recipient, sender, now), notice_id=notice_id, kind=notice.kind, at=now
                    )
                except MessageRefusedError as refusal:
                    _release(session, notice, str(refusal))
                    report.failures.append(str(refusal))
                    continue
                except NoticeError as failure:
                    _release(session, notice, str(failure))
                    report.failures.append(str(failure))
                    break
                notice.state, notice.sent_at, notice.transport = NoticeState.SENT, now, where
                notice.recipient, notice.last_error = recipient, None
                session.add(notice)
                session.commit()
                report.sent.append(notice)
        finally:
            carrier.close()
    return report


_DELIVERY_ARRANGED = "cpl_notices_delivery_arranged"


def deliver_after_commit(session: Session, settings: MailSettings) -> None:
    """Once ``session`` commits, deliver what it queued; a failure leaves the notices queued and says so.

    The change the notices report has committed by then, so nothing here may raise into the caller.
    """
    if session.info.get(_DELIVERY_ARRANGED):
        return
    session.info[_DELIVERY_ARRANGED] = True
    engine = session.get_bind()

    def deliver(committed: Session) -> None:
        committed.info.pop(_DELIVERY_ARRANGED, None)
        try:
            report = deliver_queued(engine.engine, settings)  # the engine, whether bound to an Engine or a Connection
        except (NoticeError, SQLAlchemyError) as problem:
            log.warning("%s; the notices stay queued for 'cpl notices send'.", str(problem).rstrip("."))
            return
        for failure in report.failures:
            log.warning("%s; it stays queued for 'cpl notices send'.", failure.rstrip("."))

    def forget(rolled_back: Session, _transaction: Any) -> None:
        rolled_back.info.pop(_DELIVERY_ARRANGED, None)

    event.listen(session, "after_commit", deliver, once=True)
    event.listen(session, "after_soft_rollback", forget, once=True)


def deliver_myself(session: Session) -> None:
    """Queue on ``session`` without delivering on commit: for callers that deliver and report themselves."""
    session.info[_DELIVERY_ARRANGED] = True
