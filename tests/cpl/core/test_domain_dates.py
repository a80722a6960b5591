"""The CPA dates, each rule against literal calendar dates (never computed with the code under test)."""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core.domain import (
    CpaDates,
    add_months,
    cpa_effective_expiry,
    cpa_has_lapsed,
    due_cpa_notices,
    expires_within_notice_horizon,
    format_entry_id,
    notice_date,
)

EXPIRY = dt.date(2030, 1, 31)


def test_plain_cpa_certificate_ends_on_its_expiry() -> None:
    assert cpa_effective_expiry(CpaDates(expiry=EXPIRY)) == dt.date(2030, 1, 31)


def test_conditional_cpa_certificate_ends_on_its_conditional_date() -> None:
    dates = CpaDates(expiry=EXPIRY, conditional_date=dt.date(2027, 6, 1))
    assert cpa_effective_expiry(dates) == dt.date(2027, 6, 1)


def test_conditional_cpa_certificate_with_conditions_met_ends_on_its_expiry() -> None:
    dates = CpaDates(expiry=EXPIRY, conditional_date=dt.date(2027, 6, 1), conditions_met=True)
    assert cpa_effective_expiry(dates) == dt.date(2030, 1, 31)


def test_conditional_period_extended_beyond_the_expiry_still_ends_at_the_expiry() -> None:
    dates = CpaDates(expiry=EXPIRY, conditional_date=dt.date(2030, 7, 31))
    assert cpa_effective_expiry(dates) == dt.date(2030, 1, 31)


def test_conditions_met_without_a_conditional_date_changes_nothing() -> None:
    assert cpa_effective_expiry(CpaDates(expiry=EXPIRY, conditions_met=True)) == dt.date(2030, 1, 31)


def test_renewal_date_is_not_an_end() -> None:
    # MP209 lifetime certificates: the renewal date is a reminder, not when the certificate stops counting.
    assert cpa_effective_expiry(CpaDates(expiry=EXPIRY, renewal_date=dt.date(2027, 1, 1))) == dt.date(2030, 1, 31)


@pytest.mark.parametrize(
    ("as_of", "lapsed"),
    [(dt.date(2030, 1, 30), False), (dt.date(2030, 1, 31), True), (dt.date(2030, 2, 1), True)],
)
def test_cpa_certificate_has_lapsed_from_its_end_date(as_of: dt.date, lapsed: bool) -> None:
    assert cpa_has_lapsed(CpaDates(expiry=EXPIRY), as_of) is lapsed


@pytest.mark.parametrize(
    ("as_of", "lapsed"),
    [(dt.date(2027, 5, 31), False), (dt.date(2027, 6, 1), True)],
)
def test_conditional_cpa_certificate_has_lapsed_from_its_conditional_date(as_of: dt.date, lapsed: bool) -> None:
    assert cpa_has_lapsed(CpaDates(expiry=EXPIRY, conditional_date=dt.date(2027, 6, 1)), as_of) is lapsed


def test_conditional_cpa_certificate_with_conditions_met_has_not_lapsed_at_its_conditional_date() -> None:
    dates = CpaDates(expiry=EXPIRY, conditional_date=dt.date(2027, 6, 1), conditions_met=True)
    assert cpa_has_lapsed(dates, dt.date(2027, 6, 1)) is False


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 11, 23), 0, dt.date(2026, 11, 23)),
        (dt.date(2026, 11, 23), 1, dt.date(2026, 12, 23)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2027, 1, 15), -1, dt.date(2026, 12, 15)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 8, 31), -6, dt.date(2026, 2, 28)),
        (dt.date(2028, 8, 31), -6, dt.date(2028, 2, 29)),
        (dt.date(2027, 5, 31), -6, dt.date(2026, 11, 30)),
        (dt.date(2027, 11, 23), -12, dt.date(2026, 11, 23)),
        (dt.date(2027, 3, 31), -13, dt.date(2026, 2, 28)),
        (dt.date(2026, 6, 30), 18, dt.date(2027, 12, 30)),
        (dt.date(2026, 12, 31), 12, dt.date(2027, 12, 31)),
    ],
)
def test_add_months_is_calendar_arithmetic_clamped_to_the_month_end(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("expiry", "months", "expected"),
    [
        (dt.date(2027, 11, 23), 12, dt.date(2026, 11, 23)),
        (dt.date(2027, 11, 23), 6, dt.date(2027, 5, 23)),
        (dt.date(2027, 5, 31), 6, dt.date(2026, 11, 30)),
        (dt.date(2028, 2, 29), 12, dt.date(2027, 2, 28)),
    ],
)
def test_notice_falls_due_that_many_calendar_months_before(expiry: dt.date, months: int, expected: dt.date) -> None:
    assert notice_date(expiry, months) == expected


END = dt.date(2027, 11, 23)


@pytest.mark.parametrize(
    ("as_of", "due"),
    [
        (dt.date(2026, 11, 22), ()),
        (dt.date(2026, 11, 23), (12,)),  # the twelve-month window opens
        (dt.date(2027, 5, 22), (12,)),
        (dt.date(2027, 5, 23), (12, 6)),  # the six-month window opens
        (dt.date(2027, 11, 22), (12, 6)),  # a late run still owes both
        (dt.date(2027, 11, 23), ()),  # at its end a certificate is due removal, not notice
        (dt.date(2028, 1, 1), ()),
    ],
)
def test_due_cpa_notices_open_on_their_notice_dates(as_of: dt.date, due: tuple[int, ...]) -> None:
    assert due_cpa_notices(END, as_of) == due


@pytest.mark.parametrize(
    ("as_of", "within"),
    [
        (dt.date(2026, 11, 22), False),
        (dt.date(2026, 11, 23), True),
        (dt.date(2027, 11, 22), True),
        (dt.date(2027, 11, 23), False),
    ],
)
def test_notice_horizon_is_the_twelve_months_before_the_end(as_of: dt.date, within: bool) -> None:
    assert expires_within_notice_horizon(END, as_of) is within


@pytest.mark.parametrize(("number", "entry_id"), [(1, "CPL-000001"), (123, "CPL-000123"), (1234567, "CPL-1234567")])
def test_entry_id_is_the_number_in_six_digits(number: int, entry_id: str) -> None:
    assert format_entry_id(number) == entry_id
