"""The audit log over HTTP (SECAS only), a verified page at a time, and who the caller is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.auth import AuthenticatedRoute, Credentials, caller, callers
from api.deps import transaction
from api.http import error_responses
from api.schemas import MAX_ID, MAX_OFFSET
from cpl.core.domain import PartyRole
from cpl.services import audit_log as audit_service
from cpl.views import AuditLogOut, ChainBreakOut, Me, audit_event_out, me


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", route_class=AuthenticatedRoute)

    @api.get(
        "/me",
        tags=["access"],
        summary="Who the token speaks for",
        responses=error_responses(401),
        openapi_extra=callers(),
    )
    def whoami(request: Request, credentials: Credentials) -> Me:
        with transaction(request, write=False) as session:
            return me(caller(session, credentials))

    @api.get(
        "/audit",
        tags=["audit"],
        summary="The hash-chained audit log, a page at a time",
        description=(
            "Events oldest first, `limit` at a time: those after event `after` (the `next_after` of the page "
            "before; one index range however long the log), or from `offset`. Each page is verified on its "
            "own: every event's hash, and its link to the event before it (`chain_intact`, `chain_break`); "
            "walking every page verifies the whole chain, as `cpl audit verify` does at once. SECAS users only."
        ),
        responses=error_responses(401, 403, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def audit_log(
        request: Request,
        credentials: Credentials,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many events")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many events (without `after`)")] = 0,
        after: Annotated[
            int | None, Query(ge=0, le=MAX_ID, description="Only events after this id (the last page's `next_after`)")
        ] = None,
    ) -> AuditLogOut:
        with transaction(request, write=False) as session:
            caller(session, credentials, PartyRole.SECAS)
            page = audit_service.audit_page(session, limit=limit, offset=offset, after=after)
            broken = page.chain_break
            return AuditLogOut(
                chain_intact=broken is None,
                chain_break=None if broken is None else ChainBreakOut(event_id=broken.event_id, reason=broken.reason),
                total=page.total,
                limit=limit,
                offset=offset if after is None else None,
                next_after=page.events[-1].id if page.events else None,
                events=[audit_event_out(e) for e in page.events],
            )

    return api
