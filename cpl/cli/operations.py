"""`cpl expiry`, `cpl audit`, `cpl notices`, `cpl proposals`: the operational commands.

Meant for cron and for operators: each prints a short summary (or ``--json``), exits 0 when all
went as it should, 1 when something was refused or could not be sent (the summary says what), 2
when the configuration cannot be used. Notices are queued in the command's transaction and sent
after it commits; what could not be sent stays queued for ``cpl notices send``. The jobs cron runs
(``cpl expiry run``, ``cpl notices send``) print a log: one line per event, a UTC time first.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from cpl.cli.console import (
    ByOpt,
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
    settings,
)
from cpl.core import errors
from cpl.core.domain import format_entry_id
from formats.vocabulary import EntryStatus

if TYPE_CHECKING:
    from cpl import mailer
    from cpl.config import Settings

# The services, the store, the views, the audit log and the mailer are imported by each command as it
# runs: `cpl --help` loads none of them.

#: `cpl proposals list --state` (`cpl.services.proposals.STATES`, and "all"; a test keeps them the same).
OPEN_PROPOSALS = "open"

expiry_app = typer.Typer(help="The CPA expiry job: 12- and 6-month notices, removal proposals.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
notices_app = typer.Typer(help="Notices to parties by email: what was sent, what is queued.", no_args_is_help=True)
proposals_app = typer.Typer(
    help="Removal proposals for the SEC Panel: list them (alone: the open ones), dismiss one.",
    epilog="Example: cpl proposals --json",
)


# --- the job's log ---------------------------------------------------------------------------------


def stamp(moment: dt.datetime) -> str:
    """``2026-12-01T17:00:03Z``: ISO 8601 in UTC, to the second."""
    from cpl.store import as_utc

    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(text: str, moment: dt.datetime | None = None, *, stream: TextIO | None = None) -> None:
    """One line of a job's log: a UTC time, then what happened. Written as it is, never wrapped at the
    terminal's width (rich's console would wrap it), so a log file holds one event per line."""
    from cpl.store import utcnow

    (stream or sys.stdout).write(f"{stamp(moment or utcnow())} {' '.join(text.split())}\n")


def describe_notice(kind: str, subject_ref: str, subject: str) -> str:
    from cpl.core.notices import cpa_notice_summary

    return cpa_notice_summary(kind, subject_ref) or subject


def log_delivery(report: mailer.DeliveryReport) -> None:
    for notice in report.sent:
        log(
            f"notice {notice.id} sent to {notice.party_id} <{notice.recipient}> "
            f"({describe_notice(notice.kind, notice.subject_ref, notice.subject)})",
            notice.sent_at,
        )
    for failure in report.failures:
        log(f"{failure.rstrip('.')}; it stays queued for 'cpl notices send'.", stream=sys.stderr)


def open_store(config: Settings) -> None:
    """Open the database before the job starts: one that cannot be opened is one sentence and exit 2."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from cpl.store import get_engine

    try:
        get_engine(config.database_url, create=config.new_store_allowed)
    except errors.CplError:
        raise
    except (SQLAlchemyError, OSError) as problem:
        try:
            where = make_url(config.database_url).render_as_string(hide_password=True)
        except ArgumentError:
            fail("CPL_DATABASE_URL is not a database URL (sqlite:///var/cpl.db, postgresql+psycopg://...).", 2)
        if isinstance(problem, OSError):
            why = f"{problem.strerror or problem}" + (f": {problem.filename}" if problem.filename else "")
        else:
            orig = getattr(problem, "orig", None)
            why = (str(orig) if orig is not None else str(problem)).strip().splitlines()[0]
        fail(f"The CPL database {where} cannot be opened ({why}).", 2)


# --- expiry ----------------------------------------------------------------------------------------


@expiry_app.command("run")
def expiry_run(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="Judge as of this date (default: today, UTC); any other day is a dry run."
        ),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="With an --as-of that is not today: send and propose for real.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send the CPA notices owed (12 and 6 months ahead, each once) and propose removals of ended CPAs.

    Safe to run as often as you like, and late: a run owes only what no earlier run has done. An
    --as-of other than today is a dry run that prints what the job would send and propose and changes
    nothing, unless --send is given too. Text output is a log: one line per event, a UTC time first.

    Example: cpl expiry run --as-of 2030-03-01
    """
    from cpl import mailer
    from cpl.services import expiry as expiry_job
    from cpl.services import unit_of_work
    from cpl.store import utcnow

    config = settings(ctx)
    today = utcnow().date()
    day = parse_date(as_of, "--as-of") or today
    open_store(config)
    if day != today and not send:
        dry_run(config, day, today, as_json)
        return
    with refusals(), concurrent_runs("expiry run"), unit_of_work(config) as session:
        mailer.deliver_myself(session)
        run = expiry_job.run_expiry(session, day, utcnow())
        summary: dict[str, Any] = {
            "as_of": day.isoformat(),
            "dry_run": False,
            "queued": run.queued_by_kind(),
            "proposals": [
                {"entry_id": format_entry_id(p.entry_id), "status": p.proposed_status, "reason": p.reason}
                for p in run.proposals
            ],
            "unaddressed": [
                {
                    "entry_id": entry_id,
                    "party": party,
                    "months_before": months,
                    "reported_before": (entry_id, party, months) not in run.first_reported,
                }
                for entry_id, party, months in run.unaddressed
            ],
            "undated": run.undated,
        }
        logged_proposals = [
            (p.id, format_entry_id(p.entry_id), p.proposed_status, p.reason, p.proposed_at) for p in run.proposals
        ]
    report = deliver(config)
    summary["sent"] = report.sent_by_kind()
    summary["failures"] = report.failures
    if as_json:
        emit_json(summary)
    else:
        for proposal_id, entry_id, status, reason, at in logged_proposals:
            log(f"proposal {proposal_id}: {entry_id} proposed to the SEC Panel for removal ({status}): {reason}", at)
        for entry_id, party, months in run.first_reported:
            log(
                f"{entry_id}: the {months}-month CPA notice is owed to {party}, which has no email address; "
                f"this is said once: give it one with 'cpl parties update {party} --email ADDRESS' "
                "and the next run sends the notice.",
                stream=sys.stderr,
            )
        for entry_id in summary["undated"]:
            log(f"{entry_id}: it has a CPA certificate but no date on record, so no CPA notice can be worked out.")
        log_delivery(report)
        queued = f"; queued by this run: {counts(summary['queued'])}" if summary["queued"] != summary["sent"] else ""
        log(
            f"expiry run as of {summary['as_of']}: notices sent: {counts(summary['sent'])}{queued}; "
            f"removal proposals for the Panel: {len(summary['proposals'])}."
        )
    raise typer.Exit(1 if report.failures or run.first_reported else 0)


def dry_run(config: Settings, day: dt.date, today: dt.date, as_json: bool) -> None:
    """What a run as of ``day`` would send and propose, read in a read-only transaction: nothing changes."""
    from sqlmodel import col, select

    from cpl import mailer
    from cpl.services import expiry as expiry_job
    from cpl.services import unit_of_work
    from cpl.store import SentNotice

    with refusals(), unit_of_work(config, write=False) as session:
        planned = expiry_job.plan_run(session, day)
        waiting = session.exec(
            select(SentNotice).where(SentNotice.state == mailer.NoticeState.QUEUED).order_by(col(SentNotice.id))
        ).all()
        retried = [{"id": n.id, "kind": n.kind, "subject_ref": n.subject_ref, "party": n.party_id} for n in waiting]
        retried_about = [describe_notice(n.kind, n.subject_ref, n.subject) for n in waiting]
    addressed = [n for n in planned.notices if n.recipient is not None]
    would_queue: dict[str, int] = {}
    for n in addressed:
        would_queue[n.notice.kind] = would_queue.get(n.notice.kind, 0) + 1
    summary: dict[str, Any] = {
        "as_of": day.isoformat(),
        "dry_run": True,
        "would_queue": would_queue,
        "notices": [
            {
                "kind": n.notice.kind,
                "subject_ref": n.notice.subject_ref,
                "entry_id": n.entry_id,
                "party": n.party_id,
                "recipient": n.recipient,
                "months_before": n.months_before,
                "subject": n.notice.subject,
            }
            for n in addressed
        ],
        "would_retry": retried,
        "proposals": [
            {"entry_id": p.entry_id, "status": str(EntryStatus.EXPIRED), "reason": p.reason} for p in planned.proposals
        ],
        "unaddressed": [
            {
                "entry_id": n.entry_id,
                "party": n.party_id,
                "months_before": n.months_before,
                "reported_before": planned.reported_before(n),
            }
            for n in planned.unaddressed
        ],
        "undated": list(planned.undated),
    }
    if as_json:
        emit_json(summary)
        return
    head = f"dry run as of {day.isoformat()}:"
    for n in addressed:
        log(
            f"{head} would send the {n.months_before}-month notice to {n.party_id} <{n.recipient}> "
            f"({describe_notice(n.notice.kind, n.notice.subject_ref, n.notice.subject)})"
        )
    for r, about in zip(retried, retried_about, strict=True):
        log(f"{head} would retry queued notice {r['id']} to {r['party']} ({about})")
    for p in planned.proposals:
        log(f"{head} would propose {p.entry_id} to the SEC Panel for removal ({EntryStatus.EXPIRED}): {p.reason}")
    for n in planned.unaddressed:
        again = " (reported before)" if planned.reported_before(n) else ""
        log(
            f"{head} the {n.months_before}-month CPA notice of {n.entry_id} would be owed to {n.party_id}, "
            f"which has no email address{again}"
        )
    for entry_id in planned.undated:
        log(f"{head} {entry_id} has a CPA certificate but no date on record, so no CPA notice can be worked out.")
    log(
        f"{head} nothing was sent, proposed or recorded: an --as-of other than today ({today.isoformat()}) "
        "is a dry run; add --send to do it."
    )


# --- audit -----------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check every event's hash and its link to the one before: exit 0 if intact, 1 naming the first break.

    Example: cpl audit verify
    """
    from sqlalchemy.exc import SQLAlchemyError

    from cpl import audit
    from cpl.services import unit_of_work

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
    """The audit log, oldest first: who did what to which subject, and when.

    Example: cpl audit list --last 20
    """
    from rich.table import Table

    from cpl import audit
    from cpl.services import unit_of_work
    from cpl.views import audit_event_out

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
    state: Annotated[
        str | None, typer.Option(help="Only notices in this state: queued, sending, sent or cancelled.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Every notice: sent (when, how, to whom), still queued (and why), or cancelled (by whom, why).

    Example: cpl notices list --state queued
    """
    from rich.table import Table

    from cpl import mailer
    from cpl.services import notices as notice_service
    from cpl.services import unit_of_work
    from cpl.views import notice_out

    if state is not None and state not in mailer.NoticeState.ALL:
        fail(f"--state takes queued, sending, sent or cancelled, not {state!r}.", 2)
    with unit_of_work(settings(ctx)) as session:
        rows: list[dict[str, Any]] = dumped(
            [notice_out(n.notice, n.cancellation) for n in notice_service.list_notices(session, state)]
        )
    if as_json:
        emit_json({"notices": rows})
        return
    table = Table("id", "state", "kind", "about", "to", "subject", "sent (UTC)", "via")
    for r in rows:
        if r["state"] == mailer.NoticeState.CANCELLED:
            via = f"cancelled by {r['cancelled_by']}: {r['cancellation_reason']}"
        else:
            via = r["transport"] or (r["last_error"] or "")
        table.add_row(
            str(r["id"]),
            r["state"],
            r["kind"],
            r["subject_ref"],
            f"{r['party']} <{r['recipient']}>",
            r["subject"],
            (r["sent_at"] or "")[:19],
            via,
        )
    out.print(table)
    out.print(f"{len(rows)} notice{'' if len(rows) == 1 else 's'}.")


@notices_app.command("send")
def notices_send(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Send every notice still queued (after a mail server outage, say); each is sent once.

    Text output is a log: one line per notice sent or failed, a UTC time first, then the count.

    Example: cpl notices send
    """
    config = settings(ctx)
    open_store(config)
    report = deliver(config)
    if as_json:
        emit_json({"sent": report.sent_by_kind(), "failures": report.failures})
    else:
        log_delivery(report)
        log(f"Notices sent: {counts(report.sent_by_kind())}.")
    raise typer.Exit(1 if report.failures else 0)


@notices_app.command("cancel")
def notices_cancel(
    ctx: typer.Context,
    notice_id: Annotated[int, typer.Argument(metavar="NOTICE_ID", help="The notice's id ('cpl notices list').")],
    by: ByOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it is given up (the mailbox does not exist, ...).")],
    as_json: JsonOpt = False,
) -> None:
    """Give up on a queued notice that cannot be delivered: it is never sent, and never queued again.

    To reach the party instead, give it a working address ('cpl parties update PARTY --email'): a
    queued notice goes to the party's address as it is when the notice is sent.

    Example: cpl notices cancel 4 --by alice --reason "the mailbox does not exist"
    """
    from cpl.services import notices as notice_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import notice_out

    with refusals(), unit_of_work(settings(ctx)) as session:
        done = notice_service.cancel_notice(session, notice_id, by, reason, utcnow())
        view = notice_out(done.notice, done.cancellation).model_dump(mode="json")
    if as_json:
        emit_json({"notice": view})
        return
    out.print(
        f"Notice {notice_id} ({view['kind']} {view['subject_ref']}) to {view['party']} <{view['recipient']}> "
        "cancelled: it will not be sent.",
        markup=False,
        soft_wrap=True,
    )


# --- proposals -------------------------------------------------------------------------------------

#: Who proposed it decides what can propose it again (see `cpl.services.proposals`): the expiry job's
#: proposals (`cpl.services.expiry.ACTOR`) come back with a new end date, a revocation's never.
_RERAISED_BY_EXPIRY = (
    "it is not proposed again for this certificate and end date; a new end date (a renewed "
    "certificate, an extended conditional period) proposes the entry afresh once that date passes too"
)
_NEVER_AGAIN = "it is not proposed again: the certificate stays revoked"


def _proposal_rows(ctx: typer.Context, state: str | None) -> list[dict[str, Any]]:
    from cpl.services import proposals as proposal_service
    from cpl.services import unit_of_work
    from cpl.views import proposal_out

    with unit_of_work(settings(ctx), write=False) as session:
        return dumped([proposal_out(p.proposal, p.dismissal) for p in proposal_service.list_proposals(session, state)])


def _print_proposals(rows: list[dict[str, Any]], state: str | None) -> None:
    from cpl.services import proposals as proposal_service

    for r in rows:
        line = f"proposal {r['id']}: {r['entry_id']}: propose {r['proposed_status']} — {r['reason']}"
        if r["state"] == proposal_service.DISMISSED:
            line += f" (dismissed by {r['dismissed_by']} on {(r['dismissed_at'] or '')[:10]}: {r['dismissal_reason']})"
        elif r["state"] == proposal_service.DECIDED:
            line += f" (decided: Panel decision {r['panel_reference']})"
        out.print(line, markup=False, soft_wrap=True)
    out.print(f"{len(rows)} {state + ' ' if state else ''}proposal(s).")


@proposals_app.callback(invoke_without_command=True)
def proposals_root(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Removal proposals for the SEC Panel (revoked certificates, ended CPAs). Alone: the open ones."""
    if ctx.invoked_subcommand is not None:
        return
    rows = _proposal_rows(ctx, OPEN_PROPOSALS)
    if as_json:
        emit_json({"proposals": rows})
        return
    _print_proposals(rows, OPEN_PROPOSALS)


@proposals_app.command("list")
def proposals_list(
    ctx: typer.Context,
    state: Annotated[str, typer.Option(help="open (awaiting the Panel), decided, dismissed, or all.")] = OPEN_PROPOSALS,
    as_json: JsonOpt = False,
) -> None:
    """Removal proposals: the open ones awaiting a Panel decision, or those in --state.

    Example: cpl proposals list --state all
    """
    from cpl.services import proposals as proposal_service

    if state != "all" and state not in proposal_service.STATES:
        fail(f"--state takes open, decided, dismissed or all, not {state!r}.", 2)
    chosen = None if state == "all" else state
    rows = _proposal_rows(ctx, chosen)
    if as_json:
        emit_json({"proposals": rows})
        return
    _print_proposals(rows, chosen)


@proposals_app.command("dismiss")
def proposals_dismiss(
    ctx: typer.Context,
    proposal_id: Annotated[int, typer.Argument(metavar="PROPOSAL", help="The proposal's id ('cpl proposals list').")],
    by: ByOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why the Panel will not remove the entry on it.")],
    as_json: JsonOpt = False,
) -> None:
    """Close an open removal proposal without a removal, saying why. It is not proposed again for the same
    certificate and end date; a new end date that passes proposes the entry afresh.

    Example: cpl proposals dismiss 2 --by alice --reason "the Panel extended the CPA to 2027-06-30"
    """
    from cpl.services import expiry as expiry_job
    from cpl.services import proposals as proposal_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import proposal_out

    with refusals(), unit_of_work(settings(ctx)) as session:
        done = proposal_service.dismiss_proposal(session, proposal_id, by, reason, utcnow())
        view = proposal_out(done.proposal, done.dismissal).model_dump(mode="json")
        proposed_by = done.proposal.proposed_by
    if as_json:
        emit_json({"proposal": view})
        return
    again = _RERAISED_BY_EXPIRY if proposed_by == expiry_job.ACTOR else _NEVER_AGAIN
    out.print(
        f"Proposal {proposal_id} ({view['entry_id']}) dismissed: {again}.",
        markup=False,
        soft_wrap=True,
    )
