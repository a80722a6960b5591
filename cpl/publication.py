"""The published CPL: the latest *issued* extract, never the live store, in JSON, CSV and XLSX.

``publish`` writes the three files atomically and queues the notice of the new version to every
party, once per version. What the public sees is exactly what was signed and sent to the DCC: the entries of the latest
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from cpl import audit, mailer
from cpl.core import errors
from cpl.core.notices import published_notice
from cpl.core.sec_entries import sec_entry
from cpl.core.sec_list import VersionRecord, version_label
from cpl.files import write_atomically
from cpl.services import versions
from cpl.store import Certificate, CplVersion, ExtractDraft, ImportedList, IssuedExtract, as_utc
from cpl.workbook.sec_layout import write_sec_csv, write_sec_workbook
from formats.extract import CERTIFICATE_SCHEMES, ExtractEntry, format_timestamp, parse_extract, sha256_hex
from formats.vocabulary import AssuranceScheme, EntryStatus

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
    *((f"{scheme} Certificate", f"certificate:{scheme.extract_key}") for scheme in AssuranceScheme),
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
    #: The version in the SEC's numbering (2.052 after an imported 2.051), and every version before it.
    version: str | None = None
    history: tuple[VersionRecord, ...] = ()

    @property
    def dcc_loaded(self) -> bool:
        return self.dcc_loaded_at is not None

    @property
    def version_label(self) -> str:
        """'Version 2.052 Issued on 01-12-2026', as the SEC's list heads itself."""
        return version_label(self.version or str(self.sequence), self.issued_at.date())


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


def _issued_entries(session: Session, issued: IssuedExtract) -> tuple[ExtractEntry, ...]:
    draft = session.get(ExtractDraft, issued.draft_id)
    if draft is None or sha256_hex(draft.content) != issued.content_sha256:
        raise PublicationIntegrityError(
            f"The stored content of issued extract {issued.sequence} does not match its signed hash; "
            "it will not be published."
        )
    return _parsed_entries(issued.content_sha256, draft.content)


def published_cpl(session: Session) -> PublishedCpl | None:
    """The latest issued extract as published, or None when nothing has been issued yet."""
    issued = session.exec(select(IssuedExtract).order_by(col(IssuedExtract.sequence).desc()).limit(1)).first()
    if issued is None:
        return None
    return PublishedCpl(
        sequence=issued.sequence,
        issued_at=as_utc(issued.issued_at),
        dcc_loaded_at=as_utc(issued.dcc_loaded_at) if issued.dcc_loaded_at is not None else None,
        entries=_issued_entries(session, issued),
        version=versions.version_of(session, issued.sequence),
        history=versions.history(session),
    )


# --- one entry as published ---------------------------------------------------------------------


class EntryChange(StrEnum):
    """What an issued extract did to one entry, in the words of its changes (``ExtractChanges``)."""

    IMPORTED = "imported"  # on the SEC's list this service's first extract continued
    ADDED = "added"
    REMOVED = "removed"
    RESTORED = "restored"
    CHANGED = "changed"


@dataclass(frozen=True)
class EntryEvent:
    """One published version's change to an entry: the version, whether the DCC has loaded it, what changed."""

    change: EntryChange
    version: str | None
    sequence: int | None  # None for the imported list, which no extract of this service carried
    issued_at: dt.datetime | None
    dcc_loaded_at: dt.datetime | None
    status: str | None = None
    panel_reference: str | None = None


def entry_history(session: Session, entry_id: str) -> tuple[EntryEvent, ...]:
    """Every issued extract that added, removed, restored or changed ``entry_id``, oldest first.

    Read from each issued extract's recorded changes, never the live store: what the public sees of an
    entry's past is what was signed and sent to the DCC. An entry brought in by ``cpl import-cpl``
    starts with the imported version. A restoration's Panel reference is read from that extract.
    """
    versions_by_sequence = {
        row.sequence: row.version
        for row in session.exec(select(CplVersion).where(col(CplVersion.sequence).is_not(None))).all()
    }
    rows = session.exec(
        select(
            IssuedExtract.sequence,
            IssuedExtract.issued_at,
            IssuedExtract.dcc_loaded_at,
            ExtractDraft.changes_json,
        )
        .join(ExtractDraft, col(ExtractDraft.id) == col(IssuedExtract.draft_id))
        .order_by(col(IssuedExtract.sequence))
    ).all()
    events: list[EntryEvent] = []
    for sequence, issued_at, loaded_at, changes_json in rows:
        changes: dict[str, Any] = json.loads(changes_json)
        stamp = EntryEvent(
            EntryChange.CHANGED,
            version=versions_by_sequence.get(sequence),
            sequence=sequence,
            issued_at=as_utc(issued_at),
            dcc_loaded_at=as_utc(loaded_at) if loaded_at is not None else None,
        )
        removed = next((r for r in changes.get("removed", ()) if r.get("entry_id") == entry_id), None)
        if entry_id in changes.get("added", ()):
            events.append(replace(stamp, change=EntryChange.ADDED, status=EntryStatus.ACTIVE.value))
        elif removed is not None:
            status, reference = removed.get("status"), removed.get("panel_reference")
            events.append(replace(stamp, change=EntryChange.REMOVED, status=status, panel_reference=reference))
        elif entry_id in changes.get("restored", ()):
            reference = _panel_reference(session, sequence, entry_id)
            events.append(
                replace(stamp, change=EntryChange.RESTORED, status=EntryStatus.ACTIVE.value, panel_reference=reference)
            )
        elif entry_id in changes.get("changed", ()):
            events.append(stamp)
    if events and events[0].change is EntryChange.ADDED:
        return tuple(events)
    imported = _imported_version(session, entry_id)
    return ((imported,) if imported is not None else ()) + tuple(events)


def _panel_reference(session: Session, sequence: int, entry_id: str) -> str | None:
    issued = session.get(IssuedExtract, sequence)
    if issued is None:
        return None
    entry = next((e for e in _issued_entries(session, issued) if e.entry_id == entry_id), None)
    return entry.panel_reference if entry is not None else None


def _imported_version(session: Session, entry_id: str) -> EntryEvent | None:
    """The imported SEC list's version, when ``entry_id`` was on it."""
    imported = session.exec(select(ImportedList).order_by(col(ImportedList.id).desc()).limit(1)).first()
    if imported is None:
        return None
    baseline = _parsed_entries(f"imported:{imported.id}:{imported.workbook_sha256}", imported.content)
    entry = next((e for e in baseline if e.entry_id == entry_id), None)
    if entry is None:
        return None
    return EntryEvent(
        EntryChange.IMPORTED,
        version=imported.version,
        sequence=None,
        issued_at=None,
        dcc_loaded_at=None,
        status=entry.status,
        panel_reference=entry.panel_reference,
    )


def certificate_records(session: Session, entry: ExtractEntry) -> dict[str, Certificate]:
    """The public records (issued, expiry, revocation) of the certificates an entry names, by scheme key."""
    records: dict[str, Certificate] = {}
    for scheme in AssuranceScheme:
        number = entry.certificates.get(scheme.extract_key)
        if not number:
            continue
        found = session.exec(
            select(Certificate).where(Certificate.scheme == scheme, Certificate.number == number)
        ).first()
        if found is not None:
            records[scheme.extract_key] = found
    return records


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


def to_json(p: PublishedCpl, selection: Mapping[str, str] | None = None) -> bytes:
    """The published CPL with its version; entries exactly as in the signed extract.

    ``selection``: the filters that chose ``p.entries`` from the list, written as ``filters`` (a
    filtered download says it is one; ``entry_count`` then counts the entries chosen).
    """
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
    if selection is not None:
        document["filters"] = dict(selection)
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


def _about_rows(p: PublishedCpl, selection: Mapping[str, str] | None) -> Sequence[tuple[str, str]]:
    chosen = ", ".join(f"{key}={value}" for key, value in (selection or {}).items())
    return (
        ("CPL version (extract sequence)", str(p.sequence)),
        ("Issued at (UTC)", format_timestamp(p.issued_at)),
        (
            "Loaded by the DCC",
            f"yes, at {format_timestamp(p.dcc_loaded_at)}" if p.dcc_loaded_at else "not yet confirmed by the DCC",
        ),
        ("Entries", str(len(p.entries))),
        ("Certificate schemes", ", ".join(CERTIFICATE_SCHEMES)),
        *((("Selected by", chosen),) if selection is not None else ()),
    )


def to_xlsx(p: PublishedCpl, selection: Mapping[str, str] | None = None) -> bytes:
    """Sheet ``CPL`` (header frozen, filterable) and sheet ``About`` (version, DCC loading, the filters
    that chose the entries when ``selection`` is given)."""
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
    for label, value in _about_rows(p, selection):
        about.append([_text_cell(about, label, header=True), _text_cell(about, neutralise(value))])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sec_entries(p: PublishedCpl) -> list[Any]:
    return [sec_entry(e) for e in p.entries]


def to_sec_xlsx(p: PublishedCpl) -> bytes:
    """The list in the SEC's own layout (CONTRACT.md 4.4): Version Control, the blank New Entry form,
    Central Products List and CPL - saveable in CSV. It is also the form manufacturers download."""
    return write_sec_workbook(
        version=p.version or str(p.sequence), issued=p.issued_at.date(), entries=_sec_entries(p), history=p.history
    )


def blank_sec_workbook(today: dt.date) -> bytes:
    """The SEC workbook before any list is issued: the blank New Entry form, an empty list."""
    return write_sec_workbook(version="(not yet issued)", issued=today, entries=(), history=())


def to_sec_csv(p: PublishedCpl) -> bytes:
    """The SEC workbook's `CPL - saveable in CSV` tab, as CSV."""
    return write_sec_csv(label=p.version_label, entries=_sec_entries(p))


# --- publishing ------------------------------------------------------------------------------------


class NothingIssuedError(errors.CplError):
    """No extract has been issued, so there is nothing to publish."""


class PublicationWriteError(errors.CplError):
    """The published files cannot be written where they were asked for."""

    exit_code = 2


PUBLISHED_FILES: tuple[tuple[str, Callable[[PublishedCpl], bytes]], ...] = (
    ("cpl.json", to_json),
    ("cpl.csv", to_csv),
    ("cpl.xlsx", to_xlsx),
    ("central_products_list.xlsx", to_sec_xlsx),
    ("central_products_list.csv", to_sec_csv),
)


@dataclass(frozen=True)
class Publication:
    published: PublishedCpl
    files: tuple[Path, ...]
    notices_queued: int
    not_told: tuple[str, ...] = ()  # parties with no email address, whom no notice of this version reaches


def publish(session: Session, out_dir: Path, now: dt.datetime, actor: str = "cli") -> Publication:
    """Write the CPL of the latest issued extract (JSON, CSV, XLSX) and queue its notice to every party.

    The notice is queued once per version, in the caller's transaction; a party already told of this
    version is not told again, so publishing twice writes the files again and mails nobody twice.
    """
    published = published_cpl(session)
    if published is None:
        raise NothingIssuedError("Nothing has been issued yet; issue an extract before publishing.")
    issued = session.get(IssuedExtract, published.sequence)
    draft = session.get(ExtractDraft, issued.draft_id) if issued is not None else None
    changes: dict[str, Any] = json.loads(draft.changes_json) if draft is not None else {}
    by_status: dict[str, int] = {}
    for entry in published.entries:
        by_status[entry.status] = by_status.get(entry.status, 0) + 1
    files = tuple(out_dir / name for name, _ in PUBLISHED_FILES)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, (_, render) in zip(files, PUBLISHED_FILES, strict=True):
            write_atomically(path, render(published))
    except OSError as problem:
        raise PublicationWriteError(
            f"Cannot write the published CPL to {out_dir} ({problem.strerror or problem})."
        ) from None
    notice = published_notice(
        sequence=published.sequence,
        issued_at=published.issued_at,
        entries_by_status=by_status,
        changes=changes,
        dcc_loaded_at=published.dcc_loaded_at,
        version=published.version,
    )
    queued = mailer.queue(session, notice, mailer.parties_with_email(session), now)
    if queued:
        audit.record(
            session,
            actor=actor,
            action="cpl.publish",
            subject=f"extract:{published.sequence}",
            now=now,
            details={"notified": [n.party_id for n in queued], "entries": len(published.entries)},
        )
    return Publication(published, files, len(queued), tuple(mailer.parties_without_email(session)))
