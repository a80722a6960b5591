"""The CPA expiry job (cron): notices 12 and 6 months ahead, removal proposals once a CPA has ended.

The rule is `cpl.core.expiry.plan_expiry`; this is the thin shell: read the facts, plan, propose,
queue, record in the audit log, all in the caller's one transaction. Delivery of the queued notices
follows the commit (``cpl.mailer.deliver_queued``), so a mail server that is down loses nothing:
the notices stay queued and the next run (or ``cpl notices send``) sends them.

``plan_run`` is the reading half alone: what a run would send and propose, changing nothing (the
command's dry run, for any date but today).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from cpl import audit, mailer
from cpl.core import notices
from cpl.core.domain import CpaDates, CpaKind, format_entry_id
from cpl.core.expiry import CpaFacts, NoticeKey, OwedNotice, RemovalToPropose, plan_expiry
from cpl.services.entries import propose_removal
from cpl.store import Certificate, Entry, MissingAddressReport, Party, RemovalProposal, SentNotice
from formats.vocabulary import AssuranceScheme, EntryStatus

ACTOR = "expiry-job"

# --- the shell -------------------------------------------------------------------------------------


def describe_device_model(entry: Entry) -> str:
    return (
        f"{entry.physical_device_type}: {entry.manufacturer} {entry.model} (manufacturer {entry.manufacturer_id}, "
        f"model {entry.model_id}, hardware {entry.hardware_version}, firmware {entry.firmware_version})"
    )


def cpa_facts(entry: Entry, certificate: Certificate | None) -> CpaFacts | None:
    """The entry's CPA dates with the certificate on record (conditions met, an extended conditional
    date, a renewal date) taking precedence; None when no expiry date is known at all."""
    if entry.cpa_certificate is None:
        return None
    if entry.cpa_kind == CpaKind.LIFETIME:
        if entry.cpa_renewal_date is None:
            return None
        return CpaFacts(
            entry_id=format_entry_id(entry.id or 0),
            party_id=entry.submitting_party_id,
            device_model=describe_device_model(entry),
            certificate=entry.cpa_certificate,
            dates=CpaDates(expiry=entry.cpa_renewal_date),
            lifetime=True,
        )
    expiry = (certificate.expiry if certificate else None) or entry.cpa_expiry
    if expiry is None:
        return None
    conditional = (certificate.conditional_date if certificate else None) or entry.cpa_conditional_date
    return CpaFacts(
        entry_id=format_entry_id(entry.id or 0),
        party_id=entry.submitting_party_id,
        device_model=describe_device_model(entry),
        certificate=entry.cpa_certificate,
        dates=CpaDates(
            expiry=expiry,
            conditional_date=conditional,
            conditions_met=certificate.conditions_met if certificate else False,
            renewal_date=certificate.renewal_date if certificate else None,
        ),
    )


def load_facts(session: Session) -> tuple[dict[str, Entry], list[CpaFacts], list[str]]:
    """Active entries with a CPA certificate: by entry id, their facts, and the ids with no date to go on.

    An entry whose CPA certificate was revoked is left out: revocation already proposed its removal.
    """
    certificates = {
        c.number: c for c in session.exec(select(Certificate).where(Certificate.scheme == AssuranceScheme.CPA)).all()
    }
    entries = session.exec(
        select(Entry)
        .where(Entry.status == EntryStatus.ACTIVE, col(Entry.cpa_certificate).is_not(None))
        .order_by(col(Entry.id))
    ).all()
    by_id: dict[str, Entry] = {}
    facts: list[CpaFacts] = []
    undated: list[str] = []
    for entry in entries:
        certificate = certificates.get(entry.cpa_certificate or "")
        if certificate is not None and certificate.revoked_at is not None:
            continue
        entry_facts = cpa_facts(entry, certificate)
        entry_id = format_entry_id(entry.id or 0)
        if entry_facts is None:
            undated.append(entry_id)
            continue
        by_id[entry_id] = entry
        facts.append(entry_facts)
    return by_id, facts, undated


def notified_keys(session: Session) -> set[NoticeKey]:
    """Every CPA notice queued or sent, to any party, as the key the rule counts it by."""
    keys: set[NoticeKey] = set()
    for kind, ref in session.exec(select(SentNotice.kind, SentNotice.subject_ref)).all():
        renewal_months = notices.cpa_renewal_months(kind)
        months = notices.cpa_expiry_months(kind) if renewal_months is None else renewal_months
        entry_id, _, end = ref.partition("@")
        if months is None or not end:
            continue
        try:
            keys.add(NoticeKey(entry_id, months, dt.date.fromisoformat(end), renewal_months is not None))
        except ValueError:
            continue
    return keys


def proposed_reasons(session: Session) -> set[tuple[str, str]]:
    return {
        (format_entry_id(entry_id), reason)
        for entry_id, reason in session.exec(select(RemovalProposal.entry_id, RemovalProposal.reason)).all()
    }


@dataclass(frozen=True)
class PlannedNotice:
    """A CPA notice the plan owes: what it says, to whom, and the party's address (None: it has none)."""

    notice: notices.Notice
    entry_id: str
    party_id: str
    recipient: str | None
    months_before: int

    @property
    def report_key(self) -> tuple[str, str, str]:
        return (self.notice.kind, self.notice.subject_ref, self.party_id)


@dataclass(frozen=True)
class PlannedRun:
    """What a run as of ``as_of`` would do, read from the store and changing nothing (a dry run shows it)."""

    as_of: dt.date
    notices: tuple[PlannedNotice, ...]
    proposals: tuple[RemovalToPropose, ...]
    undated: tuple[str, ...]
    #: (kind, subject ref, party) of every notice already reported as owed to a party with no address.
    reported: frozenset[tuple[str, str, str]]

    @property
    def unaddressed(self) -> tuple[PlannedNotice, ...]:
        return tuple(n for n in self.notices if n.recipient is None)

    def reported_before(self, planned: PlannedNotice) -> bool:
        return planned.report_key in self.reported


@dataclass
class ExpiryRun:
    as_of: dt.date
    queued: list[SentNotice] = field(default_factory=list)
    #: Notices owed to a party with no email address: not queued, so owed again by the next run.
    unaddressed: list[tuple[str, str, int]] = field(default_factory=list)  # (entry id, party id, months)
    #: Those of ``unaddressed`` this run is the first to report (each is reported once, then only owed).
    first_reported: list[tuple[str, str, int]] = field(default_factory=list)
    proposals: list[RemovalProposal] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return bool(self.queued or self.proposals or self.first_reported)

    def queued_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for notice in self.queued:
            counts[notice.kind] = counts.get(notice.kind, 0) + 1
        return counts


def _expiry_notice(owed: OwedNotice, as_of: dt.date) -> notices.Notice:
    f = owed.facts
    return notices.cpa_expiry_notice(
        entry_id=f.entry_id,
        device_model=f.device_model,
        months_before=owed.months_before,
        effective_end=f.effective_end,
        certificate=f.certificate,
        expiry=f.dates.expiry,
        conditional_date=f.dates.conditional_date,
        conditions_met=f.dates.conditions_met,
        renewal_date=f.dates.renewal_date,
        as_of=as_of,
    )


def _notice_of(owed: OwedNotice, as_of: dt.date) -> notices.Notice:
    f = owed.facts
    if f.lifetime:
        return notices.cpa_renewal_notice(
            entry_id=f.entry_id,
            device_model=f.device_model,
            months_before=owed.months_before,
            renewal_date=f.dates.expiry,
            certificate=f.certificate,
            as_of=as_of,
        )
    return _expiry_notice(owed, as_of)


def reported_keys(session: Session) -> frozenset[tuple[str, str, str]]:
    return frozenset(
        (kind, ref, party)
        for kind, ref, party in session.exec(
            select(MissingAddressReport.kind, MissingAddressReport.subject_ref, MissingAddressReport.party_id)
        ).all()
    )


def plan_run(session: Session, as_of: dt.date) -> PlannedRun:
    """What a run as of ``as_of`` owes, from the store as it is; reads only."""
    return _plan(session, as_of)[1]


def _plan(session: Session, as_of: dt.date) -> tuple[dict[str, Entry], PlannedRun]:
    by_id, facts, undated = load_facts(session)
    plan = plan_expiry(
        facts, already_notified=notified_keys(session), already_proposed=proposed_reasons(session), as_of=as_of
    )
    addresses = dict(session.exec(select(Party.party_id, Party.email)).all())
    planned = tuple(
        PlannedNotice(
            notice=_notice_of(owed, as_of),
            entry_id=owed.facts.entry_id,
            party_id=owed.facts.party_id,
            recipient=addresses.get(owed.facts.party_id) or None,
            months_before=owed.months_before,
        )
        for owed in plan.notices
    )
    return by_id, PlannedRun(as_of, planned, plan.proposals, tuple(undated), reported_keys(session))


def run_expiry(session: Session, as_of: dt.date, now: dt.datetime, actor: str = ACTOR) -> ExpiryRun:
    """Plan as of ``as_of`` and do it in the caller's transaction: proposals, queued notices, an audit event.

    A notice owed to a party with no email address is not queued (the next run owes it again, and
    queues it once the party has one); the first run that finds it so records it as reported, and
    only that run lists it in ``first_reported``.
    """
    by_id, planned = _plan(session, as_of)
    run = ExpiryRun(as_of=as_of, undated=list(planned.undated))
    for removal in planned.proposals:
        proposal = propose_removal(session, by_id[removal.entry_id], removal.reason, EntryStatus.EXPIRED, actor, now)
        if proposal is not None:
            run.proposals.append(proposal)
    for owed in planned.notices:
        party = session.get(Party, owed.party_id)
        queued = mailer.queue(session, owed.notice, [party] if party is not None else [], now)
        if queued:
            run.queued.extend(queued)
            continue
        missing = (owed.entry_id, owed.party_id, owed.months_before)
        run.unaddressed.append(missing)
        if not planned.reported_before(owed):
            kind, ref, party_id = owed.report_key
            session.add(MissingAddressReport(kind=kind, subject_ref=ref, party_id=party_id, reported_at=now))
            run.first_reported.append(missing)
    session.flush()
    if run.did_something:
        details: dict[str, Any] = {
            "notices": [{"kind": n.kind, "ref": n.subject_ref, "party": n.party_id} for n in run.queued],
            "proposals": [
                {"entry": format_entry_id(p.entry_id), "reason": p.reason, "status": p.proposed_status}
                for p in run.proposals
            ],
        }
        if run.first_reported:
            details["no_address"] = [{"entry": e, "party": who, "months_before": m} for e, who, m in run.first_reported]
        audit.record(
            session, actor=actor, action="expiry.run", subject=f"as-of:{as_of.isoformat()}", now=now, details=details
        )
    return run
