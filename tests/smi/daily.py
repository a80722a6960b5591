"""An inventory for the tests of the DCC's daily work (report, alerts, device search, the report page).

Extracts go in signed, through the real `smi ingest`; Devices go in through the inventory's own gate
(`Inventory.add_device`, which refuses a model that is not Active), on the same database the command
uses, with the statuses each test names: so every expected count is the test's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from smi.rules import SmiStatus
from smi.service import Inventory
from smi.store import Store
from tests.smi.commandline import NOW, SmiRun, iso, issued
from tests.smi.factories import ELECTRICITY, GAS, HUB, Key, cpl, entry, extract, key

A, B, C = key(GAS, "0001"), key(HUB, "0002"), key(ELECTRICITY, "0003")
A2 = key(GAS, "0001", firmware="0200")  # model A on other firmware: listed Active from extract 3 on
D = key(GAS, "0004")  # new on the CPL in extract 3

WITHDRAWAL_OF_A, CANCELLATION_OF_B = "SECP_70_0701", "SECP_70_0702"

#: The Devices each model gets before extract 2: (status, how many). A's Decommissioned one is never touched.
DEVICES: dict[Key, list[tuple[SmiStatus, int]]] = {
    A: [(SmiStatus.COMMISSIONED, 3), (SmiStatus.PENDING, 1), (SmiStatus.DECOMMISSIONED, 1)],
    B: [(SmiStatus.WHITELISTED, 2)],
    C: [(SmiStatus.COMMISSIONED, 2)],
}
SUSPENDED_BY_2 = {A: 4, B: 2}  # A's suspendable Devices (3 Commissioned, 1 Pending) and B's two


def at(hours: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


def device_ids(model: Key) -> list[str]:
    """The Device IDs of a model's Devices, in the order DEVICES lists them."""
    count = sum(n for _status, n in DEVICES[model])
    return [f"{int(model[2], 16):04X}00000000{n:04X}" for n in range(count)]


def add_devices(smi: SmiRun, devices: Iterable[tuple[str, Key, SmiStatus]], *, hours: float) -> None:
    """Enter Devices into the command's inventory through the gate, as at ``iso(hours)``."""
    store = Store.open(smi.env["SMI_DATABASE_URL"])
    try:
        inventory = Inventory(store)
        for device_id, (kind, manufacturer, model, hardware, firmware), status in devices:
            inventory.add_device(
                device_id,
                physical_device_type=kind,
                manufacturer_id=manufacturer,
                model_id=model,
                hardware_version=hardware,
                firmware_version=firmware,
                status=status,
                at=at(hours),
            )
    finally:
        store.dispose()


def the_devices() -> list[tuple[str, Key, SmiStatus]]:
    rows = []
    for model, statuses in DEVICES.items():
        ids = iter(device_ids(model))
        rows.extend((next(ids), model, status) for status, count in statuses for _ in range(count))
    return rows


@dataclass(frozen=True)
class Week:
    """What `a_week` did, for the tests to compare with."""

    smi: SmiRun
    report_at: str


def a_week(smi: SmiRun) -> Week:
    """Extract 1 lists A, B, C (applied at once); the Devices go in; 2 withdraws A and cancels B, each with
    its Panel reference (applied at once); 3 lists A Active again (and A2, D new), is queued and applied 27
    hours after receipt, 3 hours late; 5 comes next, and 4, arriving after it, is refused (a rollback)."""
    smi("ingest", smi.signed("e1.p7m", cpl(1, [A, B, C], issued_at=issued(1))), "--received-at", iso(0))
    add_devices(smi, the_devices(), hours=0.5)
    second = extract(
        2,
        [
            entry(A, status="Withdrawn", panel_reference=WITHDRAWAL_OF_A),
            entry(B, status="Cancelled", panel_reference=CANCELLATION_OF_B),
            entry(C),
        ],
        issued_at=issued(2),
    )
    smi("ingest", smi.signed("e2.p7m", second), "--received-at", iso(1))
    third = extract(
        3,
        [entry(A), entry(A2), entry(B, status="Cancelled", panel_reference=CANCELLATION_OF_B), entry(C), entry(D)],
        issued_at=issued(3),
    )
    smi("ingest", smi.signed("e3.p7m", third), "--received-at", iso(2), "--defer")
    smi("apply-due", "--now", iso(29))
    fifth = extract(5, [*third.entries], issued_at=issued(5))
    smi("ingest", smi.signed("e5.p7m", fifth), "--received-at", iso(30))
    fourth = extract(4, [*third.entries], issued_at=issued(4))
    smi("ingest", smi.signed("e4.p7m", fourth), "--received-at", iso(31), expect=1)
    return Week(smi, iso(32))
