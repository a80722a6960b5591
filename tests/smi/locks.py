"""Another process holding the inventory's database locked, for the tests of a busy inventory.

`held(database_url, kind)` starts a process that takes the lock and keeps it until the block ends:
``write`` (SQLite ``BEGIN IMMEDIATE``: readers go on, writers wait), ``exclusive`` (SQLite in exclusive
locking mode with a write under way: readers wait too) or, on PostgreSQL, ``ACCESS EXCLUSIVE`` table
locks on the inventory's tables (everything waits).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

_SQLITE = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    connection.execute("PRAGMA locking_mode=EXCLUSIVE")
    connection.execute("BEGIN EXCLUSIVE")
    connection.execute("UPDATE extracts SET signer = signer")
else:
    connection.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
"""

_POSTGRES = """
import psycopg, sys
connection = psycopg.connect(sys.argv[1])
connection.execute("LOCK TABLE extracts, devices, device_models IN ACCESS EXCLUSIVE MODE")
print("held", flush=True)
sys.stdin.read()
"""


@contextmanager
def held(database_url: str, kind: str = "write") -> Iterator[None]:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        script, target = _SQLITE, str(url.database)
    else:
        script, target = _POSTGRES, url.set(drivername="postgresql").render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", script, target, kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
