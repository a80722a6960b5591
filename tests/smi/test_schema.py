"""The inventory's shape for national scale: a status change writes no index, on both backends.

An apply finds its Devices by model and filters them on status; if an index held `status`, every
changed Device would cost index insertions and PostgreSQL could never rewrite it in place (a HOT
update). So no Device index holds a column an apply writes, the devices table keeps a tenth of each
page free on PostgreSQL, and a database from before this shape is brought to it when opened.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import inspect, text

from smi.service import Inventory
from smi.store import Store, engine_for
from tests.smi.factories import ELECTRICITY, GAS, HUB, T0, cpl, key

WRITTEN_BY_AN_APPLY = {"status", "status_since", "status_before_suspension"}


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


#: Thirty models, so that one withdrawn covers a few percent of the Devices (as a real withdrawal does).
MODELS = [key(kind, f"{n:04X}") for n, kind in enumerate([GAS, HUB, ELECTRICITY] * 10)]


def test_no_device_index_holds_a_column_an_apply_writes(store: Store) -> None:
    with store.engine.connect() as conn:
        indexes = inspect(conn).get_indexes("devices")
    assert {"ux_devices_device_id", "ix_devices_model"} <= {i["name"] for i in indexes}
    for index in indexes:
        assert not set(index["column_names"]) & WRITTEN_BY_AN_APPLY, index


def test_an_older_database_loses_its_status_index_and_keeps_its_devices(database_url: str) -> None:
    old = Store(engine_for(database_url))
    old.create()
    inventory = Inventory(old, alerts_path=None)
    inventory.receive(cpl(1, MODELS).content(), received_at=at(1))
    inventory.seed(cpl(1, MODELS), 500, seed=3, at=at(1))
    with old.engine.begin() as conn:  # as the previous version left it
        conn.execute(text("DROP INDEX ix_devices_model"))
        conn.execute(text("CREATE INDEX ix_devices_model_status ON devices (model_ref, status)"))
        if old.backend == "postgresql":
            conn.execute(text("ALTER TABLE devices RESET (fillfactor)"))
    old.dispose()

    reopened = Store.open(database_url)
    with reopened.engine.connect() as conn:
        names = {i["name"] for i in inspect(conn).get_indexes("devices")}
        count = conn.execute(text("SELECT count(*) FROM devices")).scalar_one()
        options = (
            conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'devices'")).scalar_one()
            if reopened.backend == "postgresql"
            else None
        )
    reopened.dispose()
    assert "ix_devices_model_status" not in names and "ix_devices_model" in names
    assert count == 500
    if options is not None:
        assert "fillfactor=90" in options


@pytest.mark.postgres
def test_on_postgresql_a_withdrawal_rewrites_every_device_in_place(postgres_server: object) -> None:
    """Every Device a withdrawal suspends, and every one the re-listing restores, is a HOT update."""
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    store = Store.open(url)
    inventory = Inventory(store, alerts_path=None)
    inventory.receive(cpl(1, MODELS).content(), received_at=at(1))
    inventory.seed(cpl(1, MODELS), 20_000, seed=5, at=at(1))
    withdrawn = MODELS[:1]  # about 3% of the Devices: within the tenth of each page kept free
    applied = inventory.receive(cpl(2, MODELS[1:], withdrawn).content(), received_at=at(2)).this_applied
    restored = inventory.receive(cpl(3, MODELS).content(), received_at=at(3)).this_applied
    assert applied is not None and restored is not None and applied.devices_suspended > 300
    changed = applied.devices_suspended + restored.devices_restored

    deadline = time.monotonic() + 30
    with store.engine.connect() as conn:
        while True:  # the statistics collector reports a little after the commit
            updated, hot = conn.execute(
                text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'devices'")
            ).one()
            if updated >= changed or time.monotonic() > deadline:
                break
            time.sleep(0.2)
            conn.rollback()
    store.dispose()
    assert updated == changed
    assert hot == updated
