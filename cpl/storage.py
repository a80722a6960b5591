"""How the store is kept, in facts that need no SQLAlchemy, and a read-only SQLite reader.

`cpl.store` (SQLModel) builds on these. A command that only reads a few columns (`cpl check`) reads
them with ``read_sqlite`` and starts without loading SQLAlchemy at all; where it cannot (PostgreSQL,
an in-memory database, a store from an older version), the caller uses a unit of work instead.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from cpl.core import errors

#: How long a SQLite writer waits for another's lock before the store is reported busy (a reader too).
SQLITE_BUSY_TIMEOUT_MS = 5000

#: Plain SQL on the store: the rows of a query with named ``:parameters``, as tuples of the driver's
#: own values (on SQLite a date is ISO text and a boolean 0 or 1; on PostgreSQL a date and a bool).
Rows = Callable[[str, Mapping[str, str]], Iterable[tuple[Any, ...]]]

_T = TypeVar("_T")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sqlite_file(url: str, *, create: bool = True) -> Path | None:
    """The file of a ``sqlite:///PATH`` database URL; None for another backend or an in-memory database.

    ``create=False`` refuses a file that does not exist (``NoStoreError``): a command run from the
    wrong directory must not answer from a new, empty store (the CLI's set-up commands create one)."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    if not create and not path.exists():
        raise errors.NoStoreError(
            f"There is no CPL database at {path} (CPL_DATABASE_URL={url}): run cpl from the service's "
            "directory or set CPL_DATABASE_URL; a new store is started by `cpl parties add` or `cpl import-cpl`."
        )
    return path


def create_private_file(path: Path) -> None:
    """Create a SQLite database file readable by its owner only: it holds workbooks and token digests."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def busy_error() -> errors.StoreBusyError:
    return errors.StoreBusyError(
        "The CPL database is busy with another change; nothing was changed: try again in a moment."
    )


def firmware_tuple(stored: str) -> tuple[str, ...]:
    """The firmware versions of a stored ``certificate.firmware_versions`` column (comma separated)."""
    return tuple(v for v in stored.split(",") if v)


def read_sqlite(url: str, tables: Collection[str], read: Callable[[Rows], _T], *, create: bool = True) -> _T | None:
    """``read`` in one read-only transaction on the SQLite file of ``url``, without SQLAlchemy.

    None, having read nothing, where a unit of work must do it instead: ``url`` is not a SQLite file, the
    file is not there yet and may be created (``create``; else ``NoStoreError``), or the store lacks one
    of ``tables`` (one from an older version, which the store brings up to date when it opens).
    """
    path = sqlite_file(url, create=create)
    if path is None or not path.exists():
        return None
    connection = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro",
        uri=True,
        timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,  # no transaction of the driver's own: the BEGIN below is the one
    )
    try:
        connection.execute("BEGIN")  # deferred: one snapshot for every query, no lock a writer waits for
        present = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not present.issuperset(tables):
            return None
        return read(lambda sql, parameters: connection.execute(sql, parameters).fetchall())
    except sqlite3.OperationalError as problem:
        if problem.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            raise busy_error() from None
        raise
    finally:
        connection.close()  # ends the read transaction: nothing was written
