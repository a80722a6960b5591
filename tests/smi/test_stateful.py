"""Random lives of an inventory, checked step by step against a small pure-Python reference model.

A hypothesis state machine plays SECAS (issuing extracts that add, remove, re-add models and move
them to new firmware), an attacker or a broken channel (replays, rollbacks, equivocation,
unexplained removals, future-dated and out-of-order extracts, garbage), installers (adding
Devices, updating firmware) and the DCC's operator (deferring extracts, applying what is due, and
crashing in the middle of an apply). After every step the inventory must agree with the reference
model, which applies each CPL to every Device one by one, and these hold:

- no Device of a model that is not Active on the CPL in force is left in a suspendable status;
- a restored Device has exactly the status it had before it was suspended;
- applying an extract twice changes nothing; a refused extract changes nothing;
- every applied extract was applied within 24 hours of its receipt.

Runs on SQLite and on a real PostgreSQL server. Extract content is fed in directly (signatures
are covered by the signed-file and command line tests), which keeps each example fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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

from formats.extract import Extract, ExtractEntry, sha256_hex
from smi.errors import (
    DeviceSuspendedError,
    ExtractRefusedError,
    FirmwareNotActiveError,
    ModelNotActiveError,
)
from smi.rules import SmiStatus
from smi.service import Inventory
from smi.store import Store, devices, extracts, unstamp
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


@dataclass
class Reference:
    """What the inventory should hold, computed the plain way: every Device against every CPL."""

    devices: dict[str, Device] = field(default_factory=dict)
    active: frozenset[Key] = frozenset()
    in_force: int | None = None
    accepted: dict[int, str] = field(default_factory=dict)  # sequence -> content SHA-256
    latest: Extract | None = None
    queue: list[Extract] = field(default_factory=list)

    def judge(self, candidate: Extract, received_at: dt.datetime) -> str:
        sha = sha256_hex(candidate.content())
        if candidate.sequence in self.accepted:
            return "repeat" if self.accepted[candidate.sequence] == sha else "equivocation"
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
        self.latest = candidate
        self.queue.append(candidate)

    def apply(self, applied: Extract) -> None:
        assert self.queue and self.queue[0] is applied
        self.queue.pop(0)
        self.in_force = applied.sequence
        self.active = frozenset(e.model_key for e in applied.entries if e.status == "Active")
        for device in self.devices.values():
            if device.model[0] not in CONTROLLED:
                continue
            listed = device.model in self.active
            if not listed and device.status in SUSPENDABLE:
                device.before, device.status = device.status, "Suspended"
                event("a Device suspended")
            elif listed and device.status == "Suspended" and device.before is not None:
                device.status, device.before = device.before, None
                event("a Device restored")

    def may_enter(self, model: Key) -> bool:
        return model[0] not in CONTROLLED or model in self.active


def on_firmware(model: Key, firmware: str) -> Key:
    kind, manufacturer, model_id, hardware, _ = model
    return (kind, manufacturer, model_id, hardware, firmware)


class Crash(RuntimeError):
    """A failure injected between two statements of an apply."""


class InventoryMachine(RuleBasedStateMachine):
    make_store: ClassVar[Callable[[], Store]]

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).make_store()
        self.inventory = Inventory(self.store)
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

    def issue(self, changes: list[tuple[Key, bool]]) -> Extract:
        for model, active in changes:
            if active:
                self.listing[model] = entry(model)
            elif model in self.listing:
                self.listing[model] = entry(model, status="Withdrawn")
        made = extract(self.next_sequence, self.listing.values(), issued_at=self.tick())
        self.next_sequence += 1
        return made

    def deliver(self, made: Extract, *, defer: bool, received_at: dt.datetime | None = None) -> str:
        """Send an extract to the DCC; the reference model says what must come of it."""
        moment = received_at or self.tick()
        expected = self.reference.judge(made, moment)
        event(f"extract: {expected}")
        if expected not in ("new", "repeat"):
            with pytest.raises(ExtractRefusedError) as refused:
                self.inventory.receive(made.content(), received_at=moment, defer=defer)
            assert refused.value.rule == expected
            return expected
        result = self.inventory.receive(made.content(), received_at=moment, defer=defer)
        if expected == "repeat":
            assert result.outcome == "repeat"
            return expected
        self.reference.accept(made)
        self.delivered.append(made)
        if not defer:
            assert [a.sequence for a in result.applied] == [e.sequence for e in self.reference.queue]
            for _ in list(self.reference.queue):
                self.reference.apply(self.reference.queue[0])
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
        assert self.deliver(data.draw(st.sampled_from(self.delivered)), defer=False) == "repeat"

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
        now = self.clock + dt.timedelta(hours=hours)
        if self.reference.queue:
            with self.store.begin() as conn:
                earliest = conn.execute(
                    select(extracts.c.received_at)
                    .where(extracts.c.state == "queued")
                    .order_by(extracts.c.sequence)
                    .limit(1)
                ).scalar_one()
            now = min(now, unstamp(earliest) + WINDOW)
        self.clock = max(self.clock, now)
        applied = self.inventory.apply_due(self.clock)
        assert [a.sequence for a in applied] == [e.sequence for e in self.reference.queue]
        while self.reference.queue:
            self.reference.apply(self.reference.queue[0])

    @rule(
        changes=st.lists(st.tuples(st.sampled_from(CPL_MODELS), st.booleans()), min_size=1, max_size=3),
        nth=st.integers(min_value=1, max_value=8),
    )
    def crash_inside_an_apply(self, changes: list[tuple[Key, bool]], nth: int) -> None:
        """A failure at the nth statement boundary: what committed stays, the rest is as before."""
        self.deliver(self.issue(changes), defer=True)
        if not self.reference.queue:
            return
        calls = 0

        def checkpoint(step: str) -> None:
            nonlocal calls
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

    # --- what must always hold ----------------------------------------------------------

    @invariant()
    def inventory_agrees_with_the_reference_model(self) -> None:
        with self.store.begin() as conn:
            rows = conn.execute(select(devices.c.device_id, devices.c.status, devices.c.status_before_suspension)).all()
        actual = {r[0]: (r[1], r[2]) for r in rows}
        expected = {i: (d.status, d.before) for i, d in self.reference.devices.items()}
        assert actual == expected

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
    def every_applied_extract_was_applied_within_24_hours(self) -> None:
        with self.store.begin() as conn:
            rows = conn.execute(
                select(extracts.c.received_at, extracts.c.applied_at).where(extracts.c.state == "applied")
            ).all()
        for received_at, applied_at in rows:
            assert unstamp(applied_at) - unstamp(received_at) <= WINDOW


def test_the_inventory_keeps_its_invariants_through_random_histories(
    fresh_store: Callable[[], Store], database_url: str
) -> None:
    InventoryMachine.make_store = staticmethod(fresh_store)  # type: ignore[assignment]
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
