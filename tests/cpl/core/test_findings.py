"""Findings: stable codes, the severity CONTRACT.md section 1 gives each, the report's shape and order."""

from __future__ import annotations

import pytest

from cpl.core.findings import CODE_TABLE, Code, Finding, Severity, finding, has_errors, sort_findings

ENTRY = "CPL New Entry"
CERTS = "Assurance Certificates"

#: CONTRACT.md section 1, "Finding codes": code and severity, copied from the table.
CONTRACT_SEVERITIES = [
    ("WB001", "error"),
    ("WB002", "error"),
    ("F001", "error"),
    ("F002", "error"),
    ("C001", "error"),
    ("C002", "error"),
    ("C003", "error"),
    ("C004", "error"),
    ("C005", "error"),
    ("V001", "error"),
    ("V002", "error"),
    ("D001", "error"),
    ("D002", "error"),
    ("P001", "error"),
    ("P002", "error"),
    ("P003", "error"),
    ("P004", "error"),
    ("P005", "error"),
    ("N001", "warning"),
    ("N002", "warning"),
    ("C006", "error"),
    ("F003", "error"),
    ("N003", "warning"),
    # issue 12: an entry's CPA expiry that is not its certificate's; a certificate issued in the future
    ("C007", "error"),
    ("C008", "error"),
]


@pytest.mark.parametrize(("code", "severity"), CONTRACT_SEVERITIES)
def test_each_code_has_the_severity_the_contract_gives_it(code: str, severity: str) -> None:
    found = finding(Code(code), "a sentence")
    assert found.severity == severity
    assert found.is_error is (severity == "error")


def test_the_codes_are_the_contracts_and_no_other() -> None:
    assert sorted(str(code) for code in Code) == sorted(code for code, _ in CONTRACT_SEVERITIES)
    assert [str(code) for code in Code] == [code for code, _ in CONTRACT_SEVERITIES[:20]] + [
        "C006",
        "F003",
        "N003",
        "C007",
        "C008",
    ], "codes are only ever added at the end, never renumbered"


@pytest.mark.parametrize("code", list(Code))
def test_every_code_says_what_it_means_and_how_to_fix_it(code: Code) -> None:
    info = CODE_TABLE[code]
    assert info.meaning.strip() and info.meaning == info.meaning.strip()
    assert info.how_to_fix.strip() and info.how_to_fix.endswith(".")
    assert info.how_to_fix[0].isupper(), "a sentence"


def test_each_code_has_its_own_fix() -> None:
    fixes = [CODE_TABLE[code].how_to_fix for code in Code]
    assert len(set(fixes)) == len(fixes)
    meanings = [CODE_TABLE[code].meaning for code in Code]
    assert len(set(meanings)) == len(meanings)


def test_the_cpa_date_codes_say_which_dates() -> None:
    assert "CPA Expiry Date" in CODE_TABLE[Code.C007].meaning
    assert "Assurance Certificates" in CODE_TABLE[Code.C007].how_to_fix
    assert "Issued" in CODE_TABLE[Code.C008].meaning and "check date" in CODE_TABLE[Code.C008].meaning


def test_severities_are_the_two_contract_words() -> None:
    assert [str(s) for s in Severity] == ["error", "warning"]


def test_a_finding_reports_code_severity_sheet_row_column_message_in_that_order() -> None:
    found = finding(
        Code.C002, "The CPA certificate CPA-1 expired on 2026-01-31.", sheet=ENTRY, row=4, column="CPA Expiry Date"
    )
    as_dict = found.as_dict()
    assert list(as_dict.items()) == [
        ("code", "C002"),
        ("severity", "error"),
        ("sheet", ENTRY),
        ("row", 4),
        ("column", "CPA Expiry Date"),
        ("message", "The CPA certificate CPA-1 expired on 2026-01-31."),
    ]


def test_a_finding_as_dict_carries_plain_strings_for_json() -> None:
    as_dict = finding(Code.N002, "Unknown column 'Colour'.", sheet=ENTRY, row=1, column="Colour").as_dict()
    assert type(as_dict["code"]) is str
    assert type(as_dict["severity"]) is str
    assert as_dict["severity"] == "warning"


def test_a_workbook_level_finding_has_no_place() -> None:
    found = finding(Code.WB001, "Not a readable .xlsx workbook.")
    assert (found.sheet, found.row, found.column) == (None, None, None)
    assert found.as_dict() == {
        "code": "WB001",
        "severity": "error",
        "sheet": None,
        "row": None,
        "column": None,
        "message": "Not a readable .xlsx workbook.",
    }


def test_finding_builds_the_finding_it_is_given() -> None:
    assert finding(Code.F001, "empty", sheet=CERTS, row=3, column="Issued") == Finding(
        code=Code.F001, sheet=CERTS, row=3, column="Issued", message="empty"
    )


def test_any_error_makes_a_report_have_errors() -> None:
    warning = finding(Code.N001, "expires soon", sheet=ENTRY, row=2)
    error = finding(Code.F002, "bad hex", sheet=ENTRY, row=2)
    assert has_errors([warning, error]) is True
    assert has_errors([error]) is True


def test_warnings_alone_are_no_errors() -> None:
    assert has_errors([finding(Code.N001, "expires soon"), finding(Code.N002, "extra column")]) is False
    assert has_errors([]) is False


def test_report_order_is_sheet_then_row_then_column_then_code() -> None:
    a = finding(Code.V001, "a", sheet=CERTS, row=9, column="Scheme")
    b = finding(Code.F001, "b", sheet=ENTRY, row=2, column="Model")
    c = finding(Code.C004, "c", sheet=ENTRY, row=3, column="CPA Certificate")
    d = finding(Code.C001, "d", sheet=ENTRY, row=3, column="CPA Certificate")
    e = finding(Code.F002, "e", sheet=ENTRY, row=3, column="Firmware Version")
    assert sort_findings([e, c, b, a, d]) == [a, b, d, c, e]


def test_a_finding_without_a_sheet_comes_before_every_sheet() -> None:
    workbook = finding(Code.WB002, "no sheet", row=5, column="Z")
    certs = finding(Code.C004, "c", sheet=CERTS, row=1, column="A")
    entry = finding(Code.F001, "f", sheet=ENTRY, row=1, column="A")
    assert sort_findings([entry, certs, workbook]) == [workbook, certs, entry]


def test_a_finding_without_a_row_comes_before_row_one_of_its_sheet() -> None:
    sheet_level = finding(Code.WB002, "header missing", sheet=ENTRY, column="Z")
    row_one = finding(Code.N002, "extra column", sheet=ENTRY, row=1, column="A")
    assert sort_findings([row_one, sheet_level]) == [sheet_level, row_one]


def test_a_finding_without_a_column_comes_before_the_columns_of_its_row() -> None:
    row_level = finding(Code.V001, "row", sheet=ENTRY, row=2)
    in_column = finding(Code.C001, "cell", sheet=ENTRY, row=2, column="A")
    assert sort_findings([in_column, row_level]) == [row_level, in_column]


def test_sorting_keeps_every_finding_and_accepts_any_iterable() -> None:
    found = [finding(Code.D002, "twice", sheet=ENTRY, row=3), finding(Code.D002, "twice", sheet=ENTRY, row=2)]
    assert sort_findings(iter(found)) == [found[1], found[0]]
