"""Uploads and receipts at the edges: too large, not a workbook, the wrong content type, replayed or
mismatched receipts. Each is a clear JSON error (or, for a non-workbook, a WB001 finding) and
nothing is stored half-way."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import UploadFile
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import DEFAULT_MAX_UPLOAD_BYTES, Settings, SettingsError
from api.uploads import upload_name
from formats.receipt import build_receipt
from signing.cms import sign_data
from tests.api.conftest import (
    Template,
    World,
    app_settings,
    clean_workbook,
    copy_template,
    extract_signer,
    signed_receipt,
)


def error_of(response: Any) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, str] = body["error"]
    assert set(error) == {"code", "message"}
    assert error["message"].endswith("."), error["message"]
    return error


@pytest.fixture
def small_limit(template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A world whose app was created with CPL_MAX_UPLOAD_BYTES=4096 in the environment."""
    url = copy_template(template, tmp_path)
    monkeypatch.setenv("CPL_DATABASE_URL", url)
    monkeypatch.setenv("CPL_MAX_UPLOAD_BYTES", "4096")
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield World(url=url, client=client, template=template, tokens=dict(template.tokens))


# --- size ------------------------------------------------------------------------------------


def test_settings_default_to_ten_mebibytes_and_refuse_nonsense() -> None:
    assert Settings.from_environment({}).max_upload_bytes == DEFAULT_MAX_UPLOAD_BYTES == 10 * 1024 * 1024
    assert Settings.from_environment({"CPL_MAX_UPLOAD_BYTES": "2048"}).max_upload_bytes == 2048
    for bad in ("ten", "0", "-5"):
        with pytest.raises(SettingsError, match="CPL_MAX_UPLOAD_BYTES"):
            Settings.from_environment({"CPL_MAX_UPLOAD_BYTES": bad})


def test_an_oversized_upload_is_refused_with_413_and_nothing_stored(small_limit: World) -> None:
    before = small_limit.snapshot()
    response = small_limit.client.post(
        "/api/v1/submissions",
        headers=small_limit.headers("manufacturer"),
        files={"workbook": ("big.xlsx", b"x" * 5000, "application/octet-stream")},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "upload_too_large"
    assert small_limit.snapshot() == before


def test_an_oversized_receipt_is_refused_with_413(small_limit: World) -> None:
    before = small_limit.snapshot()
    response = small_limit.client.post(
        "/api/v1/receipts",
        headers=small_limit.headers("dcc"),
        files={"receipt": ("r.p7m", b"x" * 5000, "application/pkcs7-mime")},
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "upload_too_large"
    assert small_limit.snapshot() == before


def test_a_workbook_within_the_limit_is_accepted(world: World) -> None:
    data = clean_workbook(300)
    assert len(data) < DEFAULT_MAX_UPLOAD_BYTES
    response = world.client.post(
        "/api/v1/submissions",
        headers=world.headers("manufacturer"),
        files={"workbook": ("ok.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "open" and response.json()["findings"] == []


def _multipart_scope(world: World, content_length: int | None) -> dict[str, Any]:
    headers = [
        (b"host", b"testserver"),
        (b"content-type", b"multipart/form-data; boundary=xyz"),
        (b"authorization", world.headers("manufacturer")["Authorization"].encode()),
    ]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/submissions",
        "raw_path": b"/api/v1/submissions",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


def _stream_upload(world: World, limit: int, chunks: int, chunk_size: int, declare_length: bool) -> tuple[int, int]:
    """Send a multipart body chunk by chunk straight to the ASGI app; how many chunks did it read?"""
    app = create_app(app_settings(world.url, max_upload_bytes=limit))
    head = b'--xyz\r\nContent-Disposition: form-data; name="workbook"; filename="w.xlsx"\r\n\r\n'
    body = [head] + [b"x" * chunk_size] * chunks
    read = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= len(body):
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": body[read - 1], "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    total = len(head) + chunks * chunk_size
    scope = _multipart_scope(world, total if declare_length else None)
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return status, read


def test_an_oversized_streamed_upload_is_refused_before_it_is_all_read(world: World) -> None:
    before = world.snapshot()
    status, read = _stream_upload(world, limit=64 * 1024, chunks=200, chunk_size=16 * 1024, declare_length=False)
    assert status == 413
    assert read <= 6, f"read {read} of 201 chunks before refusing"
    assert world.snapshot() == before


def test_a_declared_oversized_upload_is_refused_without_reading_the_body(world: World) -> None:
    status, read = _stream_upload(world, limit=64 * 1024, chunks=200, chunk_size=16 * 1024, declare_length=True)
    assert status == 413
    assert read == 0


# --- not a workbook --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"this is not a spreadsheet"),
        ("empty.xlsx", b""),
        ("truncated.xlsx", clean_workbook(400)[:300]),
        ("legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
    ],
)
def test_a_file_that_is_not_a_workbook_is_a_submission_with_a_wb001_finding(
    world: World, name: str, content: bytes
) -> None:
    response = world.client.post(
        "/api/v1/submissions",
        headers=world.headers("manufacturer"),
        files={"workbook": (name, content, "text/plain")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "has_errors" and body["error_count"] == 1
    assert [f["code"] for f in body["findings"]] == ["WB001"]
    assert body["filename"] == name
    stored = world.client.get(f"/api/v1/submissions/{body['id']}/findings", headers=world.headers("manufacturer"))
    assert stored.json() == body["findings"]


@pytest.mark.parametrize("name", ["../../etc/passwd.xlsx", "C:\\Users\\x\\passwd.xlsx", "/tmp/passwd.xlsx"])
def test_a_hostile_file_name_is_kept_as_a_plain_base_name(world: World, name: str) -> None:
    response = world.client.post(
        "/api/v1/submissions",
        headers=world.headers("manufacturer"),
        files={"workbook": (name, clean_workbook(500), "application/octet-stream")},
    )
    assert response.status_code == 201
    assert response.json()["filename"] == "passwd.xlsx"


def test_upload_names_lose_control_characters_and_have_a_default() -> None:
    assert upload_name(UploadFile(io.BytesIO(), filename="a\x07b\x00.xlsx"), "d.xlsx") == "ab.xlsx"
    assert upload_name(UploadFile(io.BytesIO(), filename=None), "d.xlsx") == "d.xlsx"
    assert upload_name(UploadFile(io.BytesIO(), filename="dir/"), "d.xlsx") == "d.xlsx"


# --- the request's own content type ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [
        ({"json": {"workbook": "UEsDBA=="}}, "application/json"),
        ({"data": {"workbook": "x"}}, "application/x-www-form-urlencoded"),
        ({"content": b"PK", "headers": {"Content-Type": "application/octet-stream"}}, "application/octet-stream"),
        ({"content": b"PK\x03\x04"}, "none"),
    ],
)
def test_an_upload_that_is_not_multipart_is_refused_with_415(world: World, kwargs: dict[str, Any], shown: str) -> None:
    before = world.snapshot()
    headers = {**world.headers("manufacturer"), **kwargs.pop("headers", {})}
    response = world.client.post("/api/v1/submissions", headers=headers, **kwargs)
    assert response.status_code == 415
    error = error_of(response)
    assert error["code"] == "unsupported_media_type" and shown in error["message"]
    assert world.snapshot() == before


def test_a_multipart_upload_without_the_workbook_field_is_a_422(world: World) -> None:
    before = world.snapshot()
    response = world.client.post(
        "/api/v1/submissions",
        headers=world.headers("manufacturer"),
        files={"spreadsheet": ("w.xlsx", clean_workbook(600), "application/octet-stream")},
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_request" and "workbook" in error["message"]
    assert world.snapshot() == before


def test_a_malformed_multipart_body_is_a_clear_400(world: World) -> None:
    response = world.client.post(
        "/api/v1/submissions",
        headers={**world.headers("manufacturer"), "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b'--xyz\r\nContent-Disposition: form-data; name="workbook"; filename="w.xlsx"\r\n',
    )
    assert response.status_code in (400, 422)
    error_of(response)


def test_a_bad_json_body_is_a_422_in_the_same_shape(world: World) -> None:
    response = world.client.post(
        "/api/v1/entries/CPL-000001/removal",
        headers={**world.headers("secas"), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


# --- receipts --------------------------------------------------------------------------------


def post_receipt(world: World, signed: bytes, role: str = "dcc") -> Any:
    return world.client.post(
        "/api/v1/receipts",
        headers=world.headers(role),
        files={"receipt": ("receipt.p7m", signed, "application/pkcs7-mime")},
    )


def test_a_receipt_records_that_the_dcc_loaded_the_extract(world: World) -> None:
    response = post_receipt(world, world.template.receipt)
    assert response.status_code == 201, response.text
    assert response.json()["sequence"] == 1
    extract = world.client.get("/api/v1/extracts/1", headers=world.headers("secas")).json()
    assert extract["dcc_loaded_at"] == response.json()["applied_at"]
    published = world.client.get("/api/v1/cpl.json").json()
    assert published["dcc_loaded"] is True


def test_a_replayed_receipt_is_a_409_and_changes_nothing(world: World) -> None:
    assert post_receipt(world, world.template.receipt).status_code == 201
    before = world.snapshot()
    again = post_receipt(world, world.template.receipt)
    assert again.status_code == 409
    assert error_of(again)["code"] == "receipt_replayed"
    assert world.snapshot() == before


def test_a_receipt_for_other_content_is_refused_and_changes_nothing(world: World) -> None:
    before = world.snapshot()
    mismatched = signed_receipt(1, "0" * 64, world.template.started)
    response = post_receipt(world, mismatched)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "receipt" and "does not match" in error["message"]
    assert world.snapshot() == before


def test_a_receipt_for_an_extract_never_issued_is_refused(world: World) -> None:
    before = world.snapshot()
    response = post_receipt(world, signed_receipt(7, world.template.extract_sha256, world.template.started))
    assert response.status_code == 422
    assert "never issued" in error_of(response)["message"]
    assert world.snapshot() == before


def test_a_receipt_not_signed_by_the_dcc_is_refused(world: World) -> None:
    content = build_receipt(
        sequence=1,
        extract_sha256=world.template.extract_sha256,
        received_at=world.template.started,
        applied_at=world.template.started + dt.timedelta(minutes=1),
        devices_suspended=0,
        devices_restored=0,
    )
    before = world.snapshot()
    response = post_receipt(world, sign_data(content, extract_signer()))  # SECAS's key, not the DCC's
    assert response.status_code == 422
    assert error_of(response)["message"].startswith("The receipt is refused")
    assert world.snapshot() == before


def test_garbage_is_not_a_receipt(world: World) -> None:
    before = world.snapshot()
    response = post_receipt(world, b"not a CMS structure at all")
    assert response.status_code == 422
    assert error_of(response)["code"] == "receipt"
    assert world.snapshot() == before
