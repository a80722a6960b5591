"""A DCC killed (SIGKILL) after its apply committed: the next run finishes what the apply still owes.

The apply is one transaction; what it leaves outside the database (the alerts, appended to the alerts
file as whole JSON lines, and the signed receipt that tells the authority the extract was loaded) is
written afterwards, from the committed state. A kill at any point after the commit, between two
batches of alerts, after the alerts or after the receipt was renamed into place, loses nothing for
good: re-ingesting the same extract, or `smi apply-due`, writes exactly what is missing (every alert
once, a half line left by the kill repaired, the receipt) and the report says the receipt is there.
Real processes, real kills, on SQLite files and on a real PostgreSQL server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from smi.store import devices, engine_for, extracts
from tests.smi.commandline import MODELS, SmiRun, iso, issued
from tests.smi.factories import cpl

#: Where a kill falls after the commit (``STEP@N``: the Nth time the step is reached), and what runs next.
KILLS = [
    ("applied", "ingest-again"),
    ("applied", "apply-due"),
    ("alerts-batch@2", "apply-due"),
    ("alerts", "ingest-again"),
    ("receipt", "ingest-again"),
    ("receipt", "apply-due"),
]


@pytest.fixture
def seeded(smi_on_each_backend: SmiRun) -> SmiRun:
    """An inventory of 800 Devices over extract 1, alerts read and written 25 lines at a time."""
    smi = smi_on_each_backend
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("seed", "--devices", "800", "--from-extract", first, "--seed", "3", "--at", iso(0))
    smi.env["SMI_TEST_ALERT_BATCH"] = "25"
    return smi


def _withdrawal(smi: SmiRun, sequence: int = 2) -> Path:
    return smi.signed(f"e{sequence}.p7m", cpl(sequence, MODELS[1:], removed=MODELS[:1], issued_at=issued(sequence)))


def _committed(smi: SmiRun, sequence: int) -> tuple[str, int]:
    """The extract's state and the number of Suspended Devices, as the database has them."""
    engine = engine_for(smi.env["SMI_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            state = conn.execute(
                select(extracts.c.state).where(extracts.c.sequence == sequence, extracts.c.state != "refused")
            ).scalar_one()
            suspended = conn.execute(
                select(func.count()).select_from(devices).where(devices.c.status == "Suspended")
            ).scalar_one()
    finally:
        engine.dispose()
    return str(state), int(suspended)


def _finish(smi: SmiRun, finisher: str, extract_file: Path, hours: float) -> Any:
    if finisher == "ingest-again":
        said = smi.json("ingest", extract_file, "--received-at", iso(hours))
        assert (said["result"], said["applied"]) == ("repeat", [])
        return said
    said = smi.json("apply-due", "--now", iso(hours))
    assert said["applied"] == []
    return said


@pytest.mark.parametrize(("step", "finisher"), KILLS, ids=[f"{s}-then-{f}" for s, f in KILLS])
def test_a_kill_after_the_apply_committed_is_finished_by_the_next_run(seeded: SmiRun, step: str, finisher: str) -> None:
    smi = seeded
    second = _withdrawal(smi)
    smi.killed_at(step, "ingest", second, "--received-at", iso(1))
    state, suspended = _committed(smi, 2)  # read straight from the database: a report would finish the alerts
    assert state == "applied", "the kill came after the commit"
    assert suspended > 25, "enough alerts for more than one batch"

    said = _finish(smi, finisher, second, 2)

    [finished] = said["finished"]
    assert finished["sequence"] == 2 and finished["receipt_available"] is True
    assert finished["alerts_written"] == (0 if step == "receipt" else suspended)
    smi.outputs.assert_complete(2, suspended=suspended, restored=0)
    record = smi.json("report", "--now", iso(3))["extracts"][-1]
    assert (record["sequence"], record["devices_suspended"], record["receipt_available"]) == (2, suspended, True)


def test_a_half_line_left_by_a_kill_is_repaired_and_earlier_alerts_are_kept(seeded: SmiRun) -> None:
    smi = seeded
    smi("ingest", _withdrawal(smi), "--received-at", iso(1))
    suspended = smi.json("report", "--now", iso(1))["devices_by_status"]["Suspended"]
    before = smi.outputs.alerts_path.read_bytes()
    third = smi.signed("e3.p7m", cpl(3, MODELS, issued_at=issued(3)))
    smi.killed_at("alerts-batch@2", "ingest", third, "--received-at", iso(2))
    with smi.outputs.alerts_path.open("ab") as torn:  # the kill fell in the middle of a write
        torn.write(b'{"alert":"DeviceRestored","device_id":"00')

    smi("apply-due", "--now", iso(3))

    assert smi.outputs.alerts_path.read_bytes().startswith(before)
    smi.outputs.assert_complete(2, suspended=suspended, restored=0)
    smi.outputs.assert_complete(3, suspended=0, restored=suspended)


def test_a_run_killed_between_two_queued_extracts_finishes_the_first_then_applies_the_second(seeded: SmiRun) -> None:
    smi = seeded
    smi("ingest", _withdrawal(smi), "--received-at", iso(1), "--defer")
    smi("ingest", smi.signed("e3.p7m", cpl(3, MODELS, issued_at=issued(3))), "--received-at", iso(1.5), "--defer")
    smi.killed_at("alerts-batch@2", "apply-due", "--now", iso(2))
    state = smi.json("report", "--now", iso(2))
    assert [e["state"] for e in state["extracts"][-2:]] == ["applied", "queued"]
    suspended = state["devices_by_status"]["Suspended"]

    smi("apply-due", "--now", iso(3))

    smi.outputs.assert_complete(2, suspended=suspended, restored=0)
    smi.outputs.assert_complete(3, suspended=0, restored=suspended)
    sequences = [line["extract_sequence"] for line in smi.outputs.alert_lines()]
    assert sequences == sorted(sequences), "alerts are written in the order the extracts were applied"


def test_an_alerts_file_that_cannot_be_written_is_one_sentence_and_the_next_run_writes_it(seeded: SmiRun) -> None:
    smi = seeded
    blocked = smi.tmp / "blocked"
    blocked.write_text("a file where the alerts' directory should be")
    smi.env["SMI_ALERTS_PATH"] = str(blocked / "alerts.jsonl")
    second, third = _withdrawal(smi), smi.signed("e3.p7m", cpl(3, MODELS, issued_at=issued(3)))
    failed = smi("ingest", second, "--received-at", iso(1), expect=2)
    [sentence] = failed.stderr.strip().splitlines()
    assert "cannot be written" in sentence and "next run" in sentence
    assert _committed(smi, 2)[0] == "applied"  # the apply itself committed
    _state, suspended = _committed(smi, 2)
    smi("ingest", third, "--received-at", iso(1.5), "--defer")
    smi("apply-due", "--now", iso(2), expect=2)  # the alerts of 2 still cannot be written: 3 is applied all the same
    assert _committed(smi, 3)[0] == "applied"
    smi.env["SMI_ALERTS_PATH"] = str(smi.outputs.alerts_path)
    smi("apply-due", "--now", iso(3))
    smi.outputs.assert_complete(2, suspended=suspended, restored=0)
    smi.outputs.assert_complete(3, suspended=0, restored=suspended)


def test_the_extract_in_force_received_again_writes_its_receipt_again_if_the_file_is_gone(smi: SmiRun) -> None:
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("ingest", first, "--received-at", iso(0))
    receipt = smi.outputs.receipts_dir / "receipt-1.p7m"
    receipt.unlink()
    (smi.outputs.receipts_dir / ".receipt-1.p7m.left.tmp").write_bytes(b"half a receipt")  # a rename never made
    said = smi.json("ingest", first, "--received-at", iso(1))
    assert said["result"] == "repeat" and [f["sequence"] for f in said["finished"]] == [1]
    assert smi.outputs.receipt(1).sequence == 1
    assert sorted(p.name for p in smi.outputs.receipts_dir.iterdir()) == ["receipt-1.p7m"]


def test_a_report_writes_the_alerts_a_killed_apply_owed_and_leaves_its_receipt_to_the_next_apply(
    seeded: SmiRun,
) -> None:
    smi = seeded
    smi.killed_at("applied", "ingest", _withdrawal(smi), "--received-at", iso(1))
    _state, suspended = _committed(smi, 2)
    record = smi.json("report", "--now", iso(1))["extracts"][-1]
    assert (record["alerts_owed"], record["receipt_available"]) == (False, False)
    assert len(smi.outputs.alerts_of(2)) == suspended
    smi("apply-due", "--now", iso(2))
    smi.outputs.assert_complete(2, suspended=suspended, restored=0)
