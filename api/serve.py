"""The installed `cpl` and `smi` commands: each command line, with the HTTP layer's `serve` added.

`cpl/` and `smi/` never import `api/`; the HTTP layer imports them. So the `serve` commands live
here and are put on each app when the console script starts.
"""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.config import Settings, SettingsError
from api.smi_app import create_smi_app
from cpl import cli as cpl_cli
from smi import cli as smi_cli
from smi.errors import SmiError

Host = Annotated[str, typer.Option(help="The address to listen on.")]


def serve_cpl(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and the public CPL page at /."""
    try:
        application = create_app(Settings.from_environment())
    except SettingsError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    uvicorn.run(application, host=host, port=port, log_level="info")


def serve_smi(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8001,
) -> None:
    """Serve the simulator's HTTP API (OpenAPI at /openapi.json)."""
    try:
        application = create_smi_app()
    except SmiError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    uvicorn.run(application, host=host, port=port, log_level="info")


def cpl_app() -> typer.Typer:
    app = cpl_cli.build_app()
    app.command("serve")(serve_cpl)
    return app


def smi_app() -> typer.Typer:
    app = smi_cli.build_app()
    app.command("serve")(serve_smi)
    return app


def cpl_main() -> None:
    cpl_app()(prog_name="cpl")


def smi_main() -> None:
    smi_app()(prog_name="smi")
