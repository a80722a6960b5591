"""`cpl expiry`, `cpl publish`, `cpl audit`, `cpl notices`: the operational commands, on the main `cpl` app.

Meant for cron and for operators: each prints a short summary (or ``--json``), exits 0 when all
went as it should, 1 when something was refused or could not be sent (the summary says what), 2
when the configuration cannot be used. Notices are queued in the command's transaction and sent
after it commits; what could not be sent stays queued for ``cpl notices send``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col, select

from cpl import audit, expiry, notices, publication
from cpl.cli import JsonOpt, app, emit_json, err, fail, out, parse_date, refusals
from cpl.domain import format_entry_id
from cpl.store import ExtractDraft, IssuedExtract, SentNotice, get_engine, session_scope, utcnow

__all__ = ["app"]

expiry_app = typer.Typer(help="The CPA expiry job: 12- and 6-month notices, removal proposals.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
notices_app = typer.Typer(help="Notices to parties by email: what was sent, what is queued.", no_args_is_help=True)
app.add_typer(expiry_app, name="expiry")
app.add_typer(audit_app, name="audit")
app.add_typer(notices_app, name="notices")


@contextmanager
def concurrent_runs(what: str) -> Iterator[None]:
    """Two runs at the same moment queue the same notices; the later one keeps nothing and says so."""
    try:
        yield
    except IntegrityError:
        fail(
            f"Another {what} recorded the same notices at the same time; nothing from this one was kept, run it again.",
            1,
        )


def deliver() -> notices.DeliveryReport:
    """Send what is queued, after the command's transaction committed."""
    with refusals():
        return notices.deliver_queued(get_engine())


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "none"


def _report_failures(report: notices.DeliveryReport) -> None:
    for failure in report.failures:
        err.print(f"{failure.rstrip('.')}; it stays queued for 'cpl notices send'.", markup=False)


# --- expiry ----------------------------------------------------------------------------------------


@expiry_app.command("run")
def expiry_run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Judge as of this date (default: today, UTC).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the CPA notices owed (12 and 6 months ahead, each once) and propose removals of ended CPAs.

    Safe to run as often as you like, and late: a run owes only what no earlier run has done.
    """
    day = parse_date(as_of, "--as-of") or utcnow().date()
    with refusals(), concurrent_runs("expiry run"), session_scope() as session:
        notices.deliver_myself(session)
        run = expiry.run_expiry(session, day, utcnow())
        summary: dict[str, Any] = {
            "as_of": day.isoformat(),
            "queued": run.queued_by_kind(),
            "proposals": [
                {"entry_id": format_entry_id(p.entry_id), "status": p.proposed_status, "reason": p.reason}
                for p in run.proposals
            ],
            "unaddressed": [
                {"entry_id": entry_id, "party": party, "months_before": months}
                for entry_id, party, months in run.unaddressed
            ],
            "undated": run.undated,
        }
    report = deliver()
    summary["sent"] = report.sent_by_kind()
    summary["failures"] = report.failures
    if as_json:
        emit_json(summary)
    else:
        out.print(f"Expiry run as of {summary['as_of']}: notices sent: {_counts(summary['sent'])}.")
        if summary["queued"] != summary["sent"]:
            out.print(f"  queued by this run: {_counts(summary['queued'])}")
        out.print(f"  removal proposals for the Panel: {len(summary['proposals'])}")
        for p in summary["proposals"]:
            out.print(f"    {p['entry_id']} ({p['status']}): {p['reason']}")
        for u in summary["unaddressed"]:
            err.print(
                f"{u['entry_id']}: the {u['months_before']}-month CPA notice is owed to {u['party']}, "
                "which has no email address; it will be owed again on the next run.",
                markup=False,
            )
        if summary["undated"]:
            out.print(f"  entries with a CPA certificate but no date on record: {', '.join(summary['undated'])}")
        _report_failures(report)
    raise typer.Exit(1 if report.failures or summary["unaddressed"] else 0)


# --- publication -----------------------------------------------------------------------------------


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers (a web server) see the old file or the new one, never half; readable as the umask allows."""
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as partial:
        partial.write(data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(partial.name, 0o666 & ~umask)  # temporary files are created 0600; published files are public
    os.replace(partial.name, path)


@app.command()
def publish(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Where to write cpl.json, cpl.csv, cpl.xlsx.")] = Path(
        "var/public"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Publish the CPL of the latest issued extract (JSON, CSV, XLSX) and tell every party, once per version."""
    with refusals(), concurrent_runs("publication"), session_scope() as session:
        published = publication.published_cpl(session)
        if published is None:
            fail("Nothing has been issued yet; issue an extract before publishing.", 1)
        issued = session.get(IssuedExtract, published.sequence)
        draft = session.get(ExtractDraft, issued.draft_id) if issued is not None else None
        changes: dict[str, Any] = json.loads(draft.changes_json) if draft is not None else {}
        by_status: dict[str, int] = {}
        for entry in published.entries:
            by_status[entry.status] = by_status.get(entry.status, 0) + 1
        files = {
            "cpl.json": publication.to_json(published),
            "cpl.csv": publication.to_csv(published),
            "cpl.xlsx": publication.to_xlsx(published),
        }
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                _write_atomically(out_dir / name, data)
        except OSError as problem:
            fail(f"Cannot write the published CPL to {out_dir} ({problem.strerror or problem}).", 2)
        notices.deliver_myself(session)
        notice = notices.published_notice(
            sequence=published.sequence,
            issued_at=published.issued_at,
            entries_by_status=by_status,
            changes=changes,
            dcc_loaded_at=published.dcc_loaded_at,
        )
        now = utcnow()
        queued = notices.queue(session, notice, notices.parties_with_email(session), now)
        if queued:
            audit.record(
                session,
                actor="cli",
                action="cpl.publish",
                subject=f"extract:{published.sequence}",
                now=now,
                details={"notified": [n.party_id for n in queued], "entries": len(published.entries)},
            )
        summary: dict[str, Any] = {
            "sequence": published.sequence,
            "issued_at": published.issued_at.isoformat(),
            "dcc_loaded_at": published.dcc_loaded_at.isoformat() if published.dcc_loaded_at else None,
            "entries": len(published.entries),
            "files": [str(out_dir / name) for name in files],
            "notices_queued": len(queued),
        }
    report = deliver()
    summary["sent"] = report.sent_by_kind()
    summary["failures"] = report.failures
    if as_json:
        emit_json(summary)
    else:
        loaded = "loaded by the DCC" if summary["dcc_loaded_at"] else "not yet loaded by the DCC"
        out.print(
            f"Published CPL version {summary['sequence']} ({summary['entries']} entries, {loaded}): "
            + ", ".join(summary["files"])
        )
        if summary["notices_queued"]:
            sent = report.sent_by_kind().get(notices.CPL_PUBLISHED, 0)
            out.print(f"Notice of version {summary['sequence']} sent to {sent} of {summary['notices_queued']} parties.")
        else:
            out.print(f"Every party with an email address was already told of version {summary['sequence']}.")
        _report_failures(report)
    raise typer.Exit(1 if report.failures else 0)


# --- audit -----------------------------------------------------------------------------------------


def _details(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Check every event's hash and its link to the one before: exit 0 if intact, 1 naming the first break."""
    try:
        with session_scope() as session:
            events = audit.all_events(session)
            broken = audit.verify_chain(events)
    except (SQLAlchemyError, ValueError, TypeError) as problem:
        fail(f"The audit log cannot be read, so it is not intact ({type(problem).__name__}: {problem}).", 1)
    head = events[-1].event_hash if events else audit.GENESIS
    if as_json:
        emit_json(
            {
                "intact": broken is None,
                "events": len(events),
                "head": head,
                "broken_event": broken.event_id if broken else None,
                "reason": broken.reason if broken else None,
            }
        )
    elif broken is None:
        out.print(f"intact: {len(events)} events")
        out.print(f"latest event hash: {head}")
    else:
        err.print(f"The audit log is broken at event {broken.event_id}: {broken.reason}.", markup=False)
    raise typer.Exit(0 if broken is None else 1)


@audit_app.command("list")
def audit_list(
    last: Annotated[int | None, typer.Option("--last", min=1, help="Only the latest N events.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The audit log, oldest first: who did what to which subject, and when."""
    with session_scope() as session:
        events = audit.all_events(session)
    if last is not None:
        events = events[-last:]
    rows = [
        {
            "id": e.id,
            "at": _iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "details": _details(e.details_json),
            "previous_hash": e.previous_hash,
            "event_hash": e.event_hash,
        }
        for e in events
    ]
    if as_json:
        emit_json({"events": rows})
        return
    table = Table("id", "at (UTC)", "actor", "action", "subject", "details")
    for r in rows:
        details = json.dumps(r["details"], sort_keys=True, default=str)
        table.add_row(
            str(r["id"]),
            (r["at"] or "")[:19],
            r["actor"],
            r["action"],
            r["subject"],
            details if len(details) <= 80 else details[:77] + "...",
        )
    out.print(table)
    out.print(f"{len(rows)} event{'' if len(rows) == 1 else 's'}.")


# --- notices ---------------------------------------------------------------------------------------


def _iso(moment: dt.datetime | None) -> str | None:
    """UTC, ISO 8601; SQLite hands back naive datetimes, and everything is stored in UTC."""
    if moment is None:
        return None
    return (moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)).isoformat()


@notices_app.command("list")
def notices_list(
    state: Annotated[str | None, typer.Option(help="Only notices in this state: queued, sending or sent.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every notice: sent (when, how, to whom) or still queued (and why)."""
    states = (notices.NoticeState.QUEUED, notices.NoticeState.SENDING, notices.NoticeState.SENT)
    if state is not None and state not in states:
        fail(f"--state takes queued, sending or sent, not {state!r}.", 2)
    with session_scope() as session:
        query = select(SentNotice).order_by(col(SentNotice.id))
        if state is not None:
            query = query.where(SentNotice.state == state)
        rows: list[dict[str, Any]] = [
            {
                "id": n.id,
                "state": n.state,
                "kind": n.kind,
                "subject_ref": n.subject_ref,
                "party": n.party_id,
                "recipient": n.recipient,
                "subject": n.subject,
                "queued_at": _iso(n.queued_at),
                "sent_at": _iso(n.sent_at),
                "transport": n.transport,
                "message_id": n.message_id,
                "attempts": n.attempts,
                "last_error": n.last_error,
            }
            for n in session.exec(query).all()
        ]
    if as_json:
        emit_json({"notices": rows})
        return
    table = Table("id", "state", "kind", "about", "to", "subject", "sent (UTC)", "via")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["state"],
            r["kind"],
            r["subject_ref"],
            f"{r['party']} <{r['recipient']}>",
            r["subject"],
            (r["sent_at"] or "")[:19],
            r["transport"] or (r["last_error"] or ""),
        )
    out.print(table)
    out.print(f"{len(rows)} notice{'' if len(rows) == 1 else 's'}.")


@notices_app.command("send")
def notices_send(as_json: JsonOpt = False) -> None:
    """Send every notice still queued (after a mail server outage, say); each is sent once."""
    report = deliver()
    if as_json:
        emit_json({"sent": report.sent_by_kind(), "failures": report.failures})
    else:
        out.print(f"Notices sent: {_counts(report.sent_by_kind())}.")
        _report_failures(report)
    raise typer.Exit(1 if report.failures else 0)
