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


def record(
    session: Session, *, actor: str, action: str, subject: str, now: dt.datetime, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Append an event to the chain, in the caller's transaction (so it commits or rolls back with the change).

    The chain's head row is locked for the rest of the transaction: a concurrent appender waits,
    then links to this event (never to the same predecessor), and reads one row, not the chain.
    """
    head = _locked_head(session)
    previous = head.event_hash
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
    head.event_hash, head.events = event.event_hash, head.events + 1
    session.add(head)
    session.flush()
    return event


def _locked_head(session: Session) -> AuditHead:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is not None:
        return head
    # The first event of a store (or a store from before the head row): the head is the last event.
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    count = len(session.exec(select(AuditEvent.id)).all()) if last else 0
    head = AuditHead(id=1, event_hash=last.event_hash if last else GENESIS, events=count)
    session.add(head)
    session.flush()  # two first appenders race on the one primary key: the loser is a ConcurrentChangeError
    return head


def head_hash(session: Session) -> str:
    """The chain's head: the last event's hash (GENESIS for an empty log)."""
    head = session.get(AuditHead, 1)
    if head is not None:
        return head.event_hash
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    return last.event_hash if last else GENESIS


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
