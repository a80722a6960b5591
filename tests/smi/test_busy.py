"""A locked inventory database: one sentence, exit 2, and the advice to try again; never a traceback.

Another process holds the database (an SQLite write or exclusive lock, PostgreSQL table locks): a
command waits up to SMI_BUSY_TIMEOUT seconds, then says the inventory could not be used now and to
try again, exit 2 (the input could not be used, this time), and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.smi.commandline import MODELS, SmiRun, iso, issued
from tests.smi.factories import cpl
from tests.smi.locks import held

DEVICE = ["00112233445566AA", "--type", MODELS[1][0], "--manufacturer-id", MODELS[1][1], "--model-id", MODELS[1][2]]
DEVICE += ["--hardware", MODELS[1][3], "--firmware", MODELS[1][4]]


@pytest.fixture
def busy(smi_on_each_backend: SmiRun) -> SmiRun:
    smi = smi_on_each_backend
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))), "--received-at", iso(0))
    queued = smi.signed("e2.p7m", cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2)))
    smi("ingest", queued, "--received-at", iso(0.5), "--defer")  # for apply-due to apply
    smi.signed("e3.p7m", cpl(3, MODELS[1:], removed=MODELS[:1], issued_at=issued(3)))
    smi.env["SMI_BUSY_TIMEOUT"] = "1"
    return smi


COMMANDS: dict[str, Callable[[SmiRun], list[str]]] = {
    "ingest": lambda smi: ["ingest", str(smi.tmp / "e3.p7m"), "--received-at", iso(1), "--defer"],
    "apply-due": lambda smi: ["apply-due", "--now", iso(1)],
    "add-device": lambda smi: ["add-device", *DEVICE],
    "report": lambda smi: ["report", "--now", iso(1)],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_locked_inventory_is_one_sentence_exit_2_and_changes_nothing(busy: SmiRun, command: str) -> None:
    smi = busy
    before = smi.json("report", "--now", iso(1))
    kind = "exclusive" if command == "report" else "write"  # an SQLite reader is only held by an exclusive lock
    with held(smi.env["SMI_DATABASE_URL"], kind):
        begun = time.monotonic()
        result = smi(*COMMANDS[command](smi), expect=2, timeout=45)
        waited = time.monotonic() - begun
    assert waited < 30
    [sentence] = result.stderr.strip().splitlines()
    assert "could not be used now" in sentence and sentence.endswith("try again.")
    after = smi.json("report", "--now", iso(1))
    assert (after["cpl_in_force"], after["devices"], after["extracts"]) == (
        before["cpl_in_force"],
        before["devices"],
        before["extracts"],
    )


def test_a_bad_busy_timeout_is_unusable_input(smi: SmiRun) -> None:
    smi.env["SMI_BUSY_TIMEOUT"] = "soon"
    assert "SMI_BUSY_TIMEOUT" in smi("report", expect=2).stderr
