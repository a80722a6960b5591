"""The DCC simulator's operations: receive extracts, apply them within 24 hours, keep the gates.

Ties the pure rules (`smi.rules`) to the store (`smi.store`). Every time is a parameter; the
command line reads the clock once and passes it in. Signature verification happens before this
layer (`smi.signed`), so the stateful tests can drive it with extract content directly.

A received extract is first recorded (queued) in its own transaction; applying it is a second
transaction that either brings the whole inventory in line with it or, if anything fails part-way,
leaves the inventory exactly as it was and the extract still queued. Alerts and the signed receipt
are written once the apply has committed.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from formats.extract import Extract, ExtractFormatError, parse_extract, sha256_hex
from formats.receipt import Receipt
from signing.trust import TrustStore
from smi import rules
from smi.errors import (
    DeviceSuspendedError,
    ExtractFormatRefusedError,
    ExtractRefusedError,
    ExtractSignatureError,
    FirmwareNotActiveError,
    ModelNotActiveError,
    SeedExtractNotInForceError,
    UnknownDeviceError,
    UnusableInputError,
)
from smi.rules import AcceptedExtract, SmiStatus, Verdict
from smi.seeding import device_rows, plan, seedable_models, uncontrolled_models
from smi.signed import verify_extract_file
from smi.store import QUEUED, REFUSED, DeviceRecord, ExtractRecord, StatusChange, Store

#: Signs a receipt and writes it (to the given path, or its default place); returns where.
ReceiptSink = Callable[[Receipt, Path | None], Path]


@dataclass(frozen=True)
class AppliedExtract:
    sequence: int
    content_sha256: str
    received_at: dt.datetime
    deadline: dt.datetime
    applied_at: dt.datetime
    devices_suspended: int
    devices_restored: int
    receipt_path: Path | None

    @property
    def in_time(self) -> bool:
        return rules.applied_in_time(self.received_at, self.applied_at)


@dataclass(frozen=True)
class IngestResult:
    """What became of a received extract: applied, queued, or a harmless repeat."""

    outcome: str
    sequence: int
    content_sha256: str
    received_at: dt.datetime
    deadline: dt.datetime | None
    applied: tuple[AppliedExtract, ...] = ()

    @property
    def this_applied(self) -> AppliedExtract | None:
        return next((a for a in self.applied if a.sequence == self.sequence), None)


@dataclass(frozen=True)
class DeviceView:
    device: DeviceRecord
    history: tuple[StatusChange, ...]


@dataclass(frozen=True)
class Report:
    now: dt.datetime
    extracts: tuple[ExtractRecord, ...]
    devices_by_status: dict[str, int]
    cpl_sequence: int | None
    active_models: int

    @property
    def device_count(self) -> int:
        return sum(self.devices_by_status.values())


@dataclass(frozen=True)
class SeedResult:
    devices: int
    sequence: int
    models: int
    devices_by_status: dict[str, int] = field(default_factory=dict)


class Inventory:
    """The Smart Metering Inventory and what the DCC does to it."""

    def __init__(self, store: Store, *, alerts_path: Path | None = None, receipts: ReceiptSink | None = None) -> None:
        self.store = store
        self.alerts_path = alerts_path
        self.receipts = receipts
        # Parsed extracts by content SHA-256: a long-running service reads the CPL in force once.
        self._parsed: dict[str, Extract] = {}
        self._parsed_lock = threading.Lock()

    def _parse(self, content: bytes) -> Extract:
        digest = sha256_hex(content)
        with self._parsed_lock:
            parsed = self._parsed.get(digest)
        if parsed is None:
            parsed = parse_extract(content)
            with self._parsed_lock:
                while len(self._parsed) >= 8:
                    self._parsed.pop(next(iter(self._parsed)))
                self._parsed[digest] = parsed
        return parsed

    # --- extracts -----------------------------------------------------------------------

    def refuse(
        self,
        error: ExtractRefusedError,
        *,
        file_bytes: bytes,
        received_at: dt.datetime,
        content: bytes | None = None,
        extract: Extract | None = None,
        signer: str | None = None,
    ) -> None:
        """Record a refused extract and why; nothing else changes."""
        with self.store.begin() as conn:
            self.store.record_extract(
                conn,
                file_sha256=sha256_hex(file_bytes),
                file_bytes=file_bytes,
                received_at=received_at,
                deadline=rules.deadline(received_at),
                state=REFUSED,
                sequence=None if extract is None else extract.sequence,
                content_sha256=None if content is None else sha256_hex(content),
                content=content,
                issued_at=None if extract is None else extract.issued_at,
                signer=signer,
                refusal_rule=error.rule,
                refusal_reason=str(error),
            )

    def receive(
        self,
        content: bytes,
        *,
        received_at: dt.datetime,
        file_bytes: bytes | None = None,
        signer: str | None = None,
        defer: bool = False,
        receipt_out: Path | None = None,
    ) -> IngestResult:
        """Judge an extract whose signature verified; queue it, and unless ``defer`` apply what is due.

        A refusal is recorded and raised; the CPL in force and the inventory stay as they were.
        """
        received_at = _second(received_at)
        original = content if file_bytes is None else file_bytes
        try:
            extract = self._parse(content)
        except ExtractFormatError as error:
            refusal = ExtractFormatRefusedError(f"The extract's content is refused: {error}.")
            self.refuse(refusal, file_bytes=original, received_at=received_at, content=content, signer=signer)
            raise refusal from None
        content_sha256 = sha256_hex(content)
        try:
            with self.store.begin() as conn:
                verdict = rules.judge_extract(
                    extract,
                    content_sha256,
                    received_at=received_at,
                    latest=self._latest_accepted(conn),
                    accepted_sha256=_one(extract.sequence, self.store.accepted_sha256(conn, extract.sequence)),
                )
                if verdict is Verdict.REPEAT:
                    return IngestResult("repeat", extract.sequence, content_sha256, received_at, None)
                self.store.record_extract(
                    conn,
                    file_sha256=sha256_hex(original),
                    file_bytes=original,
                    received_at=received_at,
                    deadline=rules.deadline(received_at),
                    state=QUEUED,
                    sequence=extract.sequence,
                    content_sha256=content_sha256,
                    content=content,
                    issued_at=extract.issued_at,
                    signer=signer,
                )
        except ExtractRefusedError as refusal:
            self.refuse(
                refusal, file_bytes=original, received_at=received_at, content=content, extract=extract, signer=signer
            )
            raise
        if defer:
            return IngestResult("queued", extract.sequence, content_sha256, received_at, rules.deadline(received_at))
        applied = self.apply_due(received_at, receipt_out={extract.sequence: receipt_out} if receipt_out else None)
        # Still queued if an earlier extract waits for a later time (its --received-at was after this one's).
        outcome = "applied" if any(a.sequence == extract.sequence for a in applied) else "queued"
        return IngestResult(
            outcome, extract.sequence, content_sha256, received_at, rules.deadline(received_at), tuple(applied)
        )

    def apply_due(self, now: dt.datetime, *, receipt_out: dict[int, Path] | None = None) -> list[AppliedExtract]:
        """Apply every queued extract received by ``now``, oldest first, each in one transaction."""
        now = _second(now)
        with self.store.begin() as conn:
            queue = self.store.queued(conn)
        applied = []
        for record, content in queue:
            if record.received_at > now:
                break  # later ones wait too: extracts are applied in sequence order
            extract = self._parse(content)
            applied.append(self._apply(record, extract, now, (receipt_out or {}).get(extract.sequence)))
        return applied

    def _apply(
        self, record: ExtractRecord, extract: Extract, now: dt.datetime, receipt_out: Path | None
    ) -> AppliedExtract:
        with self.store.begin() as conn:
            change = rules.cpl_change(self.store.active_model_keys(conn), extract.active_model_keys())
            counts = self.store.apply_extract(conn, record_id=record.id, extract=extract, change=change, applied_at=now)
        self._write_alerts(extract.sequence)
        content_sha256 = str(record.content_sha256)
        receipt_path = None
        if self.receipts is not None:
            receipt = Receipt(
                sequence=extract.sequence,
                extract_sha256=content_sha256,
                received_at=record.received_at,
                applied_at=now,
                devices_suspended=counts.devices_suspended,
                devices_restored=counts.devices_restored,
            )
            receipt_path = self.receipts(receipt, receipt_out)
            with self.store.begin() as conn:
                self.store.set_receipt_path(conn, record.id, str(receipt_path))
        return AppliedExtract(
            sequence=extract.sequence,
            content_sha256=content_sha256,
            received_at=record.received_at,
            deadline=record.deadline,
            applied_at=now,
            devices_suspended=counts.devices_suspended,
            devices_restored=counts.devices_restored,
            receipt_path=receipt_path,
        )

    def _write_alerts(self, sequence: int) -> None:
        if self.alerts_path is None:
            return
        self.alerts_path.parent.mkdir(parents=True, exist_ok=True)
        with self.store.begin() as conn, self.alerts_path.open("a", encoding="utf-8") as out:
            for lines in self.store.alert_lines(conn, sequence):
                out.write("\n".join(lines) + "\n")

    def _latest_accepted(self, conn: Connection) -> AcceptedExtract | None:
        latest = self.store.latest_accepted_content(conn)
        if latest is None:
            return None
        sequence, content_sha256, content = latest
        return AcceptedExtract(sequence=sequence, content_sha256=content_sha256, extract=self._parse(content))

    def ingest_signed(
        self,
        file_bytes: bytes,
        trust: TrustStore,
        *,
        received_at: dt.datetime,
        defer: bool = False,
        receipt_out: Path | None = None,
    ) -> IngestResult:
        """Verify a signed extract file and receive its content; a bad signature is recorded and raised."""
        received_at = _second(received_at)
        try:
            verified = verify_extract_file(file_bytes, trust, received_at=received_at)
        except ExtractSignatureError as refusal:
            self.refuse(refusal, file_bytes=file_bytes, received_at=received_at)
            raise
        return self.receive(
            verified.content,
            received_at=received_at,
            file_bytes=file_bytes,
            signer=verified.signer,
            defer=defer,
            receipt_out=receipt_out,
        )

    def cpl_in_force(self) -> Extract | None:
        with self.store.begin() as conn:
            found = self.store.cpl_in_force(conn)
        return None if found is None else parse_extract(found[1])

    # --- devices ------------------------------------------------------------------------

    def add_device(
        self,
        device_id: str,
        *,
        physical_device_type: str,
        manufacturer_id: str,
        model_id: str,
        hardware_version: str,
        firmware_version: str,
        status: SmiStatus = SmiStatus.COMMISSIONED,
        at: dt.datetime,
    ) -> DeviceRecord:
        """Enter a Device, refused unless its model and firmware are Active on the CPL in force."""
        device_type = rules.physical_device_type(physical_device_type)
        key = rules.model_key(
            device_type.value,
            rules.hex_field("manufacturer id", manufacturer_id),
            rules.hex_field("model id", model_id),
            rules.hex_field("hardware version", hardware_version),
            rules.hex_field("firmware version", firmware_version),
        )
        identifier = rules.device_id(device_id)
        if status not in rules.ADMISSIBLE_STATUSES:
            raise UnusableInputError(f"A Device cannot enter the inventory {status.value}; only the CPL suspends.")
        with self.store.begin() as conn:
            if not rules.may_enter(device_type, key, self.store.active_model_keys(conn)):
                raise ModelNotActiveError(
                    f"Device {identifier} is refused: {_describe(key)} is not Active on the CPL in force."
                )
            ref = self.store.model_refs(conn, [key])[key]
            self.store.insert_device(conn, device_id=identifier, model_ref=ref, status=status.value, since=_second(at))
            record = self.store.device(conn, identifier)
        assert record is not None
        return record

    def update_firmware(self, device_id: str, version: str, *, at: dt.datetime) -> tuple[DeviceRecord, bool]:
        """Move a Device to new firmware, refused (keeping the old) unless the new is Active.

        Returns the Device and whether anything changed (the same version is no change).
        """
        identifier = rules.device_id(device_id)
        firmware = rules.hex_field("firmware version", version)
        with self.store.begin() as conn:
            device = self.store.device(conn, identifier)
            if device is None:
                raise UnknownDeviceError(f"Device {identifier} is not in the inventory.")
            if device.firmware_version == firmware:
                return device, False
            if device.status == SmiStatus.SUSPENDED:
                raise DeviceSuspendedError(
                    f"Device {identifier} is Suspended, so the DCC sends it no firmware; it keeps "
                    f"firmware {device.firmware_version}."
                )
            key = (*device.model_key[:4], firmware)
            if not rules.may_enter(device.physical_device_type, key, self.store.active_model_keys(conn)):
                raise FirmwareNotActiveError(
                    f"Firmware {firmware} is refused for Device {identifier}: {_describe(key)} is not Active "
                    f"on the CPL in force; it keeps firmware {device.firmware_version}."
                )
            ref = self.store.model_refs(conn, [key])[key]
            self.store.set_model(conn, identifier, ref)
            updated = self.store.device(conn, identifier)
        assert updated is not None
        return updated, True

    def device(self, device_id: str) -> DeviceView:
        identifier = rules.device_id(device_id)
        with self.store.begin() as conn:
            device = self.store.device(conn, identifier)
            if device is None:
                raise UnknownDeviceError(f"Device {identifier} is not in the inventory.")
            return DeviceView(device=device, history=tuple(self.store.history(conn, identifier)))

    # --- reporting ----------------------------------------------------------------------

    def report(self, now: dt.datetime) -> Report:
        with self.store.begin() as conn:
            records = tuple(self.store.extract_records(conn))
            by_status = rules.statuses_by_name(self.store.count_by_status(conn).items())
            in_force = self.store.cpl_in_force(conn)
            active = len(self.store.active_model_keys(conn))
        return Report(
            now=now,
            extracts=records,
            devices_by_status=by_status,
            cpl_sequence=None if in_force is None else in_force[0],
            active_models=active,
        )

    # --- seeding ------------------------------------------------------------------------

    def seed_signed(
        self,
        file_bytes: bytes,
        trust: TrustStore,
        devices: int,
        *,
        seed: int,
        at: dt.datetime,
        progress: Callable[[int], None] = lambda n: None,
    ) -> tuple[IngestResult | None, SeedResult]:
        """Seed over a signed extract, receiving (and applying) it first unless it is the CPL in force."""
        at = _second(at)
        verified = verify_extract_file(file_bytes, trust, received_at=at)
        in_force = self.cpl_in_force()
        ingested = None
        if in_force is None or in_force.content() != verified.content:
            ingested = self.ingest_signed(file_bytes, trust, received_at=at)
        try:
            extract = parse_extract(verified.content)
        except ExtractFormatError as error:  # ingest_signed refused it already; this is for the type checker
            raise ExtractFormatRefusedError(f"The extract's content is refused: {error}.") from None
        return ingested, self.seed(extract, devices, seed=seed, at=at, progress=progress)

    def seed(
        self,
        extract: Extract,
        devices: int,
        *,
        seed: int,
        at: dt.datetime,
        progress: Callable[[int], None] = lambda n: None,
    ) -> SeedResult:
        """Bulk-load ``devices`` Devices over the Active models of ``extract``, the CPL in force."""
        controlled = seedable_models(extract)
        with self.store.begin() as conn:
            in_force = self.store.cpl_in_force(conn)
            if in_force is None or in_force[1] != extract.content():
                raise SeedExtractNotInForceError(
                    f"Extract sequence {extract.sequence} is not the CPL in force, so the inventory cannot be "
                    f"seeded over its models."
                )
            refs = self.store.model_refs(conn, controlled + uncontrolled_models(extract, seed=seed))
            first = self.store.max_device_ref(conn) + 1
            existing = self.store.device_count(conn)
        rows = device_rows(plan(refs), devices, first_row_id=first, seed=seed, at=_second(at))
        loaded = self.store.bulk_load_devices(rows, rebuild_indexes=devices >= existing, progress=progress)
        return SeedResult(devices=loaded, sequence=extract.sequence, models=len(refs))


def _second(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("times given to the inventory must be timezone-aware")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _one(sequence: int, sha: str | None) -> dict[int, str]:
    return {} if sha is None else {sequence: sha}


def _describe(key: rules.ModelKey) -> str:
    kind, manufacturer, model, hardware, firmware = key
    return f"{kind} {manufacturer}/{model} hardware {hardware} firmware {firmware}"
