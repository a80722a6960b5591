"""One page of a list that grows: the rows in a stable order, and how many match in all.

The total is one ``count(*)`` with the list's own filter; the page is the same query with its order,
``OFFSET`` and ``LIMIT``. Every list is ordered by a unique key (its id), so pages never overlap or
skip a row between two calls that nothing changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def count(session: Session, query: SelectOfScalar[Any]) -> int:
    """How many rows ``query`` (its filter, not its order or bounds) matches."""
    return int(session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one())


def page(session: Session, query: SelectOfScalar[T], *, limit: int, offset: int) -> Page[T]:
    """The rows of the ordered ``query`` from ``offset``, at most ``limit``, with the total it matches."""
    rows = list(session.exec(query.offset(offset).limit(limit)).all())
    return Page(rows, count(session, query), limit, offset)
