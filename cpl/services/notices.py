"""Notices as SECAS handles them by hand: listing them, and cancelling one that cannot be delivered.

Queueing and delivery are `cpl.mailer`'s. A cancellation is a state change like the others: taken
on the notice's locked row, refused with a sentence unless the notice is still queued, recorded in
the audit log. A cancelled notice is never sent: the deliverer claims queued notices only, and the
row keeps the notice's key, so neither the job that owed it nor a repeat of its change queues it again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from cpl import audit
from cpl.core import errors
from cpl.core.domain import PartyRole
from cpl.mailer import NoticeState
from cpl.services.parties import acting_user
from cpl.store import NoticeCancellation, SentNotice, as_utc


@dataclass(frozen=True)
class ListedNotice:
    notice: SentNotice
    cancellation: NoticeCancellation | None


def list_notices(session: Session, state: str | None = None) -> list[ListedNotice]:
    """Every notice, oldest first (or those in ``state``), each with its cancellation if it has one."""
    query = (
        select(SentNotice, NoticeCancellation)
        .outerjoin(NoticeCancellation, col(NoticeCancellation.notice_id) == col(SentNotice.id))
        .order_by(col(SentNotice.id))
    )
    if state is not None:
        query = query.where(SentNotice.state == state)
    return [ListedNotice(notice, cancellation) for notice, cancellation in session.exec(query).all()]


def cancel_notice(session: Session, notice_id: int, user_id: str, reason: str, now: dt.datetime) -> ListedNotice:
    """SECAS gives up on a queued notice: it is never sent. Refused unless the notice is queued now."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    reason = reason.strip()
    if not reason:
        raise errors.ReasonRequiredError("Say why the notice is cancelled (--reason TEXT).")
    # The row lock orders this against a deliverer's claim (a conditional UPDATE of the same row):
    # whichever commits first wins, and the other finds the state it left.
    notice = session.exec(select(SentNotice).where(col(SentNotice.id) == notice_id).with_for_update()).first()
    if notice is None:
        raise errors.UnknownNoticeError(f"There is no notice {notice_id}; 'cpl notices list' shows them.")
    if notice.state == NoticeState.SENT:
        sent = f" at {as_utc(notice.sent_at):%Y-%m-%d %H:%M} UTC" if notice.sent_at else ""
        raise errors.NoticeStateError(f"Notice {notice_id} was sent{sent}; a sent notice cannot be cancelled.")
    if notice.state == NoticeState.CANCELLED:
        earlier = session.get(NoticeCancellation, notice_id)
        by = f" by {earlier.cancelled_by} ({earlier.reason})" if earlier else ""
        raise errors.NoticeStateError(f"Notice {notice_id} was already cancelled{by}.")
    if notice.state != NoticeState.QUEUED:
        raise errors.NoticeStateError(
            f"Notice {notice_id} is being sent right now; nothing was cancelled: "
            "if the mail server refuses it, it is queued again and can then be cancelled."
        )
    notice.state = NoticeState.CANCELLED
    notice.claimed_at = None
    session.add(notice)
    cancellation = NoticeCancellation(notice_id=notice_id, cancelled_by=user.user_id, cancelled_at=now, reason=reason)
    session.add(cancellation)
    audit.record(
        session,
        actor=user.user_id,
        action="notice.cancel",
        subject=f"notice:{notice_id}",
        now=now,
        details={
            "kind": notice.kind,
            "ref": notice.subject_ref,
            "party": notice.party_id,
            "recipient": notice.recipient,
            "reason": reason,
            "last_error": notice.last_error,
        },
    )
    return ListedNotice(notice, cancellation)
