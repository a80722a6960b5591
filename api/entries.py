"""The list's entries and certificates over HTTP: the entries as stored now and one entry's history,
Panel removals, certificate revocations, the public list of assurance certificates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlmodel import col, select

from api.auth import AuthenticatedRoute, Credentials, caller, callers
from api.deps import now, transaction
from api.http import error_responses
from api.schemas import MAX_OFFSET, RemovalIn, RevocationIn, SearchText
from cpl.core.domain import PartyRole
from cpl.services import entries as entry_service
from cpl.services.paging import page
from cpl.store import Certificate
from cpl.views import (
    CertificateList,
    EntryList,
    EntryOut,
    EntryWithHistoryOut,
    RevocationOut,
    certificate_out,
    entry_out,
    entry_with_history_out,
    page_info,
    proposal_out,
)
from formats.vocabulary import AssuranceScheme, EntryStatus, PhysicalDeviceType

EntryId = Annotated[str, Path(pattern=r"^(?:[Cc][Pp][Ll]-)?[0-9]{1,9}$", description="The entry id, e.g. CPL-000123")]


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["entries and certificates"], route_class=AuthenticatedRoute)

    @api.get(
        "/entries",
        summary="The CPL's entries as stored now, filtered, a page at a time",
        description=(
            "Every entry by id, including changes SECAS has recorded that no extract has issued yet (the "
            "published list is `/api/v1/cpl.json`). Filters: `status`, `type` (the Physical Device Type), "
            "`manufacturer` (its name or id, any case, in part) and `text` (an entry id such as CPL-000123, "
            "or text found, any case, in the model name or id or a certificate number). `limit` at a time "
            "from `offset`; `total` is how many match. Any party's user."
        ),
        responses=error_responses(401, 422),
        openapi_extra=callers(),
    )
    def list_entries(
        request: Request,
        credentials: Credentials,
        status: Annotated[EntryStatus | None, Query(description="Only entries with this status")] = None,
        device_type: Annotated[
            PhysicalDeviceType | None, Query(alias="type", description="Only this Physical Device Type")
        ] = None,
        manufacturer: Annotated[
            SearchText | None, Query(description="Only this manufacturer: its name or id, any case, in part")
        ] = None,
        text: Annotated[
            SearchText | None, Query(description="An entry id, or text in the model or a certificate")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many")] = 0,
    ) -> EntryList:
        with transaction(request, write=False) as session:
            caller(session, credentials)
            found = entry_service.entries_page(
                session,
                status,
                device_type=device_type,
                manufacturer=manufacturer,
                text=text,
                limit=limit,
                offset=offset,
            )
            return EntryList(entries=[entry_out(e) for e in found.items], **page_info(found))

    @api.get(
        "/entries/{entry_id}",
        summary="One entry with its status history",
        description="The entry as stored now and every status it has had, oldest first (`cpl show`). Any party's user.",
        responses=error_responses(401, 404, 422),
        openapi_extra=callers(),
    )
    def read_entry(request: Request, credentials: Credentials, entry_id: EntryId) -> EntryWithHistoryOut:
        with transaction(request, write=False) as session:
            caller(session, credentials)
            entry = entry_service.get_entry(session, entry_id)
            return entry_with_history_out(entry, entry_service.history(session, entry))

    @api.post(
        "/entries/{entry_id}/removal",
        summary="Record the Panel's removal of an entry",
        description=(
            "SECAS records a Panel decision removing an Active entry (Expired, Withdrawn or Cancelled) with "
            "the decision's minutes reference; the next extract carries it. SECAS users only."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def remove(request: Request, credentials: Credentials, entry_id: EntryId, body: RemovalIn) -> EntryOut:
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SECAS)
            entry = entry_service.remove(
                session,
                entry_id,
                EntryStatus(body.status),
                body.panel_reference,
                principal.user_id,
                now(),
                body.reason,
            )
            return entry_out(entry)

    @api.post(
        "/certificates/revocations",
        summary="Record a revoked assurance certificate",
        description=(
            "Every Active entry relying on the certificate becomes a removal proposal for the Panel; nothing "
            "is removed without a Panel decision. SECAS users only."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def revoke(request: Request, credentials: Credentials, body: RevocationIn) -> RevocationOut:
        moment = now()
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SECAS)
            proposals = entry_service.revoke_certificate(
                session, body.scheme, body.number, body.reason, principal.user_id, moment
            )
            return RevocationOut(
                scheme=str(body.scheme),
                number=body.number,
                revoked_at=moment,
                proposals=[proposal_out(p) for p in proposals],
            )

    @api.get(
        "/certificates",
        summary="The assurance certificates on record (public)",
        description=(
            "No token needed. Certificates are listed by scheme and number, `limit` at a time from `offset`; "
            "`total` is how many match."
        ),
        responses=error_responses(422),
    )
    def certificates(
        request: Request,
        scheme: Annotated[AssuranceScheme | None, Query(description="Only this scheme")] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> CertificateList:
        with transaction(request, write=False) as session:
            query = select(Certificate).order_by(col(Certificate.scheme), col(Certificate.number), col(Certificate.id))
            if scheme is not None:
                query = query.where(Certificate.scheme == scheme)
            found = page(session, query, limit=limit, offset=offset)
            return CertificateList(certificates=[certificate_out(c) for c in found.items], total=found.total)

    return api
