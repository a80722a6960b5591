"""From a workbook's cells to typed submission rows, with format findings (WB002, F001, F002, N002).

Pure: takes the ``WorkbookData`` the safe reader produced. A value that is empty or badly formed
becomes ``None`` in the typed row, with its finding, so the rules that need it stay silent rather
than repeating the same complaint.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cpl.core.domain import CPA_PREFIX_LETTERS, CpaKind, DeviceModelKey, EntryIdentity, SubmissionType
from cpl.core.findings import Code, Finding, finding
from cpl.core.schema import (
    CERTIFICATE_COLUMNS,
    CERTIFICATE_FIELD,
    CERTIFICATE_SHEET,
    ENTRY_COLUMNS,
    ENTRY_SHEET,
    Column,
    Kind,
    normalise_header,
)
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from cpl.core.suggestions import close_matches, did_you_mean
from formats.vocabulary import AssuranceScheme, PhysicalDeviceType

_HEX = re.compile(r"^[0-9A-Fa-f]+$")
Value = str | dt.date | tuple[str, ...] | None


@dataclass(frozen=True)
class EntryRow:
    """One row of the `CPL New Entry` sheet. Fields are None when empty or not well formed."""

    row: int
    submission_type: SubmissionType | None
    physical_device_type: PhysicalDeviceType | None
    manufacturer: str | None
    manufacturer_id: str | None
    model: str | None
    model_id: str | None
    hardware_version: str | None
    firmware_version: str | None
    release_notes: str | None
    technical_specification: str | None
    gbcs_version: str | None
    zigbee_certificate: str | None
    dlms_certificate: str | None
    cpa_certificate: str | None
    cpa_expiry: dt.date | None
    cpa_conditional_date: dt.date | None
    manufacturer_image_hash: str | None
    manufacturer_image_creator: str | None
    firmware_mapping_evidence: str | None
    confirming_supplier: str | None
    compliance_statement: str | None
    cpa_security_characteristics: str | None = None
    dlms_version: str | None = None
    zse_version: str | None = None
    manufacturer_image_descriptor: str | None = None
    problems: frozenset[str] = frozenset()  # fields already reported empty or malformed
    #: The CPA certificate's kind, read from its SEC prefix; None when no prefix was written.
    cpa_kind: CpaKind | None = None

    @functools.cached_property
    def identity(self) -> EntryIdentity | None:
        """The identity with versions as written; ``rules.canonical_identity`` spells them as the registry does."""
        if (
            self.physical_device_type is None
            or self.manufacturer_id is None
            or self.model_id is None
            or self.hardware_version is None
            or self.firmware_version is None
            or self.technical_specification is None
        ):
            return None
        return EntryIdentity(
            self.physical_device_type,
            self.manufacturer_id,
            self.model_id,
            self.hardware_version,
            self.firmware_version,
            self.technical_specification,
            self.gbcs_version,
        )

    @property
    def device_model(self) -> DeviceModelKey | None:
        identity = self.identity
        return None if identity is None else identity.device_model

    def certificate_number(self, scheme: AssuranceScheme) -> str | None:
        value: str | None = getattr(self, CERTIFICATE_FIELD[scheme])
        return value


@dataclass(frozen=True)
class CertificateRow:
    """One row of the `Assurance Certificates` sheet: what the certificate says it covers."""

    row: int
    scheme: AssuranceScheme | None
    certificate_number: str | None
    manufacturer_id: str | None
    model_id: str | None
    hardware_version: str | None
    firmware_versions: tuple[str, ...] | None
    issued: dt.date | None
    expiry: dt.date | None
    conditional_date: dt.date | None
    problems: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParsedSubmission:
    entries: tuple[EntryRow, ...]
    certificates: tuple[CertificateRow, ...]
    findings: tuple[Finding, ...]
    unusable_sheets: frozenset[str] = frozenset()  # missing, or missing a required header


def _fields_follow_columns(row_type: type, columns: tuple[Column, ...]) -> None:
    # Rows are built positionally (fast); this keeps the dataclass and the schema in step.
    names = [f.name for f in dataclasses.fields(row_type)]
    assert names[1 : len(columns) + 1] == [c.field for c in columns], f"{row_type.__name__} fields != columns"


_fields_follow_columns(EntryRow, ENTRY_COLUMNS)
_fields_follow_columns(CertificateRow, CERTIFICATE_COLUMNS)


class _BadValue(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: The columns the version registry reads: a number cell there has lost digits (4.0 reads as 4).
_VERSION_FIELDS = frozenset({"technical_specification", "gbcs_version"})
_HEX_KINDS = (Kind.HEX, Kind.HEX_LIST)
#: Each firmware version of a certificate's list, as the entry sheet's Firmware Version takes it.
_LIST_ITEM_DIGITS = (1, 8)
#: Whole numbers from here on are beyond a spreadsheet's (a double's) exact digits.
_EXACT_LIMIT = 2**53
_RETYPE = "format the column as Text and enter the value again"


def _shown(number: int | float) -> str:
    """A number cell's value as a sentence shows it: whole numbers as their digits."""
    if abs(number) < _EXACT_LIMIT and float(number).is_integer():
        return str(int(number))
    return f"{number:G}"


def _reads_as_scientific(digits: str, longest: int) -> bool:
    """Whether hex of at most ``longest`` characters with an E in it reads as the number ``digits``.

    A spreadsheet takes such hex for scientific notation, mantissa E exponent: 01E5 is 1.00E+05,
    12E2 is 1200. The shortest such spelling of a number moves all its trailing zeros into the
    exponent. Zero is left out (0E1 is zero, but 0000 typed is far likelier): it has lost its
    leading zeros whatever it was.
    """
    mantissa = digits.rstrip("0")
    zeros = len(digits) - len(mantissa)
    return zeros > 0 and mantissa != "" and len(mantissa) + 1 + len(str(zeros)) <= longest


def _hex_number(number: int | float, low: int, high: int, what: str) -> str:
    """A hex value stored as a number cell: its digits only when none can have been lost or changed.

    That is a number with as many digits as the field's longest value (no leading zero can have been
    dropped) that no hex with an E in it could have become (1000 may have been typed 1E03 or 10E2).
    """
    shown = _shown(number)
    if number < 0 or not float(number).is_integer():
        raise _BadValue(f"was stored as the number {shown}, not as hex digits: {_RETYPE}")
    if number >= _EXACT_LIMIT or _reads_as_scientific(shown, high):
        raise _BadValue(
            f"was stored as the number {shown}: a spreadsheet reads hex such as 01E5 as scientific notation "
            f"(1.00E+05), so the digits typed are lost: {_RETYPE}"
        )
    if len(shown) < high:
        raise _BadValue(f"was stored as the number {shown}, so any leading zeros were dropped: {_RETYPE}")
    if len(shown) > high:
        size = f"{low}" if low == high else f"{low} to {high}"
        raise _BadValue(f"was stored as the number {shown}, and {what} takes {size} hex digits: {_RETYPE}")
    return shown


def _number_in(column: Column, number: int | float) -> Value:
    """A number cell in a column whose digits matter: hex, or a version the registry reads."""
    if column.kind is Kind.HEX:
        return _hex_number(number, column.min_length, column.max_length, column.header)
    if column.kind is Kind.HEX_LIST:
        return (_hex_number(number, *_LIST_ITEM_DIGITS, "each firmware version"),)
    raise _BadValue(
        f"was stored as the number {_shown(number)}, and a number cell loses a version's digits "
        f"(4.0 becomes 4, 4.10 becomes 4.1): {_RETYPE}"
    )


def _text_of(value: CellValue) -> str:
    """A cell as text. Whole numbers typed into a text column read as their digits (hex and version
    columns judge a number cell first: ``_number_in``)."""
    if isinstance(value, bool):
        raise _BadValue("is TRUE/FALSE, not text")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise _BadValue(f"is the number {value}, not text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise _BadValue(f"is a date or time ({value}), not text")
    return str(value).strip()


def _convert(column: Column, value: CellValue) -> Value:
    if column.none_spellings and isinstance(value, str):
        key = normalise_header(value)
        if any(normalise_header(spelling) == key for spelling in column.none_spellings):
            return None
    if column.kind is Kind.DATE:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise _BadValue(f"{value.strip()!r} is not a date: use a date cell or YYYY-MM-DD") from None
        raise _BadValue(f"{value!r} is not a date: use a date cell or YYYY-MM-DD")
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (column.kind in _HEX_KINDS or column.field in _VERSION_FIELDS)
    ):
        return _number_in(column, value)
    text = _text_of(value)
    if column.kind is Kind.ENUM:
        for choice in column.choices:
            if normalise_header(choice) == normalise_header(text):
                return choice
        for spelling, choice in column.spellings.items():
            if normalise_header(spelling) == normalise_header(text):
                return choice
        matches = close_matches(text, {**{choice: choice for choice in column.choices}, **column.spellings})
        if matches:
            raise _BadValue(f"{text!r} is not one of its values: {did_you_mean(matches)}")
        raise _BadValue(f"{text!r} is not one of: {', '.join(column.choices)}")
    if column.kind is Kind.HEX:
        return _hex(text, column.min_length, column.max_length, column.header)
    if column.kind is Kind.CPA_CERTIFICATE:
        return _cpa_certificate(text, column)
    if column.kind is Kind.HEX_LIST:
        parts = [p.strip() for p in text.split(",")]
        if not parts or any(not p for p in parts):
            raise _BadValue(f"{text!r} is not a comma separated list of hex firmware versions")
        return tuple(_hex(p, *_LIST_ITEM_DIGITS, "each firmware version") for p in parts)
    if not column.min_length <= len(text) <= column.max_length:
        raise _BadValue(f"has {len(text)} characters; {column.header} takes {column.min_length} to {column.max_length}")
    return text


_CPA_PREFIX = re.compile(r"\[([^\]]*)\]\s*(.*)", re.DOTALL)


def _cpa_certificate(text: str, column: Column) -> str:
    """A CPA certificate number, with the SEC's kind prefix normalised to '[E] ' or '[R] ' if written."""
    match = _CPA_PREFIX.fullmatch(text)
    if match is None:
        number, prefix = text, ""
    else:
        letter = match.group(1).strip().upper()
        if letter not in CPA_PREFIX_LETTERS:
            raise _BadValue(
                f"{text!r} has the prefix [{match.group(1)}]: a CPA certificate is [E] (standard) or [R] (lifetime)"
            )
        number, prefix = match.group(2).strip(), CPA_PREFIX_LETTERS[letter].prefix
        if not number:
            raise _BadValue(f"{text!r} has a prefix but no certificate number")
    if not column.min_length <= len(number) <= column.max_length:
        raise _BadValue(
            f"has {len(number)} characters; {column.header} takes {column.min_length} to {column.max_length}"
        )
    return prefix + number


def split_cpa_prefix(text: str) -> tuple[str, CpaKind | None]:
    """'[R] NCSC-1' -> ('NCSC-1', LIFETIME); a number without a prefix has no kind. Normalised input only."""
    for kind in CpaKind:
        if text.startswith(kind.prefix):
            return text[len(kind.prefix) :], kind
    return text, None


def _hex(text: str, low: int, high: int, what: str) -> str:
    size = f"{low}" if low == high else f"{low} to {high}"
    digits = text
    if ":" in text:  # the SEC's spelling: colon-separated octets, 10:6C or a hash's 32 (CONTRACT.md 4.1)
        octets = text.split(":")
        if not all(len(octet) == 2 and _HEX.match(octet) for octet in octets):
            raise _BadValue(f"{text!r} is not valid: {what} takes {size} hex digits, or octets like 10:6C")
        digits = "".join(octets)
    if not _HEX.match(digits) or not low <= len(digits) <= high:
        hint = " (a number cell drops leading zeros: format the cell as text)" if text.isdigit() else ""
        raise _BadValue(f"{text!r} is not valid: {what} takes {size} hex digits{hint}")
    return digits.upper()


@dataclass(frozen=True)
class _Layout:
    positions: Mapping[str, int]  # field -> column index
    findings: tuple[Finding, ...]


def _layout(sheet: SheetData, columns: tuple[Column, ...]) -> _Layout:
    by_key: dict[str, int] = {}
    for index, header in enumerate(sheet.header):
        key = normalise_header(header or "")
        if key and key not in by_key:
            by_key[key] = index
    known = {c.key for c in columns}
    found: list[Finding] = []
    for column in columns:
        if column.required and column.key not in by_key:
            found.append(
                finding(
                    Code.WB002,
                    f"The sheet has no '{column.header}' column.",
                    sheet=sheet.name,
                    row=1,
                    column=column.header,
                )
            )
    for header in sheet.header:
        key = normalise_header(header or "")
        if key and key not in known:
            found.append(
                finding(
                    Code.N002,
                    f"Column '{header.strip()}' is not part of the form and is ignored.",
                    sheet=sheet.name,
                    row=1,
                    column=header.strip(),
                )
            )
    positions = {c.field: by_key[c.key] for c in columns if c.key in by_key}
    return _Layout(positions, tuple(found))


_EMPTY = object()  # a blank cell, told apart from a value that converts to anything


def _column_values(
    sheet: SheetData,
    column: Column,
    index: int | None,
    required: bool,
    found: list[Finding],
    problems: list[list[str]],
    min_width: int,
) -> list[Value]:
    """One column's typed values, top to bottom. Works column-wise: each distinct cell value is
    converted once (most repeat: types, manufacturers, versions, dates), the rest is a dict lookup."""
    rows = sheet.rows
    if index is None:
        return [None] * len(rows)
    if index < min_width:
        raw: list[CellValue] = list(map(operator.itemgetter(index), map(operator.itemgetter(1), rows)))
    else:
        raw = [cells[index] if index < len(cells) else None for _, cells in rows]
    # Keyed by (type, value): True, 1 and 1.0 are equal in Python but not the same cell.
    keys = list(zip(map(type, raw), raw, strict=True))
    blank = _EMPTY if required else None
    seen: dict[tuple[type, CellValue], Value | _BadValue | object] = {(type(None), None): blank}
    distinct = set(keys)
    for key in distinct - seen.keys():
        kind, cell = key
        if kind is str and not str(cell).strip():
            seen[key] = blank
            continue
        try:
            seen[key] = _convert(column, cell)
        except _BadValue as bad:
            seen[key] = bad
    converted = list(map(seen.__getitem__, keys))
    if not any(seen[key] is _EMPTY or isinstance(seen[key], _BadValue) for key in distinct):
        values_clean: list[Value] = converted  # type: ignore[assignment]
        return _unread_cells(sheet, column, index, values_clean, found, problems)
    values: list[Value] = []
    for position, result in enumerate(converted):
        if result is _EMPTY:
            values.append(None)
            if required:
                row_number = rows[position][0]
                found.append(
                    finding(
                        Code.F001,
                        f"{column.header} is required.",
                        sheet=sheet.name,
                        row=row_number,
                        column=column.header,
                    )
                )
                problems[position].append(column.field)
        elif isinstance(result, _BadValue):
            values.append(None)
            problems[position].append(column.field)
            found.append(
                finding(
                    Code.F002,
                    _sentence(f"{column.header} {result.reason}"),
                    sheet=sheet.name,
                    row=rows[position][0],
                    column=column.header,
                )
            )
        else:
            values.append(result)  # type: ignore[arg-type]
    return _unread_cells(sheet, column, index, values, found, problems)


def _sentence(text: str) -> str:
    """A reason as a sentence: a question ("did you mean ...?") keeps its question mark."""
    return text if text.endswith("?") else f"{text}."


def _error_message(column: Column, error: str) -> str:
    return f"{column.header} holds the error value {error}, not a value: enter the value itself."


def _errors_in_blank_rows(sheet: SheetData, columns: tuple[Column, ...], layout: _Layout) -> list[Finding]:
    """F002 for the error values of rows that hold nothing else: such a row lists no entry (it is left
    out, as blank rows are), but its errors are never read as empty."""
    if not sheet.error_cells:
        return []
    listed = {row_number for row_number, _ in sheet.rows}
    by_index = {layout.positions[column.field]: column for column in columns if column.field in layout.positions}
    return [
        finding(
            Code.F002,
            _error_message(by_index[index], error),
            sheet=sheet.name,
            row=row_number,
            column=by_index[index].header,
        )
        for (row_number, index), error in sheet.error_cells.items()
        if row_number not in listed and index in by_index
    ]


def _unread_cells(
    sheet: SheetData, column: Column, index: int, values: list[Value], found: list[Finding], problems: list[list[str]]
) -> list[Value]:
    """F002 for the column's cells whose value is never read: an error value, or a formula.

    Either replaces any other finding for the cell (an error cell reads as empty: never F001).
    """
    if not (sheet.error_cells or sheet.formula_cells):
        return values
    for position, (row_number, _) in enumerate(sheet.rows):
        error = sheet.error_cells.get((row_number, index))
        if (row_number, index) in sheet.formula_cells:
            # Never trust a formula's cached value, even an error.
            message = f"{column.header} holds a formula; enter the value itself."
        elif error is not None:
            message = _error_message(column, error)
        else:
            continue
        found[:] = [f for f in found if not (f.row == row_number and f.column == column.header)]
        found.append(finding(Code.F002, message, sheet=sheet.name, row=row_number, column=column.header))
        values[position] = None
        problems[position].append(column.field)
    return values


def _rows(
    sheet: SheetData, columns: tuple[Column, ...], layout: _Layout, optional_required: frozenset[str]
) -> tuple[list[tuple[int, tuple[Value, ...], frozenset[str]]], list[Finding]]:
    """Typed values per row in column order; ``optional_required`` names required fields a rule judges."""
    found: list[Finding] = []
    problems: list[list[str]] = [[] for _ in sheet.rows]
    min_width = min(map(len, map(operator.itemgetter(1), sheet.rows)), default=0)
    by_column = {
        column.field: _column_values(
            sheet,
            column,
            layout.positions.get(column.field),
            column.required and column.field in layout.positions and column.field not in optional_required,
            found,
            problems,
            min_width,
        )
        for column in columns
    }
    none: frozenset[str] = frozenset()
    rows = [
        (row_number, values, frozenset(row_problems) if row_problems else none)
        for (row_number, _), values, row_problems in zip(
            sheet.rows, zip(*by_column.values(), strict=True), problems, strict=True
        )
    ]
    return rows, found + _errors_in_blank_rows(sheet, columns, layout)


def _with_cpa_kind(row: EntryRow) -> EntryRow:
    """The CPA column's SEC prefix becomes the row's ``cpa_kind``; the number is kept without it."""
    if row.cpa_certificate is None or not row.cpa_certificate.startswith("["):
        return row
    number, kind = split_cpa_prefix(row.cpa_certificate)
    return dataclasses.replace(row, cpa_certificate=number, cpa_kind=kind)


def _without_cpa_prefix(row: CertificateRow) -> CertificateRow:
    """A certificate sheet may write a CPA number as the SEC list does, '[E] NCSC-…': the number is what matches."""
    number = row.certificate_number
    if row.scheme is not AssuranceScheme.CPA or number is None:
        return row
    match = _CPA_PREFIX.fullmatch(number)
    if match is None or match.group(1).strip().upper() not in CPA_PREFIX_LETTERS or not match.group(2).strip():
        return row
    return dataclasses.replace(row, certificate_number=match.group(2).strip())


def parse_submission(workbook: WorkbookData) -> ParsedSubmission:
    findings: list[Finding] = []
    unusable: set[str] = set()
    entries: list[EntryRow] = []
    certificates: list[CertificateRow] = []
    for sheet_name, columns in ((ENTRY_SHEET, ENTRY_COLUMNS), (CERTIFICATE_SHEET, CERTIFICATE_COLUMNS)):
        sheet = workbook.sheet(sheet_name)
        if sheet is None:
            findings.append(finding(Code.WB002, f"The workbook has no '{sheet_name}' sheet.", sheet=sheet_name))
            unusable.add(sheet_name)
            continue
        layout = _layout(sheet, columns)
        findings.extend(layout.findings)
        if any(f.code is Code.WB002 for f in layout.findings):
            unusable.add(sheet_name)
            continue
        # GBCS Version is required except for SMETS1; the rules decide once the type is known.
        rows, row_findings = _rows(sheet, columns, layout, frozenset({"gbcs_version"}))
        findings.extend(row_findings)
        if sheet_name == ENTRY_SHEET:
            entries.extend(
                _with_cpa_kind(EntryRow(n, *v, problems=p))  # type: ignore[arg-type, misc]
                for n, v, p in rows
            )
        else:
            certificates.extend(
                _without_cpa_prefix(CertificateRow(n, *v, problems=p))  # type: ignore[arg-type, misc]
                for n, v, p in rows
            )
    return ParsedSubmission(tuple(entries), tuple(certificates), tuple(findings), frozenset(unusable))
