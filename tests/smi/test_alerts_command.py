"""`smi alerts [--since T] [--limit N] [--json]`: the alerts the DCC raised, newest last, from its own records.

The alerts are the ones the alerts file holds, line for line (DeviceSuspended and DeviceRestored per
Device, CplStale per stale CPL in force); `--since` keeps those raised at or after a time, `--limit`
the newest N, and the total says how many there are. Reading them is bounded: the history's primary-key
ranges of the extracts applied since, at most N rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import event

from smi.service import Inventory
from tests.smi.commandline import SmiRun, iso
from tests.smi.daily import SUSPENDED_BY_2, A, a_week, device_ids
from tests.smi.factories import GAS, HUB, T0, cpl, key
from tests.smi.legacy import as_an_earlier_version_left_the_database

WEEK_ALERTS = sum(SUSPENDED_BY_2.values()) + SUSPENDED_BY_2[A]  # extract 2 suspends 6, extract 3 restores A's 4


def file_lines(smi: SmiRun) -> list[dict[str, Any]]:
    return smi.outputs.alert_lines()


def _by_extract(alerts: list[dict[str, Any]]) -> list[tuple[int, list[str]]]:
    """Each extract's alerts, in the order the extracts come, each extract's as a sorted list."""
    blocks: list[tuple[int, list[str]]] = []
    for alert in alerts:
        if not blocks or blocks[-1][0] != alert["extract_sequence"]:
            blocks.append((alert["extract_sequence"], []))
        blocks[-1][1].append(json.dumps(alert, sort_keys=True))
    return [(sequence, sorted(lines)) for sequence, lines in blocks]


def test_alerts_lists_every_alert_of_the_alerts_file_newest_last(smi: SmiRun) -> None:
    a_week(smi)
    listed = smi.json("alerts", "--limit", "1000")
    assert (listed["total"], listed["shown"], listed["pruned_extracts"]) == (WEEK_ALERTS, WEEK_ALERTS, [])
    shown = [{k: v for k, v in a.items() if v is not None} for a in listed["alerts"]]
    # the same alerts, with the same keys, extract by extract in the same order (within one extract, the
    # file has them in the order its apply's pass met them)
    assert _by_extract(shown) == _by_extract(file_lines(smi))
    assert [a["extract_sequence"] for a in listed["alerts"]] == [2] * 6 + [3] * 4
    restored = {a["device_id"]: a["status"] for a in listed["alerts"] if a["alert"] == "DeviceRestored"}
    assert sorted(restored) == device_ids(A)[:4] and sorted(set(restored.values())) == ["Commissioned", "Pending"]


def test_limit_keeps_the_newest_and_the_total_counts_them_all(smi: SmiRun) -> None:
    a_week(smi)
    listed = smi.json("alerts", "--limit", "3")
    assert (listed["total"], listed["shown"]) == (WEEK_ALERTS, 3)
    assert listed["alerts"] == smi.json("alerts", "--limit", "1000")["alerts"][-3:]
    text = smi("alerts", "--limit", "3").stdout
    assert text.startswith(f"{WEEK_ALERTS} alerts raised (the newest 3), newest last:")
    assert len([line for line in text.splitlines() if "DeviceRestored" in line]) == 3


def test_since_keeps_the_alerts_raised_at_or_after_it(smi: SmiRun) -> None:
    a_week(smi)
    applied_3 = iso(29)  # extract 3 was applied by `apply-due --now` at 29 h; extract 2 at 1 h
    since_3 = smi.json("alerts", "--since", applied_3)
    assert since_3["total"] == SUSPENDED_BY_2[A] and {a["alert"] for a in since_3["alerts"]} == {"DeviceRestored"}
    assert all(a["raised_at"] == applied_3 for a in since_3["alerts"])
    assert smi.json("alerts", "--since", iso(28.9))["total"] == SUSPENDED_BY_2[A]
    assert smi.json("alerts", "--since", iso(0.5))["total"] == WEEK_ALERTS
    after_all = smi.json("alerts", "--since", iso(29.1))
    assert (after_all["total"], after_all["alerts"]) == (0, [])
    assert smi("alerts", "--since", iso(29.1)).stdout.strip() == f"No alert raised since {iso(29.1)}."


def test_a_cplstale_alert_is_listed_after_the_device_alerts_of_its_second(inventory: Inventory) -> None:
    a, b = key(GAS, "0001"), key(HUB, "0002")
    at = T0 + dt.timedelta(hours=1)
    inventory.receive(cpl(1, [a, b]).content(), received_at=at)
    inventory.add_device(
        "0011223344556677",
        physical_device_type=a[0],
        manufacturer_id=a[1],
        model_id=a[2],
        hardware_version=a[3],
        firmware_version=a[4],
        at=at,
    )
    due = T0 + dt.timedelta(hours=5)
    inventory.receive(cpl(2, [b], [a], next_update_by=due).content(), received_at=T0 + dt.timedelta(hours=2))
    later = due + dt.timedelta(hours=1)
    inventory.report(later)  # the CPL in force is stale now: its alert is raised
    found = inventory.alerts(since=None, limit=10)
    assert [(x.alert, x.extract_sequence, x.device_id) for x in found.alerts] == [
        ("DeviceSuspended", 2, "0011223344556677"),
        ("CplStale", 2, None),
    ]
    assert (found.total, found.alerts[-1].next_update_by, found.alerts[-1].raised_at) == (2, due, later)
    assert inventory.alerts(since=later, limit=10).total == 1


def test_pruned_alerts_are_named_as_only_in_the_alerts_file(smi: SmiRun) -> None:
    a_week(smi)
    as_an_earlier_version_left_the_database(smi.env["SMI_DATABASE_URL"])  # rows to prune: an earlier version's
    smi("prune-history", "--keep-days", "1", "--now", iso(24 * 1.5))  # extract 2 (applied at 1 h), not 3 (29 h)
    listed = smi.json("alerts", "--limit", "1000")
    assert (listed["total"], listed["pruned_extracts"]) == (SUSPENDED_BY_2[A], [2])
    assert {a["extract_sequence"] for a in listed["alerts"]} == {3}
    assert "The Device alerts of extracts 2 were pruned from the inventory" in smi("alerts").stdout


def test_a_time_that_is_not_iso_8601_is_refused_with_the_form_expected(smi: SmiRun) -> None:
    refused = smi("alerts", "--since", "last tuesday", expect=2)
    assert refused.stderr.strip() == (
        "--since 'last tuesday' is not an ISO 8601 time: expected a date and time such as 2026-11-02T09:00:00Z "
        "(or with an offset, +01:00; one without is UTC)."
    )


def test_reading_the_newest_alerts_reads_only_their_devices_by_the_model_index(inventory: Inventory) -> None:
    """The last apply's Devices still carry its change: its newest alerts are read by model, a limit at a time."""
    a, b = key(GAS, "0001"), key(HUB, "0002")
    start = T0 + dt.timedelta(hours=1)
    inventory.receive(cpl(1, [a, b]).content(), received_at=start)
    inventory.seed(cpl(1, [a, b]), 200, seed=2, at=start)
    inventory.receive(cpl(2, [b], [a]).content(), received_at=T0 + dt.timedelta(hours=2))
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((" ".join(statement.split()), parameters))

    event.listen(inventory.store.engine, "before_cursor_execute", record)
    try:
        found = inventory.alerts(since=None, limit=5)
    finally:
        event.remove(inventory.store.engine, "before_cursor_execute", record)
    assert len(found.alerts) == 5 and found.total > 5
    assert {x.extract_sequence for x in found.alerts} == {2}
    on_devices = [(s, p) for s, p in seen if re.search(r"\bFROM devices\b", s)]
    assert on_devices and all(
        "devices.model_ref = " in s and "devices.status_sequence = " in s and " LIMIT " in s for s, _ in on_devices
    ), on_devices
    assert not [s for s, _ in seen if "status_history" in s]
    if inventory.store.backend == "sqlite":
        with inventory.store.engine.connect() as conn:
            for statement, parameters in on_devices:
                plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
                assert "ix_devices_model" in plan and not re.search(r"SCAN devices\b", plan), plan


def test_alerts_of_an_extract_read_after_later_applies_and_moves_are_the_ones_it_raised(
    inventory: Inventory, tmp_path: Path
) -> None:
    """Its Devices no longer carry its change: the alerts come from their replayed histories, the same."""
    a, b = key(GAS, "0001"), key(HUB, "0002")
    a2 = (*a[:4], "0200")
    start = T0 + dt.timedelta(hours=1)
    inventory.receive(cpl(1, [a, b, a2]).content(), received_at=start)
    inventory.seed(cpl(1, [a, b, a2]), 120, seed=3, at=start)
    inventory.receive(cpl(2, [b, a2], [a]).content(), received_at=T0 + dt.timedelta(hours=2))
    written = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert written and all(json.loads(line)["extract_sequence"] == 2 for line in written)
    inventory.receive(cpl(3, [a, b, a2]).content(), received_at=T0 + dt.timedelta(hours=3))
    restored = json.loads((tmp_path / "alerts.jsonl").read_text().splitlines()[-1])["device_id"]
    inventory.update_firmware(restored, "0200", at=T0 + dt.timedelta(hours=4))  # a Device moves to a2
    inventory.receive(cpl(4, [b, a], [a2]).content(), received_at=T0 + dt.timedelta(hours=5))
    with inventory.store.begin() as conn:
        again = [line for batch in inventory.store.alert_lines(conn, 2) for line in batch]
        third = [line for batch in inventory.store.alert_lines(conn, 3) for line in batch]
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert again == written
    assert third == [line for line in lines if json.loads(line)["extract_sequence"] == 3]
    history = inventory.device(restored).history
    own = history[0].status
    assert [(c.status, c.new_status, c.extract_sequence) for c in history] == [
        (own, "Suspended", 2),
        ("Suspended", own, 3),
        (own, "Suspended", 4),  # suspended with a2, the model it moved to
    ]


def test_alerts_json_is_one_document(smi: SmiRun) -> None:
    a_week(smi)
    document = json.loads(smi("alerts", "--json").stdout)
    assert set(document) == {"since", "limit", "total", "shown", "alerts", "pruned_extracts"}
    assert document["limit"] == 100 and document["since"] is None
