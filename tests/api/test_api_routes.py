"""The routes a client needs, through the real app over a copy of the test world: lists that grow come a
page at a time with a total, filters that work and a stable order; entries with their history; removal
proposals listed and dismissed; the blank template; a submission's detail naming what it created."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from cpl.demo.workbooks import ACME_FORM, ACME_FORM_CERTIFICATES, sec_form
from tests.api.conftest import World, clean_workbook


def _get(world: World, path: str, role: str = "secas", **params: Any) -> dict[str, Any]:
    response = world.client.get(path, headers=world.headers(role), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _walk(world: World, path: str, key: str, limit: int, **params: Any) -> tuple[list[Any], set[int]]:
    """Every item of a list, ``limit`` at a time, and the totals each page said."""
    items: list[Any] = []
    totals: set[int] = set()
    offset = 0
    while True:
        page = _get(world, path, limit=limit, offset=offset, **params)
        totals.add(page["total"])
        assert (page["limit"], page["offset"]) == (limit, offset)
        items.extend(page[key])
        if len(page[key]) < limit:
            return items, totals
        offset += limit


def _submit(world: World, workbook: bytes, role: str = "manufacturer") -> dict[str, Any]:
    response = world.client.post(
        "/api/v1/submissions",
        headers=world.headers(role),
        files={"workbook": ("w.xlsx", workbook, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_submissions_page_newest_first_with_a_total_and_pages_that_neither_overlap_nor_skip(world: World) -> None:
    for start in (300, 310, 320):
        _submit(world, clean_workbook(start))
    whole = _get(world, "/api/v1/submissions", limit=1000)
    ids = [s["id"] for s in whole["submissions"]]
    assert ids == sorted(ids, reverse=True) and whole["total"] == len(ids) >= 6
    walked, totals = _walk(world, "/api/v1/submissions", "submissions", 2)
    assert [s["id"] for s in walked] == ids and totals == {len(ids)}
    open_only = _get(world, "/api/v1/submissions", state="open")
    assert open_only["total"] == len(open_only["submissions"]) >= 4
    assert {s["state"] for s in open_only["submissions"]} == {"open"}
    theirs = _get(world, "/api/v1/submissions", role="other_manufacturer")
    assert (theirs["total"], theirs["submissions"]) == (0, [])


def test_entries_are_listed_filtered_and_paged_and_each_has_its_history(world: World) -> None:
    every = _get(world, "/api/v1/entries", role="manufacturer")
    ids = [e["entry_id"] for e in every["entries"]]
    assert ids == sorted(ids) and every["total"] == len(ids) == 3
    walked, totals = _walk(world, "/api/v1/entries", "entries", 2)
    assert [e["entry_id"] for e in walked] == ids and totals == {3}
    first = every["entries"][0]
    by_type = _get(world, "/api/v1/entries", type=first["physical_device_type"])
    assert {e["physical_device_type"] for e in by_type["entries"]} == {first["physical_device_type"]}
    assert by_type["total"] == len(by_type["entries"]) >= 1
    assert _get(world, "/api/v1/entries", text="cpl-000002")["entries"][0]["entry_id"] == "CPL-000002"
    assert _get(world, "/api/v1/entries", text=first["certificates"]["zigbee"].lower())["total"] >= 1
    assert _get(world, "/api/v1/entries", manufacturer=first["manufacturer_id"].lower())["total"] == 3
    assert _get(world, "/api/v1/entries", status="Withdrawn")["total"] == 0

    removed = world.client.post(
        "/api/v1/entries/CPL-000001/removal",
        headers=world.headers("secas"),
        json={"status": "Withdrawn", "panel_reference": "SECP_66_1503", "reason": "test"},
    )
    assert removed.status_code == 200, removed.text
    assert [e["entry_id"] for e in _get(world, "/api/v1/entries", status="Withdrawn")["entries"]] == ["CPL-000001"]
    shown = _get(world, "/api/v1/entries/CPL-000001", role="dcc")
    assert [h["status"] for h in shown["history"]] == ["Active", "Withdrawn"]
    assert shown["history"][-1]["panel_reference"] == "SECP_66_1503"
    missing = world.client.get("/api/v1/entries/CPL-000999", headers=world.headers("secas"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_entry"


def test_a_proposal_is_listed_then_dismissed_with_a_reason_and_only_once(world: World) -> None:
    entry = _get(world, "/api/v1/entries/CPL-000001")
    revoked = world.client.post(
        "/api/v1/certificates/revocations",
        headers=world.headers("secas"),
        json={"scheme": "ZigBee", "number": entry["certificates"]["zigbee"], "reason": "scheme withdrew it"},
    )
    assert revoked.status_code == 200, revoked.text
    (proposal,) = revoked.json()["proposals"]
    listed = _get(world, "/api/v1/proposals")
    assert listed["total"] == 1 and listed["proposals"][0]["id"] == proposal["id"]
    path = f"/api/v1/proposals/{proposal['id']}/dismissal"
    blank = world.client.post(path, headers=world.headers("secas"), json={"reason": "  "})
    assert blank.status_code == 422 and "say why" in blank.json()["error"]["message"]
    dismissed = world.client.post(path, headers=world.headers("secas"), json={"reason": "Panel keeps it"})
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["state"], dismissed.json()["dismissal_reason"]) == ("dismissed", "Panel keeps it")
    again = world.client.post(path, headers=world.headers("secas"), json={"reason": "again"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "proposal_state"
    assert _get(world, "/api/v1/proposals")["total"] == 0
    assert _get(world, "/api/v1/proposals", state="dismissed")["proposals"][0]["dismissed_by"] == "alice"
    unknown = world.client.post("/api/v1/proposals/999/dismissal", headers=world.headers("secas"), json={"reason": "x"})
    assert unknown.status_code == 404


def test_drafts_and_extracts_page_with_a_total_and_a_superseded_draft_names_its_successor_on_any_page(
    world: World,
) -> None:
    for _ in range(2):
        made = world.client.post("/api/v1/extracts/drafts?unchanged=true", headers=world.headers("secas"))
        assert made.status_code == 201, made.text
    whole = _get(world, "/api/v1/extracts/drafts", state="all")
    walked, totals = _walk(world, "/api/v1/extracts/drafts", "drafts", 1, state="all")
    assert walked == whole["drafts"] and totals == {whole["total"]} == {4}
    waiting = _get(world, "/api/v1/extracts/drafts")
    assert waiting["total"] == 1 and waiting["drafts"][0]["state"] == "draft"
    extracts = _get(world, "/api/v1/extracts", role="dcc")
    assert extracts["total"] == 1 and [e["sequence"] for e in extracts["extracts"]] == [1]
    assert _get(world, "/api/v1/extracts", offset=1)["extracts"] == []


def test_the_audit_log_pages_by_offset_or_after_and_each_page_verifies_its_links(world: World) -> None:
    first = _get(world, "/api/v1/audit", limit=3)
    assert first["chain_intact"] and first["offset"] == 0 and len(first["events"]) == 3
    by_cursor = _get(world, "/api/v1/audit", limit=3, after=first["next_after"])
    by_offset = _get(world, "/api/v1/audit", limit=3, offset=3)
    assert by_cursor["events"] == by_offset["events"] and by_cursor["chain_intact"]
    assert by_cursor["events"][0]["previous_hash"] == first["events"][-1]["event_hash"]
    ids: list[int] = []
    after = 0
    while True:
        page = _get(world, "/api/v1/audit", limit=4, after=after)
        assert page["chain_intact"] and page["total"] == first["total"]
        ids.extend(e["id"] for e in page["events"])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert len(ids) == first["total"] and ids == sorted(ids)


def test_the_template_downloads_in_either_layout_without_a_token(world: World) -> None:
    own = world.client.get("/api/v1/template")
    assert own.status_code == 200 and "attachment" in own.headers["content-disposition"]
    assert "CPL New Entry" in openpyxl.load_workbook(io.BytesIO(own.content)).sheetnames
    sec = world.client.get("/api/v1/template", params={"layout": "sec"})
    assert sec.status_code == 200
    assert "CPL - New Entry" in openpyxl.load_workbook(io.BytesIO(sec.content)).sheetnames


def test_a_submission_names_the_entries_its_approval_created(world: World) -> None:
    path = f"/api/v1/submissions/{world.template.open_submission}"
    assert _get(world, path)["created_entries"] == []
    approved = world.client.post(f"{path}/approval", headers=world.headers("secas"))
    assert approved.status_code == 200, approved.text
    created = [e["entry_id"] for e in approved.json()["entries"]]
    shown = _get(world, path, role="manufacturer")
    assert shown["created_entries"] == created and len(created) == 2
    assert shown["form_audit"] is None  # the project's own layout keeps no form contacts


def test_a_submission_on_the_sec_form_shows_its_contacts_to_secas_and_its_party_only(world: World) -> None:
    submitted = _submit(world, sec_form(ACME_FORM, ACME_FORM_CERTIFICATES))
    path = f"/api/v1/submissions/{submitted['id']}"
    for role in ("secas", "manufacturer"):
        kept = _get(world, path, role=role)["form_audit"]
        assert kept is not None
        assert "assurance@acme.example" in kept.values()
