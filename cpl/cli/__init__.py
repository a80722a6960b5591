"""`cpl`: the CPL authority's command line (CONTRACT.md section 3).

`build_app()` puts the command modules together on one root; nothing registers itself by being
imported. The root reads the settings from the environment once (`cpl.config.Settings`) and hands
them to every command through the context. `cpl serve` belongs to the HTTP layer: `api.serve` adds
it to this same app for the installed `cpl` command, so `cpl/` never imports `api/`.

Exit codes: 0 success, 1 understood and refused (findings, refusals), 2 unusable input. Errors are
one sentence on stderr; tracebacks only for bugs.

Start-up is kept short: the command modules import only typer, rich's console and the small pure
modules their options name; each command imports the services, store, views and mailer it uses when
it runs. `cpl --help` loads no store, no ORM and no web stack (tests/cpl/test_cli_startup.py).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

import typer

from cpl.cli import codes, entries, extracts, imports, operations, parties, specs, submissions
from cpl.cli.console import err, fail
from cpl.core import errors

HELP = "The Central Products List authority (SECAS): submissions, the list, extracts."

#: The commands that may start a new store where none exists; every other refuses a missing SQLite
#: database (one sentence, exit 2) instead of answering from a new, empty one.
SETS_UP_A_STORE = frozenset({"parties", "import-cpl", "serve"})


def build_app(environ: Mapping[str, str] | None = None) -> typer.Typer:
    """The `cpl` command, its settings read from ``environ`` (the process environment by default)."""
    app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root(ctx: typer.Context) -> None:
        from cpl.config import ConfigurationError, Settings

        try:
            ctx.obj = Settings.from_environment(os.environ if environ is None else environ)
        except ConfigurationError as problem:
            fail(str(problem), 2)
        if ctx.invoked_subcommand not in SETS_UP_A_STORE:
            ctx.obj = dataclasses.replace(ctx.obj, new_store_allowed=False)

    for commands in (submissions.commands, entries.commands, extracts.commands, imports.commands, codes.commands):
        app.add_typer(commands)
    app.add_typer(parties.parties_app, name="parties")
    app.add_typer(specs.specs_app, name="specs")
    app.add_typer(entries.certificates_app, name="certificates")
    app.add_typer(submissions.submissions_app, name="submissions")
    app.add_typer(extracts.extract_app, name="extract")
    app.add_typer(extracts.receipt_app, name="receipt")
    app.add_typer(operations.expiry_app, name="expiry")
    app.add_typer(operations.audit_app, name="audit")
    app.add_typer(operations.notices_app, name="notices")
    app.add_typer(operations.proposals_app, name="proposals")
    return app


def run(app: typer.Typer, argv: Sequence[str] | None = None) -> None:
    """Run the command; a named refusal that no command caught (the store busy in a read-only command,
    say) is still one sentence and its exit status, never a traceback."""
    command = typer.main.get_command(app)
    hide_flag_types(command)
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="cpl", standalone_mode=True)
    except errors.CplError as refusal:  # outside click's own handling: say it and leave with its status
        err.print(str(refusal), markup=False, soft_wrap=True)
        raise SystemExit(refusal.exit_code) from None


def hide_flag_types(command: Any) -> None:
    """Help shows no type for a flag (typer would print `<bool>` beside `--json`): it takes no value.
    (Duck-typed: typer builds its commands on its own copy of click.)"""
    for param in command.params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    help_option = command.get_help_option

    def typeless_help_option(ctx: Any) -> Any:
        option = help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = typeless_help_option
    for sub in getattr(command, "commands", {}).values():
        hide_flag_types(sub)


def main(argv: Sequence[str] | None = None) -> None:
    run(build_app(), argv)
