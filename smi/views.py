"""One view per record of the simulator: what its HTTP API returns and what `smi ... --json` prints.

Each view is a pydantic model built from the service's record by one function, so the API's
OpenAPI document and the command line's JSON are the same shapes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from smi import rules
from smi.preview import SIGNATURE_NOT_CHECKED, ModelImpact, Preview
from smi.service import AppliedExtract, DeviceView, DueResult, FinishedOutputs, IngestResult, Report
from smi.store import APPLIED, REFUSED, ExtractRecord


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
    receipt: str | None = Field(description="Where the simulator wrote the signed receipt")


def applied_out(applied: AppliedExtract) -> AppliedOut:
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
        receipt=None if applied.receipt_path is None else str(applied.receipt_path),
    )


class FinishedOut(BaseModel):
    """What a run wrote for an extract applied earlier, by a run that died before writing it."""

    sequence: int
    applied_at: dt.datetime
    alerts_written: int
    stale_alert_written: bool
    receipt_available: bool
    receipt: str | None = Field(description="Where the simulator wrote the signed receipt, if it did now")


def finished_out(finished: FinishedOutputs) -> FinishedOut:
    return FinishedOut(
        sequence=finished.sequence,
        applied_at=finished.applied_at,
        alerts_written=finished.alerts_written,
        stale_alert_written=finished.stale_alert_written,
        receipt_available=finished.receipt_path is not None,
        receipt=None if finished.receipt_path is None else str(finished.receipt_path),
    )


class IngestOut(BaseModel):
    result: Literal["applied", "queued", "repeat"]
    sequence: int
    content_sha256: str
    received_at: dt.datetime
    deadline: dt.datetime | None
    applied: list[AppliedOut]
    received_before: bool = Field(
        False, description="The same extract was received before: in force (a repeat) or still queued"
    )
    finished: list[FinishedOut] = Field(
        default_factory=list, description="Alerts and receipts written now for extracts applied before"
    )
    stale_alert_raised: int | None = Field(None, description="The sequence whose CplStale alert was raised now")


def ingest_out(result: IngestResult) -> IngestOut:
    return IngestOut(
        result=result.outcome,  # type: ignore[arg-type]  # the service says which of the three
        sequence=result.sequence,
        content_sha256=result.content_sha256,
        received_at=result.received_at,
        deadline=result.deadline,
        applied=[applied_out(a) for a in result.applied],
        received_before=result.received_before,
        finished=[finished_out(f) for f in result.finished],
        stale_alert_raised=result.stale_alert_raised,
    )


class ApplyDueOut(BaseModel):
    now: dt.datetime
    applied: list[AppliedOut]
    finished: list[FinishedOut] = Field(
        default_factory=list, description="Alerts and receipts written now for extracts applied before"
    )
    stale_alert_raised: int | None = Field(None, description="The sequence whose CplStale alert was raised now")


def apply_due_out(now: dt.datetime, due: DueResult) -> ApplyDueOut:
    return ApplyDueOut(
        now=now,
        applied=[applied_out(a) for a in due.applied],
        finished=[finished_out(f) for f in due.finished],
        stale_alert_raised=due.stale_alert_raised,
    )


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
    window: str = Field(description="within 24 hours, overdue, queued or refused")
    devices_suspended: int | None
    devices_restored: int | None
    refusal_rule: str | None
    refusal_reason: str | None
    receipt_available: bool
    receipt: str | None
    alerts_owed: bool = Field(False, description="Applied, and its alerts are not yet all in the alerts file")
    stale_alert_at: dt.datetime | None = Field(None, description="When its CplStale alert was raised, if it was")


def window(record: ExtractRecord, now: dt.datetime) -> str:
    """How an extract stands against its 24 hours, in the words the report shows."""
    if record.state == REFUSED:
        return "refused"
    if rules.overdue(record.received_at, record.applied_at, now):
        return "overdue"
    return "within 24 hours" if record.state == APPLIED else "queued"


def extract_record_out(record: ExtractRecord, now: dt.datetime) -> ExtractRecordOut:
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
        window=window(record, now),
        devices_suspended=record.devices_suspended,
        devices_restored=record.devices_restored,
        refusal_rule=record.refusal_rule,
        refusal_reason=record.refusal_reason,
        receipt_available=record.receipt_path is not None,
        receipt=record.receipt_path,
        alerts_owed=record.alerts_owed,
        stale_alert_at=record.stale_alert_at,
    )


class ReportOut(BaseModel):
    now: dt.datetime
    cpl_in_force: int | None
    cpl_stale: bool = Field(False, description="The CPL in force is past its next_update_by at `now`")
    next_update_by: dt.datetime | None = Field(None, description="When the CPL in force said the next would come")
    stale_alert_at: dt.datetime | None = Field(
        None, description="When the CplStale alert of the CPL in force was raised"
    )
    active_models: int
    devices: int
    devices_by_status: dict[str, int] = Field(description="Devices in each SMI Status, keyed by the status name")
    extracts: list[ExtractRecordOut]


def report_out(report: Report) -> ReportOut:
    return ReportOut(
        now=report.now,
        cpl_in_force=report.cpl_sequence,
        cpl_stale=report.cpl_stale,
        next_update_by=report.next_update_by,
        stale_alert_at=report.stale_alert_at,
        active_models=report.active_models,
        devices=report.device_count,
        devices_by_status=report.devices_by_status,
        extracts=[extract_record_out(r, report.now) for r in report.extracts],
    )


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


def device_out(view: DeviceView) -> DeviceOut:
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


class ModelKeyOut(BaseModel):
    """A Device Model as Devices are matched to the CPL: type, manufacturer id, model id, hardware, firmware."""

    physical_device_type: str
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_version: str


class PreviewEntryOut(BaseModel):
    entry_id: str | None = Field(description="The CPL entry that lists the model (now, or in the CPL in force)")
    model: ModelKeyOut
    change: Literal["suspend", "restore"] = Field(
        description="suspend: the model leaves the Active set; restore: it joins it (again)"
    )
    cpl_status_before: str | None = Field(description="Its entry's status in the CPL it follows (null: not listed)")
    cpl_status_after: str | None = Field(description="Its entry's status in this extract (null: not listed)")
    devices_suspended: int
    devices_restored: int
    suspended_by_status: dict[str, int] = Field(description="Devices it would suspend, by the status they are in now")
    restored_by_status: dict[str, int] = Field(description="Devices it would restore, by the status they return to")


class PreviewOut(BaseModel):
    """What `smi ingest` of the extract would do now; nothing was recorded, alerted or receipted."""

    result: Literal["new", "queued", "repeat", "refused"] = Field(
        description=(
            "new: it would be accepted and applied (after any extracts queued before it); queued: it is "
            "already queued, and this is what its apply will do; repeat: it is the CPL in force, a harmless "
            "repeat that changes nothing; refused: `rule` and `reason` say why"
        )
    )
    accepted: bool
    rule: str | None = Field(None, description="The acceptance rule it fails, when refused")
    reason: str | None = Field(None, description="Why, in one sentence, when refused")
    sequence: int | None
    content_sha256: str | None = Field(description="SHA-256 of the extract's content (the bytes SECAS signs)")
    issued_at: dt.datetime | None
    received_at: dt.datetime = Field(description="The time it was judged as received at")
    signature_checked: bool
    signature: str = Field(description=f"verified, or {SIGNATURE_NOT_CHECKED!r} for unsigned content")
    signer: str | None
    cpl_in_force: int | None
    applies_after: list[int] = Field(description="Queued extracts an ingest would apply before it, in order")
    devices_suspended: int
    devices_restored: int
    suspended_by_status: dict[str, int]
    restored_by_status: dict[str, int]
    entries: list[PreviewEntryOut] = Field(description="Each model the extract moves into or out of the Active set")


def preview_entry_out(impact: ModelImpact) -> PreviewEntryOut:
    kind, manufacturer, model, hardware, firmware = impact.model_key
    return PreviewEntryOut(
        entry_id=impact.entry_id,
        model=ModelKeyOut(
            physical_device_type=kind,
            manufacturer_id=manufacturer,
            model_id=model,
            hardware_version=hardware,
            firmware_version=firmware,
        ),
        change=impact.change,  # type: ignore[arg-type]  # the preview says which of the two
        cpl_status_before=impact.cpl_status_before,
        cpl_status_after=impact.cpl_status_after,
        devices_suspended=impact.devices_suspended,
        devices_restored=impact.devices_restored,
        suspended_by_status=dict(impact.suspended),
        restored_by_status=dict(impact.restored),
    )


def preview_out(preview: Preview) -> PreviewOut:
    refusal = preview.refusal
    if not preview.signature_checked:
        signature = SIGNATURE_NOT_CHECKED
    else:
        signature = "verified" if preview.signer is not None else "refused"
    return PreviewOut(
        result=preview.outcome.value,
        accepted=preview.accepted,
        rule=None if refusal is None else refusal.rule,
        reason=None if refusal is None else str(refusal),
        sequence=preview.sequence,
        content_sha256=preview.content_sha256,
        issued_at=preview.issued_at,
        received_at=preview.received_at,
        signature_checked=preview.signature_checked,
        signature=signature,
        signer=preview.signer,
        cpl_in_force=preview.in_force_sequence,
        applies_after=list(preview.applies_after),
        devices_suspended=preview.devices_suspended,
        devices_restored=preview.devices_restored,
        suspended_by_status=preview.suspended_by_status,
        restored_by_status=preview.restored_by_status,
        entries=[preview_entry_out(i) for i in preview.impacts],
    )
