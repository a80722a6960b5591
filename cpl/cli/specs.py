"""`cpl specs`: the Technical Specification and GBCS versions the CPL recognises (a data file)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cpl.cli.console import JsonOpt, emit_json, fail, out, parse_date, settings
from cpl.core.specs import SpecKind, SpecVersion, UnknownVersion

specs_app = typer.Typer(help="The Technical Specification and GBCS versions the CPL recognises.", no_args_is_help=True)


@specs_app.command("list")
def specs_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every version the CPL recognises, with its dates.

    Example: cpl specs list
    """
    from rich.table import Table

    from cpl.specs_file import load_registry

    registry = load_registry(settings(ctx).specs_file)
    rows: list[dict[str, Any]] = [
        {
            "kind": v.kind,
            "version": v.version,
            "effective_from": v.effective_from.isoformat() if v.effective_from else None,
            "end_date": v.end_date.isoformat() if v.end_date else None,
            "aliases": list(v.aliases),
        }
        for v in registry.versions
    ]
    if as_json:
        emit_json({"versions": rows})
        return
    table = Table("kind", "version", "effective from", "end date", "also spelled")
    for r in rows:
        table.add_row(r["kind"], r["version"], r["effective_from"] or "", r["end_date"] or "", ", ".join(r["aliases"]))
    out.print(table)


@specs_app.command("add")
def specs_add(
    ctx: typer.Context,
    kind: SpecKind,
    version: str,
    effective_from: Annotated[str | None, typer.Option(metavar="DATE", help="YYYY-MM-DD")] = None,
    end_date: Annotated[str | None, typer.Option(metavar="DATE", help="YYYY-MM-DD")] = None,
    alias: Annotated[
        list[str] | None, typer.Option(help="Another spelling of it, e.g. 'SMETS V4.2' (repeatable).")
    ] = None,
) -> None:
    """Add a version (or replace its dates). A new GBCS version is a data change, not a code change.

    Example: cpl specs add gbcs v5.0 --effective-from 2027-04-01 --alias "GBCS Version 5.0"
    """
    from cpl.specs_file import load_registry, save_registry

    path = settings(ctx).specs_file
    spec = SpecVersion(
        kind,
        version.strip(),
        parse_date(effective_from, "--effective-from"),
        parse_date(end_date, "--end-date"),
        tuple(a.strip() for a in alias or () if a.strip()),
    )
    try:
        registry = load_registry(path).with_version(spec)
    except ValueError as clash:
        fail(f"{clash}.", 2)
    save_registry(registry, path)
    out.print(f"{kind} {spec.version} recorded in {path}.")


@specs_app.command("end-date")
def specs_end_date(ctx: typer.Context, kind: SpecKind, version: str, date: str) -> None:
    """End-date a version: entries naming it are refused from that date (V002).

    Example: cpl specs end-date gbcs v1.0 2018-05-07
    """
    from cpl.specs_file import load_registry, save_registry

    path = settings(ctx).specs_file
    registry = load_registry(path)
    try:
        spec = registry.lookup(kind, version)
    except UnknownVersion:
        fail(f"{kind} {version} is not in the registry; add it first.", 2)
    ended = SpecVersion(spec.kind, spec.version, spec.effective_from, parse_date(date, "DATE"))
    save_registry(registry.with_version(ended), path)
    out.print(f"{kind} {spec.version} end-dated {date} in {path}.")
