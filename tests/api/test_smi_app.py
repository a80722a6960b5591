"""The DCC simulator's HTTP API: receive the authority's signed extract, apply it, hand back a receipt
that the authority's API accepts; refusals are named JSON errors; and it never imports `cpl`."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.smi_app import create_smi_app
from smi.config import Settings as SmiSettings
from smi.errors import ConfigurationError
from tests.api.conftest import KEYS, ROOT, World
from tests.conftest import PostgresServer
from tests.smi.factories import cpl, sign
from tests.smi.locks import held


def smi_settings(directory: Path) -> SmiSettings:
    return SmiSettings.from_environment(
        {
            "SMI_DATABASE_URL": f"sqlite:///{directory / 'smi.db'}",
            "SMI_TRUST_ANCHORS": str(KEYS / "root-ca.pem"),
            "SMI_RECEIPT_SIGNER": (
                f"pem:{KEYS}/dcc-receipt-signer.pem:{KEYS}/dcc-receipt-signer.key.pem:{KEYS}/issuing-ca.pem"
            ),
            "SMI_ALERTS_PATH": str(directory / "alerts.jsonl"),
            "SMI_RECEIPTS_DIR": str(directory / "receipts"),
        }
    )


@pytest.fixture
def smi(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_smi_app(smi_settings(tmp_path)), raise_server_exceptions=False) as client:
        yield client


def send_extract(smi: TestClient, signed: bytes, **params: Any) -> Any:
    return smi.post("/extracts", files={"extract": ("cpl.p7m", signed, "application/pkcs7-mime")}, params=params)


def issued_extract(world: World, sequence: int = 1) -> bytes:
    response = world.client.get(f"/api/v1/extracts/{sequence}/signed", headers=world.headers("dcc"))
    assert response.status_code == 200
    signed: bytes = response.content
    return signed


def test_the_dcc_applies_the_extract_and_its_receipt_closes_the_loop(world: World, smi: TestClient) -> None:
    applied = send_extract(smi, issued_extract(world))
    assert applied.status_code == 201, applied.text
    body = applied.json()
    assert body["result"] == "applied" and body["sequence"] == 1
    assert body["applied"][0]["within_24_hours"] is True and body["applied"][0]["receipt_available"] is True

    receipt = smi.get("/extracts/1/receipt")
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pkcs7-mime"
    loaded = world.client.post(
        "/api/v1/receipts",
        headers=world.headers("dcc"),
        files={"receipt": ("receipt-1.p7m", receipt.content, "application/pkcs7-mime")},
    )
    assert loaded.status_code == 201, loaded.text
    assert world.client.get("/api/v1/cpl.json").json()["dcc_loaded"] is True

    report = smi.get("/report").json()
    assert report["cpl_in_force"] == 1 and report["active_models"] == 3
    assert set(report["devices_by_status"]) >= {"Commissioned", "Suspended"}
    assert [(e["sequence"], e["state"], e["within_24_hours"]) for e in report["extracts"]] == [(1, "applied", True)]


def test_the_same_extract_again_is_a_harmless_repeat(world: World, smi: TestClient) -> None:
    signed = issued_extract(world)
    assert send_extract(smi, signed).status_code == 201
    again = send_extract(smi, signed)
    assert again.status_code == 200 and again.json()["result"] == "repeat"


def test_a_deferred_extract_is_queued_then_applied(world: World, smi: TestClient) -> None:
    queued = send_extract(smi, issued_extract(world), defer="true")
    assert queued.status_code == 201 and queued.json()["result"] == "queued" and queued.json()["applied"] == []
    assert smi.get("/extracts/1/receipt").status_code == 404
    applied = smi.post("/apply-due").json()["applied"]
    assert [a["sequence"] for a in applied] == [1]


def test_a_forged_extract_is_refused_by_rule_and_changes_nothing(smi: TestClient) -> None:
    refused = send_extract(smi, b"not a signed extract")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "extract_signature" and error["message"].endswith(".")
    report = smi.get("/report").json()
    assert report["cpl_in_force"] is None
    assert [(e["state"], e["refusal_rule"]) for e in report["extracts"]] == [("refused", "signature")]


def test_uploads_to_the_simulator_must_be_multipart(smi: TestClient) -> None:
    response = smi.post("/extracts", content=b"\x30\x80", headers={"Content-Type": "application/pkcs7-mime"})
    assert response.status_code == 415 and response.json()["error"]["code"] == "unsupported_media_type"


def test_devices_are_looked_up_by_eui64(smi: TestClient) -> None:
    bad = smi.get("/devices/not-an-id")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unusable_input"
    missing = smi.get("/devices/0123456789ABCDEF")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_device"


def test_an_unusable_setting_is_one_sentence_at_start_up(tmp_path: Path) -> None:
    settings = smi_settings(tmp_path)
    broken = SmiSettings(
        database_url=settings.database_url,
        trust_anchors=(tmp_path / "missing.pem",),
        receipt_signer=settings.receipt_signer,
        alerts_path=settings.alerts_path,
        receipts_dir=settings.receipts_dir,
    )
    with pytest.raises(ConfigurationError, match=r"^The SMI trust anchors cannot be used: .*\.$"):
        create_smi_app(broken)


def test_the_simulator_api_stays_on_the_dcc_side_of_the_trust_boundary() -> None:
    probe = (
        "import sys, api.smi_app; "
        "leaked = sorted(m for m in sys.modules if m == 'cpl' or m.startswith('cpl.')); "
        "print(','.join(leaked))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def _schema_only_settings() -> SmiSettings:
    """The document does not depend on the inventory: an in-memory one will do for generating cases."""
    files = smi_settings(Path("/nonexistent"))
    return SmiSettings(
        database_url="sqlite:///:memory:",
        trust_anchors=files.trust_anchors,
        receipt_signer=files.receipt_signer,
        alerts_path=files.alerts_path,
        receipts_dir=files.receipts_dir,
    )


smi_schema = schemathesis.openapi.from_asgi("/openapi.json", create_smi_app(_schema_only_settings()))


@pytest.fixture(scope="module")
def fuzzed_smi(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_smi_app(smi_settings(tmp_path_factory.mktemp("smi-schemathesis")))


@smi_schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_generated_request_to_the_simulator_is_a_server_error(case: Any, fuzzed_smi: Any) -> None:
    case.call_and_validate(app=fuzzed_smi, checks=[not_a_server_error])


def test_serve_runs_the_simulator_api_with_uvicorn(tmp_path: Path) -> None:
    """`api.smi_app.serve` is the function `smi serve` registers; here it runs as its own typer command."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = smi_settings(tmp_path)
    env = {
        **os.environ,
        "SMI_DATABASE_URL": settings.database_url,
        "SMI_TRUST_ANCHORS": str(KEYS / "root-ca.pem"),
        "SMI_RECEIPT_SIGNER": settings.receipt_signer,
        "SMI_ALERTS_PATH": str(settings.alerts_path),
        "SMI_RECEIPTS_DIR": str(settings.receipts_dir),
    }
    command = "import typer; from api.serve import serve_smi; typer.run(serve_smi)"
    server = subprocess.Popen(
        [sys.executable, "-c", command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                report = httpx.get(f"http://127.0.0.1:{port}/report", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the simulator API did not start within 30 seconds"
                time.sleep(0.2)
        assert report.status_code == 200 and report.json()["cpl_in_force"] is None
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_unusable_settings_in_one_sentence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMI_")}
    env["SMI_TRUST_ANCHORS"] = str(tmp_path / "missing.pem")
    command = "import typer; from api.serve import serve_smi; typer.run(serve_smi)"
    result = subprocess.run(
        [sys.executable, "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("The SMI trust anchors cannot be used:") and "Traceback" not in result.stderr


# --- a busy inventory, simultaneous uploads ------------------------------------------------------

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))
MODELS = [("Gas Smart Meter", "106C", f"{n:04X}", "00AC", "0100") for n in range(1, 4)]


@pytest.fixture(params=BACKENDS)
def smi_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'smi.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


def _signed_extract(sequence: int) -> bytes:
    issued = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2) + dt.timedelta(minutes=sequence)
    return sign(cpl(sequence, MODELS, issued_at=issued).content(), signing_time=issued)


def _environment_for(settings: SmiSettings, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SMI_DATABASE_URL": database_url,
        "SMI_TRUST_ANCHORS": str(KEYS / "root-ca.pem"),
        "SMI_RECEIPT_SIGNER": settings.receipt_signer,
        "SMI_ALERTS_PATH": str(settings.alerts_path),
        "SMI_RECEIPTS_DIR": str(settings.receipts_dir),
    }


def test_a_locked_inventory_answers_503_with_retry_after(tmp_path: Path, smi_database: str) -> None:
    settings = SmiSettings.from_environment(
        {**_environment_for(smi_settings(tmp_path), smi_database), "SMI_BUSY_TIMEOUT": "1"}
    )
    with TestClient(create_smi_app(settings), raise_server_exceptions=False) as client:
        assert send_extract(client, _signed_extract(1)).status_code == 201
        with held(settings.database_url, "write"):  # SQLite readers go on; PostgreSQL's table locks hold them too
            responses = [send_extract(client, _signed_extract(2))]
            if not smi_database.startswith("sqlite"):
                responses.append(client.get("/report"))
            for response in responses:
                assert response.status_code == 503, response.text
                assert int(response.headers["Retry-After"]) >= 1
                error = response.json()["error"]
                assert error["code"] == "inventory_busy" and "try again" in error["message"]
        assert [e["sequence"] for e in client.get("/report").json()["extracts"]] == [1]


def test_simultaneous_uploads_of_one_extract_apply_it_once_and_are_never_a_server_error(
    tmp_path: Path, smi_database: str
) -> None:
    rounds = 8
    with _served(tmp_path, smi_database) as base:
        outcomes = []
        for sequence in range(1, rounds + 1):
            signed = _signed_extract(sequence)
            start = threading.Barrier(2)

            def post(body: bytes = signed, barrier: threading.Barrier = start) -> httpx.Response:
                barrier.wait()
                return httpx.post(
                    f"{base}/extracts", files={"extract": ("cpl.p7m", body, "application/pkcs7-mime")}, timeout=60
                )

            with ThreadPoolExecutor(2) as pool:
                responses = list(pool.map(lambda _n: post(), range(2)))
            statuses = sorted(r.status_code for r in responses)
            results = sorted(r.json().get("result") or r.json()["error"]["code"] for r in responses)
            outcomes.append((statuses, results))
        report = httpx.get(f"{base}/report", timeout=30).json()
    clean = [o for o in outcomes if 500 not in o[0] and o[1].count("applied") == 1]
    assert len(clean) == rounds, f"uploads clean {len(clean)}/{rounds}: {outcomes}"
    assert [(e["sequence"], e["state"]) for e in report["extracts"] if e["state"] != "refused"] == [
        (n, "applied") for n in range(1, rounds + 1)
    ]


@contextmanager
def _served(tmp_path: Path, database_url: str) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = _environment_for(smi_settings(tmp_path), database_url)
    command = "import typer; from api.serve import serve_smi; typer.run(serve_smi)"
    server = subprocess.Popen(
        [sys.executable, "-c", command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/report", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, "the simulator API exited"
                assert time.monotonic() < deadline, "the simulator API did not start within 30 seconds"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
