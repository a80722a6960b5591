"""The DCC simulator's small HTTP API: receive signed CPL extracts, report the SMI, show a Device.

`create_smi_app()` builds it from the simulator's settings (SMI_DATABASE_URL, SMI_TRUST_ANCHORS,
SMI_RECEIPT_SIGNER, SMI_ALERTS_PATH, SMI_RECEIPTS_DIR; see smi.config); `api.serve` runs it with
uvicorn (`smi serve`). Its responses are the simulator's views (`smi.views`), the same records
`smi ... --json` prints (`POST /preview` is `smi preview --json`, `GET /alerts` `smi alerts --json`,
`GET /devices` `smi devices --json`); `GET /report.html` is the page `smi report --html` writes. It
stands on the DCC's side of the trust boundary: it imports `smi` and `signing`, never `cpl`. It has no
authentication of its own: it is a simulator meant for localhost, and what it accepts is only what
verifies to its trust anchors.

Errors take the one JSON shape; a refused extract is a 422 whose code names the acceptance rule
that failed (``extract_rollback``, ``extract_signature``...), and the inventory is unchanged. A
locked inventory (another process holds its database, or another applier its lock, for longer than
SMI_BUSY_TIMEOUT) is a 503 ``inventory_busy`` with ``Retry-After``: try again. Uploads that arrive
together are applied one at a time, so the second of two identical ones is a harmless repeat.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import Depends, FastAPI, File, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from api.http import (
    BodyLimitMiddleware,
    attachment,
    error_code,
    error_response,
    error_responses,
    install_error_handlers,
    sentence,
)
from api.uploads import read_upload, require_multipart
from signing.trust import TrustStore
from smi import report_page
from smi.config import Settings
from smi.errors import (
    ConfigurationError,
    DeviceRefusedError,
    ExtractRefusedError,
    InventoryBusyError,
    InventoryUnavailableError,
    SmiError,
    UnknownDeviceError,
    UnusableInputError,
)
from smi.service import Inventory
from smi.signed import ReceiptSigner, trust_anchors
from smi.store import APPLIED, Store, as_inventory_error
from smi.views import (
    AlertsOut,
    ApplyDueOut,
    DeviceOut,
    DeviceSearchOut,
    IngestOut,
    PreviewOut,
    ReportOut,
    alerts_out,
    apply_due_out,
    device_out,
    device_search_out,
    ingest_out,
    preview_out,
    report_out,
)

#: The largest extract file the simulator reads (a national CPL is a few MiB).
MAX_EXTRACT_BYTES = 64 * 1024 * 1024
PKCS7_MIME = "application/pkcs7-mime"
#: What a busy inventory's 503 tells the client to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 5
#: The report page loads nothing from anywhere: its only style is inline, and it runs no script.
REPORT_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _code(rule: str) -> str:
    return "extract_" + rule.replace("-", "_")


def _status_of(error: SmiError) -> int:
    if isinstance(error, UnknownDeviceError):
        return 404
    if isinstance(error, ConfigurationError | InventoryBusyError):
        return 503
    if isinstance(error, ExtractRefusedError | UnusableInputError):
        return 422
    if isinstance(error, DeviceRefusedError):
        return 409
    return 422


async def _smi_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SmiError)
    code = _code(exc.rule) if isinstance(exc, ExtractRefusedError) else error_code(exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(exc, InventoryBusyError) else None
    return error_response(_status_of(exc), code, sentence(exc), headers)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database failure the service did not name itself: busy (503, try again) or unusable (503)."""
    named = as_inventory_error(exc) or InventoryUnavailableError("The inventory database cannot be used.")
    return await _smi_error(request, named)


class Simulator:
    """What the routes share: the inventory (with its receipt signer) and the trust anchors."""

    def __init__(self, settings: Settings) -> None:
        self.trust: TrustStore = trust_anchors(settings.trust_anchors, settings.trust_crls)
        receipts = ReceiptSigner.from_spec(settings.receipt_signer, settings.receipts_dir)
        store = Store.open(settings.database_url, busy_timeout=settings.busy_timeout)
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
    app.add_exception_handler(OperationalError, _database_error)

    @app.post(
        "/extracts",
        status_code=201,
        summary="Receive a signed CPL extract",
        description=(
            "Verify the extract (multipart field `extract`, a .p7m) and apply it now, or queue it with "
            "`defer=true`. The CPL in force sent again is a harmless repeat, a 200 that changes nothing (but "
            "writes what its apply still owed, if a crash stopped it); one still queued is applied now; an "
            "older one is refused as a rollback. A refused extract is a 422 naming the rule, and the CPL in "
            "force stays as it was; a busy inventory is a 503 with Retry-After."
        ),
        dependencies=[Depends(require_multipart)],
        responses={
            200: {"model": IngestOut, "description": "A harmless repeat"},
            **error_responses(400, 413, 415, 422, 503),
        },
    )
    def receive_extract(
        extract: Annotated[UploadFile, File(description="The signed CPL extract (.p7m)")],
        defer: bool = False,
    ) -> Response:
        result = simulator.inventory.ingest_signed(
            read_upload(extract), simulator.trust, received_at=_now(), defer=defer
        )
        body = ingest_out(result)
        return JSONResponse(body.model_dump(mode="json"), status_code=200 if result.outcome == "repeat" else 201)

    @app.post(
        "/preview",
        summary="What receiving an extract would do, changing nothing",
        description=(
            "The request body is the file itself, of any content type (`application/pkcs7-mime` too): a signed "
            "CPL extract (.p7m), or the unsigned canonical content of one (a SECAS draft; its signature is then "
            "not checked, and the answer says so). It is "
            "judged by the rules `POST /extracts` applies and its effect counted per CPL entry: the Devices it "
            "would suspend and restore, by SMI Status. Nothing is recorded, queued, alerted or receipted. An "
            "extract that would be refused is a 422 naming the rule, as `POST /extracts` answers."
        ),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            }
        },
        responses=error_responses(413, 422, 503),
    )
    async def preview(request: Request) -> PreviewOut:
        body = await request.body()
        if not body:
            raise UnusableInputError("The request has no body: send the extract file itself as the body.")
        result = await run_in_threadpool(simulator.inventory.preview, body, simulator.trust, received_at=_now())
        if result.refusal is not None:
            raise result.refusal
        return preview_out(result)

    @app.post("/apply-due", summary="Apply the queued extracts received by now, oldest first")
    def apply_due() -> ApplyDueOut:
        moment = _now()
        return apply_due_out(moment, simulator.inventory.apply_due(moment))

    @app.get("/report", summary="Each extract received and the inventory by SMI Status")
    def report() -> ReportOut:
        return report_out(simulator.inventory.report(_now()))

    @app.get(
        "/report.html",
        summary="The report as a page: each extract's 24 hours as a timeline, the inventory as bars",
        description="What `smi report --html` writes: one self-contained HTML page (inline SVG and CSS, no script).",
        response_class=HTMLResponse,
        responses={200: {"content": {"text/html": {}}, "description": "The report page"}, **error_responses(503)},
    )
    def report_html() -> HTMLResponse:
        page = report_page.render(simulator.inventory.report(_now()))
        return HTMLResponse(page, headers={"Content-Security-Policy": REPORT_PAGE_POLICY})

    @app.get(
        "/alerts",
        summary="The alerts raised (DeviceSuspended, DeviceRestored, CplStale), newest last",
        description="What `smi alerts --json` prints: the newest `limit` raised at or after `since`, and the total.",
        responses=error_responses(422, 503),
    )
    def alerts(
        since: Annotated[
            dt.datetime | None, Query(description="Only alerts raised at or after this time (ISO 8601; no zone: UTC)")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100_000, description="Show the newest N")] = 100,
    ) -> AlertsOut:
        moment = None if since is None else (since if since.tzinfo else since.replace(tzinfo=dt.UTC))
        return alerts_out(simulator.inventory.alerts(since=moment, limit=limit))

    @app.get(
        "/devices",
        summary="The Devices of a Device Model, a page at a time by Device ID, and how many there are",
        description="What `smi devices --json` prints. `model` is MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]] in hex.",
        responses=error_responses(422, 503),
    )
    def devices(
        model: Annotated[str, Query(max_length=60, description="e.g. 106C/4331 or 106C/4331/00AC/9001")],
        device_type: Annotated[
            str | None, Query(alias="type", max_length=80, description="Only this Physical Device Type")
        ] = None,
        status: Annotated[str | None, Query(max_length=40, description="Only Devices in this SMI Status")] = None,
        after: Annotated[str | None, Query(max_length=40, description="Start after this Device ID")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000, description="Devices per page")] = 50,
    ) -> DeviceSearchOut:
        found = simulator.inventory.find_devices(
            model, physical_device_type=device_type, status=status, after=after, limit=limit
        )
        return device_search_out(found)

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
            headers={"Content-Disposition": attachment(f"receipt-{sequence}.p7m")},
        )

    @app.get(
        "/devices/{device_id}",
        summary="One Device: its model, SMI Status, the status a suspension replaced, and its history",
        responses=error_responses(404, 422),
    )
    def device(device_id: Annotated[str, Path(max_length=40, description="The EUI-64 Device ID")]) -> DeviceOut:
        return device_out(simulator.inventory.device(device_id))

    return app
