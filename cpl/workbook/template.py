"""The submission workbook's writers: the blank template and filled submissions (openpyxl, streaming).

The template shades required columns green, offers drop-downs of the valid values, freezes the
header and adds a Guidance sheet, all read from `cpl.core.schema`, so a new column is one line there.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cpl.core.schema import (
    CERTIFICATE_COLUMNS,
    CERTIFICATE_SHEET,
    ENTRY_COLUMNS,
    ENTRY_SHEET,
    GUIDANCE_SHEET,
    Column,
    Kind,
)

# --- reading ---------------------------------------------------------------------------------------


# --- writing ---------------------------------------------------------------------------------------

#: Hidden sheet holding drop-down choices too long for an inline list.
LISTS_SHEET = "Lists"

#: Excel refuses an inline list validation whose formula is longer than this.
_INLINE_LIST_LIMIT = 255
_LAST_ROW = 1_048_576
_REQUIRED_FILL = PatternFill(fill_type="solid", start_color="C6EFCE", end_color="C6EFCE")
_HEADER_FONT = Font(bold=True)
_DATE_FORMAT = "yyyy-mm-dd"
_TEXT_FORMAT = "@"
_COMMENT_AUTHOR = "CPL"

#: openpyxl's write-only worksheet (openpyxl ships without type hints).
_Sheet = Any


def _format_text(column: Column) -> str:
    """The format column of the Guidance sheet, from the schema."""
    if column.kind is Kind.ENUM:
        return "one of: " + ", ".join(column.choices)
    if column.kind is Kind.DATE:
        return "date"
    if column.kind is Kind.HEX_LIST:
        return "hex values, comma separated"
    if column.kind is Kind.HEX:
        digits = (
            f"{column.min_length}"
            if column.min_length == column.max_length
            else f"{column.min_length}-{column.max_length}"
        )
        return f"{digits} hex digits (text)"
    return f"text, {column.min_length}-{column.max_length} characters"


def _width(column: Column) -> float:
    """Wide enough for the header and a typical value; long choice lists get a capped width."""
    longest = max([len(column.header), *(len(choice) for choice in column.choices)])
    if column.kind is Kind.HEX:
        longest = max(longest, column.max_length)
    elif column.kind is Kind.DATE:
        longest = max(longest, 10)
    return float(min(max(longest + 3, 12), 60))


class _ChoiceLists:
    """Drop-down formulas; a list too long to be inline goes to a column of the hidden Lists sheet."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, tuple[str, ...]]] = []
        self._formulas: dict[tuple[str, ...], str] = {}

    def formula(self, column: Column) -> str:
        inline = '"' + ",".join(column.choices) + '"'
        if len(inline) <= _INLINE_LIST_LIMIT and not any("," in c or '"' in c for c in column.choices):
            return inline
        if column.choices not in self._formulas:
            self.columns.append((column.header, column.choices))
            letter = get_column_letter(len(self.columns))
            self._formulas[column.choices] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(column.choices) + 1}"
        return self._formulas[column.choices]


def _header_cell(sheet: _Sheet, text: str, *, required: bool, guidance: str | None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # a header is never a formula, whatever it starts with
    cell.font = _HEADER_FONT
    cell.alignment = Alignment(vertical="top", wrap_text=True)
    if required:
        cell.fill = _REQUIRED_FILL
    if guidance:
        cell.comment = Comment(guidance, _COMMENT_AUTHOR, width=300, height=110)
    return cell


def _cell_value(sheet: _Sheet, value: object) -> object:
    """A mapping value as openpyxl should store it: enums as their text, text never as a formula."""
    if value is None or isinstance(value, bool | int | float | dt.date | dt.time | dt.timedelta):
        return value
    text = str(value)
    if text.startswith("="):
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


def _setup_form_sheet(
    book: Workbook, name: str, columns: Sequence[Column], extra_columns: Sequence[str], lists: _ChoiceLists
) -> _Sheet:
    sheet = book.create_sheet(name)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(column)
        if column.kind in (Kind.HEX, Kind.HEX_LIST):
            dimension.number_format = _TEXT_FORMAT  # keeps leading zeros of ids typed later
        elif column.kind is Kind.DATE:
            dimension.number_format = _DATE_FORMAT
        if column.kind is Kind.ENUM:
            validation = DataValidation(
                type="list",
                formula1=lists.formula(column),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=f"Choose a {column.header} from the list.",
            )
            validation.add(f"{letter}2:{letter}{_LAST_ROW}")
            sheet.data_validations.append(validation)
    for offset, _ in enumerate(extra_columns, start=len(columns) + 1):
        sheet.column_dimensions[get_column_letter(offset)].width = 20.0
    sheet.append(
        [_header_cell(sheet, c.header, required=c.required, guidance=c.guidance) for c in columns]
        + [_header_cell(sheet, h, required=False, guidance=None) for h in extra_columns]
    )
    return sheet


def _write_rows(
    sheet: _Sheet, columns: Sequence[Column], extra_columns: Sequence[str], rows: Sequence[Mapping[str, object]]
) -> None:
    fields = [c.field for c in columns]
    append = sheet.append
    for row in rows:
        get = row.get
        append([_cell_value(sheet, get(f)) for f in fields] + [_cell_value(sheet, get(h)) for h in extra_columns])


def _write_guidance(book: Workbook) -> None:
    sheet = book.create_sheet(GUIDANCE_SHEET)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (24.0, 30.0, 10.0, 40.0, 90.0), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append(
        [
            _header_cell(sheet, text, required=False, guidance=None)
            for text in ("Sheet", "Column", "Required", "Format", "Guidance")
        ]
    )
    for sheet_name, columns in ((ENTRY_SHEET, ENTRY_COLUMNS), (CERTIFICATE_SHEET, CERTIFICATE_COLUMNS)):
        for column in columns:
            sheet.append(
                [
                    sheet_name,
                    column.header,
                    "yes" if column.required else "no",
                    _format_text(column),
                    _cell_value(sheet, column.guidance),
                ]
            )
    sheet.append([])
    sheet.append(
        [
            "Notes",
            None,
            None,
            None,
            "Headers are matched by their text, in any column order; extra columns are reported and ignored. "
            "Shaded headers are required. Hex values are case-insensitive. The hex columns are formatted as "
            "Text and the date columns as dates: keep them so (paste values only), or a spreadsheet drops "
            "the leading zeros of 00010203 and reads hex such as 01E5 as the number 1.00E+05. A hex value "
            "stored as a number is an F002 error, unless no digit can have been lost (a 4-digit number in a "
            "4-digit column); so is a GBCS or SMETS/CHTS version stored as a number (4.0 becomes 4). Cells "
            "holding formulas or error values (#N/A, #REF!) are F002, never evaluated or read as empty. A "
            "row of nothing but spaces is blank; a workbook with no entry is F003. The drop-down columns "
            "(Submission Type, Physical Device Type, Scheme) are matched with case and surrounding spaces "
            "ignored ('gas smart meter' reads as Gas Smart Meter); any other value is F002, which names the "
            "valid value nearest it ('did you mean ...?') or lists them. `cpl codes` says how to fix each code.",
        ]
    )


def _write_lists(book: Workbook, lists: _ChoiceLists) -> None:
    if not lists.columns:
        return
    sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    width = max(len(choices) for _, choices in lists.columns)
    sheet.append([header for header, _ in lists.columns])
    for index in range(width):
        sheet.append([choices[index] if index < len(choices) else None for _, choices in lists.columns])


def write_submission(
    target: str | os.PathLike[str] | IO[bytes],
    entries: Sequence[Mapping[str, object]],
    certificates: Sequence[Mapping[str, object]],
    *,
    extra_columns: Sequence[str] = (),
) -> None:
    """Write a filled submission in the template's layout.

    Rows are keyed by schema field name (``manufacturer_id``); values of ``extra_columns`` (appended
    to both form sheets) are keyed by their header. Dates go in as ``datetime.date``.
    """
    book = Workbook(write_only=True)
    lists = _ChoiceLists()
    for name, columns, rows in (
        (ENTRY_SHEET, ENTRY_COLUMNS, entries),
        (CERTIFICATE_SHEET, CERTIFICATE_COLUMNS, certificates),
    ):
        sheet = _setup_form_sheet(book, name, columns, extra_columns, lists)
        _write_rows(sheet, columns, extra_columns, rows)
    _write_guidance(book)
    _write_lists(book, lists)
    book.save(target)


def write_template(target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the blank submission form (CONTRACT.md section 1)."""
    write_submission(target, (), ())
