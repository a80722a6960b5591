"""What every route of the CPL service shares: its settings, one transaction per request, the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from sqlmodel import Session

from api.config import Settings
from cpl.services import unit_of_work


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
