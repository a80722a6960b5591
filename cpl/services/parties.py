"""Parties (manufacturer, supplier, DCC, SECAS), their users, and who is acting.

Each function is one unit of work on a session the caller commits; it raises a named ``CplError``
before writing anything when a rule refuses. Times arrive as parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from cpl import audit
from cpl.core import errors
from cpl.core.domain import PartyRole
from cpl.core.notices import email_address_problem
from cpl.store import (
    Party,
    User,
)

# --- parties ---------------------------------------------------------------------------------------


def checked_email(address: str) -> str:
    """The address as notices will use it (surrounding spaces dropped), refused unless it is one."""
    address = address.strip()
    problem = email_address_problem(address)
    if problem is not None:
        raise errors.InvalidEmailAddressError(problem)
    return address


def add_party(
    session: Session, party_id: str, name: str, role: PartyRole, now: dt.datetime, email: str | None = None
) -> Party:
    if email is not None:
        email = checked_email(email)
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


@dataclass(frozen=True)
class PartyUpdate:
    party: Party
    #: What changed, as {field: {"from": old, "to": new}}; empty when the party already read so.
    changes: dict[str, dict[str, str | None]]


def update_party(
    session: Session,
    party_id: str,
    now: dt.datetime,
    *,
    email: str | None = None,
    name: str | None = None,
    actor: str = "cli",
) -> PartyUpdate:
    """Change a party's email address or display name (``None``: leave it), on its locked row.

    Notices still queued for the party go to the new address (delivery reads it then), and CPA notices
    owed to a party that had none are queued by the next expiry run. An update that changes nothing
    records nothing.
    """
    if email is not None:
        email = checked_email(email)
    if name is not None:
        name = name.strip()
        if not name:
            raise errors.InvalidPartyNameError("A party's name cannot be blank.")
    party = session.exec(select(Party).where(Party.party_id == party_id).with_for_update()).first()
    if party is None:
        raise errors.UnknownPartyError(f"There is no party {party_id!r}; add it with 'cpl parties add'.")
    changes: dict[str, dict[str, str | None]] = {}
    if email is not None and email != party.email:
        changes["email"] = {"from": party.email, "to": email}
        party.email = email
    if name is not None and name != party.name:
        changes["name"] = {"from": party.name, "to": name}
        party.name = name
    if changes:
        session.add(party)
        audit.record(session, actor=actor, action="party.update", subject=party_id, now=now, details=changes)
    return PartyUpdate(party, changes)


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
