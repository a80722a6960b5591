"""What the notices added with the SEC's list say (CONTRACT.md 4.1 and 4.4, DOMAIN.md rule 2): a lifetime
CPA certificate's renewal notice (MP209: its renewal date removes nothing) and a published version
named by the SEC's numbering. Subjects and bodies exactly as parties read them."""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core.notices import (
    cpa_expiry_kind,
    cpa_expiry_months,
    cpa_renewal_kind,
    cpa_renewal_months,
    cpa_renewal_notice,
    published_notice,
)


def footer(reference: str) -> str:
    return (
        "\n--\n"
        "The Central Products List service, run by SECAS for the SEC Panel.\n"
        f"This message was sent automatically; reference {reference}.\n"
    )


def text(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


LIFETIME_CLOSING = (
    "A lifetime certificate (MP209) does not expire: reaching its renewal date",
    "does not remove the entry from the CPL. Arrange the renewal with NCSC and",
    "send SECAS the renewed date.",
)


# --- kinds ----------------------------------------------------------------------------------------


def test_each_renewal_notice_window_is_its_own_kind_apart_from_the_expiry_notices() -> None:
    assert (cpa_renewal_kind(12), cpa_renewal_kind(6)) == ("cpa-renewal-12-months", "cpa-renewal-6-months")
    assert cpa_renewal_kind(12) != cpa_expiry_kind(12)
    assert cpa_expiry_months(cpa_renewal_kind(12)) is None


@pytest.mark.parametrize(("kind", "months"), [("cpa-renewal-12-months", 12), ("cpa-renewal-6-months", 6)])
def test_a_renewal_kind_names_its_window(kind: str, months: int) -> None:
    assert cpa_renewal_months(kind) == months


@pytest.mark.parametrize(
    "kind",
    [
        "cpa-expiry-12-months",
        "cpa-renewal-12",
        "12-months",
        "cpa-renewal-twelve-months",
        "cpa-renewal--months",
        "xcpa-renewal-12-months",
        "cpa-renewal-12-monthsx",
        "cpl-published",
    ],
)
def test_any_other_kind_names_no_renewal_window(kind: str) -> None:
    assert cpa_renewal_months(kind) is None


# --- a lifetime certificate's renewal notice ------------------------------------------------------


def test_the_twelve_month_renewal_notice_says_the_entry_stays_on_the_cpl() -> None:
    notice = cpa_renewal_notice(
        entry_id="CPL-000009",
        device_model="Acme G4 (106C/4331/00AC/9001)",
        months_before=12,
        renewal_date=dt.date(2027, 6, 30),
        certificate="CPA-9",
        as_of=dt.date(2026, 6, 30),
    )
    assert (notice.kind, notice.subject_ref, notice.subject) == (
        "cpa-renewal-12-months",
        "CPL-000009@2027-06-30",
        "CPL entry CPL-000009: CPA certificate renewal due 2027-06-30 (12-month notice)",
    )
    assert notice.body == text(
        "This is the 12-month renewal notice for CPL entry CPL-000009: the lifetime",
        "CPA certificate it relies on is due for renewal on 2027-06-30 (365 days from",
        "2026-06-30).",
        "",
        "  entry:            CPL-000009",
        "  device model:     Acme G4 (106C/4331/00AC/9001)",
        "  CPA certificate:  CPA-9 (lifetime)",
        "  renewal date:     2027-06-30",
        "",
        *LIFETIME_CLOSING,
    ) + footer("cpa-renewal-12-months CPL-000009@2027-06-30")


def test_a_renewal_one_day_ahead_is_one_day() -> None:
    notice = cpa_renewal_notice(
        entry_id="CPL-000009",
        device_model="Acme G4 (106C/4331/00AC/9001)",
        months_before=6,
        renewal_date=dt.date(2027, 1, 1),
        certificate="CPA-9",
        as_of=dt.date(2026, 12, 31),
    )
    assert (notice.kind, notice.subject) == (
        "cpa-renewal-6-months",
        "CPL entry CPL-000009: CPA certificate renewal due 2027-01-01 (6-month notice)",
    )
    assert notice.body.startswith(
        text(
            "This is the 6-month renewal notice for CPL entry CPL-000009: the lifetime",
            "CPA certificate it relies on is due for renewal on 2027-01-01 (1 day from",
            "2026-12-31).",
        )
    )


# --- a version published under the SEC's numbering --------------------------------------------------


def test_a_published_version_is_named_by_its_sec_version_and_its_extract() -> None:
    notice = published_notice(
        sequence=43,
        issued_at=dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC),
        entries_by_status={"Active": 1},
        changes={},
        dcc_loaded_at=None,
        version="2.052",
    )
    assert (notice.subject_ref, notice.subject) == ("extract:43", "CPL version 2.052 published")
    assert notice.body.startswith(
        text(
            "Version 2.052 (extract 43) of the Central Products List was issued on",
            "2026-11-29 12:00 UTC and is published.",
        )
    )
