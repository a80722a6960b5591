"""What an extract would do to the inventory, without doing it: the impact preview (`smi preview`).

An apply changes the Devices of the models that leave the CPL's Active set (suspended, if in a
suspendable status) and of those that join it (restored, if the CPL suspended them). The preview
counts exactly those Devices, by SMI Status, with one aggregate query over the affected models' rows
(`devices.model_ref`, indexed), never a scan of the inventory, and decides each Device's fate by the
same rules the apply's set-based statements keep (`smi.rules`). It reads in one transaction that
the database itself holds read-only (PostgreSQL ``READ ONLY``, SQLite ``query_only``), on one
snapshot: nothing is recorded, queued, alerted or receipted.

An extract is applied after the ones queued before it, so the preview plays those forward on the
counted rows first: what it reports is what the apply of this extract would do, in its turn.

The file may be a signed extract (verified as `smi ingest` verifies it) or the unsigned canonical
content of one (a SECAS draft, before anyone signs it): then its signature is not checked, and the
preview says so.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import Connection, func, select

from formats.extract import ACTIVE, Extract, ExtractFormatError, parse_extract
from smi import rules
from smi.errors import ExtractFormatRefusedError, ExtractRefusedError
from smi.rules import SUSPENDABLE_STATUSES, ModelKey, SmiStatus, Verdict
from smi.store import APPLIED, ExtractRecord, Store, device_models, devices, ref_chunks

#: What the preview of unsigned content says about its signature.
SIGNATURE_NOT_CHECKED = "unsigned: signature not checked"

#: The statuses an apply moves Devices out of (a suspension) or back into (a restoration), in the schema's order.
MOVED_STATUSES: tuple[str, ...] = tuple(s.value for s in SmiStatus if s in SUSPENDABLE_STATUSES)

_SUSPENDABLE = frozenset(MOVED_STATUSES)
_SUSPENDED = SmiStatus.SUSPENDED.value

#: Devices of one model, counted by (SMI Status, status before suspension).
Groups = Counter[tuple[str, str | None]]

SUSPEND, RESTORE = "suspend", "restore"


class Outcome(StrEnum):
    """What receiving the extract now would be."""

    NEW = "new"  # accepted, and applied (after any extracts queued before it)
    QUEUED = "queued"  # already queued: applied in its turn
    REPEAT = "repeat"  # the CPL in force: a harmless repeat
    REFUSED = "refused"


@dataclass(frozen=True)
class ModelImpact:
    """One Device Model whose standing on the CPL the extract changes, and the Devices that moves.

    ``suspended`` counts the Devices it would suspend by the status they are in now; ``restored`` the
    Devices it would restore by the status they return to.
    """

    entry_id: str | None
    model_key: ModelKey
    change: str
    cpl_status_before: str | None
    cpl_status_after: str | None
    suspended: Mapping[str, int]
    restored: Mapping[str, int]

    @property
    def devices_suspended(self) -> int:
        return sum(self.suspended.values())

    @property
    def devices_restored(self) -> int:
        return sum(self.restored.values())


@dataclass(frozen=True)
class Prediction:
    outcome: Outcome
    in_force_sequence: int | None
    applies_after: tuple[int, ...] = ()
    impacts: tuple[ModelImpact, ...] = ()


@dataclass(frozen=True)
class Preview:
    """What `smi ingest` of the file would do now; ``refusal`` is the rule it would fail, if any."""

    received_at: dt.datetime
    signature_checked: bool
    outcome: Outcome
    signer: str | None = None
    sequence: int | None = None
    content_sha256: str | None = None
    issued_at: dt.datetime | None = None
    in_force_sequence: int | None = None
    applies_after: tuple[int, ...] = ()
    impacts: tuple[ModelImpact, ...] = ()
    refusal: ExtractRefusedError | None = field(default=None, compare=False)

    @property
    def accepted(self) -> bool:
        return self.refusal is None

    @property
    def suspended_by_status(self) -> dict[str, int]:
        return _total(i.suspended for i in self.impacts)

    @property
    def restored_by_status(self) -> dict[str, int]:
        return _total(i.restored for i in self.impacts)

    @property
    def devices_suspended(self) -> int:
        return sum(i.devices_suspended for i in self.impacts)

    @property
    def devices_restored(self) -> int:
        return sum(i.devices_restored for i in self.impacts)


def _total(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for one in counts:
        total.update(one)
    return by_moved_status(total)


def by_moved_status(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts keyed by every status an apply moves Devices out of or into, zeros included."""
    return {status: int(counts.get(status, 0)) for status in MOVED_STATUSES}


# --- the file -----------------------------------------------------------------------------------


def unsigned_extract(file_bytes: bytes, parse: Callable[[bytes], Extract] = parse_extract) -> Extract | None:
    """The extract, if the file is an extract's unsigned canonical content; None if it is anything else.

    A file that starts like JSON and is not canonical extract content is refused here, as content:
    a signed file (DER) never starts with ``{``.
    """
    try:
        return parse(file_bytes)
    except ExtractFormatError as error:
        if file_bytes.lstrip()[:1] == b"{":
            raise ExtractFormatRefusedError(
                f"The file is unsigned extract content, and it is refused: {str(error).rstrip('.')}."
            ) from None
        return None


# --- one read-only transaction ------------------------------------------------------------------


@contextmanager
def read_only(store: Store) -> Iterator[Connection]:
    """One transaction on one snapshot of the inventory, in which the database refuses every write.

    Always rolled back: there is nothing in it to commit.
    """
    with store.engine.connect() as conn:
        if store.backend == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                yield conn
            finally:
                conn.rollback()
            return
        # SQLite: the driver begins no transaction for reads, so one is begun here, for one snapshot.
        conn.exec_driver_sql("PRAGMA query_only = ON")
        try:
            conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()
        finally:
            conn.exec_driver_sql("PRAGMA query_only = OFF")  # the connection goes back to the pool
            conn.commit()


# --- the prediction -----------------------------------------------------------------------------


def predict(
    conn: Connection,
    store: Store,
    parse: Callable[[bytes], Extract],
    candidate: Extract,
    *,
    verdict: Verdict,
    known: ExtractRecord | None,
) -> Prediction:
    """What applying ``candidate`` (accepted with ``verdict``; ``known``, its record if received before)
    would do to the Devices, after the extracts queued before it."""
    in_force = store.in_force_sequence(conn)
    if verdict is Verdict.REPEAT and known is not None and known.state == APPLIED:
        return Prediction(Outcome.REPEAT, in_force)
    ahead = [
        (record.sequence, parse(content))
        for record, content in store.queued(conn)
        if record.sequence is not None and record.sequence < candidate.sequence
    ]
    steps = [store.active_model_keys(conn), *(e.active_model_keys() for _, e in ahead), candidate.active_model_keys()]
    changes = [rules.cpl_change(before, after) for before, after in itertools.pairwise(steps)]
    touched = frozenset().union(*(c.suspend | c.restore for c in changes))
    refs, listed_in_force = _models(conn, touched)
    groups = device_groups(conn, sorted(refs.values()))
    for change in changes[:-1]:
        _play(groups, refs, change)
    before = _listing(ahead[-1][1]) if ahead else listed_in_force
    after = _listing(candidate)
    last = changes[-1]
    impacts = [
        _impact(key, SUSPEND, groups.get(refs.get(key, -1), Counter()), before, after) for key in last.suspend
    ] + [_impact(key, RESTORE, groups.get(refs.get(key, -1), Counter()), before, after) for key in last.restore]
    impacts.sort(key=lambda i: (i.entry_id or "", i.model_key))
    return Prediction(
        Outcome.QUEUED if known is not None else Outcome.NEW,
        in_force,
        applies_after=tuple(sequence for sequence, _ in ahead if sequence is not None),
        impacts=tuple(impacts),
    )


def device_groups(conn: Connection, model_refs: Sequence[int]) -> dict[int, Groups]:
    """The Devices of these models counted by (status, status before suspension): one aggregate query
    (per chunk of model refs, as the store binds them), found through the index on ``model_ref``."""
    d = devices.c
    groups: defaultdict[int, Groups] = defaultdict(Counter)
    for chunk in ref_chunks(model_refs):
        rows = conn.execute(
            select(d.model_ref, d.status, d.status_before_suspension, func.count())
            .where(d.model_ref.in_(chunk))
            .group_by(d.model_ref, d.status, d.status_before_suspension)
        ).all()
        for ref, status, before, count in rows:
            groups[int(ref)][(str(status), None if before is None else str(before))] += int(count)
    return dict(groups)


def _models(
    conn: Connection, keys: Collection[ModelKey]
) -> tuple[dict[ModelKey, int], dict[ModelKey, tuple[str | None, str | None]]]:
    """The model_ref of each key the inventory knows (one it never saw has no Devices), and the entry and
    status under which the CPL in force lists it."""
    m = device_models.c
    columns = (m.physical_device_type, m.manufacturer_id, m.model_id, m.hardware_version, m.firmware_version)
    rows = conn.execute(select(m.id, *columns, m.entry_id, m.cpl_status)).all()
    refs: dict[ModelKey, int] = {}
    listed: dict[ModelKey, tuple[str | None, str | None]] = {}
    for row in rows:
        key = (row[1], row[2], row[3], row[4], row[5])
        if key in keys:
            refs[key] = int(row[0])
            listed[key] = (row[6], row[7])
    return refs, listed


def _play(groups: dict[int, Groups], refs: Mapping[ModelKey, int], change: rules.CplChange) -> None:
    """Apply one earlier extract's change to the counted Devices, as its apply would."""
    for keys, moved in ((change.suspend, _suspended), (change.restore, _restored)):
        for key in keys:
            ref = refs.get(key)
            if ref is not None and ref in groups:
                groups[ref] = moved(groups[ref])[0]


def _suspended(group: Groups) -> tuple[Groups, Counter[str]]:
    """The model's Devices once suspended, and how many left each status (the apply's UPDATE)."""
    after: Groups = Counter()
    left: Counter[str] = Counter()
    for (status, before), count in group.items():
        if status in _SUSPENDABLE:
            after[(_SUSPENDED, status)] += count
            left[status] += count
        else:
            after[(status, before)] += count
    return after, left


def _restored(group: Groups) -> tuple[Groups, Counter[str]]:
    """The model's Devices once restored, and how many returned to each status."""
    after: Groups = Counter()
    returned: Counter[str] = Counter()
    for (status, before), count in group.items():
        if status == _SUSPENDED and before is not None:
            after[(before, None)] += count
            returned[before] += count
        else:
            after[(status, before)] += count
    return after, returned


def _impact(
    key: ModelKey,
    change: str,
    group: Groups,
    before: Mapping[ModelKey, tuple[str | None, str | None]],
    after: Mapping[ModelKey, tuple[str | None, str | None]],
) -> ModelImpact:
    was_entry, was_status = before.get(key, (None, None))
    now_entry, now_status = after.get(key, (None, None))
    moved = (_suspended if change == SUSPEND else _restored)(group)[1]
    return ModelImpact(
        entry_id=now_entry or was_entry,
        model_key=key,
        change=change,
        cpl_status_before=was_status,
        cpl_status_after=now_status,
        suspended=by_moved_status(moved) if change == SUSPEND else by_moved_status({}),
        restored=by_moved_status(moved) if change == RESTORE else by_moved_status({}),
    )


def _listing(extract: Extract) -> dict[ModelKey, tuple[str | None, str | None]]:
    """Per model key, the entry that lists it and its status; an Active entry wins (as the store lists it)."""
    listing: dict[ModelKey, tuple[str | None, str | None]] = {}
    for entry in extract.entries:
        current = listing.get(entry.model_key)
        if current is None or (entry.is_active and current[1] != ACTIVE):
            listing[entry.model_key] = (entry.entry_id, entry.status)
    return listing
