"""The CPA expiry job (cron): notices 12 and 6 months ahead, removal proposals once a CPA has ended.

The rule is `cpl.core.expiry.plan_expiry`; this is the thin shell: read the facts, plan, propose,
queue, record in the audit log, all in the caller's one transaction. Delivery of the queued notices
follows the commit (``cpl.mailer.deliver_queued``), so a mail server that is down loses nothing:
the notices stay queued and the next run (or ``cpl notices send``) sends them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from cpl import audit, mailer
from cpl.core import notices
from cpl.core.domain import CpaDates, CpaKind, format_entry_id
from cpl.core.expiry import CpaFacts, NoticeKey, OwedNotice, plan_expiry
from cpl.services.entries import propose_removal
from cpl.store import Certificate, Entry, Party, RemovalProposal, SentNotice
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


@dataclass
class ExpiryRun:
    as_of: dt.date
    queued: list[SentNotice] = field(default_factory=list)
    #: Notices owed to a party with no email address: not queued, so owed again by the next run.
    unaddressed: list[tuple[str, str, int]] = field(default_factory=list)  # (entry id, party id, months)
    proposals: list[RemovalProposal] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return bool(self.queued or self.proposals)

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


def run_expiry(session: Session, as_of: dt.date, now: dt.datetime, actor: str = ACTOR) -> ExpiryRun:
    """Plan as of ``as_of`` and do it in the caller's transaction: proposals, queued notices, an audit event."""
    by_id, facts, undated = load_facts(session)
    plan = plan_expiry(
        facts, already_notified=notified_keys(session), already_proposed=proposed_reasons(session), as_of=as_of
    )
    run = ExpiryRun(as_of=as_of, undated=undated)
    for removal in plan.proposals:
        proposal = propose_removal(session, by_id[removal.entry_id], removal.reason, EntryStatus.EXPIRED, actor, now)
        if proposal is not None:
            run.proposals.append(proposal)
    for owed in plan.notices:
        f = owed.facts
        notice = (
            notices.cpa_renewal_notice(
                entry_id=f.entry_id,
                device_model=f.device_model,
                months_before=owed.months_before,
                renewal_date=f.dates.expiry,
                certificate=f.certificate,
                as_of=as_of,
            )
            if f.lifetime
            else _expiry_notice(owed, as_of)
        )
        party = session.get(Party, f.party_id)
        queued = mailer.queue(session, notice, [party] if party is not None else [], now)
        if queued:
            run.queued.extend(queued)
        else:
            run.unaddressed.append((f.entry_id, f.party_id, owed.months_before))
    session.flush()
    if run.did_something:
        audit.record(
            session,
            actor=actor,
            action="expiry.run",
            subject=f"as-of:{as_of.isoformat()}",
            now=now,
            details={
                "notices": [{"kind": n.kind, "ref": n.subject_ref, "party": n.party_id} for n in run.queued],
                "proposals": [
                    {"entry": format_entry_id(p.entry_id), "reason": p.reason, "status": p.proposed_status}
                    for p in run.proposals
                ],
            },
        )
    return run
