"""Submissions: check a workbook against every rule and the stored CPL, submit, confirm, approve, reject,
withdraw.

Each function is one unit of work on a session the caller commits; it raises a named ``CplError``
before writing anything when a rule refuses. Times arrive as parameters. Who must confirm and what
a decided submission is are `cpl.core.lifecycle`'s rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlmodel import Session, col, select

from cpl import audit, mailer
from cpl.core import errors, lifecycle
from cpl.core.domain import CpaKind, DeviceModelKey, PartyRole, format_entry_id
from cpl.core.findings import Finding
from cpl.core.lifecycle import SubmissionState
from cpl.core.rules import CheckContext, SignatureState, canonical_identity
from cpl.core.sheets import WorkbookData
from cpl.core.specs import SpecRegistry
from cpl.core.submission import EntryRow, ParsedSubmission
from cpl.services.checking import (
    CheckResult,
    active_identities,
    check_read,
    check_workbook,
    read_context,
    read_submission,
    read_submission_file,
)
from cpl.services.entries import record_status
from cpl.services.paging import Page, page
from cpl.services.parties import acting_user, party_of
from cpl.store import (
    AuditEvent,
    Certificate,
    Entry,
    Submission,
    SupplierConfirmation,
    text_rows,
)
from cpl.workbook.reader import WorkbookUnreadable, read_workbook
from formats.vocabulary import EntryStatus

# --- checking ------------------------------------------------------------------------------------


def cpl_context(
    session: Session,
    *,
    as_of: dt.date,
    submitter: PartyRole,
    registry: SpecRegistry,
    signature: SignatureState = SignatureState.ABSENT,
    signature_problem: str = "",
    mapping_evidence: str | None = None,
) -> CheckContext:
    """What the stored CPL contributes to a check (``checking.read_context``), read in this unit of work."""
    return read_context(
        text_rows(session),
        as_of=as_of,
        submitter=submitter,
        registry=registry,
        signature=signature,
        signature_problem=signature_problem,
        mapping_evidence=mapping_evidence,
    )


# --- submissions -----------------------------------------------------------------------------------

#: Audit actions that change nothing a check reads (entries, certificates, parties, users, tokens):
#: another submission's arrival, confirmation or rejection. Any other action is taken to change it.
CHECK_NEUTRAL_ACTIONS = frozenset(
    {"submission.submit", "submission.confirm", "submission.reject", "submission.withdraw"}
)


@dataclass(frozen=True)
class PreparedSubmission:
    """A workbook checked for one user's submission, and what it was checked against.

    ``prepare_submission`` may run in a read-only unit of work, before the write lock is taken; the
    findings then still hold when the submission is stored if no change a check reads was recorded
    after ``audit_head``. Every such change appends to the audit chain in its own transaction, so the
    events after that head say whether the CPL moved meanwhile (``submit_prepared`` looks).
    """

    audit_head: str
    user_id: str
    party_id: str
    as_of: dt.date
    result: CheckResult
    # what the check was made of, to make it again if the CPL moved
    read: WorkbookData | Finding
    registry: SpecRegistry
    signature_state: SignatureState
    signature_problem: str


def prepare_submission(
    session: Session,
    *,
    user_id: str,
    party_id: str,
    submitter: PartyRole,
    read: WorkbookData | Finding,
    registry: SpecRegistry,
    signature_state: SignatureState,
    signature_problem: str,
    as_of: dt.date,
) -> PreparedSubmission:
    """Every rule on a workbook already read (``read_submission_file``), against the stored CPL, for
    ``user_id`` (of ``party_id``, a ``submitter``) to submit: the findings a submission of it gets.
    Writes nothing."""
    # The head first: whatever commits after this read is in the chain after it (PostgreSQL's READ
    # COMMITTED lets each later query see more; SQLite's snapshot is fixed by the first).
    audit_head = audit.head_hash(session)
    context = cpl_context(
        session,
        as_of=as_of,
        submitter=submitter,
        registry=registry,
        signature=signature_state,
        signature_problem=signature_problem,
    )
    return PreparedSubmission(
        audit_head=audit_head,
        user_id=user_id,
        party_id=party_id,
        as_of=as_of,
        result=check_read(read, context),
        read=read,
        registry=registry,
        signature_state=signature_state,
        signature_problem=signature_problem,
    )


def submit(
    session: Session,
    *,
    user_id: str,
    filename: str,
    workbook: bytes,
    signature: bytes | None,
    registry: SpecRegistry,
    signature_state: SignatureState,
    signature_problem: str,
    now: dt.datetime,
    read: WorkbookData | Finding | None = None,
) -> tuple[Submission, CheckResult]:
    """Keep the workbook and signature verbatim with their findings, whatever those findings are."""
    # Read before the first query, so the write lock is not held while the file is judged; a caller
    # whose transaction has already begun passes the file read beforehand.
    read = read_submission_file(workbook) if read is None else read
    user, party = acting_user(session, user_id)
    prepared = prepare_submission(
        session,
        user_id=user.user_id,
        party_id=party.party_id,
        submitter=PartyRole(party.role),
        read=read,
        registry=registry,
        signature_state=signature_state,
        signature_problem=signature_problem,
        as_of=now.date(),
    )
    return submit_prepared(
        session, prepared, user_id=user_id, filename=filename, workbook=workbook, signature=signature, now=now
    )


def submit_prepared(
    session: Session,
    prepared: PreparedSubmission,
    *,
    user_id: str,
    filename: str,
    workbook: bytes,
    signature: bytes | None,
    now: dt.datetime,
) -> tuple[Submission, CheckResult]:
    """``submit``, with the check made beforehand (``prepare_submission``, perhaps in an earlier
    read-only unit of work): made again here, in this transaction, if it may no longer hold (another
    user, another day, or a change to the CPL recorded since)."""
    if (
        prepared.user_id != user_id
        or prepared.as_of != now.date()
        or audit.changed_since(session, prepared.audit_head, ignoring=CHECK_NEUTRAL_ACTIONS)
    ):
        user, party = acting_user(session, user_id)
        prepared = prepare_submission(
            session,
            user_id=user.user_id,
            party_id=party.party_id,
            submitter=PartyRole(party.role),
            read=prepared.read,
            registry=prepared.registry,
            signature_state=prepared.signature_state,
            signature_problem=prepared.signature_problem,
            as_of=now.date(),
        )
    result = prepared.result
    errors_found = sum(1 for f in result.findings if f.is_error)
    record = Submission(
        party_id=prepared.party_id,
        submitted_by=prepared.user_id,
        submitted_at=now,
        filename=filename,
        workbook=workbook if result.keep_workbook else b"",
        workbook_sha256=hashlib.sha256(workbook).hexdigest(),
        signature=signature,
        signature_sha256=hashlib.sha256(signature).hexdigest() if signature is not None else None,
        checked_as_of=now.date(),
        findings_json=json.dumps([f.as_dict() for f in result.findings]),
        error_count=errors_found,
        warning_count=len(result.findings) - errors_found,
        state=lifecycle.state_after_check(errors_found),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=prepared.user_id,
        action="submission.submit",
        subject=f"submission:{record.id}",
        now=now,
        details={
            "workbook_sha256": record.workbook_sha256,
            "state": record.state,
            "errors": errors_found,
            "signed": signature is not None,
            # The SEC form's contacts and FIR details: kept for audit with the workbook, never published.
            **({"layout": "sec-new-entry-form", "form_audit": dict(result.form.audit)} if result.form else {}),
        },
    )
    return record, result


def get_submission(session: Session, submission_id: int, *, lock: bool = False) -> Submission:
    """The submission; ``lock`` holds its row until the transaction ends (a decision is made on it)."""
    record = session.get(Submission, submission_id, with_for_update=lock, populate_existing=lock)
    if record is None:
        raise errors.UnknownSubmissionError(f"There is no submission {submission_id}.")
    return record


def list_submissions(
    session: Session, *, party_id: str | None = None, state: str | None = None, limit: int = 100, offset: int = 0
) -> Page[Submission]:
    """Submissions newest first (by number): every party's, or one party's; in any state, or in ``state``."""
    query = select(Submission).order_by(col(Submission.id).desc())
    if party_id is not None:
        query = query.where(Submission.party_id == party_id)
    if state is not None:
        query = query.where(Submission.state == state)
    return page(session, query, limit=limit, offset=offset)


@dataclass(frozen=True)
class SubmissionRecord:
    """What the audit log keeps of a submission beside the record itself."""

    #: The entries its approval created or re-approved, as the approval recorded them.
    created_entries: tuple[str, ...] = ()
    #: The SEC New Entry form's contacts and FIR details (kept for audit, never published); None for
    #: the project's own layout.
    form_audit: dict[str, str] | None = None


def submission_record(session: Session, submission_id: int) -> SubmissionRecord:
    """The entries a submission's approval created and the SEC form's contacts it was submitted with,
    read from its own submit and approve events (found by their indexed action)."""
    events = session.exec(
        select(AuditEvent.action, AuditEvent.details_json).where(
            col(AuditEvent.action).in_(("submission.submit", "submission.approve")),
            AuditEvent.subject == f"submission:{submission_id}",
        )
    ).all()
    created: tuple[str, ...] = ()
    form_audit: dict[str, str] | None = None
    for action, details_json in events:
        details = json.loads(details_json)
        if action == "submission.approve":
            created = tuple(str(e) for e in details.get("entries", ()))
        elif isinstance(details.get("form_audit"), dict):
            form_audit = {str(k): str(v) for k, v in details["form_audit"].items()}
    return SubmissionRecord(created, form_audit)


def _active_device_models(session: Session) -> frozenset[DeviceModelKey]:
    return frozenset(i.device_model for i in active_identities(text_rows(session)))


def suppliers_named(session: Session, record: Submission) -> frozenset[str]:
    """Suppliers a submission names to confirm its firmware updates (none unless a manufacturer's);
    ``lifecycle.ANY_SUPPLIER`` when a firmware update names none (the SEC's form has no such field)."""
    submitter = party_of(session, record.party_id)
    try:
        rows = read_submission(read_workbook(record.workbook), _active_device_models(session))[0].entries
    except WorkbookUnreadable:
        return frozenset()
    return lifecycle.suppliers_to_confirm(submitter.role, rows)


def confirm(session: Session, submission_id: int, user_id: str, now: dt.datetime) -> SupplierConfirmation:
    """A supplier confirms a manufacturer's firmware update that names it matches its maintenance plans."""
    user, supplier = acting_user(session, user_id, PartyRole.SUPPLIER)
    record = get_submission(session, submission_id, lock=True)
    lifecycle.require_undecided(record.id, record.state, record.decided_by)
    if not lifecycle.may_confirm(supplier.party_id, suppliers_named(session, record)):
        raise errors.NotPermittedError(
            f"Submission {submission_id} names no firmware update for {supplier.party_id} to confirm."
        )
    already = session.exec(
        select(SupplierConfirmation).where(
            SupplierConfirmation.submission_id == submission_id,
            SupplierConfirmation.supplier_party_id == supplier.party_id,
        )
    ).first()
    if already is not None:
        raise errors.DuplicateError(
            f"{supplier.party_id} already confirmed submission {submission_id} "
            f"(by {already.confirmed_by}); a confirmation counts once."
        )
    confirmation = SupplierConfirmation(
        submission_id=submission_id, supplier_party_id=supplier.party_id, confirmed_by=user.user_id, confirmed_at=now
    )
    session.add(confirmation)
    audit.record(
        session,
        actor=user.user_id,
        action="submission.confirm",
        subject=f"submission:{submission_id}",
        now=now,
        details={"supplier": supplier.party_id},
    )
    return confirmation


def approve(
    session: Session,
    submission_id: int,
    user_id: str,
    registry: SpecRegistry,
    now: dt.datetime,
    signature_state: SignatureState,
    signature_problem: str = "",
    mapping_evidence: str | None = None,
) -> list[Entry]:
    """SECAS adds a clean submission's entries to the CPL, re-checked against the CPL as it is now.

    ``mapping_evidence`` is firmware mapping evidence SECAS records with the submission (the SEC's
    New Entry form cannot carry it): it answers C005 and is kept with the entries for audit.
    """
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    record = get_submission(session, submission_id, lock=True)
    lifecycle.require_undecided(record.id, record.state, record.decided_by)
    submitter = party_of(session, record.party_id)
    context = cpl_context(
        session,
        as_of=now.date(),
        submitter=PartyRole(submitter.role),
        registry=registry,
        signature=signature_state,
        signature_problem=signature_problem,
        mapping_evidence=mapping_evidence,
    )
    result = check_workbook(record.workbook, context)
    if result.has_errors or result.parsed is None:
        first = next(f for f in result.findings if f.is_error)
        raise errors.SubmissionHasErrorsError(
            f"Submission {submission_id} has {sum(f.is_error for f in result.findings)} error finding(s) as of "
            f"{now.date().isoformat()} and cannot be approved (first: {first.code} {first.message})",
            finding_code=str(first.code),
        )
    parsed = result.parsed
    confirmed = set(
        session.exec(
            select(SupplierConfirmation.supplier_party_id).where(SupplierConfirmation.submission_id == submission_id)
        ).all()
    )
    lifecycle.require_confirmations(
        submission_id, lifecycle.suppliers_to_confirm(submitter.role, parsed.entries), confirmed
    )
    _record_certificates(session, parsed, record)
    entries = [
        _upsert_entry(session, row, record, user.user_id, now, registry, mapping_evidence) for row in parsed.entries
    ]
    record.state, record.decided_by, record.decided_at = SubmissionState.APPROVED, user.user_id, now
    session.add(record)
    audit.record(
        session,
        actor=user.user_id,
        action="submission.approve",
        subject=f"submission:{submission_id}",
        now=now,
        details={"entries": [format_entry_id(e.id or 0) for e in entries]},
    )
    mailer.queue_submission_outcome(session, record, now, [format_entry_id(e.id or 0) for e in entries])  # issue 5
    return entries


def reject(session: Session, submission_id: int, user_id: str, note: str, now: dt.datetime) -> Submission:
    """SECAS rejects a submission, saying why: the note goes to the submitting party with the outcome."""
    if not note.strip():
        raise errors.ReasonRequiredError(
            f"Say why submission {submission_id} is rejected (--note TEXT): the manufacturer is told it."
        )
    note = note.strip()
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    record = get_submission(session, submission_id, lock=True)
    lifecycle.require_undecided(record.id, record.state, record.decided_by)
    record.state, record.decided_by, record.decided_at = SubmissionState.REJECTED, user.user_id, now
    record.decision_note = note
    session.add(record)
    audit.record(
        session,
        actor=user.user_id,
        action="submission.reject",
        subject=f"submission:{submission_id}",
        now=now,
        details={"note": note},
    )
    mailer.queue_submission_outcome(session, record, now)  # issue 5: the outcome, to the submitting party
    return record


def withdraw(session: Session, submission_id: int, user_id: str, note: str, now: dt.datetime) -> Submission:
    """The submitting party takes back its own submission before SECAS decides it; nothing is decided
    on it after (``lifecycle.require_undecided``). Decided on the locked row, as approve and reject
    are, so a withdrawal racing an approval gives exactly one of them."""
    user, party = acting_user(session, user_id)
    record = get_submission(session, submission_id, lock=True)
    lifecycle.require_own_submission(record.id, record.party_id, party.party_id, party.role)
    lifecycle.require_undecided(record.id, record.state, record.decided_by)
    before = record.state
    record.state, record.decided_by, record.decided_at = SubmissionState.WITHDRAWN, user.user_id, now
    record.decision_note = note or None
    session.add(record)
    audit.record(
        session,
        actor=user.user_id,
        action="submission.withdraw",
        subject=f"submission:{submission_id}",
        now=now,
        details={"party": party.party_id, "state_before": before, "note": note},
    )
    return record


def _record_certificates(session: Session, parsed: ParsedSubmission, record: Submission) -> None:
    for c in parsed.certificates:
        if c.scheme is None or c.certificate_number is None or c.issued is None:
            continue
        existing = session.exec(
            select(Certificate).where(Certificate.scheme == c.scheme, Certificate.number == c.certificate_number)
        ).first()
        if existing is not None:
            continue  # a reused certificate: the one on record stands
        session.add(
            Certificate(
                scheme=c.scheme,
                number=c.certificate_number,
                manufacturer_id=c.manufacturer_id or "",
                model_id=c.model_id or "",
                hardware_version=c.hardware_version or "",
                firmware_versions=",".join(c.firmware_versions or ()),
                issued=c.issued,
                expiry=c.expiry,
                conditional_date=c.conditional_date,
                submission_id=record.id,
            )
        )


def _upsert_entry(
    session: Session,
    row: EntryRow,
    record: Submission,
    user_id: str,
    now: dt.datetime,
    registry: SpecRegistry,
    mapping_evidence: str | None = None,
) -> Entry:
    assert row.identity is not None and row.submission_type is not None  # a clean row has both
    identity = canonical_identity(row.identity, registry)
    entry = session.exec(
        select(Entry).where(
            Entry.physical_device_type == identity.physical_device_type,
            Entry.manufacturer_id == identity.manufacturer_id,
            Entry.model_id == identity.model_id,
            Entry.hardware_version == identity.hardware_version,
            Entry.firmware_version == identity.firmware_version,
            Entry.technical_specification == identity.technical_specification,
            Entry.gbcs_version == identity.gbcs_version,
        )
    ).first()
    reason = "approved submission" if entry is None else "re-approved after removal"
    if entry is None:
        entry = Entry(
            physical_device_type=identity.physical_device_type,
            manufacturer_id=identity.manufacturer_id,
            model_id=identity.model_id,
            hardware_version=identity.hardware_version,
            firmware_version=identity.firmware_version,
            manufacturer="",
            model="",
            release_notes="",
            technical_specification=identity.technical_specification,
            submission_type=row.submission_type,
            status=EntryStatus.ACTIVE,
            status_since=now.date(),
            submission_id=record.id or 0,
            submitting_party_id=record.party_id,
        )
    for name in (
        "manufacturer",
        "model",
        "release_notes",
        "zigbee_certificate",
        "dlms_certificate",
        "cpa_certificate",
        "cpa_conditional_date",
        "manufacturer_image_hash",
        "manufacturer_image_creator",
        "firmware_mapping_evidence",
        "confirming_supplier",
        "compliance_statement",
        "cpa_security_characteristics",
        "dlms_version",
        "zse_version",
        "manufacturer_image_descriptor",
    ):
        setattr(entry, name, getattr(row, name))
    entry.technical_specification, entry.gbcs_version = identity.technical_specification, identity.gbcs_version
    entry.firmware_mapping_evidence = row.firmware_mapping_evidence or mapping_evidence
    # A lifetime certificate's date is its renewal date, never an expiry (CONTRACT.md 4.1, MP209).
    lifetime = row.cpa_kind is CpaKind.LIFETIME
    entry.cpa_kind = None if row.cpa_certificate is None else (row.cpa_kind or CpaKind.STANDARD)
    entry.cpa_expiry = None if lifetime else row.cpa_expiry
    entry.cpa_renewal_date = row.cpa_expiry if lifetime else None
    entry.submission_type = row.submission_type
    entry.submission_id = record.id or 0
    entry.submitting_party_id = record.party_id
    entry.status, entry.status_since, entry.panel_reference = EntryStatus.ACTIVE, now.date(), None
    session.add(entry)
    session.flush()
    record_status(session, entry, reason, user_id, now)
    return entry
