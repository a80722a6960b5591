"""The CPL's vocabulary as plain typed values and tables of data.

Nothing here does I/O or reads a clock: every rule that depends on time takes the date it is
judged at. The tables (which certificates a Physical Device Type needs, when notices fall due)
live here once, as data; the words the DCC shares (Physical Device Types, entry statuses,
assurance schemes, which types the CPL controls) come from `formats.vocabulary`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from formats.vocabulary import AssuranceScheme, PhysicalDeviceType


class SubmissionType(StrEnum):
    NEW = "New"
    FIRMWARE_UPDATE = "Firmware Update"
    SMETS1 = "SMETS1"


class CpaKind(StrEnum):
    """A CPA certificate's kind, as the SEC list prefixes its number (CONTRACT.md 4.1).

    A standard certificate's date is its expiry; a lifetime certificate (MP209) has a renewal date
    instead, and reaching it never removes an entry.
    """

    STANDARD = "standard"
    LIFETIME = "lifetime"

    @property
    def prefix(self) -> str:
        return "[E] " if self is CpaKind.STANDARD else "[R] "


#: The CPA prefixes the SEC writes before a certificate number, by their letter.
CPA_PREFIX_LETTERS: Mapping[str, CpaKind] = {"E": CpaKind.STANDARD, "R": CpaKind.LIFETIME}


class PartyRole(StrEnum):
    MANUFACTURER = "manufacturer"
    SUPPLIER = "supplier"
    DCC = "dcc"
    SECAS = "secas"


_Z, _C, _D = AssuranceScheme.ZIGBEE, AssuranceScheme.CPA, AssuranceScheme.DLMS
_T = PhysicalDeviceType

#: Assurance certificates each Physical Device Type needs (SMETS / CHTS; seed 003 "Assurance Certificates").
REQUIRED_CERTIFICATES: Mapping[PhysicalDeviceType, frozenset[AssuranceScheme]] = {
    _T.COMMUNICATIONS_HUB: frozenset({_Z, _C}),
    _T.SINGLE_ELEMENT_ELECTRICITY_METER: frozenset({_Z, _C, _D}),
    _T.TWIN_ELEMENT_ELECTRICITY_METER: frozenset({_Z, _C, _D}),
    _T.POLYPHASE_ELECTRICITY_METER: frozenset({_Z, _C, _D}),
    _T.GAS_SMART_METER: frozenset({_Z, _C}),
    _T.PPMID: frozenset({_Z}),
    _T.HCALCS: frozenset({_Z, _C}),
    _T.IHD: frozenset(),
    _T.TYPE_2_DEVICE_OTHER: frozenset(),
}

#: SMETS1 entries carry no assurance certificate: a compliance statement and DCC testing stand in for
#: the CPA certificate (DOMAIN.md), and the SEC's own list requires the CPA, DLMS and ZSE certificate
#: fields of a SMETS1 Device Model to be empty (CPL 2.051, conditionality rules).
SMETS1_EXEMPT_SCHEMES: frozenset[AssuranceScheme] = frozenset({_C, _D, _Z})

#: Months before a CPA certificate's effective end at which the submitting party is notified.
CPA_NOTICE_MONTHS: tuple[int, ...] = (12, 6)


def required_schemes(device_type: PhysicalDeviceType, submission_type: SubmissionType) -> frozenset[AssuranceScheme]:
    """The certificates a row of this type and submission type must name."""
    required = REQUIRED_CERTIFICATES[device_type]
    if submission_type is SubmissionType.SMETS1:
        return required - SMETS1_EXEMPT_SCHEMES
    return required


class DeviceModelKey(NamedTuple):
    """A Device Model without its firmware: what a firmware update must already have on the CPL."""

    physical_device_type: PhysicalDeviceType
    manufacturer_id: str
    model_id: str
    hardware_version: str


class EntryIdentity(NamedTuple):
    """What makes two CPL entries the same (CONTRACT.md 4.1).

    The type is part of it (two types may share hardware), and so are the technical specification
    and GBCS version: the SEC list holds one Device Model and firmware under two SMETS/CHTS and GBCS
    versions as two real entries. Versions are the registry's spelling (``SpecVersion.version``).
    """

    physical_device_type: PhysicalDeviceType
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_version: str
    technical_specification: str
    gbcs_version: str | None

    @property
    def device_model(self) -> DeviceModelKey:
        return DeviceModelKey(*self[:4])


@dataclass(frozen=True)
class CpaDates:
    """The dates a CPA certificate carries (MP209 added the renewal date)."""

    expiry: dt.date
    conditional_date: dt.date | None = None
    conditions_met: bool = False
    renewal_date: dt.date | None = None


def cpa_effective_expiry(cpa: CpaDates) -> dt.date:
    """The day a CPA certificate stops counting.

    A conditional certificate is revoked at its conditional date unless its conditions are recorded
    as met; an extended conditional period is simply a later conditional date.
    """
    if cpa.conditional_date is not None and not cpa.conditions_met:
        return min(cpa.expiry, cpa.conditional_date)
    return cpa.expiry


def cpa_has_lapsed(cpa: CpaDates, as_of: dt.date) -> bool:
    """True once the effective end has been reached: a certificate valid *until* a date ends on it."""
    return as_of >= cpa_effective_expiry(cpa)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic, clamping to the month's last day (31 Aug - 6 months = 28/29 Feb)."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def notice_date(effective_expiry: dt.date, months_before: int) -> dt.date:
    return add_months(effective_expiry, -months_before)


def due_cpa_notices(effective_expiry: dt.date, as_of: dt.date) -> tuple[int, ...]:
    """The notice windows (in months before expiry) that have opened by ``as_of``, before expiry.

    The caller remembers which it has sent; a late run still owes every window that has opened.
    """
    if as_of >= effective_expiry:
        return ()
    return tuple(m for m in CPA_NOTICE_MONTHS if as_of >= notice_date(effective_expiry, m))


def expires_within_notice_horizon(effective_expiry: dt.date, as_of: dt.date) -> bool:
    """True when the CPA ends within the widest notice window (12 months) of ``as_of``."""
    return as_of < effective_expiry and as_of >= notice_date(effective_expiry, max(CPA_NOTICE_MONTHS))


def format_entry_id(number: int) -> str:
    return f"CPL-{number:06d}"
