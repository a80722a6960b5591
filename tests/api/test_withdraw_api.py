"""`POST /api/v1/submissions/{id}/withdrawal`: the submitting party's own, never SECAS's nor another party's,
and a withdrawn submission is a named 409 for every decision after."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World


def withdraw(world: World, role: str, submission: int, note: str | None = None) -> Any:
    body = None if note is None else {"note": note}
    return world.client.post(f"/api/v1/submissions/{submission}/withdrawal", headers=world.headers(role), json=body)


def test_the_submitting_party_withdraws_its_open_submission(world: World) -> None:
    submission = world.template.open_submission
    response = withdraw(world, "manufacturer", submission, "Wrong hardware version, resubmitting.")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["state"], body["decided_by"]) == (submission, "withdrawn", "acme-meters")
    assert body["decision_note"] == "Wrong hardware version, resubmitting."
    listed = world.client.get("/api/v1/submissions?state=withdrawn", headers=world.headers("secas")).json()
    assert [s["id"] for s in listed["submissions"]] == [submission]
    audit = world.client.get("/api/v1/audit?limit=1000", headers=world.headers("secas")).json()
    (event,) = [e for e in audit["events"] if e["action"] == "submission.withdraw"]
    assert (event["actor"], event["subject"]) == ("acme-meters", f"submission:{submission}")
    assert audit["chain_intact"] is True


def test_a_withdrawn_submission_is_a_named_409_for_approval_rejection_and_withdrawal(world: World) -> None:
    submission = world.template.open_submission
    assert withdraw(world, "manufacturer", submission).status_code == 200
    before = world.snapshot()
    for response in (
        world.client.post(f"/api/v1/submissions/{submission}/approval", headers=world.headers("secas")),
        world.client.post(
            f"/api/v1/submissions/{submission}/rejection", headers=world.headers("secas"), json={"note": "late"}
        ),
        withdraw(world, "manufacturer", submission),
    ):
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "submission_withdrawn"
        assert error["message"].startswith(f"Submission {submission} was withdrawn by acme-meters")
    assert world.snapshot() == before


def test_a_withdrawn_firmware_update_can_no_longer_be_confirmed(world: World) -> None:
    submission = world.template.firmware_update
    assert withdraw(world, "manufacturer", submission).status_code == 200
    confirmed = world.client.post(f"/api/v1/submissions/{submission}/confirmation", headers=world.headers("supplier"))
    assert confirmed.status_code == 409 and confirmed.json()["error"]["code"] == "submission_withdrawn"


def test_an_approved_submission_cannot_be_withdrawn(world: World) -> None:
    submission = world.template.open_submission
    approved = world.client.post(f"/api/v1/submissions/{submission}/approval", headers=world.headers("secas"))
    assert approved.status_code == 200, approved.text
    refused = withdraw(world, "manufacturer", submission)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "submission_already_decided"


def test_another_manufacturer_gets_403_and_nothing_changes(world: World) -> None:
    before = world.snapshot()
    refused = withdraw(world, "other_manufacturer", world.template.open_submission)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert world.snapshot() == before


def test_the_supplier_a_firmware_update_names_may_read_it_but_not_withdraw_it(world: World) -> None:
    before = world.snapshot()
    refused = withdraw(world, "supplier", world.template.firmware_update)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_permitted"
    assert "only that party may withdraw it" in refused.json()["error"]["message"]
    assert world.snapshot() == before


def test_secas_does_not_withdraw_for_the_party_it_rejects(world: World) -> None:
    before = world.snapshot()
    refused = withdraw(world, "secas", world.template.open_submission)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_permitted"
    assert "SECAS decides it instead" in refused.json()["error"]["message"]
    assert world.snapshot() == before


def test_no_token_is_401_an_unknown_submission_404_and_a_hostile_note_422(world: World) -> None:
    assert withdraw(world, "no_token", world.template.open_submission).status_code == 401
    assert withdraw(world, "manufacturer", 99_999).status_code == 404
    too_long = withdraw(world, "manufacturer", world.template.open_submission, "x" * 2001)
    assert too_long.status_code == 422
    control = withdraw(world, "manufacturer", world.template.open_submission, "a\x00b")
    assert control.status_code == 422
