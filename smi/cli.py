"""`smi`: the DCC simulator's command line, a thin shell over `smi.service`.

Exit codes (CONTRACT.md section 3): 0 success, 1 the input was understood and refused (a refused
extract, a refused Device change), 2 the input could not be used (a missing file, a bad argument,
an unusable setting, or a database locked by another process for longer than SMI_BUSY_TIMEOUT: "try
again"). Errors go to stderr as one sentence; user mistakes never print a traceback.
The clock is read here, once per command, unless --received-at / --now / --at give the time.

Start-up is kept short: this module imports typer, rich's console and the simulator's settings and
errors; each command imports the service, store, views and report page it uses when it runs, so
`smi --help` loads no database layer and no web stack (tests/smi/test_cli_startup.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from smi.config import Settings
from smi.errors import (
    DeviceRefusedError,
    ExtractRefusedError,
    SmiError,
    UnusableInputError,
)

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.table import Table

    from signing.trust import TrustStore
    from smi.preview import ModelImpact, Preview
    from smi.service import AppliedExtract, DueResult, FinishedOutputs, IngestResult, Inventory, Report
    from smi.store import ExtractRecord

HELP = "The DCC simulator: a Smart Metering Inventory kept in step with signed CPL extracts."

#: The simulator's commands; `build_app` puts them on a root (and `api.serve` adds `serve` to it).
commands = typer.Typer()

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
if not out.is_terminal:  # piped or captured: tables as wide as they need, never squeezed to 80 columns
    out.width = 200

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


# --- plumbing -------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, error: SmiError, payload: dict[str, Any] | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.payload = payload


@contextmanager
def _outcome(as_json: bool) -> Iterator[None]:
    """Turn the simulator's named errors into one sentence on stderr and the contract's exit code."""
    from smi.store import database_errors

    try:
        with database_errors():  # a database failure that escaped the service's own translation
            yield
    except ExtractRefusedError as error:
        if as_json:
            _print_json({"result": "refused", "rule": error.rule, "reason": str(error)})
        _fail(str(error), 1)
    except DeviceRefusedError as error:
        if as_json:
            _print_json({"result": "refused", "reason": str(error)})
        _fail(str(error), 1)
    except UnusableInputError as error:
        _fail(str(error), 2)


def _fail(message: str, code: int) -> None:
    err.print(message, markup=False, soft_wrap=True)
    raise typer.Exit(code)


def _print_view(view: BaseModel) -> None:
    """A record as the simulator's API returns it (`smi.views`)."""
    _print_json(view.model_dump(mode="json"))


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=False) + "\n")


def _time(text: str | None, option: str) -> dt.datetime:
    """An ISO 8601 time from an option (a naive time is taken as UTC), or the clock now."""
    if text is None:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UnusableInputError(
            f"{option} {text!r} is not an ISO 8601 time: expected a date and time such as 2026-11-02T09:00:00Z "
            f"(or with an offset, +01:00; one without is UTC)."
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UnusableInputError(f"The {what} {path} does not exist.") from None
    except IsADirectoryError:
        raise UnusableInputError(f"The {what} {path} is a directory, not a file.") from None
    except OSError as error:
        raise UnusableInputError(f"The {what} {path} cannot be read ({error.strerror}).") from None


def _output_file(path: Path, option: str) -> Path:
    """A file the user named for output, refused before anything is applied if it cannot be written
    there: a directory, or one in a directory that does not exist (a mistyped path is never created)."""
    if path.is_dir():
        raise UnusableInputError(f"{option} {path} is a directory; give the file's name.")
    if not path.parent.exists():
        raise UnusableInputError(f"{option} {path}: the directory {path.parent} does not exist.")
    if not path.parent.is_dir():
        raise UnusableInputError(f"{option} {path}: {path.parent} is not a directory.")
    if not os.access(path.parent, os.W_OK):
        raise UnusableInputError(f"{option} {path}: the directory {path.parent} cannot be written to.")
    return path


def _inventory(settings: Settings, *, with_receipts: bool) -> Inventory:
    from smi.service import Inventory
    from smi.signed import ReceiptSigner
    from smi.store import Store

    receipts = ReceiptSigner.from_spec(settings.receipt_signer, settings.receipts_dir) if with_receipts else None
    store = Store.open(settings.database_url, busy_timeout=settings.busy_timeout)
    return Inventory(store, alerts_path=settings.alerts_path, receipts=receipts)


def _trust(settings: Settings) -> TrustStore:
    """The extract trust anchors and CRLs the settings name."""
    from smi.signed import trust_anchors

    return trust_anchors(settings.trust_anchors, settings.trust_crls)


def _iso(moment: dt.datetime | None) -> str | None:
    from smi.store import stamp

    return None if moment is None else stamp(moment)


def _say_applied(applied: AppliedExtract) -> None:
    window = "within 24 hours" if applied.in_time else "OVERDUE (more than 24 hours after receipt)"
    out.print(
        f"Applied extract {applied.sequence} at {_iso(applied.applied_at)}, {window}: "
        f"{applied.devices_suspended} Devices suspended, {applied.devices_restored} restored."
    )
    if applied.receipt_path is not None:
        out.print(f"Receipt written to {applied.receipt_path}.")


def _say_finished(finished: FinishedOutputs) -> None:
    written = []
    if finished.alerts_written:
        written.append(f"{finished.alerts_written:,} alerts")
    if finished.stale_alert_written:
        written.append("its CplStale alert")
    if finished.receipt_path is not None:
        written.append(f"its receipt to {finished.receipt_path}")
    out.print(
        f"Extract {finished.sequence} was applied at {_iso(finished.applied_at)} by a run that stopped before "
        f"writing all it owed; written now: {', '.join(written)}."
    )


def _say_stale(sequence: int | None) -> None:
    if sequence is not None:
        out.print(f"The CPL in force (extract {sequence}) is past its next_update_by: CplStale alert raised.")


# --- extracts -------------------------------------------------------------------------------


@commands.command()
def ingest(
    file: Annotated[Path, typer.Argument(metavar="FILE.p7m", help="The signed CPL extract.")],
    received_at: Annotated[
        str | None, typer.Option("--received-at", metavar="ISO-TIME", help="When the DCC received it (default: now).")
    ] = None,
    defer: Annotated[bool, typer.Option("--defer", help="Queue it; `smi apply-due` applies it later.")] = False,
    receipt_out: Annotated[
        Path | None, typer.Option("--receipt-out", metavar="PATH", help="Where to write the signed receipt.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Verify a signed extract and apply it (or queue it with --defer); a refused one changes nothing.

    Example: smi ingest var/extracts/cpl-extract-000001.p7m
    """
    with _outcome(as_json):
        settings = Settings.from_environment()
        moment = _time(received_at, "--received-at")
        file_bytes = _read(file, "extract file")
        if receipt_out is not None:
            _output_file(receipt_out, "--receipt-out")
        trust = _trust(settings)
        inventory = _inventory(settings, with_receipts=not defer)
        result = inventory.ingest_signed(file_bytes, trust, received_at=moment, defer=defer, receipt_out=receipt_out)
        _report_ingest(result, as_json)


def _report_ingest(result: IngestResult, as_json: bool) -> None:
    from smi.views import ingest_out

    if as_json:
        _print_view(ingest_out(result))
        return
    for finished in result.finished:
        _say_finished(finished)
    if result.outcome == "repeat":
        out.print(
            f"Extract {result.sequence} was received before with the same content and is the CPL in force: "
            f"a harmless repeat, nothing changed."
        )
        return
    if result.outcome == "queued":
        if result.received_before:
            out.print(f"Extract {result.sequence} is already queued; it must be applied by {_iso(result.deadline)}.")
        else:
            out.print(f"Extract {result.sequence} verified and queued; it must be applied by {_iso(result.deadline)}.")
        return
    if result.received_before:
        out.print(f"Extract {result.sequence} was queued when received before; applied now.")
    for applied in result.applied:
        _say_applied(applied)
    _say_stale(result.stale_alert_raised)


#: A preview table lists every entry while it is this short; beyond, only those that move Devices.
_PREVIEW_ROWS = 30


@commands.command()
def preview(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A signed extract (.p7m), or a draft's unsigned content (`cpl extract show DRAFT --content-out`).",
        ),
    ],
    received_at: Annotated[
        str | None,
        typer.Option("--received-at", metavar="ISO-TIME", help="Judge it as received then (default: now)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What ingesting an extract would do, changing nothing: accepted or refused (exit 1, naming the rule),
    and per CPL entry the Devices it would suspend or restore, by SMI Status.

    Example: smi preview draft-3.json --json
    """
    with _outcome(as_json):
        settings = Settings.from_environment()
        moment = _time(received_at, "--received-at")
        file_bytes = _read(file, "extract file")
        trust = _trust(settings)
        result = _inventory(settings, with_receipts=False).preview(file_bytes, trust, received_at=moment)
        if as_json:
            from smi.views import preview_out

            _print_view(preview_out(result))
        else:
            _print_preview(result)
        if result.refusal is not None:
            _fail(str(result.refusal), 1)


def _print_preview(result: Preview) -> None:
    from smi.preview import SIGNATURE_NOT_CHECKED, Outcome

    signature = (
        SIGNATURE_NOT_CHECKED if not result.signature_checked else f"signature verified, signed by {result.signer}"
    )
    if result.signature_checked and result.signer is None:
        signature = "signature refused"
    named = "The file" if result.sequence is None else f"Extract {result.sequence}"
    sha = "" if result.content_sha256 is None else f", content SHA-256 {result.content_sha256}"
    out.print(f"{named}{sha}: {signature}.", markup=False)
    in_force = "no extract yet" if result.in_force_sequence is None else f"extract {result.in_force_sequence}"
    if result.refusal is not None:
        out.print(
            f"The DCC would REFUSE it (rule {result.refusal.rule}); the CPL in force, {in_force}, would stay.",
            markup=False,
        )
        return  # the reason goes to stderr, as ingest's does
    if result.outcome is Outcome.REPEAT:
        out.print(f"It is the CPL in force ({in_force}): already in force, a harmless repeat that changes nothing.")
        return
    if result.outcome is Outcome.QUEUED:
        out.print(f"It is already queued (received before); the CPL in force is {in_force}. Its apply will do this:")
    elif result.outcome is Outcome.NEW:
        out.print(f"The DCC would accept it and apply it over the CPL in force, {in_force}.")
    if result.applies_after:
        out.print(
            "It would be applied after queued extract(s) "
            + ", ".join(str(s) for s in result.applies_after)
            + "; the counts are what it does after them."
        )
    impacts = result.impacts
    moving = [i for i in impacts if i.devices_suspended or i.devices_restored]
    shown = list(impacts) if len(impacts) <= _PREVIEW_ROWS else moving
    if impacts:
        out.print(_preview_table(result, shown))
    if len(shown) < len(impacts):
        quiet = [i.entry_id or "?" for i in impacts if not (i.devices_suspended or i.devices_restored)]
        listed = ", ".join(quiet[:10]) + (f" and {len(quiet) - 10:,} more" if len(quiet) > 10 else "")
        out.print(f"{len(quiet):,} more entries join or leave the Active set with no Devices to move: {listed}.")
    out.print(
        f"In all: {result.devices_suspended:,} Devices would be suspended and {result.devices_restored:,} restored "
        f"({len(impacts):,} models join or leave the Active set); nothing was changed."
    )


def _preview_table(result: Preview, impacts: list[ModelImpact]) -> Table:
    from rich.table import Table

    from smi.preview import SUSPEND

    table = Table(
        title="CPL entries whose change moves Devices",
        title_justify="left",
        caption=(
            "model: manufacturer id/model id/hardware/firmware. By SMI Status: suspended Devices by the status "
            "they leave, restored by the one they return to."
        ),
        caption_justify="left",
    )
    for heading in ("entry", "Physical Device Type", "model", "CPL", "change"):
        table.add_column(heading, no_wrap=True)
    table.add_column("Devices", justify="right", no_wrap=True)
    table.add_column("by SMI Status")
    for impact in impacts:
        counts = impact.suspended if impact.change == SUSPEND else impact.restored
        kind, *model = impact.model_key
        table.add_row(
            impact.entry_id or "-",
            kind,
            "/".join(model),
            f"{impact.cpl_status_before or 'not listed'} -> {impact.cpl_status_after or 'not listed'}",
            impact.change,
            f"{sum(counts.values()):,}",
            _by_status(counts),
        )
    if impacts:
        table.add_section()
    suspended, restored = result.suspended_by_status, result.restored_by_status
    table.add_row("total", "", "", "", "suspend", f"{result.devices_suspended:,}", _by_status(suspended))
    table.add_row("", "", "", "", "restore", f"{result.devices_restored:,}", _by_status(restored))
    return table


def _by_status(counts: Mapping[str, int]) -> str:
    from smi.preview import MOVED_STATUSES

    return ", ".join(f"{status} {counts[status]:,}" for status in MOVED_STATUSES if counts.get(status)) or "-"


@commands.command("apply-due")
def apply_due(
    now: Annotated[
        str | None, typer.Option("--now", metavar="ISO-TIME", help="The time now (default: the clock).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Apply the queued extracts received by now, oldest first.

    Example: smi apply-due --now 2026-11-24T09:00:00Z
    """
    with _outcome(as_json):
        settings = Settings.from_environment()
        moment = _time(now, "--now")
        due: DueResult = _inventory(settings, with_receipts=True).apply_due(moment)
        if as_json:
            from smi.views import apply_due_out

            _print_view(apply_due_out(moment, due))
            return
        for finished in due.finished:
            _say_finished(finished)
        if not due.applied:
            out.print("No extract is waiting to be applied.")
        for one in due.applied:
            _say_applied(one)
        _say_stale(due.stale_alert_raised)


@commands.command()
def report(
    now: Annotated[
        str | None,
        typer.Option("--now", metavar="ISO-TIME", help="The time overdue is judged at (default: the clock)."),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="OUT.html",
            help="Also write the report as one self-contained HTML page: each extract's 24 hours as a timeline, "
            "the inventory as bars.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Each extract received (applied within 24 hours or overdue, and by how much; the Device Models it
    suspended or restored and why), sequence gaps, and the inventory by SMI Status.

    Example: smi report --html var/report.html
    """
    with _outcome(as_json):
        settings = Settings.from_environment()
        moment = _time(now, "--now")
        if html is not None:
            _output_file(html, "--html")
        result = _inventory(settings, with_receipts=False).report(moment)
        if html is not None:
            from smi import report_page

            _write_page(html, report_page.render(result))
        if as_json:
            from smi.views import report_out

            _print_view(report_out(result))
        else:
            _print_report(result)
            if html is not None:
                out.print(f"The report page was written to {html}.", markup=False)


def _write_page(path: Path, page: str) -> None:
    """The page, written whole: a reader sees the old file or the new one, never half of it."""
    from smi.files import write_atomically

    try:
        write_atomically(path, page.encode("utf-8"))
    except OSError as error:
        raise UnusableInputError(f"The report page cannot be written to {path} ({error.strerror or error}).") from None


def _print_report(result: Report) -> None:
    from rich.table import Table

    from smi import report_page
    from smi.views import duration_words, overdue_by, window

    in_force = "none yet" if result.cpl_sequence is None else f"extract {result.cpl_sequence}"
    out.print(f"CPL in force: {in_force} ({result.active_models} Active Device Models).")
    if result.cpl_stale:
        raised = "" if result.stale_alert_at is None else f"; CplStale alert raised at {_iso(result.stale_alert_at)}"
        out.print(f"The CPL in force is STALE: its next update was due by {_iso(result.next_update_by)}{raised}.")
    elif result.next_update_by is not None:
        out.print(f"The next CPL extract is due by {_iso(result.next_update_by)}.")
    table = Table(title="Extracts received", title_justify="left")
    for heading in ("sequence", "received", "deadline", "applied", "window", "late by", "suspended", "restored"):
        table.add_column(
            heading, justify="right" if heading in ("sequence", "suspended", "restored") else "left", no_wrap=True
        )
    refusals = []
    for r in result.extracts:
        sequence = "?" if r.sequence is None else str(r.sequence)
        late = overdue_by(r, result.now)
        table.add_row(
            sequence,
            _iso(r.received_at),
            _iso(r.deadline),
            _iso(r.applied_at) or "-",
            window(r, result.now),
            "-" if late is None else duration_words(late),
            "-" if r.devices_suspended is None else f"{r.devices_suspended:,}",
            "-" if r.devices_restored is None else f"{r.devices_restored:,}",
        )
        if r.refusal_reason:
            refusals.append(f"  {sequence} received {_iso(r.received_at)}: {r.refusal_reason}")
    if not result.extracts:
        out.print("No extract received yet.")
    else:
        out.print(table)
    if refusals:
        out.print("Refused:")
        for line in refusals:
            out.print(line, markup=False)
    for gap in result.sequence_gaps:
        refused = "" if not gap.refused else f"; received and refused: {', '.join(map(str, gap.refused))}"
        out.print(f"Sequence gap: {report_page.gap_words(gap)}{refused}.", markup=False)
    for r in result.extracts:
        _print_model_changes(r, result)
    statuses = Table(title=f"Inventory: {result.device_count:,} Devices", title_justify="left")
    statuses.add_column("SMI Status")
    statuses.add_column("Devices", justify="right")
    for status, count in result.devices_by_status.items():
        statuses.add_row(status, f"{count:,}")
    out.print(statuses)


def _print_model_changes(record: ExtractRecord, result: Report) -> None:
    """The Device Models an applied extract suspended or restored, why, and the Devices each moved."""
    from rich.table import Table

    from smi.views import model_change_out

    changes = result.models_of(record)
    if not changes:
        if not result.models_recorded(record):
            out.print(f"Extract {record.sequence}: applied before per-model counts were recorded.")
        return
    table = Table(title=f"Extract {record.sequence}: Device Models suspended or restored", title_justify="left")
    for heading in ("entry", "Physical Device Type", "model", "CPL status", "Panel reference", "change"):
        table.add_column(heading, no_wrap=True)
    table.add_column("Devices", justify="right", no_wrap=True)
    for change in changes:
        shown = model_change_out(change)
        model = shown.model
        was, now = shown.cpl_status_before or "not listed", shown.cpl_status or "not listed"
        again = " again" if shown.change == "restore" and shown.cpl_status else ""
        table.add_row(
            shown.entry_id or "-",
            model.physical_device_type,
            f"{model.manufacturer_id}/{model.model_id}/{model.hardware_version}/{model.firmware_version}",
            f"{was} -> {now}{again}",
            shown.panel_reference or "-",
            shown.change,
            f"{shown.devices:,}",
        )
    out.print(table)


@commands.command("prune-history")
def prune_history(
    keep_days: Annotated[
        int,
        typer.Option(
            "--keep-days", min=1, metavar="DAYS", help="Keep the history of extracts applied in the last DAYS days."
        ),
    ],
    now: Annotated[
        str | None, typer.Option("--now", metavar="ISO-TIME", help="The time now (default: the clock).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Delete the Device history rows an earlier version wrote for extracts applied more than DAYS days ago.

    Records, counts and receipts stay; an apply whose alerts are still owed keeps its rows. This version
    writes no history row per Device (a Device's history is replayed), so only an upgraded database has any.

    Example: smi prune-history --keep-days 90
    """
    with _outcome(as_json):
        settings = Settings.from_environment()
        moment = _time(now, "--now")
        result = _inventory(settings, with_receipts=False).prune_history(
            moment - dt.timedelta(days=keep_days), now=moment
        )
        if as_json:
            _print_json(
                {
                    "before": _iso(result.before),
                    "extracts": list(result.sequences),
                    "history_rows_removed": result.rows_removed,
                }
            )
            return
        if not result.sequences:
            out.print(f"No history to prune: no extract applied before {_iso(result.before)} still has its rows.")
            return
        shown = ", ".join(map(str, result.sequences))
        out.print(
            f"Pruned {result.rows_removed:,} history rows of extracts {shown} (applied before {_iso(result.before)})."
        )


# --- devices --------------------------------------------------------------------------------


@commands.command()
def device(
    device_id: Annotated[str, typer.Argument(metavar="DEVICE_ID", help="The EUI-64 Device ID.")],
    as_json: JsonOption = False,
) -> None:
    """One Device: its model, SMI Status, the status a CPL suspension replaced, and its history.

    Example: smi device 00112233445566AA
    """
    with _outcome(as_json):
        view = _inventory(Settings.from_environment(), with_receipts=False).device(device_id)
        d = view.device
        if as_json:
            from smi.views import device_out

            _print_view(device_out(view))
            return
        out.print(
            f"Device {d.device_id}: {d.physical_device_type}, manufacturer {d.manufacturer_id}, "
            f"model {d.model_id}, hardware {d.hardware_version}, firmware {d.firmware_version}."
        )
        suspended = (
            f" (was {d.status_before_suspension} before the CPL suspended it)" if d.status_before_suspension else ""
        )
        out.print(f"SMI Status {d.status} since {_iso(d.status_since)}{suspended}.")
        from smi import rules

        if not rules.is_cpl_controlled(d.physical_device_type):
            out.print("Not CPL-controlled.")
        elif d.cpl_entry_id is None:
            out.print("Its model is not on the CPL in force.")
        else:
            out.print(f"On the CPL in force as {d.cpl_entry_id}, {d.cpl_status}.")
        for h in view.history:
            alert = f", {h.alert}" if h.alert else ""
            cause = f" by extract {h.extract_sequence}" if h.extract_sequence is not None else ""
            out.print(f"  {_iso(h.until)}: {h.status} -> {h.new_status}{cause}{alert}")


@commands.command()
def devices(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            metavar="MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]]",
            help="The Device Model, its hex fields separated by / as the report prints them: 106C/4331, "
            "106C/4331/00AC or 106C/4331/00AC/9001.",
        ),
    ],
    device_type: Annotated[
        str | None, typer.Option("--type", help="Only this Physical Device Type (spelled as on the CPL).")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only Devices in this SMI Status.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Devices per page.")] = 50,
    after: Annotated[
        str | None,
        typer.Option(
            "--after", metavar="DEVICE_ID", help="Start after this Device ID (the last one of the page before)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The Devices of a Device Model, by Device ID, a page at a time, and how many there are.

    Example: smi devices --model 106C/4331 --status Suspended --limit 20
    """
    with _outcome(as_json):
        found = _inventory(Settings.from_environment(), with_receipts=False).find_devices(
            model, physical_device_type=device_type, status=status, after=after, limit=limit
        )
        if as_json:
            from smi.views import device_search_out

            _print_view(device_search_out(found))
            return
        wanted = " ".join(
            part
            for part in (
                found.status,
                "Devices",
                f"of {found.physical_device_type}" if found.physical_device_type else "",
                f"of model {found.pattern}",
            )
            if part
        )
        from rich.table import Table

        if not found.devices:
            after_words = "" if found.after is None else f" after {found.after}"
            out.print(f"No {wanted}{after_words} ({found.total:,} in all).", markup=False)
            return
        table = Table(title=f"{wanted}: {len(found.devices):,} of {found.total:,}", title_justify="left", min_width=60)
        for heading in (
            "Device ID",
            "Physical Device Type",
            "model",
            "SMI Status",
            "since",
            "before suspension",
            "CPL",
        ):
            table.add_column(heading, no_wrap=True)
        for d in found.devices:
            table.add_row(
                d.device_id,
                d.physical_device_type,
                f"{d.manufacturer_id}/{d.model_id}/{d.hardware_version}/{d.firmware_version}",
                d.status,
                _iso(d.status_since),
                d.status_before_suspension or "-",
                "not listed" if d.cpl_entry_id is None else f"{d.cpl_entry_id} {d.cpl_status}",
            )
        out.print(table)
        if found.next_after is not None:
            out.print(f"More: the next page is --after {found.next_after}.", markup=False)


@commands.command()
def alerts(
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="ISO-TIME", help="Only alerts raised at or after this time."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show the newest N.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """The alerts the DCC raised (DeviceSuspended, DeviceRestored, CplStale), newest last.

    Example: smi alerts --since 2026-11-23T00:00:00Z --limit 20
    """
    with _outcome(as_json):
        moment = None if since is None else _time(since, "--since")
        found = _inventory(Settings.from_environment(), with_receipts=False).alerts(since=moment, limit=limit)
        if as_json:
            from smi.views import alerts_out

            _print_view(alerts_out(found))
            return
        since_words = "" if found.since is None else f" since {_iso(found.since)}"
        if not found.alerts:
            out.print(f"No alert raised{since_words}.")
        else:
            shown = "" if len(found.alerts) == found.total else f" (the newest {len(found.alerts):,})"
            out.print(f"{found.total:,} alerts raised{since_words}{shown}, newest last:")
        for alert in found.alerts:
            if alert.device_id is None:
                due = "" if alert.next_update_by is None else f", the next CPL was due by {_iso(alert.next_update_by)}"
                out.print(f"  {_iso(alert.raised_at)} {alert.alert} extract {alert.extract_sequence}{due}")
            else:
                out.print(
                    f"  {_iso(alert.raised_at)} {alert.alert} {alert.device_id}: {alert.previous_status} -> "
                    f"{alert.status} by extract {alert.extract_sequence}"
                )
        if found.pruned:
            out.print(
                "The Device alerts of extracts "
                + ", ".join(map(str, found.pruned))
                + " were pruned from the inventory; they are in the alerts file only."
            )


@commands.command(
    "add-device",
    epilog='Example: smi add-device 00112233445566AA --type "Gas Smart Meter" --manufacturer-id 106C '
    "--model-id 4331 --hardware-version 00AC --firmware-version 9001",
)
def add_device(
    device_id: Annotated[str, typer.Argument(metavar="DEVICE_ID", help="The EUI-64 Device ID (16 hex digits).")],
    device_type: Annotated[str, typer.Option("--type", help="The Physical Device Type, spelled as on the CPL.")],
    manufacturer_id: Annotated[str, typer.Option("--manufacturer-id", help="4 hex digits.")],
    model_id: Annotated[str, typer.Option("--model-id", help="4 hex digits.")],
    hardware_version: Annotated[str, typer.Option("--hardware-version", "--hardware", help="4 hex digits.")],
    firmware_version: Annotated[str, typer.Option("--firmware-version", "--firmware", help="1 to 8 hex digits.")],
    status: Annotated[str, typer.Option("--status", help="Its SMI Status (not Suspended).")] = "Commissioned",
    at: Annotated[str | None, typer.Option("--at", metavar="ISO-TIME", help="Status since (default: now).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Enter a Device; refused unless its model and firmware are Active on the CPL in force."""
    from smi import rules

    with _outcome(as_json):
        inventory = _inventory(Settings.from_environment(), with_receipts=False)
        added = inventory.add_device(
            device_id,
            physical_device_type=device_type,
            manufacturer_id=manufacturer_id,
            model_id=model_id,
            hardware_version=hardware_version,
            firmware_version=firmware_version,
            status=rules.smi_status(status),
            at=_time(at, "--at"),
        )
        if as_json:
            _print_json({"result": "added", "device_id": added.device_id, "status": added.status})
        else:
            out.print(f"Device {added.device_id} added, {added.status}.")


@commands.command("update-firmware")
def update_firmware(
    device_id: Annotated[str, typer.Argument(metavar="DEVICE_ID")],
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The new firmware version (hex).")],
    at: Annotated[str | None, typer.Option("--at", metavar="ISO-TIME", help="When (default: now).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Move a Device to new firmware; refused, keeping the old, unless the new is Active on the CPL.

    Example: smi update-firmware 00112233445566AA 9002
    """
    with _outcome(as_json):
        inventory = _inventory(Settings.from_environment(), with_receipts=False)
        updated, changed = inventory.update_firmware(device_id, version, at=_time(at, "--at"))
        if as_json:
            _print_json(
                {
                    "result": "updated" if changed else "unchanged",
                    "device_id": updated.device_id,
                    "firmware_version": updated.firmware_version,
                }
            )
        elif changed:
            out.print(f"Device {updated.device_id} now runs firmware {updated.firmware_version}.")
        else:
            out.print(f"Device {updated.device_id} already runs firmware {updated.firmware_version}; nothing changed.")


# --- seeding --------------------------------------------------------------------------------


@commands.command()
def seed(
    devices: Annotated[int, typer.Option("--devices", min=1, help="How many Devices to create.")],
    from_extract: Annotated[
        Path, typer.Option("--from-extract", metavar="FILE.p7m", help="The signed extract whose Active models to use.")
    ],
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed, for a repeatable inventory.")] = 1,
    at: Annotated[
        str | None, typer.Option("--at", metavar="ISO-TIME", help="The time now, for receipt and status dates.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Bulk-load a realistic inventory over an extract's Active models (ingesting it first if needed).

    Example: smi seed --devices 200000 --from-extract var/extracts/cpl-extract-000001.p7m --seed 7
    """
    with _outcome(as_json):
        settings = Settings.from_environment()
        moment = _time(at, "--at")
        file_bytes = _read(from_extract, "extract file")
        trust = _trust(settings)
        inventory = _inventory(settings, with_receipts=True)
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        from smi.views import applied_out

        columns = (
            TextColumn("Seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=as_json, disable=as_json) as progress:
            task = progress.add_task("seed", total=devices)
            ingested, result = inventory.seed_signed(
                file_bytes, trust, devices, seed=seed_value, at=moment, progress=lambda n: progress.advance(task, n)
            )
        by_status = inventory.report(moment).devices_by_status
        if as_json:
            _print_json(
                {
                    "result": "seeded",
                    "devices": result.devices,
                    "over_extract": result.sequence,
                    "applied": []
                    if ingested is None
                    else [applied_out(a).model_dump(mode="json") for a in ingested.applied],
                    "devices_by_status": by_status,
                }
            )
            return
        if ingested is not None:
            for applied in ingested.applied:
                _say_applied(applied)
        out.print(
            f"Seeded {result.devices:,} Devices over the Active models of extract {result.sequence}; "
            f"the inventory holds {sum(by_status.values()):,}."
        )


def build_app() -> typer.Typer:
    app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    app.add_typer(commands)
    return app


def main() -> None:
    build_app()(prog_name="smi")


if __name__ == "__main__":
    main()
