"""Scenarios that run the real `smi` command: signed files in, exit codes, JSON and receipts out."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from formats.extract import Extract, sha256_hex
from formats.receipt import parse_receipt
from signing.cms import verify_signed_data
from signing.profile import DEV_POLICY_DCC_RECEIPT_SIGNING
from signing.trust import load_trust
from tests.smi.commandline import MODELS, NOW, SmiRun, iso, issued
from tests.smi.factories import KEYS, ROOT, cpl, entry, extract, sign


def test_ingest_applies_a_signed_extract_and_writes_a_signed_receipt(smi: SmiRun) -> None:
    first = cpl(1, MODELS, issued_at=issued(1))
    result = smi.json("ingest", smi.signed("e1.p7m", first), "--received-at", iso(0))
    assert result["result"] == "applied" and result["sequence"] == 1
    [applied] = result["applied"]
    assert applied["within_24_hours"] and applied["receipt"] == str(smi.tmp / "receipts" / "receipt-1.p7m")
    verified = verify_signed_data(
        Path(applied["receipt"]).read_bytes(),
        load_trust([KEYS / "root-ca.pem"]),
        required_policy=DEV_POLICY_DCC_RECEIPT_SIGNING,
    )
    receipt = parse_receipt(verified.content)
    assert (receipt.sequence, receipt.extract_sha256) == (1, sha256_hex(first.content()))
    assert (receipt.devices_suspended, receipt.devices_restored) == (0, 0)
    if shutil.which("openssl"):
        subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-inform",
                "DER",
                "-binary",
                "-CAfile",
                str(KEYS / "root-ca.pem"),
                "-purpose",
                "any",
                "-in",
                applied["receipt"],
                "-out",
                os.devnull,
            ],
            check=True,
            capture_output=True,
        )


def test_receipt_out_puts_the_receipt_where_asked(smi: SmiRun) -> None:
    out = smi.tmp / "elsewhere" / "r.p7m"
    out.parent.mkdir()  # a directory that does not exist is refused (tests/cpl/test_output_paths.py)
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))), "--receipt-out", out)
    assert parse_receipt(verify_signed_data(out.read_bytes(), load_trust([KEYS / "root-ca.pem"])).content).sequence == 1


def test_seed_withdraw_and_reinstate_through_the_command_line(smi_on_each_backend: SmiRun) -> None:
    smi = smi_on_each_backend
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    seeded = smi.json("seed", "--devices", "3000", "--from-extract", first, "--seed", "5", "--at", iso(0))
    assert seeded["devices"] == 3000 and [a["sequence"] for a in seeded["applied"]] == [1]
    assert sum(seeded["devices_by_status"].values()) == 3000

    withdrawn = smi.json(
        "ingest",
        smi.signed("e2.p7m", cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2))),
        "--received-at",
        iso(1),
    )
    suspended = withdrawn["applied"][0]["devices_suspended"]
    assert suspended > 0
    report = smi.json("report", "--now", iso(2))
    assert report["devices_by_status"]["Suspended"] == suspended
    assert report["devices"] == 3000 and report["cpl_in_force"] == 2

    alert = json.loads((smi.tmp / "alerts.jsonl").read_text().splitlines()[0])
    assert alert["alert"] == "DeviceSuspended" and alert["extract_sequence"] == 2
    device = smi.json("device", alert["device_id"])
    assert device["status"] == "Suspended"
    assert device["status_before_suspension"] == alert["previous_status"]
    assert device["cpl"] == {"active": False, "entry_id": device["cpl"]["entry_id"], "status": "Withdrawn"}

    restored = smi.json("ingest", smi.signed("e3.p7m", cpl(3, MODELS, issued_at=issued(3))), "--received-at", iso(3))
    assert restored["applied"][0]["devices_restored"] == suspended
    assert smi.json("device", alert["device_id"])["status"] == alert["previous_status"]
    assert smi.json("report", "--now", iso(4))["devices_by_status"]["Suspended"] == 0
    text = smi("report", "--now", iso(4)).stdout
    assert "Commissioned" in text and "within 24 hours" in text


def test_a_repeat_is_harmless(smi: SmiRun) -> None:
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("ingest", first, "--received-at", iso(0))
    again = smi("ingest", first, "--received-at", iso(1))
    assert "harmless repeat" in again.stdout
    assert smi.json("ingest", first, "--received-at", iso(1))["result"] == "repeat"
    assert [e["state"] for e in smi.json("report")["extracts"]] == ["applied"]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("tampered", "signature"),
        ("wrong-role", "signature"),
        ("rollback", "rollback"),
        ("equivocation", "equivocation"),
        ("unexplained-removal", "unexplained-removal"),
        ("future-dated", "future-dated"),
        ("out-of-order", "out-of-order"),
        ("not-an-extract", "format"),
    ],
)
def test_a_refused_extract_exits_1_says_why_and_changes_nothing(smi: SmiRun, name: str, rule: str) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))), "--received-at", iso(0))
    smi("ingest", smi.signed("e3.p7m", cpl(3, MODELS, issued_at=issued(3))), "--received-at", iso(1))
    before = smi.json("report", "--now", iso(2))
    candidates: dict[str, Extract] = {  # sequence 2 was never received; 3 is in force
        "wrong-role": cpl(4, MODELS, issued_at=issued(4)),
        "rollback": cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2)),
        "equivocation": cpl(3, MODELS[1:], removed=MODELS[:1], issued_at=issued(3)),
        "unexplained-removal": extract(4, [entry(k) for k in MODELS[1:]], issued_at=issued(4)),
        "future-dated": cpl(4, MODELS, issued_at=NOW + dt.timedelta(hours=3)),
        "out-of-order": cpl(4, MODELS, issued_at=issued(1)),
    }
    path = smi.tmp / "x.p7m"
    if name == "tampered":
        data = bytearray((smi.tmp / "e3.p7m").read_bytes())
        data[data.index(b"Active")] ^= 0x01
        path.write_bytes(bytes(data))
    elif name == "not-an-extract":
        path.write_bytes(sign(b'{"hello":"world"}'))
    else:
        signer = "dcc-receipt-signer" if name == "wrong-role" else "secas-signer-1"
        path = smi.signed("x.p7m", candidates[name], signer=signer)
    refused = smi("ingest", path, "--received-at", iso(2), "--json", expect=1)
    assert json.loads(refused.stdout)["rule"] == rule
    assert len(refused.stderr.strip().splitlines()) == 1
    after = smi.json("report", "--now", iso(2))
    assert after["devices_by_status"] == before["devices_by_status"]
    assert after["cpl_in_force"] == 3
    assert after["extracts"][-1]["state"] == "refused" and after["extracts"][-1]["refusal_rule"] == rule
    assert after["extracts"][:-1] == before["extracts"]


def test_defer_queues_and_apply_due_applies_within_the_window(smi: SmiRun) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))), "--received-at", iso(0), "--defer")
    report = smi.json("report", "--now", iso(1))
    assert report["extracts"][0]["window"] == "queued" and report["cpl_in_force"] is None
    assert not (smi.tmp / "receipts").exists()
    applied = smi.json("apply-due", "--now", iso(5))["applied"]
    assert [a["sequence"] for a in applied] == [1] and applied[0]["within_24_hours"]
    assert (smi.tmp / "receipts" / "receipt-1.p7m").exists()
    assert smi.json("report", "--now", iso(6))["extracts"][0]["window"] == "within 24 hours"
    assert "No extract is waiting" in smi("apply-due", "--now", iso(7)).stdout


def test_an_extract_left_queued_past_24_hours_is_overdue(smi: SmiRun) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))), "--received-at", iso(0), "--defer")
    assert smi.json("report", "--now", iso(25))["extracts"][0]["window"] == "overdue"
    late = smi.json("apply-due", "--now", iso(26))["applied"][0]
    assert late["within_24_hours"] is False
    assert smi.json("report", "--now", iso(27))["extracts"][0]["overdue"] is True


def test_the_device_gates(smi: SmiRun) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS[:1], issued_at=issued(1))), "--received-at", iso(0))
    kind, manufacturer, model_id, hardware, firmware = MODELS[0]
    device = ["--type", kind, "--manufacturer-id", manufacturer, "--model-id", model_id, "--hardware", hardware]
    smi("add-device", "00112233445566AA", *device, "--firmware", firmware)
    refused = smi("add-device", "00112233445566AB", *device, "--firmware", "0999", expect=1)
    assert "not Active" in refused.stderr
    refused = smi("update-firmware", "00112233445566AA", "0999", expect=1)
    assert "keeps firmware 0100" in refused.stderr
    assert smi.json("device", "00112233445566aa")["firmware_version"] == "0100"
    smi(
        "add-device",
        "00112233445566AC",
        "--type",
        "IHD",
        "--manufacturer-id",
        "1234",
        "--model-id",
        "0001",
        "--hardware",
        "0001",
        "--firmware",
        "01",
    )
    assert (
        smi("device", "0011223344556677", expect=1).stderr.strip() == "Device 0011223344556677 is not in the inventory."
    )


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "missing.p7m"],
        ["ingest", "e1.p7m", "--received-at", "yesterday"],
        [
            "add-device",
            "XYZ",
            "--type",
            "IHD",
            "--manufacturer-id",
            "1",
            "--model-id",
            "1",
            "--hardware",
            "1",
            "--firmware",
            "1",
        ],
        [
            "add-device",
            "0011223344556677",
            "--type",
            "Toaster",
            "--manufacturer-id",
            "1234",
            "--model-id",
            "0001",
            "--hardware",
            "0001",
            "--firmware",
            "01",
        ],
        ["device", "not-hex"],
        ["seed", "--devices", "10", "--from-extract", "missing.p7m"],
        ["ingest"],
    ],
)
def test_unusable_input_exits_2_without_a_traceback(smi: SmiRun, args: list[str]) -> None:
    (smi.tmp / "e1.p7m").write_bytes(sign(cpl(1, MODELS, issued_at=issued(1)).content()))
    result = smi(*args, expect=2)
    assert result.stderr.strip()


def test_unusable_trust_anchors_exit_2(smi: SmiRun) -> None:
    smi.env["SMI_TRUST_ANCHORS"] = str(smi.tmp / "nowhere.pem")
    path = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    assert "trust anchors" in smi("ingest", path, expect=2).stderr


def test_defaults_work_with_no_configuration(tmp_path: Path) -> None:
    (tmp_path / "keys-dev").symlink_to(ROOT / "keys-dev")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMI_")}
    run = SmiRun(tmp_path, env)
    run("ingest", run.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))))
    run("ingest", run.signed("e2.p7m", cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2))))
    assert (tmp_path / "var" / "smi.db").exists()
    assert (tmp_path / "var" / "receipts" / "receipt-2.p7m").exists()
    assert run.json("report")["cpl_in_force"] == 2


# --- a queued extract received again, an old one replayed --------------------------------------


def test_an_extract_received_again_while_queued_is_applied_now_never_a_repeat(smi_on_each_backend: SmiRun) -> None:
    smi = smi_on_each_backend
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("ingest", first, "--received-at", iso(0), "--defer")
    again = smi.json("ingest", first, "--received-at", iso(1))
    assert again["result"] == "applied" and [a["sequence"] for a in again["applied"]] == [1]
    report = smi.json("report", "--now", iso(2))
    assert report["cpl_in_force"] == 1
    assert [(e["state"], e["received_at"]) for e in report["extracts"]] == [("applied", iso(0))]  # its 24 hours
    assert (smi.tmp / "receipts" / "receipt-1.p7m").exists()


def test_an_extract_deferred_again_while_queued_says_it_is_already_queued(smi: SmiRun) -> None:
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("ingest", first, "--received-at", iso(0), "--defer")
    again = smi("ingest", first, "--received-at", iso(1), "--defer")
    assert "already queued" in again.stdout and "repeat" not in again.stdout
    assert smi.json("ingest", first, "--received-at", iso(1), "--defer")["result"] == "queued"
    assert [e["state"] for e in smi.json("report", "--now", iso(2))["extracts"]] == ["queued"]


def test_an_old_extract_replayed_after_a_newer_one_is_refused_as_a_rollback(smi_on_each_backend: SmiRun) -> None:
    smi = smi_on_each_backend
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    second = smi.signed("e2.p7m", cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2)))
    smi("ingest", first, "--received-at", iso(0))
    smi("ingest", second, "--received-at", iso(1))
    before = smi.json("report", "--now", iso(2))
    refused = smi("ingest", first, "--received-at", iso(2), "--json", expect=1)
    assert json.loads(refused.stdout)["rule"] == "rollback"
    assert len(refused.stderr.strip().splitlines()) == 1 and "below" in refused.stderr
    after = smi.json("report", "--now", iso(2))
    assert after["cpl_in_force"] == 2 and after["devices_by_status"] == before["devices_by_status"]
    assert after["extracts"][:-1] == before["extracts"]
    assert (after["extracts"][-1]["state"], after["extracts"][-1]["refusal_rule"]) == ("refused", "rollback")
    assert smi.json("ingest", second, "--received-at", iso(3))["result"] == "repeat"  # the one in force: harmless


# --- file permissions ---------------------------------------------------------------------------


def test_the_inventory_database_is_created_for_its_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    (tmp_path / "keys-dev").symlink_to(ROOT / "keys-dev")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMI_")}
    run = SmiRun(tmp_path, env)
    run("ingest", run.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))), umask=0)
    database = tmp_path / "var" / "smi.db"
    assert database.stat().st_mode & 0o777 == 0o600
    for companion in tmp_path.joinpath("var").glob("smi.db*"):  # the WAL, its index, the applier's lock
        assert companion.stat().st_mode & 0o137 == 0, (companion.name, oct(companion.stat().st_mode))


def test_a_world_readable_inventory_database_is_narrowed_to_its_owner(smi: SmiRun) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))), "--received-at", iso(0))
    database = smi.tmp / "smi.db"
    database.chmod(0o644)
    smi("report")
    assert database.stat().st_mode & 0o777 == 0o600
