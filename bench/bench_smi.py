"""SMI: apply a CPL change to a national-scale inventory, and seed it, against raw SQL on the same database.

On a SQLite inventory of BENCH_SMI_DEVICES Devices (default 10,000,000) over 2,000 Active models,
an extract withdraws 50 models (about 2.5% of the Devices) and the next one reinstates them. Each
is timed end to end as `smi ingest` does it after the signature check (acceptance rules, record,
the set-based apply in one transaction, alerts written as JSON lines, a signed receipt) and set
against one raw UPDATE statement changing the same rows on the same database in the same run.
Seeding is set against a raw executemany of the same rows. The same runs on PostgreSQL with
BENCH_SMI_PG_DEVICES Devices (default a tenth of the SQLite size, so 1,000,000), on a server the
benchmark starts itself; it is left out, saying so, when PostgreSQL is not installed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import Measurement
from formats.extract import Extract, ExtractEntry
from formats.vocabulary import CPL_CONTROLLED_TYPES
from smi.rules import SUSPENDABLE_STATUSES, ModelKey
from smi.seeding import device_rows, plan
from smi.service import Inventory
from smi.store import Store, device_models, devices, engine_for

MODELS = 2_000
REMOVED = 50
TARGET_SHARE = 0.025  # of the Devices, as 250,000 of 10,000,000
SEED = 20261122
_ROOT = Path(__file__).resolve().parents[1]
_T0 = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def _say(message: str) -> None:
    print(f"   .. {message}", file=sys.stderr, flush=True)


def _sizes() -> tuple[int, int]:
    sqlite_devices = int(os.environ.get("BENCH_SMI_DEVICES", "10000000"))
    pg_devices = int(os.environ.get("BENCH_SMI_PG_DEVICES", str(max(1, sqlite_devices // 10))))
    return sqlite_devices, pg_devices


# --- the CPL --------------------------------------------------------------------------------


def _models() -> list[ModelKey]:
    """2,000 Device Models spread over the seven CPL-controlled types and twenty manufacturers."""
    kinds = sorted(CPL_CONTROLLED_TYPES)
    return [
        (
            kinds[i % len(kinds)].value,
            f"{0x1000 + (i % 20) * 0x111:04X}",
            f"{i:04X}",
            f"{0xA0 + i % 5:04X}",
            f"{1 + i % 9:04X}",
        )
        for i in range(MODELS)
    ]


def _extract(sequence: int, models: Sequence[ModelKey], withdrawn: frozenset[ModelKey]) -> Extract:
    entries = tuple(
        ExtractEntry(
            entry_id=f"CPL-{i:06d}",
            physical_device_type=k[0],
            manufacturer=f"Manufacturer {k[1]}",
            manufacturer_id=k[1],
            model=f"Model {k[2]}",
            model_id=k[2],
            hardware_version=k[3],
            firmware_version=k[4],
            technical_specification="SMETS2 v4.2",
            gbcs_version="v4.2",
            certificates={"zigbee": f"ZB-{i}", "dlms": None, "cpa": f"CPA-{i}"},
            cpa_expiry="2030-01-31",
            manufacturer_image_hash=None,
            status="Withdrawn" if k in withdrawn else "Active",
            status_since="2026-11-01",
            panel_reference="SECP_99_0101" if k in withdrawn else None,
        )
        for i, k in enumerate(models)
    )
    return Extract(
        sequence=sequence, issued_at=_T0 + dt.timedelta(hours=sequence), previous_sha256=None, entries=entries
    )


def _receipts(directory: Path) -> Any:
    keys = _ROOT / "keys-dev"
    if not (keys / "dcc-receipt-signer.pem").exists():
        return None
    from smi.signed import ReceiptSigner

    spec = f"pem:{keys / 'dcc-receipt-signer.pem'}:{keys / 'dcc-receipt-signer.key.pem'}:{keys / 'issuing-ca.pem'}"
    return ReceiptSigner.from_spec(spec, directory / "receipts")


# --- one backend ----------------------------------------------------------------------------


def _measure(
    label: str,
    url: str,
    count: int,
    workdir: Path,
    raw_insert: Callable[[list[tuple[int, str, int, str, str]], bool], float],
) -> list[Measurement]:
    store = Store(engine_for(url))
    store.create()
    inventory = Inventory(store, alerts_path=workdir / "alerts.jsonl", receipts=_receipts(workdir))
    models = _models()
    first = _extract(1, models, frozenset())
    inventory.receive(first.content(), received_at=_T0 + dt.timedelta(hours=1))

    _say(f"{label}: seeding {count:,} Devices over {MODELS:,} models")
    start = time.perf_counter()
    inventory.seed(first, count, seed=SEED, at=_T0)
    seeded = time.perf_counter() - start
    _say(f"{label}: seeded in {seeded:.1f} s; materialising the same rows for the raw inserts")
    refs = _all_model_refs(store)  # the same models the seed drew from, so the same rows
    rows = list(device_rows(plan(refs), count, first_row_id=1, seed=SEED, at=_T0))
    raw_indexed = raw_insert(rows, True)
    raw_bare = raw_insert(rows, False)
    del rows

    withdrawn = _withdrawn_models(store, models, refs, count)
    removed_refs = sorted(refs[k] for k in withdrawn)
    with store.begin() as conn:
        affected = int(
            conn.execute(
                select(func.count())
                .select_from(devices)
                .where(devices.c.model_ref.in_(removed_refs), devices.c.status.in_(sorted(SUSPENDABLE_STATUSES)))
            ).scalar_one()
        )
    _say(f"{label}: {REMOVED} of {MODELS:,} models withdrawn cover {affected:,} Devices in suspendable statuses")

    ids = ",".join(str(r) for r in removed_refs)
    statuses = ",".join(f"'{s.value}'" for s in sorted(SUSPENDABLE_STATUSES))
    raw_suspend_sql = (
        f"UPDATE devices SET status_before_suspension = status, status = 'Suspended' "
        f"WHERE model_ref IN ({ids}) AND status IN ({statuses})"
    )
    raw_restore_sql = (
        f"UPDATE devices SET status = status_before_suspension, status_before_suspension = NULL "
        f"WHERE model_ref IN ({ids}) AND status = 'Suspended' "
        f"AND status_before_suspension IS NOT NULL"
    )

    def raw(sql: str) -> tuple[float, int]:
        begin = time.perf_counter()
        with store.engine.begin() as conn:
            changed = conn.exec_driver_sql(sql).rowcount
        return time.perf_counter() - begin, changed

    times: dict[str, list[float]] = {"suspend": [], "restore": [], "raw suspend": [], "raw restore": []}
    sequence = 2
    for round_number in range(2):
        order = ("raw", "ours") if round_number == 0 else ("ours", "raw")
        for who in order:
            if who == "raw":
                for name, sql in (("raw suspend", raw_suspend_sql), ("raw restore", raw_restore_sql)):
                    seconds, changed = raw(sql)
                    assert changed == affected, (name, changed, affected)
                    times[name].append(seconds)
                    _say(f"{label}: {name} {seconds:.2f} s")
                continue
            for name, extract in (
                ("suspend", _extract(sequence, models, withdrawn)),
                ("restore", _extract(sequence + 1, models, frozenset())),
            ):
                begin = time.perf_counter()
                result = inventory.receive(extract.content(), received_at=_T0 + dt.timedelta(hours=extract.sequence))
                seconds = time.perf_counter() - begin
                applied = result.this_applied
                assert applied is not None
                assert affected == (applied.devices_suspended if name == "suspend" else applied.devices_restored)
                times[name].append(seconds)
                _say(f"{label}: apply ({name}) {seconds:.2f} s")
            sequence += 2
    store.dispose()
    where = f"{label} {count:,} Devices"
    return [
        Measurement(
            f"{where}: apply withdrawal of {REMOVED}/{MODELS} models ({affected:,} suspended)",
            min(times["suspend"]),
            "raw single UPDATE of the same rows",
            min(times["raw suspend"]),
            1.5,
        ),
        Measurement(
            f"{where}: apply reinstatement ({affected:,} restored)",
            min(times["restore"]),
            "raw single UPDATE of the same rows",
            min(times["raw restore"]),
            1.5,
        ),
        Measurement(
            f"{where}: seed ({count / seeded:,.0f} Devices/s)",
            seeded,
            f"raw executemany, indexed table ({count / raw_indexed:,.0f}/s)",
            raw_indexed,
        ),
        Measurement(
            f"{where}: seed ({count / seeded:,.0f} Devices/s)",
            seeded,
            f"raw executemany, bare table ({count / raw_bare:,.0f}/s)",
            raw_bare,
        ),
    ]


def _withdrawn_models(
    store: Store, models: Sequence[ModelKey], refs: dict[ModelKey, int], count: int
) -> frozenset[ModelKey]:
    """50 models covering about 2.5% of the Devices in suspendable statuses (250,000 of 10,000,000)."""
    with store.begin() as conn:
        per_ref: dict[int, int] = dict(
            conn.execute(
                select(devices.c.model_ref, func.count())
                .where(devices.c.status.in_(sorted(SUSPENDABLE_STATUSES)))
                .group_by(devices.c.model_ref)
            ).all()
        )
    candidates = list(models)
    random.Random(SEED).shuffle(candidates)
    remaining = TARGET_SHARE * count
    chosen: list[ModelKey] = []
    while len(chosen) < REMOVED:  # each pick the model nearest the share still to cover per pick left
        wanted = remaining / (REMOVED - len(chosen))
        pick = min(candidates, key=lambda k: abs(per_ref.get(refs[k], 0) - wanted))
        candidates.remove(pick)
        chosen.append(pick)
        remaining -= per_ref.get(refs[pick], 0)
    return frozenset(chosen)


def _all_model_refs(store: Store) -> dict[ModelKey, int]:
    m = device_models.c
    with store.begin() as conn:
        rows = conn.execute(
            select(m.id, m.physical_device_type, m.manufacturer_id, m.model_id, m.hardware_version, m.firmware_version)
        ).all()
    return {(r[1], r[2], r[3], r[4], r[5]): int(r[0]) for r in rows}


_RAW_DDL = (
    "CREATE TABLE devices (id INTEGER PRIMARY KEY, device_id VARCHAR(16) NOT NULL, model_ref INTEGER NOT NULL, "
    "status VARCHAR(32) NOT NULL, status_since VARCHAR(20) NOT NULL, status_before_suspension VARCHAR(32))"
)
_RAW_INDEXES = (
    "CREATE UNIQUE INDEX ux_devices_device_id ON devices (device_id)",
    "CREATE INDEX ix_devices_model_status ON devices (model_ref, status)",
)


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite(count: int, workdir: Path) -> list[Measurement]:
    def raw_insert(rows: list[tuple[int, str, int, str, str]], indexed: bool) -> float:
        path = workdir / f"raw-{'indexed' if indexed else 'bare'}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-262144", "temp_store=MEMORY"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(_RAW_DDL)
        for ddl in _RAW_INDEXES if indexed else ():
            conn.execute(ddl)
        start = time.perf_counter()
        conn.execute("BEGIN")
        for i in range(0, len(rows), 100_000):
            conn.executemany(
                "INSERT INTO devices (id, device_id, model_ref, status, status_since) VALUES (?, ?, ?, ?, ?)",
                rows[i : i + 100_000],
            )
        conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        conn.close()
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _say(f"sqlite: raw executemany ({'indexed' if indexed else 'bare'} table) {seconds:.1f} s")
        return seconds

    return _measure("SQLite", f"sqlite:///{workdir / 'smi.db'}", count, workdir, raw_insert)


# --- PostgreSQL -----------------------------------------------------------------------------


@contextmanager
def _postgres() -> Iterator[Any]:
    sys.path.insert(0, str(_ROOT))
    from tests.conftest import PostgresUnavailable, running_postgres

    settings = "-c shared_buffers=2GB -c max_wal_size=8GB -c checkpoint_timeout=30min -c work_mem=64MB"
    try:
        with running_postgres(settings) as server:
            yield server
    except PostgresUnavailable as error:
        _say(f"PostgreSQL left out: {error}")
        yield None


def _postgresql(count: int, workdir: Path) -> list[Measurement]:
    import psycopg

    with _postgres() as server:
        if server is None:
            return []
        url = server.create_database("bench_smi")

        def raw_insert(rows: list[tuple[int, str, int, str, str]], indexed: bool) -> float:
            name = f"raw_{'indexed' if indexed else 'bare'}"
            server.create_database(name)
            with psycopg.connect(host=str(server.socket_dir), port=server.port, user=server.user, dbname=name) as conn:
                conn.execute(_RAW_DDL)
                for ddl in _RAW_INDEXES if indexed else ():
                    conn.execute(ddl)
                conn.commit()
                start = time.perf_counter()
                with conn.cursor() as cursor:
                    for i in range(0, len(rows), 100_000):
                        cursor.executemany(
                            "INSERT INTO devices (id, device_id, model_ref, status, status_since) "
                            "VALUES (%s, %s, %s, %s, %s)",
                            rows[i : i + 100_000],
                        )
                conn.commit()
                seconds = time.perf_counter() - start
            server.drop_database(name)
            _say(f"postgresql: raw executemany ({'indexed' if indexed else 'bare'} table) {seconds:.1f} s")
            return seconds

        return _measure("PostgreSQL", url, count, workdir, raw_insert)


def run() -> list[Measurement]:
    sqlite_devices, pg_devices = _sizes()
    results: list[Measurement] = []
    for backend, count in ((_sqlite, sqlite_devices), (_postgresql, pg_devices)):
        workdir = Path(tempfile.mkdtemp(prefix="bench-smi-", dir=os.environ.get("BENCH_SMI_DIR")))
        try:
            results.extend(backend(count, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return results
