"""The inventory kept in step with the CPL, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from formats.extract import Extract
from smi.errors import (
    DeviceExistsError,
    DeviceSuspendedError,
    ExtractEquivocationError,
    ExtractFormatRefusedError,
    ExtractOutOfOrderError,
    ExtractRefusedError,
    ExtractRollbackError,
    FirmwareNotActiveError,
    FutureDatedExtractError,
    ModelNotActiveError,
    SeedExtractNotInForceError,
    UnexplainedRemovalError,
)
from smi.rules import SUSPENDABLE_STATUSES, UNTOUCHED_STATUSES, SmiStatus
from smi.service import Inventory
from smi.store import Store, device_models, devices, engine_for, extract_models, extracts, status_history
from tests.smi.factories import ELECTRICITY, GAS, HUB, IHD, T0, Key, cpl, entry, extract, key

A, B, C = key(GAS, "0001"), key(HUB, "0002"), key(ELECTRICITY, "0003")
A2 = key(GAS, "0001", "0200")  # model A on new firmware
DISPLAY = key(IHD, "0009")
#: The populated inventory's Devices of model A, one per SMI Status a Device may enter in.
DEVICE_OF = {
    status: f"00000000000000{number:02X}"
    for number, status in enumerate(sorted(set(SmiStatus) - {SmiStatus.SUSPENDED}))
}
COMMISSIONED_A = DEVICE_OF[SmiStatus.COMMISSIONED]


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def receive(inventory: Inventory, made: Extract, hours: float, *, defer: bool = False) -> None:
    inventory.receive(made.content(), received_at=at(hours), defer=defer)


def add(inventory: Inventory, device_id: str, model: Key, status: SmiStatus = SmiStatus.COMMISSIONED) -> None:
    kind, manufacturer, model_id, hardware, firmware = model
    inventory.add_device(
        device_id,
        physical_device_type=kind,
        manufacturer_id=manufacturer,
        model_id=model_id,
        hardware_version=hardware,
        firmware_version=firmware,
        status=status,
        at=at(0.5),
    )


def statuses(inventory: Inventory) -> dict[str, tuple[str, str | None]]:
    with inventory.store.begin() as conn:
        rows = conn.execute(select(devices.c.device_id, devices.c.status, devices.c.status_before_suspension)).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def snapshot(inventory: Inventory) -> tuple[object, ...]:
    """Everything apply may change: Devices, models on the CPL, what it records per model, history rows and the
    accepted extracts."""
    with inventory.store.begin() as conn:
        return (
            sorted(tuple(r) for r in conn.execute(select(devices)).all()),
            sorted(tuple(r) for r in conn.execute(select(device_models)).all()),
            sorted(tuple(r) for r in conn.execute(select(extract_models)).all()),
            sorted(tuple(r) for r in conn.execute(select(status_history)).all()),
            sorted(
                tuple(r)
                for r in conn.execute(
                    select(extracts.c.sequence, extracts.c.state, extracts.c.applied_at).where(
                        extracts.c.state != "refused"
                    )
                ).all()
            ),
        )


@pytest.fixture
def populated(inventory: Inventory) -> Inventory:
    """CPL 1 lists A, B and C Active; one Device of A per SMI Status, plus a B and an IHD."""
    receive(inventory, cpl(1, [A, B, C]), 1)
    for status, device_id in DEVICE_OF.items():
        add(inventory, device_id, A, status)
    add(inventory, "00000000000000B0", B)
    add(inventory, "00000000000000D0", DISPLAY)
    return inventory


# --- apply ----------------------------------------------------------------------------------


def test_removed_model_suspends_its_devices_in_suspendable_statuses_remembering_them(populated: Inventory) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2)
    after = statuses(populated)
    for status, device in DEVICE_OF.items():
        if status in SUSPENDABLE_STATUSES:
            assert after[device] == ("Suspended", status.value)
        else:
            assert status in UNTOUCHED_STATUSES
            assert after[device] == (status.value, None)
    assert after["00000000000000B0"] == ("Commissioned", None)
    assert after["00000000000000D0"] == ("Commissioned", None)


def test_restored_devices_get_exactly_their_status_back(populated: Inventory) -> None:
    before = statuses(populated)
    receive(populated, cpl(2, [B, C], removed=[A]), 2)
    receive(populated, cpl(3, [A, B, C]), 3)
    assert statuses(populated) == before


def test_model_re_added_as_a_new_entry_restores_its_devices(populated: Inventory) -> None:
    before = statuses(populated)
    receive(populated, cpl(2, [B, C], removed=[A]), 2)
    re_added = extract(3, [entry(A, status="Withdrawn"), entry(A, entry_id="CPL-NEW-A"), entry(B), entry(C)])
    receive(populated, re_added, 3)
    assert statuses(populated) == before
    view = populated.device(COMMISSIONED_A)
    assert view.device.cpl_entry_id == "CPL-NEW-A"


def test_suspension_and_restoration_raise_alerts_stored_and_written(populated: Inventory, tmp_path: Path) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2)
    receive(populated, cpl(3, [A, B, C]), 3)
    lines = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    counts = Counter((line["alert"], line["extract_sequence"]) for line in lines)
    changed = len(SUSPENDABLE_STATUSES)
    assert counts == {("DeviceSuspended", 2): changed, ("DeviceRestored", 3): changed}
    restored = [line for line in lines if line["alert"] == "DeviceRestored"]
    assert {line["status"] for line in restored} == {s.value for s in SUSPENDABLE_STATUSES}
    history = populated.device(COMMISSIONED_A).history
    assert [(h.status, h.new_status, h.alert) for h in history] == [
        ("Commissioned", "Suspended", "DeviceSuspended"),
        ("Suspended", "Commissioned", "DeviceRestored"),
    ]


def test_firmware_withdrawn_suspends_only_devices_on_that_firmware(inventory: Inventory) -> None:
    receive(inventory, cpl(1, [A, A2]), 1)
    add(inventory, "00000000000000A1", A)
    add(inventory, "00000000000000A2", A2)
    receive(inventory, cpl(2, [A2], removed=[A]), 2)
    assert statuses(inventory) == {
        "00000000000000A1": ("Suspended", "Commissioned"),
        "00000000000000A2": ("Commissioned", None),
    }


def test_apply_counts_and_receipt_fields(populated: Inventory) -> None:
    result = populated.receive(cpl(2, [B, C], removed=[A]).content(), received_at=at(2))
    applied = result.this_applied
    assert applied is not None
    assert (applied.devices_suspended, applied.devices_restored) == (len(SUSPENDABLE_STATUSES), 0)
    assert applied.in_time and applied.applied_at == at(2)


# --- harmless repeats and refusals ----------------------------------------------------------


def test_applying_the_same_extract_twice_changes_nothing(populated: Inventory) -> None:
    second = cpl(2, [B, C], removed=[A])
    receive(populated, second, 2)
    before = snapshot(populated)
    result = populated.receive(second.content(), received_at=at(3))
    assert result.outcome == "repeat"
    assert snapshot(populated) == before


@pytest.mark.parametrize(
    ("made", "hours", "error"),
    [
        (cpl(1, [A]), 2, ExtractEquivocationError),
        (cpl(1, [A, B, C], issued_at=T0), 2, ExtractRefusedError),  # same as sequence 1's content? no: other time
        (extract(2, [entry(A), entry(B)]), 2, UnexplainedRemovalError),
        (cpl(2, [A, B, C], issued_at=at(10)), 2, FutureDatedExtractError),
        (cpl(2, [A, B, C], issued_at=T0), 2, ExtractOutOfOrderError),
    ],
    ids=["equivocation", "equivocation-by-time", "unexplained-removal", "future-dated", "out-of-order"],
)
def test_a_refused_extract_changes_nothing_and_is_recorded(
    populated: Inventory, made: Extract, hours: float, error: type[ExtractRefusedError]
) -> None:
    before = snapshot(populated)
    with pytest.raises(error) as refused:
        receive(populated, made, hours)
    assert snapshot(populated) == before
    report = populated.report(at(hours))
    assert report.extracts[-1].state == "refused"
    assert report.extracts[-1].refusal_rule == refused.value.rule
    assert report.cpl_sequence == 1


def test_rollback_to_an_older_sequence_is_refused(populated: Inventory) -> None:
    receive(populated, cpl(3, [A, B, C]), 3)
    before = snapshot(populated)
    with pytest.raises(ExtractRollbackError):
        receive(populated, cpl(2, [B, C], removed=[A]), 4)
    assert snapshot(populated) == before


def test_content_that_is_not_an_extract_is_refused(populated: Inventory) -> None:
    before = snapshot(populated)
    with pytest.raises(ExtractFormatRefusedError):
        populated.receive(b'{"format": "cpl-extract"}', received_at=at(2))
    assert snapshot(populated) == before


# --- a crash part-way -----------------------------------------------------------------------


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize(
    "step",
    [
        "device-models",
        "cpl",
        "DeviceSuspended",
        "DeviceRestored",
        "recorded",
    ],
)
def test_a_crash_inside_the_apply_leaves_the_inventory_as_it_was(populated: Inventory, step: str) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2)
    receive(populated, cpl(3, [A, C], removed=[B]), 3, defer=True)  # restores A's Devices, suspends B's
    before = snapshot(populated)

    def crash(reached: str) -> None:
        if reached == step:
            raise Crash(step)

    populated.store.checkpoint = crash
    with pytest.raises(Crash):
        populated.apply_due(at(4))
    assert snapshot(populated) == before
    populated.store.checkpoint = lambda reached: None
    [applied] = populated.apply_due(at(5)).applied
    assert applied.sequence == 3 and applied.devices_restored == len(SUSPENDABLE_STATUSES)
    assert statuses(populated)["00000000000000B0"] == ("Suspended", "Commissioned")


# --- the 24-hour window ---------------------------------------------------------------------


def test_deferred_extracts_are_applied_oldest_first_by_apply_due(populated: Inventory) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2, defer=True)
    receive(populated, cpl(3, [A, B, C]), 3, defer=True)
    assert statuses(populated)[COMMISSIONED_A] == ("Commissioned", None)
    applied = populated.apply_due(at(20)).applied
    assert [a.sequence for a in applied] == [2, 3]
    assert [(a.devices_suspended, a.devices_restored) for a in applied] == [(4, 0), (0, 4)]
    assert all(a.in_time for a in applied)
    assert populated.apply_due(at(21)).applied == ()


def test_apply_due_waits_for_extracts_received_later(populated: Inventory) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 5, defer=True)
    assert populated.apply_due(at(4)).applied == ()
    assert [a.sequence for a in populated.apply_due(at(6)).applied] == [2]


def test_an_extract_applied_after_its_deadline_is_reported_overdue(populated: Inventory) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2, defer=True)
    assert populated.report(at(25)).extracts[-1].state == "queued"
    [late] = populated.apply_due(at(27)).applied
    assert not late.in_time


def test_receiving_without_defer_applies_the_queue_first(populated: Inventory) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2, defer=True)
    result = populated.receive(cpl(3, [A, B, C]).content(), received_at=at(3))
    assert [a.sequence for a in result.applied] == [2, 3]


def test_acceptance_is_judged_against_the_last_queued_extract(populated: Inventory) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2, defer=True)
    with pytest.raises(ExtractEquivocationError):
        receive(populated, cpl(2, [A, B, C], issued_at=at(2.5)), 2.5)


# --- the gates ------------------------------------------------------------------------------


def test_add_device_refuses_a_model_that_is_not_active(populated: Inventory) -> None:
    with pytest.raises(ModelNotActiveError):
        add(populated, "00000000000000E0", A2)
    receive(populated, cpl(2, [B, C], removed=[A]), 2)
    with pytest.raises(ModelNotActiveError):
        add(populated, "00000000000000E1", A)
    assert "00000000000000E1" not in statuses(populated)


def test_add_device_takes_ihds_without_the_cpl(inventory: Inventory) -> None:
    add(inventory, "00000000000000D1", DISPLAY)
    assert statuses(inventory) == {"00000000000000D1": ("Commissioned", None)}


def test_add_device_refuses_a_device_id_already_there(populated: Inventory) -> None:
    with pytest.raises(DeviceExistsError):
        add(populated, "00000000000000B0", B)


def test_update_firmware_refuses_a_version_not_active_and_keeps_the_old(populated: Inventory) -> None:
    with pytest.raises(FirmwareNotActiveError, match="keeps firmware 0100"):
        populated.update_firmware(COMMISSIONED_A, "0200", at=at(2))
    assert populated.device(COMMISSIONED_A).device.firmware_version == "0100"


def test_update_firmware_to_an_active_version(populated: Inventory) -> None:
    receive(populated, cpl(2, [A, A2, B, C]), 2)
    device, changed = populated.update_firmware(COMMISSIONED_A, "0200", at=at(3))
    assert changed and device.firmware_version == "0200" and device.model_active
    receive(populated, cpl(3, [A2, B, C], removed=[A]), 4)
    assert statuses(populated)[COMMISSIONED_A] == ("Commissioned", None)


def test_a_suspended_device_gets_no_firmware(populated: Inventory) -> None:
    receive(populated, cpl(2, [A2, B, C], removed=[A]), 2)
    with pytest.raises(DeviceSuspendedError):
        populated.update_firmware(COMMISSIONED_A, "0200", at=at(3))


# --- seeding --------------------------------------------------------------------------------


def test_seed_makes_a_realistic_inventory_over_the_cpl_in_force(inventory: Inventory) -> None:
    models = [
        key(kind, f"{n:04X}")
        for n, kind in enumerate(
            [
                GAS,
                HUB,
                ELECTRICITY,
                "Pre-Payment Meter Interface Device (PPMID)",
                "Twin Element Electricity Metering Equipment",
                "Polyphase Electricity Metering Equipment",
            ]
            * 3
        )
    ]
    first = cpl(1, models)
    receive(inventory, first, 1)
    progressed: list[int] = []
    result = inventory.seed(first, 5000, seed=7, at=at(1), progress=progressed.append)
    assert result.devices == 5000 == sum(progressed)
    report = inventory.report(at(1))
    by_status = report.devices_by_status
    assert report.device_count == 5000
    assert by_status["Commissioned"] > 0.8 * 5000
    assert by_status["Suspended"] == 0
    assert all(by_status[s] > 0 for s in ("Pending", "Whitelisted", "InstalledNotCommissioned", "Decommissioned"))
    with inventory.store.begin() as conn:
        kinds = Counter(
            row[0]
            for row in conn.execute(
                select(device_models.c.physical_device_type).join(devices, devices.c.model_ref == device_models.c.id)
            )
        )
        ids = [row[0] for row in conn.execute(select(devices.c.device_id))]
    assert len(set(ids)) == len(ids) and all(len(i) == 16 and i == i.upper() for i in ids)
    hubs = kinds[HUB]
    assert (
        kinds[IHD] > 0.9 * hubs
        and kinds[GAS] > 0.6 * hubs
        and 0.1 * hubs < kinds["Pre-Payment Meter Interface Device (PPMID)"] < 0.4 * hubs
    )
    second = inventory.seed(first, 300, seed=8, at=at(1))  # a second seed adds, ids stay unique
    with inventory.store.begin() as conn:
        ids = [row[0] for row in conn.execute(select(devices.c.device_id))]
    assert second.devices == 300 and len(set(ids)) == len(ids) == 5300
    receive(inventory, cpl(2, models[1:], removed=models[:1]), 2)
    assert inventory.report(at(2)).devices_by_status["Suspended"] > 0


def test_seed_refuses_an_extract_that_is_not_the_cpl_in_force(inventory: Inventory) -> None:
    receive(inventory, cpl(1, [A, B]), 1)
    with pytest.raises(SeedExtractNotInForceError):
        inventory.seed(cpl(2, [A, B, C]), 10, seed=1, at=at(2))


def test_an_extract_received_behind_a_later_queued_one_stays_queued(populated: Inventory) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 5, defer=True)
    result = populated.receive(cpl(3, [A, B, C], issued_at=at(3)).content(), received_at=at(4))
    assert result.outcome == "queued" and result.applied == ()
    assert [a.sequence for a in populated.apply_due(at(6)).applied] == [2, 3]


# --- two appliers; a database from before -------------------------------------------------------


class UnguardedStore(Store):
    """A store whose applier ignores the applier lock (an older release, say): only the claim guards it."""

    @contextmanager
    def applier_lock(self) -> Iterator[None]:
        yield


def test_an_applier_that_ignores_the_lock_still_cannot_apply_an_extract_twice(
    populated: Inventory, database_url: str
) -> None:
    receive(populated, cpl(2, [B, C], removed=[A]), 2, defer=True)
    held, resume = threading.Event(), threading.Event()

    def hold(step: str) -> None:
        if step == "device-models":  # inside the first apply's transaction, its claim made
            held.set()
            assert resume.wait(60)

    populated.store.checkpoint = hold
    other_engine = engine_for(database_url, busy_timeout=60)
    unguarded = Inventory(UnguardedStore(other_engine, busy_timeout=60))
    results: dict[str, list[int]] = {}

    def run(name: str, inventory: Inventory) -> None:
        results[name] = [a.sequence for a in inventory.apply_due(at(3)).applied]

    first = threading.Thread(target=run, args=("first", populated))
    first.start()
    assert held.wait(30)
    second = threading.Thread(target=run, args=("second", unguarded))
    second.start()
    second.join(1.0)  # it waits inside the database for the first's claim (or has already found it done)
    resume.set()
    first.join(60)
    second.join(60)
    other_engine.dispose()
    assert results == {"first": [2], "second": []}
    record = populated.report(at(4)).extracts[-1]
    assert (record.sequence, record.devices_suspended) == (2, len(SUSPENDABLE_STATUSES))


def test_a_database_from_before_the_owed_outputs_is_upgraded_in_place(populated: Inventory) -> None:
    added = ("alerts_owed", "receipt_target", "stale_alert_at", "stale_alert_owed")
    with populated.store.begin() as conn:
        for column in added:
            conn.execute(text(f"ALTER TABLE extracts DROP COLUMN {column}"))
    upgraded = Store(populated.store.engine)
    upgraded.create()
    with upgraded.begin() as conn:
        assert {c["name"] for c in inspect(conn).get_columns("extracts")} >= set(added)
        [record] = upgraded.extract_records(conn)
    assert (record.state, record.alerts_owed, record.stale_alert_owed) == ("applied", False, False)
    result = Inventory(upgraded).receive(cpl(2, [B, C], removed=[A]).content(), received_at=at(2))
    assert result.this_applied is not None and result.this_applied.devices_suspended == len(SUSPENDABLE_STATUSES)
