"""One view per record: what the HTTP API returns and what the command line's ``--json`` prints.

Each view is a pydantic model built from a stored record by one function (``entry_out``,
``submission_out``, ...), so the API's OpenAPI document and the CLI's JSON are the same shapes.
An entry's view is exactly what the extract publishes of it (``extract_entry``); the audit-only
evidence (mapping evidence, confirming supplier, compliance statement) is never in a view.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from cpl.core.domain import format_entry_id
from cpl.core.extracts import ExtractChanges
from cpl.finding_codes import help_link
from cpl.services.extracts import extract_entry
from cpl.services.paging import Page
from cpl.services.tokens import Principal
from cpl.store import (
    ApiToken,
    AuditEvent,
    Certificate,
    Entry,
    EntryStatusChange,
    ExtractDraft,
    IssuedExtract,
    NoticeCancellation,
    Party,
    ProposalDismissal,
    Receipt,
    RemovalProposal,
    SentNotice,
    Submission,
    SupplierConfirmation,
    as_utc,
)

# --- pages -------------------------------------------------------------------------------------


class PageInfo(BaseModel):
    """Where a page of a list that grows lies: how many match its filters in all, and its bounds."""

    total: int = Field(description="How many match the filters, on every page (not only this one)")
    limit: int = Field(description="At most this many on a page")
    offset: int = Field(description="How many matching ones come before this page")


def page_info(page: Page[Any]) -> dict[str, int]:
    return {"total": page.total, "limit": page.limit, "offset": page.offset}


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

    @computed_field(  # type: ignore[prop-decorator]
        description="Where the HTTP service says what the code means and how to fix it (/docs/finding-codes#c007)."
    )
    @property
    def help(self) -> str:
        return help_link(self.code)


class SubmissionSummary(BaseModel):
    id: int
    party_id: str
    submitted_by: str
    submitted_at: dt.datetime
    filename: str
    workbook_sha256: str
    signed: bool
    state: str = Field(description="open, has_errors, approved, rejected or withdrawn")
    error_count: int
    warning_count: int
    checked_as_of: dt.date
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None


class SubmissionOut(SubmissionSummary):
    findings: list[FindingOut]
    created_entries: list[str] = Field(
        default_factory=list, description="The entries its approval created or re-approved (none until approved)"
    )
    form_audit: dict[str, str] | None = Field(
        default=None,
        description="For a submission on the SEC's New Entry form: the CPA and FIR contacts and FIR details it "
        "gave, kept for audit and never published (shown to SECAS and the submitting party); null otherwise",
    )


class SubmissionList(PageInfo):
    submissions: list[SubmissionSummary]


def submission_summary(record: Submission) -> SubmissionSummary:
    assert record.id is not None
    return SubmissionSummary(
        id=record.id,
        party_id=record.party_id,
        submitted_by=record.submitted_by,
        submitted_at=as_utc(record.submitted_at),
        filename=record.filename,
        workbook_sha256=record.workbook_sha256,
        signed=record.signature is not None,
        state=record.state,
        error_count=record.error_count,
        warning_count=record.warning_count,
        checked_as_of=record.checked_as_of,
        decided_by=record.decided_by,
        decided_at=as_utc(record.decided_at) if record.decided_at else None,
        decision_note=record.decision_note,
    )


def submission_out(
    record: Submission, *, created_entries: Sequence[str] = (), form_audit: dict[str, str] | None = None
) -> SubmissionOut:
    """A submission with its findings; what the audit log keeps of it (``submission_record``) when given."""
    findings = [FindingOut.model_validate(f) for f in json.loads(record.findings_json)]
    return SubmissionOut(
        **submission_summary(record).model_dump(),
        findings=findings,
        created_entries=list(created_entries),
        form_audit=form_audit,
    )


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
        confirmed_at=as_utc(record.confirmed_at),
    )


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
    # The SEC list's attributes (the extract's optional keys): null when the entry has none.
    cpa_certificate_kind: Literal["standard", "lifetime"] | None = None
    cpa_renewal_date: dt.date | None = None
    cpa_security_characteristics: str | None = None
    dlms_version: str | None = None
    zse_version: str | None = None
    manufacturer_image_creator: str | None = None
    manufacturer_image_descriptor: str | None = None


def entry_out(entry: Entry) -> EntryOut:
    """An entry as the extract publishes it (``extract_entry``), as a view."""
    return EntryOut.model_validate(extract_entry(entry).to_json())


class StatusChangeOut(BaseModel):
    status: str
    since: dt.date
    panel_reference: str | None
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


class EntryWithHistoryOut(EntryOut):
    history: list[StatusChangeOut]


class EntryList(PageInfo):
    entries: list[EntryOut]


def status_change_out(change: EntryStatusChange) -> StatusChangeOut:
    return StatusChangeOut(
        status=change.status,
        since=change.since,
        panel_reference=change.panel_reference,
        reason=change.reason,
        recorded_by=change.recorded_by,
        recorded_at=as_utc(change.recorded_at),
    )


def entry_with_history_out(entry: Entry, history: list[EntryStatusChange]) -> EntryWithHistoryOut:
    return EntryWithHistoryOut(**entry_out(entry).model_dump(), history=[status_change_out(h) for h in history])


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
    total: int | None = Field(default=None, description="How many certificates match the filter, on every page")


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
        revoked_at=as_utc(cert.revoked_at) if cert.revoked_at else None,
    )


class ProposalOut(BaseModel):
    id: int
    entry_id: str
    reason: str
    proposed_status: str
    proposed_at: dt.datetime
    state: str = Field(default="open", description="open, decided (by the Panel) or dismissed")
    panel_reference: str | None = None
    dismissed_by: str | None = None
    dismissed_at: dt.datetime | None = None
    dismissal_reason: str | None = None


class ProposalList(PageInfo):
    proposals: list[ProposalOut]


class RevocationOut(BaseModel):
    scheme: str
    number: str
    revoked_at: dt.datetime
    proposals: list[ProposalOut] = Field(description="Removals the Panel must now decide")


def proposal_out(proposal: RemovalProposal, dismissal: ProposalDismissal | None = None) -> ProposalOut:
    assert proposal.id is not None
    return ProposalOut(
        id=proposal.id,
        entry_id=format_entry_id(proposal.entry_id),
        reason=proposal.reason,
        proposed_status=proposal.proposed_status,
        proposed_at=as_utc(proposal.proposed_at),
        state=proposal.state,
        panel_reference=proposal.panel_reference,
        dismissed_by=dismissal.dismissed_by if dismissal else None,
        dismissed_at=as_utc(dismissal.dismissed_at) if dismissal else None,
        dismissal_reason=dismissal.reason if dismissal else None,
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
    superseded_by: int | None = Field(default=None, description="The draft prepared after a superseded one")


def drafts_out(drafts: Sequence[ExtractDraft], *, newer_than_first: int | None = None) -> list[DraftOut]:
    """Drafts as `extract_service.list_drafts` gives them (newest first, every state or only the one
    waiting): a superseded draft was superseded by the draft prepared next, the one before it here
    (for the first, ``newer_than_first``: the draft before it on the page before)."""
    newer: list[int | None] = [newer_than_first, *(d.id for d in drafts)][: len(drafts)]
    return [
        draft_out(d, superseded_by=after if d.state == "superseded" else None)
        for d, after in zip(drafts, newer, strict=True)
    ]


def draft_out(draft: ExtractDraft, *, superseded_by: int | None = None) -> DraftOut:
    assert draft.id is not None
    return DraftOut(
        id=draft.id,
        sequence=draft.sequence,
        issued_at=as_utc(draft.issued_at),
        content_sha256=draft.content_sha256,
        previous_sha256=draft.previous_sha256,
        prepared_by=draft.prepared_by,
        prepared_at=as_utc(draft.prepared_at),
        state=draft.state,
        changes=changes_out(json.loads(draft.changes_json)),
        superseded_by=superseded_by,
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


class IssuedExtractList(PageInfo):
    extracts: list[IssuedExtractOut]


class DraftList(PageInfo):
    drafts: list[DraftOut]


def issued_out(issued: IssuedExtract) -> IssuedExtractOut:
    return IssuedExtractOut(
        sequence=issued.sequence,
        issued_at=as_utc(issued.issued_at),
        content_sha256=issued.content_sha256,
        previous_sha256=issued.previous_sha256,
        signer_subject=issued.signer_subject,
        prepared_by=issued.prepared_by,
        approved_by=issued.approved_by,
        approved_at=as_utc(issued.approved_at),
        dcc_loaded_at=as_utc(issued.dcc_loaded_at) if issued.dcc_loaded_at else None,
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
        applied_at=as_utc(record.applied_at),
        imported_at=as_utc(record.imported_at),
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
    chain_intact: bool = Field(
        description="Whether this page's events hold: each one's hash, and its link to the event before it "
        "(the first's to the event before the page). Walking every page verifies the whole log."
    )
    chain_break: ChainBreakOut | None = Field(description="The page's first event that does not hold")
    total: int = Field(description="How many events the log holds")
    limit: int
    offset: int | None = Field(description="The page's offset, when it was asked for by offset (not `after`)")
    next_after: int | None = Field(
        description="The last event's id on this page: ask for `after=` it for the next page (null: no events)"
    )
    events: list[AuditEventOut]


def audit_event_out(event: AuditEvent) -> AuditEventOut:
    assert event.id is not None
    return AuditEventOut(
        id=event.id,
        at=as_utc(event.at),
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        details=_details(event.details_json),
        previous_hash=event.previous_hash,
        event_hash=event.event_hash,
    )


# --- parties, tokens, notices ------------------------------------------------------------------


class PartyOut(BaseModel):
    party_id: str
    name: str
    role: str
    email: str | None
    users: list[str]


def party_out(party: Party, users: list[str]) -> PartyOut:
    return PartyOut(party_id=party.party_id, name=party.name, role=party.role, email=party.email, users=users)


class TokenOut(BaseModel):
    token_id: int
    user: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def token_out(token: ApiToken) -> TokenOut:
    assert token.id is not None
    return TokenOut(
        token_id=token.id,
        user=token.user_id,
        label=token.label,
        created_at=as_utc(token.created_at),
        revoked_at=as_utc(token.revoked_at) if token.revoked_at else None,
    )


class NoticeOut(BaseModel):
    id: int
    state: str = Field(description="queued, sending, sent or cancelled")
    kind: str
    subject_ref: str
    party: str
    recipient: str
    subject: str
    queued_at: dt.datetime
    sent_at: dt.datetime | None
    transport: str | None
    message_id: str
    attempts: int
    last_error: str | None
    cancelled_by: str | None = None
    cancelled_at: dt.datetime | None = None
    cancellation_reason: str | None = None


def notice_out(notice: SentNotice, cancellation: NoticeCancellation | None = None) -> NoticeOut:
    assert notice.id is not None
    return NoticeOut(
        id=notice.id,
        state=notice.state,
        kind=notice.kind,
        subject_ref=notice.subject_ref,
        party=notice.party_id,
        recipient=notice.recipient,
        subject=notice.subject,
        queued_at=as_utc(notice.queued_at),
        sent_at=as_utc(notice.sent_at) if notice.sent_at else None,
        transport=notice.transport,
        message_id=notice.message_id,
        attempts=notice.attempts,
        last_error=notice.last_error,
        cancelled_by=cancellation.cancelled_by if cancellation else None,
        cancelled_at=as_utc(cancellation.cancelled_at) if cancellation else None,
        cancellation_reason=cancellation.reason if cancellation else None,
    )


def _details(text: str) -> dict[str, Any]:
    """An event's details; a log someone edited by hand may hold text that is not a JSON object."""
    try:
        details = json.loads(text)
    except ValueError:
        return {"unreadable": text}
    return details if isinstance(details, dict) else {"unreadable": text}


# --- helpers -----------------------------------------------------------------------------------
