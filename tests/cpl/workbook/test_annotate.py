"""The findings workbook: the manufacturer's own workbook handed back with each finding on its cell.

Every workbook here goes through the real check (``check_workbook``), is annotated, and is read back
with openpyxl. The cell each finding should land on is worked out from the workbook as it was built
(its header row; the SEC form's attribute rows and its "New Entry's Details" header), never from the
annotator's own mapping.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from cpl.core.domain import PartyRole, SubmissionType
from cpl.core.findings import Code, Finding
from cpl.core.rules import CheckContext, SignatureState
from cpl.core.sheets import CellValue
from cpl.demo.samples import Row, sample_row
from cpl.services.checking import check_workbook
from cpl.specs_file import default_registry
from cpl.workbook.annotate import (
    ERROR_FILL,
    FINDINGS_HEADER,
    WARNING_FILL,
    XLSM_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    AnnotatedWorkbook,
    AnnotateLimits,
    WorkbookNotAnnotated,
    annotate_workbook,
)
from cpl.workbook.template import write_submission, write_template
from formats.vocabulary import PhysicalDeviceType
from tests.cpl.conftest import CplRun
from tests.cpl.core.test_sec_form import AS_OF, CERTIFICATE_HEADER, CERTIFICATES, OTHER_TABS, VALID
from tests.cpl.core.test_sec_list import REAL_LIST, needs_real_list

GAS = PhysicalDeviceType.GAS_SMART_METER
ENTRY = "CPL New Entry"
CERTIFICATE = "Assurance Certificates"
FORM = "CPL - New Entry"
DETAILS = "New Entry's Details"
TODAY = dt.date(2026, 11, 23)
CONTEXT = CheckContext(as_of=TODAY, submitter=PartyRole.MANUFACTURER, registry=default_registry())
#: The SEC form names a Manufacturer Image hash: its workbook signature is taken as checked.
FORM_CONTEXT = CheckContext(
    as_of=AS_OF, submitter=PartyRole.MANUFACTURER, registry=default_registry(), signature=SignatureState.VALID
)

Book = Any  # openpyxl's workbook (untyped)
Edit = Callable[[Book], None]


# --- building workbooks ----------------------------------------------------------------------------


def built(
    rows: Sequence[tuple[Row, list[Row]]], *, extra_columns: tuple[str, ...] = (), edit: Edit | None = None
) -> bytes:
    """A submission in the template's layout, optionally edited afterwards as a person would."""
    written = io.BytesIO()
    write_submission(written, [e for e, _ in rows], [c for _, cs in rows for c in cs], extra_columns=extra_columns)
    if edit is None:
        return written.getvalue()
    book = openpyxl.load_workbook(io.BytesIO(written.getvalue()))
    edit(book)
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


def checked(data: bytes, context: CheckContext = CONTEXT) -> list[Finding]:
    return check_workbook(data, context).findings


def opened(data: bytes, *, keep_vba: bool = False) -> Book:
    return openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba)


def header_cell(data: bytes, sheet: str, header: str) -> str:
    """The column letter of ``header`` in row 1 of ``sheet``, as the workbook was built."""
    cells = opened(data)[sheet][1]
    return next(str(get_column_letter(c.column)) for c in cells if c.value == header)


def fill(cell: Any) -> str | None:
    return str(cell.fill.fgColor.rgb)[-6:] if cell.fill.fill_type == "solid" else None


def comments(sheet: Any, *, below_header: bool = False) -> dict[str, str]:
    """Each commented cell's text; ``below_header`` leaves row 1 out (the template's guidance comments)."""
    first = 2 if below_header else 1
    return {
        c.coordinate: c.comment.text for row in sheet.iter_rows(min_row=first) for c in row if c.comment is not None
    }


def values(book: Book, skip: str = "Findings") -> dict[tuple[str, str], object]:
    return {
        (sheet.title, cell.coordinate): cell.value
        for sheet in book.worksheets
        if sheet.title != skip
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }


@dataclass(frozen=True)
class Listed:
    """A row of the Findings sheet, as read back."""

    cells: tuple[object, ...]
    link: str | None  # the internal hyperlink's target, where the row has one
    linked_column: str | None  # the header of the column that carries it


def findings_sheet(book: Book, title: str = "Findings") -> list[Listed]:
    sheet = book[title]
    assert tuple(c.value for c in sheet[1]) == FINDINGS_HEADER
    listed = []
    for row in sheet.iter_rows(min_row=2):
        links = [(c.hyperlink.location, FINDINGS_HEADER[c.column - 1]) for c in row if c.hyperlink is not None]
        assert len(links) <= 1
        link, column = links[0] if links else (None, None)
        listed.append(Listed(tuple(c.value for c in row), link, column))
    return listed


def resolve(book: Book, link: str) -> tuple[str, str]:
    """An internal link ``'Sheet name'!B7`` as (sheet, cell), asserting the sheet is in the workbook."""
    sheet, _, cell = link.rpartition("!")
    assert sheet.startswith("'") and sheet.endswith("'"), link
    name = sheet[1:-1].replace("''", "'")
    assert name in book.sheetnames, (name, book.sheetnames)
    return name, cell


# --- the project's own layout ----------------------------------------------------------------------


@functools.cache
def faulty() -> tuple[bytes, tuple[Finding, ...], AnnotatedWorkbook]:
    """Row 2: a Manufacturer ID with a bad octet and an expired CPA certificate; row 3: an end-dated GBCS
    version; an unknown 'Colour' column on both sheets."""
    gas, gas_certificates = sample_row(GAS, 1, cpa_expiry=dt.date(2026, 1, 1))
    gas["manufacturer_id"] = "10:6G"
    ppmid, ppmid_certificates = sample_row(PhysicalDeviceType.PPMID, 2)
    ppmid["gbcs_version"] = "v1.0"
    data = built([(gas, gas_certificates), (ppmid, ppmid_certificates)], extra_columns=("Colour",))
    findings = checked(data)
    return data, tuple(findings), annotate_workbook(data, findings)


def expected_cells(data: bytes) -> dict[tuple[str, str], tuple[Code, ...]]:
    """Where the faulty workbook's findings belong, from its own header rows."""
    return {
        (ENTRY, header_cell(data, ENTRY, "Manufacturer ID") + "2"): (Code.F002,),
        (ENTRY, header_cell(data, ENTRY, "CPA Expiry Date") + "2"): (Code.C002,),
        (ENTRY, header_cell(data, ENTRY, "GBCS Version") + "3"): (Code.V002,),
        (ENTRY, header_cell(data, ENTRY, "Colour") + "1"): (Code.N002,),
        (CERTIFICATE, header_cell(data, CERTIFICATE, "Colour") + "1"): (Code.N002,),
    }


def test_the_faulty_workbook_has_the_findings_this_file_is_about() -> None:
    _, findings, _ = faulty()
    assert sorted((f.code, f.sheet, f.row, f.column) for f in findings) == sorted(
        [
            (Code.F002, ENTRY, 2, "Manufacturer ID"),
            (Code.C002, ENTRY, 2, "CPA Expiry Date"),
            (Code.V002, ENTRY, 3, "GBCS Version"),
            (Code.N002, ENTRY, 1, "Colour"),
            (Code.N002, CERTIFICATE, 1, "Colour"),
        ]
    )


def test_each_finding_is_highlighted_on_its_cell_with_its_code_and_sentence_in_the_comment() -> None:
    data, findings, annotated = faulty()
    book = opened(annotated.data)
    by_code = {(f.code, f.sheet): f for f in findings}
    for (sheet, reference), codes in expected_cells(data).items():
        cell = book[sheet][reference]
        assert cell.comment is not None, (sheet, reference)
        for code in codes:
            found = by_code[(code, sheet)]
            assert f"{code} ({found.severity}): {found.message}" in cell.comment.text
        assert fill(cell) == (WARNING_FILL if codes == (Code.N002,) else ERROR_FILL), (sheet, reference)
    assert (annotated.on_cells, annotated.findings_only) == (5, 0)


def test_cells_without_findings_keep_their_comments_and_fills() -> None:
    data, _, annotated = faulty()
    original, copy = opened(data), opened(annotated.data)
    marked = expected_cells(data)
    for sheet in (ENTRY, CERTIFICATE):
        before, after = original[sheet], copy[sheet]
        for row in before.iter_rows():
            for cell in row:
                if (sheet, cell.coordinate) in marked:
                    continue
                twin = after[cell.coordinate]
                assert (twin.comment.text if twin.comment else None) == (cell.comment.text if cell.comment else None)
                assert fill(twin) == fill(cell), (sheet, cell.coordinate)
    # the template's header guidance stays a comment; data cells without findings have none
    entry = copy[ENTRY]
    assert entry["A1"].comment is not None and "New, Firmware Update" in entry["A1"].comment.text
    assert set(comments(entry, below_header=True)) == {
        ref for (sheet, ref) in marked if sheet == ENTRY and entry[ref].row > 1
    }


def test_the_original_values_are_unchanged_and_the_copy_checks_the_same() -> None:
    data, findings, annotated = faulty()
    assert values(opened(annotated.data)) == values(opened(data))
    assert checked(annotated.data) == list(findings)


def test_the_findings_sheet_lists_every_finding_with_a_link_to_its_cell() -> None:
    data, findings, annotated = faulty()
    book = opened(annotated.data)
    assert book.sheetnames[-1] == "Findings" and book.active.title == "Findings"
    listed = findings_sheet(book)
    assert len(listed) == len(findings)
    marked = {codes[0]: key for key, codes in expected_cells(data).items() if codes[0] is not Code.N002}
    for found, row in zip(findings, listed, strict=True):
        code, severity, sheet, number, column, reference, message = row.cells
        assert (code, severity, sheet, number, column, message) == (
            found.code,
            found.severity,
            found.sheet,
            found.row,
            found.column,
            found.message,
        )
        assert row.link is not None and row.linked_column == "Cell"
        assert resolve(book, row.link) == (found.sheet, reference)
        if found.code in marked:
            assert (found.sheet, reference) == marked[found.code]
    severities = {row.cells[1]: fill(book["Findings"].cell(row=n, column=2)) for n, row in enumerate(listed, 2)}
    assert severities == {"error": ERROR_FILL, "warning": WARNING_FILL}


def test_several_findings_on_one_cell_share_one_comment() -> None:
    entry, certificates = sample_row(GAS, 5)
    entry["firmware_version"] = "9002"  # both certificates list 9001: two C005 on the mapping evidence cell
    data = built([(entry, certificates)])
    findings = checked(data)
    assert [(f.code, f.row, f.column) for f in findings] == [(Code.C005, 2, "Firmware Mapping Evidence")] * 2
    book = opened(annotate_workbook(data, findings).data)
    reference = header_cell(data, ENTRY, "Firmware Mapping Evidence") + "2"
    text = book[ENTRY][reference].comment.text
    assert [line for line in text.splitlines() if line.startswith("C005")] == [
        f"C005 (error): {f.message}" for f in findings
    ]
    assert set(comments(book[ENTRY], below_header=True)) == {reference}
    listed = findings_sheet(book)
    assert [resolve(book, row.link) for row in listed if row.link] == [(ENTRY, reference)] * 2


def test_a_comment_the_manufacturer_wrote_stays_below_the_findings() -> None:
    entry, certificates = sample_row(GAS, 10)
    entry["manufacturer_id"] = "106"

    def note(book: Book) -> None:
        sheet = book[ENTRY]
        column = next(c.column for c in sheet[1] if c.value == "Manufacturer ID")
        sheet.cell(row=2, column=column).comment = Comment("Ask the lab which ID.", "Sam")

    data = built([(entry, certificates)], edit=note)
    findings = checked(data)
    assert [(f.code, f.column) for f in findings] == [(Code.F002, "Manufacturer ID")]
    cell = opened(annotate_workbook(data, findings).data)[ENTRY][header_cell(data, ENTRY, "Manufacturer ID") + "2"]
    assert cell.comment.text == f"F002 (error): {findings[0].message}\n\nAsk the lab which ID."


def _drop_column(header: str) -> Edit:
    def edit(book: Book) -> None:
        sheet = book[ENTRY]
        sheet.delete_cols(next(c.column for c in sheet[1] if c.value == header))

    return edit


def test_a_finding_on_a_column_the_sheet_lacks_is_listed_only_and_links_to_its_row() -> None:
    update, certificates = sample_row(GAS, 3, submission_type=SubmissionType.FIRMWARE_UPDATE, firmware="9002")
    update["firmware_mapping_evidence"] = "RN-9002.pdf"
    data = built([(update, certificates)], edit=_drop_column("Confirming Supplier"))
    findings = checked(data)
    assert {(f.code, f.row, f.column) for f in findings} == {
        (Code.P001, 2, "Confirming Supplier"),
        (Code.P005, 2, "Submission Type"),
    }
    annotated = annotate_workbook(data, findings)
    book = opened(annotated.data)
    assert (annotated.on_cells, annotated.findings_only) == (1, 1)
    assert not any("P001" in text for text in comments(book[ENTRY]).values())
    assert "P005" in book[ENTRY][header_cell(data, ENTRY, "Submission Type") + "2"].comment.text
    by_code = {row.cells[0]: row for row in findings_sheet(book)}
    assert by_code["P001"].cells[5] is None  # no cell
    assert by_code["P001"].linked_column == "Row" and resolve(book, str(by_code["P001"].link)) == (ENTRY, "A2")
    highlighted = {c.coordinate for c in book[ENTRY][2] if fill(c) is not None}
    assert highlighted == {header_cell(data, ENTRY, "Submission Type") + "2"}  # P005's cell alone


def test_a_missing_required_column_and_a_missing_sheet_are_listed_only() -> None:
    entry, certificates = sample_row(GAS, 4)

    def edit(book: Book) -> None:
        _drop_column("Model")(book)
        book.remove(book[CERTIFICATE])

    data = built([(entry, certificates)], edit=edit)
    findings = checked(data)
    assert {(f.code, f.sheet, f.row, f.column) for f in findings} == {
        (Code.WB002, ENTRY, 1, "Model"),
        (Code.WB002, CERTIFICATE, None, None),
    }
    book = opened(annotate_workbook(data, findings).data)
    assert not any("WB002" in text for text in comments(book[ENTRY]).values())
    by_sheet = {row.cells[2]: row for row in findings_sheet(book)}
    assert resolve(book, str(by_sheet[ENTRY].link)) == (ENTRY, "A1") and by_sheet[ENTRY].linked_column == "Row"
    assert by_sheet[CERTIFICATE].link is None  # the sheet is not in the workbook


def test_a_blank_template_is_f003_on_the_findings_sheet() -> None:
    written = io.BytesIO()
    write_template(written)
    data = written.getvalue()
    findings = checked(data)
    assert [f.code for f in findings] == [Code.F003]
    annotated = annotate_workbook(data, findings)
    assert (annotated.on_cells, annotated.findings_only) == (0, 1)
    (row,) = findings_sheet(opened(annotated.data))
    assert row.cells[0] == "F003" and row.cells[6] == findings[0].message


def test_a_finding_on_a_merged_cell_lands_on_the_first_cell_of_the_range() -> None:
    entry, certificates = sample_row(GAS, 6)

    def merge(book: Book) -> None:
        sheet = book[ENTRY]
        manufacturer_id = next(c.column for c in sheet[1] if c.value == "Manufacturer ID")
        sheet.merge_cells(start_row=2, start_column=manufacturer_id, end_row=2, end_column=manufacturer_id + 1)

    data = built([(entry, certificates)], edit=merge)
    findings = checked(data)
    model = header_cell(data, ENTRY, "Model")
    manufacturer_id = header_cell(data, ENTRY, "Manufacturer ID")
    assert [(f.code, f.column) for f in findings] == [(Code.F001, "Model")]  # the merge emptied it
    book = opened(annotate_workbook(data, findings).data)
    assert "F001" in book[ENTRY][f"{manufacturer_id}2"].comment.text
    assert book[ENTRY][f"{model}2"].comment is None
    (row,) = findings_sheet(book)
    assert row.cells[5] == f"{manufacturer_id}2"


def test_names_that_look_like_formulas_stay_text_on_the_findings_sheet() -> None:
    entry, certificates = sample_row(GAS, 7)
    data = built([(entry, certificates)], extra_columns=("=1+1",))
    findings = checked(data)
    assert {f.column for f in findings} == {"=1+1"}
    sheet = opened(annotate_workbook(data, findings).data)["Findings"]
    for row in sheet.iter_rows(min_row=2):
        assert row[4].value == "=1+1" and row[4].data_type == "s"


def test_a_workbook_with_its_own_findings_sheet_keeps_it() -> None:
    entry, certificates = sample_row(GAS, 8)
    data = built(
        [(entry, certificates)],
        extra_columns=("Colour",),
        edit=lambda book: book.create_sheet("findings").cell(row=1, column=1, value="my notes"),
    )
    findings = checked(data)
    annotated = annotate_workbook(data, findings)
    book = opened(annotated.data)
    assert annotated.findings_sheet == "Findings 2" and book.sheetnames[-2:] == ["findings", "Findings 2"]
    assert book["findings"]["A1"].value == "my notes"
    assert len(findings_sheet(book, "Findings 2")) == len(findings) == 2


def test_a_clean_workbook_gets_an_empty_findings_sheet() -> None:
    data = built([sample_row(GAS, 9)])
    annotated = annotate_workbook(data, checked(data))
    book = opened(annotated.data)
    assert findings_sheet(book) == []
    assert all(comments(sheet) == comments(opened(data)[sheet.title]) for sheet in book.worksheets[:-1])
    assert annotated.media_type == XLSX_MEDIA_TYPE and not annotated.macro_enabled
    assert "[Content_Types].xml" in zipfile.ZipFile(io.BytesIO(annotated.data)).namelist()
    assert b"macroEnabled" not in zipfile.ZipFile(io.BytesIO(annotated.data)).read("[Content_Types].xml")


# --- what cannot be annotated ----------------------------------------------------------------------


def test_an_unreadable_file_is_not_annotated_and_says_why() -> None:
    data = b"%PDF-1.7 not a spreadsheet"
    assert [f.code for f in checked(data)] == [Code.WB001]
    with pytest.raises(WorkbookNotAnnotated, match=r"^The workbook cannot be annotated: The file is not an \.xlsx"):
        annotate_workbook(data, checked(data))


def test_a_workbook_too_large_to_annotate_says_so() -> None:
    data, findings, _ = faulty()
    with pytest.raises(WorkbookNotAnnotated, match=r"holds [\d,]+ cells; at most 10 are annotated"):
        annotate_workbook(data, findings, limits=AnnotateLimits(max_cells=10))
    with pytest.raises(WorkbookNotAnnotated, match=r"MB of XML; at most 0 MB are annotated"):
        annotate_workbook(data, findings, limits=AnnotateLimits(max_sheet_bytes=1000))


# --- the SEC's New Entry form ----------------------------------------------------------------------


@functools.cache
def real_bytes() -> bytes:
    return REAL_LIST.read_bytes()


@dataclass(frozen=True)
class Form:
    data: bytes
    #: 'Group.attribute' -> its spreadsheet row, and the details column's letter, found by their text.
    rows: Mapping[str, int]
    details: str


def filled_form(values: Mapping[str, CellValue], *, whole_workbook: bool = False) -> Form:
    """The real 2.051 workbook, its form filled in with ``values`` (by 'Group.attribute'), with an
    Assurance Certificates sheet. By default the form tab is saved alone, as an .xlsx; the whole
    workbook keeps its VBA project."""
    book = openpyxl.load_workbook(io.BytesIO(real_bytes()), keep_vba=whole_workbook)
    if not whole_workbook:
        for name in OTHER_TABS:
            del book[name]
    sheet = book[FORM]
    header = next(c for row in sheet.iter_rows() for c in row if c.value == DETAILS)
    rows: dict[str, int] = {}
    group = ""
    for row in sheet.iter_rows(min_row=header.row + 1):
        if row[0].value:
            group = str(row[0].value).strip()
        if row[1].value:
            rows[f"{group}.{str(row[1].value).strip()}"] = row[0].row
    for label, value in values.items():
        sheet.cell(row=rows[label], column=header.column, value=value)
    certificates = book.create_sheet(CERTIFICATE)
    certificates.append(CERTIFICATE_HEADER)
    for certificate in CERTIFICATES:
        certificates.append(certificate)
    saved = io.BytesIO()
    book.save(saved)
    return Form(saved.getvalue(), rows, get_column_letter(header.column))


#: A bad manufacturer identifier, an entry number only SECAS allocates, a CPA certificate no sheet lists.
FAULTY_FORM: Mapping[str, CellValue] = {
    **VALID,
    "Device_Model.manufacturer_identifier": "10:6G",
    "Entry.number": "000123",
    "CPA_Certificate.identification_number": "[E] ESME00000000",
}
FAULTY_FORM_CODES = {
    "Device_Model.manufacturer_identifier": Code.F002,
    "Entry.number": Code.N002,
    "CPA_Certificate.identification_number": Code.C004,
}


@needs_real_list  # fails, never skips, when the file is missing
def test_on_the_sec_form_each_finding_lands_on_its_attributes_details_cell() -> None:
    form = filled_form(FAULTY_FORM)
    findings = checked(form.data, FORM_CONTEXT)
    assert sorted((f.code, f.row) for f in findings) == sorted(
        (code, form.rows[label]) for label, code in FAULTY_FORM_CODES.items()
    )
    annotated = annotate_workbook(form.data, findings)
    book = opened(annotated.data)
    sheet = book[FORM]
    expected = {f"{form.details}{form.rows[label]}": code for label, code in FAULTY_FORM_CODES.items()}
    assert set(comments(sheet)) == set(expected)
    by_code = {f.code: f for f in findings}
    for reference, code in expected.items():
        assert f"{code} ({by_code[code].severity}): {by_code[code].message}" in sheet[reference].comment.text
        assert fill(sheet[reference]) == (WARNING_FILL if code is Code.N002 else ERROR_FILL)
    listed = findings_sheet(book)
    assert sorted(resolve(book, str(row.link)) for row in listed) == sorted((FORM, ref) for ref in expected)
    assert values(book) == values(opened(form.data))
    assert checked(annotated.data, FORM_CONTEXT) == findings


@needs_real_list  # fails, never skips, when the file is missing
def test_the_whole_macro_enabled_sec_workbook_keeps_its_vba_project() -> None:
    form = filled_form(FAULTY_FORM, whole_workbook=True)
    findings = checked(form.data, FORM_CONTEXT)
    assert [f.code for f in findings] == [Code.WB001]  # macros are refused before any rule
    annotated = annotate_workbook(form.data, findings)
    assert annotated.macro_enabled and annotated.media_type == XLSM_MEDIA_TYPE and annotated.suffix == ".xlsm"
    original, copy = zipfile.ZipFile(io.BytesIO(form.data)), zipfile.ZipFile(io.BytesIO(annotated.data))
    assert copy.read("xl/vbaProject.bin") == original.read("xl/vbaProject.bin")
    assert b"macroEnabled" in copy.read("[Content_Types].xml")
    book = opened(annotated.data, keep_vba=True)
    (row,) = findings_sheet(book)
    assert row.cells[:3] == ("WB001", "error", None) and row.link is None
    assert values(book) == values(opened(form.data, keep_vba=True))


@needs_real_list  # fails, never skips, when the file is missing
def test_form_findings_on_the_macro_enabled_workbook_sit_beside_its_form_control() -> None:
    """The form tab's macro button is legacy drawing; the findings' comments join it, the button stays."""
    macro_free = filled_form(FAULTY_FORM)
    whole = filled_form(FAULTY_FORM, whole_workbook=True)
    findings = checked(macro_free.data, FORM_CONTEXT)
    annotated = annotate_workbook(whole.data, findings)
    parts = zipfile.ZipFile(io.BytesIO(annotated.data)).namelist()
    assert "xl/vbaProject.bin" in parts and "xl/ctrlProps/ctrlProp1.xml" in parts
    sheet = opened(annotated.data, keep_vba=True)[FORM]
    assert set(comments(sheet)) == {f"{whole.details}{whole.rows[label]}" for label in FAULTY_FORM_CODES}


# --- the command line ------------------------------------------------------------------------------


def test_cpl_check_annotate_writes_the_annotated_copy_and_keeps_the_exit_code(cpl: CplRun) -> None:
    data, findings, _ = faulty()
    source = cpl.tmp / "faulty.xlsx"
    source.write_bytes(data)
    out = cpl.tmp / "faulty annotated.xlsx"
    report = cpl.json("check", source, "--as-of", TODAY.isoformat(), "--annotate", out, expect=1)
    assert report["annotated"] == str(out) and "5 findings marked on their cells" in report["annotation"]
    assert [f["code"] for f in report["findings"]] == [f.code for f in findings]
    book = opened(out.read_bytes())
    assert len(findings_sheet(book)) == len(findings)
    manufacturer_id = book[ENTRY][header_cell(data, ENTRY, "Manufacturer ID") + "2"]
    assert "F002 (error)" in manufacturer_id.comment.text and fill(manufacturer_id) == ERROR_FILL
    assert source.read_bytes() == data
    assert not [p for p in cpl.tmp.iterdir() if p.name.startswith(".")]  # no partial write left


def test_cpl_check_annotate_of_a_clean_workbook_exits_0_and_says_where(cpl: CplRun) -> None:
    source = cpl.tmp / "clean.xlsx"
    source.write_bytes(built([sample_row(GAS, 9)]))
    out = cpl.tmp / "clean.findings.xlsm"  # the name is the user's, used as given
    result = cpl("check", source, "--as-of", TODAY.isoformat(), "--annotate", out)
    assert f"Wrote the annotated workbook to {out}" in result.stdout
    assert findings_sheet(opened(out.read_bytes())) == []


def test_cpl_check_annotate_of_an_unreadable_file_still_reports_its_findings(cpl: CplRun) -> None:
    source = cpl.tmp / "fake.xlsx"
    source.write_bytes(b"%PDF-1.7 not a spreadsheet")
    out = cpl.tmp / "out.xlsx"
    result = cpl("check", source, "--annotate", out, "--json", expect=1)
    assert "No annotated copy was written. The workbook cannot be annotated:" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    report = json.loads(result.stdout)
    assert [f["code"] for f in report["findings"]] == ["WB001"] and report["annotated"] is None
    assert report["annotation_problem"].startswith("The workbook cannot be annotated:")
    assert not out.exists()


@pytest.mark.parametrize(
    ("target", "sentence"),
    [
        (".", "it is a directory; give the file's name."),
        ("missing/out.xlsx", "the directory {tmp}/missing does not exist."),
    ],
)
def test_cpl_check_annotate_to_a_path_that_cannot_be_written_exits_2(cpl: CplRun, target: str, sentence: str) -> None:
    data, _, _ = faulty()
    source = cpl.tmp / "faulty.xlsx"
    source.write_bytes(data)
    out = cpl.tmp / target
    result = cpl("check", source, "--annotate", out, expect=2)
    said = " ".join(result.stderr.split())  # the console wraps a long sentence
    assert said == f"Cannot write the annotated workbook to {out}: {sentence.format(tmp=cpl.tmp)}"
    assert result.stdout == ""
    assert not (cpl.tmp / "missing").exists()
