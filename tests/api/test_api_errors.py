"""Refusals of a request's content in users' words, through the real routes: enumeration values as they
are typed (never ``<EntryStatus.EXPIRED: 'Expired'>``), a body that is not JSON said so (never
``field '1': JSON decode error``), and every problem named (never "and 1 more problem")."""

from __future__ import annotations

import re

from tests.api.conftest import World

REPR = re.compile(r"<\w+\.\w+: ")


def test_a_wrong_removal_status_lists_the_values_as_typed(world: World) -> None:
    response = world.client.post(
        "/api/v1/entries/CPL-000001/removal",
        headers=world.headers("secas"),
        json={"status": "Active", "panel_reference": "SECP_66_1503"},
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert not REPR.search(message), message
    assert "the request body field 'status': Input should be 'Expired', 'Withdrawn' or 'Cancelled'" in message


def test_a_body_that_is_not_json_is_said_to_be_not_json(world: World) -> None:
    response = world.client.post(
        "/api/v1/certificates/revocations",
        headers={**world.headers("secas"), "Content-Type": "application/json"},
        content=b'{"scheme": ',
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("The request is not valid: the request body is not valid JSON"), message
    assert "field '" not in message and "decode" not in message


def test_every_problem_is_named_not_counted(world: World) -> None:
    response = world.client.post(
        "/api/v1/entries/CPL-000001/removal",
        headers=world.headers("secas"),
        json={"status": "Gone", "reason": "x" * 600},
    )
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "more problem" not in message
    for named in ("'status'", "'panel_reference' is missing", "'reason'"):
        assert named in message, message
    listed = world.client.get("/api/v1/submissions?limit=0&offset=-1&state=lost", headers=world.headers("secas"))
    message = listed.json()["error"]["message"]
    for named in ("query parameter 'limit'", "query parameter 'offset'", "query parameter 'state'"):
        assert named in message, message


def test_a_missing_body_names_the_fields_the_route_takes(world: World) -> None:
    path = f"/api/v1/submissions/{world.template.open_submission}/rejection"
    response = world.client.post(path, headers=world.headers("secas"))
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "The request is not valid: the request body is missing (it takes a JSON object with 'note')."
    )
