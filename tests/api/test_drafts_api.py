"""The drafts over HTTP: the one waiting and every draft (with what superseded each), a prepare that
changes nothing (409 unless asked), and an approval of a superseded draft that names its successor."""

from __future__ import annotations

from tests.api.conftest import World


def test_drafts_list_the_waiting_one_and_every_draft_with_its_successor(world: World) -> None:
    alice, bob = world.headers("secas"), {"Authorization": f"Bearer {world.tokens['bob']}"}
    waiting = world.template.draft

    [only] = world.client.get("/api/v1/extracts/drafts", headers=alice).json()["drafts"]
    assert (only["id"], only["state"], only["superseded_by"]) == (waiting, "draft", None)

    # The CPL is as extract 1 has it: no draft unless asked.
    refused = world.client.post("/api/v1/extracts/drafts", headers=alice)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "nothing_to_issue"
    assert "Nothing changed since extract 1" in refused.json()["error"]["message"]
    assert [d["id"] for d in world.client.get("/api/v1/extracts/drafts", headers=alice).json()["drafts"]] == [waiting]

    newer = world.client.post("/api/v1/extracts/drafts?unchanged=true", headers=alice)
    assert newer.status_code == 201
    newest = newer.json()["id"]
    every = world.client.get("/api/v1/extracts/drafts?state=all", headers=alice).json()["drafts"]
    assert [(d["id"], d["state"], d["superseded_by"]) for d in every] == [
        (newest, "draft", None),
        (waiting, "superseded", newest),
        (1, "issued", None),
    ]
    assert world.client.get(f"/api/v1/extracts/drafts/{waiting}", headers=alice).json()["superseded_by"] == newest
    assert world.client.get("/api/v1/extracts/drafts?state=all&limit=1", headers=alice).json()["drafts"][0]["id"] == (
        newest
    )

    stale = world.client.post(f"/api/v1/extracts/drafts/{waiting}/approval", headers=alice)
    assert stale.status_code == 409
    assert f"superseded by draft {newest}, which is waiting for approval" in stale.json()["error"]["message"]
    issued = world.client.post(f"/api/v1/extracts/drafts/{newest}/approval", headers=bob)
    assert issued.status_code == 201 and issued.json()["sequence"] == 2


def test_drafts_are_for_secas_only_and_bad_filters_are_refused(world: World) -> None:
    assert world.client.get("/api/v1/extracts/drafts").status_code == 401
    assert world.client.get("/api/v1/extracts/drafts", headers=world.headers("dcc")).status_code == 403
    bad = world.client.get("/api/v1/extracts/drafts?state=open", headers=world.headers("secas"))
    assert bad.status_code == 422
