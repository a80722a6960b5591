"""The published CPL: the latest *issued* extract, never the live store, in JSON, CSV and XLSX.

What the public sees is exactly what was signed and sent to the DCC: the entries of the latest
issued extract, its version (sequence, issued_at) and whether the DCC has loaded it yet. The live
store may already hold approvals that no extract carries; they are not published until issued.

Spreadsheet-bound text (CSV, XLSX) is neutralised against formula injection: a cell that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP "CSV
Injection"). Manufacturer and model names come from submitted workbooks, so they are hostile
until shown otherwise. The JSON carries the values verbatim.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from cpl import errors
from cpl.store import ExtractDraft, IssuedExtract
from signing.extract import CERTIFICATE_SCHEMES, ExtractEntry, format_timestamp, parse_extract, sha256_hex

FORMAT = "cpl-published"
FORMAT_VERSION = 1

#: Leading characters a spreadsheet may read as the start of a formula (OWASP), and their
#: full-width forms, which some spreadsheet applications normalise to the ASCII ones.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

#: The published columns, as (header, how to read it from an extract entry), in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Entry ID", "entry_id"),
    ("Physical Device Type", "physical_device_type"),
    ("Manufacturer", "manufacturer"),
    ("Manufacturer ID", "manufacturer_id"),
    ("Model", "model"),
    ("Model ID", "model_id"),
    ("Hardware Version", "hardware_version"),
    ("Firmware Version", "firmware_version"),
    ("Technical Specification", "technical_specification"),
    ("GBCS Version", "gbcs_version"),
    ("ZigBee Certificate", "certificate:zigbee"),
    ("DLMS Certificate", "certificate:dlms"),
    ("CPA Certificate", "certificate:cpa"),
    ("CPA Expiry Date", "cpa_expiry"),
    ("Manufacturer Image Hash", "manufacturer_image_hash"),
    ("Status", "status"),
    ("Status Since", "status_since"),
    ("Panel Reference", "panel_reference"),
)


class PublicationIntegrityError(errors.CplError):
    """The stored content of an issued extract no longer matches the hash it was signed with."""


@dataclass(frozen=True)
class PublishedCpl:
    sequence: int
    issued_at: dt.datetime
    dcc_loaded_at: dt.datetime | None
    entries: tuple[ExtractEntry, ...]

    @property
    def dcc_loaded(self) -> bool:
        return self.dcc_loaded_at is not None


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


#: Parsed entries by content hash: the public page asks for the same extract on every request.
_PARSED: dict[str, tuple[ExtractEntry, ...]] = {}


def _parsed_entries(content_sha256: str, content: bytes) -> tuple[ExtractEntry, ...]:
    entries = _PARSED.get(content_sha256)
    if entries is None:
        entries = parse_extract(content).entries
        if len(_PARSED) >= 4:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[content_sha256] = entries
    return entries


def published_cpl(session: Session) -> PublishedCpl | None:
    """The latest issued extract as published, or None when nothing has been issued yet."""
    issued = session.exec(select(IssuedExtract).order_by(col(IssuedExtract.sequence).desc())).first()
    if issued is None:
        return None
    draft = session.get(ExtractDraft, issued.draft_id)
    if draft is None or sha256_hex(draft.content) != issued.content_sha256:
        raise PublicationIntegrityError(
            f"The stored content of issued extract {issued.sequence} does not match its signed hash; "
            "it will not be published."
        )
    return PublishedCpl(
        sequence=issued.sequence,
        issued_at=_utc(issued.issued_at),
        dcc_loaded_at=_utc(issued.dcc_loaded_at) if issued.dcc_loaded_at is not None else None,
        entries=_parsed_entries(issued.content_sha256, draft.content),
    )


# --- formats ---------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show as text, never evaluate (OWASP CSV-injection advice)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _value(entry: ExtractEntry, source: str) -> str | None:
    if source.startswith("certificate:"):
        return entry.certificates.get(source.removeprefix("certificate:"))
    value: str | None = getattr(entry, source)
    return value


def _rows(p: PublishedCpl) -> list[list[str]]:
    return [[neutralise(_value(e, source) or "") for _, source in COLUMNS] for e in p.entries]


def to_json(p: PublishedCpl) -> bytes:
    """The published CPL with its version; entries exactly as in the signed extract."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sequence": p.sequence,
        "issued_at": format_timestamp(p.issued_at),
        "dcc_loaded": p.dcc_loaded,
        "dcc_loaded_at": format_timestamp(p.dcc_loaded_at) if p.dcc_loaded_at else None,
        "entry_count": len(p.entries),
        "entries": [e.to_json() for e in p.entries],
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")


def to_csv(p: PublishedCpl) -> bytes:
    """One header row, one row per entry (UTF-8, CRLF as RFC 4180 says); hostile text neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _ in COLUMNS])
    writer.writerows(_rows(p))
    return buffer.getvalue().encode("utf-8")


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


def _text_cell(sheet: Any, text: str, *, header: bool = False) -> WriteOnlyCell:
    # openpyxl refuses control characters XML cannot carry; drop them rather than fail the whole list.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"  # never a formula, whatever the text
    if header:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    return cell


def _about_rows(p: PublishedCpl) -> Sequence[tuple[str, str]]:
    return (
        ("CPL version (extract sequence)", str(p.sequence)),
        ("Issued at (UTC)", format_timestamp(p.issued_at)),
        (
            "Loaded by the DCC",
            f"yes, at {format_timestamp(p.dcc_loaded_at)}" if p.dcc_loaded_at else "not yet confirmed by the DCC",
        ),
        ("Entries", str(len(p.entries))),
        ("Certificate schemes", ", ".join(CERTIFICATE_SCHEMES)),
    )


def to_xlsx(p: PublishedCpl) -> bytes:
    """Sheet ``CPL`` (header frozen, filterable) and sheet ``About`` (version, DCC loading)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("CPL")
    sheet.freeze_panes = "A2"
    for index, (header, _) in enumerate(COLUMNS):
        letter = get_column_letter(index + 1)
        sheet.column_dimensions[letter].width = 70.0 if header == "Manufacturer Image Hash" else max(14.0, len(header))
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(p.entries) + 1}"
    sheet.append([_text_cell(sheet, header, header=True) for header, _ in COLUMNS])
    for row in _rows(p):
        sheet.append([_text_cell(sheet, value) for value in row])
    about = book.create_sheet("About")
    about.column_dimensions["A"].width = 32.0
    about.column_dimensions["B"].width = 40.0
    for label, value in _about_rows(p):
        about.append([_text_cell(about, label, header=True), _text_cell(about, neutralise(value))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
