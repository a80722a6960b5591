"""Random lives of an inventory, checked step by step against a small pure-Python reference model.

A hypothesis state machine plays SECAS (issuing extracts that add, remove, re-add models and move
them to new firmware), an attacker or a broken channel (replays, rollbacks, equivocation,
unexplained removals, future-dated and out-of-order extracts, garbage), installers (adding
Devices, updating firmware) and the DCC's operator (deferring extracts, applying what is due,
reporting, crashing in the middle of an apply or after it committed, and running two appliers at
once, the first held at one of its checkpoints while the second starts). After every step the
inventory must agree with the reference model, which applies each CPL to every Device one by one,
and these hold:

- no Device of a model that is not Active on the CPL in force is left in a suspendable status;
- a restored Device has exactly the status it had before it was suspended;
- applying an extract twice changes nothing; a refused extract changes nothing; an older extract
  replayed is a rollback; one received again while queued is applied;
- every applied extract was applied within 24 hours of its receipt, and by exactly one applier;
- the alerts file holds every applied extract's alerts exactly once, in the order they were applied,
  and every receipt says what the record says; or, only after a crash, the database says what is
  still owed and the file holds the rest whole; the next run writes it;
- a CPL in force past its next_update_by raises one CplStale alert, at the first report or apply
  after it.

Runs on SQLite and on a real PostgreSQL server. Extract content is fed in directly (signatures
are covered by the signed-file and command line tests), which keeps each example fast.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from formats.extract import Extract, ExtractEntry, format_timestamp, sha256_hex
from formats.receipt import Receipt
from smi.errors import (
    DeviceSuspendedError,
    ExtractRefusedError,
    FirmwareNotActiveError,
    ModelNotActiveError,
)
from smi.rules import SmiStatus
from smi.service import DueResult, Inventory
from smi.store import Store, devices, engine_for, extracts, unstamp
from tests.smi.factories import ELECTRICITY, GAS, HUB, IHD, PPMID, T0, Key, entry, extract, key

# --- the reference model's own copy of the rules (deliberately not imported from smi.rules) ---

SUSPENDABLE = {"Pending", "Whitelisted", "InstalledNotCommissioned", "Commissioned"}
ENTRY_STATUSES = [
    "Pending",
    "Whitelisted",
    "InstalledNotCommissioned",
    "Commissioned",
    "Decommissioned",
    "Withdrawn",
    "Recovery",
    "Recovered",
]
CONTROLLED = {GAS, HUB, ELECTRICITY, PPMID}
SKEW = dt.timedelta(minutes=5)
WINDOW = dt.timedelta(hours=24)

FIRMWARE = ["0100", "0200"]
BASES = [(GAS, "0001"), (HUB, "0002"), (PPMID, "0004")]
CPL_MODELS: list[Key] = [key(kind, model_id, fw) for kind, model_id in BASES for fw in FIRMWARE]
FIRST_FIRMWARE: list[Key] = CPL_MODELS[:: len(FIRMWARE)]
DISPLAYS: list[Key] = [key(IHD, "0009", fw) for fw in FIRMWARE[:2]]


@dataclass
class Device:
    model: Key
    status: str
    before: str | None = None
    changes: list[tuple[str, str, int]] = field(default_factory=list)  # (status, new status, extract) each apply made


@dataclass
class Reference:
    """What the inventory should hold, computed the plain way: every Device against every CPL."""

    devices: dict[str, Device] = field(default_factory=dict)
    active: frozenset[Key] = frozenset()
    in_force: int | None = None
    accepted: dict[int, str] = field(default_factory=dict)  # sequence -> content SHA-256
    latest: Extract | None = None
    queue: list[Extract] = field(default_factory=list)
    in_force_extract: Extract | None = None
    accepted_extracts: dict[int, Extract] = field(default_factory=dict)
    stale_raised: dict[int, dt.datetime] = field(default_factory=dict)  # sequence -> when CplStale was raised

    def judge(self, candidate: Extract, received_at: dt.datetime) -> str:
        sha = sha256_hex(candidate.content())
        if candidate.sequence in self.accepted:
            if self.accepted[candidate.sequence] != sha:
                return "equivocation"
            if self.in_force is not None and candidate.sequence < self.in_force:
                return "rollback"  # an older extract replayed, even byte for byte
            return "repeat"
        latest = self.latest
        if latest is not None and candidate.sequence < latest.sequence:
            return "rollback"
        if latest is not None:
            now = {e.entry_id: e for e in candidate.entries}
            for before in latest.entries:
                after = now.get(before.entry_id)
                if before.status == "Active" and (
                    after is None or (after.status != "Active" and not after.panel_reference)
                ):
                    return "unexplained-removal"
        if candidate.issued_at > received_at + SKEW:
            return "future-dated"
        if latest is not None and candidate.issued_at < latest.issued_at:
            return "out-of-order"
        return "new"

    def accept(self, candidate: Extract) -> None:
        self.accepted[candidate.sequence] = sha256_hex(candidate.content())
        self.accepted_extracts[candidate.sequence] = candidate
        self.latest = candidate
        self.queue.append(candidate)

    def is_queued(self, candidate: Extract) -> bool:
        return any(e.sequence == candidate.sequence for e in self.queue)

    def stale_at(self, now: dt.datetime) -> bool:
        due = None if self.in_force_extract is None else self.in_force_extract.next_update_by
        return due is not None and now > due

    def check_stale(self, now: dt.datetime) -> None:
        """A report or an apply at ``now``: the CPL in force raises its CplStale alert, once."""
        if self.in_force is not None and self.in_force not in self.stale_raised and self.stale_at(now):
            self.stale_raised[self.in_force] = now
            event("CplStale raised")

    def apply(self, applied: Extract) -> None:
        assert self.queue and self.queue[0] is applied
        self.queue.pop(0)
        self.in_force = applied.sequence
        self.in_force_extract = applied
        self.active = frozenset(e.model_key for e in applied.entries if e.status == "Active")
        for device in self.devices.values():
            if device.model[0] not in CONTROLLED:
                continue
            listed = device.model in self.active
            if not listed and device.status in SUSPENDABLE:
                device.changes.append((device.status, "Suspended", applied.sequence))
                device.before, device.status = device.status, "Suspended"
                event("a Device suspended")
            elif listed and device.status == "Suspended" and device.before is not None:
                device.changes.append(("Suspended", device.before, applied.sequence))
                device.status, device.before = device.before, None
                event("a Device restored")

    def may_enter(self, model: Key) -> bool:
        return model[0] not in CONTROLLED or model in self.active


def on_firmware(model: Key, firmware: str) -> Key:
    kind, manufacturer, model_id, hardware, _ = model
    return (kind, manufacturer, model_id, hardware, firmware)


class Crash(RuntimeError):
    """A failure injected between two statements of an apply, or after it committed."""


#: The steps inside an apply's transaction (a crash there leaves the extract queued) ...
INSIDE_THE_APPLY = {
    "device-models",
    "cpl",
    "DeviceSuspended",
    "DeviceRestored",
    "recorded",
}
#: ... and after it committed: the alerts and the receipt are owed until the next run writes them.
AFTER_THE_COMMIT = ["applied", "alerts-batch", "alerts", "receipt"]
TORN = b'{"alert":"DeviceSusp'  # what a crash in the middle of a write leaves at the end of the file


class Receipts:
    """The DCC's receipt signer, as far as the machine needs it: what it was asked to sign, per sequence."""

    def __init__(self) -> None:
        self.signed: dict[int, list[Receipt]] = {}

    def __call__(self, receipt: Receipt, out: Path | None) -> Path:
        self.signed.setdefault(receipt.sequence, []).append(receipt)
        return Path(f"receipt-{receipt.sequence}.p7m")


def next_update_by(sequence: int, issued_at: dt.datetime) -> dt.datetime | None:
    """Two extracts in three promise the next within a few hours; the rest say nothing."""
    return None if sequence % 3 == 0 else issued_at + dt.timedelta(hours=sequence % 4 + 1)


def stale_line(sequence: int, due: dt.datetime | None, raised_at: dt.datetime) -> str:
    alert = {
        "alert": "CplStale",
        "extract_sequence": sequence,
        "next_update_by": None if due is None else format_timestamp(due),
        "raised_at": format_timestamp(raised_at),
    }
    return json.dumps(alert, sort_keys=True, separators=(",", ":"))


def small_batches(store: Store) -> Store:
    """Alerts read and written two lines at a time, so a crash can fall between batches of one extract."""
    store.alert_batch = 2
    return store


class InventoryMachine(RuleBasedStateMachine):
    make_store: ClassVar[Callable[[], Store]]
    database_url: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.store = small_batches(type(self).make_store())
        self.directory = Path(tempfile.mkdtemp(prefix="smi-machine-"))
        self.alerts_path = self.directory / "alerts.jsonl"
        self.receipts = Receipts()
        self.inventory = Inventory(self.store, alerts_path=self.alerts_path, receipts=self.receipts)
        self.owed_since_a_crash = False  # a crash after a commit left outputs owed, and no run wrote them yet
        self.reference = Reference()
        self.clock = T0
        self.listing: dict[Key, ExtractEntry] = {}  # what SECAS lists now
        self.next_sequence = 1
        self.delivered: list[Extract] = []
        self.undelivered: list[Extract] = []
        self.device_count = 0

    # --- helpers --------------------------------------------------------------------------

    def tick(self, minutes: int = 1) -> dt.datetime:
        self.clock += dt.timedelta(minutes=minutes)
        return self.clock

    def teardown(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def issue(self, changes: list[tuple[Key, bool]]) -> Extract:
        for model, active in changes:
            if active:
                self.listing[model] = entry(model)
            elif model in self.listing:
                self.listing[model] = entry(model, status="Withdrawn")
        moment = self.tick()
        made = extract(
            self.next_sequence,
            self.listing.values(),
            issued_at=moment,
            next_update_by=next_update_by(self.next_sequence, moment),
        )
        self.next_sequence += 1
        return made

    def deliver(self, made: Extract, *, defer: bool, received_at: dt.datetime | None = None) -> str:
        """Send an extract to the DCC; the reference model says what must come of it."""
        moment = received_at or self.tick()
        expected = self.reference.judge(made, moment)
        queued = expected == "repeat" and self.reference.is_queued(made)
        event(f"extract: {expected}{' (still queued)' if queued else ''}")
        if expected not in ("new", "repeat"):
            with pytest.raises(ExtractRefusedError) as refused:
                self.inventory.receive(made.content(), received_at=moment, defer=defer)
            assert refused.value.rule == expected
            return expected
        result = self.inventory.receive(made.content(), received_at=moment, defer=defer)
        assert result.received_before is (expected == "repeat")
        if expected == "repeat" and not queued:
            assert result.outcome == "repeat"
            self.owed_since_a_crash = False  # a repeat of the CPL in force writes what its apply owed
            return expected
        if expected == "new":
            self.reference.accept(made)
            self.delivered.append(made)
        if defer:
            assert result.outcome == "queued"
            return expected
        assert result.outcome == "applied", "received again while queued: applied now, never a repeat"
        assert [a.sequence for a in result.applied] == [e.sequence for e in self.reference.queue]
        for _ in list(self.reference.queue):
            self.reference.apply(self.reference.queue[0])
        self.reference.check_stale(moment)
        self.owed_since_a_crash = False
        return expected

    @initialize(statuses=st.lists(st.sampled_from(ENTRY_STATUSES), min_size=1, max_size=6))
    def first_extract_and_some_devices(self, statuses: list[str]) -> None:
        """Start where the DCC usually is: a CPL in force and Devices of its models."""
        self.deliver(self.issue([(model, True) for model in FIRST_FIRMWARE]), defer=False)
        for number, status in enumerate(statuses):
            self.add_device(FIRST_FIRMWARE[number % len(FIRST_FIRMWARE)], status)

    # --- SECAS --------------------------------------------------------------------------

    @rule(
        changes=st.lists(st.tuples(st.sampled_from(CPL_MODELS), st.booleans()), min_size=1, max_size=4),
        defer=st.booleans(),
    )
    def issue_extract(self, changes: list[tuple[Key, bool]], defer: bool) -> None:
        self.deliver(self.issue(changes), defer=defer)

    @precondition(lambda self: any(e.status == "Active" for e in self.listing.values()))
    @rule(data=st.data(), defer=st.booleans())
    def withdraw_a_model(self, data: st.DataObject, defer: bool) -> None:
        model = data.draw(st.sampled_from(sorted(k for k, e in self.listing.items() if e.status == "Active")))
        self.deliver(self.issue([(model, False)]), defer=defer)

    @precondition(lambda self: any(e.status != "Active" for e in self.listing.values()))
    @rule(data=st.data(), defer=st.booleans())
    def reinstate_a_model(self, data: st.DataObject, defer: bool) -> None:
        model = data.draw(st.sampled_from(sorted(k for k, e in self.listing.items() if e.status != "Active")))
        self.deliver(self.issue([(model, True)]), defer=defer)

    @rule(base=st.sampled_from(FIRST_FIRMWARE), defer=st.booleans())
    def release_new_firmware(self, base: Key, defer: bool) -> None:
        """The model's next firmware version joins the CPL and the one before it is withdrawn."""
        listed = [fw for fw in FIRMWARE if on_firmware(base, fw) in self.listing]
        current = listed[-1] if listed else FIRMWARE[0]
        following = FIRMWARE[min(FIRMWARE.index(current) + 1, len(FIRMWARE) - 1)]
        self.deliver(
            self.issue([(on_firmware(base, following), True), (on_firmware(base, current), current == following)]),
            defer=defer,
        )

    @rule(changes=st.lists(st.tuples(st.sampled_from(CPL_MODELS), st.booleans()), min_size=1, max_size=3))
    def issue_but_lose_in_transit(self, changes: list[tuple[Key, bool]]) -> None:
        self.undelivered.append(self.issue(changes))

    @precondition(lambda self: self.undelivered)
    @rule(defer=st.booleans())
    def deliver_late(self, defer: bool) -> None:
        """An extract delivered after later ones: a rollback if a later one was accepted."""
        self.deliver(self.undelivered.pop(0), defer=defer)

    # --- a hostile or broken channel ----------------------------------------------------

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        """An extract sent again: the one in force (or one queued) is harmless, an older one a rollback."""
        assert self.deliver(data.draw(st.sampled_from(self.delivered)), defer=data.draw(st.booleans())) in (
            "repeat",
            "rollback",
        )

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def equivocate(self, data: st.DataObject) -> None:
        original = data.draw(st.sampled_from(self.delivered))
        forged = replace(original, entries=(*original.entries, entry(key(GAS, "0EEE"), entry_id="CPL-ZZZ-FORGED")))
        assert self.deliver(forged, defer=False) == "equivocation"

    @precondition(lambda self: any(e.status == "Active" for e in self.listing.values()))
    @rule(data=st.data())
    def remove_without_panel_reference(self, data: st.DataObject) -> None:
        active = sorted(k for k, e in self.listing.items() if e.status == "Active")
        victim = data.draw(st.sampled_from(active))
        entries = [
            e if k != victim else replace(e, status="Cancelled", panel_reference=None) for k, e in self.listing.items()
        ]
        made = extract(self.next_sequence, entries, issued_at=self.clock)
        outcome = self.deliver(made, defer=False)
        if outcome == "new":  # the victim was never in an accepted extract: then it is no removal
            self.next_sequence += 1
            self.listing[victim] = replace(self.listing[victim], status="Cancelled", panel_reference="SECP_LATE")

    @rule()
    def future_dated(self) -> None:
        made = extract(self.next_sequence, self.listing.values(), issued_at=self.clock + dt.timedelta(hours=1))
        assert self.deliver(made, defer=False, received_at=self.clock) == "future-dated"

    @precondition(lambda self: self.reference.latest is not None)
    @rule()
    def issued_before_the_last_accepted(self) -> None:
        latest = self.reference.latest
        assert latest is not None
        made = extract(latest.sequence + 1, self.listing.values(), issued_at=latest.issued_at - dt.timedelta(minutes=1))
        outcome = self.deliver(made, defer=False)
        assert outcome in ("out-of-order", "unexplained-removal", "equivocation", "rollback")

    @rule()
    def garbage(self) -> None:
        with pytest.raises(ExtractRefusedError) as refused:
            self.inventory.receive(b'{"format":"cpl-extract","sequence":1}', received_at=self.tick())
        assert refused.value.rule == "format"

    # --- installers ---------------------------------------------------------------------

    @rule(model=st.sampled_from(CPL_MODELS + DISPLAYS), status=st.sampled_from(ENTRY_STATUSES))
    def install(self, model: Key, status: str) -> None:
        self.add_device(model, status)

    def add_device(self, model: Key, status: str) -> None:
        self.device_count += 1
        device_id = f"{0xAB0000000000 + self.device_count:016X}"
        kind, manufacturer, model_id, hardware, firmware = model

        def add() -> None:
            self.inventory.add_device(
                device_id,
                physical_device_type=kind,
                manufacturer_id=manufacturer,
                model_id=model_id,
                hardware_version=hardware,
                firmware_version=firmware,
                status=SmiStatus(status),
                at=self.tick(),
            )

        if self.reference.may_enter(model):
            add()
            self.reference.devices[device_id] = Device(model, status)
        else:
            with pytest.raises(ModelNotActiveError):
                add()

    @precondition(lambda self: self.reference.devices)
    @rule(data=st.data(), firmware=st.sampled_from(FIRMWARE))
    def update_firmware(self, data: st.DataObject, firmware: str) -> None:
        device_id = data.draw(st.sampled_from(sorted(self.reference.devices)))
        device = self.reference.devices[device_id]
        target = on_firmware(device.model, firmware)
        if firmware == device.model[4]:
            assert self.inventory.update_firmware(device_id, firmware, at=self.tick())[1] is False
        elif device.status == "Suspended":
            with pytest.raises(DeviceSuspendedError):
                self.inventory.update_firmware(device_id, firmware, at=self.tick())
        elif not self.reference.may_enter(target):
            with pytest.raises(FirmwareNotActiveError):
                self.inventory.update_firmware(device_id, firmware, at=self.tick())
        else:
            self.inventory.update_firmware(device_id, firmware, at=self.tick())
            device.model = target

    # --- the DCC's operator -------------------------------------------------------------

    @rule(hours=st.integers(min_value=0, max_value=30))
    def apply_due(self, hours: int) -> None:
        """Apply what is queued, never later than the earliest deadline."""
        self.pass_time(hours)
        applied = self.inventory.apply_due(self.clock).applied
        assert [a.sequence for a in applied] == [e.sequence for e in self.reference.queue]
        while self.reference.queue:
            self.reference.apply(self.reference.queue[0])
        self.reference.check_stale(self.clock)
        self.owed_since_a_crash = False

    @rule(hours=st.integers(min_value=0, max_value=12))
    def report(self, hours: int) -> None:
        """The operator looks: the report says whether the CPL in force is stale (and raises its alert once)."""
        self.pass_time(hours, margin=dt.timedelta(hours=2))  # leaves the operator time to apply what is queued
        report = self.inventory.report(self.clock)
        assert report.cpl_sequence == self.reference.in_force
        assert report.cpl_stale is self.reference.stale_at(self.clock)
        self.reference.check_stale(self.clock)
        self.owed_since_a_crash = False

    @rule(
        changes=st.lists(st.tuples(st.sampled_from(CPL_MODELS), st.booleans()), min_size=1, max_size=3),
        nth=st.integers(min_value=1, max_value=8),
    )
    def crash_inside_an_apply(self, changes: list[tuple[Key, bool]], nth: int) -> None:
        """A failure at the nth statement boundary inside an apply: what committed stays, the rest is as before."""
        self.deliver(self.issue(changes), defer=True)
        if not self.reference.queue:
            return
        calls = 0

        def checkpoint(step: str) -> None:
            nonlocal calls
            if step not in INSIDE_THE_APPLY:
                return
            calls += 1
            if calls == nth:
                raise Crash(step)

        self.store.checkpoint = checkpoint
        try:
            self.inventory.apply_due(self.tick())
            crashed = False
        except Crash:
            crashed = True
        finally:
            self.store.checkpoint = lambda step: None
        with self.store.begin() as conn:
            states = dict(
                conn.execute(select(extracts.c.sequence, extracts.c.state).where(extracts.c.state != "refused")).all()
            )
        applied_now = [e for e in self.reference.queue if states[e.sequence] == "applied"]
        assert applied_now == self.reference.queue[: len(applied_now)], "applied out of order"
        if crashed:
            event("an apply crashed part-way")
            assert len(applied_now) < len(self.reference.queue), "a crash must leave its extract queued"
        for made in applied_now:
            self.reference.apply(made)
        if not crashed:
            self.reference.check_stale(self.clock)
            self.owed_since_a_crash = False

    @rule(
        changes=st.lists(st.tuples(st.sampled_from(CPL_MODELS), st.booleans()), min_size=1, max_size=3),
        step=st.sampled_from(AFTER_THE_COMMIT),
        torn=st.booleans(),
    )
    def crash_after_an_apply_commits(self, changes: list[tuple[Key, bool]], step: str, torn: bool) -> None:
        """The process dies after the apply committed: between batches of alerts (leaving half a line,
        if ``torn``), after them, or after the receipt; the database says what is still owed."""
        self.deliver(self.issue(changes), defer=True)

        def checkpoint(reached: str) -> None:
            if reached == step:
                if torn and step == "alerts-batch":
                    with self.alerts_path.open("ab") as file:
                        file.write(TORN)
                raise Crash(reached)

        self.store.checkpoint = checkpoint
        now = self.tick()
        try:
            self.inventory.apply_due(now)
            crashed = False
        except Crash:
            crashed = True
        finally:
            self.store.checkpoint = lambda step: None
        for made in self.applied_in_the_database():
            self.reference.apply(made)
        if crashed:
            event(f"crashed after a commit, at {step}")
            self.owed_since_a_crash = True
        else:
            self.reference.check_stale(now)
            self.owed_since_a_crash = False

    @rule(
        changes=st.lists(st.tuples(st.sampled_from(CPL_MODELS), st.booleans()), min_size=1, max_size=3),
        pause_at=st.integers(min_value=1, max_value=12),
        two=st.booleans(),
    )
    def two_appliers_at_once(self, changes: list[tuple[Key, bool]], pause_at: int, two: bool) -> None:
        """A second applier (another process) starts while the first is held at its nth checkpoint."""
        self.deliver(self.issue(changes), defer=True)
        if two:
            self.deliver(self.issue(changes[:1]), defer=True)
        now = self.tick()
        engine = engine_for(type(self).database_url, busy_timeout=30)
        second = Inventory(
            small_batches(Store(engine, busy_timeout=30)), alerts_path=self.alerts_path, receipts=self.receipts
        )
        paused, resume, waiting = threading.Event(), threading.Event(), threading.Event()
        calls = 0
        held_at: list[str] = []

        def hold_the_first(step: str) -> None:
            nonlocal calls
            calls += 1
            if calls == pause_at:
                held_at.append(step)
                paused.set()
                assert resume.wait(60)

        def watch_the_second(step: str) -> None:
            if step == "lock-wait":
                waiting.set()

        self.store.checkpoint = hold_the_first
        second.store.checkpoint = watch_the_second
        results: dict[str, DueResult] = {}
        failures: list[BaseException] = []

        def run(name: str, inventory: Inventory) -> None:
            try:
                results[name] = inventory.apply_due(now)
            except BaseException as failure:  # reported by the main thread
                failures.append(failure)

        first = threading.Thread(target=run, args=("first", self.inventory))
        first.start()
        _wait(lambda: paused.is_set() or not first.is_alive())
        runner = threading.Thread(target=run, args=("second", second))
        runner.start()
        _wait(lambda: waiting.is_set() or not runner.is_alive(), timeout=10)
        event(f"first applier held at {held_at[0] if held_at else 'nothing (it finished first)'}")
        if waiting.is_set():
            event("second applier waited for the first")
        resume.set()
        first.join(120)
        runner.join(120)
        self.store.checkpoint = lambda step: None
        engine.dispose()
        assert not failures, failures
        applied = sorted(a.sequence for result in results.values() for a in result.applied)
        assert applied == [e.sequence for e in self.reference.queue], "each due extract applied once, by one"
        for made in self.applied_in_the_database():
            self.reference.apply(made)
        self.reference.check_stale(now)
        self.owed_since_a_crash = False

    def pass_time(self, hours: int, margin: dt.timedelta = dt.timedelta(0)) -> None:
        """Let up to ``hours`` pass, but never beyond the deadline of the oldest extract still queued
        (less ``margin``: the steps that follow tick the clock on by minutes)."""
        now = self.clock + dt.timedelta(hours=hours)
        if self.reference.queue:
            with self.store.begin() as conn:
                earliest = conn.execute(
                    select(extracts.c.received_at)
                    .where(extracts.c.state == "queued")
                    .order_by(extracts.c.sequence)
                    .limit(1)
                ).scalar_one()
            now = min(now, unstamp(earliest) + WINDOW - margin)
        self.clock = max(self.clock, now)

    def applied_in_the_database(self) -> list[Extract]:
        """The reference's queued extracts that the inventory applied, checked to be the oldest ones."""
        with self.store.begin() as conn:
            states = dict(
                conn.execute(select(extracts.c.sequence, extracts.c.state).where(extracts.c.state != "refused")).all()
            )
        applied = [e for e in self.reference.queue if states[e.sequence] == "applied"]
        assert applied == self.reference.queue[: len(applied)], "applied out of order"
        return applied

    # --- what must always hold ----------------------------------------------------------

    @invariant()
    def inventory_agrees_with_the_reference_model(self) -> None:
        with self.store.begin() as conn:
            rows = conn.execute(select(devices.c.device_id, devices.c.status, devices.c.status_before_suspension)).all()
        actual = {r[0]: (r[1], r[2]) for r in rows}
        expected = {i: (d.status, d.before) for i, d in self.reference.devices.items()}
        assert actual == expected

    @invariant()
    def each_device_s_history_is_the_changes_the_applies_made(self) -> None:
        """The history the inventory replays (it stores no row per change) is the one the reference lived."""
        for device_id, device in self.reference.devices.items():
            history = self.inventory.device(device_id).history
            assert [(c.status, c.new_status, c.extract_sequence) for c in history] == device.changes, device_id

    @invariant()
    def no_device_of_a_removed_model_stays_in_service(self) -> None:
        for device in self.reference.devices.values():
            if device.model[0] in CONTROLLED and device.model not in self.reference.active:
                assert device.status not in SUSPENDABLE
            if device.status == "Suspended":
                assert device.before in SUSPENDABLE

    @invariant()
    def the_cpl_in_force_is_the_last_applied(self) -> None:
        in_force = self.inventory.cpl_in_force()
        assert (None if in_force is None else in_force.sequence) == self.reference.in_force
        with self.store.begin() as conn:
            assert self.store.active_model_keys(conn) == self.reference.active

    @invariant()
    def alerts_and_receipts_are_written_once_or_owed_after_a_crash(self) -> None:
        with self.store.begin() as conn:
            applied = [r for r in self.store.extract_records(conn) if r.state == "applied"]
            blocks: list[tuple[list[str], bool]] = []  # each extract's alerts, then its CplStale line, in order
            for record in sorted(applied, key=lambda r: r.sequence or 0):
                assert record.sequence is not None
                lines = [line for batch in self.store.alert_lines(conn, record.sequence) for line in batch]
                blocks.append((lines, not record.alerts_owed))
                if record.stale_alert_at is not None:
                    due = self.reference.accepted_extracts[record.sequence].next_update_by
                    blocks.append(
                        ([stale_line(record.sequence, due, record.stale_alert_at)], not record.stale_alert_owed)
                    )
        owed = [written for _lines, written in blocks].count(False) + sum(1 for r in applied if r.receipt_path is None)
        if not self.owed_since_a_crash:
            assert owed == 0, "only a crash leaves alerts or receipts owed, and the next run writes them"
        data = self.alerts_path.read_bytes() if self.alerts_path.exists() else b""
        *lines_in_file, half = data.decode("utf-8").split("\n")
        position = 0
        for number, (lines, written) in enumerate(blocks):
            # (a block's lines are in the order its apply's pass met them: compared as multisets)
            if not written:  # the first owed block: the file may hold some of its lines, whole, and half of one
                assert all(not later for _l, later in blocks[number + 1 :]), "a later block written before it"
                assert not Counter(lines_in_file[position:]) - Counter(lines), "the file holds lines not of the block"
                break
            block = lines_in_file[position : position + len(lines)]
            assert sorted(block) == sorted(lines), f"block {number} is not whole and once"
            position += len(lines)
        else:
            assert position == len(lines_in_file) and half == "", "nothing more in the alerts file"
        for record in applied:
            assert record.sequence is not None
            if record.receipt_path is not None:
                signed = self.receipts.signed[record.sequence]
                counts = (record.devices_suspended, record.devices_restored, record.applied_at)
                assert all((r.devices_suspended, r.devices_restored, r.applied_at) == counts for r in signed)

    @invariant()
    def a_stale_cpl_in_force_raised_its_alert_once(self) -> None:
        with self.store.begin() as conn:
            raised = {
                r.sequence: r.stale_alert_at
                for r in self.store.extract_records(conn)
                if r.state == "applied" and r.stale_alert_at is not None
            }
        assert raised == self.reference.stale_raised

    @invariant()
    def every_applied_extract_was_applied_within_24_hours(self) -> None:
        with self.store.begin() as conn:
            rows = conn.execute(
                select(extracts.c.received_at, extracts.c.applied_at).where(extracts.c.state == "applied")
            ).all()
        for received_at, applied_at in rows:
            assert unstamp(applied_at) - unstamp(received_at) <= WINDOW


def _wait(done: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.005)


def test_the_inventory_keeps_its_invariants_through_random_histories(
    fresh_store: Callable[[], Store], database_url: str
) -> None:
    InventoryMachine.make_store = staticmethod(fresh_store)  # type: ignore[assignment]
    InventoryMachine.database_url = database_url
    examples = 40 if database_url.startswith("sqlite") else 20
    run_state_machine_as_test(
        InventoryMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=35,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
