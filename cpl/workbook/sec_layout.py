"""The SEC layout's writers: the CPL as the SEC's own four-tab workbook and its CSV tab (CONTRACT.md 4.4).

The workbook is an .xlsx (never macro-enabled: the SEC's macros only fill the CSV tab, which is
written here directly), laid out as version 2.051 is: ``Version Control``, ``CPL - New Entry`` (the
blank form manufacturers download), ``Central Products List`` and ``CPL - saveable in CSV``. The
cell values come from `cpl.core.sec_list` and the form's rows from `cpl.core.sec_form`; this module
adds only what a spreadsheet needs: fonts, fills, widths, frozen panes, drop-downs and protection.

The output is the same bytes for the same input: the document's created and modified times are the
issue date, and every zip member carries that date too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from cpl.core.schema import ENTRY_COLUMNS, Kind
from cpl.core.sec_form import (
    ALLOCATED_BY_SECAS,
    FORM_HEADER,
    FORM_INSTRUCTIONS,
    FORM_ROWS,
    FORM_SHEET,
    FORM_TITLE,
    IMAGE_INPUT_FILL,
    INPUT_FILL,
)
from cpl.core.sec_list import (
    CSV_HEADER,
    CSV_SHEET,
    LIST_COLUMNS,
    LIST_HEADER_ROWS,
    LIST_SHEET,
    STATUS,
    VERSION_GUIDANCE,
    VERSION_HISTORY_TITLE,
    VERSION_SHEET,
    VERSION_TABLE_HEADER,
    VERSION_TITLE,
    SecEntry,
    VersionRecord,
    csv_cells,
    history_cells,
    list_cells,
    version_label,
)


class FormRowLike(Protocol):
    """What the New Entry tab needs of a form row (``cpl.core.sec_form.FormRow``)."""

    @property
    def group(self) -> str: ...
    @property
    def attribute(self) -> str: ...
    @property
    def notes(self) -> str: ...
    @property
    def conditionality(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def valid_values(self) -> str: ...
    @property
    def choices(self) -> tuple[str, ...]: ...
    @property
    def input(self) -> bool: ...
    @property
    def allocated_by_secas(self) -> bool: ...


#: Hidden sheet holding drop-down values too long for an inline list.
LISTS_SHEET = "Lists"
#: The real file's rows SECAS maintains (the Version Control history), light yellow (theme accent 4,
#: tint 0.8, as RGB), and the list tab's Current rows, shaded the same way.
SECAS_FILL = "FFF2CC"

#: Excel refuses an inline list validation whose formula is longer than this.
_INLINE_LIST_LIMIT = 255
_DATE_FORMAT = "dd/mm/yyyy"
_TEXT_FORMAT = "@"
_FONT = "Calibri"
#: Column widths of version 2.051, tab by tab.
_VERSION_WIDTHS = {"A": 30.6, "B": 12.6, "C": 95.6}
_FORM_WIDTHS = {"A": 24.6, "B": 21.6, "C": 41.6, "D": 30.6, "E": 28.6, "F": 23.6, "G": 40.6}
_LIST_WIDTHS = {"A": 16.6, "B": 32.6, "D": 37.6, "E": 32.6, "H": 37.6, "I": 32.6, "N": 32.6, "O": 32.6, "T": 72.6}
_CSV_WIDTHS = {"A": 16.6, "B": 32.6, "D": 37.6, "E": 32.6, "H": 37.6, "I": 32.6, "L": 32.6}
#: The list tab's first entry row: below the seven header rows.
_FIRST_ENTRY_ROW = len(LIST_HEADER_ROWS) + 1
#: The New Entry tab's first attribute row: below the title, the instructions and the header row.
_FIRST_FORM_ROW = 7
#: The Version Control tab's first history row.
_FIRST_HISTORY_ROW = 11

#: The cell styles, by name: a named style gives a cell its font, fill, alignment, number format and
#: protection in one step (the list and CSV tabs have some 25,000 cells).
_PLAIN, _BOLD, _TITLE, _HEADING, _LABEL, _HISTORY = (
    "SEC text",
    "SEC bold",
    "SEC title",
    "SEC heading",
    "SEC label",
    "SEC history",
)
_SMALL, _SMALL_BOLD, _SMALL_DATE = "SEC list", "SEC list bold", "SEC list date"
_INPUT, _IMAGE_INPUT, _DATE_INPUT = "SEC input", "SEC image input", "SEC date input"
#: The form's date rows (the CPA expiry): a date cell, not text, as the project's template has it.
_DATE_FIELDS = frozenset(column.field for column in ENTRY_COLUMNS if column.kind is Kind.DATE)

#: A character an .xlsx string cannot hold as itself; and text that reads as such an escape
#: (``_x000D_``), which must itself be escaped or a reader turns it into the character.
_UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")

#: openpyxl's worksheet (openpyxl ships without type hints).
_Sheet = Any


def _fill(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def _add_styles(book: Workbook) -> None:
    wrap = Alignment(vertical="top", wrap_text=True)

    def style(name: str, size: int, *, bold: bool = False, **extra: Any) -> None:
        book.add_named_style(NamedStyle(name, font=Font(name=_FONT, size=size, bold=bold), alignment=wrap, **extra))

    style(_PLAIN, 11)
    style(_BOLD, 11, bold=True)
    style(_TITLE, 16, bold=True)
    style(_HEADING, 14, bold=True)
    style(_LABEL, 14)
    style(_HISTORY, 11, fill=_fill(SECAS_FILL))
    style(_SMALL, 8)
    style(_SMALL_BOLD, 8, bold=True)
    style(_SMALL_DATE, 8, number_format=_DATE_FORMAT)
    # keeps the leading zeros of identifiers typed in; the only cells a protected form lets one edit
    unlocked = Protection(locked=False)
    style(_INPUT, 11, fill=_fill(INPUT_FILL), number_format=_TEXT_FORMAT, protection=unlocked)
    style(_IMAGE_INPUT, 11, fill=_fill(IMAGE_INPUT_FILL), number_format=_TEXT_FORMAT, protection=unlocked)
    # a date typed into it is a date cell, shown day first as the form asks (dd/mm/yyyy)
    style(_DATE_INPUT, 11, fill=_fill(INPUT_FILL), number_format=_DATE_FORMAT, protection=unlocked)


def _escape(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def _cell_value(value: object) -> object:
    """A value as the .xlsx file must hold it to read back the same: text with its carriage returns
    and control characters escaped (XML would turn CR LF into LF), everything else as it is."""
    if isinstance(value, str):
        return _UNSAFE_TEXT.sub(_escape, value)
    return value


def _put(sheet: _Sheet, row: int, column: int, value: object, style: str) -> Any:
    cell = sheet.cell(row=row, column=column, value=_cell_value(value))
    if isinstance(value, str):
        cell.data_type = "s"  # text is never a formula, whatever it starts with
    cell.style = style
    return cell


def _widths(sheet: _Sheet, widths: dict[str, float]) -> None:
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width


def _protect(sheet: _Sheet) -> None:
    """Locked against editing as the SEC's tabs are (no password: a guard against slips, not a lock)."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.autoFilter = False
    sheet.protection.sort = False


def _version_control(book: Workbook, version: str, issued: dt.date, history: Sequence[VersionRecord]) -> None:
    sheet = book.create_sheet(VERSION_SHEET)
    _widths(sheet, _VERSION_WIDTHS)
    _put(sheet, 1, 1, VERSION_TITLE, _TITLE)
    _put(sheet, 3, 1, version_label(version, issued), _LABEL)
    for row, sentence in zip((5, 6), VERSION_GUIDANCE, strict=True):
        _put(sheet, row, 1, sentence, _PLAIN)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        sheet.row_dimensions[row].height = 45.0
    _put(sheet, 8, 1, VERSION_HISTORY_TITLE, _HEADING)
    for column, title in enumerate(VERSION_TABLE_HEADER, start=1):
        _put(sheet, 10, column, title, _BOLD)
    for row, record in enumerate(history, start=_FIRST_HISTORY_ROW):
        for column, value in enumerate(history_cells(record), start=1):
            _put(sheet, row, column, value, _HISTORY)
    _protect(sheet)


class _ChoiceLists:
    """Drop-down formulas; a list too long to be inline, or holding a comma, goes to the Lists sheet."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, tuple[str, ...]]] = []

    def formula(self, title: str, choices: tuple[str, ...]) -> str:
        inline = '"' + ",".join(choices) + '"'
        if len(inline) <= _INLINE_LIST_LIMIT and not any("," in c or '"' in c for c in choices):
            return inline
        self.columns.append((title, choices))
        letter = get_column_letter(len(self.columns))
        return f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"

    def write(self, book: Workbook) -> None:
        if not self.columns:
            return
        sheet = book.create_sheet(LISTS_SHEET)
        sheet.sheet_state = "hidden"
        for column, (title, choices) in enumerate(self.columns, start=1):
            for row, value in enumerate((title, *choices), start=1):
                sheet.cell(row=row, column=column, value=_cell_value(value)).data_type = "s"


def _new_entry_form(book: Workbook, form_rows: Iterable[FormRowLike], lists: _ChoiceLists) -> None:
    sheet = book.create_sheet(FORM_SHEET)
    _widths(sheet, _FORM_WIDTHS)
    plain = _PLAIN
    _put(sheet, 1, 1, FORM_TITLE, _TITLE)
    sheet.merge_cells("A1:B1")
    for row, sentence in zip((3, 4), FORM_INSTRUCTIONS, strict=True):
        _put(sheet, row, 1, sentence, plain)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(FORM_HEADER))
        sheet.row_dimensions[row].height = 30.0
    for column, title in enumerate(FORM_HEADER, start=1):
        _put(sheet, _FIRST_FORM_ROW - 1, column, title, _BOLD)
    details = len(FORM_HEADER)
    for row, form_row in enumerate(form_rows, start=_FIRST_FORM_ROW):
        texts = (form_row.notes, form_row.conditionality, form_row.format, form_row.valid_values)
        _put(sheet, row, 1, form_row.group, _BOLD)
        _put(sheet, row, 2, form_row.attribute, plain)
        for column, text in enumerate(texts, start=3):
            _put(sheet, row, column, text, plain)
        if form_row.allocated_by_secas:
            _put(sheet, row, details, ALLOCATED_BY_SECAS, plain)
            continue
        if not form_row.input:
            continue
        image = bool(getattr(form_row, "image_input", False))  # yellow: only with a Manufacturer Image
        dated = getattr(form_row, "field", None) in _DATE_FIELDS
        cell = _put(sheet, row, details, None, _IMAGE_INPUT if image else _DATE_INPUT if dated else _INPUT)
        if form_row.choices:
            validation = DataValidation(
                type="list",
                formula1=lists.formula(f"{form_row.group}.{form_row.attribute}", form_row.choices),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=form_row.attribute,
                error=f"Choose a value from the list for {form_row.group}.{form_row.attribute}.",
            )
            validation.add(cell.coordinate)
            sheet.data_validations.append(validation)
    sheet.freeze_panes = f"A{_FIRST_FORM_ROW}"
    _protect(sheet)


def _central_products_list(book: Workbook, entries: Sequence[SecEntry]) -> None:
    sheet = book.create_sheet(LIST_SHEET)
    _widths(sheet, _LIST_WIDTHS)
    for row, texts in enumerate(LIST_HEADER_ROWS, start=1):
        for column, text in enumerate(texts, start=1):
            _put(sheet, row, column, text, _SMALL_BOLD if row == 1 or column == 1 else _SMALL)
    for row, entry in enumerate(entries, start=_FIRST_ENTRY_ROW):
        for column, value in enumerate(list_cells(entry), start=1):
            if value is not None:
                _put(sheet, row, column, value, _SMALL_DATE if isinstance(value, dt.date) else _SMALL)
    last_row = _FIRST_ENTRY_ROW + len(entries) - 1
    if entries:
        status = get_column_letter(LIST_COLUMNS.index(STATUS) + 2)
        area = f"{status}{_FIRST_ENTRY_ROW}:{get_column_letter(len(LIST_COLUMNS) + 1)}{last_row}"
        current = f'${status}{_FIRST_ENTRY_ROW}="Current"'
        sheet.conditional_formatting.add(area, FormulaRule(formula=[current], fill=_fill(SECAS_FILL)))
    sheet.freeze_panes = "C3"
    _protect(sheet)


def _csv_tab(book: Workbook, label: str, entries: Sequence[SecEntry]) -> None:
    sheet = book.create_sheet(CSV_SHEET)
    _widths(sheet, _CSV_WIDTHS)
    for column, title in enumerate(CSV_HEADER, start=1):
        _put(sheet, 1, column, title, _SMALL_BOLD)
    for row, entry in enumerate(entries, start=2):
        for column, value in enumerate(csv_cells(entry, label), start=1):
            if value:
                _put(sheet, row, column, value, _SMALL)
    sheet.freeze_panes = "C2"
    _protect(sheet)


def _fixed_dates(data: bytes, day: dt.date) -> bytes:
    """The zip container again, every member dated ``day``: the same list gives the same bytes."""
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info))
    return out.getvalue()


def write_sec_workbook(
    *,
    version: str,
    issued: dt.date,
    entries: Sequence[SecEntry],
    history: Sequence[VersionRecord],
    form_rows: Sequence[FormRowLike] = FORM_ROWS,
) -> bytes:
    """The CPL in the SEC's four-tab layout, as an .xlsx: ``history`` is the Version Control table
    (the version being published included: its label is written from ``version`` and ``issued``),
    ``entries`` the list in the order given, ``form_rows`` the blank New Entry form."""
    book = Workbook()
    book.remove(book.active)
    _add_styles(book)
    lists = _ChoiceLists()
    _version_control(book, version, issued, history)
    _new_entry_form(book, form_rows, lists)
    _central_products_list(book, entries)
    _csv_tab(book, version_label(version, issued), entries)
    lists.write(book)
    book.active = 0
    moment = dt.datetime.combine(issued, dt.time())
    book.properties.creator = "SECAS"
    book.properties.lastModifiedBy = "SECAS"
    book.properties.title = f"{VERSION_TITLE} {version_label(version, issued)}"
    book.properties.created = moment
    book.properties.modified = moment
    buffer = io.BytesIO()
    # openpyxl's own save stamps the modified time with the clock; its writer does not
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _fixed_dates(buffer.getvalue(), issued)


def write_sec_csv(*, label: str, entries: Sequence[SecEntry]) -> bytes:
    """The ``CPL - saveable in CSV`` tab as a CSV file: its header row and one row per entry.

    UTF-8 without a byte order mark and CR LF line ends, as RFC 4180 and Excel's CSV both write;
    fields are quoted only when they must be (none of the list's values needs it).
    """
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_cells(entry, label) for entry in entries)
    return text.getvalue().encode("utf-8")
