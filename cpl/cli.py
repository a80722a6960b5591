"""`cpl`: the CPL authority's command line (CONTRACT.md section 3).

Exit codes: 0 success, 1 understood and refused (findings, refusals), 2 unusable input. Errors are
one sentence on stderr; tracebacks only for bugs.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from cpl import errors, service
from cpl.domain import AssuranceScheme, EntryStatus, PartyRole, format_entry_id
from cpl.findings import Finding
from cpl.rules import SignatureState
from cpl.signatures import check_submission_signature
from cpl.specs import SpecKind, SpecVersion, load_registry, save_registry
from cpl.store import Entry, session_scope, utcnow

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

app = typer.Typer(
    help="The Central Products List authority (SECAS): submissions, the list, extracts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
parties_app = typer.Typer(help="Parties (manufacturer, supplier, DCC, SECAS) and their users.", no_args_is_help=True)
specs_app = typer.Typer(help="The Technical Specification and GBCS versions the CPL recognises.", no_args_is_help=True)
certificates_app = typer.Typer(help="Assurance certificates on record.", no_args_is_help=True)
submissions_app = typer.Typer(help="Submissions and their findings.", no_args_is_help=True)
extract_app = typer.Typer(
    help="Signed CPL extracts for the DCC: prepare (one SECAS user), approve (another), verify.", no_args_is_help=True
)
receipt_app = typer.Typer(help="The DCC's signed receipts for loaded extracts.", no_args_is_help=True)
app.add_typer(parties_app, name="parties")
app.add_typer(specs_app, name="specs")
app.add_typer(certificates_app, name="certificates")
app.add_typer(submissions_app, name="submissions")
app.add_typer(extract_app, name="extract")
app.add_typer(receipt_app, name="receipt")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ByOpt = Annotated[str, typer.Option("--by", help="The acting user (a SECAS user id for SECAS actions).")]


def fail(message: str, code: int) -> NoReturn:
    err.print(message, markup=False)
    raise typer.Exit(code)


@contextmanager
def refusals() -> Iterator[None]:
    """Named refusals become a sentence and an exit code, never a traceback."""
    try:
        yield
    except errors.CplError as refusal:
        fail(str(refusal), refusal.exit_code)


def read_input(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        fail(f"The {what} {path} does not exist.", 2)
    except IsADirectoryError:
        fail(f"The {what} {path} is a directory, not a file.", 2)
    except OSError as problem:
        fail(f"The {what} {path} cannot be read ({problem.strerror}).", 2)


def parse_date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} takes a date as YYYY-MM-DD, not {text!r}.", 2)


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def print_findings(findings: Sequence[Finding]) -> None:
    if not findings:
        out.print("No findings: the workbook meets every CPL rule.")
        return
    table = Table("code", "severity", "sheet", "row", "column", "message", show_lines=False)
    for f in findings:
        table.add_row(f.code, f.severity, f.sheet or "", str(f.row or ""), f.column or "", f.message)
    out.print(table)
    errors_found = sum(f.is_error for f in findings)
    out.print(f"{errors_found} error(s), {len(findings) - errors_found} warning(s).")


# --- workbooks -------------------------------------------------------------------------------------


@app.command()
def template(out_path: Annotated[Path, typer.Argument(metavar="OUT.xlsx", help="Where to write the form.")]) -> None:
    """Write a blank submission workbook: required columns shaded green, drop-downs, a Guidance sheet."""
    from cpl.workbook import write_template

    try:
        write_template(out_path)
    except OSError as problem:
        fail(f"Cannot write {out_path} ({problem.strerror}).", 2)
    out.print(f"Wrote the submission template to {out_path}.")


def _signature_for(
    workbook: bytes, signature_path: Path | None, party_id: str | None
) -> tuple[bytes | None, SignatureState, str]:
    if signature_path is None:
        return None, SignatureState.ABSENT, ""
    signature = read_input(signature_path, "signature")
    state, problem = check_submission_signature(workbook, signature, party_id)
    return signature, state, problem


@app.command()
def check(
    workbook_path: Annotated[Path, typer.Argument(metavar="WORKBOOK.xlsx")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Check as of this date (default today).")] = None,
    submitter: Annotated[PartyRole, typer.Option(help="Who submits it.")] = PartyRole.MANUFACTURER,
    signature: Annotated[Path | None, typer.Option(help="Detached CMS signature of the workbook (.p7s).")] = None,
    party: Annotated[str | None, typer.Option(help="The submitting party id (checks the signer is theirs).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a submission workbook against every CPL rule, and against the stored CPL."""
    data = read_input(workbook_path, "workbook")
    day = parse_date(as_of, "--as-of") or utcnow().date()
    _, state, problem = _signature_for(data, signature, party)
    with refusals(), session_scope() as session:
        context = service.cpl_context(
            session,
            as_of=day,
            submitter=submitter,
            registry=load_registry(),
            signature=state,
            signature_problem=problem,
        )
        result = service.check_workbook(data, context)
    if as_json:
        emit_json(
            {
                "workbook": str(workbook_path),
                "as_of": day.isoformat(),
                "findings": [f.as_dict() for f in result.findings],
            }
        )
    else:
        print_findings(result.findings)
    raise typer.Exit(1 if result.has_errors else 0)


@app.command()
def submit(
    workbook_path: Annotated[Path, typer.Argument(metavar="WORKBOOK.xlsx")],
    party: Annotated[str, typer.Option(help="The submitting party id.")],
    by: Annotated[str | None, typer.Option("--by", help="The submitting user (default: the party's own user).")] = None,
    signature: Annotated[Path | None, typer.Option(help="Detached CMS signature of the workbook (.p7s).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a workbook: it is kept verbatim with its findings, for SECAS to approve if it has no errors."""
    data = read_input(workbook_path, "workbook")
    signature_bytes, state, problem = _signature_for(data, signature, party)
    with refusals(), session_scope() as session:
        user_id = by or party
        _, acting_party = service.acting_user(session, user_id)
        if acting_party.party_id != party:
            raise errors.NotPermittedError(f"{user_id} does not belong to {party}.")
        record, result = service.submit(
            session,
            user_id=user_id,
            filename=workbook_path.name,
            workbook=data,
            signature=signature_bytes,
            registry=load_registry(),
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


def _signature_of_stored(session: Any, submission_id: int) -> tuple[SignatureState, str]:
    record = service.get_submission(session, submission_id)
    if record.signature is None:
        return SignatureState.ABSENT, ""
    return check_submission_signature(record.workbook, record.signature, record.party_id)


@app.command()
def confirm(submission: int, by: ByOpt) -> None:
    """A supplier confirms a manufacturer's firmware-update submission that names it."""
    with refusals(), session_scope() as session:
        service.confirm(session, submission, by, utcnow())
    out.print(f"Submission {submission} confirmed by {by}.")


@app.command()
def approve(submission: int, by: ByOpt, as_json: JsonOpt = False) -> None:
    """SECAS approves a submission with no errors: its entries become Active on the CPL."""
    with refusals(), session_scope() as session:
        state, problem = _signature_of_stored(session, submission)
        entries = service.approve(session, submission, by, load_registry(), utcnow(), state, problem)
        rows = [_entry_json(e) for e in entries]
    if as_json:
        emit_json({"submission": submission, "entries": rows})
    else:
        out.print(
            f"Submission {submission} approved; {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} Active: "
            + ", ".join(r["entry_id"] for r in rows)
        )


@app.command()
def reject(submission: int, by: ByOpt, note: Annotated[str, typer.Option(help="Why.")] = "") -> None:
    """SECAS rejects a submission."""
    with refusals(), session_scope() as session:
        service.reject(session, submission, by, note, utcnow())
    out.print(f"Submission {submission} rejected.")


@app.command()
def remove(
    entry: Annotated[str, typer.Argument(metavar="ENTRY", help="Entry id, e.g. CPL-000123.")],
    status: Annotated[EntryStatus, typer.Option(help="Expired, Withdrawn or Cancelled.")],
    panel_ref: Annotated[str, typer.Option("--panel-ref", help="The Panel decision, e.g. SECP_66_1503.")],
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why, in a few words.")] = "",
) -> None:
    """Record the Panel's removal of an entry; the next extract carries it with the Panel reference."""
    with refusals(), session_scope() as session:
        removed = service.remove(session, entry, status, panel_ref, by, utcnow(), reason)
        entry_id = format_entry_id(removed.id or 0)
    out.print(f"{entry_id} is now {status} (Panel decision {panel_ref.strip()}).")


def _entry_json(entry: Entry) -> dict[str, Any]:
    """An entry as the extract publishes it (one mapping, in cpl.extracts)."""
    from cpl.extracts import extract_entry

    return extract_entry(entry).to_json()


@app.command("list")
def list_cpl(
    status: Annotated[EntryStatus | None, typer.Option(help="Only entries with this status.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The CPL as stored now."""
    with session_scope() as session:
        rows = [_entry_json(e) for e in service.list_entries(session, status)]
    if as_json:
        emit_json({"entries": rows})
        return
    table = Table("entry", "type", "manufacturer", "model", "hw", "fw", "spec", "GBCS", "CPA expiry", "status")
    for r in rows:
        table.add_row(
            r["entry_id"],
            r["physical_device_type"],
            f"{r['manufacturer']} ({r['manufacturer_id']})",
            f"{r['model']} ({r['model_id']})",
            r["hardware_version"],
            r["firmware_version"],
            r["technical_specification"],
            r["gbcs_version"] or "",
            r["cpa_expiry"] or "",
            r["status"] + (f" {r['panel_reference']}" if r["panel_reference"] else ""),
        )
    out.print(table)
    out.print(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}.")


@app.command()
def show(entry: Annotated[str, typer.Argument(metavar="ENTRY")], as_json: JsonOpt = False) -> None:
    """One entry with its status history."""
    with refusals(), session_scope() as session:
        record = service.get_entry(session, entry)
        data = _entry_json(record)
        data["history"] = [
            {
                "status": h.status,
                "since": h.since.isoformat(),
                "panel_reference": h.panel_reference,
                "reason": h.reason,
                "recorded_by": h.recorded_by,
            }
            for h in service.history(session, record)
        ]
    if as_json:
        emit_json(data)
        return
    out.print(
        f"{data['entry_id']}: {data['physical_device_type']} {data['manufacturer']} {data['model']} "
        f"hw {data['hardware_version']} fw {data['firmware_version']} — {data['status']}"
    )
    for h in data["history"]:
        out.print(f"  {h['since']} {h['status']:<10} {h['reason']} ({h['recorded_by']})")


# --- submissions -----------------------------------------------------------------------------------


@submissions_app.command("list")
def submissions_list(as_json: JsonOpt = False) -> None:
    """Every submission with its state and finding counts."""
    from sqlmodel import col, select

    from cpl.store import Submission

    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "submission": s.id,
                "party": s.party_id,
                "filename": s.filename,
                "state": s.state,
                "errors": s.error_count,
                "warnings": s.warning_count,
                "submitted_at": s.submitted_at.isoformat(),
            }
            for s in session.exec(select(Submission).order_by(col(Submission.id))).all()
        ]
    if as_json:
        emit_json({"submissions": rows})
        return
    table = Table("id", "party", "file", "state", "errors", "warnings", "submitted")
    for r in rows:
        table.add_row(
            str(r["submission"]),
            r["party"],
            r["filename"],
            r["state"],
            str(r["errors"]),
            str(r["warnings"]),
            r["submitted_at"][:19],
        )
    out.print(table)


@submissions_app.command("show")
def submissions_show(submission: int, as_json: JsonOpt = False) -> None:
    """A submission's findings as recorded when it was submitted."""
    with refusals(), session_scope() as session:
        record = service.get_submission(session, submission)
        findings = json.loads(record.findings_json)
        data = {
            "submission": record.id,
            "party": record.party_id,
            "state": record.state,
            "workbook_sha256": record.workbook_sha256,
            "signed": record.signature is not None,
            "findings": findings,
        }
    if as_json:
        emit_json(data)
        return
    out.print(f"Submission {data['submission']} from {data['party']}: {data['state']}")
    for f in findings:
        out.print(f"  {f['code']} {f['severity']:<7} {f['sheet']} row {f['row']} {f['column']}: {f['message']}")


@app.command()
def proposals(as_json: JsonOpt = False) -> None:
    """Open removal proposals awaiting a Panel decision."""
    with session_scope() as session:
        rows = [
            {
                "proposal": p.id,
                "entry_id": format_entry_id(p.entry_id),
                "reason": p.reason,
                "proposed_status": p.proposed_status,
                "proposed_at": p.proposed_at.isoformat(),
            }
            for p in service.open_proposals(session)
        ]
    if as_json:
        emit_json({"proposals": rows})
        return
    for r in rows:
        out.print(f"{r['entry_id']}: propose {r['proposed_status']} — {r['reason']}")
    out.print(f"{len(rows)} open proposal(s).")


# --- certificates ----------------------------------------------------------------------------------


@certificates_app.command("list")
def certificates_list(as_json: JsonOpt = False) -> None:
    """Assurance certificates on record."""
    from sqlmodel import col, select

    from cpl.store import Certificate

    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "scheme": c.scheme,
                "number": c.number,
                "covers": f"{c.manufacturer_id}/{c.model_id}/{c.hardware_version}",
                "firmware_versions": c.firmware_versions,
                "expiry": c.expiry.isoformat() if c.expiry else None,
                "conditional_date": c.conditional_date.isoformat() if c.conditional_date else None,
                "conditions_met": c.conditions_met,
                "revoked": c.revoked_at is not None,
            }
            for c in session.exec(select(Certificate).order_by(col(Certificate.scheme), col(Certificate.number))).all()
        ]
    if as_json:
        emit_json({"certificates": rows})
        return
    table = Table("scheme", "number", "covers", "firmware", "expiry", "conditional", "revoked")
    for r in rows:
        table.add_row(
            r["scheme"],
            r["number"],
            r["covers"],
            r["firmware_versions"],
            r["expiry"] or "",
            (r["conditional_date"] or "") + (" (met)" if r["conditions_met"] else ""),
            "yes" if r["revoked"] else "",
        )
    out.print(table)


@certificates_app.command("revoke")
def certificates_revoke(
    scheme: AssuranceScheme,
    number: str,
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why it was revoked.")] = "revoked by the scheme",
) -> None:
    """Record a revoked certificate: entries that rely on it become removal proposals for the Panel."""
    with refusals(), session_scope() as session:
        proposals_made = service.revoke_certificate(session, scheme, number, reason, by, utcnow())
        entries = [format_entry_id(p.entry_id) for p in proposals_made]
    out.print(
        f"{scheme} certificate {number} revoked; {len(entries)} removal proposal(s) for the Panel"
        + (f": {', '.join(entries)}." if entries else ".")
    )


@certificates_app.command("conditions-met")
def certificates_conditions_met(
    number: str,
    by: ByOpt,
    extend_to: Annotated[str | None, typer.Option(help="Instead: the conditional period now ends on DATE.")] = None,
) -> None:
    """Record that a conditional CPA certificate's conditions are met (or its conditional period extended)."""
    day = parse_date(extend_to, "--extend-to")
    with refusals(), session_scope() as session:
        service.record_conditions_met(session, number, by, utcnow(), day)
    out.print(
        f"CPA certificate {number}: "
        + (f"conditional period extended to {day}." if day else "conditions recorded as met.")
    )


# --- specs -----------------------------------------------------------------------------------------


@specs_app.command("list")
def specs_list(as_json: JsonOpt = False) -> None:
    """Every version the CPL recognises, with its dates."""
    registry = load_registry()
    rows = [
        {
            "kind": v.kind,
            "version": v.version,
            "effective_from": v.effective_from.isoformat() if v.effective_from else None,
            "end_date": v.end_date.isoformat() if v.end_date else None,
        }
        for v in registry.versions
    ]
    if as_json:
        emit_json({"versions": rows})
        return
    table = Table("kind", "version", "effective from", "end date")
    for r in rows:
        table.add_row(r["kind"], r["version"], r["effective_from"] or "", r["end_date"] or "")
    out.print(table)


@specs_app.command("add")
def specs_add(
    kind: SpecKind,
    version: str,
    effective_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    end_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
) -> None:
    """Add a version (or replace its dates). A new GBCS version is a data change, not a code change."""
    spec = SpecVersion(
        kind, version.strip(), parse_date(effective_from, "--effective-from"), parse_date(end_date, "--end-date")
    )
    path = save_registry(load_registry().with_version(spec))
    out.print(f"{kind} {spec.version} recorded in {path}.")


@specs_app.command("end-date")
def specs_end_date(kind: SpecKind, version: str, date: str) -> None:
    """End-date a version: entries naming it are refused from that date (V002)."""
    registry = load_registry()
    from cpl.specs import UnknownVersion

    try:
        spec = registry.lookup(kind, version)
    except UnknownVersion:
        fail(f"{kind} {version} is not in the registry; add it first.", 2)
    ended = SpecVersion(spec.kind, spec.version, spec.effective_from, parse_date(date, "DATE"))
    path = save_registry(registry.with_version(ended))
    out.print(f"{kind} {spec.version} end-dated {date} in {path}.")


# --- parties ---------------------------------------------------------------------------------------


@parties_app.command("add")
def parties_add(
    party_id: str,
    role: Annotated[PartyRole, typer.Option(help="manufacturer, supplier, dcc or secas.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the id).")] = None,
    email: Annotated[str | None, typer.Option(help="Where notices go.")] = None,
) -> None:
    """Add a party, with a user of the same id."""
    now = utcnow()
    with refusals(), session_scope() as session:
        service.add_party(session, party_id, name or party_id, role, now, email)
        session.flush()
        service.add_user(session, party_id, party_id, name or party_id, now)
    out.print(f"Party {party_id} ({role}) added, with user {party_id}.")


@parties_app.command("add-user")
def parties_add_user(
    user_id: str,
    party: Annotated[str, typer.Option(help="The party the user acts for.")],
    name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add a user acting for a party (SECAS needs two for four-eyes extract signing)."""
    with refusals(), session_scope() as session:
        service.add_user(session, user_id, party, name or user_id, utcnow())
    out.print(f"User {user_id} added to {party}.")


@parties_app.command("list")
def parties_list(as_json: JsonOpt = False) -> None:
    """Parties and their users."""
    from sqlmodel import col, select

    from cpl.store import Party, User

    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "party_id": p.party_id,
                "name": p.name,
                "role": p.role,
                "email": p.email,
                "users": list(session.exec(select(User.user_id).where(User.party_id == p.party_id)).all()),
            }
            for p in session.exec(select(Party).order_by(col(Party.party_id))).all()
        ]
    if as_json:
        emit_json({"parties": rows})
        return
    table = Table("party", "role", "name", "email", "users")
    for r in rows:
        table.add_row(r["party_id"], r["role"], r["name"], r["email"] or "", ", ".join(r["users"]))
    out.print(table)


# --- extracts and receipts ------------------------------------------------------------------------


@extract_app.command("prepare")
def extract_prepare(by: ByOpt, as_json: JsonOpt = False) -> None:
    """Draft the next extract from the CPL and show what it changes since the last issued one."""
    from cpl import extracts

    with refusals(), session_scope() as session:
        draft, changes = extracts.prepare(session, by, utcnow())
        data: dict[str, Any] = {
            "draft": draft.id,
            "sequence": draft.sequence,
            "content_sha256": draft.content_sha256,
            "previous_sha256": draft.previous_sha256,
            "changes": changes.as_dict(),
        }
    if as_json:
        emit_json(data)
        return
    c = data["changes"]
    out.print(f"Draft {data['draft']} prepared: extract {data['sequence']}, content SHA-256 {data['content_sha256']}.")
    out.print(f"  added: {', '.join(c['added']) or 'none'}")
    out.print(
        "  removed: "
        + (", ".join(f"{r['entry_id']} ({r['status']}, {r['panel_reference']})" for r in c["removed"]) or "none")
    )
    out.print(f"  restored: {', '.join(c['restored']) or 'none'}")
    out.print(f"  changed: {', '.join(c['changed']) or 'none'}")
    out.print(f"Another SECAS user approves it with: cpl extract approve {data['draft']} --by USER")


@extract_app.command("approve")
def extract_approve(
    draft: int,
    by: ByOpt,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Where to write the .p7m (default var/extracts).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign a draft prepared by another SECAS user; writes the issued extract file."""
    from cpl import extracts
    from signing.errors import SigningError

    try:
        signer, trust = extracts.extract_signer(), extracts.extract_trust()
    except SigningError as problem:
        fail(f"The signer is not usable: {problem}", 2)
    with refusals(), session_scope() as session:
        issued = extracts.approve(session, draft, by, utcnow(), signer, trust)
        path = extracts.write_issued(issued, out_dir)
        data = {
            "sequence": issued.sequence,
            "file": str(path),
            "content_sha256": issued.content_sha256,
            "signer": issued.signer_subject,
            "prepared_by": issued.prepared_by,
            "approved_by": issued.approved_by,
        }
    if as_json:
        emit_json(data)
    else:
        out.print(f"Extract {data['sequence']} issued, signed by {data['signer']}: {data['file']}")


@extract_app.command("verify")
def extract_verify(
    file: Annotated[Path, typer.Argument(metavar="FILE.p7m")],
    trust: Annotated[
        Path | None, typer.Option(help="Trust anchor PEM (default: CPL_EXTRACT_TRUST or keys-dev).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a signed extract: signature, algorithms, chain to the trust anchor, signer policy, format."""
    from cpl import extracts
    from signing.errors import SigningError, TrustConfigurationError
    from signing.extract import ExtractFormatError

    signed = read_input(file, "extract")
    try:
        anchors = extracts.extract_trust(trust)
    except (TrustConfigurationError, OSError) as problem:
        fail(f"The trust anchor cannot be used: {problem}", 2)
    try:
        summary = extracts.verify_extract(signed, anchors).summary()
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


@extract_app.command("list")
def extract_list(as_json: JsonOpt = False) -> None:
    """Issued extracts, and whether the DCC has loaded each."""
    from sqlmodel import col, select

    from cpl.store import IssuedExtract

    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "sequence": i.sequence,
                "issued_at": i.issued_at.isoformat(),
                "content_sha256": i.content_sha256,
                "prepared_by": i.prepared_by,
                "approved_by": i.approved_by,
                "dcc_loaded_at": i.dcc_loaded_at.isoformat() if i.dcc_loaded_at else None,
            }
            for i in session.exec(select(IssuedExtract).order_by(col(IssuedExtract.sequence))).all()
        ]
    if as_json:
        emit_json({"extracts": rows})
        return
    for r in rows:
        loaded = f"loaded by the DCC {r['dcc_loaded_at'][:19]}" if r["dcc_loaded_at"] else "not yet loaded"
        out.print(f"{r['sequence']:>4}  {r['issued_at'][:19]}  {r['prepared_by']}/{r['approved_by']}  {loaded}")


@receipt_app.command("import")
def receipt_import(file: Annotated[Path, typer.Argument(metavar="FILE")], as_json: JsonOpt = False) -> None:
    """Verify the DCC's signed receipt and record that it loaded that extract."""
    from cpl import extracts

    signed = read_input(file, "receipt")
    with refusals(), session_scope() as session:
        record = extracts.import_receipt(session, signed, utcnow())
        data = {
            "sequence": record.sequence,
            "applied_at": record.applied_at.isoformat(),
            **json.loads(record.summary_json),
        }
    if as_json:
        emit_json(data)
    else:
        out.print(
            f"The DCC loaded extract {data['sequence']} at {data['applied_at']} "
            f"({data['devices_suspended']} devices suspended, {data['devices_restored']} restored)."
        )


def main(argv: Sequence[str] | None = None) -> None:
    # The service's and the operational commands live in their own modules and register on import.
    import cpl.cli_api
    import cpl.cli_ops  # noqa: F401

    app(args=list(argv) if argv is not None else None, prog_name="cpl")
