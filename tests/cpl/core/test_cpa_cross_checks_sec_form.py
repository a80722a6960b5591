"""C007, C008 and 'did you mean' on the SEC's New Entry form (CONTRACT.md 4.3).

The form is the real 2.051 form's cells (``tests/cpl/core/test_sec_form.py``), filled with entry 000099
of 2.051 (an EDMI single element meter, CPA certificate ESME68753061 expiring 23 June 2023), with an
`Assurance Certificates` sheet describing its certificates (the CPA certificate on row 4 of it). The
form's findings land on the attribute's row, column "New Entry's Details"; the certificate sheet's
stay on that sheet.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core.findings import Code, Finding
from cpl.core.sec_form import FORM_SHEET
from tests.cpl.core.test_sec_form import CERTIFICATES, ROW_OF, VALID, at_form, judge, pure_form, read
from tests.cpl.core.test_sec_list import sec_reference  # noqa: F401 (the fixture that finds the file)

pytestmark = pytest.mark.usefixtures("sec_reference")

EXPIRY_ROW = ROW_OF["CPA_Certificate.expiry_date"]  # 19 on the real form


def findings_of(
    values: dict[str, object], certificates: tuple[tuple[object, ...], ...] = CERTIFICATES
) -> list[Finding]:
    _, found = judge(read(pure_form(values, certificates)))  # type: ignore[arg-type]
    return found


def test_the_form_as_filled_has_no_finding() -> None:
    assert findings_of(dict(VALID)) == []


def test_a_form_expiry_that_is_not_the_certificates_is_c007_on_the_expiry_row() -> None:
    found = findings_of({**VALID, "CPA_Certificate.expiry_date": "01/01/2024"})
    assert EXPIRY_ROW == 19
    assert found == [
        at_form(
            Code.C007,
            19,
            "The entry's CPA expiry date 2024-01-01 is not the Expiry 2023-06-23 that row 4 of the 'Assurance "
            "Certificates' sheet gives for CPA certificate ESME68753061: correct whichever is wrong so both give "
            "the date printed on the certificate.",
        )
    ]


def test_an_expired_certificate_whose_dates_agree_is_c002_alone_on_the_expiry_row() -> None:
    certificates = (*CERTIFICATES[:2], (*CERTIFICATES[2][:7], dt.date(2021, 12, 31), None))
    found = findings_of({**VALID, "CPA_Certificate.expiry_date": "31/12/2021"}, certificates)
    assert [(f.code, f.sheet, f.row) for f in found] == [(Code.C002, FORM_SHEET, 19)]
    assert "2021-12-31" in found[0].message


def test_a_certificate_issued_after_the_check_date_is_c008_on_the_certificate_sheet() -> None:
    # The check date is 10 January 2022; the ZigBee certificate (sheet row 2) says it was issued a day later.
    zigbee = (*CERTIFICATES[0][:6], dt.date(2022, 1, 11), None, None)
    found = findings_of(dict(VALID), (zigbee, *CERTIFICATES[1:]))
    assert found == [
        Finding(
            Code.C008,
            "Assurance Certificates",
            2,
            "Issued",
            "ZigBee certificate ZIG17037ZSE12536-24 has the Issued date 2022-01-11, after the check date "
            "2022-01-10: a certificate cannot be issued in the future; enter the issue date printed on the "
            "certificate.",
        )
    ]


def test_a_misspelt_device_type_on_the_form_asks_whether_the_type_near_it_was_meant() -> None:
    found = findings_of({**VALID, "Device_Type.name": "Single Element Electricity Metring Equipment"})
    assert found == [
        at_form(
            Code.F002,
            ROW_OF["Device_Type.name"],
            "Physical Device Type 'Single Element Electricity Metring Equipment' is not one of its values: "
            "did you mean 'Single Element Electricity Metering Equipment'?",
        )
    ]


def test_a_misspelt_version_on_the_form_names_the_forms_spelling() -> None:
    found = findings_of({**VALID, "SMETS/CHTS Version.Version_number": "SMETS V2.00"})
    assert found == [
        at_form(
            Code.V001,
            ROW_OF["SMETS/CHTS Version.Version_number"],
            "Technical Specification 'SMETS V2.00' is not a version the CPL recognises: did you mean 'SMETS V2.0'?",
        )
    ]
