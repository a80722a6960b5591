"""`cpl import-cpl`: bring the SEC's own CPL workbook (e.g. version 2.051) into an empty store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cpl.cli.console import ByOpt, JsonOpt, emit_json, out, print_findings, read_input, refusals, settings

commands = typer.Typer()


@commands.command("import-cpl")
def import_cpl(
    ctx: typer.Context,
    workbook_path: Annotated[Path, typer.Argument(metavar="WORKBOOK.xlsm|.xlsx", help="The SEC's CPL workbook.")],
    by: ByOpt,
    as_json: JsonOpt = False,
) -> None:
    """Import the SEC's CPL workbook whole (entries, statuses, versions, the Version Control history), or nothing.

    The store must hold no entries yet. The file's macros are never kept or run. A row that cannot
    be read imports nothing and is reported with its row; the exit status is then 1.

    Example: cpl import-cpl ../shared/reference/central_products_list_v2.051.xlsm --by alice
    """
    from cpl.services import imports as import_service
    from cpl.services import unit_of_work
    from cpl.specs_file import load_registry
    from cpl.store import utcnow

    config = settings(ctx)
    data = read_input(workbook_path, "workbook")
    with out.status(f"Reading {workbook_path.name} ..."), refusals(), unit_of_work(config) as session:
        result = import_service.import_cpl(
            session,
            workbook=data,
            filename=workbook_path.name,
            user_id=by,
            registry=load_registry(config.specs_file),
            now=utcnow(),
        )
    if as_json:
        emit_json(result.as_dict())
    elif result.imported:
        out.print(
            f"Imported CPL version {result.version} (issued {result.issued}): {result.entries} entries, "
            f"{result.active} Current (Active), {result.removed} Removed (Withdrawn); "
            f"{result.versions} versions of history."
        )
        if result.findings:
            print_findings(result.findings)
        out.print("The next `cpl extract prepare` issues it; it is published as the next version.")
    else:
        print_findings(result.findings)
        out.print("Nothing was imported.")
    raise typer.Exit(0 if result.imported else 1)
