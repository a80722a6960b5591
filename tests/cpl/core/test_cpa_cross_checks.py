"""C007 and C008: what the entry says of its CPA certificate against what the certificate sheet says.

C007: an entry's CPA Expiry Date that is not the Expiry its certificate's row on the `Assurance
Certificates` sheet gives. C008: a certificate whose Issued date is after the check date. Both are
errors placed at the cell to correct (issue 12, "the manufacturer's way through"). Each workbook is
built here from `cpl.demo.samples.sample_row`: a gas meter (entry row 2) whose CPA certificate is row
2 of the certificate sheet and its ZigBee certificate row 3, issued 2026-01-15, expiring 2031-01-31.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core.domain import PartyRole
from cpl.core.findings import Code, Finding, Severity
from cpl.core.rules import CheckContext, check_submission
from cpl.core.submission import parse_submission
from cpl.demo.samples import Row, as_workbook_data, sample_row
from cpl.specs_file import default_registry
from formats.vocabulary import PhysicalDeviceType

AS_OF = dt.date(2026, 11, 23)
ENTRY = "CPL New Entry"
CERTIFICATES = "Assurance Certificates"
GAS = PhysicalDeviceType.GAS_SMART_METER
CPA = "CPA-106C-A001-0000"
ZIGBEE = "ZIGBEE-106C-A001-0000"


def check(entries: list[Row], certificates: list[Row], as_of: dt.date = AS_OF) -> list[Finding]:
    context = CheckContext(as_of=as_of, submitter=PartyRole.MANUFACTURER, registry=default_registry())
    return check_submission(parse_submission(as_workbook_data(entries, certificates)), context)


def gas(**changes: object) -> tuple[list[Row], list[Row]]:
    entry, certificates = sample_row(GAS, 1)
    entry.update(changes)
    return [entry], certificates


def certificate(certificates: list[Row], scheme: str) -> Row:
    return next(c for c in certificates if c["scheme"] == scheme)


def of_code(found: list[Finding], code: Code) -> list[Finding]:
    return [f for f in found if f.code is code]


def c007(entry_date: str, sheet_date: str, sheet_row: int = 2, number: str = CPA, row: int = 2) -> Finding:
    return Finding(
        Code.C007,
        ENTRY,
        row,
        "CPA Expiry Date",
        f"The entry's CPA expiry date {entry_date} is not the Expiry {sheet_date} that row {sheet_row} of the "
        f"'Assurance Certificates' sheet gives for CPA certificate {number}: correct whichever is wrong so both "
        "give the date printed on the certificate.",
    )


def c008(what: str, issued: str, row: int, as_of: str = "2026-11-23") -> Finding:
    return Finding(
        Code.C008,
        CERTIFICATES,
        row,
        "Issued",
        f"{what} has the Issued date {issued}, after the check date {as_of}: a certificate cannot be issued in "
        "the future; enter the issue date printed on the certificate.",
    )


def test_the_new_codes_are_errors() -> None:
    assert Finding(Code.C007, None, None, None, "").severity is Severity.ERROR
    assert Finding(Code.C008, None, None, None, "").severity is Severity.ERROR
    assert (str(Code.C007), str(Code.C008)) == ("C007", "C008")


# --- C007: the entry's CPA Expiry Date against the certificate's Expiry ----------------------------


def test_an_entry_and_its_certificate_giving_the_same_expiry_is_no_finding() -> None:
    assert check(*gas()) == []


def test_an_expiry_later_on_the_entry_than_on_the_sheet_is_c007_at_the_entrys_cell_naming_both_dates() -> None:
    entries, certificates = gas(cpa_expiry=dt.date(2031, 3, 31))
    assert check(entries, certificates) == [c007("2031-03-31", "2031-01-31")]


def test_an_expiry_earlier_on_the_entry_than_on_the_sheet_is_c007_too() -> None:
    entries, certificates = gas(cpa_expiry=dt.date(2030, 1, 31))
    assert check(entries, certificates) == [c007("2030-01-31", "2031-01-31")]


def test_a_day_apart_is_a_disagreement() -> None:
    entries, certificates = gas()
    certificate(certificates, "CPA")["expiry"] = dt.date(2031, 1, 30)
    assert check(entries, certificates) == [c007("2031-01-31", "2031-01-30")]


def test_c007_names_the_certificate_sheets_row_that_disagrees() -> None:
    entries, certificates = gas(cpa_expiry=dt.date(2031, 3, 31))
    certificates.reverse()  # the CPA certificate is now row 3 of the sheet
    assert check(entries, certificates) == [c007("2031-03-31", "2031-01-31", sheet_row=3)]


def test_the_certificate_is_found_by_its_number_whatever_its_case_and_prefix() -> None:
    entries, certificates = gas(cpa_expiry=dt.date(2031, 3, 31), cpa_certificate="[E] " + CPA.lower())
    certificate(certificates, "CPA")["certificate_number"] = "[E] " + CPA
    assert check(entries, certificates) == [c007("2031-03-31", "2031-01-31", number=CPA.lower())]


def test_each_row_of_the_sheet_describing_the_certificate_is_compared() -> None:
    entries, certificates = gas()
    again = {**certificate(certificates, "CPA"), "expiry": dt.date(2030, 6, 30)}
    certificates.append(again)  # row 4: the same certificate with another expiry
    assert of_code(check(entries, certificates), Code.C007) == [c007("2031-01-31", "2030-06-30", sheet_row=4)]


def test_each_entry_is_compared_with_its_own_certificate() -> None:
    first, first_certificates = sample_row(GAS, 1)
    second, second_certificates = sample_row(GAS, 2, cpa_expiry=dt.date(2030, 5, 31))
    second["cpa_expiry"] = dt.date(2030, 6, 1)
    found = check([first, second], first_certificates + second_certificates)
    assert found == [c007("2030-06-01", "2030-05-31", sheet_row=4, number="CPA-106C-A002-0000", row=3)]


def test_an_entry_without_a_cpa_certificate_is_passed_over_and_the_next_entry_compared() -> None:
    # A PPMID needs no CPA certificate (DOMAIN.md): the gas meter after it is still compared.
    ppmid, ppmid_certificates = sample_row(PhysicalDeviceType.PPMID, 1)
    entries, certificates = gas(cpa_expiry=dt.date(2031, 3, 31))
    found = check([ppmid, *entries], ppmid_certificates + certificates)
    assert found == [c007("2031-03-31", "2031-01-31", sheet_row=3, row=3)]


def test_only_the_cpa_certificates_row_is_compared() -> None:
    # A ZigBee certificate of the same number, with an expiry of its own, says nothing of the CPA date.
    entries, certificates = gas()
    certificates.append(
        {**certificate(certificates, "ZigBee"), "certificate_number": CPA, "expiry": dt.date(2029, 1, 1)}
    )
    assert of_code(check(entries, certificates), Code.C007) == []


def test_a_lifetime_certificates_date_on_the_entry_is_its_renewal_date_not_an_expiry() -> None:
    entries, certificates = gas(cpa_certificate="[R] " + CPA, cpa_expiry=dt.date(2027, 3, 1))
    found = check(entries, certificates)
    assert [f.code for f in found] == [Code.N003]


def test_a_standard_certificate_with_its_prefix_is_compared() -> None:
    entries, certificates = gas(cpa_certificate="[E] " + CPA, cpa_expiry=dt.date(2031, 3, 31))
    assert check(entries, certificates) == [c007("2031-03-31", "2031-01-31")]


def test_no_expiry_on_the_entry_is_f001_alone() -> None:
    entries, certificates = gas(cpa_expiry=None)
    assert [(f.code, f.column) for f in check(entries, certificates)] == [(Code.F001, "CPA Expiry Date")]


def test_no_expiry_on_the_sheet_is_f001_on_the_sheet_alone() -> None:
    entries, certificates = gas()
    del certificate(certificates, "CPA")["expiry"]
    assert [(f.code, f.sheet, f.column) for f in check(entries, certificates)] == [(Code.F001, CERTIFICATES, "Expiry")]


def test_a_certificate_not_on_the_sheet_is_c004_alone() -> None:
    entries, certificates = gas(cpa_expiry=dt.date(2031, 3, 31))
    certificates = [c for c in certificates if c["scheme"] != "CPA"]
    assert [f.code for f in check(entries, certificates)] == [Code.C004]


def test_an_expired_certificate_whose_dates_disagree_is_c002_and_c007() -> None:
    # C002 judges the earlier date; C007 says the two disagree.
    entries, certificates = gas(cpa_expiry=dt.date(2026, 10, 31))
    found = check(entries, certificates)
    assert [(f.code, f.row, f.column) for f in found] == [
        (Code.C002, 2, "CPA Expiry Date"),
        (Code.C007, 2, "CPA Expiry Date"),
    ]
    assert found[1] == c007("2026-10-31", "2031-01-31")


# --- C008: a certificate issued after the check date ------------------------------------------------


def test_a_certificate_issued_on_the_check_date_is_no_finding() -> None:
    entries, certificates = gas()
    certificate(certificates, "ZigBee")["issued"] = AS_OF
    assert check(entries, certificates) == []


def test_a_certificate_issued_the_day_after_the_check_date_is_c008_at_its_issued_cell() -> None:
    entries, certificates = gas()
    certificate(certificates, "ZigBee")["issued"] = dt.date(2026, 11, 24)
    assert check(entries, certificates) == [c008(f"ZigBee certificate {ZIGBEE}", "2026-11-24", row=3)]


def test_every_scheme_issued_in_the_future_is_c008_on_its_own_row() -> None:
    entries, certificates = gas()
    for cert in certificates:
        cert["issued"] = dt.date(2027, 2, 1)
    assert check(entries, certificates) == [
        c008(f"CPA certificate {CPA}", "2027-02-01", row=2),
        c008(f"ZigBee certificate {ZIGBEE}", "2027-02-01", row=3),
    ]


def test_c008_is_judged_against_the_check_date_given() -> None:
    entries, certificates = gas()
    assert check(entries, certificates, as_of=dt.date(2026, 1, 14)) == [
        c008(f"CPA certificate {CPA}", "2026-01-15", row=2, as_of="2026-01-14"),
        c008(f"ZigBee certificate {ZIGBEE}", "2026-01-15", row=3, as_of="2026-01-14"),
    ]
    assert check(entries, certificates, as_of=dt.date(2026, 1, 15)) == []


def test_a_certificate_row_with_an_unreadable_scheme_is_still_c008() -> None:
    entries, certificates = gas()
    certificate(certificates, "ZigBee").update(scheme="Zigbeee", issued=dt.date(2027, 1, 1))
    found = check(entries, certificates)
    assert of_code(found, Code.C008) == [c008(f"The certificate {ZIGBEE}", "2027-01-01", row=3)]


def test_a_certificate_row_without_a_number_is_still_c008() -> None:
    entries, certificates = gas()
    certificates.append(
        {**certificate(certificates, "ZigBee"), "certificate_number": None, "issued": dt.date(2027, 1, 1)}
    )
    assert of_code(check(entries, certificates), Code.C008) == [c008("ZigBee certificate", "2027-01-01", row=4)]


@pytest.mark.parametrize("issued", [None, "01/01/2027"])
def test_an_issued_date_that_is_missing_or_unreadable_is_its_format_finding_never_c008(issued: str | None) -> None:
    entries, certificates = gas()
    certificate(certificates, "ZigBee")["issued"] = issued
    found = check(entries, certificates)
    assert [(f.code, f.sheet, f.row, f.column) for f in found] == [
        (Code.F001 if issued is None else Code.F002, CERTIFICATES, 3, "Issued")
    ]
