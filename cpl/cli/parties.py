"""`cpl parties`: parties, their users, and the API tokens users call the HTTP service with."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cpl.cli.console import JsonOpt, dumped, emit_json, err, fail, out, refusals, settings
from cpl.core.domain import PartyRole

# The services, the store and the views are imported by each command as it runs (a short `cpl --help`).

parties_app = typer.Typer(help="Parties (manufacturer, supplier, DCC, SECAS) and their users.", no_args_is_help=True)


@parties_app.command("add")
def parties_add(
    ctx: typer.Context,
    party_id: Annotated[str, typer.Argument(metavar="PARTY", help="The party's id, e.g. acme-meters.")],
    role: Annotated[PartyRole, typer.Option(help="manufacturer, supplier, dcc or secas.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the id).")] = None,
    email: Annotated[str | None, typer.Option(help="Where notices go (name@example.com).")] = None,
) -> None:
    """Add a party, with a user of the same id.

    Example: cpl parties add acme-meters --role manufacturer --name "Acme Meters" --email cpl@acme.example
    """
    from cpl.services import parties as party_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow

    now = utcnow()
    with refusals(), unit_of_work(settings(ctx)) as session:
        party_service.add_party(session, party_id, name or party_id, role, now, email)
        session.flush()
        party_service.add_user(session, party_id, party_id, name or party_id, now)
    out.print(f"Party {party_id} ({role}) added, with user {party_id}.")


@parties_app.command("update")
def parties_update(
    ctx: typer.Context,
    party_id: Annotated[str, typer.Argument(metavar="PARTY", help="The party's id.")],
    email: Annotated[str | None, typer.Option(help="Its new email address, where its notices go.")] = None,
    name: Annotated[str | None, typer.Option(help="Its new display name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a party's email address or name. Notices still queued go to the new address.

    Example: cpl parties update acme-meters --email compliance@acme.example
    """
    from sqlmodel import col, select

    from cpl.services import parties as party_service
    from cpl.services import unit_of_work
    from cpl.store import User, utcnow
    from cpl.views import party_out

    if email is None and name is None:
        fail("Say what to change: --email ADDRESS, --name NAME or both.", 2)
    with refusals(), unit_of_work(settings(ctx)) as session:
        done = party_service.update_party(session, party_id, utcnow(), email=email, name=name)
        users = list(session.exec(select(User.user_id).where(User.party_id == party_id).order_by(col(User.user_id))))
        view = party_out(done.party, users).model_dump(mode="json")
    if as_json:
        emit_json({"party": view, "changed": done.changes})
        return
    if not done.changes:
        out.print(f"Party {party_id} already reads so; nothing changed.", markup=False)
        return
    changed = "; ".join(f"{field} {c['from'] or '(none)'} -> {c['to']}" for field, c in done.changes.items())
    out.print(f"Party {party_id} updated: {changed}.", markup=False, soft_wrap=True)


@parties_app.command("add-user")
def parties_add_user(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(metavar="USER", help="The user's id, e.g. alice.")],
    party: Annotated[str, typer.Option(metavar="PARTY", help="The party the user acts for.")],
    name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add a user acting for a party (SECAS needs two for four-eyes extract signing).

    Example: cpl parties add-user alice --party secas
    """
    from cpl.services import parties as party_service
    from cpl.services import unit_of_work
    from cpl.store import utcnow

    with refusals(), unit_of_work(settings(ctx)) as session:
        party_service.add_user(session, user_id, party, name or user_id, utcnow())
    out.print(f"User {user_id} added to {party}.")


@parties_app.command("list")
def parties_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Parties and their users.

    Example: cpl parties list --json
    """
    from rich.table import Table
    from sqlmodel import col, select

    from cpl.services import unit_of_work
    from cpl.store import Party, User
    from cpl.views import party_out

    with unit_of_work(settings(ctx)) as session:
        rows: list[dict[str, Any]] = dumped(
            [
                party_out(p, list(session.exec(select(User.user_id).where(User.party_id == p.party_id)).all()))
                for p in session.exec(select(Party).order_by(col(Party.party_id))).all()
            ]
        )
    if as_json:
        emit_json({"parties": rows})
        return
    table = Table("party", "role", "name", "email", "users")
    for r in rows:
        table.add_row(r["party_id"], r["role"], r["name"], r["email"] or "", ", ".join(r["users"]))
    out.print(table)


@parties_app.command("add-token")
def parties_add_token(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(metavar="USER", help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for (e.g. the system that holds it).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Issue an API token for a user. It is printed once and only its SHA-256 digest is kept.

    Example: cpl parties add-token alice --label "SECAS portal"
    """
    from cpl.services import tokens, unit_of_work
    from cpl.store import utcnow

    with refusals(), unit_of_work(settings(ctx)) as session:
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
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(metavar="TOKEN_ID", help="The token's id (see 'cpl parties tokens').")],
) -> None:
    """Revoke an API token: it authenticates nothing from now on.

    Example: cpl parties revoke-token 1
    """
    from cpl.services import tokens, unit_of_work
    from cpl.store import utcnow

    with refusals(), unit_of_work(settings(ctx)) as session:
        record = tokens.revoke_token(session, token_id, utcnow())
        user_id = record.user_id
    out.print(f"API token {token_id} of {user_id} revoked.")


@parties_app.command("tokens")
def parties_tokens(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """API tokens: id, user, label, when issued and revoked (never the tokens themselves).

    Example: cpl parties tokens
    """
    from rich.table import Table

    from cpl.services import tokens, unit_of_work
    from cpl.views import token_out

    with unit_of_work(settings(ctx)) as session:
        rows: list[dict[str, Any]] = dumped([token_out(t) for t in tokens.list_tokens(session)])
    if as_json:
        emit_json({"tokens": rows})
        return
    table = Table("id", "user", "label", "issued", "revoked")
    for r in rows:
        table.add_row(str(r["token_id"]), r["user"], r["label"], r["created_at"][:19], (r["revoked_at"] or "")[:19])
    out.print(table)
    out.print(f"{len(rows)} token(s), {sum(r['revoked_at'] is None for r in rows)} in use.")
