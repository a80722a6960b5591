"""History retention: `smi prune-history` removes the Device history rows of old applies, and only those.

An apply writes no history row per Device now (a Device's history is replayed from what each apply
records per model), so the rows are those an earlier version wrote: each test builds its inventory,
then rewrites it as that version left it (`tests.smi.legacy`) and upgrades it.

The rule (DOMAIN.md's 24-hour window needs the counts, not the rows): an applied extract's record,
counts and receipt stay; its history rows go once it was applied before the cut-off and its alerts
are written. An apply whose alerts are still owed keeps its rows, which are what the alerts are
written from. The Devices' statuses, and the status a suspension replaced, never change.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smi.errors import UnusableInputError
from smi.rules import SmiStatus
from smi.service import Inventory
from smi.store import devices, status_history
from tests.smi.commandline import MODELS, SmiRun, iso, issued
from tests.smi.factories import GAS, HUB, T0, cpl, key
from tests.smi.legacy import as_an_earlier_version_left_it, as_an_earlier_version_left_the_database

A, B, C = key(GAS, "0001"), key(HUB, "0002"), key(GAS, "0003")


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def history_by_sequence(inventory: Inventory) -> dict[int | None, int]:
    h = status_history.c
    with inventory.store.begin() as conn:
        rows = conn.execute(select(h.extract_sequence, func.count()).group_by(h.extract_sequence)).all()
    return {row[0]: int(row[1]) for row in rows}


def device_rows(inventory: Inventory) -> list[tuple[object, ...]]:
    with inventory.store.begin() as conn:
        return sorted(tuple(r) for r in conn.execute(select(devices)).all())


@pytest.fixture
def applied(inventory: Inventory) -> Inventory:
    """Extract 1 in force (day 0); 2 withdraws A (day 1); 3 re-lists A (day 10); 4 withdraws B (day 40)."""
    inventory.receive(cpl(1, [A, B, C], issued_at=at(0)).content(), received_at=at(0))
    inventory.seed(cpl(1, [A, B, C], issued_at=at(0)), 300, seed=9, at=at(0))
    inventory.receive(cpl(2, [B, C], [A], issued_at=at(1)).content(), received_at=at(1))
    inventory.receive(cpl(3, [A, B, C], issued_at=at(10)).content(), received_at=at(10))
    inventory.receive(cpl(4, [A, C], [B], issued_at=at(40)).content(), received_at=at(40))
    as_an_earlier_version_left_it(inventory.store)
    return inventory


def test_pruning_removes_the_rows_of_applies_before_the_cut_off_and_nothing_else(applied: Inventory) -> None:
    before = history_by_sequence(applied)
    assert set(before) == {2, 3, 4} and all(count > 0 for count in before.values())
    devices_before = device_rows(applied)
    report_before = applied.report(at(41))

    result = applied.prune_history(at(20), now=at(50))

    assert result.sequences == (2, 3)
    assert result.rows_removed == before[2] + before[3]
    assert history_by_sequence(applied) == {4: before[4]}
    assert device_rows(applied) == devices_before  # statuses and the replaced statuses untouched
    report_after = applied.report(at(41))
    counts = [(r.sequence, r.devices_suspended, r.devices_restored) for r in report_after.extracts]
    assert counts == [(r.sequence, r.devices_suspended, r.devices_restored) for r in report_before.extracts]
    assert {r.sequence: r.history_pruned_at for r in report_after.extracts} == {1: None, 2: at(50), 3: at(50), 4: None}


def test_pruning_again_removes_nothing_and_a_later_cut_off_takes_the_next(applied: Inventory) -> None:
    applied.prune_history(at(20), now=at(50))
    again = applied.prune_history(at(20), now=at(51))
    assert (again.sequences, again.rows_removed) == ((), 0)
    later = applied.prune_history(at(45), now=at(52))
    assert later.sequences == (4,) and later.rows_removed > 0
    assert history_by_sequence(applied) == {}


def test_a_suspended_device_is_restored_after_its_history_was_pruned(applied: Inventory) -> None:
    applied.prune_history(at(45), now=at(50))
    with applied.store.begin() as conn:
        suspended = conn.execute(
            select(devices.c.device_id, devices.c.status_before_suspension).where(
                devices.c.status == SmiStatus.SUSPENDED.value
            )
        ).all()
    assert suspended  # B's Devices, suspended by extract 4
    result = applied.receive(cpl(5, [A, B, C], issued_at=at(60)).content(), received_at=at(60))
    assert result.this_applied is not None and result.this_applied.devices_restored == len(suspended)
    for device_id, replaced in suspended:
        assert applied.device(device_id).device.status == replaced
        # its rows are gone; what came after them is replayed, from Suspended as the upgrade found it
        history = [(c.status, c.new_status, c.extract_sequence) for c in applied.device(device_id).history]
        assert history == [("Suspended", replaced, 5)]


def test_an_upgraded_device_s_history_is_its_rows_then_what_later_applies_did(applied: Inventory) -> None:
    with applied.store.begin() as conn:
        device_id, own = conn.execute(
            select(devices.c.device_id, devices.c.status_before_suspension).where(
                devices.c.status == SmiStatus.SUSPENDED.value
            )
        ).first()  # one of B's, suspended by extract 4 under the earlier version
    applied.receive(cpl(5, [A, B, C], issued_at=at(60)).content(), received_at=at(60))
    applied.receive(cpl(6, [A, C], [B], issued_at=at(70)).content(), received_at=at(70))
    history = [(c.status, c.new_status, c.extract_sequence, c.until) for c in applied.device(device_id).history]
    assert history == [(own, "Suspended", 4, at(40)), ("Suspended", own, 5, at(60)), (own, "Suspended", 6, at(70))]


def test_an_apply_whose_alerts_are_still_owed_keeps_its_rows(inventory: Inventory, tmp_path: Path) -> None:
    inventory.receive(cpl(1, [A, B, C], issued_at=at(0)).content(), received_at=at(0))
    inventory.seed(cpl(1, [A, B, C], issued_at=at(0)), 200, seed=4, at=at(0))
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    owing = Inventory(inventory.store, alerts_path=blocked)  # a directory: the alerts cannot be written
    with pytest.raises(Exception, match="alerts"):
        owing.receive(cpl(2, [B, C], [A], issued_at=at(1)).content(), received_at=at(1))
    as_an_earlier_version_left_it(inventory.store)
    rows = history_by_sequence(inventory)[2]

    assert owing.prune_history(at(20), now=at(30)).sequences == ()
    assert history_by_sequence(inventory) == {2: rows}

    inventory.apply_due(at(31))  # writes what extract 2 owes
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert sum(1 for line in lines if json.loads(line)["extract_sequence"] == 2) == rows
    assert inventory.prune_history(at(20), now=at(32)).sequences == (2,)


def test_a_cut_off_in_the_future_is_refused(applied: Inventory) -> None:
    with pytest.raises(UnusableInputError, match="before now"):
        applied.prune_history(at(60), now=at(50))
    assert set(history_by_sequence(applied)) == {2, 3, 4}


def test_the_command_prunes_says_what_and_answers_json(smi: SmiRun) -> None:
    smi("ingest", smi.signed("cpl-1.p7m", cpl(1, MODELS, issued_at=issued(1))), "--received-at", iso(-9))
    smi("seed", "--devices", "400", "--from-extract", smi.tmp / "cpl-1.p7m", "--seed", "3")
    withdrawn = cpl(2, MODELS[1:], MODELS[:1], issued_at=issued(2))
    applied = smi.json("ingest", smi.signed("cpl-2.p7m", withdrawn), "--received-at", iso(-9))
    suspended = applied["applied"][0]["devices_suspended"]
    assert suspended > 0
    as_an_earlier_version_left_the_database(smi.env["SMI_DATABASE_URL"])

    nothing = smi("prune-history", "--keep-days", "30", "--now", iso(0))
    assert "No history to prune" in nothing.stdout
    pruned = smi.json("prune-history", "--keep-days", "1", "--now", iso(24 * 40))
    assert pruned["extracts"] == [2] and pruned["history_rows_removed"] == suspended
    text = smi("prune-history", "--keep-days", "1", "--now", iso(24 * 41))
    assert "No history to prune" in text.stdout
    refused = smi("prune-history", "--keep-days", "0", expect=2)
    assert "--keep-days" in refused.stderr
