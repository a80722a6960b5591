"""Signed CPL extracts over HTTP: prepare and approve (SECAS, four eyes), download (DCC and SECAS),
and the DCC's receipts."""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from api.auth import AuthenticatedRoute, Credentials, caller, callers
from api.config import Settings
from api.deps import now, transaction
from api.http import ApiError, attachment, error_responses
from api.schemas import MAX_ID, MAX_OFFSET
from api.uploads import read_upload, require_multipart
from cpl.config import Settings as CplSettings
from cpl.core.domain import PartyRole
from cpl.services import extracts as extract_service
from cpl.store import ExtractDraft
from cpl.views import (
    DraftList,
    DraftOut,
    IssuedExtractList,
    IssuedExtractOut,
    ReceiptOut,
    changes_out,
    draft_out,
    drafts_out,
    issued_out,
    page_info,
    receipt_out,
)
from signing.errors import SigningError
from signing.signers import Signer, load_signer
from signing.trust import TrustStore

DraftId = Annotated[int, Path(ge=1, le=MAX_ID, description="The draft's number")]
ExtractSequence = Annotated[int, Path(ge=1, le=MAX_ID, description="The issued extract's sequence")]
PKCS7_MIME = "application/pkcs7-mime"


class SigningKit:
    """The extract signer and trust anchors, loaded on first use and kept (a PKCS#11 login is costly).

    A failure to load is not kept: the next approval tries again, so fixing the configuration
    needs no restart.
    """

    def __init__(self, settings: CplSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._loaded: tuple[Signer, TrustStore] | None = None

    def get(self) -> tuple[Signer, TrustStore]:
        with self._lock:
            if self._loaded is None:
                try:
                    self._loaded = (load_signer(self.settings.signer_spec), self.settings.extract_trust())
                except (SigningError, OSError) as problem:
                    reason = str(problem).strip().rstrip(".")
                    raise ApiError(503, "signer_unavailable", f"The extract signer cannot be used: {reason}.") from None
            return self._loaded


def _draft_view(session: Session, draft: ExtractDraft) -> DraftOut:
    """One draft as shown, with the draft that superseded it when it was."""
    successor = extract_service.superseded_by(session, draft.id or 0) if draft.state == "superseded" else None
    return draft_out(draft, superseded_by=successor)


def router(settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["extracts"], route_class=AuthenticatedRoute)
    kit = SigningKit(settings.cpl)

    @api.post(
        "/extracts/drafts",
        status_code=201,
        summary="Prepare the next extract (four eyes: step one)",
        description=(
            "Drafts the next extract from the CPL as stored and says what it changes since the last issued "
            "one. Another SECAS user must approve it. A CPL that changed nothing since the last issued "
            "extract makes no draft (409 `nothing_to_issue`) unless `unchanged=true` (a refresh of the "
            "DCC's next-update deadline). SECAS users only."
        ),
        responses=error_responses(401, 403, 409, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def prepare(
        request: Request,
        credentials: Credentials,
        unchanged: Annotated[
            bool, Query(description="Draft one even if nothing changed since the last issued extract")
        ] = False,
    ) -> DraftOut:
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SECAS)
            draft, changes = extract_service.prepare(
                session,
                principal.user_id,
                now(),
                next_update_within=settings.cpl.next_update_within,
                unchanged=unchanged,
            )
            out = draft_out(draft)
            return out.model_copy(update={"changes": changes_out(changes)})

    @api.get(
        "/extracts/drafts",
        summary="Drafts, newest first",
        description=(
            "The draft waiting for approval (`state=draft`, the default) or every draft (`state=all`), "
            "newest first, each with what it changes and, when superseded, the draft that superseded it; "
            "`limit` at a time from `offset`, `total` how many match. SECAS users only."
        ),
        responses=error_responses(401, 403, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def list_drafts(
        request: Request,
        credentials: Credentials,
        state: Annotated[
            Literal["draft", "all"], Query(description="draft: the one waiting; all: every draft")
        ] = "draft",
        limit: Annotated[int, Query(ge=1, le=200, description="At most this many, newest first")] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many")] = 0,
    ) -> DraftList:
        with transaction(request, write=False) as session:
            caller(session, credentials, PartyRole.SECAS)
            found = extract_service.drafts_page(session, waiting_only=state == "draft", limit=limit, offset=offset)
            first = found.items[0] if found.items else None
            newer = (
                extract_service.superseded_by(session, first.id or 0)
                if first is not None and first.state == "superseded"
                else None
            )
            return DraftList(drafts=drafts_out(found.items, newer_than_first=newer), **page_info(found))

    @api.get(
        "/extracts/drafts/{draft_id}",
        summary="Read a draft and what it changes",
        description="What the approver is asked to sign. SECAS users only.",
        responses=error_responses(401, 403, 404, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def read_draft(request: Request, credentials: Credentials, draft_id: DraftId) -> DraftOut:
        with transaction(request, write=False) as session:
            caller(session, credentials, PartyRole.SECAS)
            return _draft_view(session, extract_service.get_draft(session, draft_id))

    @api.post(
        "/extracts/drafts/{draft_id}/approval",
        status_code=201,
        summary="Approve and sign a draft (four eyes: step two)",
        description=(
            "A SECAS user other than the one who prepared the draft signs exactly the drafted bytes; the "
            "issued extract is then immutable."
        ),
        responses=error_responses(401, 403, 404, 409, 422, 503),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def approve(request: Request, credentials: Credentials, draft_id: DraftId) -> IssuedExtractOut:
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SECAS)
            extract_service.get_draft(session, draft_id)
            signer, trust = kit.get()
            issued = extract_service.approve(session, draft_id, principal.user_id, now(), signer, trust)
            return issued_out(issued)

    @api.get(
        "/extracts",
        summary="Issued extracts",
        description=(
            "The issued extracts oldest first (by sequence), `limit` at a time from `offset`, `total` how many "
            "were issued, each with whether the DCC has loaded it. DCC and SECAS users."
        ),
        responses=error_responses(401, 403, 422),
        openapi_extra=callers(PartyRole.DCC, PartyRole.SECAS),
    )
    def list_extracts(
        request: Request,
        credentials: Credentials,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 1000,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many")] = 0,
    ) -> IssuedExtractList:
        with transaction(request, write=False) as session:
            caller(session, credentials, PartyRole.DCC, PartyRole.SECAS)
            found = extract_service.issued_page(session, limit=limit, offset=offset)
            return IssuedExtractList(extracts=[issued_out(i) for i in found.items], **page_info(found))

    @api.get(
        "/extracts/{sequence}",
        summary="One issued extract",
        responses=error_responses(401, 403, 404, 422),
        openapi_extra=callers(PartyRole.DCC, PartyRole.SECAS),
    )
    def read_extract(request: Request, credentials: Credentials, sequence: ExtractSequence) -> IssuedExtractOut:
        with transaction(request, write=False) as session:
            caller(session, credentials, PartyRole.DCC, PartyRole.SECAS)
            return issued_out(extract_service.get_issued(session, sequence))

    @api.get(
        "/extracts/{sequence}/signed",
        summary="Download a signed extract (.p7m)",
        description="The DER CMS SignedData exactly as issued. DCC and SECAS users.",
        response_class=Response,
        responses={
            200: {
                "content": {PKCS7_MIME: {"schema": {"type": "string", "format": "binary"}}},
                "description": "The signed extract",
            },
            **error_responses(401, 403, 404, 422),
        },
        openapi_extra=callers(PartyRole.DCC, PartyRole.SECAS),
    )
    def download_extract(request: Request, credentials: Credentials, sequence: ExtractSequence) -> Response:
        with transaction(request, write=False) as session:
            caller(session, credentials, PartyRole.DCC, PartyRole.SECAS)
            issued = extract_service.get_issued(session, sequence)
            return Response(
                content=issued.signed,
                media_type=PKCS7_MIME,
                headers={
                    "Content-Disposition": attachment(f"cpl-extract-{issued.sequence:06d}.p7m"),
                    "X-Content-SHA256": issued.content_sha256,
                },
            )

    @api.post(
        "/receipts",
        status_code=201,
        summary="Upload the DCC's signed receipt for a loaded extract",
        description=(
            "The DCC's signed receipt (multipart field `receipt`) says it loaded an issued extract. "
            "A receipt imported before is refused (409); one that does not verify or does not match an "
            "issued extract is refused (422). DCC users only. "
            f"A request body above {settings.max_upload_bytes} bytes is refused with 413."
        ),
        form_limits={"max_files": 1, "max_fields": 4},
        dependencies=[Depends(require_multipart)],
        responses=error_responses(400, 401, 403, 409, 413, 415, 422),
        openapi_extra=callers(PartyRole.DCC),
    )
    def upload_receipt(
        request: Request,
        credentials: Credentials,
        receipt: Annotated[UploadFile, File(description="The DCC's signed receipt (CMS, .p7m)")],
    ) -> ReceiptOut:
        signed = read_upload(receipt)
        with transaction(request) as session:
            caller(session, credentials, PartyRole.DCC)
            return receipt_out(extract_service.import_receipt(session, signed, now(), settings.cpl.receipt_trust()))

    return api
