"""The installed `cpl` and `smi` commands: each command line, with the HTTP layer's `serve` added.

`cpl/` and `smi/` never import `api/`; the HTTP layer imports them. So the `serve` commands live
here and are put on each app when the console script starts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from uvicorn.protocols.http.h11_impl import H11Protocol

# Each console script imports its own side only, and the HTTP stack (uvicorn, FastAPI, the apps) only
# for `serve`: `smi ingest` would otherwise pay for loading the authority's CLI and whole HTTP app,
# most of its start-up.

Host = Annotated[str, typer.Option(help="The address to listen on.")]


def json_error_protocol() -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol, answering a request it cannot parse in the API's JSON error shape
    (uvicorn's own 400 is plain text, before any route or handler of the app sees the request)."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class JsonErrorH11Protocol(H11Protocol):
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

    return JsonErrorH11Protocol


def _run(application: Any, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(application, host=host, port=port, log_level="info", http=json_error_protocol())


def serve_cpl(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and the public CPL page at /."""
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
    """Serve the simulator's HTTP API (OpenAPI at /openapi.json)."""
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
    smi_app()(prog_name="smi")
