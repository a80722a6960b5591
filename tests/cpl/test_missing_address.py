"""A CPA notice owed to a party with no email address is reported once, by the first run that owes it,
not by every run after: recorded per party and notice (kind, entry, end date). Through the real `cpl`."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cpl.conftest import CplRun
from tests.cpl.test_expiry import END, SIX, TWELVE, World, add_entry, build_world


@pytest.fixture
def world(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    return build_world(cpl.tmp)  # northwind has no address


def owed_line(entry_id: str, months: int) -> str:
    return (
        f"{entry_id}: the {months}-month CPA notice is owed to northwind, which has no email address; this is "
        "said once: give it one with 'cpl parties update northwind --email ADDRESS' and the next run sends the notice."
    )


def stderr_lines(text: str) -> list[str]:
    """The log lines without their UTC times."""
    return [line.split(" ", 1)[1] for line in text.splitlines()]


def test_the_first_run_says_it_and_exits_1_the_second_says_nothing_and_exits_0(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world, party="northwind")
    first = cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    assert stderr_lines(first.stderr) == [owed_line(entry_id, 12)]
    second = cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=0)
    assert second.stderr == ""
    later = (TWELVE + dt.timedelta(days=30)).isoformat()
    assert cpl("expiry", "run", "--as-of", later, "--send", expect=0).stderr == ""
    # still owed, and the JSON says it was reported before
    again = cpl.json("expiry", "run", "--as-of", later, "--send")
    assert again["unaddressed"] == [
        {"entry_id": entry_id, "party": "northwind", "months_before": 12, "reported_before": True}
    ]
    assert cpl.json("notices", "list")["notices"] == []


def test_the_report_is_recorded_once_in_the_audit_log(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world, party="northwind")
    cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send")
    runs = [e for e in cpl.json("audit", "list")["events"] if e["action"] == "expiry.run"]
    assert [e["details"] for e in runs] == [
        {"notices": [], "proposals": [], "no_address": [{"entry": entry_id, "party": "northwind", "months_before": 12}]}
    ]


def test_each_notice_is_reported_once_the_next_window_and_another_entry_in_their_turn(
    cpl: CplRun, world: World
) -> None:
    first_entry = add_entry(world, "4331", party="northwind")
    second_entry = add_entry(world, "4332", party="northwind", expiry_date=END + dt.timedelta(days=40))
    both = cpl("expiry", "run", "--as-of", (TWELVE + dt.timedelta(days=40)).isoformat(), "--send", expect=1)
    assert stderr_lines(both.stderr) == [owed_line(first_entry, 12), owed_line(second_entry, 12)]
    six = cpl("expiry", "run", "--as-of", SIX.isoformat(), "--send", expect=1)
    assert stderr_lines(six.stderr) == [owed_line(first_entry, 6)]
    assert cpl("expiry", "run", "--as-of", SIX.isoformat(), "--send").stderr == ""


def test_a_moved_end_date_is_another_notice_and_is_reported_in_its_turn(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world, party="northwind", conditional=TWELVE + dt.timedelta(days=200))
    conditional_twelve = (TWELVE + dt.timedelta(days=200 - 365 + 1)).isoformat()
    first = cpl("expiry", "run", "--as-of", conditional_twelve, "--send", expect=1)
    assert stderr_lines(first.stderr) == [owed_line(entry_id, 12)]
    cpl("certificates", "conditions-met", "CPA-4331", "--by", "alice")  # the end is the expiry now
    moved = cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    assert stderr_lines(moved.stderr) == [owed_line(entry_id, 12)]
    assert cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send").stderr == ""


def test_a_dry_run_does_not_count_as_reporting_it(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world, party="northwind")
    dry = cpl.json("expiry", "run", "--as-of", TWELVE.isoformat())
    assert dry["unaddressed"] == [
        {"entry_id": entry_id, "party": "northwind", "months_before": 12, "reported_before": False}
    ]
    real = cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    assert stderr_lines(real.stderr) == [owed_line(entry_id, 12)]
    after = cpl.json("expiry", "run", "--as-of", TWELVE.isoformat())
    assert after["unaddressed"][0]["reported_before"] is True
