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

from sqlmodel import Session, col, select

from cpl.store import AuditEvent
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


def record(
    session: Session, *, actor: str, action: str, subject: str, now: dt.datetime, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Append an event to the chain, in the caller's transaction (so it commits or rolls back with the change)."""
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    previous = last.event_hash if last else GENESIS
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
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(events: Iterable[AuditEvent]) -> ChainBreak | None:
    """The first event whose hash or link does not hold, or None when the whole log is intact."""
    previous = GENESIS
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
