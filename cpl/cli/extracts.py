"""`cpl extract`, `cpl receipt` and `cpl publish`: signed extracts for the DCC, its receipts, the public list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cpl.cli.console import (
    ByOpt,
    JsonOpt,
    concurrent_runs,
    deliver,
    dumped,
    emit_json,
    err,
    fail,
    out,
    read_input,
    refusals,
    report_failures,
    settings,
    writable_output,
    write_output,
)
from cpl.core import errors
from signing.errors import SigningError, TrustConfigurationError

if TYPE_CHECKING:
    from cpl.services import extracts as extract_service

# The services, the store, the views, the signer and the mailer are imported by each command as it runs:
# `cpl --help` loads none of them.

extract_app = typer.Typer(
    help="Signed CPL extracts for the DCC: prepare (one SECAS user), approve (another), verify.", no_args_is_help=True
)
receipt_app = typer.Typer(help="The DCC's signed receipts for loaded extracts.", no_args_is_help=True)
commands = typer.Typer()


@extract_app.command("prepare")
def extract_prepare(
    ctx: typer.Context,
    by: ByOpt,
    unchanged: Annotated[
        bool,
        typer.Option(
            "--unchanged",
            help="Draft one even if nothing changed since the last issued extract (it renews the DCC's "
            "next-update deadline).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Draft the next extract from the CPL and show what it changes since the last issued one.

    Example: cpl extract prepare --by alice
    """
    from cpl.services import extracts as extract_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import draft_out

    config = settings(ctx)
    with refusals():
        try:
            with unit_of_work(config) as session:
                draft, _ = extract_service.prepare(
                    session, by, utcnow(), next_update_within=config.next_update_within, unchanged=unchanged
                )
                data: dict[str, Any] = draft_out(draft).model_dump(mode="json")
        except errors.NothingToIssueError as nothing:  # not a refusal: there is nothing to sign
            if as_json:
                emit_json({"draft": None, "message": str(nothing)})
            else:
                out.print(str(nothing), markup=False)
            return
    if as_json:
        emit_json({"draft": data["id"], **data})
        return
    out.print(f"Draft {data['id']} prepared: extract {data['sequence']}, content SHA-256 {data['content_sha256']}.")
    _print_changes(data["changes"])
    out.print(f"Another SECAS user reviews it with `cpl extract show {data['id']}` and approves it with:")
    out.print(f"  cpl extract approve {data['id']} --by USER")


def _print_changes(c: dict[str, Any]) -> None:
    out.print(f"  added: {', '.join(c['added']) or 'none'}", markup=False)
    out.print(
        "  removed: "
        + (", ".join(f"{r['entry_id']} ({r['status']}, {r['panel_reference']})" for r in c["removed"]) or "none"),
        markup=False,
    )
    out.print(f"  restored: {', '.join(c['restored']) or 'none'}", markup=False)
    out.print(f"  changed: {', '.join(c['changed']) or 'none'}", markup=False)


@extract_app.command("drafts")
def extract_drafts(
    ctx: typer.Context,
    every: Annotated[
        bool, typer.Option("--all", help="Every draft (issued and superseded too), not only the one waiting.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The draft waiting for approval (or, with --all, every draft, newest first) and what each changes.

    Example: cpl extract drafts --all
    """
    from rich.table import Table

    from cpl.services import extracts as extract_service
    from cpl.services import unit_of_work
    from cpl.views import drafts_out

    with refusals(), unit_of_work(settings(ctx), write=False) as session:
        rows = dumped(drafts_out(extract_service.list_drafts(session, waiting_only=not every)))
    if as_json:
        emit_json({"drafts": rows})
        return
    if not rows:
        out.print("No draft is waiting for approval." if not every else "No extract has been drafted yet.")
        return
    table = Table(
        "draft",
        "extract",
        "state",
        "prepared by",
        "prepared at (UTC)",
        "added",
        "removed",
        "restored",
        "changed",
        title=None,
    )
    for r in rows:
        state = r["state"] if r["superseded_by"] is None else f"superseded by {r['superseded_by']}"
        c = r["changes"]
        table.add_row(
            str(r["id"]),
            str(r["sequence"]),
            state,
            r["prepared_by"],
            r["prepared_at"][:19].replace("T", " "),
            *(str(len(c[k])) for k in ("added", "removed", "restored", "changed")),
        )
    out.print(table)


@extract_app.command("approve")
def extract_approve(
    ctx: typer.Context,
    draft: Annotated[int, typer.Argument(metavar="DRAFT", help="The draft's number (cpl extract drafts).")],
    by: ByOpt,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir", metavar="DIR", help="Where to write the .p7m (default CPL_EXTRACT_DIR, var/extracts)."
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Sign without asking (a terminal is asked to confirm the changes).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Sign a draft prepared by another SECAS user; shows its changes first and writes the issued extract file.

    Example: cpl extract approve 3 --by bob
    """
    from cpl.checkpoints import checkpoint
    from cpl.services import extract_views, unit_of_work, versions
    from cpl.services import extracts as extract_service
    from cpl.store import as_utc, utcnow
    from signing.signers import load_signer

    config = settings(ctx)
    try:
        signer, trust = load_signer(config.signer_spec), config.extract_trust()
    except SigningError as problem:
        fail(f"The signer is not usable: {problem}", 2)
    directory = out_dir or config.extract_dir
    if directory.exists() and not directory.is_dir():
        fail(f"Cannot write the extract into {directory}: it is a file, not a directory.", 2)
    with refusals(), unit_of_work(config, write=False) as session:
        shown = extract_views.show(session, str(draft)).as_json()
    waiting = shown["state"] == "draft"  # any other is refused by the approval itself, with why
    if waiting and not as_json:
        _print_shown(shown)
    asked = waiting and not yes and not as_json and sys.stdin.isatty() and sys.stdout.isatty()
    if asked and not typer.confirm(f"Sign extract {shown['sequence']} with these changes?", default=False):
        fail("Nothing was signed.", 1)
    with refusals(), unit_of_work(config) as session:
        _repair(extract_service.repair_extract_files(session, directory))
    with refusals(), unit_of_work(config) as session:
        issued = extract_service.approve(session, draft, by, utcnow(), signer, trust)
        version = versions.version_of(session, issued.sequence)
        checkpoint("extract-approve:before-commit")
    # The file leaves the system only once the issue has committed, from the stored bytes.
    checkpoint("extract-approve:after-commit")
    try:
        path = extract_service.write_issued(issued, directory)
    except OSError as problem:
        fail(
            f"Extract {issued.sequence} was issued, but its file could not be written in {directory} "
            f"({problem.strerror or problem}): the next `cpl extract approve` writes it from the stored bytes.",
            2,
        )
    data = {
        "sequence": issued.sequence,
        "file": str(path),
        "content_sha256": issued.content_sha256,
        "issued_at": as_utc(issued.issued_at).isoformat(),
        "signer": issued.signer_subject,
        "prepared_by": issued.prepared_by,
        "approved_by": issued.approved_by,
        "version": version,
        "changes": shown["change_counts"],
    }
    if as_json:
        emit_json(data)
    else:
        out.print(
            f"Extract {data['sequence']} issued as CPL version {data['version']}, signed by {data['signer']}: "
            f"{data['file']}",
            markup=False,
        )


def _repair(repair: extract_service.FileRepair) -> None:
    """Say what a crash had left and what was done about it (stderr: it is not the command's output)."""
    for path in repair.written:
        err.print(f"Wrote {path}: the extract was issued, but its file had not been written.", markup=False)
    for path in repair.set_aside:
        err.print(
            f"Set {path} aside: no extract with those bytes was ever issued (a crash before the issue committed).",
            markup=False,
        )


@extract_app.command("verify")
def extract_verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.p7m")],
    trust: Annotated[
        Path | None, typer.Option(metavar="ROOT.pem", help="Trust anchor PEM (default: CPL_EXTRACT_TRUST or keys-dev).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a signed extract: signature, algorithms, chain to the trust anchor, signer policy, format.

    Example: cpl extract verify var/extracts/cpl-extract-000001.p7m --trust keys-dev/root-ca.pem
    """
    from cpl.services import extracts as extract_service
    from formats.extract import ExtractFormatError

    signed = read_input(file, "extract")
    try:
        anchors = settings(ctx).extract_trust(trust)
    except (TrustConfigurationError, OSError) as problem:
        fail(f"The trust anchor cannot be used: {problem}", 2)
    try:
        summary = extract_service.verify_extract(signed, anchors).summary()
    except (SigningError, ExtractFormatError) as refusal:
        reason = str(refusal)
        if as_json:
            emit_json({"valid": False, "error": type(refusal).__name__, "reason": reason})
        else:
            err.print(f"Refused: {reason}", markup=False)
        raise typer.Exit(1) from None
    if as_json:
        emit_json(summary)
    else:
        out.print(
            f"Valid extract {summary['sequence']} issued {summary['issued_at']} by {summary['signer']}: "
            f"{summary['entries']} entries ({', '.join(f'{k} {v}' for k, v in summary['by_status'].items())})."
        )


@extract_app.command("show")
def extract_show(
    ctx: typer.Context,
    reference: Annotated[
        str,
        typer.Argument(
            metavar="DRAFT_OR_SEQUENCE", help="A draft (3, or draft:3) or an issued extract by sequence (extract:2)."
        ),
    ],
    content_out: Annotated[
        Path | None,
        typer.Option(
            "--content-out", metavar="FILE", help="Write its unsigned canonical content (what `smi preview` takes)."
        ),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option(
            "--preview",
            metavar="PREVIEW.json",
            help="The DCC's `smi preview --json` of this content: its Devices shown beside each change.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A draft or issued extract: its state, entries, and each entry it changes since the extract it follows.

    Example: cpl extract show 3 --content-out draft-3.json
    """
    from cpl.services import extract_views, unit_of_work

    preview_bytes = None if preview is None else read_input(preview, "preview")
    if content_out is not None:
        writable_output(content_out, "content")
    with refusals(), unit_of_work(settings(ctx), write=False) as session:
        shown = extract_views.show(session, reference)
        dcc = None if preview_bytes is None else extract_views.read_dcc_preview(preview_bytes, shown)
    if content_out is not None:
        write_output(content_out, shown.content, "content")
    data = shown.as_json()
    data["content_out"] = None if content_out is None else str(content_out)
    for change in data["changes"]:
        change["dcc"] = None if dcc is None else dcc.devices_for(change["entry_id"])
    data["dcc_preview"] = None if dcc is None else dcc.summary(shown.changes)
    if as_json:
        emit_json(data)
        return
    _print_shown(data)


def _print_shown(data: dict[str, Any]) -> None:
    from rich.table import Table

    issued = f", issued as CPL version {data['version']}" if data["version"] else ""
    out.print(f"Draft {data['draft']}: extract {data['sequence']}, {data['state']}{issued}.", markup=False)
    out.print(f"  content SHA-256 {data['content_sha256']}, issued at {data['issued_at']}", markup=False)
    approved = f", approved by {data['approved_by']} at {data['approved_at']}" if data["approved_by"] else ""
    out.print(f"  prepared by {data['prepared_by']} at {data['prepared_at']}{approved}", markup=False)
    if data["state"] == "draft" and not data["follows_last_issued"]:
        out.print("  It no longer follows the last issued extract: prepare a new one.")
    entries = data["entries"]
    statuses = ", ".join(f"{status} {n}" for status, n in entries["by_status"].items())
    out.print(f"Entries: {entries['total']} ({statuses}).")
    counts = ", ".join(f"{n} {kind}" for kind, n in data["change_counts"].items())
    out.print(f"Changes since {data['compared_with']['what']}: {counts}.", markup=False)
    dcc = data.get("dcc_preview")  # only `extract show --preview` attaches one
    if data["changes"]:
        table = Table("entry", "change", "status", "panel reference", "Physical Device Type", "model", title=None)
        if dcc is not None:
            table.add_column("DCC: suspend", justify="right")
            table.add_column("DCC: restore", justify="right")
        for c in data["changes"]:
            model = "/".join(c[k] for k in ("manufacturer_id", "model_id", "hardware_version", "firmware_version"))
            status = f"{c['status_before'] or '-'} -> {c['status'] or '-'}"
            row = [c["entry_id"], c["change"], status, c["panel_reference"] or "", c["physical_device_type"], model]
            if c.get("dcc") is not None:
                row += [f"{c['dcc']['devices_suspended']:,}", f"{c['dcc']['devices_restored']:,}"]
            table.add_row(*row)
        out.print(table)
    if dcc is not None:
        _print_dcc_preview(dcc)


def _print_dcc_preview(dcc: dict[str, Any]) -> None:
    in_force = "no extract" if dcc["cpl_in_force"] is None else f"extract {dcc['cpl_in_force']}"
    made = f"DCC preview (received at {dcc['received_at']}, against its CPL in force, {in_force}; {dcc['signature']})"
    if dcc["result"] == "refused":
        out.print(f"{made}: the DCC would REFUSE it (rule {dcc['rule']}): {dcc['reason']}", markup=False)
        return
    if dcc["result"] == "repeat":
        out.print(f"{made}: it is already in force there; it changes nothing.", markup=False)
        return
    out.print(
        f"{made}: the DCC would accept it and suspend {dcc['devices_suspended']:,} Devices, "
        f"restore {dcc['devices_restored']:,}.",
        markup=False,
    )
    for entry in dcc["entries_not_among_changes"]:
        out.print(
            f"  also {entry.get('entry_id') or '?'}: {entry['devices_suspended']:,} suspended, "
            f"{entry['devices_restored']:,} restored (the DCC's CPL in force is not the extract compared with).",
            markup=False,
        )


@extract_app.command("list")
def extract_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Issued extracts, and whether the DCC has loaded each.

    Example: cpl extract list --json
    """
    from rich.table import Table
    from sqlmodel import col, select

    from cpl.services import unit_of_work
    from cpl.store import IssuedExtract
    from cpl.views import issued_out

    with unit_of_work(settings(ctx), write=False) as session:
        issued = session.exec(select(IssuedExtract).order_by(col(IssuedExtract.sequence))).all()
        rows: list[dict[str, Any]] = dumped([issued_out(i) for i in issued])
    if as_json:
        emit_json({"extracts": rows})
        return
    if not rows:
        out.print("No extract has been issued yet.")
        return
    table = Table("extract", "issued at (UTC)", "prepared by", "approved by", "loaded by the DCC (UTC)", title=None)
    for r in rows:
        loaded = r["dcc_loaded_at"][:19].replace("T", " ") if r["dcc_loaded_at"] else "not yet"
        table.add_row(
            str(r["sequence"]), r["issued_at"][:19].replace("T", " "), r["prepared_by"], r["approved_by"], loaded
        )
    out.print(table)


@receipt_app.command("import")
def receipt_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE")], as_json: JsonOpt = False
) -> None:
    """Verify the DCC's signed receipt and record that it loaded that extract.

    Example: cpl receipt import var/receipts/receipt-1.p7m
    """
    from cpl.services import extracts as extract_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import receipt_out

    config = settings(ctx)
    signed = read_input(file, "receipt")
    try:
        anchors = config.receipt_trust()
    except (TrustConfigurationError, OSError) as problem:
        fail(f"The receipt trust anchors cannot be used: {problem}", 2)
    with refusals(), unit_of_work(config) as session:
        data = receipt_out(extract_service.import_receipt(session, signed, utcnow(), anchors)).model_dump(mode="json")
    if as_json:
        emit_json(data)
    else:
        out.print(
            f"The DCC loaded extract {data['sequence']} at {data['applied_at']} "
            f"({data['devices_suspended']} devices suspended, {data['devices_restored']} restored)."
        )


@commands.command()
def publish(
    ctx: typer.Context,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir", metavar="DIR", help="Where to write cpl.json, cpl.csv, cpl.xlsx (default var/public)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish the CPL of the latest issued extract (JSON, CSV, XLSX) and tell every party, once per version.

    Example: cpl publish --out-dir var/public
    """
    from cpl import mailer, publication
    from cpl.core.notices import CPL_PUBLISHED
    from cpl.services import unit_of_work
    from cpl.store import utcnow

    config = settings(ctx)
    directory = out_dir or config.public_dir
    with refusals(), concurrent_runs("publication"), unit_of_work(config) as session:
        mailer.deliver_myself(session)
        done = publication.publish(session, directory, utcnow())
        published = done.published
        summary: dict[str, Any] = {
            "sequence": published.sequence,
            "version": published.version,
            "issued_at": published.issued_at.isoformat(),
            "dcc_loaded_at": published.dcc_loaded_at.isoformat() if published.dcc_loaded_at else None,
            "entries": len(published.entries),
            "files": [str(path) for path in done.files],
            "notices_queued": done.notices_queued,
            "not_told": list(done.not_told),
        }
    report = deliver(config)
    summary["sent"] = report.sent_by_kind()
    summary["failures"] = report.failures
    if as_json:
        emit_json(summary)
    else:
        loaded = "loaded by the DCC" if summary["dcc_loaded_at"] else "not yet loaded by the DCC"
        version = f"{summary['version']} (extract {summary['sequence']})" if summary["version"] else summary["sequence"]
        out.print(
            f"Published CPL version {version} ({summary['entries']} entries, {loaded}): " + ", ".join(summary["files"])
        )
        if summary["notices_queued"]:
            sent = report.sent_by_kind().get(CPL_PUBLISHED, 0)
            out.print(f"Notice of version {version} sent to {sent} of {summary['notices_queued']} parties.")
        else:
            out.print(f"Every party with an email address was already told of version {version}.")
        if summary["not_told"]:
            out.print(mailer.not_told_sentence(summary["not_told"], f"version {version}"), markup=False)
        report_failures(report)
    raise typer.Exit(1 if report.failures else 0)
