"""Removal proposals as SECAS handles them: listing them, and dismissing one the Panel will not act on.

Proposals are made by a certificate revocation (`cpl.services.entries.revoke_certificate`) and by
the expiry job (`cpl.services.expiry`); the Panel decides one by removing the entry (``cpl remove``,
which closes its open proposals as decided). A dismissal closes an open proposal without a removal,
on its locked row, with who and why, in the audit log. A dismissed proposal is never made again for
the same reason: the expiry job counts every proposal it ever made, whatever became of it, and its
reason names the certificate and the end date, so only a new end date (a renewed certificate, an
extended conditional period) that passes in its turn proposes the entry afresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from cpl import audit
from cpl.core import errors
from cpl.core.domain import PartyRole, format_entry_id
from cpl.services.paging import Page, count
from cpl.services.parties import acting_user
from cpl.store import ProposalDismissal, RemovalProposal, as_utc

OPEN = "open"
DECIDED = "decided"
DISMISSED = "dismissed"
STATES = (OPEN, DECIDED, DISMISSED)


@dataclass(frozen=True)
class ListedProposal:
    proposal: RemovalProposal
    dismissal: ProposalDismissal | None


def list_proposals(session: Session, state: str | None = OPEN) -> list[ListedProposal]:
    """Proposals oldest first: the open ones by default, those in ``state``, or all (``None``)."""
    query = (
        select(RemovalProposal, ProposalDismissal)
        .outerjoin(ProposalDismissal, col(ProposalDismissal.proposal_id) == col(RemovalProposal.id))
        .order_by(col(RemovalProposal.id))
    )
    if state is not None:
        query = query.where(RemovalProposal.state == state)
    return [ListedProposal(proposal, dismissal) for proposal, dismissal in session.exec(query).all()]


def proposals_page(
    session: Session, state: str | None = OPEN, *, limit: int = 100, offset: int = 0
) -> Page[ListedProposal]:
    """One page of ``list_proposals`` (oldest first), with how many proposals are in ``state`` (or in all)."""
    query = select(RemovalProposal).order_by(col(RemovalProposal.id))
    listed = (
        select(RemovalProposal, ProposalDismissal)
        .outerjoin(ProposalDismissal, col(ProposalDismissal.proposal_id) == col(RemovalProposal.id))
        .order_by(col(RemovalProposal.id))
    )
    if state is not None:
        query = query.where(RemovalProposal.state == state)
        listed = listed.where(RemovalProposal.state == state)
    rows = session.exec(listed.offset(offset).limit(limit)).all()
    return Page([ListedProposal(p, d) for p, d in rows], count(session, query), limit, offset)


def dismiss_proposal(session: Session, proposal_id: int, user_id: str, reason: str, now: dt.datetime) -> ListedProposal:
    """SECAS records that the Panel will not remove the entry on this proposal. Refused unless it is open."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    reason = reason.strip()
    if not reason:
        raise errors.ReasonRequiredError("Say why the proposal is dismissed (--reason TEXT).")
    proposal = session.exec(
        select(RemovalProposal).where(col(RemovalProposal.id) == proposal_id).with_for_update()
    ).first()
    if proposal is None:
        raise errors.UnknownProposalError(f"There is no proposal {proposal_id}; 'cpl proposals list' shows them.")
    entry_id = format_entry_id(proposal.entry_id)
    if proposal.state == DECIDED:
        raise errors.ProposalStateError(
            f"Proposal {proposal_id} ({entry_id}) was decided by Panel decision {proposal.panel_reference}; "
            "it cannot be dismissed."
        )
    if proposal.state == DISMISSED:
        earlier = session.get(ProposalDismissal, proposal_id)
        by = (
            f" by {earlier.dismissed_by} on {as_utc(earlier.dismissed_at):%Y-%m-%d} ({earlier.reason})"
            if earlier
            else ""
        )
        raise errors.ProposalStateError(f"Proposal {proposal_id} ({entry_id}) was already dismissed{by}.")
    proposal.state, proposal.closed_at = DISMISSED, now
    session.add(proposal)
    dismissal = ProposalDismissal(proposal_id=proposal_id, dismissed_by=user.user_id, dismissed_at=now, reason=reason)
    session.add(dismissal)
    audit.record(
        session,
        actor=user.user_id,
        action="proposal.dismiss",
        subject=f"proposal:{proposal_id}",
        now=now,
        details={"entry": entry_id, "proposed": proposal.reason, "status": proposal.proposed_status, "reason": reason},
    )
    return ListedProposal(proposal, dismissal)
