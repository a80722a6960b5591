"""What the API takes and returns (pydantic models), and the conversions from the store's records.

Response models are documented in OpenAPI; request bodies are bounded (lengths, no NUL
characters) so that hostile input is refused with a 422 before it reaches the store.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from cpl.domain import AssuranceScheme, EntryStatus, format_entry_id
from cpl.extracts import ExtractChanges, extract_entry
from cpl.store import (
    AuditEvent,
    Certificate,
    Entry,
    ExtractDraft,
    IssuedExtract,
    Receipt,
    RemovalProposal,
    Submission,
    SupplierConfirmation,
)
from cpl.tokens import Principal


def _printable(text: str) -> str:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise ValueError("control characters are not allowed")
    return text


#: Free text from a request: bounded, and no control characters (PostgreSQL refuses NUL in text).
Note = Annotated[str, Field(max_length=2000), AfterValidator(_printable)]
Reason = Annotated[str, Field(max_length=500), AfterValidator(_printable)]
PanelReference = Annotated[
    str,
    Field(max_length=40, description="The Panel decision's minutes reference, e.g. SECP_66_1503"),
    AfterValidator(_printable),
]
CertificateNumber = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]


#: The limits of path and query values that end up in SQL (SQLite integers are 64-bit).
MAX_ID = 2**31 - 1
MAX_OFFSET = 1_000_000_000

# --- who ---------------------------------------------------------------------------------------


class Me(BaseModel):
    user_id: str
    user_name: str
    party_id: str
    party_name: str
    role: str


def me(principal: Principal) -> Me:
    return Me(
        user_id=principal.user_id,
        user_name=principal.user_name,
        party_id=principal.party_id,
        party_name=principal.party_name,
        role=str(principal.role),
    )


# --- submissions -------------------------------------------------------------------------------


class FindingOut(BaseModel):
    code: str
    severity: Literal["error", "warning"]
    sheet: str | None
    row: int | None
    column: str | None
    message: str


class SubmissionSummary(BaseModel):
    id: int
    party_id: str
    submitted_by: str
    submitted_at: dt.datetime
    filename: str
    workbook_sha256: str
    signed: bool
    state: str = Field(description="open, has_errors, approved or rejected")
    error_count: int
    warning_count: int
    checked_as_of: dt.date
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None


class SubmissionOut(SubmissionSummary):
    findings: list[FindingOut]


class SubmissionList(BaseModel):
    submissions: list[SubmissionSummary]


def submission_summary(record: Submission) -> SubmissionSummary:
    assert record.id is not None
    return SubmissionSummary(
        id=record.id,
        party_id=record.party_id,
        submitted_by=record.submitted_by,
        submitted_at=_utc(record.submitted_at),
        filename=record.filename,
        workbook_sha256=record.workbook_sha256,
        signed=record.signature is not None,
        state=record.state,
        error_count=record.error_count,
        warning_count=record.warning_count,
        checked_as_of=record.checked_as_of,
        decided_by=record.decided_by,
        decided_at=_utc(record.decided_at) if record.decided_at else None,
        decision_note=record.decision_note,
    )


def submission_out(record: Submission) -> SubmissionOut:
    findings = [FindingOut.model_validate(f) for f in json.loads(record.findings_json)]
    return SubmissionOut(**submission_summary(record).model_dump(), findings=findings)


class ConfirmationOut(BaseModel):
    submission_id: int
    supplier_party_id: str
    confirmed_by: str
    confirmed_at: dt.datetime


def confirmation_out(record: SupplierConfirmation) -> ConfirmationOut:
    return ConfirmationOut(
        submission_id=record.submission_id,
        supplier_party_id=record.supplier_party_id,
        confirmed_by=record.confirmed_by,
        confirmed_at=_utc(record.confirmed_at),
    )


class RejectionIn(BaseModel):
    note: Note = ""


# --- entries -----------------------------------------------------------------------------------


class CertificateNumbers(BaseModel):
    zigbee: str | None
    dlms: str | None
    cpa: str | None


class EntryOut(BaseModel):
    entry_id: str
    physical_device_type: str
    manufacturer: str
    manufacturer_id: str
    model: str
    model_id: str
    hardware_version: str
    firmware_version: str
    technical_specification: str
    gbcs_version: str | None
    certificates: CertificateNumbers
    cpa_expiry: dt.date | None
    manufacturer_image_hash: str | None
    status: str
    status_since: dt.date
    panel_reference: str | None


def entry_out(entry: Entry) -> EntryOut:
    """An entry as the extract publishes it (one mapping, in cpl.extracts), validated into the API model."""
    return EntryOut.model_validate(extract_entry(entry).to_json())


class PublishedCplOut(BaseModel):
    """The published CPL as ``/api/v1/cpl.json`` carries it: the latest issued extract's entries."""

    format: Literal["cpl-published"]
    format_version: int
    sequence: int
    issued_at: dt.datetime
    dcc_loaded: bool
    dcc_loaded_at: dt.datetime | None
    entry_count: int
    entries: list[EntryOut]


class ApprovalOut(BaseModel):
    submission: SubmissionSummary
    entries: list[EntryOut]


class RemovalIn(BaseModel):
    status: Literal[EntryStatus.EXPIRED, EntryStatus.WITHDRAWN, EntryStatus.CANCELLED] = Field(
        description="Expired, Withdrawn or Cancelled"
    )
    panel_reference: PanelReference
    reason: Reason = ""


# --- certificates ------------------------------------------------------------------------------


class CertificateOut(BaseModel):
    scheme: str
    number: str
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_versions: list[str]
    issued: dt.date
    expiry: dt.date | None
    conditional_date: dt.date | None
    conditions_met: bool
    renewal_date: dt.date | None
    revoked: bool
    revoked_at: dt.datetime | None


class CertificateList(BaseModel):
    certificates: list[CertificateOut]


def certificate_out(cert: Certificate) -> CertificateOut:
    return CertificateOut(
        scheme=cert.scheme,
        number=cert.number,
        manufacturer_id=cert.manufacturer_id,
        model_id=cert.model_id,
        hardware_version=cert.hardware_version,
        firmware_versions=list(cert.firmware_list),
        issued=cert.issued,
        expiry=cert.expiry,
        conditional_date=cert.conditional_date,
        conditions_met=cert.conditions_met,
        renewal_date=cert.renewal_date,
        revoked=cert.revoked_at is not None,
        revoked_at=_utc(cert.revoked_at) if cert.revoked_at else None,
    )


class RevocationIn(BaseModel):
    scheme: AssuranceScheme
    number: CertificateNumber
    reason: Reason = "revoked by the scheme"


class ProposalOut(BaseModel):
    id: int
    entry_id: str
    reason: str
    proposed_status: str


class RevocationOut(BaseModel):
    scheme: str
    number: str
    revoked_at: dt.datetime
    proposals: list[ProposalOut] = Field(description="Removals the Panel must now decide")


def proposal_out(proposal: RemovalProposal) -> ProposalOut:
    assert proposal.id is not None
    return ProposalOut(
        id=proposal.id,
        entry_id=format_entry_id(proposal.entry_id),
        reason=proposal.reason,
        proposed_status=proposal.proposed_status,
    )


# --- extracts ----------------------------------------------------------------------------------


class RemovedEntry(BaseModel):
    entry_id: str
    status: str
    panel_reference: str | None


class ChangesOut(BaseModel):
    added: list[str]
    removed: list[RemovedEntry]
    restored: list[str]
    changed: list[str]


def changes_out(changes: ExtractChanges | dict[str, Any]) -> ChangesOut:
    data = changes.as_dict() if isinstance(changes, ExtractChanges) else changes
    return ChangesOut.model_validate(data)


class DraftOut(BaseModel):
    id: int
    sequence: int
    issued_at: dt.datetime
    content_sha256: str
    previous_sha256: str | None
    prepared_by: str
    prepared_at: dt.datetime
    state: str = Field(description="draft, issued or superseded")
    changes: ChangesOut


def draft_out(draft: ExtractDraft) -> DraftOut:
    assert draft.id is not None
    return DraftOut(
        id=draft.id,
        sequence=draft.sequence,
        issued_at=_utc(draft.issued_at),
        content_sha256=draft.content_sha256,
        previous_sha256=draft.previous_sha256,
        prepared_by=draft.prepared_by,
        prepared_at=_utc(draft.prepared_at),
        state=draft.state,
        changes=changes_out(json.loads(draft.changes_json)),
    )


class IssuedExtractOut(BaseModel):
    sequence: int
    issued_at: dt.datetime
    content_sha256: str
    previous_sha256: str | None
    signer_subject: str
    prepared_by: str
    approved_by: str
    approved_at: dt.datetime
    dcc_loaded_at: dt.datetime | None


class IssuedExtractList(BaseModel):
    extracts: list[IssuedExtractOut]


def issued_out(issued: IssuedExtract) -> IssuedExtractOut:
    return IssuedExtractOut(
        sequence=issued.sequence,
        issued_at=_utc(issued.issued_at),
        content_sha256=issued.content_sha256,
        previous_sha256=issued.previous_sha256,
        signer_subject=issued.signer_subject,
        prepared_by=issued.prepared_by,
        approved_by=issued.approved_by,
        approved_at=_utc(issued.approved_at),
        dcc_loaded_at=_utc(issued.dcc_loaded_at) if issued.dcc_loaded_at else None,
    )


class ReceiptOut(BaseModel):
    sequence: int
    content_sha256: str
    received_at: dt.datetime
    applied_at: dt.datetime
    imported_at: dt.datetime
    devices_suspended: int
    devices_restored: int


def receipt_out(record: Receipt) -> ReceiptOut:
    summary = json.loads(record.summary_json)
    return ReceiptOut(
        sequence=record.sequence,
        content_sha256=record.content_sha256,
        received_at=summary["received_at"],
        applied_at=_utc(record.applied_at),
        imported_at=_utc(record.imported_at),
        devices_suspended=summary["devices_suspended"],
        devices_restored=summary["devices_restored"],
    )


# --- the audit log -----------------------------------------------------------------------------


class AuditEventOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    previous_hash: str
    event_hash: str


class ChainBreakOut(BaseModel):
    event_id: int
    reason: str


class AuditLogOut(BaseModel):
    chain_intact: bool = Field(description="Whether every event's hash and link hold, over the whole log")
    chain_break: ChainBreakOut | None
    total: int
    events: list[AuditEventOut]


def audit_event_out(event: AuditEvent) -> AuditEventOut:
    assert event.id is not None
    return AuditEventOut(
        id=event.id,
        at=_utc(event.at),
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        details=json.loads(event.details_json),
        previous_hash=event.previous_hash,
        event_hash=event.event_hash,
    )


# --- helpers -----------------------------------------------------------------------------------


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)

