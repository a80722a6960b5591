"""The findings workbook: the manufacturer's own workbook handed back with each finding on its cell.

``cpl check --annotate OUT.xlsx`` and ``POST /api/v1/checks?annotate=true`` return it. A finding that
names a cell (a sheet, a row, and a column whose header the sheet has) highlights that cell, light red
for an error and amber for a warning, and is written in the cell's comment with its code; several
findings on one cell share one comment, above any comment the cell already had. A ``Findings`` sheet,
added last and opened first, lists every finding in report order, with a link to its cell.

A finding that names no cell (the whole workbook, a whole sheet, a whole row, or a column the sheet
does not have) is on the Findings sheet only, never on a cell: a highlighted cell always means that
cell is wrong. Its link goes to the row's first cell when it names a row, or to the sheet.

A column is found by its header text, case and surrounding spaces ignored, as the reader matches
headers. A sheet's header row is the first row that names any column the sheet's findings name, no
lower than the sheet's first such finding: row 1 of the project's own sheets, the ``Data Group`` row
of the SEC's New Entry form (whose findings name its ``New Entry's Details`` column).

Only a workbook the safe reader accepts is opened with openpyxl, and only one small enough for it to
hold in memory. A macro-enabled workbook keeps its VBA project: the copy goes back to whoever sent the
file, and its macros are never run or kept here. What openpyxl does not read (images, charts, some
drawings) is not in the copy; cell values, formulas, styles, validations and comments are (a marked
cell's own fill gives way to the highlight). The reader ignores the added sheet: the copy checks as
the original does.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink

from cpl.core.findings import Finding, Severity
from cpl.core.schema import normalise_header
from cpl.workbook.reader import WorkbookUnreadable, read_workbook

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM_MEDIA_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.12"

FINDINGS_SHEET = "Findings"
FINDINGS_HEADER: tuple[str, ...] = ("Code", "Severity", "Sheet", "Row", "Column", "Cell", "Message")

#: Excel's own "light red fill" for an error; amber for a warning (apart from the SEC form's yellow inputs).
ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFC266"
FILLS: dict[Severity, str] = {Severity.ERROR: ERROR_FILL, Severity.WARNING: WARNING_FILL}

COMMENT_AUTHOR = "cpl check"

_MIB = 1024 * 1024
_WORKSHEET_FOLDER = "xl/worksheets/"
_COMMENT_WIDTH = 360  # pixels
_COMMENT_LINE_CHARACTERS = 55
_COMMENT_LINE_HEIGHT = 15
_FINDINGS_WIDTHS = (8, 10, 24, 6, 28, 8, 100)
_SHEET_TITLE_LIMIT = 31

#: openpyxl's worksheet and cell (openpyxl ships without type hints).
_Sheet = Any
_Cell = Any


class WorkbookNotAnnotated(Exception):
    """The workbook cannot be handed back annotated; ``reason`` is one plain sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AnnotateLimits:
    """What is annotated: openpyxl holds every cell in memory, where the check's reader holds values."""

    #: Cells holding values, as the safe reader lays them out (its limit is 5,000,000).
    max_cells: int = 500_000
    #: The worksheets' XML, uncompressed: empty formatted cells cost openpyxl memory too.
    max_sheet_bytes: int = 32 * _MIB


@dataclass(frozen=True)
class AnnotatedWorkbook:
    data: bytes
    #: The copy keeps a VBA project (the workbook was macro-enabled): an .xlsm, not an .xlsx.
    macro_enabled: bool
    #: Findings written on a cell; the rest are on the Findings sheet only.
    on_cells: int
    findings_only: int
    #: The added sheet's name: ``Findings``, or ``Findings 2`` when the workbook has a ``Findings`` sheet.
    findings_sheet: str

    @property
    def media_type(self) -> str:
        return XLSM_MEDIA_TYPE if self.macro_enabled else XLSX_MEDIA_TYPE

    @property
    def suffix(self) -> str:
        return ".xlsm" if self.macro_enabled else ".xlsx"

    def summary(self) -> str:
        """One sentence: how many findings are marked on their cells, and that the Findings sheet lists all."""
        if not self.on_cells + self.findings_only:
            return f"No findings; the '{self.findings_sheet}' sheet lists none."
        one = self.on_cells == 1
        marked = f"{self.on_cells} finding{'' if one else 's'} marked on {'its cell' if one else 'their cells'}"
        if self.findings_only:
            marked += f", {self.findings_only} naming no single cell"
        return f"{marked}; every finding is listed on the '{self.findings_sheet}' sheet."


@dataclass(frozen=True)
class _Place:
    """Where a finding lands: a cell, else a row, else a sheet of the workbook, else nowhere."""

    sheet: _Sheet | None = None
    row: int | None = None
    column: int | None = None

    @property
    def reference(self) -> str | None:
        if self.row is None or self.column is None:
            return None
        return f"{get_column_letter(self.column)}{self.row}"

    def link(self) -> str | None:
        """The internal link target: the cell, the row's first cell, or the sheet's first cell."""
        if self.sheet is None:
            return None
        target = self.reference or f"A{self.row or 1}"
        return f"{quote_sheetname(self.sheet.title)}!{target}"


def annotate_workbook(
    data: bytes, findings: Sequence[Finding], *, limits: AnnotateLimits = AnnotateLimits()
) -> AnnotatedWorkbook:
    """A copy of ``data`` with ``findings`` on their cells and a Findings sheet listing them all.

    Raises ``WorkbookNotAnnotated`` (never anything else for a bad file) when the workbook cannot be
    read, is too large to annotate, or openpyxl cannot open or write it.
    """
    macros = _judged(data, limits)
    book = _opened(data, keep_vba=macros)
    places = _places(book, findings)
    on_cells = _annotate_cells(findings, places)
    title = _add_findings_sheet(book, findings, places)
    saved = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book.save(saved)
    except Exception as error:  # openpyxl raises many kinds for what it read but cannot write back
        reason = f"The annotated copy of the workbook could not be written ({_detail(error)})."
        raise WorkbookNotAnnotated(reason) from error
    return AnnotatedWorkbook(
        data=saved.getvalue(),
        macro_enabled=macros,
        on_cells=on_cells,
        findings_only=len(findings) - on_cells,
        findings_sheet=title,
    )


# --- opening ---------------------------------------------------------------------------------------


def _judged(data: bytes, limits: AnnotateLimits) -> bool:
    """The safe reader's verdict first (openpyxl never sees a file it refuses); True for macros."""
    try:
        read = read_workbook(data)
    except WorkbookUnreadable as unreadable:
        raise WorkbookNotAnnotated(f"The workbook cannot be annotated: {unreadable.reason}") from unreadable
    cells = sum(len(sheet.header) + sum(len(cells) for _, cells in sheet.rows) for sheet in read.sheets)
    if cells > limits.max_cells:
        raise WorkbookNotAnnotated(
            f"The workbook holds {cells:,} cells; at most {limits.max_cells:,} are annotated, so no annotated "
            "copy is made (the findings are reported as usual)."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the reader has judged the container whole
        sheet_bytes = sum(i.file_size for i in archive.infolist() if i.filename.lower().startswith(_WORKSHEET_FOLDER))
    if sheet_bytes > limits.max_sheet_bytes:
        raise WorkbookNotAnnotated(
            f"The workbook's sheets are {sheet_bytes / _MIB:,.1f} MB of XML; at most "
            f"{limits.max_sheet_bytes / _MIB:,.0f} MB are annotated, so no annotated copy is made "
            "(the findings are reported as usual)."
        )
    return read.macros


def _opened(data: bytes, *, keep_vba: bool) -> Any:
    """openpyxl's workbook. ``keep_vba`` only for a VBA project: openpyxl marks any workbook it keeps the
    archive of as macro-enabled, and Excel refuses an .xlsx that says so."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension not supported" and the like, about the copy's fidelity
            return openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba, rich_text=True)
    except Exception as error:  # openpyxl raises many kinds for a file calamine read but it cannot
        reason = f"The workbook cannot be annotated: openpyxl cannot open it ({_detail(error)})."
        raise WorkbookNotAnnotated(reason) from error


def _detail(error: Exception) -> str:
    return " ".join(str(error).split())[:120].rstrip(".") or type(error).__name__


# --- where each finding lands ----------------------------------------------------------------------


def _places(book: Any, findings: Sequence[Finding]) -> list[_Place]:
    sheets = {normalise_header(sheet.title): sheet for sheet in book.worksheets}
    sheet_of = [sheets.get(normalise_header(found.sheet)) if found.sheet else None for found in findings]
    headers = {
        id(sheet): _header_columns(sheet, [f for f, s in zip(findings, sheet_of, strict=True) if s is sheet])
        for sheet in book.worksheets
    }
    places: list[_Place] = []
    for found, sheet in zip(findings, sheet_of, strict=True):
        row = found.row if found.row is not None and found.row >= 1 else None
        if sheet is None:
            places.append(_Place())
            continue
        column = headers[id(sheet)].get(normalise_header(found.column)) if found.column else None
        places.append(_Place(sheet, row) if row is None or column is None else _visible_cell(sheet, row, column))
    return places


def _header_columns(sheet: _Sheet, findings: Sequence[Finding]) -> dict[str, int]:
    """Each column name the findings use -> its column number, from the sheet's header row."""
    named = [(normalise_header(f.column), f.row) for f in findings if f.column and f.row and f.row >= 1]
    if not named:
        return {}
    names = {name for name, _ in named}
    lowest = min(row for _, row in named)
    for row in sheet.iter_rows(min_row=1, max_row=lowest):
        columns: dict[str, int] = {}
        for cell in row:
            if isinstance(cell.value, str):
                key = normalise_header(cell.value)
                if key in names:
                    columns.setdefault(key, cell.column)
        if columns:
            return columns
    return {}


def _visible_cell(sheet: _Sheet, row: int, column: int) -> _Place:
    """The cell, or the first cell of the merged range it is hidden in (only that cell shows a comment)."""
    if isinstance(sheet.cell(row=row, column=column), MergedCell):
        for merged in sheet.merged_cells.ranges:
            if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
                return _Place(sheet, merged.min_row, merged.min_col)
    return _Place(sheet, row, column)


# --- the cells -------------------------------------------------------------------------------------


def _annotate_cells(findings: Sequence[Finding], places: Sequence[_Place]) -> int:
    """Fill and comment each cell findings land on; the number of findings placed."""
    by_cell: dict[tuple[int, int, int], tuple[_Cell, list[Finding]]] = {}
    for found, place in zip(findings, places, strict=True):
        if place.sheet is not None and place.row is not None and place.column is not None:
            key = (id(place.sheet), place.row, place.column)
            by_cell.setdefault(key, (place.sheet.cell(row=place.row, column=place.column), []))[1].append(found)
    for cell, on_cell in by_cell.values():
        severity = Severity.ERROR if any(f.is_error for f in on_cell) else Severity.WARNING
        cell.fill = _fill(severity)
        cell.comment = _comment(on_cell, cell.comment)
    return sum(len(on_cell) for _, on_cell in by_cell.values())


def _fill(severity: Severity) -> PatternFill:
    colour = FILLS[severity]
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


def _line(found: Finding) -> str:
    return f"{found.code} ({found.severity}): {found.message}"


def _comment(findings: Sequence[Finding], existing: Comment | None) -> Comment:
    text = "\n".join(_line(f) for f in findings)
    if existing is not None and existing.text:
        text = f"{text}\n\n{existing.text}"
    text = _plain(text)
    lines = sum(1 + len(line) // _COMMENT_LINE_CHARACTERS for line in text.splitlines())
    return Comment(text, COMMENT_AUTHOR, width=_COMMENT_WIDTH, height=10 + _COMMENT_LINE_HEIGHT * lines)


def _plain(text: str) -> str:
    """Text a cell or comment can hold: XML refuses control characters."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


# --- the Findings sheet ----------------------------------------------------------------------------


def _add_findings_sheet(book: Any, findings: Sequence[Finding], places: Sequence[_Place]) -> str:
    title = _free_title(book)
    sheet = book.create_sheet(title)
    bold = Font(bold=True)
    for column, header in enumerate(FINDINGS_HEADER, start=1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = bold
    for column, width in enumerate(_FINDINGS_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    wrapped = Alignment(vertical="top", wrap_text=True)
    for number, (found, place) in enumerate(zip(findings, places, strict=True), start=2):
        values = (
            str(found.code),
            str(found.severity),
            found.sheet,
            found.row,
            found.column,
            place.reference,
            found.message,
        )
        cells = [_write(sheet, number, column, value) for column, value in enumerate(values, start=1)]
        cells[1].fill = _fill(found.severity)
        cells[6].alignment = wrapped
        target = place.link()
        if target is not None:
            # the most precise place the finding names: its cell, else its row, else its sheet
            linked = cells[5] if place.reference else cells[3] if place.row else cells[2]
            linked.hyperlink = Hyperlink(ref=linked.coordinate, location=target)
            linked.style = "Hyperlink"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FINDINGS_HEADER))}{max(len(findings) + 1, 1)}"
    for other in book.worksheets:
        other.sheet_view.tabSelected = False
    book.active = sheet
    sheet.sheet_view.tabSelected = True
    return str(title)


def _write(sheet: _Sheet, row: int, column: int, value: str | int | None) -> _Cell:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = _plain(value)
        cell.data_type = "s"  # a sheet or column name, or a message quoting one, is never a formula
    else:
        cell.value = value
    return cell


def _free_title(book: Any) -> str:
    taken = {normalise_header(name) for name in book.sheetnames}
    title = FINDINGS_SHEET
    number = 1
    while normalise_header(title) in taken:
        number += 1
        suffix = f" {number}"
        title = FINDINGS_SHEET[: _SHEET_TITLE_LIMIT - len(suffix)] + suffix
    return title
