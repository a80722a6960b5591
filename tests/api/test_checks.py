"""A workbook checked over HTTP without being stored, and a submission checked before its write lock.

A submission's workbook is read and checked in a read-only unit of work, then stored in a write
transaction that checks it again only if the CPL changed meanwhile: these tests make the CPL change
(or the token be revoked) exactly between the two, and look at what was stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from api.deps import RegistryFile
from cpl.config import Settings as CplSettings
from cpl.core.specs import SpecKind, SpecVersion
from cpl.demo.samples import sample_row, sample_submission
from cpl.services import submissions as submission_service
from cpl.services import tokens
from cpl.specs_file import load_registry, save_registry
from cpl.store import ApiToken, session_scope
from formats.vocabulary import PhysicalDeviceType
from tests.api.conftest import World, clean_workbook, workbook_bytes


def post(world: World, path: str, workbook: bytes, role: str = "manufacturer") -> Any:
    files = {"workbook": ("w.xlsx", workbook, "application/octet-stream")}
    return world.client.post(path, headers=world.headers(role), files=files)


def codes(findings: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in findings]


def listed_workbook() -> bytes:
    """The workbook whose three entries the template's store has Active."""
    listed = sample_submission(3)
    return workbook_bytes(listed.entries, listed.certificates)


# --- the check route -------------------------------------------------------------------------------


def test_a_check_answers_the_findings_a_submission_would_be_kept_with_and_stores_nothing(world: World) -> None:
    workbook = clean_workbook(300)
    before = world.snapshot()
    checked = post(world, "/api/v1/checks", workbook)
    assert checked.status_code == 200, checked.text
    assert world.snapshot() == before
    body = checked.json()
    assert body["error_count"] == 0 and body["workbook_sha256"] == hashlib.sha256(workbook).hexdigest()
    assert body["as_of"] == dt.datetime.now(dt.UTC).date().isoformat() and body["filename"] == "w.xlsx"
    submitted = post(world, "/api/v1/submissions", workbook).json()
    assert submitted["findings"] == body["findings"] and submitted["state"] == "open"


def test_a_check_of_entries_already_on_the_cpl_finds_d001_and_counts_errors(world: World) -> None:
    body = post(world, "/api/v1/checks", listed_workbook()).json()
    assert codes(body["findings"]).count("D001") == 3
    assert body["error_count"] == sum(f["severity"] == "error" for f in body["findings"]) >= 3
    assert body["warning_count"] == len(body["findings"]) - body["error_count"]


def test_a_check_of_a_file_that_is_not_a_workbook_is_a_wb001_finding(world: World) -> None:
    body = post(world, "/api/v1/checks", b"PK\x03\x04 not really a zip").json()
    assert codes(body["findings"]) == ["WB001"] and body["error_count"] == 1


def test_a_check_is_made_for_the_callers_role(world: World) -> None:
    row, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 960)
    row["submission_type"] = "SMETS1"
    row["technical_specification"] = "SMETS1 v1.2"
    workbook = workbook_bytes([row], certificates)
    by_manufacturer = post(world, "/api/v1/checks", workbook, "manufacturer").json()
    by_dcc = post(world, "/api/v1/checks", workbook, "dcc").json()
    assert "P002" in codes(by_manufacturer["findings"]) and "P002" not in codes(by_dcc["findings"])


def test_a_version_added_to_the_registry_file_is_recognised_without_a_restart(world: World) -> None:
    row, certificates = sample_row(PhysicalDeviceType.GAS_SMART_METER, 961)
    row["technical_specification"] = "SMETS2 v9.9"
    workbook = workbook_bytes([row], certificates)
    assert "V001" in codes(post(world, "/api/v1/checks", workbook).json()["findings"])
    specs_file = CplSettings.from_environment(os.environ).specs_file
    spec = SpecVersion(SpecKind.TECHNICAL_SPECIFICATION, "SMETS2 v9.9", effective_from=dt.date(2026, 1, 1))
    save_registry(load_registry(specs_file).with_version(spec), specs_file)  # as `cpl specs add` does
    assert "V001" not in codes(post(world, "/api/v1/checks", workbook).json()["findings"])


# --- a submission checked before its write transaction ---------------------------------------------


def checked_then(change: Callable[[], object], made: list[str] | None = None) -> Callable[..., Any]:
    """``prepare_submission`` noting whom it checks for, then ``change`` (committed in its own unit of
    work) the first time only: as if it happened just after the route checked the workbook."""
    prepare = submission_service.prepare_submission
    pending = [change]

    def prepare_then_change(*args: Any, **kwargs: Any) -> submission_service.PreparedSubmission:
        prepared = prepare(*args, **kwargs)
        if made is not None:
            made.append(kwargs["user_id"])
        while pending:
            pending.pop()()
        return prepared

    return prepare_then_change


def test_entries_approved_while_a_submission_is_checked_are_found_when_it_is_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def approve() -> None:
        path = f"/api/v1/submissions/{world.template.open_submission}/approval"
        approved = world.client.post(path, headers=world.headers("secas"))
        assert approved.status_code == 200, approved.text

    made: list[str] = []
    monkeypatch.setattr(submission_service, "prepare_submission", checked_then(approve, made))
    # the open submission's own workbook: clean when checked, two Active entries again when stored
    stored = post(world, "/api/v1/submissions", clean_workbook(100)).json()
    assert codes(stored["findings"]).count("D001") == 2 and stored["state"] == "has_errors"
    assert made == ["acme-meters", "acme-meters"]  # checked again in the write transaction


def test_another_submission_while_one_is_checked_leaves_its_check_standing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def another_submission() -> None:
        assert post(world, "/api/v1/submissions", clean_workbook(320), "other_manufacturer").status_code == 201

    made: list[str] = []
    monkeypatch.setattr(submission_service, "prepare_submission", checked_then(another_submission, made))
    stored = post(world, "/api/v1/submissions", clean_workbook(330))
    assert stored.status_code == 201 and stored.json()["state"] == "open"
    # each checked once, before its lock: a submission changes nothing a check reads
    assert made == ["acme-meters", "northwind"]


def test_a_token_revoked_while_a_submission_is_checked_submits_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = tokens.token_digest(world.tokens["manufacturer"])

    def revoke() -> None:
        with session_scope(world.url) as session:
            token_id = session.exec(select(ApiToken.id).where(ApiToken.token_sha256 == digest)).one()
            assert token_id is not None
            tokens.revoke_token(session, token_id, dt.datetime.now(dt.UTC))

    monkeypatch.setattr(submission_service, "prepare_submission", checked_then(revoke))
    before = world.snapshot()
    refused = post(world, "/api/v1/submissions", clean_workbook(340))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
    after = world.snapshot()
    assert after["submission"] == before["submission"]
    assert [event[3] for event in after["auditevent"][len(before["auditevent"]) :]] == ["token.revoke"]


def test_the_registry_file_is_parsed_once_per_version(tmp_path: Path) -> None:
    path = tmp_path / "specifications.json"
    registry_file = RegistryFile(path)
    default = registry_file.current()
    assert registry_file.current() is default  # no file yet: the packaged default, parsed once
    spec = SpecVersion(SpecKind.GBCS, "v9.9")
    save_registry(default.with_version(spec), path)
    edited = registry_file.current()
    assert edited is not default and edited.lookup(SpecKind.GBCS, "v9.9") == spec
    assert registry_file.current() is edited
    path.unlink()
    assert registry_file.current().versions == default.versions
