"""The authority's tables (SQLModel) and the database connection.

The database URL comes from the caller's settings (``cpl.config``: SQLite under ./var/ by default,
PostgreSQL through ``CPL_DATABASE_URL``). The SQL stays portable: no backend-specific types or
statements. What needs no SQLAlchemy (the SQLite file, its lock timeout, a read without the ORM) is
``cpl.storage``'s.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVarTuple

from sqlalchemy import Column, LargeBinary, Row, Select, Text, UniqueConstraint, event, func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from cpl.core import errors
from cpl.storage import SQLITE_BUSY_TIMEOUT_MS, Rows, busy_error, create_private_file, firmware_tuple, sqlite_file
from cpl.storage import utcnow as utcnow


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC time: SQLite hands back naive datetimes, and everything is stored in UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class Party(SQLModel, table=True):
    party_id: str = Field(primary_key=True, max_length=60)
    name: str
    role: str = Field(index=True)  # PartyRole
    email: str | None = None
    created_at: dt.datetime


class User(SQLModel, table=True):
    user_id: str = Field(primary_key=True, max_length=60)
    party_id: str = Field(foreign_key="party.party_id", index=True)
    name: str
    created_at: dt.datetime


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="user.user_id", index=True)
    token_sha256: str = Field(unique=True, max_length=64)
    label: str = ""
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class Submission(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    party_id: str = Field(foreign_key="party.party_id", index=True)
    submitted_by: str = Field(foreign_key="user.user_id")
    submitted_at: dt.datetime
    filename: str
    workbook: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    workbook_sha256: str = Field(max_length=64)
    signature: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    signature_sha256: str | None = Field(default=None, max_length=64)
    checked_as_of: dt.date
    findings_json: str = Field(sa_column=Column(Text, nullable=False))
    error_count: int = 0
    warning_count: int = 0
    state: str = Field(index=True)  # SubmissionState
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str | None = None


class SupplierConfirmation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("submission_id", "supplier_party_id", name="uq_confirmation"),)
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    supplier_party_id: str = Field(foreign_key="party.party_id")
    confirmed_by: str = Field(foreign_key="user.user_id")
    confirmed_at: dt.datetime


class Certificate(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("scheme", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    scheme: str
    number: str
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_versions: str  # comma separated, upper-case hex
    issued: dt.date
    expiry: dt.date | None = None
    conditional_date: dt.date | None = None
    conditions_met: bool = False
    renewal_date: dt.date | None = None
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = None
    submission_id: int | None = Field(default=None, foreign_key="submission.id")

    @property
    def firmware_list(self) -> tuple[str, ...]:
        """The firmware versions printed on the certificate (stored comma separated)."""
        return firmware_tuple(self.firmware_versions)


class Entry(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint(
            "physical_device_type",
            "manufacturer_id",
            "model_id",
            "hardware_version",
            "firmware_version",
            "technical_specification",
            "gbcs_version",
            name="uq_entry_identity",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    physical_device_type: str = Field(index=True)
    manufacturer: str
    manufacturer_id: str = Field(index=True)
    model: str
    model_id: str
    hardware_version: str
    firmware_version: str
    release_notes: str
    technical_specification: str
    gbcs_version: str | None = None
    zigbee_certificate: str | None = None
    dlms_certificate: str | None = None
    cpa_certificate: str | None = None
    cpa_expiry: dt.date | None = None
    cpa_conditional_date: dt.date | None = None
    manufacturer_image_hash: str | None = None
    manufacturer_image_creator: str | None = None
    # A lifetime CPA certificate (the SEC's "[R] ") has a renewal date and no expiry; a standard one
    # ("[E] ", or no prefix) its expiry. None when the entry names no CPA certificate.
    cpa_kind: str | None = None  # CpaKind
    cpa_renewal_date: dt.date | None = None
    # The SEC list's own attributes (CONTRACT.md 4.1), published in the SEC layout and the extract.
    cpa_security_characteristics: str | None = None
    dlms_version: str | None = None
    zse_version: str | None = None
    manufacturer_image_descriptor: str | None = None
    submission_type: str
    # Evidence kept for audit, never published in an extract.
    firmware_mapping_evidence: str | None = None
    confirming_supplier: str | None = None
    compliance_statement: str | None = None
    status: str = Field(index=True)  # EntryStatus
    status_since: dt.date
    panel_reference: str | None = None
    submission_id: int = Field(foreign_key="submission.id")
    submitting_party_id: str = Field(foreign_key="party.party_id", index=True)


class EntryStatusChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    status: str
    since: dt.date
    panel_reference: str | None = None
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


class PanelDecision(SQLModel, table=True):
    reference: str = Field(primary_key=True, max_length=40)
    recorded_by: str
    recorded_at: dt.datetime
    summary: str = ""


class RemovalProposal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    reason: str
    proposed_status: str  # EntryStatus the Panel would set
    proposed_at: dt.datetime
    proposed_by: str
    state: str = Field(default="open", index=True)  # open | decided | dismissed
    panel_reference: str | None = None
    closed_at: dt.datetime | None = None


class ExtractDraft(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sequence: int
    previous_sha256: str | None = None
    issued_at: dt.datetime
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    content_sha256: str = Field(max_length=64)
    changes_json: str = Field(sa_column=Column(Text, nullable=False))
    prepared_by: str = Field(foreign_key="user.user_id")
    prepared_at: dt.datetime
    state: str = Field(default="draft", index=True)  # draft | issued | superseded


class IssuedExtract(SQLModel, table=True):
    sequence: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    draft_id: int = Field(foreign_key="extractdraft.id", unique=True)
    issued_at: dt.datetime
    content_sha256: str = Field(max_length=64, unique=True)
    previous_sha256: str | None = None
    signed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signer_subject: str
    prepared_by: str
    approved_by: str
    approved_at: dt.datetime
    dcc_loaded_at: dt.datetime | None = None


class CplVersion(SQLModel, table=True):
    """A version of the list in the SEC's numbering (the Version Control tab): the history brought in
    by ``cpl import-cpl`` (no ``sequence``) and each version this service issued (its extract's sequence)."""

    version: str = Field(primary_key=True, max_length=20)  # "2.051"
    position: int = Field(unique=True)  # the order of issue, from 1
    issued: dt.date
    changes: str = Field(sa_column=Column(Text, nullable=False))
    sequence: int | None = Field(default=None, unique=True)  # the issued extract, for versions issued here


class ImportedList(SQLModel, table=True):
    """The SEC list as ``cpl import-cpl`` brought it in: the baseline the first extract is compared with,
    so version 2.052 reports what changed since 2.051, not 729 new entries."""

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=20, unique=True)
    workbook_sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # extract-form JSON of the entries
    submission_id: int = Field(foreign_key="submission.id")
    imported_by: str = Field(foreign_key="user.user_id")
    imported_at: dt.datetime


class Receipt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sequence: int = Field(foreign_key="issuedextract.sequence", index=True)
    content_sha256: str = Field(max_length=64)
    applied_at: dt.datetime
    signed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    receipt_sha256: str = Field(max_length=64, unique=True)
    imported_at: dt.datetime
    summary_json: str = Field(sa_column=Column(Text, nullable=False))


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime
    actor: str
    action: str = Field(index=True)
    subject: str
    details_json: str = Field(sa_column=Column(Text, nullable=False))
    previous_hash: str = Field(max_length=64)
    event_hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The audit chain's head: one row, locked and moved by every append in the appender's transaction.

    Appends are serialised on it (PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: every write
    transaction is ``BEGIN IMMEDIATE``), so two writers can never link to the same event, and an
    append reads one row, never the chain.
    """

    id: int = Field(default=1, primary_key=True)
    event_hash: str = Field(max_length=64)
    events: int = 0


class SentNotice(SQLModel, table=True):
    """A notice to a party, queued in the transaction of the change it reports and then delivered.

    ``state`` is queued, sending (claimed by one deliverer), sent, or cancelled (never sent; see
    ``NoticeCancellation``); only a delivered notice has
    ``sent_at`` and ``transport`` (``smtp`` or ``outbox:PATH``). The unique key makes each notice
    idempotent: one per kind, subject and party, however often the job that owes it runs.
    """

    __table_args__ = (UniqueConstraint("kind", "subject_ref", "party_id", name="uq_sent_notice"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=40)  # cpl.core.notices kinds
    subject_ref: str = Field(max_length=120)  # extract:N, submission:N, CPL-000001@2027-01-31
    party_id: str = Field(foreign_key="party.party_id", index=True)
    recipient: str  # the party's address when queued; the address used when sent
    subject: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str
    queued_at: dt.datetime
    state: str = Field(default="queued", index=True)  # queued | sending | sent | cancelled
    claimed_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    sent_at: dt.datetime | None = None
    transport: str | None = None


# What was done to a notice or a proposal besides its state: tables of their own rather than new columns,
# so a store made before them gains them at the next start (``create_all`` adds tables, never columns).


class NoticeCancellation(SQLModel, table=True):
    """Who cancelled a notice that could not be delivered, when and why; its ``SentNotice`` is ``cancelled``."""

    notice_id: int = Field(foreign_key="sentnotice.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    cancelled_by: str = Field(foreign_key="user.user_id")
    cancelled_at: dt.datetime
    reason: str


class ProposalDismissal(SQLModel, table=True):
    """Who dismissed a removal proposal, when and why; its ``RemovalProposal`` is ``dismissed``."""

    proposal_id: int = Field(
        foreign_key="removalproposal.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    dismissed_by: str = Field(foreign_key="user.user_id")
    dismissed_at: dt.datetime
    reason: str


class MissingAddressReport(SQLModel, table=True):
    """A notice owed to a party with no email address, reported once: the expiry job says it the first
    time it is owed and never again (the notice stays owed, and is queued once the party has an address)."""

    __table_args__ = (UniqueConstraint("kind", "subject_ref", "party_id", name="uq_missing_address_report"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # cpl.core.notices kinds
    subject_ref: str = Field(max_length=120)
    party_id: str = Field(foreign_key="party.party_id", index=True)
    reported_at: dt.datetime


_Columns = TypeVarTuple("_Columns")


def column_rows(
    session: Session, query: Select[*_Columns], parameters: Mapping[str, Any] | None = None
) -> Sequence[Row[*_Columns]]:
    """The rows of a query of columns (``sqlalchemy.select(col(...), ...)``, best built once), typed,
    as plain SQL on the session's connection once its pending changes are flushed. For hot paths:
    tuples cost a fraction of records, and SQLModel's ``exec`` types at most four columns."""
    session.flush()
    return session.connection().execute(query, parameters or {}).all()


def text_rows(session: Session) -> Rows:
    """Plain SQL (``cpl.storage.Rows``) on the session's connection, once its pending changes are flushed:
    the queries a read without the ORM makes (``cpl.storage.read_sqlite``), in a unit of work."""

    def rows(sql: str, parameters: Mapping[str, str]) -> Sequence[tuple[Any, ...]]:
        session.flush()
        return session.connection().execute(text(sql), parameters).all()

    return rows


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: SQLAlchemy's "begin" event below opens each one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Every SQLite transaction takes the write lock when it begins (readers are not blocked: WAL).

    A deferred transaction that reads, then writes after another writer committed, would act on what
    it read (or fail with SQLITE_BUSY_SNAPSHOT): state checks hold only if no other writer can commit
    between the check and the write. PostgreSQL gets the same guarantee from row locks.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


_ENGINES: dict[str, Engine] = {}
_READERS: dict[str, Engine] = {}
#: One writer at a time per SQLite file within this process, handed over at once (SQLite's own busy
#: handler sleeps in growing steps, which puts hundreds of milliseconds on a queued writer's p99).
_WRITE_LOCKS: dict[str, threading.Lock] = {}


def read_engine(url: str, *, create: bool = True) -> Engine:
    """For read-only units of work: on SQLite a deferred transaction (WAL readers wait for no writer)."""
    writer = get_engine(url, create=create)
    if writer.dialect.name != "sqlite":
        return writer
    reader = _READERS.get(url)
    if reader is None:
        reader = create_engine(url)
        event.listen(reader, "connect", _sqlite_pragmas)
        event.listen(reader, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
        _READERS[url] = reader
    return reader


def get_engine(url: str, *, create: bool = True) -> Engine:
    """One engine per URL for the process, its tables created on first use; ``create=False`` refuses a
    SQLite file that does not exist instead of creating it."""
    engine = _ENGINES.get(url)
    if engine is None:
        path = sqlite_file(url, create=create)
        if path is not None:
            create_private_file(path)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        try:
            SQLModel.metadata.create_all(engine)
            _ensure_audit_head(engine)
        except OperationalError as problem:
            if _busy(problem):
                raise busy_error() from None
            raise
        _ENGINES[url] = engine
    return engine


def _ensure_audit_head(engine: Engine) -> None:
    """The audit chain's head row exists before any writer needs to lock it (a store from before the
    head row gets one pointing at its last event)."""
    with Session(engine) as session:
        if session.get(AuditHead, 1) is not None:
            return
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
        count = session.exec(select(func.count()).select_from(AuditEvent)).one()
        session.add(AuditHead(id=1, event_hash=last.event_hash if last else "0" * 64, events=count))
        try:
            session.commit()
        except IntegrityError:  # another process made it first: the same row
            session.rollback()


@contextmanager
def session_scope(url: str, *, write: bool = True, create: bool = True) -> Iterator[Session]:
    """One unit of work: committed if the block succeeds, rolled back whole if anything raises.

    A store that is busy (another writer holds the lock past the timeout, a PostgreSQL deadlock or
    serialisation failure) is ``StoreBusyError``; a write that lost a race to another (a unique key
    taken meanwhile) is ``ConcurrentChangeError``: each a sentence, with nothing written.
    ``write=False`` is a read-only unit (on SQLite it takes no write lock and waits for no writer).
    """
    engine = get_engine(url, create=create) if write else read_engine(url, create=create)
    lock = _WRITE_LOCKS.setdefault(url, threading.Lock()) if write and engine.dialect.name == "sqlite" else None
    if lock is not None and not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        raise busy_error()
    try:
        with _session(engine) as session:
            yield session
    finally:
        if lock is not None:
            lock.release()


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except IntegrityError:
            session.rollback()
            raise errors.ConcurrentChangeError(
                "Another change to the CPL was made at the same moment and this one was not applied; "
                "nothing was changed: look at the current state and try again."
            ) from None
        except OperationalError as problem:
            session.rollback()
            if _busy(problem):
                raise busy_error() from None
            raise
        except BaseException:
            session.rollback()
            raise


def _busy(problem: OperationalError) -> bool:
    """SQLite's lock timeout, PostgreSQL's deadlock (40P01), serialisation (40001) and lock (55P03) failures."""
    code = getattr(problem.orig, "sqlstate", None) or getattr(problem.orig, "pgcode", None)
    return code in {"40P01", "40001", "55P03"} or "database is locked" in str(problem.orig)
