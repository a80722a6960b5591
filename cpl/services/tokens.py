"""API tokens: issued to a user, shown once, stored only as a SHA-256 digest, revocable.

A token is ``cpl_`` followed by 32 random bytes in URL-safe base64 (``secrets.token_urlsafe``),
so it is recognisable in a leaked log or a secret scanner, and its 256 bits make a plain digest
(no salt, no slow hash) enough: nobody can guess a preimage, and the digest lets us look a
presented token up with one indexed query. Issuing and revoking are recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cpl import audit
from cpl.core import errors
from cpl.core.domain import PartyRole
from cpl.services.parties import acting_user
from cpl.store import ApiToken, Party, User, column_rows

TOKEN_PREFIX: Final = "cpl_"
#: Bytes of randomness in a token (256 bits).
TOKEN_BYTES: Final = 32
#: What a token we issued looks like; anything else is refused without a database lookup.
_TOKEN_SHAPE = re.compile(r"^cpl_[A-Za-z0-9_-]{43}$")
#: The longest label we keep: it is a note for people, not a document.
MAX_LABEL_LENGTH: Final = 200


class UnknownTokenError(errors.NotFoundError):
    pass


class TokenAlreadyRevokedError(errors.CplError):
    pass


class TokenLabelError(errors.CplError):
    pass


@dataclass(frozen=True)
class Principal:
    """Who a presented token speaks for: the user, their party and the party's role."""

    user_id: str
    user_name: str
    party_id: str
    party_name: str
    role: PartyRole
    token_id: int


def token_digest(token: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def issue_token(
    session: Session, user_id: str, now: dt.datetime, *, label: str = "", actor: str = "cli"
) -> tuple[ApiToken, str]:
    """A new token for ``user_id``: the record (digest only) and the token itself, to be shown once."""
    user, party = acting_user(session, user_id)
    label = label.strip()
    if len(label) > MAX_LABEL_LENGTH:
        raise TokenLabelError(f"A token label is at most {MAX_LABEL_LENGTH} characters.")
    token = new_token()
    record = ApiToken(user_id=user.user_id, token_sha256=token_digest(token), label=label, created_at=now)
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.add",
        subject=f"token:{record.id}",
        now=now,
        details={"user": user.user_id, "party": party.party_id, "label": label},
    )
    return record, token


def revoke_token(session: Session, token_id: int, now: dt.datetime, *, actor: str = "cli") -> ApiToken:
    """Revoke a token for good; it authenticates nothing from ``now`` on."""
    record = session.get(ApiToken, token_id)
    if record is None:
        raise UnknownTokenError(f"There is no API token {token_id}; see 'cpl parties tokens'.")
    if record.revoked_at is not None:
        raise TokenAlreadyRevokedError(f"API token {token_id} was already revoked.")
    record.revoked_at = now
    session.add(record)
    audit.record(
        session,
        actor=actor,
        action="token.revoke",
        subject=f"token:{record.id}",
        now=now,
        details={"user": record.user_id, "label": record.label},
    )
    return record


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())


#: A token's principal by the token's digest: one indexed query for the token, its user and the user's
#: party (a missing one is no match), built once and only the columns a principal needs, since every
#: authenticated request makes it.
_PRINCIPAL = (
    sa.select(
        col(ApiToken.id),
        col(ApiToken.revoked_at),
        col(User.user_id),
        col(User.name),
        col(Party.party_id),
        col(Party.name),
        col(Party.role),
    )
    .join(User, col(User.user_id) == col(ApiToken.user_id))
    .join(Party, col(Party.party_id) == col(User.party_id))
    .where(col(ApiToken.token_sha256) == sa.bindparam("digest"))
)


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal a presented token speaks for, or None if it is malformed, unknown or revoked."""
    if not _TOKEN_SHAPE.match(presented):
        return None
    found = column_rows(session, _PRINCIPAL, {"digest": token_digest(presented)})
    if not found:
        return None
    token_id, revoked_at, user_id, user_name, party_id, party_name, role = found[0]
    if revoked_at is not None or token_id is None:
        return None
    return Principal(
        user_id=user_id,
        user_name=user_name,
        party_id=party_id,
        party_name=party_name,
        role=PartyRole(role),
        token_id=token_id,
    )
