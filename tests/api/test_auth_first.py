"""Authentication before the request is read: every protected route in the app's own OpenAPI document
answers 401 to an anonymous caller and 403 to a caller of another role, whatever the path, query and
body say (a stranger learns nothing of a route's schema). The routes are walked from `/openapi.json`,
so a route added later is covered without a line here."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.app import create_app
from api.auth import CALLERS
from tests.api.conftest import ROLE_USERS, World, app_settings

#: The role each test token acts for (tests/api/conftest.py: ROLE_USERS).
TOKEN_ROLES = {
    "manufacturer": "manufacturer",
    "other_manufacturer": "manufacturer",
    "supplier": "supplier",
    "dcc": "dcc",
    "secas": "secas",
}
assert set(TOKEN_ROLES) == set(ROLE_USERS)

DOCUMENT = create_app(app_settings("sqlite:///:memory:")).openapi()
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
PROTECTED = [(m, p, o) for m, p, o in OPERATIONS if "security" in o]

#: A body no route could accept: not JSON, not multipart, not even what its content type says.
HOSTILE_BODY: dict[str, Any] = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}


def _hostile_path(path: str) -> str:
    """The route's path with every parameter a value no validation accepts."""
    return re.sub(r"\{[^}]+\}", "not%20valid%20%00", path) + "?limit=-1&offset=x&state=nonsense&annotate=maybe"


def _label(operation: tuple[str, str, dict[str, Any]]) -> str:
    return f"{operation[0]} {operation[1]}"


def test_every_protected_route_names_who_may_call_it() -> None:
    assert len(PROTECTED) >= 25
    for method, path, operation in PROTECTED:
        named = operation.get(CALLERS)
        assert isinstance(named, list), f"{method} {path}"
        assert set(named) <= set(TOKEN_ROLES.values()), f"{method} {path}"


@pytest.mark.parametrize("operation", PROTECTED, ids=_label)
def test_an_anonymous_caller_is_refused_before_anything_is_read(world: World, operation: Any) -> None:
    method, path, _ = operation
    before = world.snapshot()
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic YWxpY2U6c2VjcmV0"}):
        response = world.client.request(
            method, _hostile_path(path), **{**HOSTILE_BODY, "headers": {**HOSTILE_BODY["headers"], **headers}}
        )
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"
    for role in ("revoked_token", "garbage_token"):
        headers = {**HOSTILE_BODY["headers"], **world.headers(role)}
        response = world.client.request(method, _hostile_path(path), content=HOSTILE_BODY["content"], headers=headers)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "invalid_token"
    assert world.snapshot() == before


@pytest.mark.parametrize("operation", PROTECTED, ids=_label)
def test_a_caller_of_another_role_is_refused_before_anything_is_read(world: World, operation: Any) -> None:
    method, path, described = operation
    allowed = set(described[CALLERS])
    refused = [token for token, role in TOKEN_ROLES.items() if allowed and role not in allowed]
    before = world.snapshot()
    for token in refused:
        headers = {**HOSTILE_BODY["headers"], **world.headers(token)}
        response = world.client.request(method, _hostile_path(path), content=HOSTILE_BODY["content"], headers=headers)
        assert response.status_code == 403, (token, response.text)
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert error["message"].startswith("Only a ")
    assert world.snapshot() == before


@pytest.mark.parametrize("operation", PROTECTED, ids=_label)
def test_an_allowed_caller_gets_to_the_validation(world: World, operation: Any) -> None:
    """The same hostile request from a caller who may call the route is judged on its content (a 4xx that is
    not 401 or 403; a route that reads no input answers it)."""
    method, path, described = operation
    allowed = set(described[CALLERS]) or set(TOKEN_ROLES.values())
    token = next(t for t, role in TOKEN_ROLES.items() if role in allowed)
    headers = {**HOSTILE_BODY["headers"], **world.headers(token)}
    response = world.client.request(method, _hostile_path(path), content=HOSTILE_BODY["content"], headers=headers)
    assert response.status_code not in {401, 403}, response.text
    assert response.status_code < 500, response.text


def test_the_two_reported_probes_are_401_now(world: World) -> None:
    revocation = world.client.post("/api/v1/certificates/revocations", json={})
    receipt = world.client.post("/api/v1/receipts", content=b"x", headers={"Content-Type": "text/plain"})
    assert (revocation.status_code, receipt.status_code) == (401, 401)
