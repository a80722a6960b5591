"""The DCC simulator's small HTTP API: receive signed CPL extracts, report the SMI, show a Device.

`create_smi_app()` builds it from the simulator's settings (SMI_DATABASE_URL, SMI_TRUST_ANCHORS,
SMI_RECEIPT_SIGNER, SMI_ALERTS_PATH, SMI_RECEIPTS_DIR; see smi.config); `serve` runs it with
uvicorn (`smi serve`). It stands on the DCC's side of the trust boundary: it imports `smi` and
`signing`, never `cpl`. It has no authentication of its own: it is a simulator meant for
localhost, and what it accepts is only what verifies to its trust anchors.

Errors take the one JSON shape; a refused extract is a 422 whose code names the acceptance rule
that failed (``extract_rollback``, ``extract_signature``...), and the inventory is unchanged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, Path, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError

from api.http import (
    BodyLimitMiddleware,
    error_code,
    error_response,
    error_responses,
    install_error_handlers,
    sentence,
)
from api.uploads import read_upload, require_multipart
from signing.trust import TrustStore
from smi import rules
from smi.config import Settings
from smi.errors import (
    ConfigurationError,
    DeviceRefusedError,
    ExtractRefusedError,
    SmiError,
    UnknownDeviceError,
    UnusableInputError,
)
from smi.service import AppliedExtract, Inventory
from smi.signed import ReceiptSigner, trust_anchors
from smi.store import APPLIED, REFUSED, ExtractRecord, Store

#: The largest extract file the simulator reads (a national CPL is a few MiB).
MAX_EXTRACT_BYTES = 64 * 1024 * 1024
PKCS7_MIME = "application/pkcs7-mime"


class AppliedOut(BaseModel):
    sequence: int
    content_sha256: str
    received_at: dt.datetime
    deadline: dt.datetime
    applied_at: dt.datetime
    within_24_hours: bool
    devices_suspended: int
    devices_restored: int
    receipt_available: bool


class IngestOut(BaseModel):
    result: Literal["applied", "queued", "repeat"]
    sequence: int
    content_sha256: str
    received_at: dt.datetime
    deadline: dt.datetime | None
    applied: list[AppliedOut]


class ApplyDueOut(BaseModel):
    now: dt.datetime
    applied: list[AppliedOut]


class ExtractRecordOut(BaseModel):
    sequence: int | None
    state: str = Field(description="queued, applied or refused")
    content_sha256: str | None
    file_sha256: str
    issued_at: dt.datetime | None
    signer: str | None
    received_at: dt.datetime
    deadline: dt.datetime
    applied_at: dt.datetime | None
    within_24_hours: bool | None
    overdue: bool
    devices_suspended: int | None
    devices_restored: int | None
    refusal_rule: str | None
    refusal_reason: str | None
    receipt_available: bool


class ReportOut(BaseModel):
    now: dt.datetime
    cpl_in_force: int | None
    active_models: int
    devices: int
    devices_by_status: dict[str, int] = Field(description="Devices in each SMI Status, keyed by the status name")
    extracts: list[ExtractRecordOut]


class CplStateOut(BaseModel):
    active: bool
    entry_id: str | None
    status: str | None


class StatusChangeOut(BaseModel):
    status: str
    since: dt.datetime
    until: dt.datetime
    new_status: str
    extract_sequence: int | None
    alert: str | None


class DeviceOut(BaseModel):
    device_id: str
    physical_device_type: str
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_version: str
    status: str
    status_since: dt.datetime
    status_before_suspension: str | None
    cpl_controlled: bool
    cpl: CplStateOut
    history: list[StatusChangeOut]


def _applied(applied: AppliedExtract) -> AppliedOut:
    return AppliedOut(
        sequence=applied.sequence,
        content_sha256=applied.content_sha256,
        received_at=applied.received_at,
        deadline=applied.deadline,
        applied_at=applied.applied_at,
        within_24_hours=applied.in_time,
        devices_suspended=applied.devices_suspended,
        devices_restored=applied.devices_restored,
        receipt_available=applied.receipt_path is not None,
    )


def _record(record: ExtractRecord, now: dt.datetime) -> ExtractRecordOut:
    return ExtractRecordOut(
        sequence=record.sequence,
        state=record.state,
        content_sha256=record.content_sha256,
        file_sha256=record.file_sha256,
        issued_at=record.issued_at,
        signer=record.signer,
        received_at=record.received_at,
        deadline=record.deadline,
        applied_at=record.applied_at,
        within_24_hours=None
        if record.applied_at is None
        else rules.applied_in_time(record.received_at, record.applied_at),
        overdue=record.state != REFUSED and rules.overdue(record.received_at, record.applied_at, now),
        devices_suspended=record.devices_suspended,
        devices_restored=record.devices_restored,
        refusal_rule=record.refusal_rule,
        refusal_reason=record.refusal_reason,
        receipt_available=record.receipt_path is not None,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _code(rule: str) -> str:
    return "extract_" + rule.replace("-", "_")


def _status_of(error: SmiError) -> int:
    if isinstance(error, UnknownDeviceError):
        return 404
    if isinstance(error, ConfigurationError):
        return 503
    if isinstance(error, ExtractRefusedError | UnusableInputError):
        return 422
    if isinstance(error, DeviceRefusedError):
        return 409
    return 422


async def _smi_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SmiError)
    code = _code(exc.rule) if isinstance(exc, ExtractRefusedError) else error_code(exc)
    return error_response(_status_of(exc), code, sentence(exc))


class Simulator:
    """What the routes share: the inventory (with its receipt signer) and the trust anchors."""

    def __init__(self, settings: Settings) -> None:
        self.trust: TrustStore = trust_anchors(settings.trust_anchors)
        receipts = ReceiptSigner.from_spec(settings.receipt_signer, settings.receipts_dir)
        try:
            store = Store.open(settings.database_url)
        except OperationalError as error:
            reason = str(error.orig or error).splitlines()[0]
            raise ConfigurationError(f"The inventory database cannot be opened ({reason}).") from None
        self.inventory = Inventory(store, alerts_path=settings.alerts_path, receipts=receipts)


def create_smi_app(settings: Settings | None = None) -> FastAPI:
    """The simulator's API; a ConfigurationError (one sentence) if a setting cannot be used."""
    settings = settings or Settings.from_environment()
    simulator = Simulator(settings)
    app = FastAPI(
        title="DCC Smart Metering Inventory simulator",
        version="1",
        description=(
            "Receives signed CPL extracts and keeps the SMI in step within 24 hours. "
            'Errors are `{"error": {"code": "...", "message": "one sentence"}}`.'
        ),
        redoc_url=None,
    )
    app.state.simulator = simulator
    app.add_middleware(BodyLimitMiddleware, max_body_size=MAX_EXTRACT_BYTES)
    install_error_handlers(app)
    app.add_exception_handler(SmiError, _smi_error)

    @app.post(
        "/extracts",
        status_code=201,
        summary="Receive a signed CPL extract",
        description=(
            "Verify the extract (multipart field `extract`, a .p7m) and apply it now, or queue it with "
            "`defer=true`. A harmless repeat (same sequence, same content) is a 200 that changes nothing; a "
            "refused extract is a 422 naming the rule, and the CPL in force stays as it was."
        ),
        dependencies=[Depends(require_multipart)],
        responses={
            200: {"model": IngestOut, "description": "A harmless repeat"},
            **error_responses(400, 413, 415, 422),
        },
    )
    def receive_extract(
        extract: Annotated[UploadFile, File(description="The signed CPL extract (.p7m)")],
        defer: bool = False,
    ) -> Response:
        result = simulator.inventory.ingest_signed(
            read_upload(extract), simulator.trust, received_at=_now(), defer=defer
        )
        body = IngestOut(
            result=result.outcome,  # type: ignore[arg-type]
            sequence=result.sequence,
            content_sha256=result.content_sha256,
            received_at=result.received_at,
            deadline=result.deadline,
            applied=[_applied(a) for a in result.applied],
        )
        return JSONResponse(body.model_dump(mode="json"), status_code=200 if result.outcome == "repeat" else 201)

    @app.post("/apply-due", summary="Apply the queued extracts received by now, oldest first")
    def apply_due() -> ApplyDueOut:
        moment = _now()
        return ApplyDueOut(now=moment, applied=[_applied(a) for a in simulator.inventory.apply_due(moment)])

    @app.get("/report", summary="Each extract received and the inventory by SMI Status")
    def report() -> ReportOut:
        result = simulator.inventory.report(_now())
        return ReportOut(
            now=result.now,
            cpl_in_force=result.cpl_sequence,
            active_models=result.active_models,
            devices=result.device_count,
            devices_by_status=result.devices_by_status,
            extracts=[_record(r, result.now) for r in result.extracts],
        )

    @app.get(
        "/extracts/{sequence}/receipt",
        summary="The signed receipt for an applied extract (.p7m), for the CPL authority",
        response_class=Response,
        responses={
            200: {
                "content": {PKCS7_MIME: {"schema": {"type": "string", "format": "binary"}}},
                "description": "The DCC's signed receipt",
            },
            **error_responses(404),
        },
    )
    def receipt(sequence: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
        records = simulator.inventory.report(_now()).extracts
        found = [r for r in records if r.sequence == sequence and r.state == APPLIED and r.receipt_path]
        path = FilePath(found[-1].receipt_path) if found and found[-1].receipt_path else None
        if path is None or not path.is_file():
            return error_response(404, "no_receipt", f"There is no receipt for extract {sequence}.")
        return Response(
            path.read_bytes(),
            media_type=PKCS7_MIME,
            headers={"Content-Disposition": f'attachment; filename="receipt-{sequence}.p7m"'},
        )

    @app.get(
        "/devices/{device_id}",
        summary="One Device: its model, SMI Status, the status a suspension replaced, and its history",
        responses=error_responses(404, 422),
    )
    def device(device_id: Annotated[str, Path(max_length=40, description="The EUI-64 Device ID")]) -> DeviceOut:
        view = simulator.inventory.device(device_id)
        d = view.device
        return DeviceOut(
            device_id=d.device_id,
            physical_device_type=d.physical_device_type,
            manufacturer_id=d.manufacturer_id,
            model_id=d.model_id,
            hardware_version=d.hardware_version,
            firmware_version=d.firmware_version,
            status=d.status,
            status_since=d.status_since,
            status_before_suspension=d.status_before_suspension,
            cpl_controlled=rules.is_cpl_controlled(d.physical_device_type),
            cpl=CplStateOut(active=d.model_active, entry_id=d.cpl_entry_id, status=d.cpl_status),
            history=[
                StatusChangeOut(
                    status=h.status,
                    since=h.since,
                    until=h.until,
                    new_status=h.new_status,
                    extract_sequence=h.extract_sequence,
                    alert=h.alert,
                )
                for h in view.history
            ],
        )

    return app
