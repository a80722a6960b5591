"""Who is calling: a bearer token looked up by its digest, and what the caller's party may do.

The token is read with FastAPI's ``HTTPBearer(auto_error=False)`` so that OpenAPI documents the
scheme while the refusal stays ours (401 with the service's JSON error shape). Authentication
happens inside the request's transaction, before anything is read or written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.http import ApiError
from cpl.core.domain import PartyRole
from cpl.services.tokens import Principal, authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token from 'cpl parties add-token USER' (it starts with 'cpl_').",
)

#: The credentials a request presented, if any; declare it on a route to document the security scheme.
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def caller(session: Session, credentials: HTTPAuthorizationCredentials | None, *roles: PartyRole) -> Principal:
    """The authenticated principal, refused (401) without a valid token or (403) outside ``roles``."""
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401, "unauthenticated", "This needs an API token sent as 'Authorization: Bearer <token>'.", _CHALLENGE
        )
    principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise ApiError(
            401, "invalid_token", "The API token is not valid: it is unknown, revoked or malformed.", _CHALLENGE
        )
    if roles and principal.role not in roles:
        allowed = " or ".join(str(r) for r in roles)
        raise ApiError(
            403,
            "forbidden",
            f"Only a {allowed} user may do this; {principal.user_id} acts for {principal.party_id} ({principal.role}).",
        )
    return principal
