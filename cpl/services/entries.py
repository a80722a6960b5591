"""The list: entries, their status history, Panel removals, removal proposals, certificates.

Each function is one unit of work on a session the caller commits; it raises a named ``CplError``
before writing anything when a rule refuses. Times arrive as parameters. What a removal needs
is `cpl.core.lifecycle`'s rule.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cpl import audit
from cpl.core import errors, lifecycle
from cpl.core.domain import PartyRole, format_entry_id
from cpl.core.schema import CERTIFICATE_FIELD
from cpl.services.paging import Page, page
from cpl.services.parties import acting_user
from cpl.store import (
    Certificate,
    Entry,
    EntryStatusChange,
    PanelDecision,
    RemovalProposal,
)
from formats.vocabulary import AssuranceScheme, EntryStatus, PhysicalDeviceType


def record_status(session: Session, entry: Entry, reason: str, user_id: str, now: dt.datetime) -> None:
    assert entry.id is not None
    session.add(
        EntryStatusChange(
            entry_id=entry.id,
            status=entry.status,
            since=entry.status_since,
            panel_reference=entry.panel_reference,
            reason=reason,
            recorded_by=user_id,
            recorded_at=now,
        )
    )


# --- the list and removals -------------------------------------------------------------------------


def parse_entry_id(text: str) -> int:
    match = re.fullmatch(r"(?:CPL-)?0*(\d+)", text.strip(), flags=re.IGNORECASE)
    if match is None:
        raise errors.UnknownEntryError(f"{text!r} is not an entry id like CPL-000123.")
    return int(match.group(1))


def get_entry(session: Session, entry_ref: str | int, *, lock: bool = False) -> Entry:
    """The entry; ``lock`` holds its row until the transaction ends (its status is being changed)."""
    number = entry_ref if isinstance(entry_ref, int) else parse_entry_id(entry_ref)
    entry = session.get(Entry, number, with_for_update=lock, populate_existing=lock)
    if entry is None:
        raise errors.UnknownEntryError(f"There is no CPL entry {format_entry_id(number)}.")
    return entry


def _filtered(
    query: SelectOfScalar[Entry],
    status: EntryStatus | None,
    device_type: PhysicalDeviceType | None,
    manufacturer: str | None,
) -> SelectOfScalar[Entry]:
    if status is not None:
        query = query.where(Entry.status == status)
    if device_type is not None:
        query = query.where(Entry.physical_device_type == device_type)
    if manufacturer and manufacturer.strip():
        like = f"%{_escaped(manufacturer.strip().lower())}%"
        query = query.where(
            or_(
                func.lower(col(Entry.manufacturer)).like(like, escape="\\"),
                func.lower(col(Entry.manufacturer_id)).like(like, escape="\\"),
            )
        )
    return query


def list_entries(
    session: Session,
    status: EntryStatus | None = None,
    *,
    device_type: PhysicalDeviceType | None = None,
    manufacturer: str | None = None,
    text: str | None = None,
) -> list[Entry]:
    """Entries by id, filtered: a status, a Physical Device Type, a manufacturer (its name or id, any
    case, in part), and a text found (any case) in the entry id, model name or id, or a certificate number."""
    query = _filtered(select(Entry).order_by(col(Entry.id)), status, device_type, manufacturer)
    found = list(session.exec(query).all())
    if text and text.strip():
        wanted = text.strip().lower()
        found = [e for e in found if wanted in _searchable(e)]
    return found


def entries_page(
    session: Session,
    status: EntryStatus | None = None,
    *,
    device_type: PhysicalDeviceType | None = None,
    manufacturer: str | None = None,
    text: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page[Entry]:
    """One page of the entries by id, filtered in the query (the total counts the same filter): as
    ``list_entries``, except that a text that is an entry id (``CPL-000123``, ``123``) finds that entry
    and any other text is looked for (any case) in the model name or id and the certificate numbers."""
    query = _filtered(select(Entry).order_by(col(Entry.id)), status, device_type, manufacturer)
    if text and text.strip():
        wanted = text.strip()
        like = f"%{_escaped(wanted.lower())}%"
        columns = [col(Entry.model), col(Entry.model_id), *(getattr(Entry, f) for f in CERTIFICATE_FIELD.values())]
        matches: list[ColumnElement[bool]] = [func.lower(column).like(like, escape="\\") for column in columns]
        number = re.fullmatch(r"(?:CPL-)?0*(\d{1,9})", wanted, flags=re.IGNORECASE)
        if number is not None:
            matches.append(col(Entry.id) == int(number.group(1)))
        query = query.where(or_(*matches))
    return page(session, query, limit=limit, offset=offset)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _searchable(entry: Entry) -> str:
    """What a text search looks in: the entry id, the model's name and id, and every certificate number."""
    numbers = [str(getattr(entry, field) or "") for field in CERTIFICATE_FIELD.values()]
    return " ".join([format_entry_id(entry.id or 0), entry.model, entry.model_id, *numbers]).lower()


def history(session: Session, entry: Entry) -> list[EntryStatusChange]:
    return list(
        session.exec(
            select(EntryStatusChange).where(EntryStatusChange.entry_id == entry.id).order_by(col(EntryStatusChange.id))
        ).all()
    )


def remove(
    session: Session,
    entry_ref: str | int,
    status: EntryStatus,
    panel_reference: str,
    user_id: str,
    now: dt.datetime,
    reason: str = "",
) -> Entry:
    """SECAS records the Panel's decision to remove an entry; no removal without the Panel reference."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    lifecycle.require_removal_status(status)
    reference = lifecycle.panel_reference(panel_reference)
    entry = get_entry(session, entry_ref, lock=True)
    if entry.status != EntryStatus.ACTIVE:
        raise errors.EntryStatusError(f"{format_entry_id(entry.id or 0)} is already {entry.status}.")
    _record_panel_decision(session, reference, user.user_id, now)
    entry.status, entry.status_since, entry.panel_reference = status, now.date(), reference
    session.add(entry)
    record_status(session, entry, reason or f"removed by Panel decision {reference}", user.user_id, now)
    for proposal in open_proposals(session, entry.id, lock=True):
        proposal.state, proposal.panel_reference, proposal.closed_at = "decided", reference, now
        session.add(proposal)
    audit.record(
        session,
        actor=user.user_id,
        action="entry.remove",
        subject=format_entry_id(entry.id or 0),
        now=now,
        details={"status": str(status), "panel_reference": reference, "reason": reason},
    )
    return entry


def _record_panel_decision(session: Session, reference: str, user_id: str, now: dt.datetime) -> None:
    """The Panel decision a removal or reinstatement cites, recorded the first time it is cited."""
    if session.get(PanelDecision, reference) is None:
        session.add(PanelDecision(reference=reference, recorded_by=user_id, recorded_at=now))


def reinstate(
    session: Session,
    entry_ref: str | int,
    panel_reference: str,
    user_id: str,
    now: dt.datetime,
    reason: str = "",
) -> Entry:
    """SECAS records the Panel's decision to put a removed entry back on the list (Active again): the
    next extract carries it as restored, and the DCC gives its suspended Devices their status back.

    Refused without the Panel reference, for an entry that is Active, and for one whose standard CPA
    certificate has expired (record a renewed certificate first: an expired CPA cannot be Active).
    """
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    reference = lifecycle.panel_reference(panel_reference)
    entry = get_entry(session, entry_ref, lock=True)
    entry_id = format_entry_id(entry.id or 0)
    if entry.status == EntryStatus.ACTIVE:
        raise errors.EntryStatusError(f"{entry_id} is Active already: only a removed entry can be reinstated.")
    if entry.cpa_expiry is not None and entry.cpa_expiry < now.date():
        raise errors.EntryStatusError(
            f"{entry_id}'s CPA certificate expired on {entry.cpa_expiry}: it cannot be Active again until a "
            "renewed certificate is recorded."
        )
    _record_panel_decision(session, reference, user.user_id, now)
    was = entry.status
    entry.status, entry.status_since, entry.panel_reference = EntryStatus.ACTIVE, now.date(), reference
    session.add(entry)
    record_status(session, entry, reason or f"reinstated by Panel decision {reference}", user.user_id, now)
    audit.record(
        session,
        actor=user.user_id,
        action="entry.reinstate",
        subject=entry_id,
        now=now,
        details={"was": str(was), "panel_reference": reference, "reason": reason},
    )
    return entry


def open_proposals(session: Session, entry_id: int | None = None, *, lock: bool = False) -> list[RemovalProposal]:
    """The open proposals (of one entry); ``lock`` holds their rows, read afresh, until the transaction
    ends: a proposal dismissed meanwhile is then no longer open (PostgreSQL re-checks a locked row)."""
    query = select(RemovalProposal).where(RemovalProposal.state == "open").order_by(col(RemovalProposal.id))
    if entry_id is not None:
        query = query.where(RemovalProposal.entry_id == entry_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.exec(query).all())


def propose_removal(
    session: Session, entry: Entry, reason: str, status: EntryStatus, by: str, now: dt.datetime
) -> RemovalProposal | None:
    """A removal for the Panel to decide; never a removal itself. One open proposal per entry and reason."""
    assert entry.id is not None
    for proposal in open_proposals(session, entry.id):
        if proposal.reason == reason:
            return None
    proposal = RemovalProposal(
        entry_id=entry.id, reason=reason, proposed_status=status, proposed_at=now, proposed_by=by
    )
    session.add(proposal)
    return proposal


def _certificate(session: Session, scheme: AssuranceScheme, number: str) -> Certificate:
    cert = session.exec(select(Certificate).where(Certificate.scheme == scheme, Certificate.number == number)).first()
    if cert is None:
        raise errors.UnknownCertificateError(f"There is no {scheme} certificate {number!r} on record.")
    return cert


def entries_using(session: Session, scheme: AssuranceScheme, number: str) -> list[Entry]:
    column = getattr(Entry, CERTIFICATE_FIELD[scheme])
    return list(
        session.exec(
            select(Entry).where(column == number, Entry.status == EntryStatus.ACTIVE).order_by(col(Entry.id))
        ).all()
    )


def revoke_certificate(
    session: Session,
    scheme: AssuranceScheme,
    number: str,
    reason: str,
    user_id: str,
    now: dt.datetime,
) -> list[RemovalProposal]:
    """Record a revocation; every Active entry relying on it becomes a removal proposal for the Panel."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    cert = _certificate(session, scheme, number)
    if cert.revoked_at is not None:
        raise errors.EntryStatusError(f"{scheme} certificate {number} was already revoked.")
    cert.revoked_at, cert.revoked_reason = now, reason
    session.add(cert)
    audit.record(
        session,
        actor=user.user_id,
        action="certificate.revoke",
        subject=f"{scheme}:{number}",
        now=now,
        details={"reason": reason},
    )
    proposals = []
    for entry in entries_using(session, scheme, number):
        proposal = propose_removal(
            session, entry, f"{scheme} certificate {number} revoked: {reason}", EntryStatus.WITHDRAWN, user.user_id, now
        )
        if proposal is not None:
            proposals.append(proposal)
    session.flush()
    return proposals


def record_conditions_met(
    session: Session, number: str, user_id: str, now: dt.datetime, new_conditional_date: dt.date | None = None
) -> Certificate:
    """SECAS records that a conditional CPA certificate's conditions are met, or that its period was extended."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    cert = _certificate(session, AssuranceScheme.CPA, number)
    if new_conditional_date is not None:
        cert.conditional_date = new_conditional_date
    else:
        cert.conditions_met = True
    session.add(cert)
    audit.record(
        session,
        actor=user.user_id,
        action="certificate.conditions",
        subject=f"CPA:{number}",
        now=now,
        details={"conditions_met": cert.conditions_met, "conditional_date": cert.conditional_date},
    )
    return cert
