"""Issue 12 at the file layer: what a spreadsheet stores, read by the safe reader and checked.

Workbooks are written as a spreadsheet program stores them: openpyxl writing number cells where hex
was typed into a General column, error cells (data type ``e``: ``#N/A``, ``#REF!``), cells of spaces
(``xml:space="preserve"``, as Excel writes them), and the templates themselves, blank or resaved.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpl.core.domain import PartyRole
from cpl.core.findings import Code
from cpl.core.rules import CheckContext
from cpl.core.schema import CERTIFICATE_COLUMNS, CERTIFICATE_SHEET, ENTRY_COLUMNS, ENTRY_SHEET, GUIDANCE_SHEET
from cpl.core.sec_form import FORM_SHEET
from cpl.core.submission import parse_submission
from cpl.demo.samples import sample_submission
from cpl.services.checking import check_workbook
from cpl.specs_file import default_registry
from cpl.workbook.reader import WorkbookUnreadable, read_workbook
from cpl.workbook.sec_layout import write_sec_workbook
from cpl.workbook.template import write_submission, write_template
from tests.cpl.workbook.hostile_workbooks import MAIN_NAMESPACE, inline_cell, sheet_xml, workbook

ENTRY_HEADERS = [column.header for column in ENTRY_COLUMNS]
RETYPE = "format the column as Text and enter the value again."


def saved(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def error_cell(sheet: openpyxl.worksheet.worksheet.Worksheet, reference: str, error: str) -> None:
    """A cell holding an error value, as a spreadsheet stores one (``<c t="e"><v>#N/A</v></c>``)."""
    sheet[reference] = error
    sheet[reference].data_type = "e"


def filled_submission() -> openpyxl.Workbook:
    """One valid Communications Hub entry in the template's layout, opened for editing."""
    sample = sample_submission(1)
    buffer = io.BytesIO()
    write_submission(buffer, sample.entries, sample.certificates)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def letter(header: str) -> str:
    return str(openpyxl.utils.get_column_letter(ENTRY_HEADERS.index(header) + 1))


def check(data: bytes) -> list[tuple[Code, str | None, int | None, str | None, str]]:
    context = CheckContext(as_of=dt.date(2026, 11, 23), submitter=PartyRole.SUPPLIER, registry=default_registry())
    return [(f.code, f.sheet, f.row, f.column, f.message) for f in check_workbook(data, context).findings]


# --- error values ------------------------------------------------------------------------------------


def test_error_cells_read_as_empty_and_are_named_with_their_error() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Manufacturer ID", "Model ID", "Notes"])
    sheet.append(["106C", None, "x"])
    error_cell(sheet, "B2", "#N/A")
    error_cell(sheet, "C3", "#REF!")  # a row holding nothing else
    sheet["A3"] = "   "
    read = read_workbook(saved(book)).sheets[0]
    assert read.rows == ((2, ("106C", None, "x")),)  # row 3 holds no value, only an error
    assert dict(read.error_cells) == {(2, 1): "#N/A", (3, 2): "#REF!"}


def test_an_error_in_the_header_row_is_no_error_cell() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Manufacturer ID", None])
    error_cell(sheet, "B1", "#N/A")
    sheet.append(["106C", "x"])
    assert read_workbook(saved(book)).sheets[0].error_cells == {}


def test_a_formula_whose_cached_value_is_an_error_is_a_formula_cell_only() -> None:
    body = (
        b'<row r="1">' + inline_cell("A1", "Model ID") + b"</row>"
        b'<row r="2"><c r="A2" t="e"><f>VLOOKUP(1,B:B,1,0)</f><v>#N/A</v></c></row>'
    )
    read = read_workbook(workbook(sheet_xml(body))).sheets[0]
    assert read.formula_cells == frozenset({(2, 0)}) and read.error_cells == {}


@pytest.mark.parametrize(
    "cell",
    [
        b"<c r='B2' t='e'><v>#DIV/0!</v></c>",  # single quotes
        b'<c t="e" r="B2"><v>#DIV/0!</v></c>',  # the type before the reference
        b'<c t="e"><v>#DIV/0!</v></c>',  # no reference: placed after A2
        b'<c r="B2" s="3" t="e"><v>#DIV/0!</v></c>',
    ],
)
def test_error_cells_are_placed_as_calamine_places_them_however_they_are_written(cell: bytes) -> None:
    body = (
        b'<row r="1">' + inline_cell("A1", "a") + inline_cell("B1", "b") + b"</row>"
        b'<row r="2">' + inline_cell("A2", "x") + cell + b"</row>"
    )
    read = read_workbook(workbook(sheet_xml(body))).sheets[0]
    assert read.error_cells == {(2, 1): "#DIV/0!"}
    assert read.rows == ((2, ("x", None)),)


def test_an_error_cell_under_a_namespace_prefix_is_found() -> None:
    body = (
        b'<x:row r="1">' + inline_cell("A1", "a").replace(b"<c", b"<x:c").replace(b"</c>", b"</x:c>") + b"</x:row>"
        b'<x:row r="2"><x:c r="A2" t="e"><x:v>#N/A</x:v></x:c></x:row>'
    )
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<x:worksheet xmlns:x="'
        + MAIN_NAMESPACE
        + b'"><x:sheetData>'
        + body
        + b"</x:sheetData></x:worksheet>"
    )
    assert read_workbook(workbook(sheet)).sheets[0].error_cells == {(2, 0): "#N/A"}


def test_an_error_cell_with_no_text_is_still_an_error() -> None:
    body = b'<row r="1">' + inline_cell("A1", "a") + b'</row><row r="2"><c r="A2" t="e"><v></v></c></row>'
    assert read_workbook(workbook(sheet_xml(body))).sheets[0].error_cells == {(2, 0): "(unnamed)"}


@pytest.mark.parametrize("error", ["#SPILL!", "#CALC!", "#GETTING_DATA", " #N/A "])
def test_an_error_value_calamine_cannot_read_is_refused_naming_its_cell(error: str) -> None:
    # calamine refuses the whole workbook for these (Excel 365's); the sentence says where and what.
    body = (
        b'<row r="1">' + inline_cell("A1", "a") + b"</row>"
        b'<row r="30">' + inline_cell("A30", "x") + b'<c r="AB30" t="e"><v>' + error.encode() + b"</v></c></row>"
    )
    with pytest.raises(WorkbookUnreadable) as refused:
        read_workbook(workbook(sheet_xml(body)))
    assert refused.value.reason == (
        f'The sheet "Sheet" holds the error value {error.strip()!r} in cell AB30, which cannot be read; '
        "enter the value itself."
    )


def test_an_attribute_valued_e_that_is_no_cell_type_makes_no_error_cell() -> None:
    body = b'<row r="1" spans="e">' + inline_cell("A1", "a") + b'</row><row r="2"><c r="A2"><v>1</v></c></row>'
    read = read_workbook(workbook(sheet_xml(body))).sheets[0]
    assert read.error_cells == {} and read.rows == ((2, (1.0,)),)


def test_error_values_in_a_submission_are_f002_at_their_cells_required_or_optional() -> None:
    book = filled_submission()
    entries = book[ENTRY_SHEET]
    error_cell(entries, f"{letter('Manufacturer')}2", "#REF!")
    error_cell(entries, f"{letter('Firmware Mapping Evidence')}2", "#N/A")
    error_cell(entries, f"{letter('Model ID')}3", "#N/A")  # a row nobody filled
    assert check(saved(book)) == [
        (
            Code.F002,
            ENTRY_SHEET,
            2,
            "Firmware Mapping Evidence",
            "Firmware Mapping Evidence holds the error value #N/A, not a value: enter the value itself.",
        ),
        (
            Code.F002,
            ENTRY_SHEET,
            2,
            "Manufacturer",
            "Manufacturer holds the error value #REF!, not a value: enter the value itself.",
        ),
        (
            Code.F002,
            ENTRY_SHEET,
            3,
            "Model ID",
            "Model ID holds the error value #N/A, not a value: enter the value itself.",
        ),
    ]


# --- rows cleared with spaces ------------------------------------------------------------------------


def test_a_row_cleared_by_typing_spaces_is_a_blank_row() -> None:
    shared = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + MAIN_NAMESPACE + b'" count="1" uniqueCount="1">'
        b'<si><t xml:space="preserve">  </t></si></sst>'
    )
    spaces = b'<c r="%s" t="inlineStr"><is><t xml:space="preserve">   </t></is></c>'
    body = (
        b'<row r="1">' + inline_cell("A1", "a") + inline_cell("B1", "b") + inline_cell("C1", "c") + b"</row>"
        b'<row r="2">' + spaces % b"A2" + b'<c r="B2" t="s"><v>0</v></c>' + spaces % b"C2" + b"</row>"
        b'<row r="3">' + spaces % b"A3" + b'<c r="C3"><v>7</v></c></row>'
        b'<row r="4"><c r="B4" t="s"><v>0</v></c></row>'
    )
    read = read_workbook(workbook(sheet_xml(body), shared_strings=shared)).sheets[0]
    assert read.rows == ((3, ("   ", None, 7.0)),)


def test_rows_cleared_with_spaces_in_a_submission_give_no_findings() -> None:
    book = filled_submission()
    entries = book[ENTRY_SHEET]
    for row in (3, 4):
        for index in range(1, len(ENTRY_HEADERS) + 1):
            entries.cell(row, index).value = " " * 3
    assert check(saved(book)) == []


# --- number cells where hex was typed ----------------------------------------------------------------


def test_a_number_cell_reaches_the_parser_as_a_number() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Firmware Version"])
    sheet.append([10203])
    sheet.append([float("01E5")])
    assert read_workbook(saved(book)).sheets[0].rows == ((2, (10203.0,)), (3, (100000.0,)))


def test_hex_stored_as_numbers_in_a_submission_is_f002_naming_each_cell() -> None:
    book = filled_submission()
    entries = book[ENTRY_SHEET]
    entries[f"{letter('Firmware Version')}2"] = 10203  # 00010203 typed into a General cell
    entries[f"{letter('Model ID')}2"] = float("01E5")  # 1.00E+05
    entries[f"{letter('Model ID')}2"].number_format = "0.00E+00"
    entries[f"{letter('GBCS Version')}2"] = 4.0
    assert check(saved(book)) == [
        (
            Code.F002,
            ENTRY_SHEET,
            2,
            "Firmware Version",
            f"Firmware Version was stored as the number 10203, so any leading zeros were dropped: {RETYPE}",
        ),
        (
            Code.F002,
            ENTRY_SHEET,
            2,
            "GBCS Version",
            "GBCS Version was stored as the number 4, and a number cell loses a version's digits "
            f"(4.0 becomes 4, 4.10 becomes 4.1): {RETYPE}",
        ),
        (
            Code.F002,
            ENTRY_SHEET,
            2,
            "Model ID",
            "Model ID was stored as the number 100000: a spreadsheet reads hex such as 01E5 as scientific notation "
            f"(1.00E+05), so the digits typed are lost: {RETYPE}",
        ),
    ]


_DIGITS = "0123456789"


@st.composite
def stored_firmware(draw: st.DrawFn) -> tuple[str, int | float | str]:
    """Firmware typed as hex that a spreadsheet makes a number of, and that number."""
    if draw(st.booleans()):
        typed = draw(st.text(_DIGITS, min_size=1, max_size=8))
        return typed, draw(st.sampled_from([int(typed), float(typed)]))
    mantissa = draw(st.text(_DIGITS, min_size=1, max_size=6))
    exponent = draw(st.text(_DIGITS, min_size=1, max_size=7 - len(mantissa)))
    typed = f"{mantissa}E{exponent}"
    stored = float(typed)
    return typed, stored if math.isfinite(stored) else typed  # beyond 1.8E308 a spreadsheet keeps the text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored_firmware())
def test_through_a_real_file_a_number_cell_never_passes_for_other_firmware(case: tuple[str, int | float | str]) -> None:
    typed, stored = case
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = ENTRY_SHEET
    sheet.append(ENTRY_HEADERS)
    sheet.append([stored if header == "Firmware Version" else None for header in ENTRY_HEADERS])
    parsed = parse_submission(read_workbook(saved(book)))
    firmware = parsed.entries[0].firmware_version
    stored_finding = [f for f in parsed.findings if f.column == "Firmware Version"]
    if firmware is None:
        assert [f.code for f in stored_finding] == [Code.F002]
    else:
        assert firmware == typed.upper()
        assert isinstance(stored, str) or re.fullmatch(r"[1-9][0-9]{7}", typed)


# --- the templates, blank and sent back unfilled ------------------------------------------------------


def template_bytes() -> bytes:
    buffer = io.BytesIO()
    write_template(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("resaved", [False, True], ids=["as written", "resaved by a spreadsheet"])
def test_the_template_sent_back_unfilled_is_f003(resaved: bool) -> None:
    data = template_bytes()
    if resaved:
        data = saved(openpyxl.load_workbook(io.BytesIO(data)))
    assert check(data) == [
        (Code.F003, ENTRY_SHEET, 2, None, "The workbook lists no entry: every row of the sheet is blank.")
    ]


def test_the_templates_hex_columns_are_text_and_its_date_columns_dates() -> None:
    book = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    for name, columns in ((ENTRY_SHEET, ENTRY_COLUMNS), (CERTIFICATE_SHEET, CERTIFICATE_COLUMNS)):
        formats = {
            column.header: book[name].column_dimensions[openpyxl.utils.get_column_letter(index)].number_format
            for index, column in enumerate(columns, start=1)
        }
        for header in ("Manufacturer ID", "Model ID", "Hardware Version"):
            assert formats[header] == "@", (name, header)
    assert {h: f for h, f in formats.items() if h in ("Firmware Versions", "Issued", "Expiry")} == {
        "Firmware Versions": "@",
        "Issued": "yyyy-mm-dd",
        "Expiry": "yyyy-mm-dd",
    }
    entry_formats = book[ENTRY_SHEET].column_dimensions
    assert entry_formats[letter("Firmware Version")].number_format == "@"
    assert entry_formats[letter("Manufacturer Image Hash")].number_format == "@"
    assert entry_formats[letter("CPA Expiry Date")].number_format == "yyyy-mm-dd"
    assert entry_formats[letter("CPA Conditional Date")].number_format == "yyyy-mm-dd"


def test_the_guidance_says_what_a_number_an_error_and_an_empty_workbook_give() -> None:
    rows = list(openpyxl.load_workbook(io.BytesIO(template_bytes()))[GUIDANCE_SHEET].iter_rows(values_only=True))
    notes = next(str(row[4]) for row in rows if row[0] == "Notes")
    for words in ("formatted as Text", "01E5", "F002", "#N/A", "spaces is blank", "F003", "4.0 becomes 4"):
        assert words in notes, words


def test_the_sec_forms_hex_cells_are_text_and_its_expiry_date_a_date() -> None:
    data = write_sec_workbook(version="(not yet issued)", issued=dt.date(2026, 11, 23), entries=(), history=())
    form = openpyxl.load_workbook(io.BytesIO(data))[FORM_SHEET]
    formats = {str(form.cell(row, 2).value): form.cell(row, 7).number_format for row in range(9, 40)}
    for attribute in (
        "manufacturer_identifier",
        "model_identifier",
        "hardware_version.version",
        "hardware_version.revision",
        "firmware_version",
        "hash",
        "Version_number",
        "version_number",
    ):
        assert formats[attribute] == "@", attribute
    assert formats["expiry_date"] == "dd/mm/yyyy"
    assert not form.cell(19, 7).protection.locked  # still an input cell
    assert check(data) == [
        (
            Code.F003,
            FORM_SHEET,
            6,
            "New Entry's Details",
            "The workbook lists no entry: every New Entry's Details cell of the form is blank.",
        )
    ]


def test_a_date_typed_into_the_sec_forms_expiry_cell_is_read_as_that_date() -> None:
    from cpl.core.sec_form import read_sec_form

    data = write_sec_workbook(version="(not yet issued)", issued=dt.date(2026, 11, 23), entries=(), history=())
    book = openpyxl.load_workbook(io.BytesIO(data))
    book[FORM_SHEET].cell(19, 7).value = dt.datetime(2031, 1, 31)
    book[FORM_SHEET].cell(14, 7).value = "00:01:02:03"
    form = read_sec_form(read_workbook(saved(book)), device_model_listed=lambda key: False)
    converted = dict(zip([c.field for c in ENTRY_COLUMNS], form.workbook.sheets[0].rows[0][1], strict=True))
    assert converted["cpa_expiry"] == dt.date(2031, 1, 31)
