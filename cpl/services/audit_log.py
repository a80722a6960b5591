"""The audit log a page at a time, each page verified on its own: its events' hashes, and each event's
link to the one before it (the event just before the page for the first). Walking every page verifies
the whole chain; no single read re-hashes the history (`cpl audit verify` checks it whole).

Pages follow the events' ids: ``after`` (the last id of the page before: one index range, however long
the log) or ``offset``. The total is the chain head's count of appended events (one row), or a count
of the events for a store whose head row is not yet written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from cpl import audit
from cpl.audit import GENESIS, ChainBreak
from cpl.store import AuditEvent, AuditHead


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    #: The first event of the page whose hash or link does not hold, or None.
    chain_break: ChainBreak | None


def _previous_hash(session: Session, first_id: int) -> str:
    before = session.exec(
        select(AuditEvent.event_hash).where(col(AuditEvent.id) < first_id).order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    return GENESIS if before is None else before


def audit_page(session: Session, *, limit: int = 100, offset: int = 0, after: int | None = None) -> AuditPage:
    """Events oldest first: those after event ``after`` when it is given, else from ``offset``."""
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    query = query.where(col(AuditEvent.id) > after) if after is not None else query.offset(offset)
    events = list(session.exec(query.limit(limit)).all())
    chain_break = None
    if events:
        assert events[0].id is not None
        chain_break = audit.verify_chain(events, _previous_hash(session, events[0].id))
    head = session.exec(select(AuditHead.events).where(AuditHead.id == 1)).first()
    total = head if head is not None else session.exec(select(func.count()).select_from(AuditEvent)).one()
    return AuditPage(events, int(total), chain_break)
