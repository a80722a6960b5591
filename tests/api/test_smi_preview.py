"""`POST /preview` on the DCC simulator's API: the file as the body, `smi preview --json` as the answer,
refusals in the shape `POST /extracts` gives them, and nothing recorded."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.smi_app import create_smi_app
from formats.extract import Extract, sha256_hex
from smi.config import Settings as SmiSettings
from smi.preview import SIGNATURE_NOT_CHECKED
from smi.rules import SmiStatus
from smi.service import Inventory
from smi.store import Store
from smi.views import PreviewOut
from tests.smi.commandline import MODELS, NOW, SmiRun, environment, issued
from tests.smi.factories import cpl, sign

PKCS7 = {"content-type": "application/pkcs7-mime"}


@dataclass
class Simulator:
    client: TestClient
    inventory: Inventory
    tmp: Path

    def signed(self, made: Extract) -> bytes:
        return sign(made.content(), signing_time=min(made.issued_at, NOW))

    def ingest(self, signed: bytes) -> Any:
        return self.client.post("/extracts", files={"extract": ("cpl.p7m", signed, "application/pkcs7-mime")})

    def preview(self, body: bytes, headers: dict[str, str] = PKCS7) -> Any:
        return self.client.post("/preview", content=body, headers=headers)

    def extracts(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.client.get("/report").json()["extracts"]
        return records


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    url = f"sqlite:///{tmp_path / 'smi.db'}"
    env = environment(tmp_path, url)
    settings = SmiSettings.from_environment(env)
    store = Store.open(url)
    with TestClient(create_smi_app(settings), raise_server_exceptions=False) as client:
        yield Simulator(client, Inventory(store), tmp_path)
    store.dispose()


def with_devices(simulator: Simulator) -> None:
    """Extract 1 applied; Devices of the first model: three Commissioned, one Pending, one Decommissioned."""
    assert simulator.ingest(simulator.signed(cpl(1, MODELS, issued_at=issued(1)))).status_code == 201
    kind, manufacturer_id, model_id, hardware, firmware = MODELS[0]
    statuses = [SmiStatus.COMMISSIONED] * 3 + [SmiStatus.PENDING, SmiStatus.DECOMMISSIONED]
    for number, status in zip(itertools.count(1), statuses, strict=False):
        simulator.inventory.add_device(
            f"{number:016X}",
            physical_device_type=kind,
            manufacturer_id=manufacturer_id,
            model_id=model_id,
            hardware_version=hardware,
            firmware_version=firmware,
            status=status,
            at=NOW,
        )


def test_post_preview_answers_what_smi_preview_prints_changes_nothing_and_predicts_the_apply(
    simulator: Simulator,
) -> None:
    with_devices(simulator)
    withdrawal = simulator.signed(cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2)))
    alerts_file = simulator.tmp / "alerts.jsonl"
    before, alerts = simulator.extracts(), alerts_file.read_bytes() if alerts_file.exists() else None

    answered = simulator.preview(withdrawal)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert (body["result"], body["accepted"], body["signature"], body["cpl_in_force"]) == ("new", True, "verified", 1)
    assert body["devices_suspended"] == 4 and body["suspended_by_status"]["Commissioned"] == 3
    [one] = body["entries"]
    assert (one["change"], one["devices_suspended"], one["cpl_status_after"]) == ("suspend", 4, "Withdrawn")
    assert simulator.extracts() == before
    assert (alerts_file.read_bytes() if alerts_file.exists() else None) == alerts

    # The same shape, and the same answer, as the command line's JSON on the same inventory.
    path = simulator.tmp / "e2.p7m"
    path.write_bytes(withdrawal)
    printed = SmiRun(simulator.tmp, environment(simulator.tmp, f"sqlite:///{simulator.tmp / 'smi.db'}")).json(
        "preview", path, "--received-at", body["received_at"]
    )
    assert printed == body
    assert set(body) == set(PreviewOut.model_fields)

    applied = simulator.ingest(withdrawal).json()["applied"][0]
    assert (applied["devices_suspended"], applied["devices_restored"]) == (4, 0)


def test_unsigned_content_as_the_body_is_previewed_without_its_signature(simulator: Simulator) -> None:
    with_devices(simulator)
    draft = cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2))
    answered = simulator.preview(draft.content(), {"content-type": "application/json"})
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["signature"] == SIGNATURE_NOT_CHECKED and body["signature_checked"] is False
    assert body["content_sha256"] == sha256_hex(draft.content()) and body["devices_suspended"] == 4


@pytest.mark.parametrize("case", ["unexplained-removal", "rollback", "signature"])
def test_a_refused_extract_is_the_error_post_extracts_gives_and_is_not_recorded(
    simulator: Simulator, case: str
) -> None:
    with_devices(simulator)
    assert simulator.ingest(simulator.signed(cpl(2, MODELS, issued_at=issued(2)))).status_code == 201
    if case == "unexplained-removal":
        file = simulator.signed(cpl(3, MODELS[1:], issued_at=issued(3)))
    elif case == "rollback":
        file = simulator.signed(cpl(1, MODELS, issued_at=issued(1)))
    else:
        file = simulator.signed(cpl(3, MODELS, issued_at=issued(3)))[:-40] + b"\x00" * 40
    before = simulator.extracts()
    refused = simulator.preview(file)
    assert refused.status_code == 422
    code = "extract_" + case.replace("-", "_")
    assert refused.json()["error"]["code"] == code and refused.json()["error"]["message"].endswith(".")
    assert simulator.extracts() == before
    ingested = simulator.ingest(file)
    assert (ingested.status_code, ingested.json()) == (422, refused.json())
    assert [e["state"] for e in simulator.extracts()] == ["applied", "applied", "refused"]


def test_an_empty_body_is_refused_in_the_one_error_shape(simulator: Simulator) -> None:
    refused = simulator.preview(b"")
    assert refused.status_code == 422 and set(refused.json()["error"]) == {"code", "message"}
    assert "no body" in refused.json()["error"]["message"]


def test_the_openapi_document_describes_the_preview(simulator: Simulator) -> None:
    document = simulator.client.get("/openapi.json").json()
    operation = document["paths"]["/preview"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/octet-stream", "application/json"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/PreviewOut")
    assert "422" in operation["responses"]
