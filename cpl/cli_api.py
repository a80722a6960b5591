"""`cpl serve` and API tokens: commands of the HTTP service, registered on the main `cpl` app."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cpl import tokens
from cpl.cli import app, emit_json, err, fail, out, parties_app, refusals
from cpl.store import session_scope, utcnow

__all__ = ["app", "parties_app"]


@parties_app.command("add-token")
def parties_add_token(
    user_id: Annotated[str, typer.Argument(metavar="USER", help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for (e.g. the system that holds it).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Issue an API token for a user. It is printed once and only its SHA-256 digest is kept."""
    with refusals(), session_scope() as session:
        record, token = tokens.issue_token(session, user_id, utcnow(), label=label)
        token_id = record.id
    if as_json:
        emit_json({"token_id": token_id, "user": user_id, "label": label.strip(), "token": token})
        return
    out.print(f"API token {token_id} for {user_id}. Keep it now; it cannot be shown again:")
    out.print(token, markup=False, soft_wrap=True)
    err.print("Send it as 'Authorization: Bearer <token>'; revoke it with 'cpl parties revoke-token'.", markup=False)


@parties_app.command("revoke-token")
def parties_revoke_token(
    token_id: Annotated[int, typer.Argument(metavar="TOKEN_ID", help="The token's id (see 'cpl parties tokens').")],
) -> None:
    """Revoke an API token: it authenticates nothing from now on."""
    with refusals(), session_scope() as session:
        record = tokens.revoke_token(session, token_id, utcnow())
        user_id = record.user_id
    out.print(f"API token {token_id} of {user_id} revoked.")


@parties_app.command("tokens")
def parties_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """API tokens: id, user, label, when issued and revoked (never the tokens themselves)."""
    with session_scope() as session:
        rows: list[dict[str, Any]] = [
            {
                "token_id": t.id,
                "user": t.user_id,
                "label": t.label,
                "created_at": t.created_at.isoformat(),
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in tokens.list_tokens(session)
        ]
    if as_json:
        emit_json({"tokens": rows})
        return
    table = Table("id", "user", "label", "issued", "revoked")
    for r in rows:
        table.add_row(str(r["token_id"]), r["user"], r["label"], r["created_at"][:19], (r["revoked_at"] or "")[:19])
    out.print(table)
    out.print(f"{len(rows)} token(s), {sum(r['revoked_at'] is None for r in rows)} in use.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and the public CPL page at /."""
    import uvicorn

    from api.app import create_app
    from api.config import SettingsError

    try:
        application = create_app()
    except SettingsError as problem:
        fail(str(problem), 2)
    uvicorn.run(application, host=host, port=port, log_level="info")
