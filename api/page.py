"""What the public page shows of the published CPL: pure functions over its entries and a date.

Search is text over the entry id, manufacturer, model, the identifiers and the certificate numbers;
the filters are choices (any case). The list is sorted by one column and shown a page at a time; the
downloads take the same filters and sort, never the page. An entry is marked when its CPA
certificate ends (a standard ``[E]`` one) or falls due for renewal (a lifetime ``[R]`` one) within
the notice horizon (12 months).
"""

from __future__ import annotations

import datetime as dt
import math
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cpl.core.domain import CpaKind, expires_within_notice_horizon
from formats.extract import ExtractEntry
from formats.vocabulary import EntryStatus, PhysicalDeviceType

#: The choices the filters offer, in the order people expect them (the domain's own order).
DEVICE_TYPES: tuple[str, ...] = tuple(t.value for t in PhysicalDeviceType)
STATUSES: tuple[str, ...] = tuple(s.value for s in EntryStatus)

#: How many entries a page shows: the choices offered, and the one used when none is asked for.
PER_PAGE_CHOICES: tuple[int, ...] = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 50

ASCENDING, DESCENDING = "asc", "desc"


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class CpaEnd:
    """When an entry's CPA certificate stops counting: its expiry, or a lifetime certificate's renewal date."""

    date: dt.date
    lifetime: bool

    @property
    def kind(self) -> str:
        return "renewal" if self.lifetime else "expiry"


def cpa_end(entry: ExtractEntry) -> CpaEnd | None:
    """The entry's CPA end date, or None when it names no dated CPA certificate (SMETS1, PPMID)."""
    if entry.attributes.get("cpa_certificate_kind") == CpaKind.LIFETIME:
        renewal = _date(entry.attributes.get("cpa_renewal_date"))
        return CpaEnd(renewal, lifetime=True) if renewal is not None else None
    expiry = _date(entry.cpa_expiry)
    return CpaEnd(expiry, lifetime=False) if expiry is not None else None


def ends_within_notice_horizon(entry: ExtractEntry, today: dt.date) -> bool:
    """An Active entry whose CPA ends, or falls due for renewal, within the next 12 months."""
    end = cpa_end(entry)
    return entry.is_active and end is not None and expires_within_notice_horizon(end.date, today)


# --- sorting ---------------------------------------------------------------------------------------

_FAR = dt.date.max


def _cpa_key(entry: ExtractEntry) -> dt.date:
    end = cpa_end(entry)
    return end.date if end is not None else _FAR  # no CPA date sorts after every date


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    value: Callable[[ExtractEntry], Any]


#: The columns the list can be sorted by, in the table's order, by their query value.
SORT_COLUMNS: Mapping[str, SortColumn] = {
    column.key: column
    for column in (
        SortColumn("entry", "Entry", lambda e: e.entry_id),
        SortColumn("type", "Physical Device Type", lambda e: e.physical_device_type.casefold()),
        SortColumn("manufacturer", "Manufacturer", lambda e: e.manufacturer.casefold()),
        SortColumn("model", "Model", lambda e: e.model.casefold()),
        SortColumn("hardware", "Hardware", lambda e: e.hardware_version.casefold()),
        SortColumn("firmware", "Firmware", lambda e: e.firmware_version.casefold()),
        SortColumn("specification", "Specification", lambda e: e.technical_specification.casefold()),
        SortColumn("gbcs", "GBCS", lambda e: (e.gbcs_version or "").casefold()),
        SortColumn("cpa", "CPA expiry", _cpa_key),
        SortColumn("status", "Status", lambda e: e.status),
    )
}
DEFAULT_SORT = "entry"


# --- the query -------------------------------------------------------------------------------------


def _choice(value: str, choices: Iterable[str]) -> str:
    """The choice ``value`` names in any case, or ``value`` itself when it names none."""
    folded = value.casefold()
    return next((choice for choice in choices if choice.casefold() == folded), value)


@dataclass(frozen=True)
class ListFilter:
    """What selects and orders entries: the page's form and the downloads share it."""

    q: str = ""
    device_type: str = ""
    manufacturer: str = ""
    status: str = ""
    sort: str = DEFAULT_SORT
    order: str = ASCENDING

    @classmethod
    def of(
        cls,
        q: str | None = None,
        device_type: str | None = None,
        manufacturer: str | None = None,
        status: str | None = None,
        sort: str | None = None,
        order: str | None = None,
    ) -> ListFilter:
        """Trimmed; a type or status in any case is its choice; an unknown sort is the default one."""
        q, device_type, manufacturer, status = ((v or "").strip() for v in (q, device_type, manufacturer, status))
        sort = (sort or "").strip().casefold()
        return cls(
            q=q,
            device_type=_choice(device_type, DEVICE_TYPES),
            manufacturer=manufacturer,
            status=_choice(status, STATUSES),
            sort=sort if sort in SORT_COLUMNS else DEFAULT_SORT,
            order=DESCENDING if (order or "").strip().casefold() == DESCENDING else ASCENDING,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.device_type or self.manufacturer or self.status)

    def params(self) -> dict[str, str]:
        """The query parameters that differ from the defaults, in a stable order."""
        values = {
            "q": self.q,
            "device_type": self.device_type,
            "manufacturer": self.manufacturer,
            "status": self.status,
            "sort": "" if self.sort == DEFAULT_SORT else self.sort,
            "order": "" if self.order == ASCENDING else self.order,
        }
        return {key: value for key, value in values.items() if value}

    def unknown_choice(self) -> str | None:
        """A sentence naming a type or status that is none of the choices, else None."""
        if self.device_type and self.device_type not in DEVICE_TYPES:
            return f"{self.device_type!r} is not a Physical Device Type: expected one of {', '.join(DEVICE_TYPES)}."
        if self.status and self.status not in STATUSES:
            return f"{self.status!r} is not a CPL entry status: expected one of {', '.join(STATUSES)}."
        return None


@dataclass(frozen=True)
class PageQuery(ListFilter):
    """The page's GET parameters: the filter and sort, and which page of how many entries."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def of_page(cls, list_filter: ListFilter, page: int | None = None, per_page: int | None = None) -> PageQuery:
        size = per_page if per_page in PER_PAGE_CHOICES else DEFAULT_PER_PAGE
        return cls(**vars(list_filter), page=max(1, page or 1), per_page=size)

    @property
    def list_filter(self) -> ListFilter:
        return ListFilter(self.q, self.device_type, self.manufacturer, self.status, self.sort, self.order)

    def params(self) -> dict[str, str]:
        values = super().params()
        if self.per_page != DEFAULT_PER_PAGE:
            values["per_page"] = str(self.per_page)
        if self.page != 1:
            values["page"] = str(self.page)
        return values

    def link(self, path: str = "/", **changes: Any) -> str:
        """This query with ``changes``, as a link (only the parameters that differ from the defaults)."""
        params = replace(self, **changes).params()
        return path + ("?" + urllib.parse.urlencode(params) if params else "")

    def sort_link(self, column: str) -> str:
        """Sort by ``column`` from the first page: ascending, or the other way when it is the sort already."""
        order = (DESCENDING if self.order == ASCENDING else ASCENDING) if column == self.sort else ASCENDING
        return self.link(sort=column, order=order, page=1)

    def aria_sort(self, column: str) -> str | None:
        if column != self.sort:
            return None
        return "ascending" if self.order == ASCENDING else "descending"


def download_link(path: str, list_filter: ListFilter) -> str:
    """A download of the list the page shows: its filter and sort, every page."""
    params = ListFilter.params(list_filter)
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


# --- selecting -------------------------------------------------------------------------------------


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
            *(number for number in entry.certificates.values() if number),
        )
    ).casefold()


def matches(entry: ExtractEntry, query: ListFilter) -> bool:
    if query.device_type and entry.physical_device_type.casefold() != query.device_type.casefold():
        return False
    if query.manufacturer and entry.manufacturer.casefold() != query.manufacturer.casefold():
        return False
    if query.status and entry.status.casefold() != query.status.casefold():
        return False
    if query.q:
        haystack = _haystack(entry)
        return all(word in haystack for word in query.q.casefold().split())
    return True


def select_entries(entries: Iterable[ExtractEntry], query: ListFilter) -> list[ExtractEntry]:
    """The entries the filter selects, in its sort order (ties by entry id, so the order is stable)."""
    selected = sorted((e for e in entries if matches(e, query)), key=lambda e: e.entry_id)
    column = SORT_COLUMNS[query.sort]
    return sorted(selected, key=column.value, reverse=query.order == DESCENDING)


def manufacturers(entries: Iterable[ExtractEntry]) -> list[str]:
    return sorted({e.manufacturer for e in entries}, key=str.casefold)


@dataclass(frozen=True)
class Paged:
    """One page of the selected entries: which page, of how many, and the entries' positions."""

    entries: Sequence[ExtractEntry]
    page: int
    pages: int
    matching: int
    first: int  # 1-based position of the page's first entry; 0 when nothing matches
    last: int

    def window(self, around: int = 2) -> list[int]:
        """The page numbers to link: the first, the last, and those near this one."""
        near = range(max(1, self.page - around), min(self.pages, self.page + around) + 1)
        return sorted({1, self.pages, *near})


def paginate(selected: Sequence[ExtractEntry], page: int, per_page: int) -> Paged:
    """Page ``page`` of ``selected``; a page past the end is the last page."""
    pages = max(1, math.ceil(len(selected) / per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    shown = selected[start : start + per_page]
    return Paged(
        entries=shown,
        page=page,
        pages=pages,
        matching=len(selected),
        first=start + 1 if shown else 0,
        last=start + len(shown),
    )


@dataclass(frozen=True)
class UpcomingExpiry:
    entry: ExtractEntry
    expiry: dt.date
    days_left: int
    lifetime: bool = False


def upcoming_expiries(entries: Sequence[ExtractEntry], today: dt.date) -> list[UpcomingExpiry]:
    """Active entries whose CPA certificate ends, or falls due for renewal, within 12 months, soonest first."""
    upcoming = []
    for entry in entries:
        end = cpa_end(entry)
        if end is not None and ends_within_notice_horizon(entry, today):
            upcoming.append(UpcomingExpiry(entry, end.date, (end.date - today).days, end.lifetime))
    return sorted(upcoming, key=lambda u: (u.expiry, u.entry.entry_id))
