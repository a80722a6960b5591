"""`cpl expiry run --as-of` a day other than today is a dry run: it prints what the job would send and
propose and changes nothing, byte for byte, unless `--send`. And the job's text output is a log: one
line per event, a UTC time first, never wrapped. Through the real `cpl` command."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest

from cpl.core.domain import add_months
from cpl.store import get_engine
from tests.cpl.conftest import CplRun
from tests.cpl.test_expiry import ACME_MAIL, END, SIX, TWELVE, World, add_entry, build_world

STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@pytest.fixture
def world(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    return build_world(cpl.tmp)


def snapshot(world: World) -> dict[str, str]:
    """Every file under the test's directory, by SHA-256, once this process has closed its connections
    (the last to close folds the WAL into the database file, so cpl.db then holds everything and no
    -wal file is left: a write by the command under test would change cpl.db or leave one)."""
    get_engine(world.url).dispose()
    directory = world.outbox.parent
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def events(text: str) -> list[str]:
    """Each log line's text after its time; every line must start with one."""
    found = []
    for line in text.splitlines():
        stamp, _, rest = line.partition(" ")
        assert STAMP.fullmatch(stamp), line
        found.append(rest)
    return found


def scenario(world: World) -> tuple[str, str, str]:
    """As of 2027-08-01: acme's entry owes both notices, a second acme entry has ended, northwind's
    entry owes its 12-month notice and northwind has no address."""
    owes = add_entry(world, "4331")
    ended = add_entry(world, "4332", expiry_date=dt.date(2026, 12, 31))
    unaddressed = add_entry(world, "4333", party="northwind")
    return owes, ended, unaddressed


AS_OF = dt.date(2027, 8, 1)


def test_an_as_of_in_the_future_changes_nothing_byte_for_byte_and_says_what_it_would_do(
    cpl: CplRun, world: World
) -> None:
    owes, ended, unaddressed = scenario(world)
    before = snapshot(world)
    result = cpl("expiry", "run", "--as-of", AS_OF.isoformat())
    assert snapshot(world) == before
    assert not world.outbox.exists()
    head = f"dry run as of {AS_OF}:"
    assert events(result.stdout) == [
        f"{head} would send the 12-month notice to acme-meters <{ACME_MAIL}> "
        f"({owes}, 12-month notice, CPA certificate ends {END})",
        f"{head} would send the 6-month notice to acme-meters <{ACME_MAIL}> "
        f"({owes}, 6-month notice, CPA certificate ends {END})",
        f"{head} would propose {ended} to the SEC Panel for removal (Expired): "
        "CPA certificate CPA-4332 expired on 2026-12-31",
        f"{head} the 12-month CPA notice of {unaddressed} would be owed to northwind, which has no email address",
        f"{head} the 6-month CPA notice of {unaddressed} would be owed to northwind, which has no email address",
        f"{head} nothing was sent, proposed or recorded: an --as-of other than today "
        f"({dt.datetime.now(dt.UTC).date()}) is a dry run; add --send to do it.",
    ]
    assert result.stderr == ""


def test_a_dry_run_predicts_exactly_what_send_then_does(cpl: CplRun, world: World) -> None:
    owes, ended, unaddressed = scenario(world)
    before = snapshot(world)
    dry: dict[str, Any] = cpl.json("expiry", "run", "--as-of", AS_OF.isoformat())
    assert snapshot(world) == before
    assert dry["dry_run"] is True and dry["as_of"] == AS_OF.isoformat()
    assert dry["would_queue"] == {"cpa-expiry-12-months": 1, "cpa-expiry-6-months": 1}
    assert [(n["entry_id"], n["party"], n["recipient"], n["months_before"]) for n in dry["notices"]] == [
        (owes, "acme-meters", ACME_MAIL, 12),
        (owes, "acme-meters", ACME_MAIL, 6),
    ]
    assert dry["would_retry"] == [] and dry["undated"] == []
    real: dict[str, Any] = cpl.json("expiry", "run", "--as-of", AS_OF.isoformat(), "--send", expect=1)
    assert real["dry_run"] is False
    assert real["sent"] == real["queued"] == dry["would_queue"]
    assert (
        real["proposals"]
        == dry["proposals"]
        == [{"entry_id": ended, "status": "Expired", "reason": "CPA certificate CPA-4332 expired on 2026-12-31"}]
    )
    assert (
        real["unaddressed"]
        == dry["unaddressed"]
        == [
            {"entry_id": unaddressed, "party": "northwind", "months_before": months, "reported_before": False}
            for months in (12, 6)
        ]
    )
    sent = cpl.json("notices", "list")["notices"]
    assert [(n["kind"], n["subject_ref"], n["recipient"]) for n in sent] == [
        (n["kind"], n["subject_ref"], n["recipient"]) for n in dry["notices"]
    ]
    assert len(list(world.outbox.glob("*.eml"))) == 2
    # once done, a dry run of the same day owes nothing more
    after = cpl.json("expiry", "run", "--as-of", AS_OF.isoformat())
    assert (after["would_queue"], after["proposals"]) == ({}, [])


def test_an_as_of_in_the_past_is_a_dry_run_too(cpl: CplRun, world: World) -> None:
    add_entry(world, expiry_date=dt.date(2020, 6, 30))
    before = snapshot(world)
    dry = cpl.json("expiry", "run", "--as-of", "2020-07-01")
    assert [p["reason"] for p in dry["proposals"]] == ["CPA certificate CPA-4331 expired on 2020-06-30"]
    assert snapshot(world) == before
    assert cpl.json("proposals")["proposals"] == []


def test_a_dry_run_names_the_queued_notices_a_run_would_retry_and_sends_none(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world)
    cpl.env["CPL_SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens: the notice stays queued
    cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    del cpl.env["CPL_SMTP_URL"]
    before = snapshot(world)
    text = cpl("expiry", "run", "--as-of", TWELVE.isoformat()).stdout
    (queued,) = cpl.json("notices", "list")["notices"]
    assert events(text)[0] == (
        f"dry run as of {TWELVE}: would retry queued notice {queued['id']} to acme-meters "
        f"({entry_id}, 12-month notice, CPA certificate ends {END})"
    )
    assert snapshot(world) == before and queued["state"] == "queued"


def test_today_is_the_normal_run_with_or_without_the_date(cpl: CplRun, world: World) -> None:
    today = dt.datetime.now(dt.UTC).date()
    add_entry(world, expiry_date=add_months(today, 11))  # its 12-month window opened a month ago
    with_date = cpl.json("expiry", "run", "--as-of", today.isoformat())
    assert with_date["dry_run"] is False and with_date["sent"] == {"cpa-expiry-12-months": 1}
    add_entry(world, "4332", expiry_date=add_months(today, 11))
    without = cpl.json("expiry", "run")
    assert without["dry_run"] is False and without["sent"] == {"cpa-expiry-12-months": 1}
    assert cpl.json("expiry", "run", "--send")["sent"] == {}
    assert len(list(world.outbox.glob("*.eml"))) == 2


def test_send_with_another_date_acts_as_of_that_date(cpl: CplRun, world: World) -> None:
    add_entry(world)
    assert cpl.json("expiry", "run", "--as-of", SIX.isoformat(), "--send")["sent"] == {
        "cpa-expiry-12-months": 1,
        "cpa-expiry-6-months": 1,
    }


# --- the log --------------------------------------------------------------------------------------


def test_each_event_is_one_line_with_its_utc_time_however_narrow_the_terminal(cpl: CplRun, world: World) -> None:
    owes, ended, unaddressed = scenario(world)
    cpl.env["COLUMNS"] = "40"
    result = cpl("expiry", "run", "--as-of", AS_OF.isoformat(), "--send", expect=1)
    sent = {n["kind"]: n for n in cpl.json("notices", "list")["notices"]}
    twelve, six = sent["cpa-expiry-12-months"], sent["cpa-expiry-6-months"]
    (proposal,) = cpl.json("proposals")["proposals"]
    lines = result.stdout.splitlines()
    assert events(result.stdout) == [
        f"proposal {proposal['id']}: {ended} proposed to the SEC Panel for removal (Expired): "
        "CPA certificate CPA-4332 expired on 2026-12-31",
        f"notice {twelve['id']} sent to acme-meters <{ACME_MAIL}> ({owes}, 12-month notice, CPA certificate ends "
        f"{END})",
        f"notice {six['id']} sent to acme-meters <{ACME_MAIL}> ({owes}, 6-month notice, CPA certificate ends {END})",
        f"expiry run as of {AS_OF}: notices sent: 1 cpa-expiry-12-months, 1 cpa-expiry-6-months; "
        "removal proposals for the Panel: 1.",
    ]
    # each line's time is its event's: the notice's when it was sent, the proposal's when it was made
    assert lines[0].startswith(dt.datetime.fromisoformat(proposal["proposed_at"]).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert lines[1].startswith(dt.datetime.fromisoformat(twelve["sent_at"]).strftime("%Y-%m-%dT%H:%M:%SZ"))
    owed = [
        f"{unaddressed}: the {months}-month CPA notice is owed to northwind, which has no email address; this is "
        "said once: give it one with 'cpl parties update northwind --email ADDRESS' and the next run sends the notice."
        for months in (12, 6)
    ]
    assert events(result.stderr) == owed


def test_notices_send_logs_each_notice_and_a_failure_on_stderr(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world)
    cpl.env["CPL_SMTP_URL"] = "smtp://127.0.0.1:9"
    failed = cpl("notices", "send")  # nothing queued yet: nothing to fail
    assert events(failed.stdout) == ["Notices sent: none."]
    cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    down = cpl("notices", "send", expect=1)
    assert events(down.stdout) == ["Notices sent: none."]
    (failure,) = events(down.stderr)
    assert "cannot be reached" in failure and failure.endswith("; it stays queued for 'cpl notices send'.")
    del cpl.env["CPL_SMTP_URL"]
    (notice,) = cpl.json("notices", "list")["notices"]
    up = cpl("notices", "send")
    assert events(up.stdout) == [
        f"notice {notice['id']} sent to acme-meters <{ACME_MAIL}> ({entry_id}, 12-month notice, "
        f"CPA certificate ends {END})",
        "Notices sent: 1 cpa-expiry-12-months.",
    ]


def test_json_output_keeps_its_shape(cpl: CplRun, world: World) -> None:
    scenario(world)
    real = cpl.json("expiry", "run", "--as-of", AS_OF.isoformat(), "--send", expect=1)
    assert sorted(real) == [
        "as_of",
        "dry_run",
        "failures",
        "proposals",
        "queued",
        "sent",
        "unaddressed",
        "undated",
    ]


def test_a_database_that_cannot_be_opened_is_one_sentence_and_exit_2(cpl: CplRun) -> None:
    (cpl.tmp / "not-a-directory").write_text("a file\n")
    cpl.env["CPL_DATABASE_URL"] = f"sqlite:///{cpl.tmp}/not-a-directory/cpl.db"
    for command in (("expiry", "run"), ("notices", "send")):
        result = cpl(*command, expect=2)
        assert result.stderr == (
            f"There is no CPL database at {cpl.tmp}/not-a-directory/cpl.db "
            f"(CPL_DATABASE_URL=sqlite:///{cpl.tmp}/not-a-directory/cpl.db): run cpl from the service's "
            "directory or set CPL_DATABASE_URL; a new store is started by `cpl parties add` or `cpl import-cpl`.\n"
        )
    cpl.env["CPL_DATABASE_URL"] = "postgresql+psycopg://cpl:s3cret@127.0.0.1:9/cpl"
    result = cpl("expiry", "run", expect=2)
    assert result.stderr.startswith("The CPL database postgresql+psycopg://cpl:***@127.0.0.1:9/cpl cannot be opened (")
    assert "s3cret" not in result.stderr and result.stderr.count("\n") == 1
