"""The authority's lifecycle: check, submit, confirm, approve, remove, revoke.

Each function is one unit of work on a session the caller commits; it raises a named ``CplError``
before writing anything when a rule refuses. Times arrive as parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from cpl import audit, errors, notices
from cpl.domain import (
    REMOVED_STATUSES,
    AssuranceScheme,
    EntryIdentity,
    EntryStatus,
    PartyRole,
    PhysicalDeviceType,
    SubmissionType,
    format_entry_id,
)
from cpl.findings import Code, Finding, finding, has_errors
from cpl.rules import CheckContext, KnownCertificate, SignatureState, check_submission
from cpl.specs import SpecRegistry
from cpl.store import (
    Certificate,
    Entry,
    EntryStatusChange,
    PanelDecision,
    Party,
    RemovalProposal,
    Submission,
    SupplierConfirmation,
    User,
)
from cpl.submission import EntryRow, ParsedSubmission, parse_submission
from cpl.workbook import WorkbookUnreadable, read_workbook

PANEL_REFERENCE = re.compile(r"^SECP_\d+(_\d+)+$")


class SubmissionState:
    OPEN = "open"  # checked clean (warnings allowed), awaiting SECAS
    HAS_ERRORS = "has_errors"  # cannot be approved; kept with its findings
    APPROVED = "approved"
    REJECTED = "rejected"


# --- checking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    findings: list[Finding]
    parsed: ParsedSubmission | None

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)


def check_workbook(data: bytes, context: CheckContext) -> CheckResult:
    """Read a workbook safely and apply every rule; an unreadable file is a WB001 finding."""
    try:
        workbook = read_workbook(data)
    except WorkbookUnreadable as unreadable:
        return CheckResult([finding(Code.WB001, unreadable.reason)], None)
    parsed = parse_submission(workbook)
    return CheckResult(check_submission(parsed, context), parsed)


def cpl_context(
    session: Session,
    *,
    as_of: dt.date,
    submitter: PartyRole,
    registry: SpecRegistry,
    signature: SignatureState = SignatureState.ABSENT,
    signature_problem: str = "",
) -> CheckContext:
    """What the stored CPL contributes to a check: Active entries, certificates, suppliers."""
    active = session.exec(select(Entry).where(Entry.status == EntryStatus.ACTIVE)).all()
    identities = frozenset(_identity(e) for e in active)
    certificates = {
        (AssuranceScheme(c.scheme), c.number.casefold()): KnownCertificate(
            scheme=AssuranceScheme(c.scheme),
            number=c.number,
            manufacturer_id=c.manufacturer_id,
            model_id=c.model_id,
            hardware_version=c.hardware_version,
            firmware_versions=c.firmware_list,
            expiry=c.expiry,
            conditional_date=c.conditional_date,
            conditions_met=c.conditions_met,
            revoked=c.revoked_at is not None,
        )
        for c in session.exec(select(Certificate)).all()
    }
    suppliers = frozenset(session.exec(select(Party.party_id).where(Party.role == PartyRole.SUPPLIER)).all())
    return CheckContext(
        as_of=as_of,
        submitter=submitter,
        registry=registry,
        signature=signature,
        signature_problem=signature_problem,
        active_entries=identities,
        active_device_models=frozenset(i.device_model for i in identities),
        known_certificates=certificates,
        supplier_ids=suppliers,
    )


def _identity(entry: Entry) -> EntryIdentity:
    return EntryIdentity(
        PhysicalDeviceType(entry.physical_device_type),
        entry.manufacturer_id,
        entry.model_id,
        entry.hardware_version,
        entry.firmware_version,
    )


# --- parties ---------------------------------------------------------------------------------------


def add_party(
    session: Session, party_id: str, name: str, role: PartyRole, now: dt.datetime, email: str | None = None
) -> Party:
    if session.get(Party, party_id) is not None:
        raise errors.DuplicateError(f"Party {party_id!r} already exists.")
    party = Party(party_id=party_id, name=name, role=role, email=email, created_at=now)
    session.add(party)
    audit.record(
        session,
        actor="cli",
        action="party.add",
        subject=party_id,
        now=now,
        details={"role": str(role), "name": name, "email": email},
    )
    return party


def add_user(session: Session, user_id: str, party_id: str, name: str, now: dt.datetime) -> User:
    party_of(session, party_id)
    if session.get(User, user_id) is not None:
        raise errors.DuplicateError(f"User {user_id!r} already exists.")
    user = User(user_id=user_id, party_id=party_id, name=name, created_at=now)
    session.add(user)
    audit.record(session, actor="cli", action="user.add", subject=user_id, now=now, details={"party": party_id})
    return user


def party_of(session: Session, party_id: str) -> Party:
    party = session.get(Party, party_id)
    if party is None:
        raise errors.UnknownPartyError(f"There is no party {party_id!r}; add it with 'cpl parties add'.")
    return party


def acting_user(session: Session, user_id: str, *roles: PartyRole) -> tuple[User, Party]:
    """The user and their party, refused unless the party has one of ``roles`` (any role if none given)."""
    user = session.get(User, user_id)
    if user is None:
        raise errors.UnknownUserError(f"There is no user {user_id!r}; add one with 'cpl parties add-user'.")
    party = party_of(session, user.party_id)
    if roles and party.role not in roles:
        allowed = " or ".join(str(r) for r in roles)
        raise errors.NotPermittedError(
            f"{user_id} belongs to {party.party_id} ({party.role}); only a {allowed} user may do this."
        )
    return user, party


# --- submissions -----------------------------------------------------------------------------------


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
) -> tuple[Submission, CheckResult]:
    """Keep the workbook and signature verbatim with their findings, whatever those findings are."""
    user, party = acting_user(session, user_id)
    context = cpl_context(
        session,
        as_of=now.date(),
        submitter=PartyRole(party.role),
        registry=registry,
        signature=signature_state,
        signature_problem=signature_problem,
    )
    result = check_workbook(workbook, context)
    errors_found = sum(1 for f in result.findings if f.is_error)
    record = Submission(
        party_id=party.party_id,
        submitted_by=user.user_id,
        submitted_at=now,
        filename=filename,
        workbook=workbook,
        workbook_sha256=hashlib.sha256(workbook).hexdigest(),
        signature=signature,
        signature_sha256=hashlib.sha256(signature).hexdigest() if signature is not None else None,
        checked_as_of=now.date(),
        findings_json=json.dumps([f.as_dict() for f in result.findings]),
        error_count=errors_found,
        warning_count=len(result.findings) - errors_found,
        state=SubmissionState.HAS_ERRORS if errors_found else SubmissionState.OPEN,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=user.user_id,
        action="submission.submit",
        subject=f"submission:{record.id}",
        now=now,
        details={
            "workbook_sha256": record.workbook_sha256,
            "state": record.state,
            "errors": errors_found,
            "signed": signature is not None,
        },
    )
    return record, result


def get_submission(session: Session, submission_id: int) -> Submission:
    record = session.get(Submission, submission_id)
    if record is None:
        raise errors.UnknownSubmissionError(f"There is no submission {submission_id}.")
    return record


def _undecided(record: Submission) -> None:
    if record.state in (SubmissionState.APPROVED, SubmissionState.REJECTED):
        raise errors.SubmissionAlreadyDecidedError(
            f"Submission {record.id} was already {record.state} by {record.decided_by}."
        )


def _reparse(record: Submission) -> ParsedSubmission:
    return parse_submission(read_workbook(record.workbook))


def _needs_confirmation(record: Submission, party: Party, rows: Sequence[EntryRow]) -> set[str]:
    """Suppliers who must confirm: those named on a manufacturer's firmware-update rows."""
    if party.role != PartyRole.MANUFACTURER:
        return set()
    return {
        r.confirming_supplier
        for r in rows
        if r.submission_type is SubmissionType.FIRMWARE_UPDATE and r.confirming_supplier
    }


def confirm(session: Session, submission_id: int, user_id: str, now: dt.datetime) -> SupplierConfirmation:
    """A supplier confirms a manufacturer's firmware update that names it matches its maintenance plans."""
    user, supplier = acting_user(session, user_id, PartyRole.SUPPLIER)
    record = get_submission(session, submission_id)
    _undecided(record)
    submitter = party_of(session, record.party_id)
    named = _needs_confirmation(record, submitter, _reparse(record).entries)
    if supplier.party_id not in named:
        raise errors.NotPermittedError(
            f"Submission {submission_id} names no firmware update for {supplier.party_id} to confirm."
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
) -> list[Entry]:
    """SECAS adds a clean submission's entries to the CPL, re-checked against the CPL as it is now."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    record = get_submission(session, submission_id)
    _undecided(record)
    submitter = party_of(session, record.party_id)
    context = cpl_context(
        session,
        as_of=now.date(),
        submitter=PartyRole(submitter.role),
        registry=registry,
        signature=signature_state,
        signature_problem=signature_problem,
    )
    result = check_workbook(record.workbook, context)
    if result.has_errors or result.parsed is None:
        first = next(f for f in result.findings if f.is_error)
        raise errors.SubmissionHasErrorsError(
            f"Submission {submission_id} has {sum(f.is_error for f in result.findings)} error finding(s) as of "
            f"{now.date().isoformat()} and cannot be approved (first: {first.code} {first.message})"
        )
    parsed = result.parsed
    confirmed = set(
        session.exec(
            select(SupplierConfirmation.supplier_party_id).where(SupplierConfirmation.submission_id == submission_id)
        ).all()
    )
    missing = _needs_confirmation(record, submitter, parsed.entries) - confirmed
    if missing:
        raise errors.SupplierConfirmationMissingError(
            f"Submission {submission_id} is a manufacturer's firmware update awaiting confirmation by "
            f"{', '.join(sorted(missing))}."
        )
    _record_certificates(session, parsed, record)
    entries = [_upsert_entry(session, row, record, user.user_id, now) for row in parsed.entries]
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
    notices.queue_submission_outcome(session, record, now, [format_entry_id(e.id or 0) for e in entries])  # issue 5
    return entries


def reject(session: Session, submission_id: int, user_id: str, note: str, now: dt.datetime) -> Submission:
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    record = get_submission(session, submission_id)
    _undecided(record)
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
    notices.queue_submission_outcome(session, record, now)  # issue 5: the outcome, to the submitting party
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


def _upsert_entry(session: Session, row: EntryRow, record: Submission, user_id: str, now: dt.datetime) -> Entry:
    identity = row.identity
    assert identity is not None and row.submission_type is not None  # a clean row has both
    entry = session.exec(
        select(Entry).where(
            Entry.physical_device_type == identity.physical_device_type,
            Entry.manufacturer_id == identity.manufacturer_id,
            Entry.model_id == identity.model_id,
            Entry.hardware_version == identity.hardware_version,
            Entry.firmware_version == identity.firmware_version,
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
            technical_specification="",
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
        "technical_specification",
        "gbcs_version",
        "zigbee_certificate",
        "dlms_certificate",
        "cpa_certificate",
        "cpa_expiry",
        "cpa_conditional_date",
        "manufacturer_image_hash",
        "manufacturer_image_creator",
        "firmware_mapping_evidence",
        "confirming_supplier",
        "compliance_statement",
    ):
        setattr(entry, name, getattr(row, name))
    entry.submission_type = row.submission_type
    entry.submission_id = record.id or 0
    entry.submitting_party_id = record.party_id
    entry.status, entry.status_since, entry.panel_reference = EntryStatus.ACTIVE, now.date(), None
    session.add(entry)
    session.flush()
    _history(session, entry, reason, user_id, now)
    return entry


def _history(session: Session, entry: Entry, reason: str, user_id: str, now: dt.datetime) -> None:
    assert entry.id is not None
    session.add(
        EntryStatusChange(
            entry_id=entry.id,
            status=entry.status,
            since=entry.status_since,
            panel_reference=entry.panel_reference,
            reason=reason,
            recorded_by=user_id,
            recorded_at=now,
        )
    )


# --- the list and removals -------------------------------------------------------------------------


def parse_entry_id(text: str) -> int:
    match = re.fullmatch(r"(?:CPL-)?0*(\d+)", text.strip(), flags=re.IGNORECASE)
    if match is None:
        raise errors.UnknownEntryError(f"{text!r} is not an entry id like CPL-000123.")
    return int(match.group(1))


def get_entry(session: Session, entry_ref: str | int) -> Entry:
    number = entry_ref if isinstance(entry_ref, int) else parse_entry_id(entry_ref)
    entry = session.get(Entry, number)
    if entry is None:
        raise errors.UnknownEntryError(f"There is no CPL entry {format_entry_id(number)}.")
    return entry


def list_entries(session: Session, status: EntryStatus | None = None) -> list[Entry]:
    query = select(Entry).order_by(col(Entry.id))
    if status is not None:
        query = query.where(Entry.status == status)
    return list(session.exec(query).all())


def history(session: Session, entry: Entry) -> list[EntryStatusChange]:
    return list(
        session.exec(
            select(EntryStatusChange).where(EntryStatusChange.entry_id == entry.id).order_by(col(EntryStatusChange.id))
        ).all()
    )


def remove(
    session: Session,
    entry_ref: str | int,
    status: EntryStatus,
    panel_reference: str,
    user_id: str,
    now: dt.datetime,
    reason: str = "",
) -> Entry:
    """SECAS records the Panel's decision to remove an entry; no removal without the Panel reference."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    if status not in REMOVED_STATUSES:
        raise errors.EntryStatusError(f"{status} is not a removal; use Expired, Withdrawn or Cancelled.")
    reference = (panel_reference or "").strip()
    if not PANEL_REFERENCE.match(reference):
        raise errors.PanelReferenceError(
            f"A removal needs the Panel decision's minutes reference, like SECP_66_1503 (got {panel_reference!r})."
        )
    entry = get_entry(session, entry_ref)
    if entry.status != EntryStatus.ACTIVE:
        raise errors.EntryStatusError(f"{format_entry_id(entry.id or 0)} is already {entry.status}.")
    if session.get(PanelDecision, reference) is None:
        session.add(PanelDecision(reference=reference, recorded_by=user.user_id, recorded_at=now))
    entry.status, entry.status_since, entry.panel_reference = status, now.date(), reference
    session.add(entry)
    _history(session, entry, reason or f"removed by Panel decision {reference}", user.user_id, now)
    for proposal in open_proposals(session, entry.id):
        proposal.state, proposal.panel_reference, proposal.closed_at = "decided", reference, now
        session.add(proposal)
    audit.record(
        session,
        actor=user.user_id,
        action="entry.remove",
        subject=format_entry_id(entry.id or 0),
        now=now,
        details={"status": str(status), "panel_reference": reference, "reason": reason},
    )
    return entry


def open_proposals(session: Session, entry_id: int | None = None) -> list[RemovalProposal]:
    query = select(RemovalProposal).where(RemovalProposal.state == "open").order_by(col(RemovalProposal.id))
    if entry_id is not None:
        query = query.where(RemovalProposal.entry_id == entry_id)
    return list(session.exec(query).all())


def propose_removal(
    session: Session, entry: Entry, reason: str, status: EntryStatus, by: str, now: dt.datetime
) -> RemovalProposal | None:
    """A removal for the Panel to decide; never a removal itself. One open proposal per entry and reason."""
    assert entry.id is not None
    for proposal in open_proposals(session, entry.id):
        if proposal.reason == reason:
            return None
    proposal = RemovalProposal(
        entry_id=entry.id, reason=reason, proposed_status=status, proposed_at=now, proposed_by=by
    )
    session.add(proposal)
    return proposal


def _certificate(session: Session, scheme: AssuranceScheme, number: str) -> Certificate:
    cert = session.exec(select(Certificate).where(Certificate.scheme == scheme, Certificate.number == number)).first()
    if cert is None:
        raise errors.UnknownCertificateError(f"There is no {scheme} certificate {number!r} on record.")
    return cert


def entries_using(session: Session, scheme: AssuranceScheme, number: str) -> list[Entry]:
    column = {
        AssuranceScheme.ZIGBEE: Entry.zigbee_certificate,
        AssuranceScheme.DLMS: Entry.dlms_certificate,
        AssuranceScheme.CPA: Entry.cpa_certificate,
    }[scheme]
    return list(
        session.exec(
            select(Entry).where(column == number, Entry.status == EntryStatus.ACTIVE).order_by(col(Entry.id))
        ).all()
    )


def revoke_certificate(
    session: Session,
    scheme: AssuranceScheme,
    number: str,
    reason: str,
    user_id: str,
    now: dt.datetime,
) -> list[RemovalProposal]:
    """Record a revocation; every Active entry relying on it becomes a removal proposal for the Panel."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    cert = _certificate(session, scheme, number)
    if cert.revoked_at is not None:
        raise errors.EntryStatusError(f"{scheme} certificate {number} was already revoked.")
    cert.revoked_at, cert.revoked_reason = now, reason
    session.add(cert)
    audit.record(
        session,
        actor=user.user_id,
        action="certificate.revoke",
        subject=f"{scheme}:{number}",
        now=now,
        details={"reason": reason},
    )
    proposals = []
    for entry in entries_using(session, scheme, number):
        proposal = propose_removal(
            session, entry, f"{scheme} certificate {number} revoked: {reason}", EntryStatus.WITHDRAWN, user.user_id, now
        )
        if proposal is not None:
            proposals.append(proposal)
    session.flush()
    return proposals


def record_conditions_met(
    session: Session, number: str, user_id: str, now: dt.datetime, new_conditional_date: dt.date | None = None
) -> Certificate:
    """SECAS records that a conditional CPA certificate's conditions are met, or that its period was extended."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    cert = _certificate(session, AssuranceScheme.CPA, number)
    if new_conditional_date is not None:
        cert.conditional_date = new_conditional_date
    else:
        cert.conditions_met = True
    session.add(cert)
    audit.record(
        session,
        actor=user.user_id,
        action="certificate.conditions",
        subject=f"CPA:{number}",
        now=now,
        details={"conditions_met": cert.conditions_met, "conditional_date": cert.conditional_date},
    )
    return cert
