"""One view per record of the simulator: what its HTTP API returns and what `smi ... --json` prints.

Each view is a pydantic model built from the service's record by one function, so the API's
OpenAPI document and the command line's JSON are the same shapes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from smi import rules
from smi.preview import RESTORE, SIGNATURE_NOT_CHECKED, SUSPEND, ModelImpact, Preview
from smi.rules import Alert
from smi.service import (
    Alerts,
    AppliedExtract,
    DeviceSearch,
    DeviceView,
    DueResult,
    FinishedOutputs,
    IngestResult,
    Report,
)
from smi.store import APPLIED, REFUSED, AlertRecord, DeviceRecord, ExtractRecord, ModelChange


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
    overdue_by_seconds: int | None = Field(
        None,
        description=(
            "How long after its deadline (received_at + 24 hours) it was applied, or, still queued, how far "
            "past it `now` is; null when it is not overdue (or refused)"
        ),
    )
    models: list[ModelChangeOut] = Field(
        default_factory=list,
        description=(
            "Each Device Model its apply suspended, or restored Devices of, or listed Active again: why (its "
            "entry, statuses, Panel reference) and how many Devices moved"
        ),
    )
    models_recorded: bool = Field(
        True,
        description="false: applied before per-model counts were recorded, and it moved Devices; `models` is empty",
    )


class ModelChangeOut(BaseModel):
    """One Device Model an applied extract moved Devices of, and why."""

    entry_id: str | None = Field(description="The CPL entry that lists the model")
    model: ModelKeyOut
    change: Literal["suspend", "restore"] = Field(
        description="suspend: the model left the CPL's Active set; restore: it is Active again"
    )
    cpl_status_before: str | None = Field(description="Its entry's status in the CPL the extract followed")
    cpl_status: str | None = Field(
        description="Its entry's status in this extract: Withdrawn, Cancelled or Expired, or Active again"
    )
    panel_reference: str | None = Field(description="The SEC Panel decision its entry cites, if it carries one")
    devices: int = Field(description="Devices it suspended (change suspend) or restored (change restore)")


def window(record: ExtractRecord, now: dt.datetime) -> str:
    """How an extract stands against its 24 hours, in the words the report shows."""
    if record.state == REFUSED:
        return "refused"
    if rules.overdue(record.received_at, record.applied_at, now):
        return "overdue"
    return "within 24 hours" if record.state == APPLIED else "queued"


def overdue_by(record: ExtractRecord, now: dt.datetime) -> dt.timedelta | None:
    """How late an accepted extract is against its 24 hours (None: not overdue, or refused)."""
    return None if record.state == REFUSED else rules.overdue_by(record.received_at, record.applied_at, now)


def duration_words(span: dt.timedelta) -> str:
    """A span as the report says it: '45 s', '12 min', '3 h 05 min', '2 d 4 h'."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{days} d {hours % 24} h"


def model_change_out(change: ModelChange) -> ModelChangeOut:
    return ModelChangeOut(
        entry_id=change.entry_id,
        model=model_key_out(change.model_key),
        change=SUSPEND if change.alert == Alert.DEVICE_SUSPENDED else RESTORE,  # type: ignore[arg-type]
        cpl_status_before=change.cpl_status_before,
        cpl_status=change.cpl_status,
        panel_reference=change.panel_reference,
        devices=change.devices,
    )


def extract_record_out(
    record: ExtractRecord,
    now: dt.datetime,
    models: tuple[ModelChange, ...] = (),
    *,
    models_recorded: bool = True,
) -> ExtractRecordOut:
    late = overdue_by(record, now)
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
        overdue_by_seconds=None if late is None else int(late.total_seconds()),
        models=[model_change_out(change) for change in models],
        models_recorded=models_recorded,
    )


class SequenceGapOut(BaseModel):
    """Sequences no extract was accepted with, between two received ones."""

    first_missing: int
    last_missing: int
    missing: int = Field(description="How many sequences the gap spans")
    after: int = Field(description="The received sequence just below the gap")
    before: int = Field(description="The received sequence just above it")
    refused: list[int] = Field(description="Sequences in the gap that were received and refused")


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
    sequence_gaps: list[SequenceGapOut] = Field(
        default_factory=list, description="Sequences missing from the accepted ones between two received ones"
    )


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
        extracts=[
            extract_record_out(r, report.now, report.models_of(r), models_recorded=report.models_recorded(r))
            for r in report.extracts
        ],
        sequence_gaps=[
            SequenceGapOut(
                first_missing=gap.first,
                last_missing=gap.last,
                missing=gap.missing,
                after=gap.after,
                before=gap.before,
                refused=list(gap.refused),
            )
            for gap in report.sequence_gaps
        ],
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


class DeviceSummaryOut(BaseModel):
    """A Device as a search lists it: `DeviceOut` without its history."""

    device_id: str
    physical_device_type: str
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_version: str
    status: str
    status_since: dt.datetime
    status_before_suspension: str | None
    cpl: CplStateOut


def device_summary_out(d: DeviceRecord) -> DeviceSummaryOut:
    return DeviceSummaryOut(
        device_id=d.device_id,
        physical_device_type=d.physical_device_type,
        manufacturer_id=d.manufacturer_id,
        model_id=d.model_id,
        hardware_version=d.hardware_version,
        firmware_version=d.firmware_version,
        status=d.status,
        status_since=d.status_since,
        status_before_suspension=d.status_before_suspension,
        cpl=CplStateOut(active=d.model_active, entry_id=d.cpl_entry_id, status=d.cpl_status),
    )


class DeviceOut(DeviceSummaryOut):
    """A Device with whether the CPL controls it and its SMI Status history."""

    cpl_controlled: bool
    history: list[StatusChangeOut]


def device_out(view: DeviceView) -> DeviceOut:
    d = view.device
    return DeviceOut(
        **dict(device_summary_out(d)),
        cpl_controlled=rules.is_cpl_controlled(d.physical_device_type),
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


def model_key_out(key: rules.ModelKey) -> ModelKeyOut:
    kind, manufacturer, model, hardware, firmware = key
    return ModelKeyOut(
        physical_device_type=kind,
        manufacturer_id=manufacturer,
        model_id=model,
        hardware_version=hardware,
        firmware_version=firmware,
    )


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


# --- alerts and the device search -----------------------------------------------------------


class AlertOut(BaseModel):
    """One alert, with the keys its line in the alerts file has (a Device's, or CplStale's)."""

    alert: str = Field(description="DeviceSuspended, DeviceRestored or CplStale")
    raised_at: dt.datetime
    extract_sequence: int
    device_id: str | None = Field(None, description="The Device (DeviceSuspended, DeviceRestored)")
    previous_status: str | None = Field(None, description="The SMI Status it left")
    status: str | None = Field(None, description="The SMI Status it entered")
    next_update_by: dt.datetime | None = Field(None, description="CplStale: when the next CPL was due")


class AlertsOut(BaseModel):
    since: dt.datetime | None
    limit: int
    total: int = Field(description="Alerts raised since `since` that the inventory holds (shown: the newest)")
    shown: int
    alerts: list[AlertOut] = Field(description="The newest `limit` of them, newest last")
    pruned_extracts: list[int] = Field(
        description="Extracts whose Device alerts were pruned from the inventory: they are in the alerts file only"
    )


def alert_out(alert: AlertRecord) -> AlertOut:
    return AlertOut(
        alert=alert.alert,
        raised_at=alert.raised_at,
        extract_sequence=alert.extract_sequence,
        device_id=alert.device_id,
        previous_status=alert.previous_status,
        status=alert.status,
        next_update_by=alert.next_update_by,
    )


def alerts_out(alerts: Alerts) -> AlertsOut:
    return AlertsOut(
        since=alerts.since,
        limit=alerts.limit,
        total=alerts.total,
        shown=len(alerts.alerts),
        alerts=[alert_out(a) for a in alerts.alerts],
        pruned_extracts=list(alerts.pruned),
    )


class DeviceSearchOut(BaseModel):
    model: str = Field(description="The Device Models searched: MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]]")
    physical_device_type: str | None
    status: str | None
    after: str | None = Field(description="The page starts after this Device ID")
    limit: int
    total: int = Field(description="Devices that match, in all pages")
    devices: list[DeviceSummaryOut] = Field(description="This page, by Device ID")
    next_after: str | None = Field(description="Ask with after=this for the next page; null on the last")


def device_search_out(search: DeviceSearch) -> DeviceSearchOut:
    return DeviceSearchOut(
        model=str(search.pattern),
        physical_device_type=search.physical_device_type,
        status=search.status,
        after=search.after,
        limit=search.limit,
        total=search.total,
        devices=[device_summary_out(d) for d in search.devices],
        next_after=search.next_after,
    )
