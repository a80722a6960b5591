"""The CPA expiry rule, pure: which notices are owed and which removals to propose, as of a date.

``plan_expiry`` takes Active entries with their CPA facts, what was already notified and proposed,
and the date judged at; it returns the notices owed and the proposals to make. Each notice is owed
once per (entry, window, effective end date): a run that is months late still owes every window
that has opened, once; a run that comes again owes nothing more; an end date that moves (a
conditional period extended, conditions met, a renewal) owes its notices afresh.

A lifetime certificate's renewal date owes renewal notices in the same windows and never a
proposal. An entry whose CPA has ended is never removed here: it becomes a removal proposal for the SEC
Panel, once. The job that reads the store and acts on the plan is `cpl.services.expiry`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cpl.core.domain import CpaDates, cpa_effective_expiry, cpa_has_lapsed, due_cpa_notices


@dataclass(frozen=True)
class CpaFacts:
    """What the job knows of one Active entry's CPA certificate: the entry's dates, the record's facts."""

    entry_id: str
    party_id: str
    device_model: str
    certificate: str
    dates: CpaDates
    #: A lifetime certificate (the SEC's "[R] "): ``dates.expiry`` holds its renewal date, which owes
    #: renewal notices and never a removal.
    lifetime: bool = False

    @property
    def effective_end(self) -> dt.date:
        return cpa_effective_expiry(self.dates)

    @property
    def ends_at_conditional_date(self) -> bool:
        d = self.dates
        return d.conditional_date is not None and not d.conditions_met and self.effective_end == d.conditional_date


class NoticeKey(NamedTuple):
    """What makes a CPA notice the same notice: entry, window, the date it warns of, and whether that is
    a renewal (a lifetime certificate) or an end."""

    entry_id: str
    months_before: int
    effective_end: dt.date
    renewal: bool = False


@dataclass(frozen=True)
class OwedNotice:
    facts: CpaFacts
    months_before: int

    @property
    def key(self) -> NoticeKey:
        return NoticeKey(self.facts.entry_id, self.months_before, self.facts.effective_end, self.facts.lifetime)


@dataclass(frozen=True)
class RemovalToPropose:
    entry_id: str
    reason: str
    ended_on: dt.date


@dataclass(frozen=True)
class ExpiryPlan:
    notices: tuple[OwedNotice, ...]
    proposals: tuple[RemovalToPropose, ...]


def lapse_reason(facts: CpaFacts) -> str:
    """Why the entry is proposed for removal, naming the certificate and the date (stable across runs)."""
    end = facts.effective_end.isoformat()
    if facts.ends_at_conditional_date:
        return (
            f"CPA certificate {facts.certificate} reached its conditional date {end} "
            "without its conditions recorded as met"
        )
    return f"CPA certificate {facts.certificate} expired on {end}"


def plan_expiry(
    entries: Iterable[CpaFacts],
    *,
    already_notified: Collection[NoticeKey],
    already_proposed: Collection[tuple[str, str]],
    as_of: dt.date,
) -> ExpiryPlan:
    """The notices owed and the removals to propose as of ``as_of``, given what was done before.

    ``already_notified`` holds every CPA notice queued or sent; ``already_proposed`` every removal
    proposal as (entry id, reason), whatever the Panel did with it, so none is made twice.
    """
    owed: list[OwedNotice] = []
    proposals: list[RemovalToPropose] = []
    notified = set(already_notified)
    for facts in sorted(entries, key=lambda f: f.entry_id):
        if facts.lifetime and cpa_has_lapsed(facts.dates, as_of):
            continue  # a renewal date reached removes nothing (MP209)
        if cpa_has_lapsed(facts.dates, as_of):
            reason = lapse_reason(facts)
            if (facts.entry_id, reason) not in already_proposed:
                proposals.append(RemovalToPropose(facts.entry_id, reason, facts.effective_end))
            continue
        for months in sorted(due_cpa_notices(facts.effective_end, as_of), reverse=True):
            notice = OwedNotice(facts, months)
            if notice.key not in notified:
                notified.add(notice.key)
                owed.append(notice)
    return ExpiryPlan(tuple(owed), tuple(proposals))
