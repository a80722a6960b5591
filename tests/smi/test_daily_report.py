"""`smi report` says what each extract did and why: per Device Model, its CPL entry, the status the entry
has now and had before, the Panel reference it carries and the Devices it moved; how late an overdue
extract was; and which sequences are missing between the ones received.

The per-model counts are the apply's own, written in its transaction: they describe the Devices as they
were when it ran (not after a firmware update since), and they outlive `smi prune-history`. A report
reads them and the extracts' records, never the Devices' history, whatever the size of the inventory.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, event

from smi import rules
from smi.rules import SmiStatus
from smi.service import Inventory
from smi.store import Store, extract_models
from smi.views import duration_words
from tests.smi.commandline import MODELS, SmiRun, iso, issued
from tests.smi.daily import (
    A2,
    CANCELLATION_OF_B,
    SUSPENDED_BY_2,
    WITHDRAWAL_OF_A,
    A,
    B,
    C,
    D,
    a_week,
    device_ids,
)
from tests.smi.factories import GAS, HUB, T0, Key, cpl, entry, entry_id_for, extract, key
from tests.smi.legacy import as_an_earlier_version_left_the_database


def _model(k: Key) -> dict[str, str]:
    kind, manufacturer, model, hardware, firmware = k
    return {
        "physical_device_type": kind,
        "manufacturer_id": manufacturer,
        "model_id": model,
        "hardware_version": hardware,
        "firmware_version": firmware,
    }


def _by_sequence(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {e["sequence"]: e for e in report["extracts"] if e["state"] != "refused"}


# --- per model: which, why, how many -------------------------------------------------------------


def test_the_report_names_each_model_an_extract_suspended_with_its_entry_status_panel_reference_and_devices(
    smi_on_each_backend: SmiRun,
) -> None:
    week = a_week(smi_on_each_backend)
    report = _by_sequence(week.smi.json("report", "--now", week.report_at))
    assert sorted(report[2]["models"], key=lambda m: m["entry_id"]) == sorted(
        [
            {
                "entry_id": entry_id_for(A),
                "model": _model(A),
                "change": "suspend",
                "cpl_status_before": "Active",
                "cpl_status": "Withdrawn",
                "panel_reference": WITHDRAWAL_OF_A,
                "devices": SUSPENDED_BY_2[A],
            },
            {
                "entry_id": entry_id_for(B),
                "model": _model(B),
                "change": "suspend",
                "cpl_status_before": "Active",
                "cpl_status": "Cancelled",
                "panel_reference": CANCELLATION_OF_B,
                "devices": SUSPENDED_BY_2[B],
            },
        ],
        key=lambda m: str(m["entry_id"]),
    )
    assert report[2]["devices_suspended"] == sum(SUSPENDED_BY_2.values())


def test_a_model_listed_active_again_is_reported_restored_and_one_new_to_the_cpl_is_not(smi: SmiRun) -> None:
    week = a_week(smi)
    report = _by_sequence(smi.json("report", "--now", week.report_at))
    assert report[3]["models"] == [
        {
            "entry_id": entry_id_for(A),
            "model": _model(A),
            "change": "restore",
            "cpl_status_before": "Withdrawn",
            "cpl_status": "Active",
            "panel_reference": None,
            "devices": SUSPENDED_BY_2[A],
        }
    ]  # not A2 or D, new to the CPL; not B, still Cancelled; not C, Active throughout
    assert report[1]["models"] == [] and report[5]["models"] == []
    assert all(e["models_recorded"] for e in report.values())


def test_the_text_report_shows_each_models_entry_status_panel_reference_and_devices(smi: SmiRun) -> None:
    week = a_week(smi)
    text = smi("report", "--now", week.report_at).stdout
    assert "Extract 2: Device Models suspended or restored" in text
    row_a = next(line for line in text.splitlines() if entry_id_for(A) in line and "Withdrawn" in line)
    assert re.search(rf"Active -> Withdrawn .*{WITHDRAWAL_OF_A} .*suspend .*\b{SUSPENDED_BY_2[A]}\b", row_a), row_a
    row_b = next(line for line in text.splitlines() if entry_id_for(B) in line and "Cancelled" in line)
    assert re.search(rf"{CANCELLATION_OF_B} .*suspend .*\b{SUSPENDED_BY_2[B]}\b", row_b), row_b
    row_restored = next(line for line in text.splitlines() if "Withdrawn -> Active again" in line)
    assert entry_id_for(A) in row_restored and "restore" in row_restored


def test_per_model_counts_are_the_applys_not_what_the_devices_run_since(smi: SmiRun) -> None:
    """A restored Device moved to other firmware since: extract 2's and 3's counts still say model A."""
    week = a_week(smi)
    moved = device_ids(A)[0]
    smi("update-firmware", moved, A2[4], "--at", iso(31.5))
    assert smi.json("device", moved)["firmware_version"] == A2[4]
    report = _by_sequence(smi.json("report", "--now", week.report_at))
    assert {m["entry_id"]: m["devices"] for m in report[2]["models"]} == {
        entry_id_for(A): SUSPENDED_BY_2[A],
        entry_id_for(B): SUSPENDED_BY_2[B],
    }
    assert [(m["model"], m["devices"]) for m in report[3]["models"]] == [(_model(A), SUSPENDED_BY_2[A])]


def test_per_model_counts_outlive_the_pruned_history(smi: SmiRun) -> None:
    week = a_week(smi)
    as_an_earlier_version_left_the_database(smi.env["SMI_DATABASE_URL"])  # rows to prune: an earlier version's
    before = smi.json("report", "--now", week.report_at)
    pruned = smi.json("prune-history", "--keep-days", "1", "--now", iso(24 * 10))
    rows = sum(SUSPENDED_BY_2.values()) + SUSPENDED_BY_2[A]  # extract 2's suspensions, extract 3's restorations
    assert (pruned["extracts"], pruned["history_rows_removed"]) == ([2, 3], rows)
    after = smi.json("report", "--now", week.report_at)
    assert [e["models"] for e in after["extracts"]] == [e["models"] for e in before["extracts"]]


def test_an_apply_from_before_per_model_counts_says_they_were_not_recorded(smi: SmiRun) -> None:
    week = a_week(smi)
    store = Store.open(smi.env["SMI_DATABASE_URL"])
    with store.begin() as conn:  # as a database an earlier version applied extract 2 in
        conn.execute(delete(extract_models))
    store.dispose()
    report = _by_sequence(smi.json("report", "--now", week.report_at))
    assert (report[2]["models"], report[2]["models_recorded"]) == ([], False)
    assert report[1]["models_recorded"] is True  # it moved no Device: there was nothing to record
    assert "Extract 2: applied before per-model counts were recorded." in smi("report", "--now", week.report_at).stdout


# --- the 24 hours: how late --------------------------------------------------------------------


def test_an_overdue_extract_says_how_late_it_was_applied_and_one_still_queued_how_late_it_is_now(
    smi: SmiRun,
) -> None:
    week = a_week(smi)
    report = _by_sequence(smi.json("report", "--now", week.report_at))
    assert (report[3]["window"], report[3]["overdue_by_seconds"]) == ("overdue", 3 * 3600)  # applied at 29 h
    assert [report[s]["overdue_by_seconds"] for s in (1, 2, 5)] == [None, None, None]
    text = smi("report", "--now", week.report_at).stdout
    row = next(line for line in text.splitlines() if line.strip().startswith("│        3 "))
    assert "overdue" in row and "3 h 00 min" in row

    six = extract(6, [entry(k) for k in (A, A2, C, D)] + [entry(B, status="Cancelled")], issued_at=issued(6))
    smi("ingest", smi.signed("e6.p7m", six), "--received-at", iso(33), "--defer")
    queued = _by_sequence(smi.json("report", "--now", iso(33 + 24 + 0.5)))[6]
    assert (queued["state"], queued["window"], queued["overdue_by_seconds"]) == ("queued", "overdue", 1800)
    assert _by_sequence(smi.json("report", "--now", iso(33 + 24)))[6]["overdue_by_seconds"] is None  # on time


# --- sequence gaps -----------------------------------------------------------------------------


def test_a_sequence_never_accepted_between_two_received_is_a_gap_and_says_it_was_refused(smi: SmiRun) -> None:
    week = a_week(smi)
    report = smi.json("report", "--now", week.report_at)
    assert report["sequence_gaps"] == [
        {"first_missing": 4, "last_missing": 4, "missing": 1, "after": 3, "before": 5, "refused": [4]}
    ]
    text = smi("report", "--now", week.report_at).stdout
    assert "Sequence gap: sequence 4 missing between 3 and 5; received and refused: 4." in text


def test_a_jump_in_sequences_is_one_gap_and_no_gap_below_the_first_received(smi: SmiRun) -> None:
    for sequence, hours in ((7, 0), (8, 1), (12, 2)):
        smi(
            "ingest",
            smi.signed(f"e{sequence}.p7m", cpl(sequence, MODELS, issued_at=issued(sequence))),
            "--received-at",
            iso(hours),
        )
    gaps = smi.json("report", "--now", iso(3))["sequence_gaps"]
    assert gaps == [{"first_missing": 9, "last_missing": 11, "missing": 3, "after": 8, "before": 12, "refused": []}]
    assert "Sequence gap: sequences 9 to 11 (3) missing between 8 and 12." in smi("report", "--now", iso(3)).stdout


def test_no_gap_when_every_sequence_between_the_first_and_last_was_accepted(smi: SmiRun) -> None:
    for sequence in (1, 2, 3):
        smi(
            "ingest",
            smi.signed(f"e{sequence}.p7m", cpl(sequence, MODELS, issued_at=issued(sequence))),
            "--received-at",
            iso(sequence),
        )
    assert smi.json("report", "--now", iso(4))["sequence_gaps"] == []
    assert "Sequence gap" not in smi("report", "--now", iso(4)).stdout


@given(
    received=st.sets(st.integers(min_value=1, max_value=40), max_size=15),
    refused_share=st.sets(st.integers(min_value=1, max_value=40), max_size=15),
)
def test_the_gaps_are_exactly_the_unaccepted_sequences_strictly_between_the_lowest_and_highest_received(
    received: set[int], refused_share: set[int]
) -> None:
    accepted = received - refused_share
    gaps = rules.sequence_gaps(received, accepted)
    missing = [n for gap in gaps for n in range(gap.first, gap.last + 1)]
    expected = [n for n in range(min(received, default=0) + 1, max(received, default=0)) if n not in accepted]
    assert missing == expected
    for gap in gaps:
        assert gap.after == gap.first - 1 and gap.before == gap.last + 1
        assert gap.after in received and gap.before in received
        assert list(gap.refused) == sorted(n for n in received - accepted if gap.first <= n <= gap.last)
    assert all(earlier.last + 1 < later.first for earlier, later in itertools.pairwise(gaps))


def test_lateness_is_measured_from_the_deadline_and_nothing_on_the_deadline_is_late() -> None:
    received = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    deadline = received + dt.timedelta(hours=24)
    assert rules.overdue_by(received, deadline, deadline) is None
    assert rules.overdue_by(received, deadline + dt.timedelta(seconds=1), deadline) == dt.timedelta(seconds=1)
    assert rules.overdue_by(received, None, deadline + dt.timedelta(minutes=90)) == dt.timedelta(minutes=90)
    assert rules.overdue_by(received, None, deadline - dt.timedelta(hours=1)) is None


# --- bounded at national scale ---------------------------------------------------------------------


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_a_report_reads_no_history_and_no_device_beyond_the_status_counts(inventory: Inventory) -> None:
    """Per-model counts come from the applies' own rows: a report never reads the history, nor the
    Devices of any model, so it costs the same for a withdrawal of ten Devices or of ten million."""
    a, b = key(GAS, "0001"), key(HUB, "0002")
    inventory.receive(cpl(1, [a, b]).content(), received_at=T0 + dt.timedelta(hours=1))
    inventory.seed(cpl(1, [a, b]), 200, seed=4, at=T0 + dt.timedelta(hours=1))
    inventory.receive(cpl(2, [b], [a]).content(), received_at=T0 + dt.timedelta(hours=2))
    inventory.receive(cpl(3, [a, b]).content(), received_at=T0 + dt.timedelta(hours=3))
    with statements(inventory.store) as seen:
        report = inventory.report(T0 + dt.timedelta(hours=4))
    assert [c.devices for c in report.models_of(report.extracts[1])] == [report.extracts[1].devices_suspended]
    assert report.extracts[1].devices_suspended and report.extracts[2].devices_restored
    assert not [s for s in seen if "status_history" in s]
    on_devices = [s for s in seen if re.search(r"\bFROM devices\b", s)]
    assert len(on_devices) == 1 and "GROUP BY devices.status" in on_devices[0], on_devices


def test_per_model_counts_of_several_models_in_one_apply_are_each_models_own(inventory: Inventory) -> None:
    """Two models withdrawn together (one aggregate) and one restored alone (the UPDATE's own count)."""
    a, b, c = key(GAS, "0001"), key(HUB, "0002"), key(GAS, "0003")
    start = T0 + dt.timedelta(hours=1)
    inventory.receive(cpl(1, [a, b, c]).content(), received_at=start)
    wanted = {
        a: [SmiStatus.COMMISSIONED] * 3 + [SmiStatus.RECOVERY],
        b: [SmiStatus.PENDING] * 5,
        c: [SmiStatus.WHITELISTED],
    }
    for n, (model, status) in enumerate((m, one) for m, statuses in wanted.items() for one in statuses):
        inventory.add_device(
            f"{n:016X}",
            physical_device_type=model[0],
            manufacturer_id=model[1],
            model_id=model[2],
            hardware_version=model[3],
            firmware_version=model[4],
            status=status,
            at=start,
        )
    inventory.receive(cpl(2, [c], [a, b]).content(), received_at=T0 + dt.timedelta(hours=2))
    inventory.receive(cpl(3, [a, c], [b]).content(), received_at=T0 + dt.timedelta(hours=3))
    report = inventory.report(T0 + dt.timedelta(hours=4))
    second, third = report.extracts[1], report.extracts[2]
    assert {c.model_key: c.devices for c in report.models_of(second)} == {a: 3, b: 5}  # A's Recovery one stays
    assert [(c.model_key, c.alert, c.devices) for c in report.models_of(third)] == [(a, "DeviceRestored", 3)]
    assert (second.devices_suspended, third.devices_restored) == (8, 3)


@pytest.mark.parametrize("withdrawn", [[A], [A, B]], ids=["one model", "two models"])
def test_per_model_counts_sum_to_the_extracts_count(inventory: Inventory, withdrawn: list[Key]) -> None:
    models = [A, B, C]
    start = T0 + dt.timedelta(hours=1)
    inventory.receive(cpl(1, models).content(), received_at=start)
    inventory.seed(cpl(1, models), 300, seed=11, at=start)
    inventory.receive(
        cpl(2, [m for m in models if m not in withdrawn], withdrawn).content(),
        received_at=start + dt.timedelta(hours=1),
    )
    report = inventory.report(start + dt.timedelta(hours=2))
    second = report.extracts[1]
    changes = report.models_of(second)
    assert sorted(c.model_key for c in changes) == sorted(withdrawn)
    assert sum(c.devices for c in changes) == second.devices_suspended
    with inventory.store.begin() as conn:  # each model's count is its Devices the CPL suspended
        for change in changes:
            pattern = rules.model_pattern("/".join(change.model_key[1:]))
            total, _page = inventory.store.find_devices(
                conn, pattern, physical_device_type=change.model_key[0], status="Suspended", limit=1
            )
            assert change.devices == total


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(45, "45 s"), (12 * 60 + 59, "12 min"), (3 * 3600 + 5 * 60, "3 h 05 min"), (2 * 86400 + 4 * 3600 + 59, "2 d 4 h")],
)
def test_how_late_is_said_in_the_largest_units_that_fit(seconds: int, said: str) -> None:
    assert duration_words(dt.timedelta(seconds=seconds)) == said
