"""Driving the real `smi` command from the tests: its environment, signed files, and what it left behind.

`SmiRun` runs the installed console script in a temporary directory with its own database, trust
anchors, receipt signer, alerts file and receipts directory. `SmiRun.start` launches it without
waiting, optionally with a fault injected (`tests.smi.faults`: killed or paused at a checkpoint), for
the crash and race tests. `Outputs` reads back what the DCC must leave for each applied extract: its
alerts (whole JSON lines, each exactly once) and its signed receipt.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formats.extract import Extract
from formats.receipt import Receipt, parse_receipt
from signing.cms import verify_signed_data
from signing.profile import DEV_POLICY_DCC_RECEIPT_SIGNING
from signing.trust import load_trust
from tests.smi.factories import ELECTRICITY, GAS, HUB, KEYS, PPMID, ROOT, Key, key, sign

SMI = Path(sys.executable).with_name("smi")
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
MODELS: list[Key] = [key(kind, f"{n:04X}") for n, kind in enumerate([GAS, HUB, ELECTRICITY, PPMID] * 2)]


def iso(hours: float) -> str:
    return (NOW + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def issued(sequence: int) -> dt.datetime:
    return NOW - dt.timedelta(hours=10) + dt.timedelta(minutes=sequence)


@dataclass
class SmiRun:
    tmp: Path
    env: dict[str, str]

    def __call__(
        self, *args: str | Path, expect: int | None = 0, timeout: float = 300, umask: int | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(SMI), *map(str, args)],
            cwd=self.tmp,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=None if umask is None else _umask(umask),
        )
        assert "Traceback" not in result.stderr, result.stderr
        if expect is not None:
            assert result.returncode == expect, (result.returncode, result.stdout, result.stderr)
        return result

    def json(self, *args: str | Path, expect: int | None = 0) -> Any:
        return json.loads(self(*args, "--json", expect=expect).stdout)

    def signed(self, name: str, made: Extract, *, signer: str = "secas-signer-1") -> Path:
        path = self.tmp / name
        # Signed when issued: the wall clock at run time may be well past NOW on a busy machine.
        path.write_bytes(sign(made.content(), signer=signer, signing_time=min(made.issued_at, NOW)))
        return path

    def start(self, *args: str | Path, fault: tuple[str, ...] = ()) -> subprocess.Popen[str]:
        """Launch `smi ARGS` without waiting; with ``fault`` (``("kill", "applied")``, ``("pause", STEP,
        DIR)``) through `tests.smi.faults`."""
        command = [str(SMI)] if not fault else [sys.executable, "-m", "tests.smi.faults", *fault, "--"]
        return subprocess.Popen(
            [*command, *map(str, args)],
            cwd=self.tmp,
            env={**self.env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def killed_at(self, step: str, *args: str | Path) -> None:
        """Run `smi ARGS`, killed with SIGKILL at checkpoint ``step`` (``STEP@N``: its Nth time)."""
        process = self.start(*args, fault=("kill", step))
        _out, err = process.communicate(timeout=300)
        assert process.returncode == -9, (step, process.returncode, err)

    @property
    def outputs(self) -> Outputs:
        return Outputs(self.tmp / "alerts.jsonl", self.tmp / "receipts")


def _umask(mask: int) -> Callable[[], None]:
    def set_umask() -> None:
        os.umask(mask)

    return set_umask


def finished(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    return process.returncode, out, err


def wait_for(predicate: Any, timeout: float = 60, what: str = "a condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.02)


def environment(tmp: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMI_")}
    env.update(
        {
            "SMI_DATABASE_URL": database_url,
            "SMI_TRUST_ANCHORS": str(KEYS / "root-ca.pem"),
            "SMI_RECEIPT_SIGNER": f"pem:{KEYS / 'dcc-receipt-signer.pem'}:{KEYS / 'dcc-receipt-signer.key.pem'}:"
            f"{KEYS / 'issuing-ca.pem'}",
            "SMI_ALERTS_PATH": str(tmp / "alerts.jsonl"),
            "SMI_RECEIPTS_DIR": str(tmp / "receipts"),
            "COLUMNS": "200",
        }
    )
    return env


@dataclass(frozen=True)
class Outputs:
    alerts_path: Path
    receipts_dir: Path

    def alert_lines(self) -> list[dict[str, Any]]:
        """Every line of the alerts file, each of which must be one whole JSON object."""
        if not self.alerts_path.exists():
            return []
        data = self.alerts_path.read_bytes()
        assert not data or data.endswith(b"\n"), f"the alerts file ends in a half line: {data[-80:]!r}"
        return [json.loads(line) for line in data.decode("utf-8").splitlines()]

    def alerts_of(self, sequence: int) -> list[dict[str, Any]]:
        return [line for line in self.alert_lines() if line["extract_sequence"] == sequence]

    def receipt(self, sequence: int) -> Receipt:
        signed = (self.receipts_dir / f"receipt-{sequence}.p7m").read_bytes()
        trust = load_trust([KEYS / "root-ca.pem"])
        return parse_receipt(verify_signed_data(signed, trust, required_policy=DEV_POLICY_DCC_RECEIPT_SIGNING).content)

    def assert_complete(self, sequence: int, *, suspended: int, restored: int) -> None:
        """The extract's alerts are all there, each once, and its receipt says the same counts."""
        lines = self.alerts_of(sequence)
        kinds = Counter(line["alert"] for line in lines if line["alert"] != "CplStale")
        assert kinds == Counter({"DeviceSuspended": suspended, "DeviceRestored": restored}) - Counter(), kinds
        devices = [(line["alert"], line["device_id"]) for line in lines if line["alert"] != "CplStale"]
        assert len(set(devices)) == len(devices), "an alert was written twice"
        receipt = self.receipt(sequence)
        assert (receipt.sequence, receipt.devices_suspended, receipt.devices_restored) == (
            sequence,
            suspended,
            restored,
        )
