"""The SEC layout written (CONTRACT.md 4.4, cpl.workbook.sec_layout): the four-tab workbook and the CSV.

Written files are read back with the project's safe reader and compared with the SEC's real
workbook (version 2.051), read independently with python-calamine and, for the spreadsheet's own
features (drop-downs, frozen panes), with openpyxl.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from functools import cache
from typing import Any

import openpyxl
import python_calamine
from hypothesis import given, settings

from cpl.core.sec_form import FORM_ROWS, FORM_SHEET, FormRow
from cpl.core.sec_list import (
    CSV_HEADER,
    CSV_SHEET,
    LIST_HEADER_ROWS,
    LIST_SHEET,
    VERSION_SHEET,
    SecList,
    VersionRecord,
    parse_sec_list,
    version_label,
)
from cpl.workbook.reader import read_workbook
from cpl.workbook.sec_layout import LISTS_SHEET, write_sec_csv, write_sec_workbook
from tests.cpl.core.test_sec_list import (
    REAL_LIST,
    at_rows,
    calamine_tab,
    entry_lists,
    needs_real_list,
    plain,
    real_parsed,
    registry,
    sample_entry,
    sec_reference,  # noqa: F401 (the fixture that finds the file)
)


@cache
def written_real() -> bytes:
    """The real list parsed and written again in the SEC layout."""
    parsed = real_parsed()
    assert parsed.version is not None and parsed.issued is not None
    return write_sec_workbook(
        version=parsed.version, issued=parsed.issued, entries=parsed.entries, history=parsed.history
    )


@cache
def written_real_calamine(name: str) -> tuple[tuple[Any, ...], ...]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(written_real()))
    return tuple(tuple(row) for row in book.get_sheet_by_name(name).to_python())


@cache
def small_written() -> openpyxl.Workbook:
    """A written workbook small enough to open with openpyxl quickly: the real history, three entries."""
    parsed = real_parsed()
    assert parsed.version is not None and parsed.issued is not None
    data = write_sec_workbook(
        version=parsed.version, issued=parsed.issued, entries=parsed.entries[:3], history=parsed.history
    )
    return openpyxl.load_workbook(io.BytesIO(data))


@cache
def real_openpyxl() -> openpyxl.Workbook:
    """The SEC's file as openpyxl reads it (its macros are neither kept nor run)."""
    return openpyxl.load_workbook(REAL_LIST, keep_vba=False)


def reparsed(data: bytes) -> SecList:
    return parse_sec_list(read_workbook(data), registry())


# --- the real list, written and read back ----------------------------------------------------------


@needs_real_list
def test_the_real_list_written_and_read_back_is_the_same_list() -> None:
    parsed, back = real_parsed(), reparsed(written_real())
    assert back.findings == ()
    assert back.entries == parsed.entries  # every value, and every entry at the row it was read from
    assert back.history == parsed.history
    assert (back.version, back.issued) == (parsed.version, parsed.issued)


@needs_real_list
def test_the_written_csv_tab_is_the_real_csv_tab_but_for_its_version() -> None:
    real = calamine_tab(CSV_SHEET)
    written = written_real_calamine(CSV_SHEET)
    assert written[0] == real[0]
    assert len(written) == len(real)
    for mine, theirs in zip(written[1:], real[1:], strict=True):
        assert [plain(c) for c in mine[1:]] == [plain(c) for c in theirs[1:]]


@needs_real_list
def test_the_csv_file_is_the_csv_tab() -> None:
    parsed = real_parsed()
    assert parsed.version is not None and parsed.issued is not None
    label = version_label(parsed.version, parsed.issued)
    data = write_sec_csv(label=label, entries=parsed.entries)
    assert data.count(b"\r\n") == len(parsed.entries) + 1 and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    real = calamine_tab(CSV_SHEET)
    assert tuple(rows[0]) == CSV_HEADER == real[0]
    assert all(row[0] == label for row in rows[1:])
    assert [row[1:] for row in rows[1:]] == [[plain(c) for c in row[1:]] for row in real[1:]]
    assert [tuple(row) for row in written_real_calamine(CSV_SHEET)] == [tuple(row) for row in rows]


@needs_real_list
def test_the_written_tabs_are_the_real_files_tabs() -> None:
    assert python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(written_real())).sheet_names == (
        python_calamine.CalamineWorkbook.from_path(str(REAL_LIST)).sheet_names
    )


@needs_real_list
def test_the_written_list_tab_has_the_real_header_rows() -> None:
    written = written_real_calamine(LIST_SHEET)
    real = calamine_tab(LIST_SHEET)
    assert written[: len(LIST_HEADER_ROWS)] == real[: len(LIST_HEADER_ROWS)]


@needs_real_list
def test_the_written_version_control_tab_is_laid_out_as_the_real_one() -> None:
    written = written_real_calamine(VERSION_SHEET)
    real = calamine_tab(VERSION_SHEET)
    header = next(i for i, row in enumerate(real) if plain(row[0]).startswith("Version Number"))
    assert written[: header + 1] == real[: header + 1]  # title, label, guidance, 'Version History', table header
    assert [row[:2] for row in written[header + 1 :]] == [row[:2] for row in real[header + 1 :]]
    assert [str(row[2]) for row in written[header + 1 :]] == [str(row[2]).strip() for row in real[header + 1 :]]


@needs_real_list
def test_the_written_form_is_the_real_blank_form() -> None:
    written = written_real_calamine(FORM_SHEET)
    real = calamine_tab(FORM_SHEET)
    assert len(written) == len(real)
    for mine, theirs in zip(written, real, strict=True):
        assert mine[:6] == theirs[:6]
        assert plain(mine[6]) == plain(theirs[6])  # the details column: empty but for 'allocated by SECAS'


@needs_real_list
def test_the_forms_drop_downs_and_input_cells_are_the_real_forms() -> None:
    def drop_downs(book: openpyxl.Workbook) -> dict[str, str]:
        return {
            str(v.sqref): str(v.formula1) for v in book[FORM_SHEET].data_validations.dataValidation if v.type == "list"
        }

    assert drop_downs(small_written()) == drop_downs(real_openpyxl())
    mine, theirs = small_written()[FORM_SHEET], real_openpyxl()[FORM_SHEET]
    for row in range(7, theirs.max_row + 1):
        cell, real_cell = mine.cell(row, 7), theirs.cell(row, 7)
        assert cell.protection.locked == real_cell.protection.locked, row  # only the input cells can be edited
        assert (cell.fill.fill_type == "solid") == (real_cell.fill.fill_type == "solid"), row
        if not cell.protection.locked:  # hex and text as Text; the CPA expiry date a date (issue 12)
            dated = theirs.cell(row, 2).value == "expiry_date"
            assert cell.number_format == ("dd/mm/yyyy" if dated else "@"), row
    assert mine.cell(9, 7).fill.fgColor.rgb.endswith("E2EFDA")  # light green, as the instructions say


@needs_real_list
def test_the_panes_are_frozen_as_in_the_real_file() -> None:
    for name in (FORM_SHEET, LIST_SHEET, CSV_SHEET):
        assert small_written()[name].freeze_panes == real_openpyxl()[name].freeze_panes, name
    assert all(sheet.protection.sheet for sheet in small_written().worksheets)


@needs_real_list
def test_cpa_dates_are_date_cells_shown_day_first() -> None:
    sheet = small_written()[LIST_SHEET]
    dated = [sheet.cell(row, 14) for row in range(8, 11) if sheet.cell(row, 14).value is not None]
    assert dated and all(isinstance(c.value, dt.datetime) and c.number_format == "dd/mm/yyyy" for c in dated)


# --- the file itself -------------------------------------------------------------------------------


def one_entry_workbook(**changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "version": "2.052",
        "issued": dt.date(2022, 9, 28),
        "entries": [sample_entry()],
        "history": [VersionRecord("2.052", dt.date(2022, 9, 28), "One new SMETS2 device model added:")],
    }
    return write_sec_workbook(**(arguments | changes))


def test_the_same_list_is_the_same_bytes() -> None:
    assert one_entry_workbook() == one_entry_workbook()
    book = openpyxl.load_workbook(io.BytesIO(one_entry_workbook()))
    assert book.properties.created == book.properties.modified == dt.datetime(2022, 9, 28)
    assert {info.date_time[:3] for info in zipfile.ZipFile(io.BytesIO(one_entry_workbook())).infolist()} == {
        (2022, 9, 28)
    }


def test_the_workbook_is_not_macro_enabled() -> None:
    archive = zipfile.ZipFile(io.BytesIO(one_entry_workbook()))
    assert not any("vba" in name.lower() for name in archive.namelist())
    content_types = archive.read("[Content_Types].xml").decode()
    assert "macroEnabled" not in content_types and "spreadsheetml.sheet.main+xml" in content_types


def test_history_text_keeps_its_line_breaks_and_what_looks_like_an_escape() -> None:
    changes = "One new SMETS2 device model added:\r\n000123 - =SUM(A1) _x000D_ \u00e9\x01"
    data = one_entry_workbook(history=[VersionRecord("2.052", dt.date(2022, 9, 28), changes)])
    assert reparsed(data).history == (VersionRecord("2.052", dt.date(2022, 9, 28), changes),)


def test_a_text_that_looks_like_a_formula_stays_text() -> None:
    entry = sample_entry(manufacturer_image_descriptor='=HYPERLINK("x")', manufacturer_image_creator="+1")
    data = one_entry_workbook(entries=[entry])
    book = read_workbook(data)
    assert all(not sheet.formula_cells for sheet in book.sheets)
    assert reparsed(data).entries == (entry,)


def test_a_long_choice_list_goes_to_a_hidden_lists_sheet() -> None:
    long_choices = tuple(f"Choice number {n} with a long name" for n in range(12))
    rows = (
        FormRow("Entry", "number", "n", "c", "f", "v", (), input=False, allocated_by_secas=True, field=None),
        FormRow("G", "short", "n", "c", "f", "v", ("A", "B"), input=True, allocated_by_secas=False, field=None),
        FormRow("G", "long", "n", "c", "f", "v", long_choices, input=True, allocated_by_secas=False, field=None),
        FormRow("G", "comma", "n", "c", "f", "v", ("1,2", "3"), input=True, allocated_by_secas=False, field=None),
        FormRow("G", "text", "n", "c", "f", "v", (), input=True, allocated_by_secas=False, field=None),
    )
    book = openpyxl.load_workbook(io.BytesIO(one_entry_workbook(form_rows=rows)))
    assert book[LISTS_SHEET].sheet_state == "hidden"
    formulas = {str(v.sqref): str(v.formula1) for v in book[FORM_SHEET].data_validations.dataValidation}
    assert formulas == {"G8": '"A,B"', "G9": f"'{LISTS_SHEET}'!$A$2:$A$13", "G10": f"'{LISTS_SHEET}'!$B$2:$B$3"}
    assert [c.value for c in book[LISTS_SHEET]["A"]][1:] == list(long_choices)
    form = book[FORM_SHEET]
    assert form["G7"].value == "This value is allocated by SECAS" and form["G7"].protection.locked
    assert not form["G11"].protection.locked and form["G11"].fill.fill_type == "solid"


def test_the_blank_form_defaults_to_the_secs_form_rows() -> None:
    book = read_workbook(one_entry_workbook())
    form = book.sheet(FORM_SHEET)
    assert form is not None
    assert [(cells[0], cells[1]) for number, cells in form.rows if number >= 7] == [
        (row.group, row.attribute) for row in FORM_ROWS
    ]


def test_an_empty_list_writes_its_headers_only() -> None:
    data = one_entry_workbook(entries=[])
    assert reparsed(data).entries == () and reparsed(data).findings == ()
    assert (
        write_sec_csv(label="Version 2.052 Issued on 28-09-2022", entries=[])
        == (",".join(CSV_HEADER) + "\r\n").encode()
    )


@settings(max_examples=25, deadline=None)
@given(entry_lists(max_size=8))
def test_any_entry_written_to_the_workbook_reads_back_the_same(entries: list[Any]) -> None:
    data = one_entry_workbook(entries=entries)
    back = reparsed(data)
    assert back.findings == ()
    assert list(back.entries) == at_rows(entries)


def test_the_csv_quotes_only_what_needs_quoting() -> None:
    data = write_sec_csv(label='Version "2,052"', entries=[sample_entry()])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[1][0] == 'Version "2,052"' and rows[1][1] == "000123"
    assert data.splitlines()[1].startswith(
        b'"Version ""2,052""",000123,Current,Gas Smart Meter,106C,4331,00,AC,433100AC'
    )
