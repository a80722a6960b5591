"""Removal proposals over HTTP (SECAS only): the ones waiting for the Panel, and dismissing one it will
not act on. The Panel decides a proposal by removing its entry (`POST /entries/{id}/removal`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from api.auth import AuthenticatedRoute, Credentials, caller, callers
from api.deps import now, transaction
from api.http import error_responses
from api.schemas import MAX_ID, MAX_OFFSET, DismissalIn
from cpl.core.domain import PartyRole
from cpl.services import proposals as proposal_service
from cpl.views import ProposalList, ProposalOut, page_info, proposal_out

ProposalId = Annotated[int, Path(ge=1, le=MAX_ID, description="The proposal's number")]


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["removal proposals"], route_class=AuthenticatedRoute)

    @api.get(
        "/proposals",
        summary="Removal proposals, oldest first",
        description=(
            "Removals a certificate revocation or the CPA expiry job proposed for the Panel: the open ones "
            "(`state=open`, the default), those decided by a Panel removal or dismissed, or all; oldest first, "
            "`limit` at a time from `offset`, `total` how many match (`cpl proposals list`). SECAS users only."
        ),
        responses=error_responses(401, 403, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def list_proposals(
        request: Request,
        credentials: Credentials,
        state: Annotated[
            Literal["open", "decided", "dismissed", "all"], Query(description="Only proposals in this state")
        ] = "open",
        limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many")] = 0,
    ) -> ProposalList:
        with transaction(request, write=False) as session:
            caller(session, credentials, PartyRole.SECAS)
            found = proposal_service.proposals_page(
                session, None if state == "all" else state, limit=limit, offset=offset
            )
            return ProposalList(
                proposals=[proposal_out(p.proposal, p.dismissal) for p in found.items], **page_info(found)
            )

    @api.post(
        "/proposals/{proposal_id}/dismissal",
        summary="Dismiss a removal proposal the Panel will not act on",
        description=(
            "Closes an open proposal without a removal, with who and why (`reason`, required) in the audit log "
            "(`cpl proposals dismiss`). A proposal already decided or dismissed is a 409. SECAS users only."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
        openapi_extra=callers(PartyRole.SECAS),
    )
    def dismiss(request: Request, credentials: Credentials, proposal_id: ProposalId, body: DismissalIn) -> ProposalOut:
        with transaction(request) as session:
            principal = caller(session, credentials, PartyRole.SECAS)
            listed = proposal_service.dismiss_proposal(session, proposal_id, principal.user_id, body.reason, now())
            return proposal_out(listed.proposal, listed.dismissal)

    return api
