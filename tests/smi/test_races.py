"""Two DCC appliers at once: overlapping `smi apply-due` runs apply each queued extract exactly once.

One applier at a time per inventory (an advisory lock on PostgreSQL, a file lock beside an SQLite
database), and the apply itself claims its extract inside its transaction only while it is still
queued, so a second run finds nothing left to do. Its record keeps what the one apply did (the
Devices it suspended, the history its alerts are read from), and every alert is written once.
Real processes on SQLite files and on a real PostgreSQL server: free-running races, and races
released together from a start line (both paused at the top of `apply_due`, then resumed at once),
and races forced by pausing the first applier at a checkpoint while the second starts.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.smi.commandline import MODELS, SmiRun, finished, iso, issued, wait_for
from tests.smi.factories import cpl

FREE_RUNNING_RACES = 6
#: Where the first applier is held while the second one starts: after reading the queue, inside its
#: transaction before any Device changed, and after it suspended the Devices.
PAUSES = ["queue-read", "device-models", "DeviceSuspended"]


@pytest.fixture
def seeded(smi_on_each_backend: SmiRun) -> SmiRun:
    smi = smi_on_each_backend
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("seed", "--devices", "600", "--from-extract", first, "--seed", "4", "--at", iso(0))
    return smi


def _queue(smi: SmiRun, sequence: int) -> None:
    """Extract ``sequence`` queued: even sequences withdraw MODELS[0], odd ones list it again."""
    removed = MODELS[:1] if sequence % 2 == 0 else []
    active = MODELS[1:] if removed else MODELS
    made = cpl(sequence, active, removed=removed, issued_at=issued(sequence))
    smi("ingest", smi.signed(f"e{sequence}.p7m", made), "--received-at", iso(sequence), "--defer")


def _applied_by(output: str) -> list[int]:
    return [a["sequence"] for a in json.loads(output)["applied"]] if output.strip() else []


def _clean(smi: SmiRun, sequence: int, runs: list[tuple[int, str, str]], affected: int | None) -> list[str]:
    """What went wrong with this race, if anything (an empty list: it was clean)."""
    problems = []
    codes = [code for code, _out, _err in runs]
    if codes != [0, 0]:
        problems.append(f"exit codes {codes}: {[err.strip() for _c, _o, err in runs]}")
    appliers = [n for n, (_c, out, _e) in enumerate(runs) if sequence in _applied_by(out)]
    if len(appliers) != 1:
        problems.append(f"extract {sequence} applied by {len(appliers)} runs")
    report = smi.json("report", "--now", iso(sequence + 0.5))
    record = next(e for e in report["extracts"] if e["sequence"] == sequence and e["state"] != "refused")
    suspended = report["devices_by_status"]["Suspended"]
    expected = suspended if sequence % 2 == 0 else affected
    counted = record["devices_suspended"] if sequence % 2 == 0 else record["devices_restored"]
    if record["state"] != "applied" or counted != expected:
        problems.append(f"record says {record['state']}, {counted} Devices changed; {expected} were")
    lines = smi.outputs.alerts_of(sequence)
    ids = [line["device_id"] for line in lines]
    if len(ids) != expected or len(set(ids)) != len(ids):
        problems.append(f"{len(ids)} alert lines ({len(set(ids))} Devices) for {expected} changes")
    receipt = smi.outputs.receipts_dir / f"receipt-{sequence}.p7m"
    if not receipt.exists() or not record["receipt_available"]:
        problems.append("no receipt")
    else:
        made = smi.outputs.receipt(sequence)
        if (made.devices_suspended if sequence % 2 == 0 else made.devices_restored) != expected:
            problems.append("the receipt's count is wrong")
    return problems


def test_free_running_apply_due_races_apply_each_extract_once(seeded: SmiRun, tmp_path: Path) -> None:
    smi = seeded
    outcomes: dict[int, list[str]] = {}
    affected = None
    for sequence in range(2, 2 + FREE_RUNNING_RACES):
        _queue(smi, sequence)
        start_line = tmp_path / f"start-{sequence}"
        start_line.mkdir()
        racers = [
            smi.start(
                "apply-due", "--now", iso(sequence + 0.25), "--json", fault=("pause", "apply-due", str(start_line))
            )
            for _ in range(2)
        ]
        wait_for(lambda line=start_line: len(list(line.glob("paused.*"))) == 2, what="both appliers at the start line")
        (start_line / "resume").touch()  # and they are off, within a few milliseconds of each other
        runs = [finished(racer) for racer in racers]
        outcomes[sequence] = _clean(smi, sequence, runs, affected)
        if sequence == 2:
            affected = smi.json("report", "--now", iso(2.5))["devices_by_status"]["Suspended"]
            assert affected > 0
    clean = sum(1 for problems in outcomes.values() if not problems)
    assert clean == len(outcomes), f"races clean {clean}/{len(outcomes)}: {outcomes}"


@pytest.mark.parametrize("pause", PAUSES)
def test_a_second_applier_started_while_the_first_is_mid_apply_applies_nothing_twice(
    seeded: SmiRun, pause: str, tmp_path: Path
) -> None:
    smi = seeded
    _queue(smi, 2)
    flags = tmp_path / f"flags-{pause}"
    flags.mkdir()
    first = smi.start("apply-due", "--now", iso(2.25), "--json", fault=("pause", pause, str(flags)))
    wait_for(lambda: any(flags.glob("paused.*")) or first.poll() is not None, what="the first applier to pause")
    assert first.poll() is None, first.communicate()
    second = smi.start("apply-due", "--now", iso(2.25), "--json", fault=("pause", "never", str(flags)))
    # The second either waits for the first (it says so) or, unguarded, runs to the end; or neither,
    # blocked inside the database behind the first: then the first is resumed anyway.
    with contextlib.suppress(AssertionError):
        wait_for(lambda: any(flags.glob("waiting.*")) or second.poll() is not None, timeout=8)
    (flags / "resume").touch()
    runs = [finished(first), finished(second)]
    problems = _clean(smi, 2, runs, None)
    assert problems == [], f"race paused at {pause}: {problems}"


def test_the_pause_hook_pauses(seeded: SmiRun, tmp_path: Path) -> None:
    """The harness itself: a paused applier stays paused until it is resumed."""
    smi = seeded
    _queue(smi, 2)
    first = smi.start("apply-due", "--now", iso(2.25), fault=("pause", "device-models", str(tmp_path)))
    wait_for(lambda: any(tmp_path.glob("paused.*")), what="the pause")
    with pytest.raises(subprocess.TimeoutExpired):
        first.wait(timeout=1)
    (tmp_path / "resume").touch()
    assert finished(first)[0] == 0
