"""The list as SECAS reads it: filters in any case, tables that never cut identifiers or statuses at
80 columns, plain and JSON output; removals with only the statuses a removal can set, and their JSON;
an entry reinstated with a Panel reference and restored by the next extract; `show` names each Panel
decision in the history. Through the real `cpl` command."""

from __future__ import annotations

import json
import re
import sqlite3

from cpl.demo.samples import sample_submission
from cpl.workbook.template import write_submission
from tests.cpl.conftest import CplRun


def _listed(cpl: CplRun, rows: int = 3) -> list[dict[str, object]]:
    cpl.parties()
    sample = sample_submission(rows)
    workbook = cpl.tmp / "acme.xlsx"
    write_submission(workbook, sample.entries, sample.certificates)
    cpl("submit", workbook, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    return list(sample.entries)


def _narrow(cpl: CplRun, *args: str) -> str:
    cpl.env["COLUMNS"] = "80"
    try:
        return cpl(*args).stdout
    finally:
        cpl.env["COLUMNS"] = "200"


def test_list_filters_by_type_manufacturer_status_and_text_in_any_case(cpl: CplRun) -> None:
    entries = _listed(cpl, 3)
    every = cpl.json("list")["entries"]
    assert len(every) == 3
    first = every[0]

    by_type = cpl.json("list", "--type", str(first["physical_device_type"]).upper())["entries"]
    assert {e["entry_id"] for e in by_type} == {
        e["entry_id"] for e in every if e["physical_device_type"] == first["physical_device_type"]
    }
    assert by_type

    maker = str(entries[0]["manufacturer"])
    assert len(cpl.json("list", "--manufacturer", maker[2:6].lower())["entries"]) == 3
    assert len(cpl.json("list", "--manufacturer", str(first["manufacturer_id"]).lower())["entries"]) == 3
    assert cpl.json("list", "--manufacturer", "nobody-makes-this")["entries"] == []

    zigbee = str(first["certificates"]["zigbee"])
    [found] = cpl.json("list", "--text", zigbee.lower())["entries"]
    assert found["entry_id"] == first["entry_id"]
    assert [e["entry_id"] for e in cpl.json("list", "--text", str(first["entry_id"]).lower())["entries"]] == [
        first["entry_id"]
    ]

    cpl("remove", str(first["entry_id"]), "--status", "withdrawn", "--panel-ref", "SECP_80_1", "--by", "alice")
    assert [e["entry_id"] for e in cpl.json("list", "--status", "WITHDRAWN")["entries"]] == [first["entry_id"]]
    assert len(cpl.json("list", "--status", "active")["entries"]) == 2
    refused = cpl("list", "--status", "Installed", expect=2)
    assert "Installed" in refused.stderr and "active" in refused.stderr.lower()


def test_at_80_columns_no_entry_id_or_status_is_cut(cpl: CplRun) -> None:
    _listed(cpl, 3)
    every = cpl.json("list")["entries"]
    cpl("remove", str(every[1]["entry_id"]), "--status", "Cancelled", "--panel-ref", "SECP_80_2", "--by", "alice")
    text = _narrow(cpl, "list")
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "…" not in text, text
    for entry in every:
        assert re.search(rf"{entry['entry_id']}\s*│\s*(Active|Cancelled)", text), text
    assert "Cancelled (SECP_80_2)" in text or ("Cancelled" in text and "SECP_80_2" in text)

    plain = cpl("list", "--format", "plain").stdout.splitlines()
    assert [line.split("\t")[:2] for line in plain] == [
        [str(e["entry_id"]), "Cancelled" if e["entry_id"] == every[1]["entry_id"] else "Active"] for e in every
    ]
    assert json.loads(cpl("list", "--format", "json").stdout)["entries"][1]["status"] == "Cancelled"


def test_remove_offers_only_removal_statuses_and_reports_json(cpl: CplRun) -> None:
    _listed(cpl, 1)
    help_text = cpl("remove", "--help").stdout.lower()
    assert "withdrawn" in help_text and "cancelled" in help_text and "expired" in help_text
    assert "active" not in help_text
    refused = cpl("remove", "CPL-000001", "--status", "Active", "--panel-ref", "SECP_80_3", "--by", "alice", expect=2)
    assert "Active" in refused.stderr
    removed = cpl.json("remove", "CPL-000001", "--status", "Expired", "--panel-ref", "SECP_80_3", "--by", "alice")
    assert (removed["entry_id"], removed["status"], removed["panel_reference"]) == (
        "CPL-000001",
        "Expired",
        "SECP_80_3",
    )


def test_reinstate_puts_a_removed_entry_back_and_the_next_extract_restores_it(cpl: CplRun) -> None:
    _listed(cpl, 2)
    cpl("extract", "prepare", "--by", "alice")
    cpl("extract", "approve", "1", "--by", "bob")
    cpl("remove", "CPL-000002", "--status", "Withdrawn", "--panel-ref", "SECP_81_1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")
    cpl("extract", "approve", "2", "--by", "bob")

    assert (
        "Active already" in cpl("reinstate", "CPL-000001", "--panel-ref", "SECP_81_2", "--by", "alice", expect=1).stderr
    )
    assert (
        "minutes reference" in cpl("reinstate", "CPL-000002", "--panel-ref", "soon", "--by", "alice", expect=1).stderr
    )
    assert (
        "SECAS"
        in cpl("reinstate", "CPL-000002", "--panel-ref", "SECP_81_2", "--by", "acme-meters", expect=1).stderr.upper()
    )

    back = cpl.json("reinstate", "CPL-000002", "--panel-ref", "SECP_81_2", "--by", "alice", "--reason", "appeal upheld")
    assert (back["status"], back["panel_reference"]) == ("Active", "SECP_81_2")
    draft = cpl.json("extract", "prepare", "--by", "alice")
    assert draft["changes"]["restored"] == ["CPL-000002"]

    shown = cpl("show", "CPL-000002").stdout
    assert "[Panel SECP_81_1]" in shown and "[Panel SECP_81_2]" in shown and "appeal upheld" in shown
    history = cpl.json("show", "CPL-000002")["history"]
    assert [(h["status"], h["panel_reference"]) for h in history][-2:] == [
        ("Withdrawn", "SECP_81_1"),
        ("Active", "SECP_81_2"),
    ]
    with sqlite3.connect(cpl.tmp / "cpl.db") as db:
        actions = [a for (a,) in db.execute("SELECT action FROM auditevent ORDER BY id")]
    assert actions.count("entry.reinstate") == 1
