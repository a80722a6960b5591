"""Lifetime CPA certificates in the expiry plan (CONTRACT.md 4.1, MP209): a renewal date reached removes
nothing, and the plan goes on to every other entry."""

from __future__ import annotations

import datetime as dt

from cpl.core.domain import CpaDates
from cpl.core.expiry import CpaFacts, plan_expiry


def facts(entry_id: str, end: dt.date, *, lifetime: bool = False) -> CpaFacts:
    return CpaFacts(
        entry_id=entry_id,
        party_id="ACME",
        device_model="Acme G4 (106C/4331/00AC/9001)",
        certificate=f"CPA-{entry_id}",
        dates=CpaDates(expiry=end, conditional_date=None, conditions_met=False),
        lifetime=lifetime,
    )


def test_a_lifetime_certificate_past_renewal_does_not_stop_the_plan_for_the_entries_after_it() -> None:
    as_of = dt.date(2027, 1, 1)
    entries = [
        facts("CPL-000001", dt.date(2026, 6, 30), lifetime=True),  # renewal date passed: nothing owed
        facts("CPL-000002", dt.date(2027, 6, 30)),  # ends within 6 months: both notices owed
        facts("CPL-000003", dt.date(2026, 12, 1)),  # ended: a removal proposal
    ]
    plan = plan_expiry(entries, already_notified=(), already_proposed=(), as_of=as_of)
    assert [(n.facts.entry_id, n.months_before) for n in plan.notices] == [("CPL-000002", 12), ("CPL-000002", 6)]
    assert [p.entry_id for p in plan.proposals] == ["CPL-000003"]
