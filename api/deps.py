"""What every route of the CPL service shares: its settings, one transaction per request, the clock,
and the version registry."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request
from sqlmodel import Session

from api.config import Settings
from cpl.core.specs import SpecRegistry
from cpl.services import unit_of_work
from cpl.specs_file import load_registry


def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


@contextmanager
def transaction(request: Request, *, write: bool = True) -> Iterator[Session]:
    """The request's one unit of work: committed if the route returns, rolled back whole if it raises.

    ``write=False`` for a route that only reads: on SQLite it never waits for a writer's lock.
    """
    with unit_of_work(settings_of(request).cpl, write=write) as session:
        yield session


def now() -> dt.datetime:
    """The time of a request, read once (microseconds dropped: extracts and receipts carry seconds)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class RegistryFile:
    """The version registry SECAS keeps (``CPL_SPECS_FILE``), parsed once per version of the file.

    SECAS edits it with ``cpl specs`` while the service runs, and ``save_registry`` replaces the file
    whole, so a new file is a new inode, modification time or size: each request looks (one ``stat``)
    and parses it again only then.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int, int] | None, SpecRegistry] | None = None

    def _version(self) -> tuple[int, int, int] | None:
        try:
            status = self._path.stat()
        except FileNotFoundError:
            return None  # the packaged default, until SECAS first changes it
        return status.st_ino, status.st_mtime_ns, status.st_size

    def current(self) -> SpecRegistry:
        version = self._version()
        cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            # stat before reading: a file replaced in between is read again by the next request
            version = self._version()
            registry = load_registry(self._path)
            self._cached = (version, registry)
            return registry


def registry_of(request: Request) -> SpecRegistry:
    """The version registry as the file says now."""
    registry_file = request.app.state.registry_file
    assert isinstance(registry_file, RegistryFile)
    return registry_file.current()
