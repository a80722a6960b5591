"""`cpl proposals list` and `cpl proposals dismiss`: a removal proposal the Panel will not act on is closed
with who and why, audited, and not proposed again for the same certificate and end date; a new end date
that passes proposes the entry afresh. Through the real `cpl` command."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from cpl import audit
from cpl.core import errors
from cpl.core.domain import format_entry_id
from cpl.services import proposals as proposal_service
from cpl.store import get_engine
from tests.conftest import PostgresServer
from tests.cpl.conftest import CplRun, unit
from tests.cpl.test_expiry import END, NOW, World, add_entry, build_world


@pytest.fixture
def world(cpl: CplRun, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CPL_OUTBOX_DIR", cpl.env["CPL_OUTBOX_DIR"])
    return build_world(cpl.tmp)


def run(cpl: CplRun, day: dt.date) -> dict[str, Any]:
    result: dict[str, Any] = cpl.json("expiry", "run", "--as-of", day.isoformat(), "--send")
    return result


def only_proposal(cpl: CplRun) -> dict[str, Any]:
    (proposal,) = cpl.json("proposals", "list")["proposals"]
    return dict(proposal)


EXPIRED = f"CPA certificate CPA-4331 expired on {END.isoformat()}"


def test_a_dismissed_proposal_is_closed_with_who_and_why_and_not_proposed_again(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world)
    assert [p["reason"] for p in run(cpl, END)["proposals"]] == [EXPIRED]
    proposal = only_proposal(cpl)
    assert (proposal["entry_id"], proposal["state"], proposal["proposed_status"]) == (entry_id, "open", "Expired")
    dismissed = cpl.json(
        "proposals", "dismiss", str(proposal["id"]), "--by", "alice", "--reason", "SECP_70_0102: renewal in hand"
    )["proposal"]
    assert (dismissed["id"], dismissed["state"]) == (proposal["id"], "dismissed")
    assert (dismissed["dismissed_by"], dismissed["dismissal_reason"]) == ("alice", "SECP_70_0102: renewal in hand")
    assert dismissed["dismissed_at"] is not None
    assert cpl.json("proposals", "list")["proposals"] == [] and cpl.json("proposals")["proposals"] == []
    for later in (END, END + dt.timedelta(days=5), END + dt.timedelta(days=400)):
        assert run(cpl, later)["proposals"] == []
    (kept,) = cpl.json("proposals", "list", "--state", "dismissed")["proposals"]
    assert (kept["id"], kept["reason"]) == (proposal["id"], EXPIRED)
    assert [p["id"] for p in cpl.json("proposals", "list", "--state", "all")["proposals"]] == [proposal["id"]]


def test_the_dismissal_is_in_the_audit_log(cpl: CplRun, world: World) -> None:
    entry_id = add_entry(world)
    run(cpl, END)
    proposal = only_proposal(cpl)
    cpl("proposals", "dismiss", str(proposal["id"]), "--by", "alice", "--reason", "the Panel let it stand")
    (event,) = [e for e in cpl.json("audit", "list")["events"] if e["action"] == "proposal.dismiss"]
    assert (event["actor"], event["subject"]) == ("alice", f"proposal:{proposal['id']}")
    assert event["details"] == {
        "entry": entry_id,
        "proposed": EXPIRED,
        "status": "Expired",
        "reason": "the Panel let it stand",
    }
    assert cpl("audit", "verify").stdout.startswith("intact: ")


def test_a_new_end_date_that_passes_proposes_the_entry_afresh(cpl: CplRun, world: World) -> None:
    conditional = dt.date(2027, 3, 1)
    entry_id = add_entry(world, expiry_date=dt.date(2031, 1, 31), conditional=conditional)
    (first,) = run(cpl, conditional + dt.timedelta(days=1))["proposals"]
    assert "conditional date 2027-03-01" in first["reason"]
    cpl("proposals", "dismiss", str(only_proposal(cpl)["id"]), "--by", "alice", "--reason", "extension coming")
    assert run(cpl, conditional + dt.timedelta(days=2))["proposals"] == []
    extended = dt.date(2027, 9, 1)
    cpl("certificates", "conditions-met", "CPA-4331", "--by", "alice", "--extend-to", extended.isoformat())
    assert run(cpl, extended - dt.timedelta(days=1))["proposals"] == []  # the new date has not passed yet
    (again,) = run(cpl, extended + dt.timedelta(days=1))["proposals"]
    assert again["entry_id"] == entry_id and "conditional date 2027-09-01" in again["reason"]
    states = [(p["state"], p["reason"]) for p in cpl.json("proposals", "list", "--state", "all")["proposals"]]
    assert states == [("dismissed", first["reason"]), ("open", again["reason"])]


def test_the_dismissal_says_what_proposes_it_again(cpl: CplRun, world: World) -> None:
    add_entry(world)
    run(cpl, END)
    proposal = only_proposal(cpl)
    text = cpl("proposals", "dismiss", str(proposal["id"]), "--by", "alice", "--reason", "let it stand").stdout
    assert text == (
        f"Proposal {proposal['id']} ({proposal['entry_id']}) dismissed: it is not proposed again for this "
        "certificate and end date; a new end date (a renewed certificate, an extended conditional period) "
        "proposes the entry afresh once that date passes too.\n"
    )


def test_a_revocation_proposal_once_dismissed_is_never_made_again(cpl: CplRun, world: World) -> None:
    add_entry(world)
    cpl("certificates", "revoke", "CPA", "CPA-4331", "--by", "alice", "--reason", "scheme withdrew it")
    proposal = only_proposal(cpl)
    assert proposal["proposed_status"] == "Withdrawn"
    text = cpl("proposals", "dismiss", str(proposal["id"]), "--by", "alice", "--reason", "appeal upheld").stdout
    assert text.endswith("dismissed: it is not proposed again: the certificate stays revoked.\n")
    assert run(cpl, END + dt.timedelta(days=1))["proposals"] == []
    assert cpl.json("proposals")["proposals"] == []


def test_a_proposal_decided_or_dismissed_cannot_be_dismissed(cpl: CplRun, world: World) -> None:
    add_entry(world, "4331")
    add_entry(world, "4332")
    run(cpl, END)
    first, second = cpl.json("proposals", "list")["proposals"]
    done = cpl.json("proposals", "dismiss", str(first["id"]), "--by", "alice", "--reason", "let it stand")
    day = done["proposal"]["dismissed_at"][:10]
    again = cpl("proposals", "dismiss", str(first["id"]), "--by", "secas", "--reason", "again", expect=1)
    assert again.stderr == (
        f"Proposal {first['id']} ({first['entry_id']}) was already dismissed by alice on {day} (let it stand).\n"
    )
    cpl("remove", second["entry_id"], "--status", "Expired", "--panel-ref", "SECP_70_0101", "--by", "alice")
    decided = cpl("proposals", "dismiss", str(second["id"]), "--by", "alice", "--reason", "late", expect=1)
    assert decided.stderr == (
        f"Proposal {second['id']} ({second['entry_id']}) was decided by Panel decision SECP_70_0101; "
        "it cannot be dismissed.\n"
    )
    (listed,) = cpl.json("proposals", "list", "--state", "decided")["proposals"]
    assert (listed["id"], listed["panel_reference"], listed["dismissed_by"]) == (second["id"], "SECP_70_0101", None)
    dismissals = [e for e in cpl.json("audit", "list")["events"] if e["action"] == "proposal.dismiss"]
    assert len(dismissals) == 1


def test_only_a_secas_user_may_dismiss_and_must_say_why(cpl: CplRun, world: World) -> None:
    add_entry(world)
    run(cpl, END)
    proposal = str(only_proposal(cpl)["id"])
    refused = cpl("proposals", "dismiss", proposal, "--by", "acme-meters", "--reason", "keep it", expect=1)
    assert refused.stderr == "acme-meters belongs to acme-meters (manufacturer); only a secas user may do this.\n"
    blank = cpl("proposals", "dismiss", proposal, "--by", "alice", "--reason", " ", expect=2)
    assert blank.stderr == "Say why the proposal is dismissed (--reason TEXT).\n"
    unknown = cpl("proposals", "dismiss", "999", "--by", "alice", "--reason", "x", expect=2)
    assert unknown.stderr == "There is no proposal 999; 'cpl proposals list' shows them.\n"
    assert only_proposal(cpl)["state"] == "open"


def test_the_list_in_text_and_its_states(cpl: CplRun, world: World) -> None:
    add_entry(world)
    run(cpl, END)
    proposal = only_proposal(cpl)
    entry = format_entry_id(1)
    line = f"proposal {proposal['id']}: {entry}: propose Expired — {EXPIRED}"
    assert cpl("proposals").stdout == f"{line}\n1 open proposal(s).\n"
    assert cpl("proposals", "list").stdout == f"{line}\n1 open proposal(s).\n"
    done = cpl.json("proposals", "dismiss", str(proposal["id"]), "--by", "alice", "--reason", "let it stand")
    day = done["proposal"]["dismissed_at"][:10]
    assert cpl("proposals", "list", "--state", "all").stdout == (
        f"{line} (dismissed by alice on {day}: let it stand)\n1 proposal(s).\n"
    )
    assert cpl("proposals", "list").stdout == "0 open proposal(s).\n"
    assert "--state takes open, decided, dismissed or all" in cpl("proposals", "list", "--state", "x", expect=2).stderr


# --- the row lock, on PostgreSQL ------------------------------------------------------------------


@pytest.mark.postgres
def test_on_postgresql_two_dismissals_at_once_give_one_dismissal_and_one_refusal(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    world = build_world(tmp_path, postgres_server.create_database())
    add_entry(world)
    world.run(END)
    with unit(world.url) as s:
        (proposal,) = proposal_service.list_proposals(s)
        proposal_id = proposal.proposal.id or 0
    engine = get_engine(world.url)
    refusals: list[str] = []

    def second() -> None:
        with Session(engine) as s:
            try:
                proposal_service.dismiss_proposal(s, proposal_id, "secas", "at the same time", NOW)
                s.commit()
            except errors.ProposalStateError as refusal:
                refusals.append(str(refusal))

    with Session(engine) as first:
        proposal_service.dismiss_proposal(first, proposal_id, "alice", "let it stand", NOW)  # row locked
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive() and refusals == []  # the second waits on the first's lock
        first.commit()
    thread.join(timeout=30)
    assert refusals == [
        f"Proposal {proposal_id} (CPL-000001) was already dismissed by alice on {NOW:%Y-%m-%d} (let it stand)."
    ]
    with unit(world.url) as s:
        (listed,) = proposal_service.list_proposals(s, proposal_service.DISMISSED)
        assert listed.dismissal is not None and listed.dismissal.dismissed_by == "alice"
        dismissals = [e for e in audit.all_events(s) if e.action == "proposal.dismiss"]
        assert [e.actor for e in dismissals] == ["alice"]


@pytest.mark.postgres
def test_on_postgresql_a_removal_waiting_on_a_dismissal_leaves_the_dismissed_proposal_dismissed(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Panel removes the entry while SECAS dismisses its proposal: the removal takes the proposals'
    row locks, so it waits, then finds the proposal no longer open (it is never both dismissed and decided)."""
    from cpl.services import entries as entry_service
    from formats.vocabulary import EntryStatus

    monkeypatch.setenv("CPL_OUTBOX_DIR", str(tmp_path / "outbox"))
    world = build_world(tmp_path, postgres_server.create_database())
    add_entry(world)
    world.run(END)
    with unit(world.url) as s:
        (proposal,) = proposal_service.list_proposals(s)
        proposal_id, entry_id = proposal.proposal.id or 0, proposal.proposal.entry_id
    engine = get_engine(world.url)
    done: list[str] = []

    def removal() -> None:
        with Session(engine) as s:
            entry_service.remove(s, entry_id, EntryStatus.EXPIRED, "SECP_90_1", "secas", NOW, "expired")
            s.commit()
            done.append("removed")

    with Session(engine) as first:
        proposal_service.dismiss_proposal(first, proposal_id, "alice", "renewal on its way", NOW)
        thread = threading.Thread(target=removal)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive() and done == []  # the removal waits on the proposal's lock
        first.commit()
    thread.join(timeout=30)
    assert done == ["removed"]
    with unit(world.url) as s:
        (listed,) = proposal_service.list_proposals(s, proposal_service.DISMISSED)
        assert listed.proposal.state == proposal_service.DISMISSED and listed.proposal.panel_reference is None
        assert proposal_service.list_proposals(s, proposal_service.DECIDED) == []
