"""`cpl codes`: every finding code with its severity, what it means and how to fix it."""

from __future__ import annotations

from typing import Annotated

import typer

from cpl.cli.console import JsonOpt, emit_json, out

commands = typer.Typer()


@commands.command("codes")
def codes(
    as_json: JsonOpt = False,
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the page docs/finding-codes.md (Markdown) instead of a table.")
    ] = False,
) -> None:
    """Every finding code `cpl check` reports: its severity, what it means and how to fix it.

    Example: cpl codes --markdown
    """
    from rich.table import Table

    from cpl import finding_codes

    described = finding_codes.descriptions()
    if as_json:
        emit_json({"codes": [d.as_dict() for d in described]})
    elif as_markdown:
        typer.echo(finding_codes.markdown(), nl=False)
    else:
        table = Table("code", "severity", "meaning", "how to fix", show_lines=True)
        for d in described:
            table.add_row(d.code, d.severity, d.meaning, d.how_to_fix)
        out.print(table)
