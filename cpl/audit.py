"""The audit log: every change recorded append-only with who, when and what, hash-chained.

Each event's hash covers the previous event's hash and its own canonical JSON, so editing,
deleting or reordering any event breaks every hash after it; ``verify_chain`` finds the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cpl.store import AuditEvent, AuditHead
from formats.extract import canonical_json

GENESIS = "0" * 64


def _event_hash(previous_hash: str, at: dt.datetime, actor: str, action: str, subject: str, details_json: str) -> str:
    body = canonical_json(
        {
            "previous": previous_hash,
            "at": _timestamp(at),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details_json,
        }
    )
    return hashlib.sha256(body).hexdigest()


def _timestamp(at: dt.datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes; everything is stored in UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


# Built once: the append is on every change's path, and building a statement costs more than running it.
_HEAD = sa.select(col(AuditHead.event_hash)).where(col(AuditHead.id) == 1)
_LOCKED_HEAD = _HEAD.with_for_update()
_MOVE_HEAD = (
    sa.update(AuditHead)
    .where(col(AuditHead.id) == 1)
    .values(event_hash=sa.bindparam("new_hash"), events=col(AuditHead.events) + 1)
)
_APPEND = sa.insert(AuditEvent)
_FIRST_HEAD = sa.insert(AuditHead)
_LATER_EVENT = (
    sa.select(col(AuditEvent.id))
    .where(
        col(AuditEvent.id)
        > sa.func.coalesce(
            sa.select(col(AuditEvent.id)).where(col(AuditEvent.event_hash) == sa.bindparam("since")).scalar_subquery(),
            0,
        ),
        col(AuditEvent.action).not_in(sa.bindparam("ignoring", expanding=True)),
    )
    .limit(1)
)


def record(
    session: Session, *, actor: str, action: str, subject: str, now: dt.datetime, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Append an event to the chain, in the caller's transaction (so it commits or rolls back with the change).

    The chain's head row is locked for the rest of the transaction: a concurrent appender waits,
    then links to this event (never to the same predecessor), and reads one row, not the chain.
    Three statements (lock the head, insert the event, move the head), as plain SQL on the session's
    connection once the change it records is flushed. The event returned says what was appended; it
    is not an object of the session (the log is append-only: nothing changes it).
    """
    session.flush()  # the change this event records is written first
    connection = session.connection()
    previous = _locked_head(session)
    details_json = json.dumps(details or {}, sort_keys=True, default=str)
    event = AuditEvent(
        at=now,
        actor=actor,
        action=action,
        subject=subject,
        details_json=details_json,
        previous_hash=previous,
        event_hash=_event_hash(previous, now, actor, action, subject, details_json),
    )
    inserted = connection.execute(
        _APPEND,
        {
            "at": event.at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "details_json": details_json,
            "previous_hash": previous,
            "event_hash": event.event_hash,
        },
    )
    key = inserted.inserted_primary_key
    assert key is not None
    event.id = key[0]
    connection.execute(_MOVE_HEAD, {"new_hash": event.event_hash})
    return event


def _locked_head(session: Session) -> str:
    """The head's hash, its row locked until the transaction ends (made first if the store has none)."""
    head = session.connection().execute(_LOCKED_HEAD).first()
    if head is not None:
        return head[0]
    # The first event of a store (or a store from before the head row): the head is the last event.
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    count = len(session.exec(select(AuditEvent.id)).all()) if last else 0
    event_hash = last.event_hash if last else GENESIS
    # two first appenders race on the one primary key: the loser is a ConcurrentChangeError
    session.connection().execute(_FIRST_HEAD, {"id": 1, "event_hash": event_hash, "events": count})
    return event_hash


def changed_since(session: Session, event_hash: str, *, ignoring: frozenset[str] = frozenset()) -> bool:
    """Whether any event but those whose action is in ``ignoring`` was appended after ``event_hash``
    (a head read earlier, perhaps in another transaction; ``GENESIS``: any event at all).

    The head is locked first, as an append locks it, so the answer holds until the caller's
    transaction ends. One bounded query: only the events after that one are looked at.
    """
    if _locked_head(session) == event_hash:
        return False
    later = session.connection().execute(_LATER_EVENT, {"since": event_hash, "ignoring": sorted(ignoring)})
    return later.first() is not None


def head_hash(session: Session) -> str:
    """The chain's head: the last event's hash (GENESIS for an empty log)."""
    head = session.connection().execute(_HEAD).first()
    if head is not None:
        return head[0]
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    return last.event_hash if last else GENESIS


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(events: Iterable[AuditEvent], previous_hash: str = GENESIS) -> ChainBreak | None:
    """The first event whose hash or link does not hold, or None when they are intact: the whole log from
    its start, or consecutive events (a page) that follow the event whose hash is ``previous_hash``."""
    previous = previous_hash
    for event in events:
        assert event.id is not None
        if event.previous_hash != previous:
            return ChainBreak(
                event.id, "its link to the previous event does not match (an event was removed or reordered)"
            )
        expected = _event_hash(previous, event.at, event.actor, event.action, event.subject, event.details_json)
        if event.event_hash != expected:
            return ChainBreak(event.id, "its content does not match its hash (the event was edited)")
        previous = event.event_hash
    return None


def all_events(session: Session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())
