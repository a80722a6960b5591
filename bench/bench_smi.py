"""SMI: apply a CPL change to a national-scale inventory, and seed it, against raw SQL on the same database.

On an inventory of BENCH_SMI_DEVICES Devices (default 10,000,000, on SQLite and on PostgreSQL) over
2,000 Active models, an extract withdraws 50 models (about 5% of the Devices) and the next one
reinstates them. Each is timed two ways: in-process (`Inventory.receive` of the verified content:
acceptance rules, record, the set-based apply in one transaction, alerts as JSON lines, a signed
receipt) and end to end (`smi ingest FILE.p7m` as a new process: start-up, the signature check and
all of the above). Both are set against one raw UPDATE statement changing the same rows on the same
database in the same run, medians of 3 rounds, the ways alternated round by round (an apply writes
no history row per Device: a Device's history is replayed from the per-model records). Seeding is set
against the raw load of the same rows into the same table with the same indexes: executemany on
SQLite; on PostgreSQL a server-side COPY from a file, the indexes built after. PostgreSQL runs on a
server the benchmark starts itself (durability on), and is left out, saying so, when it is not
installed. BENCH_SMI_PG_DEVICES sets its size apart (default: the same); BENCH_SMI_BACKENDS=sqlite
(or postgresql) runs one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import ROOT, Measurement
from formats.extract import Extract, ExtractEntry
from formats.vocabulary import CPL_CONTROLLED_TYPES
from smi.rules import SUSPENDABLE_STATUSES, ModelKey
from smi.seeding import device_rows, plan
from smi.service import Inventory
from smi.store import Store, device_models, devices

MODELS = 2_000
REMOVED = 50
TARGET_SHARE = 0.05  # of the Devices, as 500,000 of 10,000,000
SEED = 20261122
_T0 = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def _say(message: str) -> None:
    print(f"   .. {message}", file=sys.stderr, flush=True)


def _sizes() -> tuple[int, int]:
    sqlite_devices = int(os.environ.get("BENCH_SMI_DEVICES", "10000000"))
    pg_devices = int(os.environ.get("BENCH_SMI_PG_DEVICES", str(sqlite_devices)))
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


_RECEIPT_SPEC = "pem:{k}/dcc-receipt-signer.pem:{k}/dcc-receipt-signer.key.pem:{k}/issuing-ca.pem"
ROUNDS = 3


def _receipts(directory: Path) -> Any:
    from smi.signed import ReceiptSigner

    return ReceiptSigner.from_spec(_RECEIPT_SPEC.format(k=ROOT / "keys-dev"), directory / "receipts")


def _signed(extract: Extract, path: Path) -> Path:
    from signing.cms import sign_data
    from signing.signers import PemKeySigner

    keys = ROOT / "keys-dev"
    signer = PemKeySigner.from_files(
        keys / "secas-signer-1.pem", keys / "secas-signer-1.key.pem", chain=[keys / "issuing-ca.pem"]
    )
    path.write_bytes(sign_data(extract.content(), signer, signing_time=extract.issued_at))
    return path


def _smi_environment(url: str, workdir: Path) -> dict[str, str]:
    # as a user's shell runs it: bytecode may be cached (this machine sets PYTHONDONTWRITEBYTECODE,
    # which would make every run compile the modules again, as `bench_startup` says)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMI_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        SMI_DATABASE_URL=url,
        SMI_TRUST_ANCHORS=str(ROOT / "keys-dev" / "root-ca.pem"),
        SMI_RECEIPT_SIGNER=_RECEIPT_SPEC.format(k=ROOT / "keys-dev"),
        SMI_ALERTS_PATH=str(workdir / "alerts.jsonl"),
        SMI_RECEIPTS_DIR=str(workdir / "receipts"),
    )
    return env


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    begin = time.perf_counter()
    result = work()
    return time.perf_counter() - begin, result


# --- one backend ----------------------------------------------------------------------------


def _measure(
    label: str, url: str, count: int, workdir: Path, raw_seed: Callable[[Path, list[Any]], float]
) -> list[Measurement]:
    store = Store.open(url)
    inventory = Inventory(store, alerts_path=workdir / "alerts.jsonl", receipts=_receipts(workdir))
    models = _models()
    first = _extract(1, models, frozenset())
    inventory.receive(first.content(), received_at=_T0 + dt.timedelta(hours=1))

    _say(f"{label}: seeding {count:,} Devices over {MODELS:,} models")
    seeded, _ = _timed(lambda: inventory.seed(first, count, seed=SEED, at=_T0))
    _say(f"{label}: seeded in {seeded:.1f} s; the same rows for the raw load")
    refs = _all_model_refs(store)  # the same models the seed drew from, so the same rows
    rows = list(device_rows(plan(refs), count, first_row_id=1, seed=SEED, at=_T0))
    raw_seeded = raw_seed(workdir, rows)
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

    raw_sql = raw_updates(removed_refs)

    def raw(step: str) -> float:
        seconds, changed = _timed(lambda: _execute(store, raw_sql[step]))
        assert changed == affected, (step, changed, affected)
        return seconds

    sequence = 2

    def in_process(step: str) -> float:
        nonlocal sequence
        extract = _extract(sequence, models, withdrawn if step == "suspend" else frozenset())
        sequence += 1
        received = _T0 + dt.timedelta(hours=extract.sequence)
        seconds, result = _timed(lambda: inventory.receive(extract.content(), received_at=received))
        applied = result.this_applied
        assert applied is not None
        assert affected == (applied.devices_suspended if step == "suspend" else applied.devices_restored)
        return float(seconds)

    environment = _smi_environment(url, workdir)
    smi = str(Path(sys.executable).with_name("smi"))

    def end_to_end(step: str) -> float:
        nonlocal sequence
        extract = _extract(sequence, models, withdrawn if step == "suspend" else frozenset())
        sequence += 1
        path = _signed(extract, workdir / f"cpl-{extract.sequence}.p7m")
        received = (_T0 + dt.timedelta(hours=extract.sequence)).strftime("%Y-%m-%dT%H:%M:%SZ")
        command = [smi, "ingest", str(path), "--received-at", received, "--json"]
        seconds, done = _timed(lambda: subprocess.run(command, env=environment, capture_output=True, text=True))
        assert done.returncode == 0, done.stderr
        applied = json.loads(done.stdout)["applied"][-1]
        assert applied["devices_suspended" if step == "suspend" else "devices_restored"] == affected, applied
        return float(seconds)

    def raw_alerts(step: str) -> float:
        seconds, changed = _timed(lambda: _update_with_alert_lines(store, raw_sql[step], workdir / "raw-alerts"))
        assert changed == affected, (step, changed, affected)
        return seconds

    ways: dict[str, Callable[[str], float]] = {
        "raw": raw,
        "raw with alert lines": raw_alerts,
        "in-process": in_process,
        "end to end": end_to_end,
    }
    times: dict[tuple[str, str], list[float]] = {}
    for round_number in range(ROUNDS):
        order = list(ways)[round_number % len(ways) :] + list(ways)[: round_number % len(ways)]
        for way in order:
            for step in ("suspend", "restore"):
                seconds = ways[way](step)
                times.setdefault((way, step), []).append(seconds)
                _say(f"{label}: {way} {step} {seconds:.2f} s")
    store.dispose()

    def median(way: str, step: str) -> float:
        return statistics.median(times[(way, step)])

    where = f"{label} {count:,} Devices"
    results = []
    for step, what in (
        ("suspend", f"withdrawal ({affected:,} suspended)"),
        ("restore", f"re-listing ({affected:,} restored)"),
    ):
        for way in ("in-process", "end to end"):
            results.append(
                Measurement(
                    f"{where}: {what}, {way}",
                    median(way, step),
                    "raw single UPDATE of the same rows",
                    median("raw", step),
                    1.3,
                )
            )
        results.append(
            Measurement(
                f"{where}: {what}, in-process, against the floor of an alert per Device",
                median("in-process", step),
                "the raw UPDATE returning each Device's alert line, written to a file",
                median("raw with alert lines", step),
            )
        )
    results.append(
        Measurement(
            f"{where}: seed ({count / seeded:,.0f} Devices/s)",
            seeded,
            f"raw load, same indexes ({count / raw_seeded:,.0f}/s)",
            raw_seeded,
            1.5,
        )
    )
    return results


def raw_updates(model_refs: Sequence[int]) -> dict[str, str]:
    """The raw baseline: one UPDATE that suspends the suspendable Devices of these models as an apply
    does (remembering their status), and one that restores them."""
    ids = ",".join(str(r) for r in model_refs)
    statuses = ",".join(f"'{s.value}'" for s in sorted(SUSPENDABLE_STATUSES))
    return {
        "suspend": (
            f"UPDATE devices SET status_before_suspension = status, status = 'Suspended', "
            f"status_since = '2026-11-23T00:00:00Z' WHERE model_ref IN ({ids}) AND status IN ({statuses})"
        ),
        "restore": (
            f"UPDATE devices SET status = status_before_suspension, status_before_suspension = NULL, "
            f"status_since = '2026-11-23T00:00:01Z' WHERE model_ref IN ({ids}) AND status = 'Suspended' "
            f"AND status_before_suspension IS NOT NULL"
        ),
    }


#: The alert line a raw UPDATE returns (the apply's own format: keys sorted, nothing to escape).
_RAW_LINE = (
    "'{\"alert\":\"' || CASE WHEN status = 'Suspended' THEN 'DeviceSuspended' ELSE 'DeviceRestored' END"
    ' || \'","device_id":"\' || device_id || \'","extract_sequence":0,"previous_status":"\''
    ' || coalesce(status_before_suspension, \'Suspended\') || \'","raised_at":"2026-11-23T00:00:00Z",'
    '"status":"\' || status || \'"}\''
)


def _update_with_alert_lines(store: Store, statement: str, path: Path) -> int:
    """The floor of an apply that must raise an alert per Device: the raw UPDATE, each changed row's
    alert line returned (PostgreSQL: by COPY; SQLite: RETURNING) into a file, fsynced, committed."""
    returning = f"{statement} RETURNING {_RAW_LINE}"
    connection = store.engine.raw_connection()
    try:
        driver: Any = connection.driver_connection
        changed = 0
        with path.open("wb") as out:
            cursor = driver.cursor()
            if store.backend == "postgresql":
                with cursor.copy(f"COPY ({returning}) TO STDOUT") as copy:
                    for data in copy:
                        out.write(data)
                changed = int(cursor.rowcount)
            else:
                cursor.execute(returning)
                while rows := cursor.fetchmany(50_000):
                    out.write(("\n".join(row[0] for row in rows) + "\n").encode())
                    changed += len(rows)
            cursor.close()
            out.flush()
            os.fsync(out.fileno())
        connection.commit()
        return changed
    finally:
        connection.close()


def _execute(store: Store, *statements: str) -> int:
    """Run the statements in one transaction; the rows the last one changed."""
    with store.engine.begin() as conn:
        changed = 0
        for sql in statements:
            changed = int(conn.exec_driver_sql(sql).rowcount)
        return changed


def _withdrawn_models(
    store: Store, models: Sequence[ModelKey], refs: dict[ModelKey, int], count: int
) -> frozenset[ModelKey]:
    """50 models covering about 5% of the Devices in suspendable statuses (500,000 of 10,000,000)."""
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


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite(count: int, workdir: Path) -> list[Measurement]:
    def raw_seed(directory: Path, rows: list[Any]) -> float:
        """executemany into the inventory's own devices table (same DDL, same indexes), in one transaction."""
        path = directory / "raw.db"
        shaped = Store.open(f"sqlite:///{path}")
        shaped.dispose()
        conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-262144", "temp_store=MEMORY"):
            conn.execute(f"PRAGMA {pragma}")
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
        for suffix in ("", "-wal", "-shm", "-applier.lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _say(f"sqlite: raw executemany (indexed table) {seconds:.1f} s")
        return seconds

    return _measure("SQLite", f"sqlite:///{workdir / 'smi.db'}", count, workdir, raw_seed)


# --- PostgreSQL -----------------------------------------------------------------------------

#: Durability on (fsync, synchronous_commit, full_page_writes are PostgreSQL's defaults).
PG_SETTINGS = "-c shared_buffers=2GB -c max_wal_size=16GB -c checkpoint_timeout=30min -c work_mem=64MB"


@contextmanager
def postgres(settings: str = PG_SETTINGS) -> Iterator[Any]:
    from tests.conftest import PostgresUnavailable, running_postgres

    try:
        with running_postgres(settings) as server:
            yield server
    except PostgresUnavailable as error:
        _say(f"PostgreSQL left out: {error}")
        yield None


def copy_seed(server: Any, directory: Path, rows: Iterable[Sequence[Any]]) -> float:
    """The raw floor of a seed: a server-side COPY of the rows from a file into the inventory's own
    devices table (same DDL), then the same indexes built, in one transaction."""
    import psycopg

    from smi.store import device_index_ddl

    directory.chmod(0o755)  # the server reads the file as its own user
    source = directory / "devices.tsv"
    with source.open("w") as out:
        out.writelines(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4]}\n" for r in rows)
    source.chmod(0o644)
    name = "raw_seed"
    url = server.create_database(name)
    shaped = Store.open(url)
    shaped.dispose()
    with psycopg.connect(host=str(server.socket_dir), port=server.port, user=server.user, dbname=name) as conn:
        for index_name in device_index_ddl():
            conn.execute(f"DROP INDEX {index_name}")
        conn.commit()
        start = time.perf_counter()
        conn.execute(f"COPY devices (id, device_id, model_ref, status, status_since) FROM '{source}'")
        for ddl in device_index_ddl().values():
            conn.execute(ddl)
        conn.commit()
        seconds = time.perf_counter() - start
    server.drop_database(name)
    source.unlink()
    _say(f"postgresql: raw server-side COPY and index build {seconds:.1f} s")
    return seconds


def _postgresql(count: int, workdir: Path) -> list[Measurement]:
    with postgres() as server:
        if server is None:
            return []
        url = server.create_database("bench_smi")
        return _measure("PostgreSQL", url, count, workdir, lambda d, rows: copy_seed(server, d, rows))


def run() -> list[Measurement]:
    sqlite_devices, pg_devices = _sizes()
    results: list[Measurement] = []
    chosen = os.environ.get("BENCH_SMI_BACKENDS", "sqlite,postgresql").split(",")
    for name, backend, count in (("sqlite", _sqlite, sqlite_devices), ("postgresql", _postgresql, pg_devices)):
        if name not in chosen:
            continue
        workdir = Path(tempfile.mkdtemp(prefix="bench-smi-", dir=os.environ.get("BENCH_SMI_DIR")))
        try:
            results.extend(backend(count, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return results
