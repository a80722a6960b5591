"""Issue 12 on the SEC's New Entry form (CONTRACT.md 4.3): number cells, error values and blank forms.

The form is the real 2.051 form's cells (``tests/cpl/core/test_sec_form.py``), with values as a
spreadsheet would store them: hex as numbers, error values as the reader hands them over (the cell
empty, ``error_cells`` naming it). Its details cells are column G (index 6).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

from cpl.core.findings import Code, Finding
from cpl.core.sheets import CellValue, WorkbookData
from tests.cpl.core.test_sec_form import ROW_OF, VALID, at_form, edited_form, judge, read
from tests.cpl.core.test_sec_list import sec_reference  # noqa: F401 (the fixture that finds the file)

pytestmark = pytest.mark.usefixtures("sec_reference")

DETAILS = 6
RETYPE = "format the column as Text and enter the value again."


def with_errors(values: Mapping[str, CellValue], errors: Mapping[tuple[int, int], str]) -> WorkbookData:
    """The form filled with ``values``, these cells holding error values (read as empty, named; the grid
    as wide as its furthest error, as calamine lays it out)."""
    workbook = edited_form(values)
    form, certificates = workbook.sheets
    width = max(len(form.rows[0][1]), *(index + 1 for _, index in errors))
    rows = tuple(
        (number, tuple(None if (number, i) in errors else cell for i, cell in enumerate(padded)))
        for number, cells in form.rows
        for padded in [(*cells, *(None,) * (width - len(cells)))]
    )
    return WorkbookData((dataclasses.replace(form, rows=rows, error_cells=dict(errors)), certificates))


def error_at(row: int, error: str) -> Finding:
    return at_form(Code.F002, row, f"The cell holds the error value {error}, not a value: enter the value itself.")


def test_an_error_value_in_a_required_details_cell_is_f002_at_its_row_and_never_f001() -> None:
    row = ROW_OF["Device_Model.firmware_version"]
    form = read(with_errors(VALID, {(row, DETAILS): "#N/A"}))
    assert form.findings == (error_at(row, "#N/A"),)
    _, findings = judge(form)
    assert [f for f in findings if f.row == row] == [error_at(row, "#N/A")]


def test_an_error_value_in_a_hardware_octet_is_one_f002() -> None:
    row = ROW_OF["Device_Model.hardware_version.revision"]
    _, findings = judge(read(with_errors(VALID, {(row, DETAILS): "#REF!"})))
    assert [f for f in findings if f.row in (row - 1, row)] == [error_at(row, "#REF!")]


def test_an_error_value_in_an_optional_contact_cell_is_f002_and_kept_from_the_audit() -> None:
    label = "Contact-CPA.Contact.contact email"
    row = ROW_OF[label]
    form = read(with_errors({**VALID, label: "cpa@meters.example"}, {(row, DETAILS): "#N/A"}))
    assert error_at(row, "#N/A") in form.findings
    assert label not in form.audit


def test_an_error_value_beside_the_details_column_is_a_value_there() -> None:
    row = ROW_OF["Device_Model.model_identifier"]
    form = read(with_errors(VALID, {(row, DETAILS + 1): "#N/A"}))
    assert form.findings == (
        at_form(
            Code.F002,
            row,
            "Column H holds a value beside New Entry's Details: the form takes one entry's values; submit each "
            "entry on its own form.",
        ),
    )


def test_a_form_with_nothing_but_an_error_value_lists_no_entry_and_says_so() -> None:
    row = ROW_OF["Device_Model.firmware_version"]
    form = read(with_errors({}, {(row, DETAILS): "#N/A"}))
    assert form.findings == (
        error_at(row, "#N/A"),
        at_form(Code.F003, 6, "The workbook lists no entry: every New Entry's Details cell of the form is blank."),
    )


@pytest.mark.parametrize(
    ("label", "stored", "message"),
    [
        (
            "Device_Model.firmware_version",
            10203.0,
            f"Firmware Version was stored as the number 10203, so any leading zeros were dropped: {RETYPE}",
        ),
        (
            "Device_Model.firmware_version",
            100000.0,
            "Firmware Version was stored as the number 100000: a spreadsheet reads hex such as 01E5 as scientific "
            f"notation (1.00E+05), so the digits typed are lost: {RETYPE}",
        ),
        (
            "GBCS Version.version_number",
            4.0,
            "GBCS Version was stored as the number 4, and a number cell loses a version's digits "
            f"(4.0 becomes 4, 4.10 becomes 4.1): {RETYPE}",
        ),
    ],
)
def test_a_number_cell_on_the_form_is_f002_at_its_row(label: str, stored: CellValue, message: str) -> None:
    _, findings = judge(read(edited_form({**VALID, label: stored})))
    assert [f for f in findings if f.is_error] == [at_form(Code.F002, ROW_OF[label], message)]
