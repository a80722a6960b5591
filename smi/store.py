"""The Smart Metering Inventory's tables and the set-based statements that keep them.

SQLAlchemy Core, portable SQL that runs on SQLite and PostgreSQL alike. The schema is built for a
national inventory: each Device points at a small integer `model_ref` (a row of `device_models`,
one per Device Model the inventory has seen, whether from the CPL or from a Device), and the index
`(model_ref, status)` makes "the Devices of these models in these statuses" an index range scan, so
applying an extract touches only the rows it changes. Statements here never loop over Devices in
Python; where a list is bound (model ids) it is a list of models, a few thousand at most.

Times are stored as fixed-width UTC text (`YYYY-MM-DDTHH:MM:SSZ`), which sorts as it reads on both
backends. The store has no rules of its own: what to suspend and whether a Device may enter come
from `smi.rules`, and the service calls these functions inside one transaction per change.

One applier at a time: `Store.applier_lock()` is a PostgreSQL advisory lock (held by a connection of
its own, so it goes with the process), or on SQLite an OS file lock beside the database. Whoever
judges, queues or applies extracts, or writes what an apply owes (alerts, receipts), holds it; and an
apply still claims its extract inside its transaction only while the extract is queued. A database
that stays locked longer than the busy timeout is an `InventoryBusyError` ("try again"), never a
traceback. An SQLite database file is created 0600.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import io
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    cast,
    create_engine,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.schema import CreateColumn
from sqlalchemy.sql import ColumnElement

from formats.extract import Extract, format_timestamp, parse_timestamp
from smi.errors import (
    ConfigurationError,
    DeviceExistsError,
    InventoryBusyError,
    InventoryUnavailableError,
    SeedCollisionError,
    SmiError,
)
from smi.files import narrow, owner_only
from smi.rules import (
    SUSPENDABLE_STATUSES,
    Alert,
    CplChange,
    CplStep,
    ModelKey,
    ModelPattern,
    SmiStatus,
    StatusChange,
    is_cpl_controlled,
    replay_changes,
)

#: Bound lists of model ids are sent in chunks no longer than this (SQLite's variable limit).
_CHUNK = 5000


def ref_chunks(model_refs: Sequence[int]) -> Iterator[list[int]]:
    """The model refs in lists short enough to bind as one IN list on either backend."""
    for start in range(0, len(model_refs), _CHUNK):
        yield list(model_refs[start : start + _CHUNK])


metadata = MetaData()

#: Every Device Model the inventory has seen, and how it stands on the CPL in force.
device_models = Table(
    "device_models",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("physical_device_type", String(64), nullable=False),
    Column("manufacturer_id", String(30), nullable=False),
    Column("model_id", String(30), nullable=False),
    Column("hardware_version", String(30), nullable=False),
    Column("firmware_version", String(8), nullable=False),
    Column("cpl_controlled", Boolean, nullable=False),
    # As the CPL in force lists it: Active or not, and under which entry and status (null: not listed).
    Column("active", Boolean, nullable=False),
    Column("entry_id", String(64), nullable=True),
    Column("cpl_status", String(16), nullable=True),
    UniqueConstraint(
        "physical_device_type",
        "manufacturer_id",
        "model_id",
        "hardware_version",
        "firmware_version",
        name="uq_device_models_key",
    ),
)

#: Percent of each devices page PostgreSQL fills on insert (the rest is room for HOT updates).
DEVICES_FILL_FACTOR = 90

#: Every Device: its EUI-64, its model (type, manufacturer, model, hardware, firmware) and SMI Status.
devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(16), nullable=False),
    Column("model_ref", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_since", String(20), nullable=False),
    # The status a CPL suspension replaced; set exactly while the CPL keeps the Device Suspended.
    Column("status_before_suspension", String(32), nullable=True),
    # The extract whose apply last changed the status (null: the CPL never has). Only the CPL changes a
    # Device's status, and only between its own status and Suspended, so `status_since` stays when the
    # Device entered (or an earlier version last changed it), and the status has held since that
    # apply; the history between is replayed from the applies' per-model records (`extract_models`)
    # and the Device's firmware moves: an apply writes no history row per Device.
    Column("status_sequence", Integer, nullable=True),
    # Set once, when a database of an earlier version is opened, on the Devices its CPL kept Suspended:
    # their replayed history starts Suspended (every other Device's starts in its own status).
    Column("suspended_at_upgrade", Boolean, nullable=True),
    # A tenth of each page left free, so that PostgreSQL can rewrite a Device whose status changes in
    # its own page (a HOT update): with no indexed column changed, no index is written at all.
    postgresql_with={"fillfactor": DEVICES_FILL_FACTOR},
)
#: No index holds `status` (nor `status_since`, `status_before_suspension`): a status change then writes
#: no index entry, and an apply (which finds its Devices by model, then filters on status) stays a
#: HOT update on PostgreSQL. The model index is all the apply, the gates and the preview need.
_DEVICE_INDEXES = (
    Index("ux_devices_device_id", devices.c.device_id, unique=True),
    Index("ix_devices_model", devices.c.model_ref),
)


def device_index_ddl() -> dict[str, str]:
    """The Device indexes as PostgreSQL CREATE INDEX statements, by name (for raw baselines)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return {str(i.name): str(CreateIndex(i).compile(dialect=dialect)) for i in _DEVICE_INDEXES}


#: Indexes of earlier versions, dropped when a database is opened (they hold `status`).
_RETIRED_DEVICE_INDEXES = ("ix_devices_model_status",)

#: Each firmware move of a Device (a new model_ref), and the extract in force when it moved: with the
#: applies' per-model records it says which model a Device had at each apply.
device_moves = Table(
    "device_moves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_ref", Integer, nullable=False),
    Column("from_ref", Integer, nullable=False),
    Column("to_ref", Integer, nullable=False),
    Column("after_sequence", Integer, nullable=True),  # the extract in force (null: none yet)
    Column("at", String(20), nullable=False),
    Index("ix_device_moves_device", "device_ref"),
    Index("ix_device_moves_after", "after_sequence"),
)

#: The history rows of earlier versions, one per Device an apply changed (read, and pruned by
#: `smi prune-history`; no apply writes them now).
status_history = Table(
    "status_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_ref", Integer, nullable=False),
    Column("device_id", String(16), nullable=False),  # copied, so alerts are read without a join
    Column("status", String(32), nullable=False),
    Column("since", String(20), nullable=False),
    Column("until", String(20), nullable=False),
    Column("new_status", String(32), nullable=False),
    Column("extract_sequence", Integer, nullable=True),
    Column("alert", String(32), nullable=True),
    Index("ix_status_history_device", "device_ref"),
)

#: Every extract file received: its bytes, whether it was applied, queued or refused, and why.
extracts = Table(
    "extracts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sequence", Integer, nullable=True),
    Column("content_sha256", String(64), nullable=True),
    Column("file_sha256", String(64), nullable=False),
    Column("file_bytes", LargeBinary, nullable=False),
    Column("content", LargeBinary, nullable=True),
    Column("issued_at", String(20), nullable=True),
    Column("signer", String(400), nullable=True),
    Column("received_at", String(20), nullable=False),
    Column("deadline", String(20), nullable=False),
    Column("state", String(16), nullable=False),
    Column("applied_at", String(20), nullable=True),
    Column("refusal_rule", String(40), nullable=True),
    Column("refusal_reason", String(2000), nullable=True),
    Column("devices_suspended", Integer, nullable=True),
    Column("devices_restored", Integer, nullable=True),
    Column("receipt_path", String(1000), nullable=True),
    # The status_history ids its apply wrote lie in (history_after_id, history_last_id]: alerts are read
    # back as a primary-key range, with no index on the history to keep up.
    Column("history_after_id", Integer, nullable=True),
    Column("history_last_id", Integer, nullable=True),
    # What an apply leaves outside the database, owed from its commit until written: its alerts (a
    # block of the alerts file) and its receipt (owed while receipt_path is null; written where
    # receipt_target says, if the ingest asked for a place).
    Column("alerts_owed", Boolean, nullable=False, server_default=false()),
    # The SHA-256 of the alert lines the apply streamed to a file beside the alerts file as it changed
    # the Devices (UPDATE ... RETURNING), closed before its commit: that file, if its digest is this, is
    # what the apply owes; without it the lines are read back from the Devices (`alert_lines`).
    Column("alerts_digest", String(64), nullable=True),
    Column("receipt_target", String(1000), nullable=True),
    # When the history rows this apply wrote were pruned (`smi prune-history`); its counts stay.
    Column("history_pruned_at", String(20), nullable=True),
    # The CplStale alert of this extract while it was the CPL in force: raised once, then owed until written.
    Column("stale_alert_at", String(20), nullable=True),
    Column("stale_alert_owed", Boolean, nullable=False, server_default=false()),
)
# At most one accepted extract per sequence: the database backs the equivocation rule.
Index(
    "ux_extracts_accepted_sequence",
    extracts.c.sequence,
    unique=True,
    sqlite_where=extracts.c.state != "refused",
    postgresql_where=extracts.c.state != "refused",
)

#: What each apply did per Device Model, written in the apply's own transaction: for every model it
#: suspended (it left the CPL's Active set) and every model it restored Devices of or that was listed
#: removed before (Active again), the entry and the statuses that say why, and how many Devices moved.
#: A report reads these rows, a few per extract, and never the Devices or their history; they stay when
#: the history is pruned, as the extract's counts do.
extract_models = Table(
    "extract_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("extract_id", Integer, nullable=False),
    Column("model_ref", Integer, nullable=False),
    Column("alert", String(32), nullable=False),  # DeviceSuspended or DeviceRestored: which way it moved
    Column("entry_id", String, nullable=True),
    Column("cpl_status_before", String, nullable=True),  # as the CPL it followed listed the model (null: not)
    Column("cpl_status", String, nullable=True),  # as this extract lists it (null: not listed)
    Column("panel_reference", String, nullable=True),
    Column("devices", Integer, nullable=False),
    Index("ix_extract_models_extract", "extract_id"),
    Index("ix_extract_models_model", "model_ref"),
)

#: Tables later versions added columns to: a database from before gains them when it is opened.
_GROWN_TABLES = (extracts, devices)

QUEUED, APPLIED, REFUSED = "queued", "applied", "refused"


def stamp(moment: dt.datetime) -> str:
    return format_timestamp(moment)


def unstamp(text_value: str) -> dt.datetime:
    return parse_timestamp(text_value)


# --- records the store hands back -----------------------------------------------------------


@dataclass(frozen=True)
class ExtractRecord:
    id: int
    sequence: int | None
    content_sha256: str | None
    file_sha256: str
    issued_at: dt.datetime | None
    signer: str | None
    received_at: dt.datetime
    deadline: dt.datetime
    state: str
    applied_at: dt.datetime | None
    refusal_rule: str | None
    refusal_reason: str | None
    devices_suspended: int | None
    devices_restored: int | None
    receipt_path: str | None
    alerts_owed: bool = False
    alerts_digest: str | None = None
    receipt_target: str | None = None
    stale_alert_at: dt.datetime | None = None
    stale_alert_owed: bool = False
    history_pruned_at: dt.datetime | None = None


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    physical_device_type: str
    manufacturer_id: str
    model_id: str
    hardware_version: str
    firmware_version: str
    status: str
    status_since: dt.datetime
    status_before_suspension: str | None
    model_active: bool
    cpl_entry_id: str | None
    cpl_status: str | None

    @property
    def model_key(self) -> ModelKey:
        return (
            self.physical_device_type,
            self.manufacturer_id,
            self.model_id,
            self.hardware_version,
            self.firmware_version,
        )


@dataclass(frozen=True)
class AppliedCounts:
    devices_suspended: int
    devices_restored: int


@dataclass(frozen=True)
class ModelChange:
    """One Device Model an applied extract suspended or restored, why, and how many Devices moved.

    ``alert`` says which way (DeviceSuspended: the model left the Active set; DeviceRestored: it joined
    it again); ``cpl_status_before`` and ``cpl_status`` are its entry's status in the CPL the extract
    followed and in the extract (None: not listed); ``panel_reference`` the Panel decision the entry cites.
    """

    model_key: ModelKey
    alert: str
    entry_id: str | None
    cpl_status_before: str | None
    cpl_status: str | None
    panel_reference: str | None
    devices: int


@dataclass(frozen=True)
class AlertRecord:
    """An alert the DCC raised: DeviceSuspended / DeviceRestored (a Device) or CplStale (the CPL in force)."""

    alert: str
    raised_at: dt.datetime
    extract_sequence: int
    device_id: str | None = None
    previous_status: str | None = None
    status: str | None = None
    next_update_by: dt.datetime | None = None


@dataclass(frozen=True)
class DeviceAlerts:
    """The newest Device alerts of the extracts applied since a time, and how many those extracts raised.

    ``total`` counts the alerts of the extracts whose history the inventory still holds; ``pruned`` names
    the extracts whose alerts were pruned from it (`smi prune-history`) and are in the alerts file only.
    """

    alerts: tuple[AlertRecord, ...]
    total: int
    pruned: tuple[int, ...] = ()


def _no_checkpoint(step: str) -> None:
    """The default between-statements hook: nothing. Tests put a crash here."""


# --- the store ------------------------------------------------------------------------------


#: Seconds a statement waits for a lock held by another connection before it is "busy" (the default).
BUSY_TIMEOUT = 60.0

#: The PostgreSQL advisory lock key of the inventory's one applier (advisory locks are per database).
_APPLIER_LOCK_KEY = int.from_bytes(hashlib.sha256(b"smi: one applier per inventory").digest()[:8], "big", signed=True)

#: SQLSTATEs that mean "locked or in conflict now, try again": lock_not_available, deadlock_detected,
#: serialization_failure, query_canceled (lock_timeout's neighbour, statement_timeout).
_BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001", "57014"})
_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")

BUSY_SENTENCE = "The inventory could not be used now: another process holds its database locked; try again."


def engine_for(url: str, *, busy_timeout: float = BUSY_TIMEOUT) -> Engine:
    """An engine for SMI_DATABASE_URL: SQLite (WAL, its directory created, its file 0600) or PostgreSQL.

    Either way a statement waits at most ``busy_timeout`` seconds for a lock another connection holds.
    """
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError and ValueError for different mistakes
        raise ConfigurationError(f"SMI_DATABASE_URL {url!r} is not a database URL.") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_path(parsed.database)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                owner_only(path)
                for companion in ("-wal", "-shm", "-journal"):  # SQLite gives them the database's mode
                    narrow(path.with_name(path.name + companion))
            except OSError as error:
                raise ConfigurationError(
                    f"The inventory database {path} cannot be created ({error.strerror})."
                ) from None
        engine = create_engine(parsed, connect_args={"timeout": busy_timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        options = f"-c lock_timeout={max(1, int(busy_timeout * 1000))}"
        return create_engine(parsed, pool_pre_ping=False, connect_args={"options": options})
    raise ConfigurationError(f"SMI_DATABASE_URL names {backend!r}; the inventory runs on SQLite or PostgreSQL.")


def _sqlite_path(database: str | None) -> Path | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB: a national inventory's index pages
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def is_busy(error: BaseException) -> bool:
    """Whether a database error means the database is locked now (worth trying again), not broken."""
    cause = error.orig if isinstance(error, OperationalError) and error.orig is not None else error
    if getattr(cause, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return any(words in str(cause).lower() for words in _BUSY_WORDS)


def as_inventory_error(error: BaseException) -> SmiError | None:
    """The simulator's named error for a database failure (busy, or unusable), or None for anything else.

    Covers SQLAlchemy's OperationalError and the drivers' own, which the set-based statements that
    go straight through the driver (alerts, bulk loads) raise unwrapped.
    """
    driver_error = isinstance(error, sqlite3.OperationalError) or _is_psycopg_operational(error)
    if not isinstance(error, OperationalError) and not driver_error:
        return None
    if is_busy(error):
        return InventoryBusyError(BUSY_SENTENCE)
    cause = error.orig if isinstance(error, OperationalError) and error.orig is not None else error
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0].rstrip(".")
    return InventoryUnavailableError(f"The inventory database cannot be used ({reason}).")


def _try_flock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _is_psycopg_operational(error: BaseException) -> bool:
    return any(
        cls.__module__.partition(".")[0] == "psycopg" and cls.__name__ == "OperationalError"
        for cls in type(error).__mro__
    )


@contextmanager
def database_errors() -> Iterator[None]:
    """Re-raise a database failure as the simulator's named error (`as_inventory_error`)."""
    try:
        yield
    except Exception as error:
        named = as_inventory_error(error)
        if named is None:
            raise
        raise named from None


class Store:
    """The inventory's database. ``checkpoint`` is called between the statements of an apply, and at
    the other named steps of receiving and applying (``lock-wait``, ``applied``, ``alerts-batch``...)."""

    def __init__(
        self,
        engine: Engine,
        *,
        checkpoint: Callable[[str], None] = _no_checkpoint,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        self.engine = engine
        self.checkpoint = checkpoint
        #: How many alert lines are read, and written, at a time (tests make it small).
        self.alert_batch = 50_000
        self.busy_timeout = busy_timeout
        self._held = threading.local()  # how deep this thread is inside applier_lock()
        # Threads of one process queue here first, so that only one of them at a time waits on the
        # database's (or the file's) lock: waiting threads hold no pooled connection.
        self._thread_lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, busy_timeout: float = BUSY_TIMEOUT) -> Store:
        store = cls(engine_for(url, busy_timeout=busy_timeout), busy_timeout=busy_timeout)
        with database_errors():
            store.create()
        return store

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def create(self) -> None:
        """Create what is missing: tables, the columns later versions added, dropped Device indexes."""
        if self._schema_complete():
            return
        with self.applier_lock():  # two first runs at once must not both create the tables
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                for table in _GROWN_TABLES:
                    known = {c["name"] for c in inspect(conn).get_columns(table.name)}
                    for column in table.c:
                        if column.name not in known:  # a database from before the column: add it, defaulted
                            ddl = CreateColumn(column).compile(dialect=conn.dialect)
                            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))
                            if column is devices.c.suspended_at_upgrade:
                                _mark_suspended_at_upgrade(conn)
                # indexes dropped by an interrupted seed come back; those of later versions are added
                for index in (*_DEVICE_INDEXES, *extract_models.indexes):
                    index.create(conn, checkfirst=True)
                present = {i["name"] for i in inspect(conn).get_indexes("devices")}
                for retired in _RETIRED_DEVICE_INDEXES:
                    if retired in present:
                        conn.execute(text(f"DROP INDEX {retired}"))
                if self.backend == "postgresql" and not self._fill_factor_set(conn):
                    # pages written from now on keep room for HOT updates (existing ones fill as they empty)
                    conn.execute(text(f"ALTER TABLE devices SET (fillfactor = {DEVICES_FILL_FACTOR})"))

    def _schema_complete(self) -> bool:
        with self.engine.connect() as conn:
            found = inspect(conn)
            if not set(metadata.tables) <= set(found.get_table_names()):
                return False
            for table in _GROWN_TABLES:
                if {c.name for c in table.c} - {c["name"] for c in found.get_columns(table.name)}:
                    return False
            if {i.name for i in extract_models.indexes} - {i["name"] for i in found.get_indexes("extract_models")}:
                return False
            indexes = {i["name"] for i in found.get_indexes("devices")}
            if not {index.name for index in _DEVICE_INDEXES} <= indexes or indexes & set(_RETIRED_DEVICE_INDEXES):
                return False
            return self.backend != "postgresql" or self._fill_factor_set(conn)

    @staticmethod
    def _fill_factor_set(conn: Connection) -> bool:
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE oid = 'devices'::regclass")
        ).scalar_one_or_none()
        return f"fillfactor={DEVICES_FILL_FACTOR}" in (options or [])

    def drop(self) -> None:
        metadata.drop_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # --- one applier at a time ----------------------------------------------------------

    @contextmanager
    def applier_lock(self) -> Iterator[None]:
        """Hold the inventory's one applier lock, waiting up to the busy timeout (then InventoryBusyError).

        Re-entrant within a thread; released when the block ends, or when the process dies.
        """
        with self._applier_lock(self.busy_timeout) as held:
            if not held:
                raise InventoryBusyError(
                    f"The inventory could not be used now: another applier has held it for more than "
                    f"{self.busy_timeout:g} seconds; try again."
                )
            yield

    @contextmanager
    def try_applier_lock(self) -> Iterator[bool]:
        """The applier lock if it is free now (True), or nothing (False); never waits."""
        with ExitStack() as stack:
            try:
                held = stack.enter_context(self._applier_lock(0.0))
            except InventoryUnavailableError:  # e.g. a lock file in a directory this process may not write
                held = False
            yield held

    @contextmanager
    def _applier_lock(self, timeout: float) -> Iterator[bool]:
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield True
            finally:
                self._held.depth = depth
            return
        release = self._acquire(timeout)
        if release is None:
            yield False
            return
        self._held.depth = 1
        try:
            yield True
        finally:
            self._held.depth = 0
            release()

    def _acquire(self, timeout: float) -> Callable[[], None] | None:
        """Take the applier lock, polling until ``timeout`` seconds have passed; how to release it, or None."""
        deadline = time.monotonic() + timeout
        queued = (
            self._thread_lock.acquire(timeout=timeout) if timeout > 0 else self._thread_lock.acquire(blocking=False)
        )
        if not queued:
            return None
        try:
            remaining = max(0.0, deadline - time.monotonic())
            if self.backend == "postgresql":
                release = self._acquire_advisory(remaining)
            else:
                path = _sqlite_path(self.engine.url.database)
                release = (lambda: None) if path is None else self._acquire_file(path, remaining)
        except BaseException:
            self._thread_lock.release()
            raise
        if release is None:
            self._thread_lock.release()
            return None
        taken = release

        def release_both() -> None:
            try:
                taken()
            finally:
                self._thread_lock.release()

        return release_both

    def _acquire_file(self, database: Path, timeout: float) -> Callable[[], None] | None:
        lock_path = database.with_name(database.name + "-applier.lock")
        try:
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise InventoryUnavailableError(
                f"The inventory's applier lock {lock_path} cannot be opened ({error.strerror})."
            ) from None
        try:
            taken = self._poll(timeout, lambda: _try_flock(descriptor))
        except BaseException:
            os.close(descriptor)
            raise
        if not taken:
            os.close(descriptor)
            return None

        def release() -> None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

        return release

    def _acquire_advisory(self, timeout: float) -> Callable[[], None] | None:
        # A connection of its own, outside any transaction, holds the session-level lock: the server
        # releases it if this process dies.
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        statement = text("SELECT pg_try_advisory_lock(:key)")
        try:
            taken = self._poll(timeout, lambda: bool(conn.execute(statement, {"key": _APPLIER_LOCK_KEY}).scalar()))
        except BaseException:
            conn.close()
            raise
        if not taken:
            conn.close()
            return None

        def release() -> None:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _APPLIER_LOCK_KEY})
            except Exception:
                conn.invalidate()  # never hand a connection that may still hold the lock back to the pool
                raise
            finally:
                conn.close()

        return release

    def _poll(self, timeout: float, attempt: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + timeout
        pause = 0.005
        while not attempt():
            if time.monotonic() >= deadline:
                return False
            self.checkpoint("lock-wait")
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.2)
        return True

    # --- extracts -----------------------------------------------------------------------

    def record_extract(
        self,
        conn: Connection,
        *,
        file_sha256: str,
        file_bytes: bytes,
        received_at: dt.datetime,
        deadline: dt.datetime,
        state: str,
        sequence: int | None = None,
        content_sha256: str | None = None,
        content: bytes | None = None,
        issued_at: dt.datetime | None = None,
        signer: str | None = None,
        refusal_rule: str | None = None,
        refusal_reason: str | None = None,
    ) -> int:
        result = conn.execute(
            insert(extracts)
            .values(
                sequence=sequence,
                content_sha256=content_sha256,
                file_sha256=file_sha256,
                file_bytes=file_bytes,
                content=content,
                issued_at=None if issued_at is None else stamp(issued_at),
                signer=signer,
                received_at=stamp(received_at),
                deadline=stamp(deadline),
                state=state,
                refusal_rule=refusal_rule,
                refusal_reason=refusal_reason,
            )
            .returning(extracts.c.id)
        )
        return int(result.scalar_one())

    def accepted_record(self, conn: Connection, sequence: int) -> ExtractRecord | None:
        """The extract accepted (queued or applied) with this sequence, if any."""
        row = conn.execute(
            select(*_record_columns()).where(extracts.c.sequence == sequence, extracts.c.state != REFUSED)
        ).one_or_none()
        return None if row is None else _extract_record(row._mapping)

    def accepted_sha256(self, conn: Connection, sequence: int) -> str | None:
        value = conn.execute(
            select(extracts.c.content_sha256).where(extracts.c.sequence == sequence, extracts.c.state != REFUSED)
        ).scalar_one_or_none()
        return None if value is None else str(value)

    def latest_accepted_content(self, conn: Connection) -> tuple[int, str, bytes] | None:
        """Sequence, content SHA-256 and content of the last extract accepted (applied or queued)."""
        row = conn.execute(
            select(extracts.c.sequence, extracts.c.content_sha256, extracts.c.content)
            .where(extracts.c.state != REFUSED)
            .order_by(extracts.c.sequence.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else (int(row[0]), str(row[1]), bytes(row[2]))

    def in_force_sequence(self, conn: Connection) -> int | None:
        """The sequence of the last extract applied, if any."""
        value = conn.execute(select(func.max(extracts.c.sequence)).where(extracts.c.state == APPLIED)).scalar()
        return None if value is None else int(value)

    def cpl_in_force(self, conn: Connection) -> tuple[int, bytes] | None:
        """Sequence and content of the last extract applied."""
        row = conn.execute(
            select(extracts.c.sequence, extracts.c.content)
            .where(extracts.c.state == APPLIED)
            .order_by(extracts.c.sequence.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def in_force(self, conn: Connection) -> tuple[ExtractRecord, bytes] | None:
        """The record and content of the last extract applied: the CPL in force."""
        row = conn.execute(
            select(*_record_columns(), extracts.c.content)
            .where(extracts.c.state == APPLIED)
            .order_by(extracts.c.sequence.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else (_extract_record(row._mapping), bytes(row._mapping["content"]))

    def claim_queued(
        self, conn: Connection, record_id: int, *, applied_at: dt.datetime, receipt_target: str | None
    ) -> bool:
        """Mark a queued extract applied, as the first statement of its apply; False if it is not queued.

        Inside the apply's transaction: a second applier's claim waits for the first's transaction and
        then finds the extract applied, so an extract is applied once whatever runs at the same time.
        From this commit the apply owes its alerts and receipt.
        """
        claimed = conn.execute(
            update(extracts)
            .where(extracts.c.id == record_id, extracts.c.state == QUEUED)
            .values(state=APPLIED, applied_at=stamp(applied_at), receipt_target=receipt_target, alerts_owed=True)
        ).rowcount
        return bool(claimed == 1)

    def owing(self, conn: Connection) -> list[ExtractRecord]:
        """Applied extracts that still owe alerts, a CplStale alert or a receipt, in sequence order."""
        e = extracts.c
        rows = conn.execute(
            select(*_record_columns())
            .where(
                e.state == APPLIED,
                (e.alerts_owed.is_(True)) | (e.stale_alert_owed.is_(True)) | e.receipt_path.is_(None),
            )
            .order_by(e.sequence)
        ).all()
        return [_extract_record(row._mapping) for row in rows]

    def content(self, conn: Connection, record_id: int) -> bytes:
        return bytes(conn.execute(select(extracts.c.content).where(extracts.c.id == record_id)).scalar_one())

    def alerts_streamed(self, conn: Connection, record_id: int, digest: str) -> None:
        """Record, inside the apply's transaction, the SHA-256 of the alert lines it streamed to a file."""
        conn.execute(update(extracts).where(extracts.c.id == record_id).values(alerts_digest=digest))

    def alerts_written(self, conn: Connection, record_id: int) -> None:
        conn.execute(update(extracts).where(extracts.c.id == record_id).values(alerts_owed=False))

    def raise_stale_alert(self, conn: Connection, record_id: int, at: dt.datetime) -> bool:
        """Raise the CplStale alert of an applied extract, unless it was raised before; whether it was now."""
        raised = conn.execute(
            update(extracts)
            .where(extracts.c.id == record_id, extracts.c.state == APPLIED, extracts.c.stale_alert_at.is_(None))
            .values(stale_alert_at=stamp(at), stale_alert_owed=True)
        ).rowcount
        return bool(raised == 1)

    def stale_alert_written(self, conn: Connection, record_id: int) -> None:
        conn.execute(update(extracts).where(extracts.c.id == record_id).values(stale_alert_owed=False))

    def queued(self, conn: Connection) -> list[tuple[ExtractRecord, bytes]]:
        """Extracts waiting to be applied, oldest first, with their content."""
        rows = conn.execute(
            select(*_record_columns(), extracts.c.content)
            .where(extracts.c.state == QUEUED)
            .order_by(extracts.c.sequence)
        ).all()
        return [(_extract_record(row._mapping), bytes(row._mapping["content"])) for row in rows]

    def extract_record(self, conn: Connection, record_id: int) -> ExtractRecord:
        row = conn.execute(select(*_record_columns()).where(extracts.c.id == record_id)).one()
        return _extract_record(row._mapping)

    def extract_records(self, conn: Connection) -> list[ExtractRecord]:
        rows = conn.execute(select(*_record_columns()).order_by(extracts.c.id)).all()
        return [_extract_record(row._mapping) for row in rows]

    def model_changes(self, conn: Connection) -> dict[int, list[ModelChange]]:
        """What each applied extract did per Device Model, by the extract's record id (`extract_models`).

        One query over the rows the applies wrote, a few per extract: no Device and no history row is read.
        """
        e = extract_models.c
        rows = conn.execute(
            select(e.extract_id, e.alert, e.entry_id, e.cpl_status_before, e.cpl_status, e.panel_reference, e.devices)
            .add_columns(*_model_key_columns())
            .join(device_models, device_models.c.id == e.model_ref)
            .order_by(e.extract_id, e.alert.desc(), e.entry_id, e.id)  # DeviceSuspended first
        ).all()
        found: dict[int, list[ModelChange]] = {}
        for row in rows:
            found.setdefault(int(row.extract_id), []).append(
                ModelChange(
                    model_key=(
                        row.physical_device_type,
                        row.manufacturer_id,
                        row.model_id,
                        row.hardware_version,
                        row.firmware_version,
                    ),
                    alert=row.alert,
                    entry_id=row.entry_id,
                    cpl_status_before=row.cpl_status_before,
                    cpl_status=row.cpl_status,
                    panel_reference=row.panel_reference,
                    devices=int(row.devices),
                )
            )
        return found

    def device_alerts(self, conn: Connection, *, since: dt.datetime | None, limit: int) -> DeviceAlerts:
        """The newest ``limit`` DeviceSuspended / DeviceRestored alerts raised at or after ``since``, oldest first.

        An alert is raised when its extract is applied, so the extracts applied since ``since`` are found
        on their records, newest first, and each one's alerts read (`_newest_alerts`) until ``limit`` are
        found: never the whole inventory. ``total`` is their counts' sum.
        """
        x = extracts.c
        query = select(
            x.id,
            x.sequence,
            x.applied_at,
            x.history_after_id,
            x.history_last_id,
            x.devices_suspended,
            x.devices_restored,
            x.history_pruned_at,
        ).where(x.state == APPLIED)
        if since is not None:
            query = query.where(x.applied_at >= stamp(since))
        spans = conn.execute(query.order_by(x.sequence.desc())).all()
        newest: list[AlertRecord] = []
        total, pruned = 0, []
        for record_id, sequence, applied_at, after_id, last_id, suspended, restored, pruned_at in spans:
            raised = int(suspended or 0) + int(restored or 0)
            if pruned_at is not None:
                if raised:
                    pruned.append(int(sequence))
                continue
            total += raised
            wanted = limit - len(newest)
            if wanted <= 0 or not raised:
                continue
            if last_id is not None:  # applied by an earlier version, which wrote a history row per Device
                newest.extend(self._legacy_alerts(conn, int(sequence), int(after_id or 0), int(last_id), wanted))
                continue
            newest.extend(self._newest_alerts(conn, int(record_id), int(sequence), unstamp(applied_at), wanted))
        return DeviceAlerts(alerts=tuple(reversed(newest)), total=total, pruned=tuple(sorted(pruned)))

    @staticmethod
    def _legacy_alerts(conn: Connection, sequence: int, after_id: int, last_id: int, wanted: int) -> list[AlertRecord]:
        """The newest ``wanted`` alerts of an extract an earlier version applied: a primary-key range of its history."""
        h = status_history.c
        rows = conn.execute(
            select(h.alert, h.until, h.extract_sequence, h.device_id, h.status, h.new_status)
            .where(h.id > after_id, h.id <= last_id, h.extract_sequence == sequence, h.alert.is_not(None))
            .order_by(h.id.desc())
            .limit(wanted)
        ).all()
        return [
            AlertRecord(
                alert=r.alert,
                raised_at=unstamp(r.until),
                extract_sequence=int(r.extract_sequence),
                device_id=r.device_id,
                previous_status=r.status,
                status=r.new_status,
            )
            for r in rows
        ]

    def _newest_alerts(
        self, conn: Connection, record_id: int, sequence: int, applied_at: dt.datetime, wanted: int
    ) -> list[AlertRecord]:
        """The last ``wanted`` alerts the apply of extract ``sequence`` raised, newest first (the alerts file
        holds them by model as the apply recorded them, each model's Devices by row id).

        While it is the last extract applied and no Device has moved firmware since, its Devices still
        carry its change (``status_sequence``), so they are read by the model index alone, ``wanted`` at
        most; otherwise (rare: its alerts were owed past a later apply) each candidate's history is replayed.
        """
        models = self._recorded_models(conn, record_id)
        if not self._carries_its_change(conn, sequence):
            return self._replayed_alerts(conn, sequence, models)[::-1][:wanted]
        d = devices.c
        found: list[AlertRecord] = []
        for ref, alert in reversed(models):
            query = _alert_columns(alert).where(d.model_ref == ref, d.status_sequence == sequence)
            for device_id, previous, status in conn.execute(
                query.order_by(d.id.desc()).limit(wanted - len(found))
            ).all():
                found.append(AlertRecord(alert.value, applied_at, sequence, device_id, previous, status))
            if len(found) >= wanted:
                break
        return found

    @staticmethod
    def _recorded_models(conn: Connection, record_id: int) -> list[tuple[int, Alert]]:
        """The models an apply suspended or restored Devices of, in the order it recorded them."""
        e = extract_models.c
        rows = conn.execute(
            select(e.model_ref, e.alert).where(e.extract_id == record_id, e.devices > 0).order_by(e.id)
        ).all()
        return [(int(r[0]), Alert(r[1])) for r in rows]

    def _carries_its_change(self, conn: Connection, sequence: int) -> bool:
        """Whether the Devices extract ``sequence`` changed still say so: no later apply, no firmware move since."""
        later = conn.execute(
            select(extracts.c.id).where(extracts.c.state == APPLIED, extracts.c.sequence > sequence).limit(1)
        ).first()
        moved = conn.execute(
            select(device_moves.c.id).where(device_moves.c.after_sequence >= sequence).limit(1)
        ).first()
        return later is None and moved is None

    def _replayed_alerts(self, conn: Connection, sequence: int, models: list[tuple[int, Alert]]) -> list[AlertRecord]:
        """The alerts of extract ``sequence`` from its candidates' replayed histories: the Devices that had
        one of its models at its apply and a CPL history spanning it."""
        d = devices.c
        refs = [ref for ref, _ in models]
        candidates: set[int] = set()
        for chunk in ref_chunks(refs):
            candidates.update(
                int(i)
                for i in conn.execute(
                    select(d.id).where(d.model_ref.in_(chunk), d.status_sequence >= sequence)
                ).scalars()
            )
            mv = device_moves.c
            candidates.update(
                int(i)
                for i in conn.execute(
                    select(mv.device_ref).where(mv.from_ref.in_(chunk) | mv.to_ref.in_(chunk))
                ).scalars()
            )
        order = {ref: n for n, (ref, _) in enumerate(models)}
        found: list[tuple[int, int, AlertRecord]] = []
        for device_ref, device_id, changes, model_at in self._replayed(conn, sorted(candidates)):
            for change in changes:
                if change.extract_sequence == sequence and change.alert is not None:
                    alert = AlertRecord(
                        change.alert, change.until, sequence, device_id, change.status, change.new_status
                    )
                    found.append((order.get(model_at(sequence), len(order)), device_ref, alert))
        return [alert for _, _, alert in sorted(found, key=lambda f: (f[0], f[1]))]

    def _replayed(
        self, conn: Connection, device_refs: Sequence[int]
    ) -> Iterator[tuple[int, str, list[StatusChange], Callable[[int], int]]]:
        """Each CPL-changed Device's history, replayed over the applies' per-model records and its firmware
        moves: (row id, Device ID, its changes, the model it had at an apply).

        It starts at ``status_since``, in the Device's own status (only the CPL changes a status, and only
        to Suspended and back), or Suspended if an earlier version's CPL had suspended it (its history
        before is in that version's rows).
        """
        d, m = devices.c, device_models.c
        for chunk in ref_chunks(list(device_refs)):
            rows = conn.execute(
                select(
                    d.id,
                    d.device_id,
                    d.model_ref,
                    d.status,
                    d.status_before_suspension,
                    d.status_since,
                    d.status_sequence,
                    d.suspended_at_upgrade,
                    m.physical_device_type,
                )
                .join(device_models, m.id == d.model_ref)
                .where(d.id.in_(chunk), d.status_sequence.is_not(None))
                .order_by(d.id)
            ).all()
            if not rows:
                continue
            refs = [int(r.id) for r in rows]
            mv = device_moves.c
            moves: dict[int, list[tuple[int, int]]] = {}
            for device_ref, after, from_ref in conn.execute(
                select(mv.device_ref, mv.after_sequence, mv.from_ref).where(mv.device_ref.in_(refs)).order_by(mv.id)
            ).all():
                moves.setdefault(int(device_ref), []).append((int(after or 0), int(from_ref)))
            steps = self._applied_steps(
                conn, min(str(r.status_since) for r in rows), max(int(r.status_sequence) for r in rows)
            )
            for r in rows:
                model_at = functools.partial(_model_at, tuple(moves.get(int(r.id), ())), int(r.model_ref))
                own = SmiStatus(r.status_before_suspension or r.status)
                status, before = (SmiStatus.SUSPENDED, own) if r.suspended_at_upgrade else (own, None)
                mine = [
                    CplStep(sequence, unstamp(applied_at), by_model.get(model_at(sequence)))
                    for sequence, applied_at, by_model in steps
                    if applied_at >= r.status_since and sequence <= r.status_sequence
                ]
                changes = replay_changes(r.physical_device_type, status, before, unstamp(r.status_since), mine)
                yield int(r.id), str(r.device_id), changes, model_at

    @staticmethod
    def _applied_steps(conn: Connection, since: str, last: int) -> list[tuple[int, str, dict[int, Alert]]]:
        """The applies from ``since`` up to extract ``last``, in sequence order, with the models each changed
        Devices of (the applies of earlier versions, which wrote history rows, are in those rows instead)."""
        x, e = extracts.c, extract_models.c
        applied = conn.execute(
            select(x.id, x.sequence, x.applied_at)
            .where(x.state == APPLIED, x.applied_at >= since, x.sequence <= last, x.history_last_id.is_(None))
            .order_by(x.sequence)
        ).all()
        by_extract: dict[int, dict[int, Alert]] = {int(r[0]): {} for r in applied}
        for start in range(0, len(applied), _CHUNK):
            ids = [int(r[0]) for r in applied[start : start + _CHUNK]]
            for extract_id, model_ref, alert in conn.execute(
                select(e.extract_id, e.model_ref, e.alert).where(e.extract_id.in_(ids), e.devices > 0)
            ).all():
                by_extract[int(extract_id)][int(model_ref)] = Alert(alert)
        return [(int(r[1]), str(r[2]), by_extract[int(r[0])]) for r in applied]

    def stale_alerts(self, conn: Connection, *, since: dt.datetime | None) -> list[tuple[int, int, dt.datetime]]:
        """(record id, sequence, raised at) of each CplStale alert raised at or after ``since``, oldest first."""
        x = extracts.c
        query = select(x.id, x.sequence, x.stale_alert_at).where(x.state == APPLIED, x.stale_alert_at.is_not(None))
        if since is not None:
            query = query.where(x.stale_alert_at >= stamp(since))
        rows = conn.execute(query.order_by(x.stale_alert_at, x.sequence)).all()
        return [(int(r[0]), int(r[1]), unstamp(r[2])) for r in rows]

    def set_receipt_path(self, conn: Connection, record_id: int, path: str) -> None:
        conn.execute(update(extracts).where(extracts.c.id == record_id).values(receipt_path=path))

    # --- device models ------------------------------------------------------------------

    def active_model_keys(self, conn: Connection) -> frozenset[ModelKey]:
        rows = conn.execute(select(*_model_key_columns()).where(device_models.c.active.is_(True))).all()
        return frozenset((r[0], r[1], r[2], r[3], r[4]) for r in rows)

    def model_refs(self, conn: Connection, keys: Iterable[ModelKey]) -> dict[ModelKey, int]:
        """The model_ref of each key, inserting the Device Models not seen before."""
        wanted = set(keys)
        known = {k: ref for k, ref in self._all_model_refs(conn).items() if k in wanted}
        missing = sorted(wanted - set(known))
        if missing:
            conn.execute(
                insert(device_models),
                [
                    {
                        "physical_device_type": k[0],
                        "manufacturer_id": k[1],
                        "model_id": k[2],
                        "hardware_version": k[3],
                        "firmware_version": k[4],
                        "cpl_controlled": is_cpl_controlled(k[0]),
                        "active": False,
                    }
                    for k in missing
                ],
            )
            known = {k: ref for k, ref in self._all_model_refs(conn).items() if k in wanted}
        return known

    @staticmethod
    def _all_model_refs(conn: Connection) -> dict[ModelKey, int]:
        rows = conn.execute(select(*_model_key_columns(), device_models.c.id)).all()
        return {(r[0], r[1], r[2], r[3], r[4]): int(r[5]) for r in rows}

    # --- applying an extract ------------------------------------------------------------

    def apply_extract(
        self,
        conn: Connection,
        *,
        record_id: int,
        extract: Extract,
        change: CplChange,
        applied_at: dt.datetime,
        alerts: Callable[[bytes], None] | None = None,
    ) -> AppliedCounts:
        """Bring the inventory in line with ``extract``; run inside the caller's one transaction, after
        `claim_queued` claimed the extract (and before ``change`` was read, in the same transaction).

        Suspends the Devices of ``change.suspend`` that are in a suspendable status, remembering
        their status, and gives the Devices of ``change.restore`` that the CPL suspended exactly
        that status back; records per model what moved (`extract_models`), from which a Device's
        history and the apply's alerts are read. ``alerts``, if given, receives the apply's alert lines
        (bytes of whole lines) as the UPDATE returns them: the lines `alert_lines` reads back, in the
        order the UPDATE's pass met the Devices (so not necessarily in that order).
        """
        at = stamp(applied_at)
        listing = _listing(extract)
        refs = self.model_refs(conn, listing)
        self.checkpoint("device-models")
        # Only the models whose standing on the CPL changes are written (a few, usually, of thousands).
        m = device_models.c
        standing = {
            int(r[0]): (bool(r[1]), r[2], r[3])
            for r in conn.execute(
                select(m.id, m.active, m.entry_id, m.cpl_status).where(m.cpl_status.is_not(None))
            ).all()
        }
        wanted = {refs[k]: listed for k, listed in listing.items()}
        wanted.update({ref: (False, None, None) for ref in standing if ref not in wanted})
        changes = [
            {"ref": ref, "is_active": active, "entry": entry, "listed_status": status}
            for ref, (active, entry, status) in sorted(wanted.items())
            if standing.get(ref, (False, None, None)) != (active, entry, status)
        ]
        if changes:
            conn.execute(
                update(device_models)
                .where(m.id == bindparam("ref"))
                .values(
                    active=bindparam("is_active"), entry_id=bindparam("entry"), cpl_status=bindparam("listed_status")
                ),
                changes,
            )
        self.checkpoint("cpl")
        # The per-model records first, each counting no Device yet: each UPDATE below counts into them.
        self._record_model_changes(
            conn,
            record_id,
            extract,
            listing,
            standing,
            [(k, refs[k], Alert.DEVICE_SUSPENDED) for k in sorted(change.suspend)]
            + [(k, refs[k], Alert.DEVICE_RESTORED) for k in sorted(change.restore)],
        )
        suspended = self._change_status(
            conn,
            [refs[k] for k in sorted(change.suspend)],
            record_id=record_id,
            at=at,
            sequence=extract.sequence,
            alert=Alert.DEVICE_SUSPENDED,
            alerts=alerts,
        )
        restored = self._change_status(
            conn,
            [refs[k] for k in sorted(change.restore)],
            record_id=record_id,
            at=at,
            sequence=extract.sequence,
            alert=Alert.DEVICE_RESTORED,
            alerts=alerts,
        )
        e = extract_models.c
        conn.execute(  # a model new to the CPL that restored nothing is no news
            delete(extract_models).where(
                e.extract_id == record_id,
                e.alert == Alert.DEVICE_RESTORED.value,
                e.devices == 0,
                e.cpl_status_before.is_(None),
            )
        )
        conn.execute(
            update(extracts)
            .where(extracts.c.id == record_id, extracts.c.state == APPLIED)
            .values(devices_suspended=suspended, devices_restored=restored)
        )
        self.checkpoint("recorded")
        return AppliedCounts(devices_suspended=suspended, devices_restored=restored)

    @staticmethod
    def _record_model_changes(
        conn: Connection,
        record_id: int,
        extract: Extract,
        listing: dict[ModelKey, tuple[bool, str | None, str | None]],
        standing: dict[int, tuple[bool, str | None, str | None]],
        moved: list[tuple[ModelKey, int, Alert]],
    ) -> None:
        """The apply's `extract_models` rows, counting no Device yet: each model it suspends or restores."""
        panel_references: dict[str, str] | None = None
        rows = []
        for key, ref, alert in moved:
            _was_active, was_entry, was_status = standing.get(ref, (False, None, None))
            _active, entry_id, status = listing.get(key, (False, None, None))
            if panel_references is None:  # read once, and only by an apply that has a model to record
                panel_references = {e.entry_id: e.panel_reference for e in extract.entries if e.panel_reference}
            rows.append(
                {
                    "extract_id": record_id,
                    "model_ref": ref,
                    "alert": alert.value,
                    "entry_id": entry_id or was_entry,
                    "cpl_status_before": was_status,
                    "cpl_status": status,
                    "panel_reference": None if entry_id is None else panel_references.get(entry_id),
                    "devices": 0,
                }
            )
        if rows:
            conn.execute(insert(extract_models), rows)

    def _change_status(
        self,
        conn: Connection,
        model_refs: Sequence[int],
        *,
        record_id: int,
        at: str,
        sequence: int,
        alert: Alert,
        alerts: Callable[[bytes], None] | None = None,
    ) -> int:
        """One UPDATE for all these models (found by the model index, in one pass over the table), each
        model's count written into its `extract_models` row of this apply; how many Devices changed.

        The UPDATE is all an apply writes per Device: the status, what it replaced, and by which extract
        (``status_sequence``, whose apply time is the status's since). No column it sets is indexed, so on
        PostgreSQL each change is a HOT update in the Device's own page; no history row and no index
        entry is written. With ``alerts``, the changed rows' alert lines come back from the same pass.
        """
        d = devices.c
        if alert is Alert.DEVICE_SUSPENDED:
            moved: Any = d.status.in_(sorted(s.value for s in SUSPENDABLE_STATUSES))
            values: dict[str, Any] = {"status_before_suspension": d.status, "status": SmiStatus.SUSPENDED.value}
        else:
            moved = and_(d.status == SmiStatus.SUSPENDED.value, d.status_before_suspension.is_not(None))
            values = {"status": d.status_before_suspension, "status_before_suspension": None}

        def line(row: Any) -> Any:
            return _alert_line_expression(alert, sequence, at, row)

        changed = 0
        for refs in ref_chunks(model_refs):
            statement = update(devices).where(d.model_ref.in_(refs), moved).values(**values, status_sequence=sequence)
            if conn.dialect.name == "postgresql":
                changed += _update_counted(conn, statement, record_id, alert, line, alerts)
            else:
                changed += _update_returned(conn, statement, record_id, alert, line, alerts)
            self.checkpoint(alert.value)
        return changed

    def prunable_history(self, conn: Connection, before: dt.datetime) -> list[tuple[int, int, int, int]]:
        """(record id, sequence, first id after, last id) of each applied extract whose history rows may go.

        Applied before ``before``, its alerts written (rows an apply still owes alerts for stay), and
        not pruned already. Its counts, receipt and record stay: reports and receipts need no history.
        """
        x = extracts.c
        rows = conn.execute(
            select(x.id, x.sequence, x.history_after_id, x.history_last_id)
            .where(
                x.state == APPLIED,
                x.applied_at < stamp(before),
                x.alerts_owed.is_(False),
                x.history_pruned_at.is_(None),
                x.history_last_id > func.coalesce(x.history_after_id, 0),  # it wrote rows
            )
            .order_by(x.sequence)
        ).all()
        return [(int(r[0]), int(r[1]), int(r[2] or 0), int(r[3])) for r in rows]

    def prune_history(self, conn: Connection, record_id: int, after_id: int, last_id: int, at: dt.datetime) -> int:
        """Delete one applied extract's history rows (a primary-key range) and record when; how many went."""
        h = status_history.c
        removed = conn.execute(delete(status_history).where(h.id > after_id, h.id <= last_id)).rowcount
        conn.execute(update(extracts).where(extracts.c.id == record_id).values(history_pruned_at=stamp(at)))
        return int(removed)

    def alert_lines(self, conn: Connection, sequence: int, *, batch: int | None = None) -> Iterator[list[str]]:
        """The alerts an applied extract raised, as JSON lines (keys sorted), streamed in batches.

        The database writes each line: every field is hex, a status name, an alert name, an integer
        or a fixed-format time, so no JSON escaping is ever needed, and Python only passes lines on.
        Its Devices are read by the model index, one model at a time, while they still carry its change
        (`_carries_its_change`); else the lines come from the replayed histories (`_replayed_alerts`).
        """
        batch = batch or self.alert_batch
        x = extracts.c
        record = conn.execute(
            select(x.id, x.applied_at, x.history_after_id, x.history_last_id).where(
                x.sequence == sequence, x.state == APPLIED
            )
        ).one_or_none()
        if record is None:
            return
        record_id, applied_at, after_id, last_id = record
        if last_id is not None:  # applied by an earlier version: its history rows
            yield from self._legacy_alert_lines(conn, sequence, int(after_id or 0), int(last_id), batch)
            return
        models = self._recorded_models(conn, int(record_id))
        if not models:
            return
        if not self._carries_its_change(conn, sequence):
            alerts = self._replayed_alerts(conn, sequence, models)
            for start in range(0, len(alerts), batch):
                yield [_alert_line(a) for a in alerts[start : start + batch]]
            return
        d = devices.c
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for ref, alert in models:
                line = _alert_line_expression(alert, sequence, str(applied_at))
                query = select(line).where(d.model_ref == ref, d.status_sequence == sequence).order_by(d.id)
                # Straight through the driver: a quarter of a million lines should not pay for result rows.
                cursor.execute(str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})))
                while rows := cursor.fetchmany(batch):
                    yield [str(row[0]) for row in rows]
        finally:
            cursor.close()

    @staticmethod
    def _legacy_alert_lines(
        conn: Connection, sequence: int, after_id: int, last_id: int, batch: int
    ) -> Iterator[list[str]]:
        h = status_history.c
        line = (
            literal('{"alert":"', String)
            + h.alert
            + literal('","device_id":"', String)
            + h.device_id
            + literal('","extract_sequence":', String)
            + cast(h.extract_sequence, String)
            + literal(',"previous_status":"', String)
            + h.status
            + literal('","raised_at":"', String)
            + h.until
            + literal('","status":"', String)
            + h.new_status
            + literal('"}', String)
        )
        query = (
            select(line)
            .where(h.id > after_id, h.id <= last_id, h.extract_sequence == sequence, h.alert.is_not(None))
            .order_by(h.id)
        )
        compiled = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled)
            while rows := cursor.fetchmany(batch):
                yield [str(row[0]) for row in rows]
        finally:
            cursor.close()

    # --- devices ------------------------------------------------------------------------

    def device(self, conn: Connection, device_id: str) -> DeviceRecord | None:
        row = conn.execute(_device_query().where(devices.c.device_id == device_id)).one_or_none()
        return None if row is None else _device_record(row)

    def history(self, conn: Connection, device_id: str) -> list[StatusChange]:
        """A Device's status changes, oldest first: rows an earlier version wrote, then its replayed history."""
        ref = conn.execute(select(devices.c.id).where(devices.c.device_id == device_id)).scalar_one_or_none()
        if ref is None:
            return []
        h = status_history.c
        rows = conn.execute(
            select(h.status, h.since, h.until, h.new_status, h.extract_sequence, h.alert)
            .where(h.device_ref == ref)
            .order_by(h.id)
        ).all()
        legacy = [
            StatusChange(
                status=r.status,
                since=unstamp(r.since),
                until=unstamp(r.until),
                new_status=r.new_status,
                extract_sequence=r.extract_sequence,
                alert=r.alert,
            )
            for r in rows
        ]
        return legacy + [c for _, _, changes, _ in self._replayed(conn, [int(ref)]) for c in changes]

    def insert_device(
        self, conn: Connection, *, device_id: str, model_ref: int, status: str, since: dt.datetime
    ) -> None:
        exists = conn.execute(select(devices.c.id).where(devices.c.device_id == device_id)).first()
        if exists is not None:
            raise DeviceExistsError(f"Device {device_id} is already in the inventory.")
        conn.execute(
            insert(devices).values(device_id=device_id, model_ref=model_ref, status=status, status_since=stamp(since))
        )

    def set_model(self, conn: Connection, device_id: str, model_ref: int, *, at: dt.datetime) -> bool:
        """Move a Device that is not Suspended to another model (new firmware), recording the move and the
        extract in force; False (nothing written) if it was Suspended or moved meanwhile.

        The extract in force is read after the row is updated: under READ COMMITTED an apply that changed
        the Device first has committed by then (the UPDATE waited for it, and then finds it Suspended),
        and one that has not yet reached it will find it on its new model, after this commit. Either way
        the move's ``after_sequence`` says which model each apply met, as the replayed history needs.
        """
        d = devices.c
        device_ref, from_ref = conn.execute(select(d.id, d.model_ref).where(d.device_id == device_id)).one()
        moved = conn.execute(
            update(devices)
            .where(d.id == device_ref, d.model_ref == from_ref, d.status != SmiStatus.SUSPENDED.value)
            .values(model_ref=model_ref)
        ).rowcount
        if moved != 1:
            return False
        conn.execute(
            insert(device_moves).values(
                device_ref=device_ref,
                from_ref=from_ref,
                to_ref=model_ref,
                after_sequence=self.in_force_sequence(conn),
                at=stamp(at),
            )
        )
        return True

    def find_devices(
        self,
        conn: Connection,
        pattern: ModelPattern,
        *,
        physical_device_type: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int,
    ) -> tuple[int, list[DeviceRecord]]:
        """The Devices of the models ``pattern`` names (and of that type, in that status), by Device ID:
        how many there are in all, and the first ``limit`` after the Device ID ``after``.

        The models are found in `device_models` (small); their Devices through the index on ``model_ref``,
        so both the count and the page read the Devices of those models alone, never the inventory.
        """
        m = device_models.c
        wanted = [m.manufacturer_id == pattern.manufacturer_id, m.model_id == pattern.model_id]
        if pattern.hardware_version is not None:
            wanted.append(m.hardware_version == pattern.hardware_version)
        if pattern.firmware_version is not None:
            wanted.append(m.firmware_version == pattern.firmware_version)
        if physical_device_type is not None:
            wanted.append(m.physical_device_type == physical_device_type)
        refs = [int(r) for r in conn.execute(select(m.id).where(*wanted).order_by(m.id)).scalars()]
        d = devices.c
        total, page = 0, list[DeviceRecord]()
        for chunk in ref_chunks(refs):
            filters: list[ColumnElement[bool]] = [d.model_ref.in_(chunk)]
            if status is not None:
                filters.append(d.status == status)
            total += int(conn.execute(select(func.count()).select_from(devices).where(*filters)).scalar_one())
            if after is not None:
                filters.append(d.device_id > after)
            rows = conn.execute(_device_query().where(*filters).order_by(d.device_id).limit(limit)).all()
            page.extend(_device_record(row) for row in rows)
        page.sort(key=lambda record: record.device_id)
        return total, page[:limit]

    def count_by_status(self, conn: Connection) -> dict[str, int]:
        rows = conn.execute(select(devices.c.status, func.count()).group_by(devices.c.status)).all()
        return {str(status): int(count) for status, count in rows}

    def device_count(self, conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(devices)).scalar_one())

    def max_device_ref(self, conn: Connection) -> int:
        return int(conn.execute(select(func.coalesce(func.max(devices.c.id), 0))).scalar_one())

    # --- bulk loading -------------------------------------------------------------------

    def bulk_load_devices(
        self,
        rows: Iterable[Sequence[Any]],
        *,
        rebuild_indexes: bool,
        progress: Callable[[int], None] = lambda n: None,
        batch: int = 100_000,
    ) -> int:
        """Load (id, device_id, model_ref, status, status_since) rows in one transaction, the fastest way.

        SQLite: executemany in big batches with synchronous=NORMAL (the database is already WAL).
        PostgreSQL: COPY. With ``rebuild_indexes`` the Device indexes are dropped first and built
        once at the end, far faster than keeping them up to date row by row; a duplicate Device ID
        then surfaces when the unique index is built. Either way the load is all or nothing.
        """
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                conn.commit()
            try:
                with conn.begin():
                    if rebuild_indexes:
                        for index in _DEVICE_INDEXES:
                            index.drop(conn)
                    loader = self._copy_rows if self.backend == "postgresql" else self._executemany_rows
                    loaded = loader(conn, rows, progress, batch)
                    if rebuild_indexes:
                        for index in _DEVICE_INDEXES:
                            index.create(conn)
                    if self.backend == "postgresql":
                        conn.execute(
                            text(
                                "SELECT setval(pg_get_serial_sequence('devices', 'id'), "
                                "(SELECT coalesce(max(id), 1) FROM devices))"
                            )
                        )
            except IntegrityError:
                raise SeedCollisionError(
                    "Seeded Device IDs collide with Devices already in the inventory; nothing was loaded."
                ) from None
            finally:
                if self.backend == "sqlite":
                    conn.exec_driver_sql("PRAGMA synchronous=FULL")
                    conn.commit()
        if self.backend == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE devices")
                conn.exec_driver_sql("ANALYZE device_models")
        return loaded

    @staticmethod
    def _executemany_rows(
        conn: Connection, rows: Iterable[Sequence[Any]], progress: Callable[[int], None], batch: int
    ) -> int:
        sql = "INSERT INTO devices (id, device_id, model_ref, status, status_since) VALUES (?, ?, ?, ?, ?)"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        loaded = 0
        for chunk in _batches(rows, batch):
            cursor.executemany(sql, chunk)
            loaded += len(chunk)
            progress(len(chunk))
        cursor.close()
        return loaded

    @staticmethod
    def _copy_rows(conn: Connection, rows: Iterable[Sequence[Any]], progress: Callable[[int], None], batch: int) -> int:
        raw = conn.connection.driver_connection
        loaded = 0
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            sql = "COPY devices (id, device_id, model_ref, status, status_since) FROM STDIN"
            with cursor.copy(sql) as copy:
                for chunk in _batches(rows, batch):
                    buffer = io.StringIO()
                    # Ids, hex, status names and fixed-format times: nothing needs COPY escaping.
                    buffer.writelines(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\n" for r in chunk)
                    copy.write(buffer.getvalue())
                    loaded += len(chunk)
                    progress(len(chunk))
        return loaded


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: Bytes of alert lines gathered from a COPY before they are passed on (it hands over a row at a time).
_STREAM_CHUNK = 1 << 20


def _update_counted(
    conn: Connection,
    statement: Any,
    record_id: int,
    alert: Alert,
    line: Callable[[Any], Any],
    sink: Callable[[bytes], None] | None,
) -> int:
    """PostgreSQL: the UPDATE and its per-model counts in one statement, ``WITH changed AS (UPDATE …
    RETURNING …), counted AS (UPDATE extract_models … FROM (SELECT model_ref, count(*) FROM changed …))``;
    how many rows it changed. With a ``sink``, it runs as ``COPY (… SELECT line FROM changed) TO STDOUT``
    and the lines go to ``sink`` as the server writes them: the server formats every line, Python only
    moves bytes (COPY's text format escapes nothing in them: no backslash, tab or newline). The UPDATE
    returns only the columns a line is made of, so the rows it keeps for its two readers stay small."""
    d, e = devices.c, extract_models.c
    returned = [d.model_ref] if sink is None else [d.model_ref, d.device_id, d.status_before_suspension, d.status]
    changed = statement.returning(*returned).cte("changed")
    tally = select(changed.c.model_ref, func.count().label("n")).group_by(changed.c.model_ref).subquery("tally")
    counted = (
        update(extract_models)
        .where(e.extract_id == record_id, e.alert == alert.value, e.model_ref == tally.c.model_ref)
        .values(devices=tally.c.n)
        .cte("counted")
    )
    if sink is None:
        return int(conn.execute(select(func.count()).select_from(changed).add_cte(counted)).scalar_one())
    compiled = (
        select(line(changed.c)).add_cte(counted).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    )
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        buffer = bytearray()
        with cursor.copy(f"COPY ({compiled}) TO STDOUT", compiled.params) as copy:
            for data in copy:
                buffer += data
                if len(buffer) >= _STREAM_CHUNK:
                    sink(bytes(buffer))
                    buffer.clear()
        if buffer:
            sink(bytes(buffer))
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _update_returned(
    conn: Connection,
    statement: Any,
    record_id: int,
    alert: Alert,
    line: Callable[[Any], Any],
    sink: Callable[[bytes], None] | None,
) -> int:
    """SQLite: the UPDATE with ``RETURNING model_ref[, line]`` (the line only for a ``sink``), straight
    through the driver (a few hundred thousand rows should not pay for result rows); the lines to
    ``sink``, the per-model counts into the apply's `extract_models` rows; how many rows it changed."""
    d, e = devices.c, extract_models.c
    returning = statement.returning(*([d.model_ref] if sink is None else [d.model_ref, line(d)])).compile(
        dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
    )
    bound = returning.construct_params()
    positions = returning.positiontup
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(returning), bound if positions is None else [bound[n] for n in positions])
        returned = cursor.fetchall()
    finally:
        cursor.close()
    if sink is not None and returned:
        sink(("\n".join(row[1] for row in returned) + "\n").encode("utf-8"))
    counts = Counter(row[0] for row in returned)
    if counts:
        conn.execute(
            update(extract_models)
            .where(e.extract_id == record_id, e.alert == alert.value, e.model_ref == bindparam("ref"))
            .values(devices=bindparam("n")),
            [{"ref": ref, "n": n} for ref, n in counts.items()],
        )
    return len(returned)


def _mark_suspended_at_upgrade(conn: Connection) -> None:
    """On opening a database of an earlier version: the Devices its CPL keeps Suspended, where their
    replayed history starts (what came before is in that version's history rows)."""
    d = devices.c
    suspended = and_(d.status == SmiStatus.SUSPENDED.value, d.status_before_suspension.is_not(None))
    conn.execute(update(devices).where(suspended).values(suspended_at_upgrade=True))


def _model_at(moves: Sequence[tuple[int, int]], model_ref: int, sequence: int) -> int:
    """The model a Device had at the apply of ``sequence``: the one it left by its first move after that
    apply (``moves``: (extract in force, model left), oldest first), or the one it has."""
    return next((left for after, left in moves if after >= sequence), model_ref)


def _previous_status(alert: Alert, row: Any = devices.c) -> Any:
    """The status a Device an apply changed had before it, as its row says after it."""
    if alert is Alert.DEVICE_SUSPENDED:
        return row.status_before_suspension
    return literal(SmiStatus.SUSPENDED.value, String)


def _alert_line_expression(alert: Alert, sequence: int, applied_at: str, row: Any = devices.c) -> Any:
    """The JSON line (keys sorted) of the alert a Device changed by extract ``sequence`` raised, as the
    database writes it from the Device's row after the change (``row``: the devices table's columns,
    or those of the rows an UPDATE returned): every field is hex, a status name, an alert name, an
    integer or a fixed-format time, so no escaping is ever needed."""
    return (
        literal(f'{{"alert":"{alert.value}","device_id":"', String)
        + row.device_id
        + literal(f'","extract_sequence":{sequence},"previous_status":"', String)
        + _previous_status(alert, row)
        + literal(f'","raised_at":"{applied_at}","status":"', String)
        + row.status
        + literal('"}', String)
    )


def _alert_columns(alert: Alert) -> Any:
    """(Device ID, previous status, status) of a Device an apply changed, as its row says after it."""
    return select(devices.c.device_id, _previous_status(alert), devices.c.status)


def _alert_line(alert: AlertRecord) -> str:
    """An alert as the database writes its line (`Store.alert_lines`): keys sorted, nothing to escape."""
    return (
        f'{{"alert":"{alert.alert}","device_id":"{alert.device_id}","extract_sequence":{alert.extract_sequence},'
        f'"previous_status":"{alert.previous_status}","raised_at":"{stamp(alert.raised_at)}",'
        f'"status":"{alert.status}"}}'
    )


def _device_query() -> Any:
    """A Device with its model and how the CPL in force lists it, as `DeviceRecord` holds it."""
    m, x = device_models.c, extracts.c
    changed_at = (
        select(x.applied_at)
        .where(x.sequence == devices.c.status_sequence, x.state == APPLIED)
        .correlate(devices)
        .scalar_subquery()
    )
    return select(
        devices.c.device_id,
        *_model_key_columns(),
        devices.c.status,
        # since the apply that last changed it, or since it entered
        func.coalesce(changed_at, devices.c.status_since).label("status_since"),
        devices.c.status_before_suspension,
        m.active,
        m.entry_id,
        m.cpl_status,
    ).join(device_models, m.id == devices.c.model_ref)


def _device_record(row: Any) -> DeviceRecord:
    return DeviceRecord(
        device_id=row.device_id,
        physical_device_type=row.physical_device_type,
        manufacturer_id=row.manufacturer_id,
        model_id=row.model_id,
        hardware_version=row.hardware_version,
        firmware_version=row.firmware_version,
        status=row.status,
        status_since=unstamp(row.status_since),
        status_before_suspension=row.status_before_suspension,
        model_active=bool(row.active),
        cpl_entry_id=row.entry_id,
        cpl_status=row.cpl_status,
    )


def _model_key_columns() -> tuple[Column[Any], ...]:
    m = device_models.c
    return (m.physical_device_type, m.manufacturer_id, m.model_id, m.hardware_version, m.firmware_version)


def _listing(extract: Extract) -> dict[ModelKey, tuple[bool, str | None, str | None]]:
    """Per model key in the extract: Active or not, and the entry that says so (an Active one wins).

    A removed model re-added later is a new entry with the same key; the key is Active if any of
    its entries is.
    """
    listing: dict[ModelKey, tuple[bool, str | None, str | None]] = {}
    for entry in extract.entries:
        current = listing.get(entry.model_key)
        if current is None or (entry.is_active and not current[0]):
            listing[entry.model_key] = (entry.is_active, entry.entry_id, entry.status)
    return listing


def _record_columns() -> list[Column[Any]]:
    """An extract's record without its bytes (a report over many extracts need not read them)."""
    return [column for column in extracts.c if column.name not in ("file_bytes", "content")]


def _extract_record(row: RowMapping) -> ExtractRecord:
    def moment(value: Any) -> dt.datetime | None:
        return None if value is None else unstamp(str(value))

    received_at = unstamp(row["received_at"])
    return ExtractRecord(
        id=int(row["id"]),
        sequence=row["sequence"],
        content_sha256=row["content_sha256"],
        file_sha256=row["file_sha256"],
        issued_at=moment(row["issued_at"]),
        signer=row["signer"],
        received_at=received_at,
        deadline=unstamp(row["deadline"]),
        state=row["state"],
        applied_at=moment(row["applied_at"]),
        refusal_rule=row["refusal_rule"],
        refusal_reason=row["refusal_reason"],
        devices_suspended=row["devices_suspended"],
        devices_restored=row["devices_restored"],
        receipt_path=row["receipt_path"],
        alerts_owed=bool(row["alerts_owed"]),
        alerts_digest=row["alerts_digest"],
        receipt_target=row["receipt_target"],
        stale_alert_at=moment(row["stale_alert_at"]),
        stale_alert_owed=bool(row["stale_alert_owed"]),
        history_pruned_at=moment(row["history_pruned_at"]),
    )
