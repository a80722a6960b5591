"""Signed CPL extracts on the authority's side: prepare (A), approve and sign (B), verify, receipts.

Four eyes (`cpl.core.lifecycle`): one SECAS user prepares a draft and sees what changes; another
approves it, which signs exactly the drafted bytes. An issued extract is immutable; sequences rise
by one and chain by the SHA-256 of the previous content.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from cpl import audit, mailer
from cpl.core import errors
from cpl.core.domain import PartyRole, format_entry_id
from cpl.core.extracts import ExtractChanges, extract_changes, removed_without_panel_reference
from cpl.core.lifecycle import next_sequence, require_four_eyes
from cpl.core.schema import CERTIFICATE_FIELD
from cpl.files import remove_partial_writes, write_atomically
from cpl.services import versions
from cpl.services.entries import list_entries
from cpl.services.paging import Page, page
from cpl.services.parties import acting_user
from cpl.store import Entry, ExtractDraft, IssuedExtract, Receipt, as_utc
from formats.extract import (
    Extract,
    ExtractEntry,
    ExtractFormatError,
    parse_extract,
    sha256_hex,
)
from formats.receipt import ReceiptFormatError, parse_receipt
from formats.vocabulary import AssuranceScheme, EntryStatus
from signing.cms import VerifiedData, sign_data, verify_signed_data
from signing.errors import SigningError
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING, DEV_POLICY_DCC_RECEIPT_SIGNING
from signing.signers import Signer
from signing.trust import TrustStore

# --- what an extract publishes ------------------------------------------------------------------


def extract_entry(entry: Entry) -> ExtractEntry:
    """What an extract publishes of an entry: never the audit-only evidence."""
    return ExtractEntry(
        entry_id=format_entry_id(entry.id or 0),
        physical_device_type=entry.physical_device_type,
        manufacturer=entry.manufacturer,
        manufacturer_id=entry.manufacturer_id,
        model=entry.model,
        model_id=entry.model_id,
        hardware_version=entry.hardware_version,
        firmware_version=entry.firmware_version,
        technical_specification=entry.technical_specification,
        gbcs_version=entry.gbcs_version,
        certificates={scheme.extract_key: getattr(entry, CERTIFICATE_FIELD[scheme]) for scheme in AssuranceScheme},
        cpa_expiry=entry.cpa_expiry.isoformat() if entry.cpa_expiry else None,
        manufacturer_image_hash=entry.manufacturer_image_hash,
        status=entry.status,
        status_since=entry.status_since.isoformat(),
        panel_reference=entry.panel_reference,
        attributes=_optional_attributes(entry),
    )


def _optional_attributes(entry: Entry) -> dict[str, str]:
    """The SEC list's attributes an entry has, as the extract's optional keys (``OPTIONAL_ENTRY_KEYS``)."""
    values = {
        "cpa_certificate_kind": entry.cpa_kind,
        "cpa_renewal_date": entry.cpa_renewal_date.isoformat() if entry.cpa_renewal_date else None,
        "cpa_security_characteristics": entry.cpa_security_characteristics,
        "dlms_version": entry.dlms_version,
        "zse_version": entry.zse_version,
        "manufacturer_image_creator": entry.manufacturer_image_creator,
        "manufacturer_image_descriptor": entry.manufacturer_image_descriptor,
    }
    return {key: value for key, value in values.items() if value is not None}


# --- the lifecycle ---------------------------------------------------------------------------------


def last_issued(session: Session) -> IssuedExtract | None:
    return session.exec(select(IssuedExtract).order_by(col(IssuedExtract.sequence).desc()).limit(1)).first()


def _entries_of(issued: IssuedExtract | None, session: Session) -> tuple[ExtractEntry, ...]:
    if issued is None:
        return ()
    draft = session.get(ExtractDraft, issued.draft_id)
    assert draft is not None
    return parse_extract(draft.content).entries


def _current_entries(session: Session) -> tuple[ExtractEntry, ...]:
    return tuple(sorted((extract_entry(e) for e in list_entries(session)), key=lambda e: e.entry_id))


def prepare(
    session: Session,
    user_id: str,
    now: dt.datetime,
    *,
    next_update_within: dt.timedelta | None = None,
    unchanged: bool = False,
) -> tuple[ExtractDraft, ExtractChanges]:
    """Draft the next extract from the CPL as stored, and what it changes since the last issued one.

    The draft carries the audit log's head as it stands (so a later extract shows whether the log was
    cut), and, with ``next_update_within``, the time by which the next extract will be issued (the
    DCC says its CPL is stale after it). A CPL that changed nothing since the last issued extract makes
    no draft (``NothingToIssueError``) unless ``unchanged`` asks for one (a refresh of that time).
    """
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    previous = last_issued(session)
    entries = _current_entries(session)
    extract = Extract(
        sequence=next_sequence(previous.sequence if previous else None),
        issued_at=now,
        previous_sha256=previous.content_sha256 if previous else None,
        entries=entries,
        next_update_by=now + next_update_within if next_update_within else None,
        audit_head_sha256=audit.head_hash(session),
    )
    # The first extract after an import is compared with the imported list, not with nothing.
    before = _entries_of(previous, session) if previous is not None else versions.imported_baseline(session)
    unexplained = removed_without_panel_reference(before, extract.entries)
    if unexplained:
        raise errors.PanelReferenceError(
            f"{', '.join(unexplained)} would leave the list without a Panel reference; record the removal first."
        )
    changes = extract_changes(before, entries)
    if previous is not None and changes.empty and not unchanged:
        raise errors.NothingToIssueError(
            f"Nothing changed since extract {previous.sequence}: no draft was made (prepare with --unchanged "
            "to issue the same list again, renewing the DCC's next-update deadline)."
        )
    for stale in session.exec(select(ExtractDraft).where(ExtractDraft.state == "draft")).all():
        stale.state = "superseded"
        session.add(stale)
    content = extract.content()
    draft = ExtractDraft(
        sequence=extract.sequence,
        previous_sha256=extract.previous_sha256,
        issued_at=now,
        content=content,
        content_sha256=sha256_hex(content),
        changes_json=json.dumps(changes.as_dict()),
        prepared_by=user.user_id,
        prepared_at=now,
    )
    session.add(draft)
    session.flush()
    audit.record(
        session,
        actor=user.user_id,
        action="extract.prepare",
        subject=f"draft:{draft.id}",
        now=now,
        details={"sequence": draft.sequence, "content_sha256": draft.content_sha256, **changes.as_dict()},
    )
    return draft, changes


def get_draft(session: Session, draft_id: int, *, lock: bool = False) -> ExtractDraft:
    """The draft; ``lock`` holds its row until the transaction ends (it is being approved)."""
    draft = session.get(ExtractDraft, draft_id, with_for_update=lock, populate_existing=lock)
    if draft is None:
        raise errors.UnknownExtractError(f"There is no extract draft {draft_id}.")
    return draft


def approve(
    session: Session, draft_id: int, user_id: str, now: dt.datetime, signer: Signer, trust: TrustStore
) -> IssuedExtract:
    """A second SECAS user signs exactly the drafted bytes; the issued extract is then immutable."""
    user, _ = acting_user(session, user_id, PartyRole.SECAS)
    draft = get_draft(session, draft_id, lock=True)
    if draft.state == "superseded":
        raise errors.ExtractError(superseded_sentence(session, draft_id))
    if draft.state != "draft":
        raise errors.ExtractError(f"Extract draft {draft_id} is {draft.state}; prepare a new one.")
    require_four_eyes(draft_id, draft.prepared_by, user.user_id)
    previous = last_issued(session)
    expected = next_sequence(previous.sequence if previous else None)
    if draft.sequence != expected or draft.previous_sha256 != (previous.content_sha256 if previous else None):
        raise errors.ExtractError(
            f"Extract draft {draft_id} no longer follows the last issued extract; prepare a new one."
        )
    drafted = parse_extract(draft.content)
    if drafted.entries != _current_entries(session):
        raise errors.ExtractError(f"The CPL changed after draft {draft_id} was prepared; prepare a new one.")
    # The extract is issued when it is signed: its time (and its next-update deadline, as far ahead as
    # drafted) is the signing time. The entries are exactly those the approver was shown.
    stamped = replace(
        drafted,
        issued_at=now,
        next_update_by=None if drafted.next_update_by is None else now + (drafted.next_update_by - drafted.issued_at),
    )
    draft.content = stamped.content()
    draft.content_sha256 = sha256_hex(draft.content)
    draft.issued_at = now
    try:
        signed = sign_data(draft.content, signer, signing_time=now)
        verified = verify_signed_data(signed, trust, required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)
    except SigningError as problem:
        raise errors.ExtractError(f"The extract could not be signed: {problem}") from None
    draft.state = "issued"
    issued = IssuedExtract(
        sequence=draft.sequence,
        draft_id=draft_id,
        issued_at=draft.issued_at,
        content_sha256=draft.content_sha256,
        previous_sha256=draft.previous_sha256,
        signed=signed,
        signer_subject=verified.signer_certificate.subject.rfc4514_string(),
        prepared_by=draft.prepared_by,
        approved_by=user.user_id,
        approved_at=now,
    )
    session.add(draft)
    session.add(issued)
    session.flush()
    versions.record_version(
        session,
        sequence=issued.sequence,
        issued=as_utc(issued.issued_at).date(),
        changes=ExtractChanges(**json.loads(draft.changes_json)),
        entries=stamped.entries,
    )
    audit.record(
        session,
        actor=user.user_id,
        action="extract.approve",
        subject=f"extract:{issued.sequence}",
        now=now,
        details={
            "content_sha256": issued.content_sha256,
            "prepared_by": issued.prepared_by,
            "signer": issued.signer_subject,
        },
    )
    return issued


def superseded_by(session: Session, draft_id: int) -> int | None:
    """The draft prepared next after ``draft_id`` (the one that superseded it), if any."""
    return session.exec(
        select(ExtractDraft.id).where(col(ExtractDraft.id) > draft_id).order_by(col(ExtractDraft.id)).limit(1)
    ).first()


def waiting_draft(session: Session) -> ExtractDraft | None:
    """The draft waiting for a second SECAS user's approval (at most one: a prepare supersedes the rest)."""
    return session.exec(
        select(ExtractDraft).where(ExtractDraft.state == "draft").order_by(col(ExtractDraft.id).desc()).limit(1)
    ).first()


def superseded_sentence(session: Session, draft_id: int) -> str:
    """Why a superseded draft cannot be approved, and which one can."""
    successor = superseded_by(session, draft_id)
    waiting = waiting_draft(session)
    said = (
        f"Extract draft {draft_id} was superseded by draft {successor}"
        if successor
        else (f"Extract draft {draft_id} was superseded")
    )
    if waiting is None:
        return f"{said}, and no draft is waiting for approval: prepare a new one."
    if waiting.id == successor:
        return f"{said}, which is waiting for approval: review it with `cpl extract show {waiting.id}`."
    return (
        f"{said}; draft {waiting.id} is the one waiting for approval: review it with `cpl extract show {waiting.id}`."
    )


def list_drafts(session: Session, *, waiting_only: bool = False, limit: int = 50) -> list[ExtractDraft]:
    """Drafts, newest first: every state, or only the one waiting for approval."""
    return drafts_page(session, waiting_only=waiting_only, limit=limit).items


def drafts_page(
    session: Session, *, waiting_only: bool = False, limit: int = 50, offset: int = 0
) -> Page[ExtractDraft]:
    """One page of the drafts, newest first, with how many there are (in every state, or waiting)."""
    query = select(ExtractDraft).order_by(col(ExtractDraft.id).desc())
    if waiting_only:
        query = query.where(ExtractDraft.state == "draft")
    return page(session, query, limit=limit, offset=offset)


def issued_page(session: Session, *, limit: int = 100, offset: int = 0) -> Page[IssuedExtract]:
    """One page of the issued extracts, oldest first (by sequence), with how many were issued."""
    return page(session, select(IssuedExtract).order_by(col(IssuedExtract.sequence)), limit=limit, offset=offset)


def extract_file(directory: Path, sequence: int) -> Path:
    return directory / f"cpl-extract-{sequence:06d}.p7m"


def write_issued(issued: IssuedExtract, directory: Path) -> Path:
    """The issued extract's file, written from the stored (committed) bytes: atomically, and only when
    the file is not already exactly those bytes. Call it after the transaction that issued it commits."""
    path = extract_file(directory, issued.sequence)
    try:
        if path.read_bytes() == issued.signed:
            return path
    except FileNotFoundError:
        pass
    write_atomically(path, issued.signed, mode=0o644)
    return path


@dataclass(frozen=True)
class FileRepair:
    """What ``repair_extract_files`` did: files written for issued extracts, files the store never issued."""

    written: tuple[Path, ...]
    set_aside: tuple[Path, ...]
    partial: tuple[Path, ...]

    @property
    def anything(self) -> bool:
        return bool(self.written or self.set_aside or self.partial)


def repair_extract_files(session: Session, directory: Path) -> FileRepair:
    """Finish what a crash left. Only the newest issue can lack its file (each is written right after
    its commit), and only sequences above it can have a file the store never issued: the latest
    extract's file is made exactly the stored bytes, any later-numbered file is set aside as
    ``.orphan`` (never served), and half-written temporary files are removed. Bounded work, however
    many extracts history holds."""
    partial = tuple(remove_partial_writes(directory))
    latest = last_issued(session)
    newest = latest.sequence if latest is not None else 0
    set_aside: list[Path] = []
    if directory.is_dir():
        for path in sorted(directory.glob("cpl-extract-*.p7m")):
            number = path.stem.removeprefix("cpl-extract-")
            if not number.isdigit() or int(number) < newest:
                continue
            if latest is not None and int(number) == newest and path.read_bytes() == latest.signed:
                continue
            orphan = path.with_name(path.name + ".orphan")
            os.replace(path, orphan)
            set_aside.append(orphan)
    written = []
    if latest is not None and not extract_file(directory, newest).exists():
        written.append(write_issued(latest, directory))
    return FileRepair(tuple(written), tuple(set_aside), partial)


def get_issued(session: Session, sequence: int | None = None) -> IssuedExtract:
    issued = last_issued(session) if sequence is None else session.get(IssuedExtract, sequence)
    if issued is None:
        raise errors.UnknownExtractError(
            "No extract has been issued yet." if sequence is None else f"There is no issued extract {sequence}."
        )
    return issued


@dataclass(frozen=True)
class VerifiedExtract:
    extract: Extract
    verified: VerifiedData
    content_sha256: str

    def summary(self) -> dict[str, Any]:
        by_status = {s.value: 0 for s in EntryStatus}
        for entry in self.extract.entries:
            by_status[entry.status] += 1
        return {
            "valid": True,
            "sequence": self.extract.sequence,
            "issued_at": self.extract.issued_at.isoformat().replace("+00:00", "Z"),
            "previous_sha256": self.extract.previous_sha256,
            "content_sha256": self.content_sha256,
            "entries": len(self.extract.entries),
            "by_status": by_status,
            "signer": self.verified.signer_certificate.subject.rfc4514_string(),
            "signing_time": self.verified.signing_time.isoformat(),
        }


def verify_extract(signed: bytes, trust: TrustStore) -> VerifiedExtract:
    """Signature, chain, policy and format, or a named ``SigningError`` / ``ExtractFormatError``."""
    verified = verify_signed_data(signed, trust, required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING)
    return VerifiedExtract(parse_extract(verified.content), verified, sha256_hex(verified.content))


def import_receipt(session: Session, signed: bytes, now: dt.datetime, trust: TrustStore) -> Receipt:
    """Record that the DCC loaded an issued extract, from its signed receipt (``trust``: the receipt anchors)."""
    try:
        verified = verify_signed_data(signed, trust, required_policy=DEV_POLICY_DCC_RECEIPT_SIGNING)
        receipt = parse_receipt(verified.content)
    except (SigningError, ReceiptFormatError, ExtractFormatError) as problem:
        raise errors.ReceiptError(f"The receipt is refused: {str(problem).rstrip('.')}.") from None
    digest = sha256_hex(signed)
    if session.exec(select(Receipt).where(Receipt.receipt_sha256 == digest)).first() is not None:
        raise errors.ReceiptReplayedError("This receipt was already imported.")
    issued = session.get(IssuedExtract, receipt.sequence)
    if issued is None:
        raise errors.ReceiptError(f"The receipt is for extract {receipt.sequence}, which was never issued.")
    if issued.content_sha256 != receipt.extract_sha256:
        raise errors.ReceiptError(f"The receipt's content hash does not match issued extract {receipt.sequence}.")
    record = Receipt(
        sequence=receipt.sequence,
        content_sha256=receipt.extract_sha256,
        applied_at=receipt.applied_at,
        signed=signed,
        receipt_sha256=digest,
        imported_at=now,
        summary_json=json.dumps(receipt.to_json()),
    )
    if issued.dcc_loaded_at is None:
        issued.dcc_loaded_at = receipt.applied_at
        session.add(issued)
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor="dcc",
        action="receipt.import",
        subject=f"extract:{receipt.sequence}",
        now=now,
        details=receipt.to_json(),
    )
    mailer.queue_dcc_loaded(session, record, now)  # issue 5: tell every party the DCC has loaded it
    return record
