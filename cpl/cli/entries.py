"""`cpl list`, `show`, `remove`, `proposals` and `cpl certificates`: the list and what it rests on."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from sqlmodel import col, select

from cpl.cli.console import ByOpt, JsonOpt, dumped, emit_json, out, parse_date, plural, refusals, settings
from cpl.core.domain import format_entry_id
from cpl.services import entries as entry_service
from cpl.services import unit_of_work
from cpl.store import Certificate, utcnow
from cpl.views import certificate_out, entry_out, entry_with_history_out, proposal_out
from formats.vocabulary import AssuranceScheme, EntryStatus

commands = typer.Typer()
certificates_app = typer.Typer(help="Assurance certificates on record.", no_args_is_help=True)


@commands.command()
def remove(
    ctx: typer.Context,
    entry: Annotated[str, typer.Argument(metavar="ENTRY", help="Entry id, e.g. CPL-000123.")],
    status: Annotated[EntryStatus, typer.Option(help="Expired, Withdrawn or Cancelled.")],
    panel_ref: Annotated[str, typer.Option("--panel-ref", help="The Panel decision, e.g. SECP_66_1503.")],
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why, in a few words.")] = "",
) -> None:
    """Record the Panel's removal of an entry; the next extract carries it with the Panel reference."""
    with refusals(), unit_of_work(settings(ctx)) as session:
        removed = entry_service.remove(session, entry, status, panel_ref, by, utcnow(), reason)
        entry_id = format_entry_id(removed.id or 0)
    out.print(f"{entry_id} is now {status} (Panel decision {panel_ref.strip()}).")


@commands.command("list")
def list_cpl(
    ctx: typer.Context,
    status: Annotated[EntryStatus | None, typer.Option(help="Only entries with this status.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The CPL as stored now."""
    with unit_of_work(settings(ctx)) as session:
        rows = dumped([entry_out(e) for e in entry_service.list_entries(session, status)])
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
            r["cpa_expiry"] or (f"renewal {r['cpa_renewal_date']}" if r["cpa_renewal_date"] else ""),
            r["status"] + (f" {r['panel_reference']}" if r["panel_reference"] else ""),
        )
    out.print(table)
    out.print(f"{plural(len(rows), 'entry', 'entries')}.")


@commands.command()
def show(ctx: typer.Context, entry: Annotated[str, typer.Argument(metavar="ENTRY")], as_json: JsonOpt = False) -> None:
    """One entry with its status history."""
    with refusals(), unit_of_work(settings(ctx)) as session:
        record = entry_service.get_entry(session, entry)
        data = entry_with_history_out(record, entry_service.history(session, record)).model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    out.print(
        f"{data['entry_id']}: {data['physical_device_type']} {data['manufacturer']} {data['model']} "
        f"hw {data['hardware_version']} fw {data['firmware_version']} — {data['status']}"
    )
    for h in data["history"]:
        out.print(f"  {h['since']} {h['status']:<10} {h['reason']} ({h['recorded_by']})")


@commands.command()
def proposals(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Open removal proposals awaiting a Panel decision."""
    with unit_of_work(settings(ctx)) as session:
        rows = dumped([proposal_out(p) for p in entry_service.open_proposals(session)])
    if as_json:
        emit_json({"proposals": rows})
        return
    for r in rows:
        out.print(f"{r['entry_id']}: propose {r['proposed_status']} — {r['reason']}")
    out.print(f"{len(rows)} open proposal(s).")


@certificates_app.command("list")
def certificates_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Assurance certificates on record."""
    with unit_of_work(settings(ctx)) as session:
        records = session.exec(select(Certificate).order_by(col(Certificate.scheme), col(Certificate.number))).all()
        rows: list[dict[str, Any]] = dumped([certificate_out(c) for c in records])
    if as_json:
        emit_json({"certificates": rows})
        return
    table = Table("scheme", "number", "covers", "firmware", "expiry", "conditional", "revoked")
    for r in rows:
        table.add_row(
            r["scheme"],
            r["number"],
            f"{r['manufacturer_id']}/{r['model_id']}/{r['hardware_version']}",
            ",".join(r["firmware_versions"]),
            r["expiry"] or "",
            (r["conditional_date"] or "") + (" (met)" if r["conditions_met"] else ""),
            "yes" if r["revoked"] else "",
        )
    out.print(table)


@certificates_app.command("revoke")
def certificates_revoke(
    ctx: typer.Context,
    scheme: AssuranceScheme,
    number: str,
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why it was revoked.")] = "revoked by the scheme",
) -> None:
    """Record a revoked certificate: entries that rely on it become removal proposals for the Panel."""
    with refusals(), unit_of_work(settings(ctx)) as session:
        proposals_made = entry_service.revoke_certificate(session, scheme, number, reason, by, utcnow())
        entries = [format_entry_id(p.entry_id) for p in proposals_made]
    out.print(
        f"{scheme} certificate {number} revoked; {len(entries)} removal proposal(s) for the Panel"
        + (f": {', '.join(entries)}." if entries else ".")
    )


@certificates_app.command("conditions-met")
def certificates_conditions_met(
    ctx: typer.Context,
    number: str,
    by: ByOpt,
    extend_to: Annotated[str | None, typer.Option(help="Instead: the conditional period now ends on DATE.")] = None,
) -> None:
    """Record that a conditional CPA certificate's conditions are met (or its conditional period extended)."""
    day = parse_date(extend_to, "--extend-to")
    with refusals(), unit_of_work(settings(ctx)) as session:
        entry_service.record_conditions_met(session, number, by, utcnow(), day)
    out.print(
        f"CPA certificate {number}: "
        + (f"conditional period extended to {day}." if day else "conditions recorded as met.")
    )
