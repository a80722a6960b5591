"""The installed `cpl` and `smi` commands: each command line, with the HTTP layer's `serve` added.

`cpl/` and `smi/` never import `api/`; the HTTP layer imports them. So the `serve` commands live
here and are put on each app when the console script starts.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

# Each console script imports its own side only, and the HTTP stack (uvicorn, FastAPI, the apps) only
# for `serve`: `smi ingest` would otherwise pay for loading the authority's CLI and whole HTTP app,
# most of its start-up.

Host = Annotated[str, typer.Option(help="The address to listen on.")]

#: uvicorn's HTTP/1.1 protocol with the API's JSON 400, by name (uvicorn imports it only when serving).
JSON_ERROR_PROTOCOL = "api.protocol:JsonErrorH11Protocol"


def _run(application: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(application, host=host, port=port, log_level="info", http=JSON_ERROR_PROTOCOL)


def serve_cpl(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and the public CPL page at /.

    Example: cpl serve --host 0.0.0.0 --port 8000
    """
    from api.app import create_app
    from api.config import Settings, SettingsError
    from cpl.config import ConfigurationError

    try:
        application = create_app(Settings.from_environment())
    except (SettingsError, ConfigurationError) as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    _run(application, host, port)


def serve_smi(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8001,
) -> None:
    """Serve the simulator's HTTP API (OpenAPI at /openapi.json).

    Example: smi serve --port 8001
    """
    from api.smi_app import create_smi_app
    from smi.errors import SmiError

    try:
        application = create_smi_app()
    except SmiError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    _run(application, host, port)


def cpl_app() -> typer.Typer:
    from cpl import cli as cpl_cli

    app = cpl_cli.build_app()
    app.command("serve")(serve_cpl)
    return app


def smi_app() -> typer.Typer:
    from smi import cli as smi_cli

    app = smi_cli.build_app()
    app.command("serve")(serve_smi)
    return app


def cpl_main() -> None:
    from cpl import cli as cpl_cli

    cpl_cli.run(cpl_app())


def smi_main() -> None:
    from cpl.cli import hide_flag_types  # the command-line helper both tools share (smi/ may not import cpl/)

    command = typer.main.get_command(smi_app())
    hide_flag_types(command)
    command.main(prog_name="smi", standalone_mode=True)
