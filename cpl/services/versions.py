"""The list's versions in the SEC's numbering (the Version Control tab), one per issued extract.

An imported history (``cpl import-cpl``) is continued: after 2.051 comes 2.052. Each version says
what it changed in the SEC's words, written from its extract's changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

from cpl.core.extracts import ExtractChanges
from cpl.core.sec_entries import entry_number, sec_entry
from cpl.core.sec_list import SecEntry, VersionRecord, describe_changes, next_version
from cpl.store import CplVersion, ImportedList
from formats.extract import ExtractEntry, parse_extract

#: A list issued here with no imported history starts at 1.0, as the SEC's did.
FIRST_VERSION = "1.0"


def history(session: Session) -> tuple[VersionRecord, ...]:
    rows = session.exec(select(CplVersion).order_by(col(CplVersion.position))).all()
    return tuple(VersionRecord(version=r.version, issued=r.issued, changes=r.changes) for r in rows)


def version_of(session: Session, sequence: int) -> str | None:
    """The SEC-numbered version an issued extract carries, if it was issued with one."""
    row = session.exec(select(CplVersion).where(CplVersion.sequence == sequence)).first()
    return row.version if row is not None else None


def imported_baseline(session: Session) -> tuple[ExtractEntry, ...]:
    """The entries as ``cpl import-cpl`` stored them: what the first extract after an import is compared with."""
    imported = session.exec(select(ImportedList).order_by(col(ImportedList.id).desc()).limit(1)).first()
    return parse_extract(imported.content).entries if imported is not None else ()


def record_version(
    session: Session,
    *,
    sequence: int,
    issued: dt.date,
    changes: ExtractChanges,
    entries: Sequence[ExtractEntry],
) -> CplVersion:
    """The next version, for the extract just issued, with its Version Control sentences."""
    last = session.exec(select(CplVersion).order_by(col(CplVersion.position).desc()).limit(1)).first()
    by_id = {e.entry_id: e for e in entries}

    def sec(ids: Sequence[str]) -> list[SecEntry]:
        return [sec_entry(by_id[i]) for i in ids if i in by_id]

    # Names in words where SECAS has them (an imported entry's names are its identifiers).
    names = {
        entry_number(e.entry_id): f"{e.manufacturer} {e.model}"
        for e in entries
        if (e.manufacturer, e.model) != (e.manufacturer_id, e.model_id)
    }
    text = describe_changes(
        added=sec(changes.added),
        removed=sec([r["entry_id"] or "" for r in changes.removed]),
        restored=sec(changes.restored),
        changed=sec(changes.changed),
        names=names,
    )
    version = CplVersion(
        version=next_version(last.version) if last else FIRST_VERSION,
        position=(last.position + 1) if last else 1,
        issued=issued,
        changes=text,
        sequence=sequence,
    )
    session.add(version)
    session.flush()
    return version
