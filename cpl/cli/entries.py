"""`cpl list`, `show`, `remove` and `cpl certificates`: the list and what it rests on (`cpl proposals`:
`cpl.cli.operations`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cpl.cli.console import ByOpt, JsonOpt, dumped, emit_json, out, parse_date, plural, refusals, settings
from cpl.core.domain import format_entry_id
from formats.vocabulary import AssuranceScheme, EntryStatus, PhysicalDeviceType

if TYPE_CHECKING:
    from rich.table import Table

# The services, the store and the views are imported by each command as it runs (a short `cpl --help`).

commands = typer.Typer()
certificates_app = typer.Typer(help="Assurance certificates on record.", no_args_is_help=True)


class RemovalStatus(StrEnum):
    """The statuses a removal sets (an entry is never removed to Active)."""

    EXPIRED = EntryStatus.EXPIRED.value
    WITHDRAWN = EntryStatus.WITHDRAWN.value
    CANCELLED = EntryStatus.CANCELLED.value


class ListFormat(StrEnum):
    TABLE = "table"
    PLAIN = "plain"
    JSON = "json"


PanelRefOpt = Annotated[
    str, typer.Option("--panel-ref", metavar="SECP_NN_NNNN", help="The Panel decision, e.g. SECP_66_1503.")
]


@commands.command()
def remove(
    ctx: typer.Context,
    entry: Annotated[str, typer.Argument(metavar="ENTRY", help="Entry id, e.g. CPL-000123.")],
    status: Annotated[RemovalStatus, typer.Option(case_sensitive=False, help="What the Panel decided.")],
    panel_ref: PanelRefOpt,
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why, in a few words.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record the Panel's removal of an entry; the next extract carries it with the Panel reference.

    Example: cpl remove CPL-000123 --status Withdrawn --panel-ref SECP_66_1503 --by alice
    """
    from cpl.services import entries as entry_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import entry_out

    with refusals(), unit_of_work(settings(ctx)) as session:
        removed = entry_service.remove(session, entry, EntryStatus(status.value), panel_ref, by, utcnow(), reason)
        data = entry_out(removed).model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    out.print(f"{data['entry_id']} is now {data['status']} (Panel decision {data['panel_reference']}).", markup=False)


@commands.command()
def reinstate(
    ctx: typer.Context,
    entry: Annotated[str, typer.Argument(metavar="ENTRY", help="Entry id, e.g. CPL-000123.")],
    panel_ref: PanelRefOpt,
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why, in a few words.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Record the Panel's decision to put a removed entry back: Active again, restored by the next extract.

    Example: cpl reinstate CPL-000123 --panel-ref SECP_67_1610 --by alice
    """
    from cpl.services import entries as entry_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow
    from cpl.views import entry_out

    with refusals(), unit_of_work(settings(ctx)) as session:
        record = entry_service.reinstate(session, entry, panel_ref, by, utcnow(), reason)
        data = entry_out(record).model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    out.print(
        f"{data['entry_id']} is Active again (Panel decision {data['panel_reference']}); the next extract restores it.",
        markup=False,
    )


@commands.command("list")
def list_cpl(
    ctx: typer.Context,
    status: Annotated[
        EntryStatus | None, typer.Option(case_sensitive=False, help="Only entries with this status (any case).")
    ] = None,
    device_type: Annotated[
        PhysicalDeviceType | None,
        typer.Option("--type", case_sensitive=False, help="Only this Physical Device Type (any case)."),
    ] = None,
    manufacturer: Annotated[
        str | None, typer.Option(help="Only this manufacturer: its name or id, any case, in part.")
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Only entries with this text (any case) in the id, model or a certificate number."),
    ] = None,
    output: Annotated[
        ListFormat,
        typer.Option("--format", help="table (fits the terminal), plain (one tab-separated line per entry) or json."),
    ] = ListFormat.TABLE,
    as_json: JsonOpt = False,
) -> None:
    """The CPL as stored now, filtered.

    Example: cpl list --type "gas smart meter" --manufacturer acme --status active
    """
    from cpl.services import entries as entry_service
    from cpl.services import unit_of_work
    from cpl.views import entry_out

    with unit_of_work(settings(ctx), write=False) as session:
        found = entry_service.list_entries(
            session, status, device_type=device_type, manufacturer=manufacturer, text=text
        )
        rows = dumped([entry_out(e) for e in found])
    if as_json or output is ListFormat.JSON:
        emit_json({"entries": rows})
        return
    if output is ListFormat.PLAIN:
        for r in rows:
            sys.stdout.write("\t".join(str(v) for v in _plain_row(r)) + "\n")
        return
    out.print(_entries_table(rows, out.width))
    out.print(f"{plural(len(rows), 'entry', 'entries')}.")


_PLAIN_COLUMNS = (
    "entry_id",
    "status",
    "physical_device_type",
    "manufacturer_id",
    "model_id",
    "hardware_version",
    "firmware_version",
    "technical_specification",
    "gbcs_version",
    "cpa_expiry",
    "panel_reference",
)


def _plain_row(r: dict[str, Any]) -> list[str]:
    return [str(r[k]) if r[k] is not None else "" for k in _PLAIN_COLUMNS]


def _cpa(r: dict[str, Any]) -> str:
    return r["cpa_expiry"] or (f"renewal {r['cpa_renewal_date']}" if r["cpa_renewal_date"] else "")


def _entries_table(rows: list[dict[str, Any]], width: int) -> Table:
    """The list as wide as the terminal allows. Identifiers and statuses are never cut: they do not
    wrap, and on a narrow terminal the less important columns go (names, then versions) instead."""
    from rich.table import Table

    wide = width >= 150
    middle = width >= 110
    table = Table(title=None)
    table.add_column("entry", no_wrap=True, min_width=10)
    table.add_column("status", no_wrap=True)
    table.add_column("type", overflow="fold")
    table.add_column("manufacturer", overflow="fold", no_wrap=not wide)
    table.add_column("model", overflow="fold", no_wrap=not wide)
    if middle:
        table.add_column("hw", no_wrap=True)
        table.add_column("fw", no_wrap=True)
    if wide:
        table.add_column("spec", no_wrap=True)
        table.add_column("GBCS", no_wrap=True)
    table.add_column("CPA expiry", no_wrap=True)
    for r in rows:
        status = r["status"] + (f" ({r['panel_reference']})" if r["panel_reference"] else "")
        maker = f"{r['manufacturer']} ({r['manufacturer_id']})" if wide else r["manufacturer_id"]
        model = f"{r['model']} ({r['model_id']})" if wide else r["model_id"]
        cells = [r["entry_id"], status, r["physical_device_type"], maker, model]
        if middle:
            cells += [r["hardware_version"], r["firmware_version"]]
        if wide:
            cells += [r["technical_specification"], r["gbcs_version"] or ""]
        cells.append(_cpa(r))
        table.add_row(*cells)
    return table


@commands.command()
def show(ctx: typer.Context, entry: Annotated[str, typer.Argument(metavar="ENTRY")], as_json: JsonOpt = False) -> None:
    """One entry with its status history, each change with its Panel decision.

    Example: cpl show CPL-000123
    """
    from cpl.services import entries as entry_service
    from cpl.services import unit_of_work
    from cpl.views import entry_with_history_out

    with refusals(), unit_of_work(settings(ctx), write=False) as session:
        record = entry_service.get_entry(session, entry)
        data = entry_with_history_out(record, entry_service.history(session, record)).model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    out.print(
        f"{data['entry_id']}: {data['physical_device_type']} {data['manufacturer']} {data['model']} "
        f"hw {data['hardware_version']} fw {data['firmware_version']} — {data['status']}",
        markup=False,
    )
    for h in data["history"]:
        panel = f" [Panel {h['panel_reference']}]" if h["panel_reference"] else ""
        out.print(f"  {h['since']} {h['status']:<10}{panel} {h['reason']} ({h['recorded_by']})", markup=False)


@certificates_app.command("list")
def certificates_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Assurance certificates on record.

    Example: cpl certificates list --json
    """
    from rich.table import Table
    from sqlmodel import col, select

    from cpl.services import unit_of_work
    from cpl.store import Certificate
    from cpl.views import certificate_out

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
    """Record a revoked certificate: entries that rely on it become removal proposals for the Panel.

    Example: cpl certificates revoke ZigBee ZIGBEE-106C-9006-0000 --by bob --reason "ZigBee certification withdrawn"
    """
    from cpl.services import entries as entry_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow

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
    extend_to: Annotated[
        str | None, typer.Option(metavar="DATE", help="Instead: the conditional period now ends on DATE.")
    ] = None,
) -> None:
    """Record that a conditional CPA certificate's conditions are met (or its conditional period extended).

    Example: cpl certificates conditions-met CPA-4331 --by alice --extend-to 2027-06-30
    """
    from cpl.services import entries as entry_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow

    day = parse_date(extend_to, "--extend-to")
    with refusals(), unit_of_work(settings(ctx)) as session:
        entry_service.record_conditions_met(session, number, by, utcnow(), day)
    out.print(
        f"CPA certificate {number}: "
        + (f"conditional period extended to {day}." if day else "conditions recorded as met.")
    )
