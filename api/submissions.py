"""Submissions over HTTP: check or upload a workbook (and its signature), read findings, confirm,
approve, reject, withdraw.

A workbook is read, its signature verified and every rule applied before the write lock is taken
(in a read-only unit of work); the submission's write transaction then stores it, checking again
only if the CPL changed meanwhile (``submission_service.submit_prepared``).

Who sees what: SECAS sees every submission; any other party sees its own, and a supplier also
sees a manufacturer's submission whose firmware-update rows name it for confirmation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, File, Path, Query, Request, Response, UploadFile
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth import AuthenticatedRoute, Credentials, caller, callers
from api.config import Settings
from api.deps import now, registry_of, transaction
from api.http import ApiError, attachment, error_responses
from api.schemas import MAX_ID, MAX_OFFSET, ApprovalIn, RejectionIn, WithdrawalIn
from api.uploads import read_upload, require_multipart, upload_name
from cpl import publication
from cpl.core.domain import PartyRole
from cpl.services import submissions as submission_service
from cpl.services.checking import read_submission_file
from cpl.services.tokens import Principal
from cpl.signatures import check_submission_signature, stored_signature_state
from cpl.store import Submission
from cpl.views import (
    ApprovalOut,
    ConfirmationOut,
    FindingOut,
    SubmissionList,
    SubmissionOut,
    confirmation_out,
    entry_out,
    page_info,
    submission_out,
    submission_summary,
)
from cpl.workbook.annotate import XLSM_MEDIA_TYPE, XLSX_MEDIA_TYPE, WorkbookNotAnnotated, annotate_workbook
from cpl.workbook.template import write_template


class CheckOut(BaseModel):
    """What a check found: the findings a submission of the workbook would be kept with now."""

    filename: str
    workbook_sha256: str
    as_of: dt.date
    error_count: int
    warning_count: int
    findings: list[FindingOut]
    annotation_problem: str | None = Field(
        default=None, description="Why no annotated workbook came back, when `annotate=true` asked for one"
    )


def _annotated_name(filename: str, suffix: str) -> str:
    """``w.xlsx`` -> ``w-findings.xlsx``: the annotated copy's download name."""
    stem = filename.rsplit(".", 1)[0] if "." in filename.lstrip(".") else filename
    return f"{stem or 'workbook'}-findings{suffix}"


SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The submission's number")]
SubmissionState = Literal["open", "has_errors", "approved", "rejected", "withdrawn"]


def visible_submission(session: Session, principal: Principal, submission_id: int) -> Submission:
    """The submission, refused (403) unless the caller's party may see it."""
    record = submission_service.get_submission(session, submission_id)
    if principal.role is PartyRole.SECAS or record.party_id == principal.party_id:
        return record
    if principal.role is PartyRole.SUPPLIER and principal.party_id in submission_service.suppliers_named(
        session, record
    ):
        return record
    raise ApiError(403, "forbidden", f"Submission {submission_id} belongs to another party.")


def checked_upload(
    request: Request,
    settings: Settings,
    credentials: HTTPAuthorizationCredentials | None,
    upload: UploadFile,
    signature_upload: UploadFile | None,
) -> tuple[bytes, bytes | None, submission_service.PreparedSubmission]:
    """The uploaded workbook's and signature's bytes, and the workbook read, its signature verified and every rule
    applied for the authenticated caller, in a read-only unit of work: CPU work that holds no write
    lock and waits for no writer (the check route's answer, and the submission's first step)."""
    workbook = read_upload(upload)
    signature = read_upload(signature_upload) if signature_upload is not None else None
    read = read_submission_file(workbook)
    registry = registry_of(request)
    with transaction(request, write=False) as session:
        principal = caller(session, credentials)
        state, problem = check_submission_signature(workbook, signature, principal.party_id, settings.cpl)
        return (
            workbook,
            signature,
            submission_service.prepare_submission(
                session,
                user_id=principal.user_id,
                party_id=principal.party_id,
                submitter=principal.role,
                read=read,
                registry=registry,
                signature_state=state,
                signature_problem=problem,
                as_of=now().date(),
            ),
        )


def router(settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["submissions"], route_class=AuthenticatedRoute)

    @api.get(
        "/template",
        summary="The blank submission workbook (public)",
        description=(
            "No token needed. `layout=own` (the default): this service's New Entry workbook, one row per entry, "
            "input cells shaded and drop-downs of the valid values (`cpl template`). `layout=sec`: the SEC's CPL "
            "workbook, whose 'CPL - New Entry' tab is the form, with the published list when there is one "
            "(`cpl template --layout sec`)."
        ),
        response_class=Response,
        responses={
            200: {
                "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                "description": "The workbook",
            },
            **error_responses(422),
        },
    )
    def template(
        request: Request,
        layout: Annotated[
            Literal["own", "sec"], Query(description="own: this service's workbook; sec: the SEC's CPL workbook")
        ] = "own",
    ) -> Response:
        if layout == "sec":
            with transaction(request, write=False) as session:
                published = publication.published_cpl(session)
                data = publication.to_sec_xlsx(published) if published else publication.blank_sec_workbook(now().date())
            name = "central_products_list_new_entry.xlsx"
        else:
            form = io.BytesIO()
            write_template(form)
            data, name = form.getvalue(), "cpl_submission_template.xlsx"
        return Response(content=data, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": attachment(name)})

    @api.post(
        "/checks",
        summary="Check a workbook without submitting it",
        description=(
            "Any party's user has a New Entry workbook (multipart field `workbook`, optional `signature`) "
            "checked against every rule and the CPL as it is now, as a submission of it would be; nothing "
            "is stored. The answer is 200 whatever the findings; a file that is not a readable .xlsx is a "
            "WB001 finding. With `annotate=true` the answer is the workbook itself (`NAME-findings.xlsx`, or "
            ".xlsm for a macro-enabled one, which keeps its macros): each finding highlighted on its cell with "
            "its code and sentence in the cell's comment, and a `Findings` sheet listing every finding with a "
            "link to its cell; a workbook that cannot be annotated (WB001, or too large) gets the JSON answer "
            f"with `annotation_problem` saying why. A request body above {settings.max_upload_bytes} bytes is "
            "refused with 413."
        ),
        form_limits={"max_files": 2, "max_fields": 4},
        dependencies=[Depends(require_multipart)],
        response_model=CheckOut,
        responses={
            200: {
                "description": "The findings; with `annotate=true`, the annotated workbook",
                "content": {
                    XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                    XLSM_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            },
            **error_responses(400, 401, 413, 415, 422),
        },
        openapi_extra=callers(),
    )
    def check(
        request: Request,
        credentials: Credentials,
        workbook: Annotated[UploadFile, File(description="The submission workbook (.xlsx)")],
        signature: Annotated[
            UploadFile | None, File(description="Detached CMS signature over the workbook's bytes (.p7s)")
        ] = None,
        annotate: Annotated[
            bool, Query(description="Answer with the workbook annotated with its findings instead of JSON")
        ] = False,
    ) -> CheckOut | Response:
        data, _, prepared = checked_upload(request, settings, credentials, workbook, signature)
        findings = prepared.result.findings
        filename = upload_name(workbook, "workbook.xlsx")
        problem = None
        if annotate:
            try:
                copy = annotate_workbook(data, findings)
            except WorkbookNotAnnotated as refused:
                problem = refused.reason
            else:
                return Response(
                    content=copy.data,
                    media_type=copy.media_type,
                    headers={"Content-Disposition": attachment(_annotated_name(filename, copy.suffix))},
                )
        errors_found = sum(1 for f in findings if f.is_error)
        return CheckOut(
            filename=filename,
            workbook_sha256=hashlib.sha256(data).hexdigest(),
            as_of=prepared.as_of,
            error_count=errors_found,
            warning_count=len(findings) - errors_found,
            findings=[FindingOut.model_validate(f.as_dict()) for f in findings],
            annotation_problem=problem,
        )

    @api.post(
        "/submissions",
        status_code=201,
        summary="Submit a workbook",
        description=(
            "Any party's user submits a New Entry workbook (multipart field `workbook`), with a detached "
            "CMS signature (`signature`, .p7s) when it carries a Manufacturer Image Hash. The submission is "
            "kept with its findings whatever they are; a file that is not a readable .xlsx is a WB001 finding. "
            f"A request body above {settings.max_upload_bytes} bytes (CPL_MAX_UPLOAD_BYTES) is refused with 413."
        ),
        form_limits={"max_files": 2, "max_fields": 4},
        dependencies=[Depends(require_multipart)],
        responses=error_responses(400, 401, 413, 415, 422),
        openapi_extra=callers(),
    )
    def submit(
        request: Request,
        credentials: Credentials,
        workbook: Annotated[UploadFile, File(description="The submission workbook (.xlsx)")],
        signature: Annotated[
            UploadFile | None, File(description="Detached CMS signature over the workbook's bytes (.p7s)")
        ] = None,
    ) -> SubmissionOut:
        # Judged before the write transaction begins: no lock is held while the file is read and checked.
        data, signature_bytes, prepared = checked_upload(request, settings, credentials, workbook, signature)
        with transaction(request) as session:
            principal = caller(session, credentials)  # again: a token revoked meanwhile submits nothing
            record, _ = submission_service.submit_prepared(
                session,
                prepared,
                user_id=principal.user_id,
                filename=upload_name(workbook, "workbook.xlsx"),
                workbook=data,
                signature=signature_bytes,
                now=now(),
            )
            return submission_out(record)

    @api.get(
        "/submissions",
        summary="List submissions",
        description=(
            "SECAS sees every submission; any other party only its own. Newest first (by number), `limit` "
            "at a time from `offset`; `total` is how many match, on every page."
        ),
        responses=error_responses(401, 422),
        openapi_extra=callers(),
    )
    def list_submissions(
        request: Request,
        credentials: Credentials,
        state: Annotated[SubmissionState | None, Query(description="Only submissions in this state")] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many")] = 0,
    ) -> SubmissionList:
        with transaction(request, write=False) as session:
            principal = caller(session, credentials)
            own = None if principal.role is PartyRole.SECAS else principal.party_id
            page = submission_service.list_submissions(session, party_id=own, state=state, limit=limit, offset=offset)
            return SubmissionList(submissions=[submission_summary(s) for s in page.items], **page_info(page))

    @api.get(
        "/submissions/{submission_id}",
        summary="Read a submission with its findings",
        description=(
            "With the entries its approval created (`created_entries`) and, for a submission on the SEC's New "
            "Entry form, the contacts and FIR details it gave, kept for audit (`form_audit`: shown to SECAS and "
            "the submitting party only, never published)."
        ),
        responses=error_responses(401, 403, 404, 422),
        openapi_extra=callers(),
    )
    def read_submission(request: Request, credentials: Credentials, submission_id: SubmissionId) -> SubmissionOut:
        with transaction(request, write=False) as session:
            principal = caller(session, credentials)
            record = visible_submission(session, principal, submission_id)
            kept = submission_service.submission_record(session, submission_id)
            own = principal.role is PartyRole.SECAS or record.party_id == principal.party_id
            return submission_out(
                record, created_entries=kept.created_entries, form_audit=kept.form_audit if own else None
            )

    @api.get(
        "/submissions/{submission_id}/findings",
        summary="A submission's findings",
        description="Findings as `cpl check --json` reports them: code, severity, sheet, row, column, message.",
        responses=error_responses(401, 403, 404, 422),
        openapi_extra=callers(),
    )
    def read_findings(request: Request, credentials: Credentials, submission_id: SubmissionId) -> list[FindingOut]:
        with transaction(request, write=False) as session:
            principal = caller(session, credentials)
            return submission_out(visible_submission(session, principal, submission_id)).findings

    @api.post(
        "/submissions/{submission_id}/confirmation",
        status_code=201,
        summary="A supplier confirms a firmware update",
        description=(
            "A supplier confirms that a manufacturer's firmware-update submission naming it matches its "
            "agreed maintenance plans. Supplier users only, and only for submissions that name their party."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
        openapi_extra=callers(PartyRole.SUPPLIER),
    )
    def confirm(request: Request, credentials: Credentials, submission_id: SubmissionId) -> ConfirmationOut:
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SUPPLIER)
            visible_submission(session, principal, submission_id)
            return confirmation_out(submission_service.confirm(session, submission_id, principal.user_id, now()))

    @api.post(
        "/submissions/{submission_id}/approval",
        summary="SECAS approves a submission",
        description=(
            "Re-checks the workbook against the CPL as it is now; a clean submission's entries become Active. "
            "SECAS users only."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def approve(
        request: Request,
        credentials: Credentials,
        submission_id: SubmissionId,
        body: Annotated[ApprovalIn | None, Body(description="Evidence SECAS records with the approval")] = None,
    ) -> ApprovalOut:
        evidence = (body.mapping_evidence or "").strip() if body is not None else ""
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SECAS)
            record = submission_service.get_submission(session, submission_id)
            state, problem = stored_signature_state(record, settings.cpl)
            entries = submission_service.approve(
                session,
                submission_id,
                principal.user_id,
                registry_of(request),
                now(),
                state,
                problem,
                mapping_evidence=evidence or None,
            )
            return ApprovalOut(submission=submission_summary(record), entries=[entry_out(e) for e in entries])

    @api.post(
        "/submissions/{submission_id}/rejection",
        summary="SECAS rejects a submission",
        description=(
            'With a note saying why (`{"note": "..."}`), which the submitting party is sent: a rejection '
            "without one (no body, or a note of nothing but spaces) is refused with 422. SECAS users only."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def reject(
        request: Request,
        credentials: Credentials,
        submission_id: SubmissionId,
        body: Annotated[RejectionIn, Body(description="Why, for the submitter")],
    ) -> SubmissionOut:
        note = body.note.strip()
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SECAS)
            return submission_out(submission_service.reject(session, submission_id, principal.user_id, note, now()))

    @api.post(
        "/submissions/{submission_id}/withdrawal",
        summary="The submitting party withdraws its submission",
        description=(
            "A user of the party that submitted it takes an undecided submission back; it can then never be "
            "approved, rejected or confirmed (409 `submission_withdrawn`). Another party's user is refused (403), "
            "and so is SECAS: SECAS decides a submission (rejection), it does not withdraw one for its party. "
            "A submission already approved, rejected or withdrawn is a 409."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
        openapi_extra=callers(),
    )
    def withdraw(
        request: Request,
        credentials: Credentials,
        submission_id: SubmissionId,
        body: Annotated[WithdrawalIn | None, Body(description="Why (optional)")] = None,
    ) -> SubmissionOut:
        note = body.note.strip() if body is not None else ""
        with transaction(request) as session:
            principal = caller(session, credentials)
            visible_submission(session, principal, submission_id)
            return submission_out(submission_service.withdraw(session, submission_id, principal.user_id, note, now()))

    return api
