"""`cpl template`, `check`, `submit`, `confirm`, `approve`, `reject`, `withdraw` and `cpl submissions`."""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cpl.cli.console import (
    ByOpt,
    JsonOpt,
    dumped,
    emit_json,
    err,
    out,
    parse_date,
    plural,
    print_findings,
    read_input,
    refusals,
    settings,
    writable_output,
    write_output,
)
from cpl.core import errors
from cpl.core.domain import PartyRole

if TYPE_CHECKING:
    from sqlmodel import Session

    from cpl.config import Settings
    from cpl.core.rules import SignatureState

# The services, the store, the views and the workbook writers are imported by each command as it runs:
# `cpl --help` and `cpl check` load none they do not use.

commands = typer.Typer()
submissions_app = typer.Typer(help="Submissions and their findings.", no_args_is_help=True)


class Layout(StrEnum):
    OWN = "own"
    SEC = "sec"


@commands.command()
def template(
    ctx: typer.Context,
    out_path: Annotated[Path, typer.Argument(metavar="OUT.xlsx", help="Where to write the form.")],
    layout: Annotated[
        Layout,
        typer.Option(
            help="own: this service's workbook (one row per entry). sec: the SEC's CPL workbook, whose "
            "'CPL - New Entry' tab is the form (with the published list, if one is published)."
        ),
    ] = Layout.OWN,
) -> None:
    """Write a blank submission workbook: input cells shaded light green, drop-downs of the valid values.

    Example: cpl template submission.xlsx --layout own
    """
    from cpl.store import utcnow

    writable_output(out_path, "template")  # before any work: a mistyped path is one sentence, exit 2
    if layout is Layout.SEC:
        from cpl import publication
        from cpl.services import unit_of_work

        with refusals(), unit_of_work(settings(ctx)) as session:
            published = publication.published_cpl(session)
            data = publication.to_sec_xlsx(published) if published else publication.blank_sec_workbook(utcnow().date())
        write_output(out_path, data, "template")
        what = f"CPL version {published.version or published.sequence}" if published else "no list yet"
        out.print(f"Wrote the SEC's CPL workbook ({what}) to {out_path}: fill in its 'CPL - New Entry' tab.")
        return
    from cpl.workbook.template import write_template

    form = io.BytesIO()
    write_template(form)  # in memory, then written whole: never half a file at OUT
    write_output(out_path, form.getvalue(), "template")
    out.print(f"Wrote the submission template to {out_path}.")


def _signature_for(
    workbook: bytes, signature_path: Path | None, party_id: str | None, config: Settings
) -> tuple[bytes | None, SignatureState, str]:
    from cpl.signatures import check_submission_signature

    signature = read_input(signature_path, "signature") if signature_path is not None else None
    state, problem = check_submission_signature(workbook, signature, party_id, config)
    return signature, state, problem


@commands.command()
def check(
    ctx: typer.Context,
    workbook_path: Annotated[Path, typer.Argument(metavar="WORKBOOK.xlsx")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="DATE", help="Check as of this date (default today).")
    ] = None,
    submitter: Annotated[PartyRole, typer.Option(help="Who submits it.")] = PartyRole.MANUFACTURER,
    signature: Annotated[
        Path | None, typer.Option(metavar="FILE.p7s", help="Detached CMS signature of the workbook (.p7s).")
    ] = None,
    party: Annotated[
        str | None, typer.Option(metavar="PARTY", help="The submitting party id (checks the signer is theirs).")
    ] = None,
    annotate: Annotated[
        Path | None,
        typer.Option(
            "--annotate",
            metavar="OUT.xlsx",
            help="Also write a copy of the workbook with each finding on its cell (highlighted, with a comment) "
            "and a Findings sheet listing every finding; a macro-enabled workbook keeps its macros.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a submission workbook against every CPL rule, and against the stored CPL.

    Example: cpl check submission.xlsx --as-of 2026-11-23 --annotate findings.xlsx
    """
    from cpl.services.checking import check_workbook, stored_context
    from cpl.specs_file import load_registry
    from cpl.storage import utcnow

    config = settings(ctx)
    data = read_input(workbook_path, "workbook")
    if annotate is not None:
        writable_output(annotate, "annotated workbook")  # before any work: a mistyped path is exit 2
    day = parse_date(as_of, "--as-of") or utcnow().date()
    _, state, problem = _signature_for(data, signature, party, config)
    with refusals():  # on SQLite a read-only transaction without the ORM (`cpl check` starts fast)
        context = stored_context(
            config,
            as_of=day,
            submitter=submitter,
            registry=load_registry(config.specs_file),
            signature=state,
            signature_problem=problem,
        )
        result = check_workbook(data, context)
    annotation: dict[str, str | None] = {}
    if annotate is not None:
        from cpl.workbook.annotate import WorkbookNotAnnotated, annotate_workbook

        try:
            copy = annotate_workbook(data, result.findings)
        except WorkbookNotAnnotated as refused:
            annotation = {"annotated": None, "annotation_problem": refused.reason}
        else:
            write_output(annotate, copy.data, "annotated workbook")
            annotation = {"annotated": str(annotate), "annotation": copy.summary()}
    if as_json:
        emit_json(
            {
                "workbook": str(workbook_path),
                "as_of": day.isoformat(),
                "findings": [f.as_dict() for f in result.findings],
                **annotation,
            }
        )
    else:
        print_findings(result.findings)
        if annotation.get("annotated"):
            out.print(f"Wrote the annotated workbook to {annotate}: {annotation['annotation']}", markup=False)
    if annotation.get("annotation_problem"):
        err.print(f"No annotated copy was written. {annotation['annotation_problem']}", markup=False)
    raise typer.Exit(1 if result.has_errors else 0)


def _party_user(session: Session, party: str, by: str | None) -> str:
    """The user acting for ``party``: ``by`` (refused unless it is one of the party's users) or the party's own."""
    from cpl.services import parties as party_service

    user_id = by or party
    _, acting_party = party_service.acting_user(session, user_id)
    if acting_party.party_id != party:
        raise errors.NotPermittedError(f"{user_id} does not belong to {party}.")
    return user_id


@commands.command()
def submit(
    ctx: typer.Context,
    workbook_path: Annotated[Path, typer.Argument(metavar="WORKBOOK.xlsx")],
    party: Annotated[str, typer.Option(metavar="PARTY", help="The submitting party id.")],
    by: Annotated[str | None, typer.Option("--by", help="The submitting user (default: the party's own user).")] = None,
    signature: Annotated[
        Path | None, typer.Option(metavar="FILE.p7s", help="Detached CMS signature of the workbook (.p7s).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a workbook: it is kept verbatim with its findings, for SECAS to approve if it has no errors.

    Example: cpl submit submission.xlsx --party acme-meters
    """
    from cpl.services import submissions as submission_service
    from cpl.services import unit_of_work
    from cpl.specs_file import load_registry
    from cpl.store import utcnow

    config = settings(ctx)
    data = read_input(workbook_path, "workbook")
    signature_bytes, state, problem = _signature_for(data, signature, party, config)
    with refusals(), unit_of_work(config) as session:
        user_id = _party_user(session, party, by)
        record, result = submission_service.submit(
            session,
            user_id=user_id,
            filename=workbook_path.name,
            workbook=data,
            signature=signature_bytes,
            registry=load_registry(config.specs_file),
            signature_state=state,
            signature_problem=problem,
            now=utcnow(),
        )
        summary = {
            "submission": record.id,
            "state": record.state,
            "workbook_sha256": record.workbook_sha256,
            "findings": [f.as_dict() for f in result.findings],
        }
    if as_json:
        emit_json(summary)
    else:
        print_findings(result.findings)
        out.print(f"Submission {summary['submission']} recorded: {summary['state']}.")
    raise typer.Exit(1 if result.has_errors else 0)


@commands.command()
def confirm(ctx: typer.Context, submission: int, by: ByOpt, as_json: JsonOpt = False) -> None:
    """A supplier confirms a manufacturer's firmware-update submission that names it.

    Example: cpl confirm 2 --by bright-energy
    """
    from cpl.services import submissions as submission_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import confirmation_out

    with refusals(), unit_of_work(settings(ctx)) as session:
        confirmation = confirmation_out(submission_service.confirm(session, submission, by, utcnow()))
    if as_json:
        emit_json(confirmation.model_dump(mode="json"))
        return
    out.print(f"Submission {submission} confirmed by {by}.")


@commands.command()
def approve(
    ctx: typer.Context,
    submission: int,
    by: ByOpt,
    mapping_evidence: Annotated[
        str | None,
        typer.Option(
            "--mapping-evidence",
            help="Firmware mapping evidence SECAS records with the submission (answers C005; the SEC's "
            "New Entry form has no field for it).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """SECAS approves a submission with no errors: its entries become Active on the CPL.

    Example: cpl approve 1 --by alice
    """
    from cpl import mailer
    from cpl.services import submissions as submission_service
    from cpl.services import unit_of_work
    from cpl.signatures import stored_signature_state
    from cpl.specs_file import load_registry
    from cpl.store import utcnow
    from cpl.views import entry_out

    config = settings(ctx)
    with refusals(), unit_of_work(config) as session:
        record = submission_service.get_submission(session, submission)
        state, problem = stored_signature_state(record, config)
        entries = submission_service.approve(
            session,
            submission,
            by,
            load_registry(config.specs_file),
            utcnow(),
            state,
            problem,
            mapping_evidence=mapping_evidence.strip() if mapping_evidence and mapping_evidence.strip() else None,
        )
        rows = dumped([entry_out(e) for e in entries])
        not_told = mailer.parties_without_email(session, [record.party_id])
    if as_json:
        emit_json({"submission": submission, "entries": rows, "not_told": not_told})
    else:
        out.print(
            f"Submission {submission} approved; {plural(len(rows), 'entry', 'entries')} Active: "
            + ", ".join(r["entry_id"] for r in rows)
        )
        if not_told:
            out.print(mailer.not_told_sentence(not_told, f"the approval of submission {submission}"), markup=False)


@commands.command()
def reject(
    ctx: typer.Context,
    submission: int,
    by: ByOpt,
    note: Annotated[str, typer.Option(help="Why (required: the submitting party is told it).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """SECAS rejects a submission, saying why.

    Example: cpl reject 3 --by alice --note "the CPA certificate is for another model"
    """
    from cpl import mailer
    from cpl.services import submissions as submission_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow

    with refusals(), unit_of_work(settings(ctx)) as session:
        record = submission_service.reject(session, submission, by, note, utcnow())
        party = record.party_id
        not_told = mailer.parties_without_email(session, [party])
    if as_json:
        emit_json({"submission": submission, "state": "rejected", "note": note.strip(), "not_told": not_told})
        return
    out.print(f"Submission {submission} rejected.")
    if not_told:
        out.print(mailer.not_told_sentence(not_told, f"the rejection of submission {submission}"), markup=False)


@commands.command()
def withdraw(
    ctx: typer.Context,
    submission: int,
    party: Annotated[str, typer.Option(metavar="PARTY", help="The submitting party id.")],
    by: Annotated[
        str | None, typer.Option("--by", help="The withdrawing user (default: the party's own user).")
    ] = None,
    note: Annotated[str, typer.Option(help="Why (kept with the submission and in the audit log).")] = "",
    as_json: JsonOpt = False,
) -> None:
    """The submitting party withdraws its own submission before SECAS decides it; it can never be approved after.

    Example: cpl withdraw 3 --party acme-meters --note "a wrong firmware version"
    """
    from cpl.services import submissions as submission_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import submission_summary

    with refusals(), unit_of_work(settings(ctx)) as session:
        user_id = _party_user(session, party, by)
        data = submission_summary(
            submission_service.withdraw(session, submission, user_id, note.strip(), utcnow())
        ).model_dump(mode="json")
    if as_json:
        emit_json(data)
    else:
        out.print(f"Submission {submission} withdrawn by {data['decided_by']} for {party}.")


@submissions_app.command("list")
def submissions_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every submission with its state and finding counts.

    Example: cpl submissions list --json
    """
    from rich.table import Table
    from sqlmodel import col, select

    from cpl.services import unit_of_work
    from cpl.store import Submission
    from cpl.views import submission_summary

    with unit_of_work(settings(ctx)) as session:
        records = session.exec(select(Submission).order_by(col(Submission.id))).all()
        rows: list[dict[str, Any]] = dumped([submission_summary(s) for s in records])
    if as_json:
        emit_json({"submissions": rows})
        return
    table = Table("id", "party", "file", "state", "errors", "warnings", "submitted")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["party_id"],
            r["filename"],
            r["state"],
            str(r["error_count"]),
            str(r["warning_count"]),
            r["submitted_at"][:19],
        )
    out.print(table)


@submissions_app.command("show")
def submissions_show(ctx: typer.Context, submission: int, as_json: JsonOpt = False) -> None:
    """A submission's findings as recorded when it was submitted, the entries its approval made Active
    (each with its model and status now), and for the SEC's New Entry form the contacts kept for audit.

    Example: cpl submissions show 1
    """
    from cpl.services import entries as entry_service
    from cpl.services import submissions as submission_service
    from cpl.services import unit_of_work
    from cpl.views import entry_out, submission_out

    with refusals(), unit_of_work(settings(ctx)) as session:
        record = submission_service.get_submission(session, submission)
        kept = submission_service.submission_record(session, submission)
        data = submission_out(record, created_entries=kept.created_entries, form_audit=kept.form_audit).model_dump(
            mode="json"
        )  # the operator is SECAS: it sees the form's contacts, as the API shows SECAS
        entries = [entry_out(entry_service.get_entry(session, e)).model_dump(mode="json") for e in kept.created_entries]
    if as_json:
        emit_json(data)
        return
    out.print(f"Submission {data['id']} from {data['party_id']}: {data['state']}", markup=False)
    for f in data["findings"]:
        out.print(
            f"  {f['code']} {f['severity']:<7} {f['sheet']} row {f['row']} {f['column']}: {f['message']}", markup=False
        )
    if entries:
        out.print(f"Entries its approval made Active ({len(entries)}), as they stand now:")
        for e in entries:
            out.print(
                f"  {e['entry_id']} {e['physical_device_type']} {e['manufacturer']} {e['model']} "
                f"(model {e['model_id']}, hw {e['hardware_version']}, fw {e['firmware_version']}): {e['status']}",
                markup=False,
            )
    if data["form_audit"]:
        out.print("Kept for audit from the SEC's New Entry form (never published):")
        for field, value in data["form_audit"].items():
            out.print(f"  {field}: {value}", markup=False)
