"""Freshness on the DCC's side: a CPL in force past its next_update_by is stale, and said so.

An extract may carry `next_update_by` (formats.extract): the authority issues the next one by then.
When the CPL in force is past it, at the time of a report or an apply, the DCC raises a `CplStale`
alert in its alerts file, like DeviceSuspended, once per extract in force (not on every report), and
`smi report` says the CPL is stale (text, and `cpl_stale` / `next_update_by` in its JSON).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from smi.service import Inventory
from tests.smi.commandline import MODELS, SmiRun, iso, issued
from tests.smi.factories import GAS, HUB, T0, cpl, key

A, B = key(GAS, "0001"), key(HUB, "0002")


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def stale_alerts(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [line for line in lines if line["alert"] == "CplStale"]


def test_a_stale_cpl_raises_one_cplstale_alert_and_every_report_says_it_is_stale(
    inventory: Inventory, tmp_path: Path
) -> None:
    inventory.receive(cpl(1, [A, B], next_update_by=at(3)).content(), received_at=at(1))
    fresh = inventory.report(at(2))
    assert (fresh.cpl_stale, fresh.next_update_by) == (False, at(3))
    assert stale_alerts(tmp_path / "alerts.jsonl") == []

    stale = inventory.report(at(4))
    assert (stale.cpl_stale, stale.next_update_by, stale.stale_alert_at) == (True, at(3), at(4))
    assert inventory.report(at(5)).cpl_stale is True
    inventory.apply_due(at(6))
    assert stale_alerts(tmp_path / "alerts.jsonl") == [
        {"alert": "CplStale", "extract_sequence": 1, "next_update_by": iso_of(at(3)), "raised_at": iso_of(at(4))}
    ]


def test_a_newer_extract_in_force_is_fresh_again_and_raises_its_own_alert_once(
    inventory: Inventory, tmp_path: Path
) -> None:
    inventory.receive(cpl(1, [A, B], next_update_by=at(3)).content(), received_at=at(1))
    inventory.report(at(4))
    inventory.receive(cpl(2, [A, B], issued_at=at(4.5), next_update_by=at(10)).content(), received_at=at(5))
    assert inventory.report(at(6)).cpl_stale is False
    assert inventory.report(at(11)).cpl_stale is True
    inventory.report(at(12))
    assert [(a["extract_sequence"], a["raised_at"]) for a in stale_alerts(tmp_path / "alerts.jsonl")] == [
        (1, iso_of(at(4))),
        (2, iso_of(at(11))),
    ]


def test_an_extract_applied_after_its_next_update_by_raises_the_alert_as_it_is_applied(
    inventory: Inventory, tmp_path: Path
) -> None:
    inventory.receive(cpl(1, [A, B], next_update_by=at(2)).content(), received_at=at(1), defer=True)
    [applied] = inventory.apply_due(at(5)).applied
    assert applied.sequence == 1
    assert [a["raised_at"] for a in stale_alerts(tmp_path / "alerts.jsonl")] == [iso_of(at(5))]


def test_an_extract_without_next_update_by_is_never_stale(inventory: Inventory, tmp_path: Path) -> None:
    inventory.receive(cpl(1, [A, B]).content(), received_at=at(1))
    report = inventory.report(at(10_000))
    assert (report.cpl_stale, report.next_update_by, report.stale_alert_at) == (False, None, None)
    assert stale_alerts(tmp_path / "alerts.jsonl") == []


def test_smi_report_says_a_cpl_is_stale(smi_on_each_backend: SmiRun) -> None:
    smi = smi_on_each_backend
    due = issued(1) + dt.timedelta(hours=12)
    smi(
        "ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1), next_update_by=due)), "--received-at", iso(0)
    )
    fresh = smi.json("report", "--now", iso(1))
    assert (fresh["cpl_stale"], fresh["next_update_by"]) == (False, iso_of(due))
    late = iso_of(due + dt.timedelta(hours=1))
    stale = smi.json("report", "--now", late)
    assert (stale["cpl_stale"], stale["next_update_by"], stale["stale_alert_at"]) == (True, iso_of(due), late)
    text = smi("report", "--now", late).stdout
    assert "stale" in text.lower() and iso_of(due) in text
    smi("apply-due", "--now", late)
    assert [a["extract_sequence"] for a in stale_alerts(smi.tmp / "alerts.jsonl")] == [1]


def iso_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
