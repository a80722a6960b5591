"""Who is calling: a bearer token looked up by its digest, and what the caller's party may do.

The token is read with FastAPI's ``HTTPBearer(auto_error=False)`` so that OpenAPI documents the
scheme while the refusal stays ours (401 with the service's JSON error shape). Authentication
happens inside the request's transaction, before anything is read or written.

It also happens before the request is read at all: a protected route names who may call it
(``openapi_extra=callers(PartyRole.SECAS)``, which OpenAPI shows as ``x-callers``) and
`AuthenticatedRoute` refuses an anonymous caller (401) or a caller of another role (403) before
FastAPI reads the body or validates a path, query or form value. A stranger learns nothing of a
route's schema; the route's own transaction authenticates again (a token revoked meanwhile does
nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.deps import transaction
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


#: The OpenAPI extension naming who may call a protected route: the roles, or none for any party's user.
CALLERS = "x-callers"


def callers(*roles: PartyRole) -> dict[str, Any]:
    """The ``openapi_extra`` of a protected route: the roles that may call it (none named: any party's user)."""
    return {CALLERS: [str(role) for role in roles]}


def _authenticate_first(
    request: Request, credentials: HTTPAuthorizationCredentials | None, roles: tuple[PartyRole, ...]
) -> None:
    with transaction(request, write=False) as session:
        caller(session, credentials, *roles)


class AuthenticatedRoute(APIRoute):
    """A route whose ``x-callers`` are checked before its request is read (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        named = (self.openapi_extra or {}).get(CALLERS)
        if named is None:
            return handler  # a public route
        roles = tuple(PartyRole(role) for role in named)

        async def authenticated_first(request: Request) -> Response:
            credentials = await bearer(request)
            await run_in_threadpool(_authenticate_first, request, credentials, roles)
            return await handler(request)

        return authenticated_first
