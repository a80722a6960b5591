"""The DCC simulator's operations: receive extracts, apply them within 24 hours, keep the gates.

Ties the pure rules (`smi.rules`) to the store (`smi.store`). Every time is a parameter; the
command line reads the clock once and passes it in. Signature verification happens before this
layer (`smi.signed`), so the stateful tests can drive it with extract content directly.

A received extract is first recorded (queued) in its own transaction; applying it is a second
transaction that claims it (only while it is still queued) and either brings the whole inventory in
line with it or, if anything fails part-way, leaves the inventory exactly as it was and the extract
still queued. What an apply leaves outside the database, its alerts (a block of whole lines in the
alerts file) and its signed receipt, is owed from the commit and written afterwards from the committed
state: if the process dies first, the next run (`apply_due`, the same extract received again, or a
report for the alerts) writes exactly what is still owed. Receiving, applying and writing what is owed
hold the inventory's applier lock, so two appliers never interleave.

The CPL in force is stale once the time of a report or an apply is past its extract's
``next_update_by``: the DCC then raises a CplStale alert, once per extract in force.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import Connection

from formats.extract import Extract, ExtractFormatError, parse_extract, sha256_hex
from formats.receipt import Receipt
from signing.trust import TrustStore
from smi import rules
from smi.errors import (
    ConfigurationError,
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
from smi.files import StreamedLines, append_block, encoded, sealed_lines
from smi.preview import Outcome, Preview, predict, read_only, unsigned_extract
from smi.rules import AcceptedExtract, Alert, SmiStatus, StatusChange, Verdict
from smi.seeding import device_rows, plan, seedable_models, uncontrolled_models
from smi.signed import verify_extract_file
from smi.store import (
    APPLIED,
    QUEUED,
    REFUSED,
    AlertRecord,
    AppliedCounts,
    DeviceRecord,
    ExtractRecord,
    ModelChange,
    Store,
    database_errors,
    stamp,
)

#: Signs a receipt and writes it (to the given path, or its default place); returns where.
ReceiptSink = Callable[[Receipt, Path | None], Path]

_DEVICE_ALERTS = frozenset({Alert.DEVICE_SUSPENDED.value, Alert.DEVICE_RESTORED.value})
_STALE_ALERT = frozenset({Alert.CPL_STALE.value})

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _named_database_errors(operation: Callable[_P, _R]) -> Callable[_P, _R]:
    """A database that is locked or unusable surfaces as the simulator's named error, not a driver's."""

    @functools.wraps(operation)
    def named(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with database_errors():
            return operation(*args, **kwargs)

    return named


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
class FinishedOutputs:
    """What this run wrote for an extract applied by an earlier run that died before writing it."""

    sequence: int
    applied_at: dt.datetime
    alerts_written: int
    stale_alert_written: bool
    receipt_path: Path | None


@dataclass(frozen=True)
class DueResult:
    """What `apply_due` did: the extracts it applied, what it finished for earlier applies, and whether it
    raised the CplStale alert of the CPL in force (its sequence)."""

    applied: tuple[AppliedExtract, ...] = ()
    finished: tuple[FinishedOutputs, ...] = ()
    stale_alert_raised: int | None = None


@dataclass(frozen=True)
class IngestResult:
    """What became of a received extract: applied, queued, or a harmless repeat of the one in force.

    ``received_before`` says it had been received (and accepted) before: a repeat, or one still queued,
    which is applied now (or stays queued behind an earlier one, or with --defer).
    """

    outcome: str
    sequence: int
    content_sha256: str
    received_at: dt.datetime
    deadline: dt.datetime | None
    applied: tuple[AppliedExtract, ...] = ()
    finished: tuple[FinishedOutputs, ...] = ()
    received_before: bool = False
    stale_alert_raised: int | None = None

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
    #: The CPL in force is past its next_update_by at ``now``; when that was due; when its alert was raised.
    cpl_stale: bool = False
    next_update_by: dt.datetime | None = None
    stale_alert_at: dt.datetime | None = None
    #: What each applied extract did per Device Model, by its record id (`ExtractRecord.id`).
    model_changes: Mapping[int, tuple[ModelChange, ...]] = field(default_factory=dict)
    #: Sequences never accepted between two received ones.
    sequence_gaps: tuple[rules.SequenceGap, ...] = ()

    @property
    def device_count(self) -> int:
        return sum(self.devices_by_status.values())

    def models_of(self, record: ExtractRecord) -> tuple[ModelChange, ...]:
        return tuple(self.model_changes.get(record.id, ()))

    def models_recorded(self, record: ExtractRecord) -> bool:
        """Whether the per-model counts of an applied extract are known: an apply before they were recorded
        that moved Devices has none (an apply that moved none has nothing to record)."""
        moved = (record.devices_suspended or 0) + (record.devices_restored or 0)
        return record.state != APPLIED or not moved or record.id in self.model_changes


@dataclass(frozen=True)
class Alerts:
    """The newest alerts raised at or after ``since``, oldest first, and how many there are in all.

    ``pruned``: extracts whose Device alerts were pruned from the inventory (`smi prune-history`); they are
    in the alerts file only and not counted in ``total``.
    """

    since: dt.datetime | None
    limit: int
    alerts: tuple[AlertRecord, ...]
    total: int
    pruned: tuple[int, ...] = ()


@dataclass(frozen=True)
class DeviceSearch:
    """A page of the Devices of the models a pattern names, by Device ID, and how many there are in all."""

    pattern: rules.ModelPattern
    physical_device_type: str | None
    status: str | None
    after: str | None
    limit: int
    total: int
    devices: tuple[DeviceRecord, ...]
    #: The Device ID to ask for the next page after, if there is one.
    next_after: str | None


@dataclass(frozen=True)
class SeedResult:
    devices: int
    sequence: int
    models: int
    devices_by_status: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PruneResult:
    """What `Inventory.prune_history` removed: the history rows of these extracts, applied before ``before``."""

    before: dt.datetime
    sequences: tuple[int, ...]
    rows_removed: int


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

    @_named_database_errors
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

    @_named_database_errors
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

        A refusal is recorded and raised; the CPL in force and the inventory stay as they were. The
        extract in force received again is a harmless repeat (that writes whatever its apply still
        owes); one received again while still queued is applied now, unless ``defer``.
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
        sequence = extract.sequence
        with self.store.applier_lock():
            known = self._judge(extract, content, received_at=received_at, original=original, signer=signer)
            if known is not None and known.state == APPLIED:
                finished = self._finish_outputs() + self._rewrite_lost_receipt(known)
                return IngestResult(
                    "repeat", sequence, content_sha256, received_at, None, finished=finished, received_before=True
                )
            deadline = rules.deadline(received_at) if known is None else known.deadline
            if defer:
                return IngestResult(
                    "queued", sequence, content_sha256, received_at, deadline, received_before=known is not None
                )
            target = None if receipt_out is None else {sequence: receipt_out}
            due = self._apply_due(received_at, receipt_out=target)
        # Still queued if an earlier extract waits for a later time (its --received-at was after this one's).
        outcome = "applied" if any(a.sequence == sequence for a in due.applied) else "queued"
        return IngestResult(
            outcome,
            sequence,
            content_sha256,
            received_at,
            deadline,
            due.applied,
            due.finished,
            received_before=known is not None,
            stale_alert_raised=due.stale_alert_raised,
        )

    def _judge(
        self, extract: Extract, content: bytes, *, received_at: dt.datetime, original: bytes, signer: str | None
    ) -> ExtractRecord | None:
        """Under the applier lock: queue a new extract (None), or return the record of this same extract
        accepted before; a refusal is recorded and raised."""
        content_sha256 = sha256_hex(content)
        try:
            with self.store.begin() as conn:
                verdict, known = self._verdict(conn, extract, content_sha256, received_at=received_at)
                if verdict is Verdict.REPEAT:
                    return known
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
                return None
        except ExtractRefusedError as refusal:
            self.refuse(
                refusal, file_bytes=original, received_at=received_at, content=content, extract=extract, signer=signer
            )
            raise

    def _verdict(
        self, conn: Connection, extract: Extract, content_sha256: str, *, received_at: dt.datetime
    ) -> tuple[Verdict, ExtractRecord | None]:
        """The acceptance rules' verdict on an extract against the inventory as ``conn`` sees it, and the
        record of the same sequence accepted before, if any; a refusal is raised (and recorded by no one)."""
        known = self.store.accepted_record(conn, extract.sequence)
        verdict = rules.judge_extract(
            extract,
            content_sha256,
            received_at=received_at,
            latest=self._latest_accepted(conn),
            accepted_sha256={} if known is None else {extract.sequence: str(known.content_sha256)},
            in_force_sequence=self.store.in_force_sequence(conn),
        )
        return verdict, known

    @_named_database_errors
    def apply_due(self, now: dt.datetime, *, receipt_out: dict[int, Path] | None = None) -> DueResult:
        """Apply every queued extract received by ``now``, oldest first, each in one transaction.

        First writes whatever earlier applies still owe (a run that died after its commit), and last
        raises the CplStale alert if the CPL in force is past its next_update_by at ``now``.
        """
        now = _second(now)
        self.store.checkpoint("apply-due")
        with self.store.applier_lock():
            return self._apply_due(now, receipt_out=receipt_out)

    def _apply_due(self, now: dt.datetime, *, receipt_out: dict[int, Path] | None) -> DueResult:
        # The 24 hours come first: if what is owed cannot be written (an alerts file that cannot be
        # written, say), the due extracts are still applied, their outputs left owed in order, and
        # the failure is raised once they are.
        failures: list[ConfigurationError] = []

        def finish() -> tuple[FinishedOutputs, ...]:
            if failures:
                return ()
            try:
                return self._finish_outputs()
            except ConfigurationError as failure:
                failures.append(failure)
                return ()

        finished = finish()
        with self.store.begin() as conn:
            queue = self.store.queued(conn)
        self.store.checkpoint("queue-read")
        applied = []
        for record, content in queue:
            if record.received_at > now:
                break  # later ones wait too: extracts are applied in sequence order
            extract = self._parse(content)
            target = (receipt_out or {}).get(extract.sequence)
            counts = self._apply(record, extract, now, None if target is None else target.absolute())
            if counts is None:
                continue  # another applier applied it first (it held the lock: only one that ignores it could)
            written = {w.sequence: w for w in finish()}.get(extract.sequence)
            applied.append(
                AppliedExtract(
                    sequence=extract.sequence,
                    content_sha256=str(record.content_sha256),
                    received_at=record.received_at,
                    deadline=record.deadline,
                    applied_at=now,
                    devices_suspended=counts.devices_suspended,
                    devices_restored=counts.devices_restored,
                    receipt_path=None if written is None else written.receipt_path,
                )
            )
        raised = self._raise_stale_alert_if_due(now)
        if raised is not None:
            finish()
        if failures:
            raise failures[0]
        return DueResult(applied=tuple(applied), finished=finished, stale_alert_raised=raised)

    def _apply(
        self, record: ExtractRecord, extract: Extract, now: dt.datetime, receipt_target: Path | None
    ) -> AppliedCounts | None:
        # The alert lines come back from the apply's own UPDATEs into a file beside the alerts file,
        # sealed before the commit, whose digest the commit records: what it owes is written from there.
        streamed = None if self.alerts_path is None else StreamedLines(self._streamed_path(extract.sequence))
        try:
            with self.store.begin() as conn:
                target = None if receipt_target is None else str(receipt_target)
                if not self.store.claim_queued(conn, record.id, applied_at=now, receipt_target=target):
                    if streamed is not None:
                        streamed.discard()
                    return None
                change = rules.cpl_change(self.store.active_model_keys(conn), extract.active_model_keys())
                counts = self.store.apply_extract(
                    conn,
                    record_id=record.id,
                    extract=extract,
                    change=change,
                    applied_at=now,
                    alerts=None if streamed is None else streamed.write,
                )
                digest = None if streamed is None else streamed.seal()
                if digest is not None:
                    self.store.alerts_streamed(conn, record.id, digest)
        except BaseException:
            if streamed is not None:
                streamed.discard()
            raise
        self.store.checkpoint("applied")
        return counts

    def _streamed_path(self, sequence: int) -> Path:
        assert self.alerts_path is not None
        return self.alerts_path.with_name(f".{self.alerts_path.name}.{sequence}.streamed")

    # --- what an apply owes: alerts, receipts -------------------------------------------

    def _finish_outputs(self) -> tuple[FinishedOutputs, ...]:
        """Write, in sequence order, what applied extracts still owe: their alerts, CplStale alerts, receipts.

        Holding the applier lock. Alerts are written only with an alerts file, receipts only with a
        receipt signer; what cannot be written here stays owed. Each is recorded as written once it
        is on disk, so a crash in between writes it again: whole, and once (`smi.files.append_block`).
        """
        with self.store.begin() as conn:
            owing = self.store.owing(conn)
        done = []
        for record in owing:
            try:
                alerts = self._write_device_alerts(record) if record.alerts_owed else 0
                stale = self._write_stale_alert(record) if record.stale_alert_owed else False
                receipt = self._write_receipt(record) if record.receipt_path is None else None
            except OSError as error:
                where = "" if error.filename is None else f" {error.filename}"
                raise ConfigurationError(
                    f"The alerts or receipt of extract {record.sequence} cannot be written{where} "
                    f"({error.strerror or error}); they stay owed, and the next run writes them."
                ) from None
            if alerts or stale or receipt is not None:
                assert record.sequence is not None and record.applied_at is not None
                done.append(FinishedOutputs(record.sequence, record.applied_at, alerts, stale, receipt))
        return tuple(done)

    def _write_device_alerts(self, record: ExtractRecord) -> int:
        if self.alerts_path is None or record.sequence is None:
            return 0
        sequence = record.sequence
        streamed = self._streamed_path(sequence)
        with self.store.begin() as conn:
            # else read back from the Devices
            lines = sealed_lines(streamed, record.alerts_digest, batch=self.store.alert_batch)
            written = append_block(
                self.alerts_path,
                encoded(self.store.alert_lines(conn, sequence)) if lines is None else lines,
                belongs=lambda line: _alert_of(line, sequence, _DEVICE_ALERTS),
                after_batch=lambda: self.store.checkpoint("alerts-batch"),
            )
        self.store.checkpoint("alerts")
        with self.store.begin() as conn:
            self.store.alerts_written(conn, record.id)
        with contextlib.suppress(OSError):
            streamed.unlink()
        return written

    def _write_stale_alert(self, record: ExtractRecord) -> bool:
        if self.alerts_path is None or record.sequence is None or record.stale_alert_at is None:
            return False
        sequence = record.sequence
        with self.store.begin() as conn:
            due = self._parse(self.store.content(conn, record.id)).next_update_by
        line = {
            "alert": Alert.CPL_STALE.value,
            "extract_sequence": sequence,
            "next_update_by": None if due is None else stamp(due),
            "raised_at": stamp(record.stale_alert_at),
        }
        append_block(
            self.alerts_path,
            encoded([[json.dumps(line, sort_keys=True, separators=(",", ":"))]]),
            belongs=lambda text: _alert_of(text, sequence, _STALE_ALERT),
        )
        self.store.checkpoint("stale-alert")
        with self.store.begin() as conn:
            self.store.stale_alert_written(conn, record.id)
        return True

    def _write_receipt(self, record: ExtractRecord) -> Path | None:
        if self.receipts is None or record.sequence is None or record.applied_at is None:
            return None
        receipt = Receipt(
            sequence=record.sequence,
            extract_sha256=str(record.content_sha256),
            received_at=record.received_at,
            applied_at=record.applied_at,
            devices_suspended=record.devices_suspended or 0,
            devices_restored=record.devices_restored or 0,
        )
        path = self.receipts(receipt, None if record.receipt_target is None else Path(record.receipt_target))
        self.store.checkpoint("receipt")
        with self.store.begin() as conn:
            self.store.set_receipt_path(conn, record.id, str(path))
        return path

    def _rewrite_lost_receipt(self, record: ExtractRecord) -> tuple[FinishedOutputs, ...]:
        """The receipt of the extract in force again, if its file has gone since it was written."""
        if record.receipt_path is None or Path(record.receipt_path).exists() or self.receipts is None:
            return ()
        with self.store.begin() as conn:
            again = self.store.extract_record(conn, record.id)
        try:
            path = self._write_receipt(replace(again, receipt_target=again.receipt_path))
        except OSError as error:
            raise ConfigurationError(
                f"The receipt of extract {record.sequence} cannot be written again ({error.strerror or error})."
            ) from None
        if path is None or again.sequence is None or again.applied_at is None:
            return ()
        return (FinishedOutputs(again.sequence, again.applied_at, 0, False, path),)

    def _raise_stale_alert_if_due(self, now: dt.datetime) -> int | None:
        """Raise the CplStale alert of the CPL in force if it is past its next_update_by at ``now`` and
        has not raised it before; the sequence whose alert was raised, or None. Holding the applier lock."""
        with self.store.begin() as conn:
            found = self.store.in_force(conn)
            if found is None or found[0].stale_alert_at is not None:
                return None
            record, content = found
            if not rules.cpl_stale(self._parse(content).next_update_by, now):
                return None
            return record.sequence if self.store.raise_stale_alert(conn, record.id, now) else None

    def _latest_accepted(self, conn: Connection) -> AcceptedExtract | None:
        latest = self.store.latest_accepted_content(conn)
        if latest is None:
            return None
        sequence, content_sha256, content = latest
        return AcceptedExtract(sequence=sequence, content_sha256=content_sha256, extract=self._parse(content))

    @_named_database_errors
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

    @_named_database_errors
    def preview(self, file_bytes: bytes, trust: TrustStore, *, received_at: dt.datetime) -> Preview:
        """What receiving this file at ``received_at`` would do, changing nothing (`smi.preview`).

        The file is a signed extract, verified as `ingest_signed` verifies it, or an extract's unsigned
        canonical content (its signature then not checked). It is judged by the acceptance rules an
        ingest applies and its effect on the Devices counted, in one read-only transaction: no record,
        queue entry, alert or receipt. A refusal is returned (``Preview.refusal``), not recorded.
        """
        received_at = _second(received_at)
        signature_checked, signer = False, None
        extract: Extract | None = None
        content_sha256 = in_force = None
        try:
            extract = unsigned_extract(file_bytes, self._parse)
            if extract is not None:
                content_sha256 = sha256_hex(file_bytes)
            else:
                signature_checked = True
                verified = verify_extract_file(file_bytes, trust, received_at=received_at)
                signer, content_sha256 = verified.signer, sha256_hex(verified.content)
                try:
                    extract = self._parse(verified.content)
                except ExtractFormatError as error:
                    raise ExtractFormatRefusedError(f"The extract's content is refused: {error}.") from None
            with read_only(self.store) as conn:
                in_force = self.store.in_force_sequence(conn)
                verdict, known = self._verdict(conn, extract, content_sha256, received_at=received_at)
                prediction = predict(conn, self.store, self._parse, extract, verdict=verdict, known=known)
        except ExtractRefusedError as refusal:
            return Preview(
                received_at=received_at,
                signature_checked=signature_checked,
                outcome=Outcome.REFUSED,
                signer=signer,
                sequence=None if extract is None else extract.sequence,
                content_sha256=content_sha256,
                issued_at=None if extract is None else extract.issued_at,
                in_force_sequence=in_force,
                refusal=refusal,
            )
        return Preview(
            received_at=received_at,
            signature_checked=signature_checked,
            outcome=prediction.outcome,
            signer=signer,
            sequence=extract.sequence,
            content_sha256=content_sha256,
            issued_at=extract.issued_at,
            in_force_sequence=prediction.in_force_sequence,
            applies_after=prediction.applies_after,
            impacts=prediction.impacts,
        )

    @_named_database_errors
    def cpl_in_force(self) -> Extract | None:
        with self.store.begin() as conn:
            found = self.store.cpl_in_force(conn)
        return None if found is None else parse_extract(found[1])

    # --- devices ------------------------------------------------------------------------

    @_named_database_errors
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
            admissible = rules.one_of(s.value for s in SmiStatus if s in rules.ADMISSIBLE_STATUSES)
            raise UnusableInputError(
                f"A Device cannot enter the inventory {status.value}; only the CPL suspends: {admissible}."
            )
        with self.store.begin() as conn:
            active = self.store.active_model_keys(conn)
            if not rules.may_enter(device_type, key, active):
                raise ModelNotActiveError(
                    f"Device {identifier} is refused: {_describe(key)} is not Active on the CPL in force; "
                    f"{_active_firmware(key, active)}."
                )
            ref = self.store.model_refs(conn, [key])[key]
            self.store.insert_device(conn, device_id=identifier, model_ref=ref, status=status.value, since=_second(at))
            record = self.store.device(conn, identifier)
        assert record is not None
        return record

    @_named_database_errors
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
            active = self.store.active_model_keys(conn)
            if not rules.may_enter(device.physical_device_type, key, active):
                raise FirmwareNotActiveError(
                    f"Firmware {firmware} is refused for Device {identifier}: {_describe(key)} is not Active "
                    f"on the CPL in force; it keeps firmware {device.firmware_version}; "
                    f"{_active_firmware(key, active)}."
                )
            ref = self.store.model_refs(conn, [key])[key]
            if not self.store.set_model(conn, identifier, ref, at=_second(at)):
                raise DeviceSuspendedError(
                    f"Device {identifier} was Suspended by an apply meanwhile, so the DCC sends it no firmware; "
                    f"it keeps firmware {device.firmware_version}."
                )
            updated = self.store.device(conn, identifier)
        assert updated is not None
        return updated, True

    @_named_database_errors
    def device(self, device_id: str) -> DeviceView:
        identifier = rules.device_id(device_id)
        with self.store.begin() as conn:
            device = self.store.device(conn, identifier)
            if device is None:
                raise UnknownDeviceError(f"Device {identifier} is not in the inventory.")
            return DeviceView(device=device, history=tuple(self.store.history(conn, identifier)))

    # --- reporting ----------------------------------------------------------------------

    @_named_database_errors
    def report(self, now: dt.datetime) -> Report:
        """Each extract, the inventory by SMI Status, and whether the CPL in force is stale at ``now``; what
        each applied extract did per Device Model (the rows its apply wrote, `Store.model_changes`: a few per
        extract, never the Devices or their history), and the sequences missing between the ones received.

        If no applier is at work, a report also raises the CplStale alert that is due and writes what
        earlier applies still owe, if it can (it never waits for an applier, and never fails for a file
        it cannot write: the records say what is still owed).
        """
        now = _second(now)
        with self.store.try_applier_lock() as held:
            if held:
                self._raise_stale_alert_if_due(now)
                with contextlib.suppress(ConfigurationError):  # a file that cannot be written stays owed
                    self._finish_outputs()
        with self.store.begin() as conn:
            records = tuple(self.store.extract_records(conn))
            by_status = rules.statuses_by_name(self.store.count_by_status(conn).items())
            in_force = self.store.in_force(conn)
            active = len(self.store.active_model_keys(conn))
            changes = self.store.model_changes(conn)
        next_update_by = None if in_force is None else self._parse(in_force[1]).next_update_by
        gaps = rules.sequence_gaps(
            (r.sequence for r in records if r.sequence is not None),
            (r.sequence for r in records if r.sequence is not None and r.state != REFUSED),
        )
        return Report(
            now=now,
            extracts=records,
            devices_by_status=by_status,
            cpl_sequence=None if in_force is None else in_force[0].sequence,
            active_models=active,
            cpl_stale=rules.cpl_stale(next_update_by, now),
            next_update_by=next_update_by,
            stale_alert_at=None if in_force is None else in_force[0].stale_alert_at,
            model_changes={record_id: tuple(found) for record_id, found in changes.items()},
            sequence_gaps=tuple(gaps),
        )

    @_named_database_errors
    def alerts(self, *, since: dt.datetime | None, limit: int) -> Alerts:
        """The newest ``limit`` alerts raised at or after ``since`` (DeviceSuspended, DeviceRestored and
        CplStale), newest last, as the alerts file holds them, read from the inventory's own records.

        Bounded: the Device alerts of the extracts applied since ``since`` are read newest first, ``limit``
        at most (`Store.device_alerts`: the last apply's from its Devices by the model index, an earlier
        one's from replayed histories); CplStale alerts are on the extracts' records. Changes nothing (a
        report or an apply raises the alerts that are due).
        """
        if limit < 1:
            raise UnusableInputError(f"The limit {limit} is not a number of alerts: expected 1 or more.")
        since = None if since is None else _second(since)
        with self.store.begin() as conn:
            device = self.store.device_alerts(conn, since=since, limit=limit)
            stale = self.store.stale_alerts(conn, since=since)
            # Device alerts before a CplStale alert of the same second: an apply raises its alerts first.
            ordered = sorted(
                [((a.raised_at, 0, n), a) for n, a in enumerate(device.alerts)]
                + [((at, 1, sequence), (record_id, sequence, at)) for record_id, sequence, at in stale],
                key=lambda pair: pair[0],
            )[-limit:]
            shown = []
            for _order, found in ordered:
                if isinstance(found, AlertRecord):
                    shown.append(found)
                    continue
                record_id, sequence, at = found
                due = self._parse(self.store.content(conn, record_id)).next_update_by
                shown.append(AlertRecord(Alert.CPL_STALE.value, at, sequence, next_update_by=due))
        return Alerts(
            since=since,
            limit=limit,
            alerts=tuple(shown),
            total=device.total + len(stale),
            pruned=device.pruned,
        )

    @_named_database_errors
    def find_devices(
        self,
        model: str,
        *,
        physical_device_type: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> DeviceSearch:
        """The Devices of the Device Models ``model`` names (MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]]), of a
        type and in an SMI Status if given, a page of ``limit`` by Device ID after ``after``, and their total.

        Reads only the Devices of those models (through the model index), never the whole inventory.
        """
        pattern = rules.model_pattern(model)
        kind = None if physical_device_type is None else rules.physical_device_type(physical_device_type).value
        wanted = None if status is None else rules.smi_status(status).value
        start = None if after is None else rules.device_id(after)
        if limit < 1:
            raise UnusableInputError(f"The limit {limit} is not a number of Devices: expected 1 or more.")
        with self.store.begin() as conn:
            total, found = self.store.find_devices(
                conn, pattern, physical_device_type=kind, status=wanted, after=start, limit=limit + 1
            )
        page = tuple(found[:limit])
        return DeviceSearch(
            pattern=pattern,
            physical_device_type=kind,
            status=wanted,
            after=start,
            limit=limit,
            total=total,
            devices=page,
            next_after=page[-1].device_id if len(found) > limit else None,
        )

    # --- retention ----------------------------------------------------------------------

    @_named_database_errors
    def prune_history(self, before: dt.datetime, *, now: dt.datetime) -> PruneResult:
        """Delete the Device history rows an earlier version wrote for extracts applied before ``before``.

        One extract per transaction. This version writes no such row: it replays a Device's history.

        The retention rule keeps what receipts and reports need: each extract's record and counts stay
        (a receipt signed again says the same), and the rows of an apply whose alerts are still owed
        stay until they are written. Devices' current status, and the status a suspension replaced,
        live on the Device, not in its history. Holds the applier lock, so no apply runs meanwhile.
        """
        before, now = _second(before), _second(now)
        if before > now:
            raise UnusableInputError("The history to prune must end before now; nothing was pruned.")
        sequences: list[int] = []
        removed = 0
        with self.store.applier_lock():
            with self.store.begin() as conn:
                spans = self.store.prunable_history(conn, before)
            for record_id, sequence, after_id, last_id in spans:
                with self.store.begin() as conn:
                    removed += self.store.prune_history(conn, record_id, after_id, last_id, now)
                sequences.append(sequence)
        return PruneResult(before=before, sequences=tuple(sequences), rows_removed=removed)

    # --- seeding ------------------------------------------------------------------------

    @_named_database_errors
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

    @_named_database_errors
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


def _alert_of(line: bytes, sequence: int, kinds: frozenset[str]) -> bool:
    """Whether an alerts-file line is one of ``kinds`` raised by extract ``sequence``."""
    try:
        alert = json.loads(line)
    except ValueError:  # not JSON (UnicodeDecodeError is a ValueError too)
        return False
    return isinstance(alert, dict) and alert.get("extract_sequence") == sequence and alert.get("alert") in kinds


def _describe(key: rules.ModelKey) -> str:
    kind, manufacturer, model, hardware, firmware = key
    return f"{kind} {manufacturer}/{model} hardware {hardware} firmware {firmware}"


#: A refusal names at most this many of a model's Active firmware versions.
_FIRMWARE_SHOWN = 10


def _active_firmware(key: rules.ModelKey, active: frozenset[rules.ModelKey]) -> str:
    """The firmware versions of the same model (type, manufacturer, model, hardware) that are Active: what
    a refused Device could be given instead."""
    versions = sorted(k[4] for k in active if k[:4] == key[:4])
    if not versions:
        return "no firmware of that model and hardware is Active"
    shown = versions[:_FIRMWARE_SHOWN]
    more = f" and {len(versions) - len(shown)} more" if len(versions) > len(shown) else ""
    if len(versions) == 1:
        return f"firmware {versions[0]} of that model and hardware is Active"
    return f"Active firmware of that model and hardware: {', '.join(shown)}{more}"
