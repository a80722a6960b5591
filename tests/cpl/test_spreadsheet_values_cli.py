"""Issue 12 through the real `cpl` command line: values a spreadsheet changed, and empty workbooks.

Each workbook is written as a spreadsheet program stores it (openpyxl: number cells where hex was
typed into a General cell, error cells, cells of spaces; the templates as `cpl template` writes them,
blank or resaved), then checked, submitted and approved with the installed console script.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from cpl.core.schema import ENTRY_COLUMNS, ENTRY_SHEET
from cpl.demo.samples import sample_submission
from cpl.workbook.template import write_submission
from tests.cpl.conftest import CplRun

HEADERS = [column.header for column in ENTRY_COLUMNS]
RETYPE = "format the column as Text and enter the value again."
EMPTY_OWN = "The workbook lists no entry: every row of the sheet is blank."
EMPTY_FORM = "The workbook lists no entry: every New Entry's Details cell of the form is blank."


def cell(header: str, row: int = 2) -> str:
    return f"{openpyxl.utils.get_column_letter(HEADERS.index(header) + 1)}{row}"


def as_stored(
    path: Path, edit: dict[str, object], errors: dict[str, str] | None = None, spaces: tuple[int, ...] = ()
) -> Path:
    """A valid one-entry submission with these cells changed as a spreadsheet stores them."""
    sample = sample_submission(1)
    buffer = io.BytesIO()
    write_submission(buffer, sample.entries, sample.certificates)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book[ENTRY_SHEET]
    for reference, value in edit.items():
        sheet[reference] = value
    for reference, error in (errors or {}).items():
        sheet[reference] = error
        sheet[reference].data_type = "e"
    for row in spaces:
        for column in range(1, len(HEADERS) + 1):
            sheet.cell(row, column).value = "  "
    book.save(path)
    return path


def places(report: dict[str, list[dict[str, object]]]) -> list[tuple[object, ...]]:
    return [(f["code"], f["sheet"], f["row"], f["column"], f["message"]) for f in report["findings"]]


def test_check_says_which_cells_a_spreadsheet_stored_as_numbers_and_how_to_fix_them(cpl: CplRun) -> None:
    path = as_stored(
        cpl.tmp / "numbers.xlsx",
        {cell("Firmware Version"): 10203, cell("Model ID"): float("01E5"), cell("GBCS Version"): 4.0},
    )
    report = cpl.json("check", path, "--as-of", "2026-11-23", expect=1)
    assert places(report) == [
        (
            "F002",
            ENTRY_SHEET,
            2,
            "Firmware Version",
            f"Firmware Version was stored as the number 10203, so any leading zeros were dropped: {RETYPE}",
        ),
        (
            "F002",
            ENTRY_SHEET,
            2,
            "GBCS Version",
            "GBCS Version was stored as the number 4, and a number cell loses a version's digits "
            f"(4.0 becomes 4, 4.10 becomes 4.1): {RETYPE}",
        ),
        (
            "F002",
            ENTRY_SHEET,
            2,
            "Model ID",
            "Model ID was stored as the number 100000: a spreadsheet reads hex such as 01E5 as scientific "
            f"notation (1.00E+05), so the digits typed are lost: {RETYPE}",
        ),
    ]
    shown = cpl("check", path, "--as-of", "2026-11-23", expect=1).stdout
    assert "stored as the number 10203" in " ".join(shown.split())


def test_check_reports_error_values_at_their_cells_and_rows_of_spaces_as_blank(cpl: CplRun) -> None:
    path = as_stored(
        cpl.tmp / "errors.xlsx",
        {},
        errors={cell("Manufacturer"): "#REF!", cell("Compliance Statement"): "#N/A", cell("Model ID", 5): "#N/A"},
        spaces=(3, 4),
    )
    report = cpl.json("check", path, "--as-of", "2026-11-23", expect=1)
    error = "{} holds the error value {}, not a value: enter the value itself."
    assert places(report) == [
        ("F002", ENTRY_SHEET, 2, "Compliance Statement", error.format("Compliance Statement", "#N/A")),
        ("F002", ENTRY_SHEET, 2, "Manufacturer", error.format("Manufacturer", "#REF!")),
        ("F002", ENTRY_SHEET, 5, "Model ID", error.format("Model ID", "#N/A")),
    ]


def test_a_workbook_whose_only_changes_are_rows_of_spaces_passes(cpl: CplRun) -> None:
    path = as_stored(cpl.tmp / "spaces.xlsx", {}, spaces=(3, 4, 9))
    assert cpl.json("check", path, "--as-of", "2026-11-23")["findings"] == []


def resaved(path: Path) -> Path:
    """The file opened and saved again by a spreadsheet program (openpyxl standing in)."""
    target = path.with_name(f"resaved-{path.name}")
    openpyxl.load_workbook(path).save(target)
    return target


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("own", ("F003", ENTRY_SHEET, 2, None, EMPTY_OWN)),
        ("sec", ("F003", "CPL - New Entry", 6, "New Entry's Details", EMPTY_FORM)),
    ],
)
@pytest.mark.parametrize("again", [False, True], ids=["as written", "resaved"])
def test_the_template_sent_back_unfilled_is_f003_for_check_submit_and_approve(
    cpl: CplRun, layout: str, expected: tuple[object, ...], again: bool
) -> None:
    cpl.parties()
    path = cpl.tmp / f"{layout}.xlsx"
    cpl("template", path, "--layout", layout)
    if again:
        path = resaved(path)
    assert places(cpl.json("check", path, expect=1)) == [expected]
    submitted = cpl.json("submit", path, "--party", "acme-meters", expect=1)
    assert submitted["state"] == "has_errors" and places(submitted) == [expected]
    refused = cpl("approve", str(submitted["submission"]), "--by", "alice", expect=1)
    assert "cannot be approved" in refused.stderr and "F003" in refused.stderr
    assert cpl.json("list")["entries"] == []


def test_a_hex_value_stored_as_a_number_cannot_be_submitted_into_the_cpl(cpl: CplRun) -> None:
    cpl.parties()
    path = as_stored(cpl.tmp / "firmware.xlsx", {cell("Firmware Version"): 10203})
    submitted = cpl.json("submit", path, "--party", "acme-meters", expect=1)
    assert [f["code"] for f in submitted["findings"]] == ["F002"]
    cpl("approve", str(submitted["submission"]), "--by", "alice", expect=1)
    assert cpl.json("list")["entries"] == []
