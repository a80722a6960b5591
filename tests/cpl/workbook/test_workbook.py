"""The workbook file layer: the template, filled submissions, and the safe reader (CONTRACT.md section 1)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import openpyxl
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpl.core.domain import PartyRole
from cpl.core.findings import Code, Finding
from cpl.core.rules import CheckContext
from cpl.core.schema import CERTIFICATE_COLUMNS, CERTIFICATE_SHEET, ENTRY_COLUMNS, ENTRY_SHEET, GUIDANCE_SHEET, Kind
from cpl.core.sheets import SheetData, WorkbookData
from cpl.demo.samples import sample_submission
from cpl.services.checking import check_workbook
from cpl.specs_file import default_registry
from cpl.workbook.reader import ReadLimits, WorkbookUnreadable, read_workbook
from cpl.workbook.template import LISTS_SHEET, write_submission, write_template
from tests.cpl.workbook import hostile_workbooks as hostile
from tests.cpl.workbook.hostile_workbooks import inline_cell, sheet_xml, workbook

FORM_SHEETS = {ENTRY_SHEET: ENTRY_COLUMNS, CERTIFICATE_SHEET: CERTIFICATE_COLUMNS}


def template_bytes() -> bytes:
    buffer = io.BytesIO()
    write_template(buffer)
    return buffer.getvalue()


def submission_bytes(
    entries: list[dict[str, object]], certificates: list[dict[str, object]], extra_columns: tuple[str, ...] = ()
) -> bytes:
    buffer = io.BytesIO()
    write_submission(buffer, entries, certificates, extra_columns=extra_columns)
    return buffer.getvalue()


def opened_template() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_bytes()))


def only_sheet(data: bytes, limits: ReadLimits = ReadLimits()) -> SheetData:
    return read_workbook(data, limits).sheets[0]


def sheet_named(book: WorkbookData, name: str) -> SheetData:
    sheet = book.sheet(name)
    assert sheet is not None, f"no sheet {name}"
    return sheet


# --- the template ----------------------------------------------------------------------------------


def test_template_has_the_two_form_sheets_then_guidance_and_a_hidden_lists_sheet() -> None:
    book = opened_template()
    assert book.sheetnames == [ENTRY_SHEET, CERTIFICATE_SHEET, GUIDANCE_SHEET, LISTS_SHEET]
    assert [sheet.sheet_state for sheet in book] == ["visible", "visible", "visible", "hidden"]


def test_template_headers_are_the_schema_headers_in_order() -> None:
    book = opened_template()
    for name, columns in FORM_SHEETS.items():
        assert [cell.value for cell in book[name][1]] == [column.header for column in columns]


def test_template_header_row_is_frozen() -> None:
    book = opened_template()
    for name in (*FORM_SHEETS, GUIDANCE_SHEET):
        assert book[name].freeze_panes == "A2"


def test_template_shades_exactly_the_required_headers_light_green() -> None:
    book = opened_template()
    for name, columns in FORM_SHEETS.items():
        for index, column in enumerate(columns, start=1):
            fill = book[name].cell(row=1, column=index).fill
            if column.required:
                assert fill.fill_type == "solid" and fill.fgColor.rgb.endswith("C6EFCE"), column.header
            else:
                assert fill.fill_type is None, column.header


def _choices_offered(book: openpyxl.Workbook, formula: str) -> list[str]:
    """What a list validation offers: an inline list, or a range of the Lists sheet."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet_name, cells = formula.split("!")
    assert sheet_name.strip("'") == LISTS_SHEET
    return [cell.value for row in book[LISTS_SHEET][cells.replace("$", "")] for cell in row]


def test_template_offers_a_drop_down_of_the_schema_choices_for_every_enumerated_column() -> None:
    book = opened_template()
    for name, columns in FORM_SHEETS.items():
        validations = {str(dv.sqref): dv for dv in book[name].data_validations.dataValidation}
        for index, column in enumerate(columns, start=1):
            if column.kind is not Kind.ENUM:
                continue
            letter = openpyxl.utils.get_column_letter(index)
            validation = validations[f"{letter}2:{letter}1048576"]
            assert validation.type == "list" and validation.showErrorMessage
            assert _choices_offered(book, validation.formula1) == list(column.choices)


def test_choice_lists_over_excels_inline_limit_live_on_the_lists_sheet() -> None:
    book = opened_template()
    device_type = ENTRY_COLUMNS[1]
    assert len(",".join(device_type.choices)) + 2 > 255  # the reason for the Lists sheet
    (validation,) = [dv for dv in book[ENTRY_SHEET].data_validations.dataValidation if str(dv.sqref).startswith("B")]
    assert validation.formula1.startswith(f"'{LISTS_SHEET}'!")
    assert all(len(dv.formula1) <= 255 for name in FORM_SHEETS for dv in book[name].data_validations.dataValidation)


def test_template_formats_hex_columns_as_text_and_date_columns_as_dates() -> None:
    book = opened_template()
    for name, columns in FORM_SHEETS.items():
        for index, column in enumerate(columns, start=1):
            number_format = book[name].column_dimensions[openpyxl.utils.get_column_letter(index)].number_format
            if column.kind in (Kind.HEX, Kind.HEX_LIST):
                assert number_format == "@", column.header
            elif column.kind is Kind.DATE:
                assert "yy" in number_format and "dd" in number_format, column.header


def test_template_columns_are_wide_enough_for_their_headers() -> None:
    book = opened_template()
    for name, columns in FORM_SHEETS.items():
        for index, column in enumerate(columns, start=1):
            width = book[name].column_dimensions[openpyxl.utils.get_column_letter(index)].width
            assert len(column.header) < width <= 60, column.header


def test_template_headers_carry_their_guidance_as_comments() -> None:
    book = opened_template()
    for name, columns in FORM_SHEETS.items():
        for index, column in enumerate(columns, start=1):
            comment = book[name].cell(row=1, column=index).comment
            assert comment is not None and comment.text == column.guidance


def test_guidance_sheet_lists_every_column_with_required_format_and_guidance() -> None:
    guidance = opened_template()[GUIDANCE_SHEET]
    rows = list(guidance.iter_rows(values_only=True))
    assert rows[0] == ("Sheet", "Column", "Required", "Format", "Guidance")
    listed = {(row[0], row[1]): row[2:] for row in rows[1:] if row[0] in FORM_SHEETS}
    for name, columns in FORM_SHEETS.items():
        for column in columns:
            required, format_text, guidance_text = listed[(name, column.header)]
            assert required == ("yes" if column.required else "no")
            assert guidance_text == column.guidance
            assert format_text
            if column.kind is Kind.ENUM:
                assert all(choice in format_text for choice in column.choices)


def test_template_reads_back_as_exact_headers_and_no_rows() -> None:
    book = read_workbook(template_bytes())
    for name, columns in FORM_SHEETS.items():
        sheet = sheet_named(book, name)
        assert sheet.header == tuple(column.header for column in columns)
        assert sheet.rows == ()


def test_write_template_writes_to_a_path(tmp_path: pytest.TempPathFactory) -> None:
    target = tmp_path / "template.xlsx"  # type: ignore[operator]
    write_template(str(target))
    assert sheet_named(read_workbook(target.read_bytes()), ENTRY_SHEET).header[0] == "Submission Type"


# --- filled submissions, read back -----------------------------------------------------------------


def _as_read_back(value: object) -> object:
    """A value as the reader hands it back: enums as text, dates as dates, absent as None."""
    if value is None or isinstance(value, dt.date):
        return value
    return str(value)


def test_submission_round_trip_keeps_every_value_and_row_number() -> None:
    submission = sample_submission(20)
    entries = [dict(row) for row in submission.entries]
    entries[0]["hardware_version"] = "00AC"  # leading zeros must survive
    entries[1]["gbcs_version"] = None
    book = read_workbook(submission_bytes(entries, submission.certificates))
    for name, columns, rows in (
        (ENTRY_SHEET, ENTRY_COLUMNS, entries),
        (CERTIFICATE_SHEET, CERTIFICATE_COLUMNS, submission.certificates),
    ):
        sheet = sheet_named(book, name)
        assert [number for number, _ in sheet.rows] == list(range(2, len(rows) + 2))
        for (_, values), row in zip(sheet.rows, rows, strict=True):
            expected = [_as_read_back(row.get(column.field)) for column in columns]
            assert list(values[: len(columns)]) == expected
            assert all(value is None for value in values[len(columns) :])


def test_extra_columns_follow_the_schema_columns_with_their_values() -> None:
    entry = dict(sample_submission(1).entries[0])
    entry["Internal Reference"] = "IR-7"
    sheet = sheet_named(read_workbook(submission_bytes([entry], [], ("Internal Reference",))), ENTRY_SHEET)
    assert sheet.header == (*(column.header for column in ENTRY_COLUMNS), "Internal Reference")
    assert sheet.rows[0][1][-1] == "IR-7"


def test_text_that_starts_with_an_equals_sign_is_written_as_text_not_a_formula() -> None:
    entry = dict(sample_submission(1).entries[0])
    entry["release_notes"] = '=HYPERLINK("http://example.invalid")'
    sheet = sheet_named(read_workbook(submission_bytes([entry], [])), ENTRY_SHEET)
    assert sheet.formula_cells == frozenset()
    assert sheet.rows[0][1][8] == entry["release_notes"]


# --- what the reader hands over --------------------------------------------------------------------


def test_row_numbers_are_spreadsheet_rows_when_the_data_starts_below_and_right_of_a1() -> None:
    sheet = only_sheet(
        workbook(
            sheet_xml(
                b'<row r="1">' + inline_cell("B1", "Model") + inline_cell("C1", "Model ID") + b"</row>"
                b'<row r="4"><c r="C4"><v>7</v></c></row>'
                b'<row r="6">' + inline_cell("B6", "G4") + b"</row>"
            )
        )
    )
    assert sheet.header == ("", "Model", "Model ID")
    assert sheet.rows == ((4, (None, None, 7.0)), (6, (None, "G4", None)))


def test_a_sheet_whose_first_value_is_below_row_one_has_an_empty_header() -> None:
    sheet = only_sheet(workbook(sheet_xml(b'<row r="3"><c r="C3"><v>1</v></c></row>')))
    assert sheet.header == ()
    assert sheet.rows == ((3, (None, None, 1.0)),)


def test_empty_rows_are_dropped_and_empty_cells_are_none() -> None:
    sheet = only_sheet(
        workbook(
            sheet_xml(
                b'<row r="1">' + inline_cell("A1", "a") + inline_cell("B1", "b") + b"</row>"
                b'<row r="2"><c r="A2" s="1"/></row>'
                b'<row r="3">' + inline_cell("B3", "x") + b"</row>"
            )
        )
    )
    assert sheet.rows == ((3, (None, "x")),)


def test_header_cells_are_stripped_text_and_trailing_empty_headers_are_dropped() -> None:
    sheet = only_sheet(
        workbook(
            sheet_xml(
                b'<row r="1">' + inline_cell("A1", "  Manufacturer ID ") + b'<c r="B1"><v>2024</v></c></row>'
                b'<row r="2"><c r="D2"><v>1</v></c></row>'
            )
        )
    )
    assert sheet.header == ("Manufacturer ID", "2024")


def test_values_keep_their_types_and_zero_and_false_are_not_empty() -> None:
    cells = openpyxl.Workbook()
    sheet = cells.active
    sheet.append(["Text", "Number", "Date", "Flag", "Zero"])
    sheet.append(["0012", 3.5, dt.date(2030, 1, 31), False, 0])
    buffer = io.BytesIO()
    cells.save(buffer)
    read = only_sheet(buffer.getvalue())
    assert read.rows == ((2, ("0012", 3.5, dt.date(2030, 1, 31), False, 0.0)),)


def test_every_sheet_is_returned_in_workbook_order() -> None:
    names = [sheet.name for sheet in read_workbook(template_bytes()).sheets]
    assert names == [ENTRY_SHEET, CERTIFICATE_SHEET, GUIDANCE_SHEET, LISTS_SHEET]


def test_formula_cells_are_located_and_never_evaluated() -> None:
    cells = openpyxl.Workbook()
    sheet = cells.active
    sheet.append(["Manufacturer ID", "Model ID"])
    sheet.append(["106C", '=UPPER("4a31")'])
    sheet["D6"] = "=1+2"
    buffer = io.BytesIO()
    cells.save(buffer)
    read = only_sheet(buffer.getvalue())
    assert read.formula_cells == frozenset({(2, 1), (6, 3)})
    assert read.rows == ((2, ("106C", None)),)  # openpyxl stores no result, and nothing is computed


def test_formula_cells_are_located_the_same_when_the_sheet_must_be_parsed() -> None:
    rows = (
        b'<row r="1">' + inline_cell("A1", "h") + b"</row>"
        b'<row r="3"><c r="C3"><f>1+1</f><v>2</v></c><c r="D3" t="str"><f t="shared" si="0"/><v>x</v></c></row>'
    )
    fast = only_sheet(workbook(sheet_xml(rows)))
    parsed = only_sheet(workbook(sheet_xml(b"<!-- a comment sends the sheet to the parser -->" + rows)))
    assert fast.formula_cells == parsed.formula_cells == frozenset({(3, 2), (3, 3)})
    assert fast.rows == parsed.rows == ((3, (None, None, 2.0, "x")),)


def test_cells_without_references_are_placed_as_calamine_places_them() -> None:
    sheet = only_sheet(
        workbook(
            sheet_xml(
                b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>2</v></c></row>'
                b"<row><c><v>3</v></c></row>"
                b'<row r="5"><c><f>1+1</f><v>2</v></c><c r="D5"><v>4</v></c><c><v>5</v></c></row>'
            )
        )
    )
    assert sheet.header == ("x", "2")
    assert sheet.rows == ((2, (3.0, None, None, None, None)), (5, (2.0, None, None, 4.0, 5.0)))
    assert sheet.formula_cells == frozenset({(5, 0)})


def test_a_sheet_under_a_namespace_prefix_is_read_with_its_formulas() -> None:
    sheet = only_sheet(
        workbook(
            b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
            b'<x:row r="2"><x:c r="B2"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>'
        )
    )
    assert sheet.rows == ((2, (None, 2.0)),)
    assert sheet.formula_cells == frozenset({(2, 1)})


def test_validation_ranges_in_the_excel_2010_extension_are_not_formula_cells() -> None:
    sheet = only_sheet(
        workbook(
            sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>').replace(
                b"</worksheet>",
                b'<extLst><ext xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
                b"<xm:f>Lists!$A$2:$A$10</xm:f></ext></extLst></worksheet>",
            )
        )
    )
    assert sheet.formula_cells == frozenset()


def test_an_empty_formatted_cell_far_away_does_not_make_a_sheet_too_large() -> None:
    sheet = only_sheet(
        workbook(
            sheet_xml(
                b'<row r="1">' + inline_cell("A1", "h") + b'<c r="XFD1" s="1"/></row>'
                b'<row r="1048576"><c r="A1048576" s="2"></c></row>'
            )
        )
    )
    assert sheet.header == ("h",)


def test_a_sheet_wider_than_a_to_z_is_read_whole() -> None:
    letters = [openpyxl.utils.get_column_letter(n) for n in range(1, 61)]
    rows = b"".join(
        b'<row r="%d">' % row
        + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (c.encode(), row, row) for c in letters)
        + b"</row>"
        for row in range(1, 40)
    )
    sheet = only_sheet(workbook(sheet_xml(rows)))
    assert len(sheet.rows) == 38 and sheet.rows[-1] == (39, (39.0,) * 60)


# --- limits ----------------------------------------------------------------------------------------


def _rows_sheet(count: int) -> bytes:
    return workbook(
        sheet_xml(b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(1, count + 2)))
    )


def test_the_row_limit_counts_rows_below_the_header() -> None:
    assert len(only_sheet(_rows_sheet(120), ReadLimits(max_rows=120)).rows) == 120
    with pytest.raises(WorkbookUnreadable, match="row 122; at most 120 rows"):
        read_workbook(_rows_sheet(121), ReadLimits(max_rows=120))


def test_the_row_limit_holds_when_rows_carry_no_references() -> None:
    data = workbook(sheet_xml(b"".join(b"<row><c><v>%d</v></c></row>" % n for n in range(30))))
    assert len(only_sheet(data, ReadLimits(max_rows=29)).rows) == 29
    with pytest.raises(WorkbookUnreadable, match="rows below the header"):
        read_workbook(data, ReadLimits(max_rows=28))


def test_the_cell_limit_counts_the_grid_calamine_would_build() -> None:
    data = workbook(sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="40"><c r="Z40"><v>1</v></c></row>'))
    assert only_sheet(data, ReadLimits(max_cells=40 * 26)).rows[0][0] == 40
    with pytest.raises(WorkbookUnreadable, match="40 rows by 26 columns"):
        read_workbook(data, ReadLimits(max_cells=40 * 26 - 1))


def test_a_sheet_that_must_be_parsed_may_not_hold_more_cells_than_the_limit_even_empty_ones() -> None:
    """Going through cells costs time whether or not they hold values."""
    data = workbook(sheet_xml(b"<!-- parsed -->" + b'<row r="1">' + b'<c s="1"/>' * 2_000 + b"</row>"))
    assert only_sheet(data, ReadLimits(max_cells=2_000)).header == ()
    with pytest.raises(WorkbookUnreadable, match="at most 1,999 cells"):
        read_workbook(data, ReadLimits(max_cells=1_999))


def test_the_file_size_limit() -> None:
    data = workbook()
    read_workbook(data, ReadLimits(max_file_bytes=len(data)))
    with pytest.raises(WorkbookUnreadable, match="are not read"):
        read_workbook(data, ReadLimits(max_file_bytes=len(data) - 1))


def test_the_part_count_limit() -> None:
    data = workbook()
    read_workbook(data, ReadLimits(max_members=6))
    with pytest.raises(WorkbookUnreadable, match="has 6 parts; at most 5"):
        read_workbook(data, ReadLimits(max_members=5))


def test_the_uncompressed_size_limit() -> None:
    data = workbook()
    total = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    read_workbook(data, ReadLimits(max_uncompressed_bytes=total))
    with pytest.raises(WorkbookUnreadable, match="expands to"):
        read_workbook(data, ReadLimits(max_uncompressed_bytes=total - 1))


def test_the_compression_ratio_limit() -> None:
    data = hostile.zip_bomb(mebibytes=8)
    with pytest.raises(WorkbookUnreadable, match="decompression bomb"):
        read_workbook(data, ReadLimits(max_ratio=100))


# --- the hostile corpus ----------------------------------------------------------------------------

HOSTILE: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "empty file": (hostile.empty_file, ("empty",)),
    "not a zip": (hostile.not_a_zip, ("not an .xlsx", "zip")),
    "truncated zip": (hostile.truncated_zip, ("corrupt or truncated",)),
    "OLE2 container (encrypted or .xls)": (hostile.ole2_container, ("encrypted", "legacy .xls")),
    "zip bomb, 300 MB of zeros": (hostile.zip_bomb, ("decompression bomb",)),
    "zip bomb lying about its size": (hostile.disguised_zip_bomb, ("more data than", "decompression bomb")),
    "billion laughs in the shared strings": (hostile.billion_laughs, ("sharedStrings", "DTD", "entities")),
    "external entity in a sheet": (hostile.external_entity, ("sheet1.xml", "external entities")),
    "a million rows": (hostile.million_row_sheet, ("row 100,002", "100,000 rows")),
    "two values 17 billion cells apart": (hostile.far_apart_cells, ("row 1,048,576", "rows")),
    "a value beyond Excel's last column": (hostile.very_wide_row, ("column 12,356,630",)),
    "rows without references": (hostile.implicit_rows, ("row 100,002", "rows")),
    "thousands of parts": (hostile.many_members, ("5,006 parts",)),
    "no xl/workbook.xml": (hostile.missing_workbook_part, ("xl/workbook.xml",)),
    "a UTF-16 part": (hostile.utf16_sheet, ("UTF-8",)),
    "an encrypted zip member": (hostile.encrypted_member, ("encrypted", "password")),
    "two parts with one name": (hostile.duplicate_part_names, ("two parts named",)),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_workbook_is_refused_with_a_sentence_naming_the_problem(case: str) -> None:
    """How quickly each is refused is measured by `bench_workbook` (a timed test flakes on a busy machine)."""
    build, words = HOSTILE[case]
    data = build()
    with pytest.raises(WorkbookUnreadable) as refused:
        read_workbook(data)
    reason = refused.value.reason
    for word in words:
        assert word in reason
    assert reason == str(refused.value)
    assert reason.endswith(".") and "\n" not in reason and "Traceback" not in reason


def test_a_second_reference_in_a_cell_tag_cannot_hide_a_far_cell() -> None:
    """calamine takes a tag's last ``r``, even glued to the attribute before it."""
    for tag in (b'<c r="B1" r="XFD1048576">', b'<c r="B1" s="0"r="XFD1048576">', b"<c r=\"B1\" r='XFD1048576'>"):
        data = workbook(sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c>' + tag + b"<v>1</v></c></row>"))
        with pytest.raises(WorkbookUnreadable):
            read_workbook(data)


def test_a_far_cell_in_a_nonstandard_spelling_is_still_found() -> None:
    spellings = (
        (b'<c r="xfd1048576">', b"</c>"),
        (b'<c r = "XFD1048576">', b"</c>"),
        (b'<c\tr="XFD1048576">', b"</c>"),
        (b'<c s="1" r="XFD1048576">', b"</c>"),
        (b'<x:c r="XFD1048576">', b"</x:c>"),
    )
    for start, end in spellings:
        sheet = sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c>' + start + b"<v>1</v>" + end + b"</row>")
        sheet = sheet.replace(b"<worksheet ", b'<worksheet xmlns:x="%s" ' % hostile.MAIN_NAMESPACE)
        with pytest.raises(WorkbookUnreadable, match="row 1,048,576"):
            read_workbook(workbook(sheet))


def _far_apart_parts() -> dict[str, bytes]:
    return hostile.workbook_parts(
        sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    )


def test_a_sheet_part_named_in_another_case_is_checked_before_calamine_reads_it() -> None:
    """calamine finds a sheet's part ignoring case; the checks must find the same part first."""
    parts = _far_apart_parts()
    parts["xl/Worksheets/SHEET1.xml"] = parts.pop(hostile.SHEET_PART)
    with pytest.raises(WorkbookUnreadable, match="row 1,048,576"):
        read_workbook(hostile.zip_parts(parts))


def test_relationships_the_reader_cannot_map_for_sure_still_have_every_sheet_part_checked_first() -> None:
    parts = _far_apart_parts()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'hyperlink" Target="http://example.invalid/?a=1&amp;b=2" TargetMode="External"/></Relationships>',
    )
    with pytest.raises(WorkbookUnreadable, match="row 1,048,576"):
        read_workbook(hostile.zip_parts(parts))
    parts[hostile.SHEET_PART] = sheet_xml(b'<row r="1">' + inline_cell("A1", "Model") + b"</row>")
    assert only_sheet(hostile.zip_parts(parts)).header == ("Model",)


def test_a_part_no_sheet_names_is_still_checked() -> None:
    parts = hostile.workbook_parts()
    parts["xl/worksheets/sheet9.xml"] = sheet_xml(b"", prolog=b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>')
    with pytest.raises(WorkbookUnreadable, match=r"sheet9\.xml declares a DTD"):
        read_workbook(hostile.zip_parts(parts))


def test_parts_whose_names_differ_only_in_case_are_refused() -> None:
    """calamine finds parts ignoring case: it could read the twin the checks did not look at."""
    parts = hostile.workbook_parts()
    parts["XL/Workbook.xml"] = parts["xl/workbook.xml"]
    with pytest.raises(WorkbookUnreadable, match=r"two parts named XL/Workbook\.xml"):
        read_workbook(hostile.zip_parts(parts))


def test_a_zip_entry_pointing_at_another_part_is_corrupt() -> None:
    members = [hostile.deflated_member(name, content) for name, content in hostile.workbook_parts().items()]
    data = bytearray(hostile.raw_zip(members))
    local_name = data.index(hostile.SHEET_PART.encode())  # the first copy is the local header's
    data[local_name : local_name + 2] = b"XL"
    with pytest.raises(WorkbookUnreadable, match="corrupt or truncated"):
        read_workbook(bytes(data))


# --- properties ------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_raise_nothing_but_workbook_unreadable(data: bytes) -> None:
    try:
        read_workbook(data)
    except WorkbookUnreadable as refused:
        assert refused.reason.endswith(".")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_workbook_raises_nothing_but_workbook_unreadable(data: st.DataObject) -> None:
    original = workbook()
    start = data.draw(st.integers(0, len(original) - 1))
    patch = data.draw(st.binary(min_size=1, max_size=64))
    damaged = original[:start] + patch + original[start + len(patch) :]
    try:
        read = read_workbook(damaged)
    except WorkbookUnreadable as refused:
        reason = refused.reason
        assert reason[:1].isupper() and reason.endswith(".") and "\n" not in reason, reason
        assert "Traceback" not in reason and "Error:" not in reason, reason
        context = CheckContext(
            as_of=dt.date(2026, 11, 23), submitter=PartyRole.MANUFACTURER, registry=default_registry()
        )
        assert check_workbook(damaged, context).findings == [Finding(Code.WB001, None, None, None, reason)]
    else:
        assert isinstance(read, WorkbookData)  # damage the reader could not see (a patched cell value, say)


_REFERENCES = st.sampled_from(["A1", "B2", "C3", "D4", "E5", "Z9", "AA3", "XFD1048576", "A60", "AZ2", "a5"]).map(
    str.encode
)
_CELLS = st.one_of(
    st.sampled_from([b"<c><v>1</v></c>", b"<c><f>1+1</f></c>", b"<c/>", b'<c t="inlineStr"><is><t>x</t></is></c>']),
    _REFERENCES.map(lambda ref: b'<c r="%s"><v>1</v></c>' % ref),
    _REFERENCES.map(lambda ref: b'<c r="%s" s="1"/>' % ref),
    _REFERENCES.map(lambda ref: b'<c r="%s"><f>1</f><v>2</v></c>' % ref),
    _REFERENCES.map(lambda ref: b'<x:c r="%s"><x:v>1</x:v></x:c>' % ref),
    _REFERENCES.map(lambda ref: b'<c r="A1" r="%s"><v>1</v></c>' % ref),
    _REFERENCES.map(lambda ref: b"<c r='%s'><v>1</v></c>" % ref),
)
_ROWS = st.builds(
    lambda start, cells: start + b"".join(cells) + b"</row>",
    st.one_of(st.just(b"<row>"), st.integers(1, 8).map(lambda row: b'<row r="%d">' % row)),
    st.lists(_CELLS, max_size=4),
)
#: Markup out of place, to reach the parse and calamine's error paths too.
_JUNK = st.sampled_from([b"<!-- c -->", b"</c>", b"<c>", b"<row>", b"</row>", b'"', b"<", b">", b"&amp;", b"</x:c>"])
_SHEET_BODIES = st.lists(st.one_of(_ROWS, _ROWS, _ROWS, _JUNK), max_size=12).map(b"".join)
_LOOSE = ReadLimits(max_rows=50, max_columns=60, max_cells=3000)


def _calamine_grid(data: bytes) -> tuple[int, int] | None:
    """Rows and columns of the grid calamine lays the first sheet out on (call only on checked files)."""
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    end = book.get_sheet_by_index(0).end
    return None if end is None else (end[0] + 1, end[1] + 1)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SHEET_BODIES)
def test_whatever_the_sheet_holds_the_checks_never_underestimate_calamines_grid(body: bytes) -> None:
    """Limits just under the grid calamine builds are enforced by the checks, before calamine runs.

    (The reader's last look at calamine's own result says "larger than the reader accepts": if it
    ever speaks, the checks let through a grid they should have measured.)
    """
    sheet = sheet_xml(body).replace(b"<worksheet ", b'<worksheet xmlns:x="%s" ' % hostile.MAIN_NAMESPACE)
    data = workbook(sheet)
    try:
        read_workbook(data, _LOOSE)
    except WorkbookUnreadable as refused:
        assert "larger than the reader accepts" not in refused.reason
        return
    grid = _calamine_grid(data)  # safe now: the checks passed it
    if grid is None:
        return
    rows, columns = grid
    tighter = [ReadLimits(max_cells=rows * columns - 1)]
    if rows > 1:
        tighter.append(ReadLimits(max_rows=rows - 2))
    if columns > 1:
        tighter.append(ReadLimits(max_columns=columns - 1))
    for limits in tighter:
        with pytest.raises(WorkbookUnreadable) as checked:
            read_workbook(data, limits)
        assert "larger than the reader accepts" not in checked.value.reason
