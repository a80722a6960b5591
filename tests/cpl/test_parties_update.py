"""`cpl parties update`: a party's address and name change, every address given is checked, each change
is audited, and notices follow the new address. Through the real `cpl` command."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cpl.conftest import CplRun
from tests.cpl.test_expiry import TWELVE, World, add_entry, build_world

PARSER = email.parser.BytesParser(policy=email.policy.default)


@pytest.fixture
def world(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CplRun, World]]:
    """acme-meters (cpl@acme.example), northwind (no address), SECAS with alice, in the command's store."""
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    yield cpl, build_world(cpl.tmp)


def party(cpl: CplRun, party_id: str) -> dict[str, object]:
    (found,) = [p for p in cpl.json("parties", "list")["parties"] if p["party_id"] == party_id]
    return dict(found)


def events(cpl: CplRun, action: str) -> list[dict[str, object]]:
    return [e for e in cpl.json("audit", "list")["events"] if e["action"] == action]


def recipients(outbox: Path) -> list[str]:
    return [str(PARSER.parsebytes(p.read_bytes())["To"]) for p in sorted(outbox.glob("*.eml"))]


# --- addresses are checked whenever given ---------------------------------------------------------


def test_an_address_that_is_not_one_is_refused_when_a_party_is_added_and_nothing_is_added(cpl: CplRun) -> None:
    result = cpl("parties", "add", "acme-meters", "--role", "manufacturer", "--email", "bob@", expect=2)
    assert result.stderr == "'bob@' is not an email address: nothing follows the '@'.\n"
    assert cpl.json("parties", "list")["parties"] == []
    assert cpl.json("audit", "list")["events"] == []


def test_an_address_given_when_adding_is_kept_without_surrounding_spaces(cpl: CplRun) -> None:
    cpl("parties", "add", "acme-meters", "--role", "manufacturer", "--email", " cpl@acme.example ")
    assert party(cpl, "acme-meters")["email"] == "cpl@acme.example"


def test_an_address_that_is_not_one_is_refused_on_update_and_nothing_changes(world: tuple[CplRun, World]) -> None:
    cpl, _ = world
    before = len(cpl.json("audit", "list")["events"])
    result = cpl("parties", "update", "acme-meters", "--email", "cpl.acme.example", "--name", "Acme", expect=2)
    assert result.stderr == "'cpl.acme.example' is not an email address: it has no '@'.\n"
    assert party(cpl, "acme-meters") == {
        "party_id": "acme-meters",
        "name": "acme-meters",
        "role": "manufacturer",
        "email": "cpl@acme.example",
        "users": ["acme-meters"],
    }
    assert len(cpl.json("audit", "list")["events"]) == before


# --- an update is a change like the others --------------------------------------------------------


def test_update_changes_the_address_and_the_audit_log_says_from_what_to_what(world: tuple[CplRun, World]) -> None:
    cpl, _ = world
    changed = cpl.json("parties", "update", "acme-meters", "--email", "metering@acme.example")
    assert changed == {
        "party": {
            "party_id": "acme-meters",
            "name": "acme-meters",
            "role": "manufacturer",
            "email": "metering@acme.example",
            "users": ["acme-meters"],
        },
        "changed": {"email": {"from": "cpl@acme.example", "to": "metering@acme.example"}},
    }
    assert party(cpl, "acme-meters")["email"] == "metering@acme.example"
    (event,) = events(cpl, "party.update")
    assert event["subject"] == "acme-meters"
    assert event["details"] == {"email": {"from": "cpl@acme.example", "to": "metering@acme.example"}}
    assert cpl("audit", "verify").stdout.startswith("intact: ")


def test_update_of_the_name_and_an_address_for_a_party_that_had_none(world: tuple[CplRun, World]) -> None:
    cpl, _ = world
    text = cpl("parties", "update", "northwind", "--name", "Northwind Devices", "--email", "cpl@northwind.example")
    assert text.stdout == (
        "Party northwind updated: email (none) -> cpl@northwind.example; name northwind -> Northwind Devices.\n"
    )
    assert (party(cpl, "northwind")["name"], party(cpl, "northwind")["email"]) == (
        "Northwind Devices",
        "cpl@northwind.example",
    )
    (event,) = events(cpl, "party.update")
    assert event["details"] == {
        "email": {"from": None, "to": "cpl@northwind.example"},
        "name": {"from": "northwind", "to": "Northwind Devices"},
    }


def test_an_update_to_what_the_party_already_reads_records_nothing(world: tuple[CplRun, World]) -> None:
    cpl, _ = world
    same = cpl.json("parties", "update", "acme-meters", "--email", "cpl@acme.example", "--name", "acme-meters")
    assert same["changed"] == {}
    text = cpl("parties", "update", "acme-meters", "--name", "acme-meters").stdout
    assert text == "Party acme-meters already reads so; nothing changed.\n"
    assert events(cpl, "party.update") == []


def test_an_update_names_what_to_change_and_an_existing_party(world: tuple[CplRun, World]) -> None:
    cpl, _ = world
    assert cpl("parties", "update", "acme-meters", expect=2).stderr == (
        "Say what to change: --email ADDRESS, --name NAME or both.\n"
    )
    assert cpl("parties", "update", "nobody", "--name", "x", expect=2).stderr == (
        "There is no party 'nobody'; add it with 'cpl parties add'.\n"
    )
    assert cpl("parties", "update", "acme-meters", "--name", "  ", expect=2).stderr == (
        "A party's name cannot be blank.\n"
    )
    assert events(cpl, "party.update") == []


# --- notices follow the address -------------------------------------------------------------------


def test_a_notice_still_queued_goes_to_the_address_the_party_has_when_it_is_sent(
    world: tuple[CplRun, World],
) -> None:
    cpl, w = world
    add_entry(w)
    cpl.env["CPL_SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens: the notice stays queued
    cpl("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    (queued,) = cpl.json("notices", "list", "--state", "queued")["notices"]
    assert queued["recipient"] == "cpl@acme.example"
    cpl("parties", "update", "acme-meters", "--email", "metering@acme.example")
    del cpl.env["CPL_SMTP_URL"]  # the outbox
    assert cpl.json("notices", "send")["sent"] == {queued["kind"]: 1}
    (sent,) = cpl.json("notices", "list")["notices"]
    assert (sent["state"], sent["recipient"]) == ("sent", "metering@acme.example")
    assert recipients(w.outbox) == ["metering@acme.example"]


def test_a_notice_owed_to_a_party_without_an_address_is_sent_once_it_has_one(world: tuple[CplRun, World]) -> None:
    cpl, w = world
    entry_id = add_entry(w, party="northwind")
    first = cpl.json("expiry", "run", "--as-of", TWELVE.isoformat(), "--send", expect=1)
    assert first["unaddressed"] == [
        {"entry_id": entry_id, "party": "northwind", "months_before": 12, "reported_before": False}
    ]
    cpl("parties", "update", "northwind", "--email", "cpl@northwind.example")
    later = (TWELVE + dt.timedelta(days=1)).isoformat()
    second = cpl.json("expiry", "run", "--as-of", later, "--send")
    assert second["sent"] == {"cpa-expiry-12-months": 1} and second["unaddressed"] == []
    assert recipients(w.outbox) == ["cpl@northwind.example"]
