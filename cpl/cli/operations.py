"""`cpl expiry`, `cpl audit`, `cpl notices`: the operational commands.

Meant for cron and for operators: each prints a short summary (or ``--json``), exits 0 when all
went as it should, 1 when something was refused or could not be sent (the summary says what), 2
when the configuration cannot be used. Notices are queued in the command's transaction and sent
after it commits; what could not be sent stays queued for ``cpl notices send``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from cpl import audit, mailer
from cpl.cli.console import (
    JsonOpt,
    concurrent_runs,
    counts,
    deliver,
    dumped,
    emit_json,
    err,
    fail,
    out,
    parse_date,
    refusals,
    report_failures,
    settings,
)
from cpl.core.domain import format_entry_id
from cpl.services import expiry as expiry_job
from cpl.services import unit_of_work
from cpl.store import SentNotice, utcnow
from cpl.views import audit_event_out, notice_out

expiry_app = typer.Typer(help="The CPA expiry job: 12- and 6-month notices, removal proposals.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
notices_app = typer.Typer(help="Notices to parties by email: what was sent, what is queued.", no_args_is_help=True)


# --- expiry ----------------------------------------------------------------------------------------


@expiry_app.command("run")
def expiry_run(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Judge as of this date (default: today, UTC).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the CPA notices owed (12 and 6 months ahead, each once) and propose removals of ended CPAs.

    Safe to run as often as you like, and late: a run owes only what no earlier run has done.
    """
    config = settings(ctx)
    day = parse_date(as_of, "--as-of") or utcnow().date()
    with refusals(), concurrent_runs("expiry run"), unit_of_work(config) as session:
        mailer.deliver_myself(session)
        run = expiry_job.run_expiry(session, day, utcnow())
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
    report = deliver(config)
    summary["sent"] = report.sent_by_kind()
    summary["failures"] = report.failures
    if as_json:
        emit_json(summary)
    else:
        out.print(f"Expiry run as of {summary['as_of']}: notices sent: {counts(summary['sent'])}.")
        if summary["queued"] != summary["sent"]:
            out.print(f"  queued by this run: {counts(summary['queued'])}")
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
        report_failures(report)
    raise typer.Exit(1 if report.failures or summary["unaddressed"] else 0)


# --- audit -----------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check every event's hash and its link to the one before: exit 0 if intact, 1 naming the first break."""
    try:
        with unit_of_work(settings(ctx)) as session:
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
    ctx: typer.Context,
    last: Annotated[int | None, typer.Option("--last", min=1, help="Only the latest N events.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The audit log, oldest first: who did what to which subject, and when."""
    with unit_of_work(settings(ctx)) as session:
        events = audit.all_events(session)
    if last is not None:
        events = events[-last:]
    rows = dumped([audit_event_out(e) for e in events])
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


@notices_app.command("list")
def notices_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="Only notices in this state: queued, sending or sent.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every notice: sent (when, how, to whom) or still queued (and why)."""
    states = (mailer.NoticeState.QUEUED, mailer.NoticeState.SENDING, mailer.NoticeState.SENT)
    if state is not None and state not in states:
        fail(f"--state takes queued, sending or sent, not {state!r}.", 2)
    with unit_of_work(settings(ctx)) as session:
        query = select(SentNotice).order_by(col(SentNotice.id))
        if state is not None:
            query = query.where(SentNotice.state == state)
        rows: list[dict[str, Any]] = dumped([notice_out(n) for n in session.exec(query).all()])
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
def notices_send(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Send every notice still queued (after a mail server outage, say); each is sent once."""
    report = deliver(settings(ctx))
    if as_json:
        emit_json({"sent": report.sent_by_kind(), "failures": report.failures})
    else:
        out.print(f"Notices sent: {counts(report.sent_by_kind())}.")
        report_failures(report)
    raise typer.Exit(1 if report.failures else 0)
