"""``cpl import-cpl``: bring the SEC's own list (CPL 2.051's workbook) into a store with no entries.

All or nothing (CONTRACT.md 4.2): the workbook is read safely (its macros are never kept or run),
every row judged first, and only a list with no error finding is written, in the caller's one
transaction. Entries keep their numbers; `Current` becomes Active and `Removed` Withdrawn with a
reference naming the imported version. The Version Control history is kept, so the next version
this service issues continues its numbering, and the imported list is kept as the baseline the
first extract's changes are counted from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from cpl import audit
from cpl.core import errors
from cpl.core.domain import PartyRole
from cpl.core.findings import Code, Finding, finding, has_errors
from cpl.core.lifecycle import SubmissionState
from cpl.core.sec_entries import stored_fields
from cpl.core.sec_list import SecList, parse_sec_list
from cpl.core.specs import SpecRegistry
from cpl.services.entries import record_status
from cpl.services.extracts import extract_entry
from cpl.services.parties import acting_user
from cpl.store import CplVersion, Entry, ImportedList, Submission
from cpl.workbook.reader import WorkbookUnreadable, read_workbook
from formats.extract import Extract

IMPORT_FILENAME_LIMIT = 200


class ImportRefusedError(errors.CplError):
    """The store already holds a list; an import would fork it."""


@dataclass(frozen=True)
class ImportResult:
    version: str | None
    issued: dt.date | None
    entries: int
    active: int
    removed: int
    versions: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return not has_errors(self.findings)

    def as_dict(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "version": self.version,
            "issued": self.issued.isoformat() if self.issued else None,
            "entries": self.entries,
            "active": self.active,
            "removed": self.removed,
            "versions": self.versions,
            "findings": [f.as_dict() for f in self.findings],
        }


def read_sec_list(data: bytes, registry: SpecRegistry) -> SecList | Finding:
    """The SEC list in a workbook's bytes, or the WB001 finding saying why it cannot be read."""
    try:
        workbook = read_workbook(data)
    except WorkbookUnreadable as unreadable:
        return finding(Code.WB001, unreadable.reason)
    return parse_sec_list(workbook, registry)


def _refused(sec: SecList | None, findings: list[Finding]) -> ImportResult:
    return ImportResult(
        version=sec.version if sec else None,
        issued=sec.issued if sec else None,
        entries=0,
        active=0,
        removed=0,
        versions=0,
        findings=findings,
    )


def import_cpl(
    session: Session,
    *,
    workbook: bytes,
    filename: str,
    user_id: str,
    registry: SpecRegistry,
    now: dt.datetime,
) -> ImportResult:
    """Import the whole list or nothing; a result with error findings has written nothing."""
    user, party = acting_user(session, user_id, PartyRole.SECAS)
    held = session.exec(select(func.count()).select_from(Entry)).one()
    if held:
        raise ImportRefusedError(
            f"The CPL already holds {held} entr{'y' if held == 1 else 'ies'}; import-cpl brings the SEC list "
            "into a store with no entries, so nothing was imported."
        )
    read = read_sec_list(workbook, registry)
    if isinstance(read, Finding):
        return _refused(None, [read])
    sec = read
    findings = list(sec.findings)
    if sec.version is None or sec.issued is None:
        findings.append(
            finding(
                Code.WB002,
                "The workbook does not say which CPL version it is ('Version X Issued on DD-MM-YYYY').",
                sheet="Version Control",
            )
        )
    if not sec.entries and not has_errors(findings):
        findings.append(finding(Code.F003, "The list holds no entry.", sheet="Central Products List"))
    if has_errors(findings):
        return _refused(sec, findings)
    assert sec.version is not None and sec.issued is not None
    if (
        session.get(CplVersion, sec.version) is not None
        or session.exec(select(CplVersion).limit(1)).first() is not None
    ):
        raise ImportRefusedError("The store already has a version history; nothing was imported.")

    record = Submission(
        party_id=party.party_id,
        submitted_by=user.user_id,
        submitted_at=now,
        filename=filename[:IMPORT_FILENAME_LIMIT],
        # The SEC's file is macro-enabled: its macros are never kept, so neither are its bytes; the
        # SHA-256 names the file, and what it said is kept as the imported entries and history.
        workbook=b"",
        workbook_sha256=hashlib.sha256(workbook).hexdigest(),
        checked_as_of=now.date(),
        findings_json=json.dumps([f.as_dict() for f in findings]),
        warning_count=len(findings),
        state=SubmissionState.APPROVED,
        decided_by=user.user_id,
        decided_at=now,
        decision_note=f"The SEC's CPL version {sec.version}, imported whole.",
    )
    session.add(record)
    session.flush()
    assert record.id is not None
    stored: list[Entry] = []
    for sec_entry in sorted(sec.entries, key=lambda e: e.number):
        entry = Entry(
            **stored_fields(sec_entry, version=sec.version, since=sec.issued),
            submission_id=record.id,
            submitting_party_id=party.party_id,
        )
        session.add(entry)
        stored.append(entry)
    session.flush()
    for entry in stored:
        record_status(session, entry, f"imported from the SEC's CPL {sec.version}", user.user_id, now)
    _continue_entry_numbers(session)
    for position, version in enumerate(sec.history, start=1):
        session.add(
            CplVersion(version=version.version, position=position, issued=version.issued, changes=version.changes)
        )
    if all(v.version != sec.version for v in sec.history):
        session.add(
            CplVersion(version=sec.version, position=len(sec.history) + 1, issued=sec.issued, changes="(imported)")
        )
    baseline = Extract(sequence=1, issued_at=now, previous_sha256=None, entries=tuple(extract_entry(e) for e in stored))
    session.add(
        ImportedList(
            version=sec.version,
            workbook_sha256=record.workbook_sha256,
            content=baseline.content(),
            submission_id=record.id,
            imported_by=user.user_id,
            imported_at=now,
        )
    )
    active = sum(1 for e in sec.entries if e.current)
    result = ImportResult(
        version=sec.version,
        issued=sec.issued,
        entries=len(stored),
        active=active,
        removed=len(stored) - active,
        versions=len(sec.history),
        findings=findings,
    )
    audit.record(
        session,
        actor=user.user_id,
        action="cpl.import",
        subject=f"version:{sec.version}",
        now=now,
        details={k: v for k, v in result.as_dict().items() if k != "findings"}
        | {"workbook_sha256": record.workbook_sha256},
    )
    return result


def _continue_entry_numbers(session: Session) -> None:
    """Entries were stored with their SEC numbers: a new entry takes the next number (never reused).

    SQLite numbers a new row after the highest; PostgreSQL's sequence must be moved past it.
    """
    if session.get_bind().dialect.name == "postgresql":
        highest = session.exec(select(func.max(col(Entry.id)))).one()
        session.execute(text("SELECT setval(pg_get_serial_sequence('entry', 'id'), :highest)"), {"highest": highest})
