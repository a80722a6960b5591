"""A firmware update racing an apply that suspends the same Device: the Device is never moved while Suspended.

A Device's history is replayed from the applies' per-model records and its firmware moves, so a move
must say truly which model each apply met. The apply is held inside its transaction just after it
suspended the Device's model; the firmware update starts then (it reads the Device as not Suspended,
the apply not being committed) and reaches its UPDATE; the apply is released and commits. The update
must then find the Device Suspended and refuse, keeping its firmware, and the Device's history must be
the one suspension. Real threads on SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from smi.errors import DeviceSuspendedError, InventoryBusyError
from smi.service import Inventory
from smi.store import Store
from tests.smi.factories import GAS, T0, cpl, key

A = key(GAS, "0001")
A2 = (*A[:4], "0200")  # A on new firmware: Active throughout


def test_a_firmware_update_that_waited_for_a_suspending_apply_refuses(store: Store, tmp_path: Path) -> None:
    inventory = Inventory(store, alerts_path=tmp_path / "alerts.jsonl")
    inventory.receive(cpl(1, [A, A2]).content(), received_at=T0 + dt.timedelta(hours=2))
    device = inventory.add_device(
        "00000000000000A1",
        physical_device_type=A[0],
        manufacturer_id=A[1],
        model_id=A[2],
        hardware_version=A[3],
        firmware_version=A[4],
        at=T0 + dt.timedelta(hours=2),
    )
    suspended_a, release = threading.Event(), threading.Event()

    def hold(step: str) -> None:
        if step == "DeviceSuspended":
            suspended_a.set()
            assert release.wait(30)

    store.checkpoint = hold
    applier = threading.Thread(
        target=inventory.receive,
        args=(cpl(2, [A2], [A]).content(),),
        kwargs={"received_at": T0 + dt.timedelta(hours=3)},
    )
    applier.start()
    assert suspended_a.wait(30)
    store.checkpoint = lambda step: None
    outcome: list[BaseException | None] = []

    def update() -> None:
        try:
            inventory.update_firmware(device.device_id, "0200", at=T0 + dt.timedelta(hours=3))
            outcome.append(None)
        except BaseException as error:  # the outcome is the assertion
            outcome.append(error)

    updater = threading.Thread(target=update)
    updater.start()
    _wait_until_blocked(store, updater)
    release.set()
    applier.join(30)
    updater.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], DeviceSuspendedError | InventoryBusyError), outcome
    view = inventory.device(device.device_id)
    assert (view.device.status, view.device.firmware_version) == ("Suspended", A[4])
    assert [(c.status, c.new_status, c.extract_sequence) for c in view.history] == [("Commissioned", "Suspended", 2)]


def _wait_until_blocked(store: Store, updater: threading.Thread) -> None:
    """Until the update waits on the apply's lock (PostgreSQL says so), or a moment has passed (SQLite)."""
    if store.backend != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + 20
    with store.engine.connect() as conn:
        while time.monotonic() < deadline and updater.is_alive():
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.05)
    pytest.fail("the firmware update never waited for the apply")
