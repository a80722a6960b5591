"""Every endpoint for every kind of caller: allowed roles succeed; others get 401 or 403 and change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from cpl.services import entries as entry_service
from cpl.store import get_engine
from formats.vocabulary import AssuranceScheme
from tests.api.conftest import AUTHENTICATED, EVERYONE, ROLES, World, app_settings, clean_workbook

Request = Callable[[World], dict[str, Any]]


def _nothing(_world: World) -> dict[str, Any]:
    return {}


def _upload(world: World) -> dict[str, Any]:
    return {"files": {"workbook": ("new.xlsx", clean_workbook(200), "application/octet-stream")}}


def _receipt(world: World) -> dict[str, Any]:
    return {"files": {"receipt": ("receipt-1.p7m", world.template.receipt, "application/pkcs7-mime")}}


def _no_setup(_world: World) -> None:
    return None


def _open_proposal(world: World) -> None:
    """A revoked certificate of CPL-000001: removal proposal 1, open, for the Panel."""
    with Session(get_engine(world.url)) as session:
        entry = entry_service.get_entry(session, "CPL-000001")
        assert entry.zigbee_certificate is not None
        entry_service.revoke_certificate(
            session, AssuranceScheme.ZIGBEE, entry.zigbee_certificate, "test", "alice", dt.datetime.now(dt.UTC)
        )
        session.commit()


@dataclass(frozen=True)
class Endpoint:
    method: str
    route: str  # the route's path template, as OpenAPI names it
    path: Callable[[World], str]
    allowed: frozenset[str]
    success: int = 200
    request: Request = _nothing
    setup: Callable[[World], None] = _no_setup  # before the "nothing changed" snapshot

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def _fixed(path: str) -> Callable[[World], str]:
    return lambda _world: path


SECAS = frozenset({"secas"})
DCC_AND_SECAS = frozenset({"dcc", "secas"})

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/", _fixed("/"), EVERYONE),
    Endpoint("GET", "/api/v1/cpl.json", _fixed("/api/v1/cpl.json"), EVERYONE),
    Endpoint("GET", "/api/v1/cpl.csv", _fixed("/api/v1/cpl.csv"), EVERYONE),
    Endpoint("GET", "/api/v1/cpl.xlsx", _fixed("/api/v1/cpl.xlsx"), EVERYONE),
    Endpoint("GET", "/api/v1/central_products_list.xlsx", _fixed("/api/v1/central_products_list.xlsx"), EVERYONE),
    Endpoint("GET", "/api/v1/central_products_list.csv", _fixed("/api/v1/central_products_list.csv"), EVERYONE),
    Endpoint("GET", "/api/v1/certificates", _fixed("/api/v1/certificates"), EVERYONE),
    Endpoint("GET", "/api/v1/template", _fixed("/api/v1/template"), EVERYONE),
    Endpoint("GET", "/entries/{entry_id}", _fixed("/entries/CPL-000001"), EVERYONE),
    Endpoint("GET", "/api/v1/entries", _fixed("/api/v1/entries?status=Active"), AUTHENTICATED),
    Endpoint("GET", "/api/v1/entries/{entry_id}", _fixed("/api/v1/entries/CPL-000001"), AUTHENTICATED),
    Endpoint("GET", "/api/v1/proposals", _fixed("/api/v1/proposals?state=all"), SECAS),
    Endpoint(
        "POST",
        "/api/v1/proposals/{proposal_id}/dismissal",
        _fixed("/api/v1/proposals/1/dismissal"),
        SECAS,
        request=lambda _w: {"json": {"reason": "The Panel keeps the entry (SECP_70_0101)."}},
        setup=_open_proposal,
    ),
    Endpoint("GET", "/docs/finding-codes", _fixed("/docs/finding-codes"), EVERYONE),
    Endpoint("GET", "/docs/finding-codes.md", _fixed("/docs/finding-codes.md"), EVERYONE),
    Endpoint("GET", "/api/v1/me", _fixed("/api/v1/me"), AUTHENTICATED),
    Endpoint("GET", "/api/v1/audit", _fixed("/api/v1/audit"), SECAS),
    Endpoint("POST", "/api/v1/checks", _fixed("/api/v1/checks"), AUTHENTICATED, 200, _upload),
    Endpoint("POST", "/api/v1/submissions", _fixed("/api/v1/submissions"), AUTHENTICATED, 201, _upload),
    Endpoint("GET", "/api/v1/submissions", _fixed("/api/v1/submissions"), AUTHENTICATED),
    Endpoint(
        "GET",
        "/api/v1/submissions/{submission_id}",
        lambda w: f"/api/v1/submissions/{w.template.open_submission}",
        frozenset({"manufacturer", "secas"}),
    ),
    Endpoint(
        "GET",
        "/api/v1/submissions/{submission_id}/findings",
        lambda w: f"/api/v1/submissions/{w.template.firmware_update}/findings",
        frozenset({"manufacturer", "supplier", "secas"}),  # the supplier it names may read it
    ),
    Endpoint(
        "POST",
        "/api/v1/submissions/{submission_id}/confirmation",
        lambda w: f"/api/v1/submissions/{w.template.firmware_update}/confirmation",
        frozenset({"supplier"}),
        201,
    ),
    Endpoint(
        "POST",
        "/api/v1/submissions/{submission_id}/approval",
        lambda w: f"/api/v1/submissions/{w.template.open_submission}/approval",
        SECAS,
    ),
    Endpoint(
        "POST",
        "/api/v1/submissions/{submission_id}/rejection",
        lambda w: f"/api/v1/submissions/{w.template.open_submission}/rejection",
        SECAS,
        request=lambda _w: {"json": {"note": "Release notes missing."}},
    ),
    Endpoint(
        "POST",
        "/api/v1/submissions/{submission_id}/withdrawal",
        lambda w: f"/api/v1/submissions/{w.template.open_submission}/withdrawal",
        frozenset({"manufacturer"}),  # the submitting party only: SECAS rejects, it does not withdraw
        request=lambda _w: {"json": {"note": "Superseded by a corrected workbook."}},
    ),
    Endpoint(
        "POST",
        "/api/v1/entries/{entry_id}/removal",
        _fixed("/api/v1/entries/CPL-000001/removal"),
        SECAS,
        request=lambda _w: {"json": {"status": "Withdrawn", "panel_reference": "SECP_66_1503", "reason": "test"}},
    ),
    Endpoint(
        "POST",
        "/api/v1/certificates/revocations",
        _fixed("/api/v1/certificates/revocations"),
        SECAS,
        request=lambda _w: {"json": {"scheme": "ZigBee", "number": "ZIGBEE-106C-C000-0000", "reason": "test"}},
    ),
    Endpoint("POST", "/api/v1/extracts/drafts", _fixed("/api/v1/extracts/drafts?unchanged=true"), SECAS, 201),
    Endpoint("GET", "/api/v1/extracts/drafts", _fixed("/api/v1/extracts/drafts?state=all"), SECAS),
    Endpoint(
        "GET",
        "/api/v1/extracts/drafts/{draft_id}",
        lambda w: f"/api/v1/extracts/drafts/{w.template.draft}",
        SECAS,
    ),
    Endpoint(
        "POST",
        "/api/v1/extracts/drafts/{draft_id}/approval",
        lambda w: f"/api/v1/extracts/drafts/{w.template.draft}/approval",
        SECAS,  # alice: the draft was prepared by bob
        201,
    ),
    Endpoint("GET", "/api/v1/extracts", _fixed("/api/v1/extracts"), DCC_AND_SECAS),
    Endpoint("GET", "/api/v1/extracts/{sequence}", _fixed("/api/v1/extracts/1"), DCC_AND_SECAS),
    Endpoint("GET", "/api/v1/extracts/{sequence}/signed", _fixed("/api/v1/extracts/1/signed"), DCC_AND_SECAS),
    Endpoint("POST", "/api/v1/receipts", _fixed("/api/v1/receipts"), frozenset({"dcc"}), 201, _receipt),
)


def test_the_matrix_covers_every_documented_route() -> None:
    paths = create_app(app_settings("sqlite:///:memory:")).openapi()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert routes == {(e.method, e.route) for e in ENDPOINTS}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_only_allowed_roles_succeed_and_refusals_change_nothing(world: World, endpoint: Endpoint, role: str) -> None:
    endpoint.setup(world)
    before = world.snapshot()
    response = world.client.request(
        endpoint.method, endpoint.path(world), headers=world.headers(role), **endpoint.request(world)
    )
    if role in endpoint.allowed:
        assert response.status_code == endpoint.success, response.text
        return
    expected = 403 if role in AUTHENTICATED else 401
    assert response.status_code == expected, response.text
    error = response.json()["error"]
    assert error["code"] in {"unauthenticated", "invalid_token", "forbidden", "not_permitted"}
    assert error["message"].endswith(".")
    if expected == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    assert world.snapshot() == before


PUBLIC = {e.id for e in ENDPOINTS if e.allowed == EVERYONE}


def test_the_openapi_document_names_the_bearer_scheme_on_every_protected_route() -> None:
    document = create_app(app_settings("sqlite:///:memory:")).openapi()
    assert document["components"]["securitySchemes"]["ApiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["ApiToken"]["description"],
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            if label in PUBLIC:
                assert "security" not in operation, label
            else:
                assert operation["security"] == [{"ApiToken": []}], label
                assert "401" in operation["responses"], label
            assert operation.get("summary"), label


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(tmp_path: Any) -> None:
    app = create_app(app_settings(f"sqlite:///{tmp_path / 'cpl.db'}"))

    def explode() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "The service failed unexpectedly; the failure has been logged."}
    }
    assert "secret internals" not in response.text
