"""The installed `cpl` and `smi` commands: each command line, with the HTTP layer's `serve` added.

`cpl/` and `smi/` never import `api/`; the HTTP layer imports them. So the `serve` commands live
here and are put on each app when the console script starts.
"""

from __future__ import annotations

import json
from typing import Annotated

import h11
import typer
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.app import create_app
from api.config import Settings, SettingsError
from api.smi_app import create_smi_app
from cpl import cli as cpl_cli
from cpl.config import ConfigurationError
from smi import cli as smi_cli
from smi.errors import SmiError

Host = Annotated[str, typer.Option(help="The address to listen on.")]


class JsonErrorH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, answering a request it cannot parse in the API's JSON error shape
    (uvicorn's own 400 is plain text, before any route or handler of the app sees the request)."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps(
            {"error": {"code": "bad_request", "message": f"The HTTP request is malformed ({msg.rstrip('.')})."}}
        ).encode("utf-8")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def serve_cpl(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and the public CPL page at /."""
    try:
        application = create_app(Settings.from_environment())
    except (SettingsError, ConfigurationError) as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(2) from None
    uvicorn.run(application, host=host, port=port, log_level="info", http=JsonErrorH11Protocol)


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
    uvicorn.run(application, host=host, port=port, log_level="info", http=JsonErrorH11Protocol)


def cpl_app() -> typer.Typer:
    app = cpl_cli.build_app()
    app.command("serve")(serve_cpl)
    return app


def smi_app() -> typer.Typer:
    app = smi_cli.build_app()
    app.command("serve")(serve_smi)
    return app


def cpl_main() -> None:
    cpl_cli.run(cpl_app())


def smi_main() -> None:
    smi_app()(prog_name="smi")
