"""The audit log over HTTP (SECAS only), and who the caller is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import func
from sqlmodel import col, select

from api.auth import Credentials, caller
from api.deps import transaction
from api.http import error_responses
from api.schemas import MAX_OFFSET
from cpl import audit
from cpl.core.domain import PartyRole
from cpl.store import AuditEvent
from cpl.views import AuditLogOut, ChainBreakOut, Me, audit_event_out, me


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1")

    @api.get(
        "/me",
        tags=["access"],
        summary="Who the token speaks for",
        responses=error_responses(401),
    )
    def whoami(request: Request, credentials: Credentials) -> Me:
        with transaction(request) as session:
            return me(caller(session, credentials))

    @api.get(
        "/audit",
        tags=["audit"],
        summary="The hash-chained audit log",
        description=("Events oldest first, a page at a time, and whether the whole chain verifies. SECAS users only."),
        responses=error_responses(401, 403),
    )
    def audit_log(
        request: Request,
        credentials: Credentials,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> AuditLogOut:
        with transaction(request) as session:
            caller(session, credentials, PartyRole.SECAS)
            chain_break = audit.verify_chain(audit.all_events(session))
            total = session.exec(select(func.count()).select_from(AuditEvent)).one()
            page = session.exec(select(AuditEvent).order_by(col(AuditEvent.id)).offset(offset).limit(limit)).all()
            return AuditLogOut(
                chain_intact=chain_break is None,
                chain_break=None
                if chain_break is None
                else ChainBreakOut(event_id=chain_break.event_id, reason=chain_break.reason),
                total=total,
                events=[audit_event_out(e) for e in page],
            )

    return api
