"""Issue 12: values a spreadsheet changed behind the user's back, on cells as the reader hands them over.

A hex value typed into a General cell, or pasted from another sheet, is a number cell: 00010203 is
the number 10203 and 01E5 the number 100000 (scientific notation). A version typed as 4.0 is the
number 4. An error value (#N/A, #REF!) reaches the parser as an empty cell that ``error_cells``
names. None of them may ever be read as a value the user did not type, nor as a blank.

Expected sentences are written out from the issue's words, never taken from the code's tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpl.core.domain import PartyRole
from cpl.core.findings import Code, Finding
from cpl.core.rules import CheckContext, check_submission
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from cpl.core.submission import ParsedSubmission
from cpl.specs_file import default_registry
from tests.cpl.core.test_submission_parsing import (
    CERTIFICATE_HEADER,
    CERTIFICATES,
    CPA_CERTIFICATE,
    ENTRY,
    ENTRY_HEADER,
    GAS_ENTRY,
    ZIGBEE_CERTIFICATE,
    certificate,
    certificate_sheet,
    entry,
    entry_error,
    entry_sheet,
    parse,
    parse_certificates,
    parse_entries,
    places,
)

RETYPE = "format the column as Text and enter the value again."
#: What the issue asks a number cell in a hex column to say, by what may have happened to it.
ZEROS = "{header} was stored as the number {number}, so any leading zeros were dropped: " + RETYPE
SCIENTIFIC = (
    "{header} was stored as the number {number}: a spreadsheet reads hex such as 01E5 as scientific notation "
    "(1.00E+05), so the digits typed are lost: " + RETYPE
)
NOT_HEX = "{header} was stored as the number {number}, not as hex digits: " + RETYPE
TOO_LONG = "{header} was stored as the number {number}, and {what} takes {size} hex digits: " + RETYPE
VERSION = (
    "{header} was stored as the number {number}, and a number cell loses a version's digits "
    "(4.0 becomes 4, 4.10 becomes 4.1): " + RETYPE
)
ERROR = "{header} holds the error value {error}, not a value: enter the value itself."

AS_OF = dt.date(2026, 11, 23)


def context() -> CheckContext:
    return CheckContext(as_of=AS_OF, submitter=PartyRole.SUPPLIER, registry=default_registry())


def checked(parsed: ParsedSubmission) -> list[tuple[Code, str | None, int | None, str | None, str]]:
    return sorted((f.code, f.sheet, f.row, f.column, f.message) for f in check_submission(parsed, context()))


def firmware_of(parsed: ParsedSubmission) -> str | None:
    return parsed.entries[0].firmware_version


# --- the issue's own examples, through every rule ---------------------------------------------------


FIRMWARE_00010203 = {**ZIGBEE_CERTIFICATE, "Firmware Versions": "00010203"}
CPA_00010203 = {**FIRMWARE_00010203, "Scheme": "CPA", "Certificate Number": "CPA-1", "Expiry": dt.date(2031, 1, 31)}


def test_firmware_00010203_stored_as_the_number_10203_is_f002_not_firmware_10203_asking_for_evidence() -> None:
    # Before: accepted as firmware 10203, and only C005 asked for mapping evidence (and with it, passed).
    for evidence in (None, "RN-106C-4331.pdf"):
        row = entry(Firmware_Version=10203.0, Firmware_Mapping_Evidence=evidence)
        parsed = parse(entry_sheet(row), certificate_sheet(FIRMWARE_00010203, CPA_00010203))
        assert checked(parsed) == [
            entry_error(2, "Firmware Version", ZEROS.format(header="Firmware Version", number=10203))
        ]
        assert firmware_of(parsed) is None


def test_firmware_01e5_stored_as_1e05_is_f002_about_scientific_notation_not_leading_zeros() -> None:
    parsed = parse_entries(entry(Firmware_Version=float("01E5")))
    assert places(parsed) == [
        entry_error(2, "Firmware Version", SCIENTIFIC.format(header="Firmware Version", number=100000))
    ]
    assert "leading zeros" not in parsed.findings[0].message
    assert firmware_of(parsed) is None


def test_the_same_firmware_typed_as_text_is_read_as_typed() -> None:
    parsed = parse(entry_sheet(entry(Firmware_Version="00010203")), certificate_sheet(FIRMWARE_00010203, CPA_00010203))
    assert checked(parsed) == []
    assert firmware_of(parsed) == "00010203"


def test_a_gbcs_version_4_0_typed_as_a_number_says_it_was_a_number_cell_not_v001() -> None:
    parsed = parse(entry_sheet(entry(GBCS_Version=4.0)), certificate_sheet(ZIGBEE_CERTIFICATE, CPA_CERTIFICATE))
    assert checked(parsed) == [
        entry_error(2, "GBCS Version", VERSION.format(header="GBCS Version", number=4)),
    ]
    assert parsed.entries[0].gbcs_version is None


@pytest.mark.parametrize(("cell", "shown"), [(4.0, "4"), (4, "4"), (4.2, "4.2"), (4.1, "4.1")])
@pytest.mark.parametrize("header", ["GBCS Version", "Technical Specification"])
def test_any_number_cell_in_a_version_column_is_f002_naming_the_number(header: str, cell: float, shown: str) -> None:
    parsed = parse_entries({**GAS_ENTRY, header: cell})
    assert places(parsed) == [entry_error(2, header, VERSION.format(header=header, number=shown))]


def test_versions_typed_as_text_are_read_as_before() -> None:
    assert places(parse_entries(entry(GBCS_Version="v4.2"))) == []


# --- a number cell in a hex column ---------------------------------------------------------------

# Manufacturer ID, Model ID and Hardware Version take 4 hex digits; Firmware Version 1 to 8; the hash 64.


@pytest.mark.parametrize(
    ("header", "cell", "typed"),
    [
        ("Manufacturer ID", 4331.0, "4331"),  # a 4-digit number in a 4-digit field lost no digit
        ("Model ID", 4331, "4331"),
        ("Hardware Version", 1230.0, "1230"),  # one trailing zero: 123E1 has five characters, too many
        ("Hardware Version", 9999.0, "9999"),
        ("Firmware Version", 12345678.0, "12345678"),  # 8 digits in a field of at most 8
        ("Firmware Version", 12345670.0, "12345670"),  # 1234567E1 has nine characters
        ("Firmware Version", 10000001.0, "10000001"),
    ],
)
def test_a_number_is_accepted_only_where_no_digit_can_have_been_lost(header: str, cell: CellValue, typed: str) -> None:
    parsed = parse_entries({**GAS_ENTRY, header: cell})
    assert [f for f in parsed.findings if f.column == header] == []
    field = header.lower().replace(" id", "_id").replace(" ", "_")
    assert getattr(parsed.entries[0], field) == typed


@pytest.mark.parametrize(
    ("header", "cell", "message"),
    [
        # fewer digits than the field's longest value: leading zeros may have gone
        ("Manufacturer ID", 331.0, ZEROS.format(header="Manufacturer ID", number=331)),
        ("Model ID", 5, ZEROS.format(header="Model ID", number=5)),
        ("Hardware Version", 0.0, ZEROS.format(header="Hardware Version", number=0)),  # 0000 typed
        ("Firmware Version", 10203.0, ZEROS.format(header="Firmware Version", number=10203)),
        ("Firmware Version", 9001.0, ZEROS.format(header="Firmware Version", number=9001)),
        ("Firmware Version", 1234567.0, ZEROS.format(header="Firmware Version", number=1234567)),
        ("Firmware Version", 1.0, ZEROS.format(header="Firmware Version", number=1)),
        ("Manufacturer Image Hash", 123.0, ZEROS.format(header="Manufacturer Image Hash", number=123)),
        # hex with an E in it that a spreadsheet took for scientific notation
        ("Manufacturer ID", 1000.0, SCIENTIFIC.format(header="Manufacturer ID", number=1000)),  # 1E03
        ("Model ID", 1200.0, SCIENTIFIC.format(header="Model ID", number=1200)),  # 12E2
        ("Model ID", 100000.0, SCIENTIFIC.format(header="Model ID", number=100000)),  # 01E5
        ("Hardware Version", 1e20, SCIENTIFIC.format(header="Hardware Version", number="1E+20")),  # 1E20
        ("Firmware Version", 100000.0, SCIENTIFIC.format(header="Firmware Version", number=100000)),  # 01E5
        ("Firmware Version", 10.0, SCIENTIFIC.format(header="Firmware Version", number=10)),  # 1E1
        ("Firmware Version", 12345600.0, SCIENTIFIC.format(header="Firmware Version", number=12345600)),  # 123456E2
        # 12345E11 has eight characters; 123456E10 nine (below)
        ("Firmware Version", 1234500000000000.0, SCIENTIFIC.format(header="Firmware Version", number=1234500000000000)),
        ("Manufacturer Image Hash", 1e63, SCIENTIFIC.format(header="Manufacturer Image Hash", number="1E+63")),
        (
            "Manufacturer ID",
            float(2**53),
            SCIENTIFIC.format(header="Manufacturer ID", number="9.0072E+15"),
        ),  # beyond a spreadsheet's exact digits
        # more digits than the field takes, and no scientific reading: not a value the field holds
        (
            "Manufacturer ID",
            43310.0,
            TOO_LONG.format(header="Manufacturer ID", number=43310, what="Manufacturer ID", size="4"),
        ),
        (
            "Manufacturer ID",
            float(2**53 - 1),
            TOO_LONG.format(header="Manufacturer ID", number=2**53 - 1, what="Manufacturer ID", size="4"),
        ),
        (
            "Firmware Version",
            123456789.0,
            TOO_LONG.format(header="Firmware Version", number=123456789, what="Firmware Version", size="1 to 8"),
        ),
        (
            "Firmware Version",
            1234560000000000.0,
            TOO_LONG.format(header="Firmware Version", number=1234560000000000, what="Firmware Version", size="1 to 8"),
        ),
        # no hex at all
        ("Manufacturer ID", 106.5, NOT_HEX.format(header="Manufacturer ID", number="106.5")),
        ("Firmware Version", -9001.0, NOT_HEX.format(header="Firmware Version", number=-9001)),
        ("Firmware Version", -1, NOT_HEX.format(header="Firmware Version", number=-1)),
        ("Model ID", 0.25, NOT_HEX.format(header="Model ID", number="0.25")),
    ],
)
def test_a_number_cell_in_a_hex_column_is_f002_saying_what_happened_and_how_to_fix_it(
    header: str, cell: CellValue, message: str
) -> None:
    parsed = parse_entries({**GAS_ENTRY, header: cell})
    assert places(parsed) == [entry_error(2, header, message)]
    assert parsed.entries[0].problems == frozenset({header.lower().replace(" id", "_id").replace(" ", "_")})


def test_true_and_false_in_a_hex_column_are_still_not_numbers() -> None:
    parsed = parse_entries(entry(Firmware_Version=True))
    assert places(parsed) == [entry_error(2, "Firmware Version", "Firmware Version is TRUE/FALSE, not text.")]


def test_text_columns_still_read_a_number_as_its_digits() -> None:
    parsed = parse_entries(entry(Model=4.0, Release_Notes=12))
    assert places(parsed) == []
    assert (parsed.entries[0].model, parsed.entries[0].release_notes) == ("4", "12")


@pytest.mark.parametrize(
    ("header", "cell", "message"),
    [
        ("Firmware Versions", 9001.0, ZEROS.format(header="Firmware Versions", number=9001)),
        ("Firmware Versions", 100000.0, SCIENTIFIC.format(header="Firmware Versions", number=100000)),
        (
            "Firmware Versions",
            123456789.0,
            TOO_LONG.format(header="Firmware Versions", number=123456789, what="each firmware version", size="1 to 8"),
        ),
        ("Manufacturer ID", 331.0, ZEROS.format(header="Manufacturer ID", number=331)),
        ("Hardware Version", 1000.0, SCIENTIFIC.format(header="Hardware Version", number=1000)),
    ],
)
def test_number_cells_on_the_certificate_sheet_are_f002_there(header: str, cell: CellValue, message: str) -> None:
    parsed = parse_certificates({**ZIGBEE_CERTIFICATE, header: cell})
    assert places(parsed) == [(Code.F002, CERTIFICATES, 2, header, message)]


def test_a_full_width_firmware_number_on_the_certificate_sheet_is_a_list_of_one() -> None:
    parsed = parse_certificates(certificate(Firmware_Versions=12345678.0))
    assert places(parsed) == []
    assert parsed.certificates[0].firmware_versions == ("12345678",)


# --- the property: a number cell never passes for a hex value it is not -----------------------------

#: (header, fewest digits, most digits) of every hex column of the entry sheet, from CONTRACT.md section 1.
HEX_COLUMNS = (
    ("Manufacturer ID", 4, 4),
    ("Model ID", 4, 4),
    ("Hardware Version", 4, 4),
    ("Firmware Version", 1, 8),
    ("Manufacturer Image Hash", 64, 64),
)
_DIGITS = "0123456789"


@st.composite
def number_like_hex(draw: st.DrawFn, low: int, high: int) -> str:
    """Hex of the field's lengths that a spreadsheet turns into a number: all decimal digits (leading
    zeros welcome), or digits E digits (01E5); a letter's case never matters to it."""
    if high < 3 or draw(st.booleans()):
        return draw(st.text(_DIGITS, min_size=low, max_size=high))
    length = draw(st.integers(max(low, 3), high))
    mantissa = draw(st.integers(1, length - 2))
    return (
        draw(st.text(_DIGITS, min_size=mantissa, max_size=mantissa))
        + draw(st.sampled_from("Ee"))
        + draw(st.text(_DIGITS, min_size=length - mantissa - 1, max_size=length - mantissa - 1))
    )


@st.composite
def typed_and_stored(draw: st.DrawFn) -> tuple[str, str, CellValue]:
    """A column, the hex typed into it, and the number cell a spreadsheet would store instead."""
    header, low, high = draw(st.sampled_from(HEX_COLUMNS))
    typed = draw(number_like_hex(low, high))
    if re.fullmatch(r"[0-9]+", typed):
        stored: CellValue = draw(st.sampled_from([int(typed), float(int(typed))]))  # calamine gives floats
    else:
        stored = float(typed)
    return header, typed, stored


@settings(max_examples=400, deadline=None)
@given(typed_and_stored())
def test_a_number_cell_is_never_read_as_a_hex_value_other_than_the_one_typed(case: tuple[str, str, CellValue]) -> None:
    header, typed, stored = case
    parsed = parse_entries({**GAS_ENTRY, header: stored})
    field = header.lower().replace(" id", "_id").replace(" ", "_")
    value = getattr(parsed.entries[0], field)
    at_cell = [f for f in parsed.findings if f.column == header]
    if value is None:
        assert [f.code for f in at_cell] == [Code.F002]
        assert "was stored as the number" in at_cell[0].message and RETYPE in at_cell[0].message
    else:
        assert value == typed.upper() and at_cell == []


@settings(max_examples=200, deadline=None)
@given(number_like_hex(1, 8))
def test_a_number_cell_in_a_certificates_firmware_list_is_never_another_firmware(typed: str) -> None:
    stored = float(typed)
    parsed = parse_certificates(certificate(Firmware_Versions=stored))
    versions = parsed.certificates[0].firmware_versions
    assert versions is None or versions == (typed.upper(),)
    assert (versions is None) == bool(parsed.findings)


# --- error values -----------------------------------------------------------------------------------


def with_errors(sheet: SheetData, errors: Mapping[tuple[int, int], str]) -> SheetData:
    """The sheet as the reader hands it over when these cells held error values (their values None)."""
    rows = tuple(
        (number, tuple(None if (number, index) in errors else value for index, value in enumerate(cells)))
        for number, cells in sheet.rows
    )
    return dataclasses.replace(sheet, rows=rows, error_cells=dict(errors))


def column(header: str) -> int:
    return ENTRY_HEADER.index(header)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("Manufacturer", "#REF!"),  # required
        ("Firmware Version", "#N/A"),  # required, hex
        ("CPA Expiry Date", "#VALUE!"),  # a date
        ("Firmware Mapping Evidence", "#N/A"),  # optional
        ("Manufacturer Image Hash", "#DIV/0!"),  # optional, hex
        ("Physical Device Type", "#NAME?"),  # an enumeration
    ],
)
def test_an_error_value_in_any_cell_is_f002_at_that_cell_never_read_as_empty(header: str, error: str) -> None:
    sheet = with_errors(entry_sheet(GAS_ENTRY), {(2, column(header)): error})
    parsed = parse(sheet, certificate_sheet(ZIGBEE_CERTIFICATE))
    assert places(parsed) == [entry_error(2, header, ERROR.format(header=header, error=error))]
    field = {"Physical Device Type": "physical_device_type", "CPA Expiry Date": "cpa_expiry"}.get(
        header, header.lower().replace(" ", "_")
    )
    assert getattr(parsed.entries[0], field) is None
    assert parsed.entries[0].problems == frozenset({field})


def test_an_error_value_in_a_required_column_is_not_also_f001_and_the_rules_stay_silent() -> None:
    sheet = with_errors(entry_sheet(GAS_ENTRY, GAS_ENTRY), {(2, column("Firmware Version")): "#N/A"})
    parsed = parse(sheet, certificate_sheet(ZIGBEE_CERTIFICATE, CPA_CERTIFICATE))
    found = checked(parsed)
    assert [(code, row, col) for code, _, row, col, _ in found if row == 2] == [(Code.F002, 2, "Firmware Version")]


def test_error_values_on_the_certificate_sheet_are_f002_there() -> None:
    sheet = with_errors(certificate_sheet(ZIGBEE_CERTIFICATE), {(2, CERTIFICATE_HEADER.index("Issued")): "#REF!"})
    parsed = parse(entry_sheet(GAS_ENTRY), sheet)
    assert places(parsed) == [(Code.F002, CERTIFICATES, 2, "Issued", ERROR.format(header="Issued", error="#REF!"))]


def test_a_formula_cell_is_reported_as_a_formula_even_if_its_cached_value_is_an_error() -> None:
    cell = (2, column("Model ID"))
    sheet = dataclasses.replace(with_errors(entry_sheet(GAS_ENTRY), {cell: "#N/A"}), formula_cells=frozenset({cell}))
    parsed = parse(sheet, certificate_sheet(ZIGBEE_CERTIFICATE))
    assert places(parsed) == [entry_error(2, "Model ID", "Model ID holds a formula; enter the value itself.")]


def test_error_values_in_a_row_that_holds_nothing_else_are_f002_and_the_row_lists_no_entry() -> None:
    # A lookup column pasted as values down the sheet leaves #N/A in rows nobody filled: each error is
    # reported at its cell, but the row is blank otherwise (no F001 for every required column).
    errors = {(3, column("Model ID")): "#N/A", (4, column("Manufacturer")): "#N/A", (4, column("Model")): "#REF!"}
    sheet = dataclasses.replace(entry_sheet(GAS_ENTRY), error_cells=errors)
    parsed = parse(sheet, certificate_sheet(ZIGBEE_CERTIFICATE))
    assert places(parsed) == [
        entry_error(3, "Model ID", ERROR.format(header="Model ID", error="#N/A")),
        entry_error(4, "Manufacturer", ERROR.format(header="Manufacturer", error="#N/A")),
        entry_error(4, "Model", ERROR.format(header="Model", error="#REF!")),
    ]
    assert [row.row for row in parsed.entries] == [2]


def test_a_workbook_of_nothing_but_error_values_is_f003_with_each_error_at_its_cell() -> None:
    empty = SheetData(ENTRY, ENTRY_HEADER, (), error_cells={(5, column("Firmware Version")): "#N/A"})
    parsed = parse(empty, certificate_sheet())
    assert checked(parsed) == [
        (Code.F002, ENTRY, 5, "Firmware Version", ERROR.format(header="Firmware Version", error="#N/A")),
        (Code.F003, ENTRY, 2, None, "The workbook lists no entry: every row of the sheet is blank."),
    ]


def test_error_values_outside_the_forms_columns_are_not_the_forms_business() -> None:
    extra = (*ENTRY_HEADER, "Colour")
    cells = (*(GAS_ENTRY.get(h) for h in ENTRY_HEADER), None)
    errors = {(2, len(ENTRY_HEADER)): "#N/A", (3, len(ENTRY_HEADER)): "#N/A"}
    sheet = SheetData(ENTRY, extra, ((2, cells),), error_cells=errors)
    parsed = parse(sheet, certificate_sheet(ZIGBEE_CERTIFICATE))
    assert [f.code for f in parsed.findings] == [Code.N002]


def test_a_sheet_without_error_cells_has_none() -> None:
    assert SheetData(ENTRY, ENTRY_HEADER, ()).error_cells == {}


# --- blank rows and empty workbooks -----------------------------------------------------------------


def test_cells_of_spaces_in_a_row_with_values_read_as_blank() -> None:
    parsed = parse_entries(entry(Firmware_Mapping_Evidence="   ", Manufacturer="  "))
    assert places(parsed) == [(Code.F001, ENTRY, 2, "Manufacturer", "Manufacturer is required.")]
    assert parsed.entries[0].firmware_mapping_evidence is None


def test_an_empty_form_is_f003_and_nothing_else() -> None:
    parsed = parse(entry_sheet(), certificate_sheet())
    assert checked(parsed) == [
        (Code.F003, ENTRY, 2, None, "The workbook lists no entry: every row of the sheet is blank.")
    ]


def test_f003_is_an_error_so_an_empty_form_can_never_be_approved() -> None:
    finding = Finding(Code.F003, ENTRY, 2, None, "The workbook lists no entry: every row of the sheet is blank.")
    assert finding.is_error
    assert WorkbookData((entry_sheet(), certificate_sheet())).sheet(" cpl new entry ") is not None
