"""What `cpl extract show` reads: one draft or issued extract, what it changes, and the DCC's preview of it.

Read only: every function here reads a session and writes nothing (the command opens a read-only unit
of work). A draft is compared with the extract it follows (its ``previous_sha256``; for a draft about
to be approved that is the last issued one, and for the first extract after an import, the imported
list), entry by entry.

The DCC's impact preview (`smi preview --json`, the simulator's output) is read as plain JSON: the
authority never imports the simulator. It is attached only to the content it was made of, checked by
the content's SHA-256, and shown beside each entry's change: the Devices it would suspend and restore.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from cpl.core import errors
from cpl.core.lifecycle import next_sequence
from cpl.services import versions
from cpl.services.extracts import get_draft, get_issued, last_issued
from cpl.store import ExtractDraft, ImportedList, IssuedExtract, as_utc
from formats.extract import Extract, ExtractEntry, parse_extract
from formats.vocabulary import EntryStatus

#: How an entry changed since the extract compared with, in the order they are listed.
CHANGE_KINDS: tuple[str, ...] = ("added", "removed", "restored", "status changed", "changed", "dropped")

#: What `smi preview --json` says the DCC would make of the extract.
PREVIEW_RESULTS = frozenset({"new", "queued", "repeat", "refused"})

_REFERENCE = re.compile(r"(?:(draft|extract):)?(\d{1,9})")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class UnusablePreviewError(errors.CplError):
    """The --preview file is not a DCC preview at all: not JSON, or not what `smi preview --json` prints."""

    exit_code = 2


class PreviewMismatchError(errors.ExtractError):
    """The DCC preview was made of other content than the extract shown."""


@dataclass(frozen=True)
class EntryChange:
    """One entry that changes since the extract compared with (``status_before`` None: it is new)."""

    entry_id: str
    change: str
    status_before: str | None
    status: str | None
    panel_reference: str | None
    model_key: tuple[str, str, str, str, str]

    def as_json(self) -> dict[str, Any]:
        kind, manufacturer_id, model_id, hardware, firmware = self.model_key
        return {
            "entry_id": self.entry_id,
            "change": self.change,
            "status_before": self.status_before,
            "status": self.status,
            "panel_reference": self.panel_reference,
            "physical_device_type": kind,
            "manufacturer_id": manufacturer_id,
            "model_id": model_id,
            "hardware_version": hardware,
            "firmware_version": firmware,
        }


@dataclass(frozen=True)
class ShownExtract:
    """A draft (and its issued extract, once it is issued) and what it changes."""

    draft: ExtractDraft
    issued: IssuedExtract | None
    version: str | None
    extract: Extract
    #: The sequence of the issued extract it is compared with (None: the imported list, or nothing).
    compared_sequence: int | None
    compared_with: str
    #: A draft still awaiting approval follows the last issued extract (else it must be prepared again).
    follows_last_issued: bool
    changes: tuple[EntryChange, ...]

    @property
    def content(self) -> bytes:
        """The unsigned canonical content: exactly the bytes an approval signs."""
        return self.draft.content

    @property
    def by_status(self) -> dict[str, int]:
        found = Counter(e.status for e in self.extract.entries)
        return {status.value: found.get(status.value, 0) for status in EntryStatus}

    @property
    def change_counts(self) -> dict[str, int]:
        found = Counter(c.change for c in self.changes)
        return {kind: found.get(kind, 0) for kind in CHANGE_KINDS}

    def as_json(self) -> dict[str, Any]:
        draft, issued = self.draft, self.issued
        return {
            "draft": draft.id,
            "sequence": draft.sequence,
            "state": draft.state,
            "version": self.version,
            "content_sha256": draft.content_sha256,
            "previous_sha256": draft.previous_sha256,
            "issued_at": _stamp(draft.issued_at),
            "next_update_by": None if self.extract.next_update_by is None else _stamp(self.extract.next_update_by),
            "prepared_by": draft.prepared_by,
            "prepared_at": _stamp(draft.prepared_at),
            "approved_by": None if issued is None else issued.approved_by,
            "approved_at": None if issued is None else _stamp(issued.approved_at),
            "dcc_loaded_at": None if issued is None or issued.dcc_loaded_at is None else _stamp(issued.dcc_loaded_at),
            "compared_with": {"sequence": self.compared_sequence, "what": self.compared_with},
            "follows_last_issued": self.follows_last_issued,
            "entries": {"total": len(self.extract.entries), "by_status": self.by_status},
            "change_counts": self.change_counts,
            "changes": [change.as_json() for change in self.changes],
        }


def _stamp(moment: dt.datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- finding it -----------------------------------------------------------------------------------


def find(session: Session, reference: str) -> tuple[ExtractDraft, IssuedExtract | None]:
    """``N`` or ``draft:N`` is draft N (as `cpl extract prepare` numbers it); ``extract:N`` is the issued
    extract of sequence N."""
    matched = _REFERENCE.fullmatch(reference.strip().lower())
    if matched is None:
        raise errors.UnknownExtractError(
            f"{reference!r} names no draft or extract: give a draft number (3, draft:3) or an issued "
            f"extract's sequence (extract:2)."
        )
    kind, number = matched.group(1) or "draft", int(matched.group(2))
    if kind == "extract":
        issued = get_issued(session, number)
        return get_draft(session, issued.draft_id), issued
    draft = get_draft(session, number)
    found = session.exec(select(IssuedExtract).where(IssuedExtract.draft_id == number)).first()
    return draft, found


def show(session: Session, reference: str) -> ShownExtract:
    """The draft or issued extract ``reference`` names, compared with the extract it follows."""
    draft, issued = find(session, reference)
    extract = parse_extract(draft.content)
    before, compared_sequence, compared_with = _predecessor(session, draft)
    last = last_issued(session)
    follows = draft.sequence == next_sequence(last.sequence if last else None) and draft.previous_sha256 == (
        last.content_sha256 if last else None
    )
    version = versions.version_of(session, issued.sequence) if issued is not None else None
    return ShownExtract(
        draft=draft,
        issued=issued,
        version=version,
        extract=extract,
        compared_sequence=compared_sequence,
        compared_with=compared_with,
        follows_last_issued=follows,
        changes=entry_changes(before, extract.entries),
    )


def _predecessor(session: Session, draft: ExtractDraft) -> tuple[tuple[ExtractEntry, ...], int | None, str]:
    if draft.previous_sha256 is None:
        imported = session.exec(select(ImportedList).order_by(col(ImportedList.id).desc()).limit(1)).first()
        if imported is None:
            return (), None, "nothing (the first extract)"
        return versions.imported_baseline(session), None, f"the imported CPL {imported.version}"
    previous = session.exec(select(IssuedExtract).where(IssuedExtract.content_sha256 == draft.previous_sha256)).first()
    if previous is None:  # the chain names content this store never issued: nothing to compare with
        return (), None, "nothing (its previous extract is not in this store)"
    entries = parse_extract(get_draft(session, previous.draft_id).content).entries
    return entries, previous.sequence, f"extract {previous.sequence}"


def entry_changes(before: Sequence[ExtractEntry], after: Sequence[ExtractEntry]) -> tuple[EntryChange, ...]:
    """Each entry added, removed (Active before, not now), restored, moved between removed statuses,
    otherwise changed, or dropped from the list, by entry id."""
    previous = {e.entry_id: e for e in before}
    changes = []
    for entry in after:
        old = previous.pop(entry.entry_id, None)
        if old is None:
            kind = "added"
        elif old.is_active and not entry.is_active:
            kind = "removed"
        elif not old.is_active and entry.is_active:
            kind = "restored"
        elif old.status != entry.status:
            kind = "status changed"
        elif old != entry:
            kind = "changed"
        else:
            continue
        changes.append(
            EntryChange(
                entry.entry_id,
                kind,
                None if old is None else old.status,
                entry.status,
                entry.panel_reference,
                entry.model_key,
            )
        )
    changes += [
        EntryChange(old.entry_id, "dropped", old.status, None, None, old.model_key) for old in previous.values()
    ]
    return tuple(sorted(changes, key=lambda c: c.entry_id))


# --- the DCC's preview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DccPreview:
    """`smi preview --json` of exactly the content shown, with its entries by entry id."""

    data: Mapping[str, Any]
    by_entry: Mapping[str, tuple[Mapping[str, Any], ...]]

    def devices_for(self, entry_id: str) -> dict[str, Any]:
        """What the DCC would do to the Devices of this entry's model (zeros if nothing)."""
        found = self.by_entry.get(entry_id, ())
        return {
            "change": found[0].get("change") if found else None,
            "devices_suspended": sum(int(e["devices_suspended"]) for e in found),
            "devices_restored": sum(int(e["devices_restored"]) for e in found),
            "suspended_by_status": _summed(e.get("suspended_by_status") for e in found),
            "restored_by_status": _summed(e.get("restored_by_status") for e in found),
        }

    def summary(self, changed: Sequence[EntryChange]) -> dict[str, Any]:
        """The preview's own verdict and totals, and its entries that are not among ``changed``."""
        shown = {c.entry_id for c in changed}
        keys = (
            "result",
            "accepted",
            "rule",
            "reason",
            "received_at",
            "signature",
            "cpl_in_force",
            "applies_after",
            "devices_suspended",
            "devices_restored",
            "suspended_by_status",
            "restored_by_status",
        )
        return {
            **{key: self.data.get(key) for key in keys},
            "entries_not_among_changes": [
                entry for entry_id, found in sorted(self.by_entry.items()) if entry_id not in shown for entry in found
            ],
        }


def _summed(counts: Any) -> dict[str, int]:
    total: Counter[str] = Counter()
    for one in counts:
        if isinstance(one, Mapping):
            total.update({str(k): int(v) for k, v in one.items() if isinstance(v, int)})
    return dict(total)


def read_dcc_preview(raw: bytes, shown: ShownExtract) -> DccPreview:
    """The DCC's preview, refused unless it is `smi preview --json` of exactly the content shown."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UnusablePreviewError("The preview file is not JSON: give the output of `smi preview --json`.") from None
    if (
        not isinstance(data, dict)
        or data.get("result") not in PREVIEW_RESULTS
        or not isinstance(data.get("entries"), list)
    ):
        raise UnusablePreviewError("The preview file is not a DCC preview: give the output of `smi preview --json`.")
    entries = data["entries"]
    for entry in entries:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("devices_suspended"), int)
            and isinstance(entry.get("devices_restored"), int)
            and (entry.get("entry_id") is None or isinstance(entry.get("entry_id"), str))
        ):
            raise UnusablePreviewError("The preview file lists an entry that is not as `smi preview --json` writes it.")
    label = f"draft {shown.draft.id} (extract {shown.draft.sequence})"
    digest = data.get("content_sha256")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise PreviewMismatchError(
            f"The preview names no content SHA-256 (the DCC refused the file before reading its content), so it "
            f"cannot be matched to {label}."
        )
    if digest != shown.draft.content_sha256:
        raise PreviewMismatchError(
            f"The preview is of other content (SHA-256 {digest[:16]}…) than {label} "
            f"({shown.draft.content_sha256[:16]}…): preview this draft's content (--content-out) again."
        )
    by_entry: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries:
        by_entry.setdefault(entry.get("entry_id") or "?", []).append(entry)
    return DccPreview(data=data, by_entry={k: tuple(v) for k, v in by_entry.items()})
