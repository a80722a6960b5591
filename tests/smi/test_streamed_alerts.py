"""An apply's alerts come back from its own UPDATEs into a sealed file, and are written from it once committed.

The file (beside the alerts file) is fsynced before the commit, which records its SHA-256. After a crash
between the commit and the alerts, the next run writes them from that file; a file that is missing or
not the one the commit recorded (left by an attempt that rolled back, or damaged) is not used, and the
lines are read back from the Devices instead: either way the alerts file gets the same lines, once.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from smi.service import Inventory
from smi.store import Store
from tests.smi.factories import GAS, HUB, T0, cpl, key

A, B = key(GAS, "0001"), key(HUB, "0002")


class Crash(RuntimeError):
    pass


def _crash_after_the_commit(step: str) -> None:
    if step == "applied":
        raise Crash(step)


@pytest.fixture
def crashed(store: Store, tmp_path: Path) -> tuple[Inventory, Path]:
    """Extract 2 (withdrawing A) applied and committed, the process dead before it wrote its alerts."""
    inventory = Inventory(store, alerts_path=tmp_path / "alerts.jsonl")
    inventory.receive(cpl(1, [A, B]).content(), received_at=T0 + dt.timedelta(hours=2))
    inventory.seed(cpl(1, [A, B]), 200, seed=7, at=T0 + dt.timedelta(hours=2))
    store.checkpoint = _crash_after_the_commit
    with pytest.raises(Crash):
        inventory.receive(cpl(2, [B], [A]).content(), received_at=T0 + dt.timedelta(hours=3))
    store.checkpoint = lambda step: None
    streamed = tmp_path / ".alerts.jsonl.2.streamed"
    alerts = tmp_path / "alerts.jsonl"
    assert streamed.exists() and not (alerts.exists() and alerts.read_text().strip())
    return inventory, streamed


def _expected(inventory: Inventory) -> list[str]:
    with inventory.store.begin() as conn:
        return [line for batch in inventory.store.alert_lines(conn, 2) for line in batch]


def test_the_next_run_writes_the_alerts_from_the_sealed_file(crashed: tuple[Inventory, Path], tmp_path: Path) -> None:
    inventory, streamed = crashed
    expected = _expected(inventory)
    sealed = streamed.read_text().splitlines()
    assert expected and sorted(sealed) == sorted(expected)  # in the order the apply's pass met them

    def not_read_back(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the alerts were read back from the Devices")

    inventory.store.alert_lines = not_read_back  # type: ignore[method-assign]
    inventory.apply_due(T0 + dt.timedelta(hours=4))
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert lines == sealed and all(json.loads(line)["extract_sequence"] == 2 for line in lines)
    assert not streamed.exists()


@pytest.mark.parametrize("damage", ["missing", "a line changed", "a line lost"])
def test_a_file_that_is_not_the_one_the_commit_recorded_is_not_used(
    crashed: tuple[Inventory, Path], tmp_path: Path, damage: str
) -> None:
    inventory, streamed = crashed
    expected = _expected(inventory)
    lines = streamed.read_text().splitlines()
    assert '"status":"Suspended"' in lines[0]  # so that the damage below changes the file
    if damage == "missing":
        streamed.unlink()
    elif damage == "a line changed":
        changed = lines[0].replace('"status":"Suspended"', '"status":"Pending"')
        streamed.write_text("\n".join([changed, *lines[1:]]) + "\n")
    else:
        streamed.write_text("\n".join(lines[:-1]) + "\n")
    inventory.apply_due(T0 + dt.timedelta(hours=4))
    assert sorted((tmp_path / "alerts.jsonl").read_text().splitlines()) == sorted(expected)


def test_an_alerts_place_that_cannot_be_written_leaves_the_apply_whole(store: Store, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / ".alerts.jsonl.2.streamed").mkdir()  # the stream's own file cannot be opened
    inventory = Inventory(store, alerts_path=blocked / "alerts.jsonl")
    inventory.receive(cpl(1, [A, B]).content(), received_at=T0 + dt.timedelta(hours=2))
    inventory.seed(cpl(1, [A, B]), 100, seed=8, at=T0 + dt.timedelta(hours=2))
    applied = inventory.receive(cpl(2, [B], [A]).content(), received_at=T0 + dt.timedelta(hours=3)).this_applied
    assert applied is not None and applied.devices_suspended > 0
    lines = (blocked / "alerts.jsonl").read_text().splitlines()
    assert len(lines) == applied.devices_suspended  # read back from the Devices instead
