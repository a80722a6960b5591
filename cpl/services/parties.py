"""Parties (manufacturer, supplier, DCC, SECAS), their users, and who is acting.

Each function is one unit of work on a session the caller commits; it raises a named ``CplError``
before writing anything when a rule refuses. Times arrive as parameters.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from cpl import audit
from cpl.core import errors
from cpl.core.domain import PartyRole
from cpl.store import (
    Party,
    User,
)

# --- parties ---------------------------------------------------------------------------------------


def add_party(
    session: Session, party_id: str, name: str, role: PartyRole, now: dt.datetime, email: str | None = None
) -> Party:
    if session.get(Party, party_id) is not None:
        raise errors.DuplicateError(f"Party {party_id!r} already exists.")
    party = Party(party_id=party_id, name=name, role=role, email=email, created_at=now)
    session.add(party)
    audit.record(
        session,
        actor="cli",
        action="party.add",
        subject=party_id,
        now=now,
        details={"role": str(role), "name": name, "email": email},
    )
    return party


def add_user(session: Session, user_id: str, party_id: str, name: str, now: dt.datetime) -> User:
    party_of(session, party_id)
    if session.get(User, user_id) is not None:
        raise errors.DuplicateError(f"User {user_id!r} already exists.")
    user = User(user_id=user_id, party_id=party_id, name=name, created_at=now)
    session.add(user)
    audit.record(session, actor="cli", action="user.add", subject=user_id, now=now, details={"party": party_id})
    return user


def party_of(session: Session, party_id: str) -> Party:
    party = session.get(Party, party_id)
    if party is None:
        raise errors.UnknownPartyError(f"There is no party {party_id!r}; add it with 'cpl parties add'.")
    return party


def acting_user(session: Session, user_id: str, *roles: PartyRole) -> tuple[User, Party]:
    """The user and their party, refused unless the party has one of ``roles`` (any role if none given)."""
    user = session.get(User, user_id)
    if user is None:
        raise errors.UnknownUserError(f"There is no user {user_id!r}; add one with 'cpl parties add-user'.")
    party = party_of(session, user.party_id)
    if roles and party.role not in roles:
        allowed = " or ".join(str(r) for r in roles)
        raise errors.NotPermittedError(
            f"{user_id} belongs to {party.party_id} ({party.role}); only a {allowed} user may do this."
        )
    return user, party
