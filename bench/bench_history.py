"""Costs that stay flat as history grows: an audited change, the latest extract, the published CPL.

Each is timed with 1,000, 10,000 and 100,000 stored audit events (and 10, 100 and 1,000 issued
extracts), medians of 5, ours and the baseline alternated: the baseline is the raw one-row work on
the same database file (an INSERT and commit; a primary-key read). The aim is the ratio between the
largest and the smallest history, which must stay near 1 (flat), and each ratio to its baseline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import tempfile
from pathlib import Path

from sqlmodel import Session

from bench import Measurement, median_alternated
from cpl import audit, publication
from cpl.services import extracts as extract_service
from cpl.store import AuditHead, get_engine, session_scope
from formats.extract import Extract

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
EVENT_COUNTS = (1_000, 10_000, 100_000)
EXTRACT_COUNTS = (10, 100, 1_000)
REPEAT = 5


def _history(path: Path, events: int, extracts: int) -> str:
    """A store with ``events`` audit events and ``extracts`` issued extracts (small stand-in content)."""
    url = f"sqlite:///{path}"
    get_engine(url)  # the schema
    connection = sqlite3.connect(path)
    previous = "0" * 64
    rows = []
    for i in range(events):
        event_hash = hashlib.sha256(f"{previous}{i}".encode()).hexdigest()
        rows.append((NOW.isoformat(), "bench", "bench.event", f"n:{i}", "{}", previous, event_hash))
        previous = event_hash
    connection.executemany(
        "INSERT INTO auditevent (at, actor, action, subject, details_json, previous_hash, event_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.execute("UPDATE audithead SET event_hash = ?, events = ? WHERE id = 1", (previous, events))
    connection.execute(
        "INSERT INTO party (party_id, name, role, created_at) VALUES ('secas', 'SECAS', 'secas', ?)", (NOW.isoformat(),)
    )
    connection.execute(
        "INSERT INTO user (user_id, party_id, name, created_at) VALUES ('alice', 'secas', 'A', ?)", (NOW.isoformat(),)
    )
    previous_sha: str | None = None
    for sequence in range(1, extracts + 1):
        content = Extract(sequence=sequence, issued_at=NOW, previous_sha256=previous_sha, entries=()).content()
        digest = hashlib.sha256(content).hexdigest()
        cursor = connection.execute(
            "INSERT INTO extractdraft (sequence, previous_sha256, issued_at, content, content_sha256, changes_json,"
            " prepared_by, prepared_at, state) VALUES (?, ?, ?, ?, ?, '{}', 'alice', ?, 'issued')",
            (sequence, previous_sha, NOW.isoformat(), content, digest, NOW.isoformat()),
        )
        connection.execute(
            "INSERT INTO issuedextract (sequence, draft_id, issued_at, content_sha256, previous_sha256, signed,"
            " signer_subject, prepared_by, approved_by, approved_at) VALUES (?, ?, ?, ?, ?, ?, 'bench', 'alice',"
            " 'bob', ?)",
            (sequence, cursor.lastrowid, NOW.isoformat(), digest, previous_sha, b"\0" * 4096, NOW.isoformat()),
        )
        previous_sha = digest
    connection.commit()
    connection.close()
    return url


_RAW = iter(range(10**9))


def _raw_insert(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "INSERT INTO auditevent (at, actor, action, subject, details_json, previous_hash, event_hash)"
        " VALUES (?, 'raw', 'raw', 'raw', '{}', ?, ?)",
        (NOW.isoformat(), "0" * 64, hashlib.sha256(f"raw {next(_RAW)}".encode()).hexdigest()),
    )
    connection.commit()
    connection.close()


def _raw_read(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("SELECT * FROM audithead WHERE id = 1").fetchone()
    connection.close()


def _measure(url: str, path: Path, events: int, extracts: int) -> dict[str, Measurement]:
    counter = iter(range(10**9))

    def append() -> None:
        with session_scope(url) as s:
            audit.record(s, actor="bench", action="bench.append", subject=f"x:{next(counter)}", now=NOW)

    def latest() -> None:
        with Session(get_engine(url)) as s:
            extract_service.last_issued(s)

    def published() -> None:
        with Session(get_engine(url)) as s:
            publication.published_cpl(s)

    measured = {
        "append": Measurement(
            f"audited change, {events:,} events",
            *_pair(median_alternated(REPEAT, append, lambda: _raw_insert(path)), "raw INSERT + commit"),
        ),
        "latest": Measurement(
            f"latest extract, {extracts:,} issued",
            *_pair(median_alternated(REPEAT, latest, lambda: _raw_read(path)), "raw one-row read"),
        ),
        "published": Measurement(
            f"published CPL, {extracts:,} issued",
            *_pair(median_alternated(REPEAT, published, lambda: _raw_read(path)), "raw one-row read"),
        ),
    }
    with Session(get_engine(url)) as s:
        head = s.get(AuditHead, 1)
        assert head is not None and head.events > events  # the appends went through the head
    return measured


def _pair(timings: tuple[float, float], baseline: str) -> tuple[float, str, float]:
    return timings[0], baseline, timings[1]


def run() -> list[Measurement]:
    results: list[Measurement] = []
    series: dict[str, list[Measurement]] = {"append": [], "latest": [], "published": []}
    with tempfile.TemporaryDirectory() as work:
        for events, extracts in zip(EVENT_COUNTS, EXTRACT_COUNTS, strict=True):
            path = Path(work) / f"history-{events}.db"
            for name, measurement in _measure(_history(path, events, extracts), path, events, extracts).items():
                series[name].append(measurement)
                results.append(measurement)
    for name, measured in series.items():
        results.append(
            Measurement(
                f"{name}: largest history / smallest (flat)",
                measured[-1].seconds,
                f"{name} at the smallest",
                measured[0].seconds,
                1.5,
            )
        )
    return results
