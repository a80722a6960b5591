"""What the public page shows of the published CPL: pure functions over its entries and a date.

Search is text over manufacturer, model and the identifiers; the filters are exact choices.
The CPA expiries listed are those of Active entries ending within the notice horizon (12 months).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cpl.core.domain import expires_within_notice_horizon
from formats.extract import ExtractEntry
from formats.vocabulary import EntryStatus, PhysicalDeviceType

#: The choices the filters offer, in the order people expect them (the domain's own order).
DEVICE_TYPES: tuple[str, ...] = tuple(t.value for t in PhysicalDeviceType)
STATUSES: tuple[str, ...] = tuple(s.value for s in EntryStatus)


@dataclass(frozen=True)
class PageQuery:
    """The page's GET parameters, trimmed; an empty value means no filter."""

    q: str = ""
    device_type: str = ""
    manufacturer: str = ""
    status: str = ""

    @classmethod
    def of(cls, q: str | None, device_type: str | None, manufacturer: str | None, status: str | None) -> PageQuery:
        return cls(*((value or "").strip() for value in (q, device_type, manufacturer, status)))

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.device_type or self.manufacturer or self.status)


def _haystack(entry: ExtractEntry) -> str:
    return " ".join(
        (
            entry.entry_id,
            entry.manufacturer,
            entry.manufacturer_id,
            entry.model,
            entry.model_id,
            entry.hardware_version,
            entry.firmware_version,
        )
    ).casefold()


def matches(entry: ExtractEntry, query: PageQuery) -> bool:
    if query.device_type and entry.physical_device_type != query.device_type:
        return False
    if query.manufacturer and entry.manufacturer != query.manufacturer:
        return False
    if query.status and entry.status != query.status:
        return False
    if query.q:
        haystack = _haystack(entry)
        return all(word in haystack for word in query.q.casefold().split())
    return True


def select_entries(entries: Iterable[ExtractEntry], query: PageQuery) -> list[ExtractEntry]:
    return [e for e in entries if matches(e, query)]


def manufacturers(entries: Iterable[ExtractEntry]) -> list[str]:
    return sorted({e.manufacturer for e in entries}, key=str.casefold)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class UpcomingExpiry:
    entry: ExtractEntry
    expiry: dt.date
    days_left: int


def upcoming_expiries(entries: Sequence[ExtractEntry], today: dt.date) -> list[UpcomingExpiry]:
    """Active entries whose CPA certificate ends within the next 12 months, soonest first."""
    upcoming = []
    for entry in entries:
        expiry = _date(entry.cpa_expiry)
        if entry.is_active and expiry is not None and expires_within_notice_horizon(expiry, today):
            upcoming.append(UpcomingExpiry(entry, expiry, (expiry - today).days))
    return sorted(upcoming, key=lambda u: (u.expiry, u.entry.entry_id))
