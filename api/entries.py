"""The list's entries and certificates over HTTP: Panel removals, certificate revocations, the public
list of assurance certificates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlmodel import col, select

from api.auth import Credentials, caller
from api.deps import now, transaction
from api.http import error_responses
from api.schemas import MAX_OFFSET, RemovalIn, RevocationIn
from cpl.core.domain import PartyRole
from cpl.services import entries as entry_service
from cpl.store import Certificate
from cpl.views import CertificateList, EntryOut, RevocationOut, certificate_out, entry_out, proposal_out
from formats.vocabulary import AssuranceScheme, EntryStatus

EntryId = Annotated[str, Path(pattern=r"^(?:[Cc][Pp][Ll]-)?[0-9]{1,9}$", description="The entry id, e.g. CPL-000123")]


def router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["entries and certificates"])

    @api.post(
        "/entries/{entry_id}/removal",
        summary="Record the Panel's removal of an entry",
        description=(
            "SECAS records a Panel decision removing an Active entry (Expired, Withdrawn or Cancelled) with "
            "the decision's minutes reference; the next extract carries it. SECAS users only."
        ),
        responses=error_responses(401, 403, 404, 409, 422),
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
        description="No token needed. Certificates are listed by scheme and number.",
    )
    def certificates(
        request: Request,
        scheme: Annotated[AssuranceScheme | None, Query(description="Only this scheme")] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> CertificateList:
        with transaction(request) as session:
            query = select(Certificate).order_by(col(Certificate.scheme), col(Certificate.number))
            if scheme is not None:
                query = query.where(Certificate.scheme == scheme)
            rows = session.exec(query.offset(offset).limit(limit)).all()
            return CertificateList(certificates=[certificate_out(c) for c in rows])

    return api
