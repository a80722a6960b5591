"""The simulator's fixtures: a fresh inventory, and the `smi` command over one, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smi.service import Inventory
from smi.store import Store, engine_for
from tests.conftest import PostgresServer
from tests.smi.commandline import SmiRun, environment

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty inventory database on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'smi.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store(engine_for(database_url))
    opened.create()
    yield opened
    opened.dispose()


@pytest.fixture
def inventory(store: Store, tmp_path: Path) -> Inventory:
    return Inventory(store, alerts_path=tmp_path / "alerts.jsonl")


@pytest.fixture
def fresh_store(database_url: str) -> Iterator[Callable[[], Store]]:
    """For the stateful tests: an empty inventory per example, on the same database."""
    engine = engine_for(database_url)

    def make() -> Store:
        opened = Store(engine)
        opened.drop()
        opened.create()
        return opened

    yield make
    engine.dispose()


@pytest.fixture
def smi(tmp_path: Path) -> SmiRun:
    """The `smi` command on a fresh SQLite inventory in its own directory."""
    return SmiRun(tmp_path, environment(tmp_path, f"sqlite:///{tmp_path / 'smi.db'}"))


@pytest.fixture
def smi_on_each_backend(tmp_path: Path, database_url: str) -> SmiRun:
    """The `smi` command on a fresh inventory, on SQLite and on PostgreSQL in turn."""
    return SmiRun(tmp_path, environment(tmp_path, database_url))
