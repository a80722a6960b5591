"""`smi devices --model MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]] [--type T] [--status S] [--limit N] [--after ID]`.

The Devices of a Device Model, by Device ID, a page at a time with the total; the model is spelled as
the report and the preview print one (hex fields separated by "/"), and `smi device ID` shows one of
them whole. The search reads the Devices of the models it names through the model index, never the
whole inventory.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import event

from smi.errors import UnusableInputError
from smi.rules import SmiStatus
from smi.service import Inventory
from tests.smi.commandline import SmiRun, iso, issued
from tests.smi.daily import A2, A, B, C, add_devices
from tests.smi.factories import GAS, HUB, T0, cpl, key

#: Model A on two firmware versions, and B: (Device ID, model, status).
DEVICES = [
    *[(f"0001000000000{n:03X}", A, SmiStatus.COMMISSIONED) for n in range(7)],
    *[(f"0001000000001{n:03X}", A, SmiStatus.PENDING) for n in range(3)],
    *[(f"0001000000002{n:03X}", A2, SmiStatus.COMMISSIONED) for n in range(2)],
    *[(f"0002000000000{n:03X}", B, SmiStatus.COMMISSIONED) for n in range(4)],
]


@pytest.fixture
def inventory_of_models(smi: SmiRun) -> SmiRun:
    smi("ingest", smi.signed("e1.p7m", cpl(1, [A, A2, B, C], issued_at=issued(1))), "--received-at", iso(0))
    add_devices(smi, DEVICES, hours=0.5)
    return smi


def ids_of(found: dict[str, Any]) -> list[str]:
    return [d["device_id"] for d in found["devices"]]


def test_a_model_is_searched_over_all_its_firmware_and_by_firmware_when_named(inventory_of_models: SmiRun) -> None:
    smi = inventory_of_models
    every_a = sorted(d for d, model, _ in DEVICES if model[:4] == A[:4])
    found = smi.json("devices", "--model", "106C/0001")
    assert (found["model"], found["total"], ids_of(found), found["next_after"]) == ("106C/0001", 12, every_a, None)
    on_a2 = smi.json("devices", "--model", "106c/0001/00ac/0200")
    assert (on_a2["total"], ids_of(on_a2)) == (2, sorted(d for d, model, _ in DEVICES if model == A2))
    assert smi.json("devices", "--model", "106C/0001/00AC")["total"] == 12
    assert smi.json("devices", "--model", "106C/0002")["total"] == 4
    assert smi.json("devices", "--model", "106C/0003")["total"] == 0  # listed, no Devices
    one = smi.json("devices", "--model", "106C/0001/00AC/0200")["devices"][0]
    assert one == {k: v for k, v in smi.json("device", one["device_id"]).items() if k in one}


def test_status_and_type_narrow_the_search(inventory_of_models: SmiRun) -> None:
    smi = inventory_of_models
    pending = smi.json("devices", "--model", "106C/0001", "--status", "pending")
    assert (pending["status"], pending["total"]) == ("Pending", 3)
    assert {d["status"] for d in pending["devices"]} == {"Pending"}
    assert smi.json("devices", "--model", "106C/0001", "--type", A[0])["total"] == 12
    assert smi.json("devices", "--model", "106C/0001", "--type", HUB)["total"] == 0


def test_pages_cover_every_device_once_in_device_id_order(inventory_of_models: SmiRun) -> None:
    smi = inventory_of_models
    seen: list[str] = []
    after: list[str] = []
    while True:
        page = smi.json("devices", "--model", "106C/0001", "--limit", "5", *after)
        assert page["total"] == 12 and len(page["devices"]) <= 5
        seen += ids_of(page)
        if page["next_after"] is None:
            break
        assert page["next_after"] == ids_of(page)[-1]
        after = ["--after", page["next_after"]]
    assert seen == sorted(d for d, model, _ in DEVICES if model[:4] == A[:4])
    text_page = smi("devices", "--model", "106C/0001", "--limit", "5").stdout
    assert "Devices of model 106C/0001: 5 of 12" in text_page
    assert f"More: the next page is --after {seen[4]}." in text_page


@pytest.mark.parametrize(
    ("model", "said"),
    [
        ("106C", "'106C' does not name a Device Model: expected MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]] in hex, "),
        ("106C:0001", "'106C:0001' does not name a Device Model: expected MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]]"),
        ("106C/0001/00AC/0100/7", "does not name a Device Model: expected MANUFACTURER/MODEL[/HARDWARE[/FIRMWARE]]"),
        ("106C//00AC", "does not name a Device Model"),
        ("10:6C/0001", "The manufacturer id '10:6C' is not 4 hex digits: write it without colons, as 106C."),
        ("106C/0001/00AC/01:00:00:0G", "The firmware version '01:00:00:0G' is not 1 to 8 hex digits: expected 1 to 8"),
    ],
)
def test_a_model_that_is_not_spelled_as_expected_is_refused_with_the_form(
    inventory_of_models: SmiRun, model: str, said: str
) -> None:
    refused = inventory_of_models("devices", "--model", model, expect=2)
    assert said in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


def test_an_unknown_status_in_a_search_is_refused_listing_the_statuses(inventory_of_models: SmiRun) -> None:
    refused = inventory_of_models("devices", "--model", "106C/0001", "--status", "Installed", expect=2)
    assert refused.stderr.strip() == (
        "'Installed' is not an SMI Status: expected one of Pending, Whitelisted, InstalledNotCommissioned, "
        "Commissioned, Decommissioned, Withdrawn, Suspended, Recovery or Recovered."
    )


def test_the_search_finds_its_devices_through_the_model_index(inventory: Inventory) -> None:
    if inventory.store.backend != "sqlite":
        pytest.skip("the query plan is read with SQLite's EXPLAIN QUERY PLAN")
    a, b = key(GAS, "0001"), key(HUB, "0002")
    start = T0 + dt.timedelta(hours=1)
    inventory.receive(cpl(1, [a, b]).content(), received_at=start)
    inventory.seed(cpl(1, [a, b]), 500, seed=6, at=start)
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(inventory.store.engine, "before_cursor_execute", record)
    try:
        found = inventory.find_devices("106C/0001", status="Commissioned", limit=10)
    finally:
        event.remove(inventory.store.engine, "before_cursor_execute", record)
    assert found.total > 10 and len(found.devices) == 10
    on_devices = [(s, p) for s, p in seen if "FROM devices" in s]
    assert len(on_devices) == 2  # the count and the page
    with inventory.store.engine.connect() as conn:
        for statement, parameters in on_devices:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "ix_devices_model" in plan, plan
            assert not re.search(r"SCAN devices\b", plan), plan


def test_a_limit_below_one_is_refused(inventory: Inventory) -> None:
    with pytest.raises(UnusableInputError, match=r"^The limit 0 is not a number of Devices: expected 1 or more\.$"):
        inventory.find_devices("106C/0001", limit=0)


def test_a_search_after_a_device_id_that_is_not_an_eui64_says_the_form(inventory_of_models: SmiRun) -> None:
    refused = inventory_of_models("devices", "--model", "106C/0001", "--after", "12", expect=2)
    assert "Device ID '12' is not an EUI-64 of 16 hex digits: expected 16 digits 0-9 and A-F" in refused.stderr
