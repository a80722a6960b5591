"""The impact preview (`smi preview`): it predicts exactly what the apply then does, and changes nothing.

Each prediction is checked against the real apply that follows it: the counts the apply records and
receipts, and the alerts it writes, by SMI Status and by model. On SQLite and on PostgreSQL, through
the service and through the real command line; and as a property over random inventories and random
CPL changes, queued extracts included.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, MetaData, event, insert, select
from sqlalchemy.exc import DBAPIError

from formats.extract import Extract, sha256_hex
from signing.trust import TrustStore, load_trust
from smi import preview as preview_module
from smi import store as store_module
from smi.preview import MOVED_STATUSES, SIGNATURE_NOT_CHECKED, Outcome, Preview, read_only
from smi.rules import SmiStatus
from smi.service import Inventory
from smi.store import Store, devices
from smi.views import PreviewOut
from tests.smi.commandline import MODELS, SmiRun, iso, issued
from tests.smi.factories import ELECTRICITY, GAS, HUB, IHD, KEYS, PPMID, T0, Key, cpl, entry, extract, key, sign

AT = T0 + dt.timedelta(days=1)
S = SmiStatus
ENTERING = [S.PENDING, S.WHITELISTED, S.INSTALLED_NOT_COMMISSIONED, S.COMMISSIONED, S.DECOMMISSIONED, S.RECOVERY]


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return load_trust([KEYS / "root-ca.pem"])


def add_devices(inventory: Inventory, model: Key, statuses: Sequence[SmiStatus], numbers: Iterator[int]) -> list[str]:
    added = []
    for status in statuses:
        kind, manufacturer_id, model_id, hardware, firmware = model
        device = inventory.add_device(
            f"{next(numbers):016X}",
            physical_device_type=kind,
            manufacturer_id=manufacturer_id,
            model_id=model_id,
            hardware_version=hardware,
            firmware_version=firmware,
            status=status,
            at=T0,
        )
        added.append(device.device_id)
    return added


def alerts(path: Path, sequence: int) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [a for a in lines if a["extract_sequence"] == sequence and a["alert"] != "CplStale"]


def moved_by_status(lines: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Alerts as the preview counts them: suspended by the status they left, restored by the one they got."""
    suspended = Counter(a["previous_status"] for a in lines if a["alert"] == "DeviceSuspended")
    restored = Counter(a["status"] for a in lines if a["alert"] == "DeviceRestored")
    return preview_module.by_moved_status(suspended), preview_module.by_moved_status(restored)


def assert_predicted(predicted: Preview, inventory: Inventory, alerts_path: Path, *, owner: dict[str, Key]) -> None:
    """The apply of the previewed extract did exactly what the preview said: counts, alerts, per model."""
    sequence = predicted.sequence
    assert sequence is not None
    [record] = [r for r in inventory.report(AT).extracts if r.sequence == sequence and r.state == "applied"]
    assert (record.devices_suspended, record.devices_restored) == (
        predicted.devices_suspended,
        predicted.devices_restored,
    )
    lines = alerts(alerts_path, sequence)
    assert moved_by_status(lines) == (predicted.suspended_by_status, predicted.restored_by_status)
    per_model = Counter((owner[a["device_id"]], a["alert"]) for a in lines)
    expected = Counter()
    for impact in predicted.impacts:
        expected[(impact.model_key, "DeviceSuspended")] += impact.devices_suspended
        expected[(impact.model_key, "DeviceRestored")] += impact.devices_restored
    assert per_model == +expected


# --- through the service, on both backends ------------------------------------------------------------


def test_preview_predicts_exactly_the_suspensions_and_restorations_the_apply_makes(
    inventory: Inventory, trust: TrustStore, tmp_path: Path
) -> None:
    gas, hub, meter, ppmid, display = (
        key(GAS, "0001"),
        key(HUB, "0002"),
        key(ELECTRICITY, "0003"),
        key(PPMID, "0004"),
        key(IHD, "0005"),
    )
    inventory.receive(cpl(1, [gas, hub, meter, ppmid, display]).content(), received_at=AT)
    numbers = itertools.count(1)
    owner: dict[str, Key] = {}
    for model, statuses in {
        gas: [S.COMMISSIONED] * 3 + [S.PENDING, S.DECOMMISSIONED, S.RECOVERY],
        hub: [S.WHITELISTED, S.INSTALLED_NOT_COMMISSIONED, S.COMMISSIONED],
        meter: [S.COMMISSIONED, S.WITHDRAWN],
        ppmid: [S.PENDING] * 2,
        display: [S.COMMISSIONED] * 4,
    }.items():
        owner.update((d, model) for d in add_devices(inventory, model, statuses, numbers))

    withdraw = cpl(2, [meter, ppmid], removed=[gas, hub, display])
    first = inventory.preview(withdraw.content(), trust, received_at=AT)
    assert first.outcome is Outcome.NEW and first.accepted and first.in_force_sequence == 1
    assert [(i.model_key, i.change) for i in first.impacts] == [(hub, "suspend"), (gas, "suspend")]  # IHDs: not CPL
    assert first.suspended_by_status == {
        "Pending": 1,
        "Whitelisted": 1,
        "InstalledNotCommissioned": 1,
        "Commissioned": 4,
    }
    assert first.devices_restored == 0
    inventory.receive(withdraw.content(), received_at=AT)
    assert_predicted(first, inventory, tmp_path / "alerts.jsonl", owner=owner)

    # The gas model re-listed (restores, to the status each had), the PPMID withdrawn (suspends).
    relist = cpl(3, [gas, meter], removed=[hub, ppmid, display])
    second = inventory.preview(relist.content(), trust, received_at=AT)
    by_model = {i.model_key: i for i in second.impacts}
    assert by_model[gas].change == "restore" and by_model[gas].restored == {
        "Pending": 1,
        "Whitelisted": 0,
        "InstalledNotCommissioned": 0,
        "Commissioned": 3,
    }
    assert (by_model[gas].cpl_status_before, by_model[gas].cpl_status_after) == ("Withdrawn", "Active")
    assert by_model[ppmid].change == "suspend" and by_model[ppmid].devices_suspended == 2
    assert hub not in by_model  # still withdrawn: its Devices stay Suspended, nothing to do
    inventory.receive(relist.content(), received_at=AT)
    assert_predicted(second, inventory, tmp_path / "alerts.jsonl", owner=owner)


def test_preview_plays_the_queued_extracts_forward_first(
    inventory: Inventory, trust: TrustStore, tmp_path: Path
) -> None:
    gas, hub = key(GAS, "0001"), key(HUB, "0002")
    inventory.receive(cpl(1, [gas, hub]).content(), received_at=AT)
    owner = {d: gas for d in add_devices(inventory, gas, [S.COMMISSIONED] * 3, itertools.count(1))}
    owner.update({d: hub for d in add_devices(inventory, hub, [S.PENDING] * 2, itertools.count(10))})
    queued = cpl(2, [hub], removed=[gas])
    inventory.receive(queued.content(), received_at=AT, defer=True)
    # Against the inventory as it is, extract 3 changes nothing for gas; after the queued 2, it restores it.
    after = cpl(3, [gas], removed=[hub])
    predicted = inventory.preview(after.content(), trust, received_at=AT)
    assert predicted.applies_after == (2,) and predicted.in_force_sequence == 1
    assert {(i.model_key, i.change, i.devices_suspended + i.devices_restored) for i in predicted.impacts} == {
        (gas, "restore", 3),
        (hub, "suspend", 2),
    }
    # The queued one previewed again is already queued: its apply is what is shown.
    again = inventory.preview(queued.content(), trust, received_at=AT)
    assert again.outcome is Outcome.QUEUED and again.devices_suspended == 3 and again.applies_after == ()
    inventory.receive(after.content(), received_at=AT)
    assert_predicted(predicted, inventory, tmp_path / "alerts.jsonl", owner=owner)
    assert_predicted(again, inventory, tmp_path / "alerts.jsonl", owner=owner)


def test_the_cpl_in_force_previewed_again_changes_nothing(inventory: Inventory, trust: TrustStore) -> None:
    first = cpl(1, [key(GAS, "0001")])
    inventory.receive(first.content(), received_at=AT)
    repeat = inventory.preview(first.content(), trust, received_at=AT)
    assert repeat.outcome is Outcome.REPEAT and repeat.accepted and repeat.impacts == ()
    assert repeat.devices_suspended == repeat.devices_restored == 0


def test_preview_reads_in_chunks_of_model_refs_as_the_store_binds_them(
    inventory: Inventory, trust: TrustStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = [key(GAS, f"{n:04X}") for n in range(1, 8)]
    inventory.receive(cpl(1, models).content(), received_at=AT)
    numbers = itertools.count(1)
    owner = {}
    for n, model in enumerate(models):
        owner.update({d: model for d in add_devices(inventory, model, [S.COMMISSIONED] * (n + 1), numbers)})
    monkeypatch.setattr(store_module, "_CHUNK", 2)  # the store's own chunking, which the preview shares
    withdrawal = cpl(2, models[:1], removed=models[1:])
    predicted = inventory.preview(withdrawal.content(), trust, received_at=AT)
    assert predicted.devices_suspended == sum(range(2, 8))
    inventory.receive(withdrawal.content(), received_at=AT)
    assert_predicted(predicted, inventory, tmp_path / "alerts.jsonl", owner=owner)


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (lambda: cpl(1, [key(GAS, "0001"), key(HUB, "0002")]), "rollback"),
        (lambda: cpl(3, [key(GAS, "0001")]), "unexplained-removal"),
        (lambda: cpl(2, [key(GAS, "0001")], issued_at=T0), "equivocation"),
        (lambda: cpl(3, [key(GAS, "0001"), key(HUB, "0002")], issued_at=AT + dt.timedelta(hours=1)), "future-dated"),
    ],
)
def test_a_refused_extract_names_its_rule_and_records_nothing(
    inventory: Inventory, trust: TrustStore, make: Callable[[], Extract], rule: str
) -> None:
    models = [key(GAS, "0001"), key(HUB, "0002")]
    inventory.receive(cpl(1, models).content(), received_at=AT)
    inventory.receive(cpl(2, models).content(), received_at=AT)
    before = inventory.report(AT).extracts
    refused = inventory.preview(make().content(), trust, received_at=AT)
    assert refused.outcome is Outcome.REFUSED and not refused.accepted
    assert refused.refusal is not None and refused.refusal.rule == rule
    assert refused.in_force_sequence == 2
    assert inventory.report(AT).extracts == before  # an ingest would have recorded the refusal


def test_the_database_itself_refuses_writes_in_the_preview_transaction(store: Store) -> None:
    with pytest.raises(DBAPIError), read_only(store) as conn:
        conn.execute(insert(devices).values(device_id="0" * 16, model_ref=1, status="Pending", status_since="x"))
    # The pooled connection is writable again afterwards.
    with store.begin() as conn:
        conn.execute(insert(devices).values(device_id="0" * 16, model_ref=1, status="Pending", status_since="x"))
        assert conn.execute(select(devices.c.device_id)).scalars().all() == ["0" * 16]


def test_preview_counts_with_one_aggregate_query_on_the_model_index_and_writes_nothing(
    inventory: Inventory, trust: TrustStore
) -> None:
    models = [key(GAS, "0001"), key(HUB, "0002"), key(GAS, "0003")]
    inventory.receive(cpl(1, models).content(), received_at=AT)
    add_devices(inventory, models[0], [S.COMMISSIONED] * 3, itertools.count(1))
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((" ".join(statement.split()), parameters))

    engine = inventory.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        predicted = inventory.preview(cpl(2, models[1:], removed=models[:1]).content(), trust, received_at=AT)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert predicted.devices_suspended == 3
    on_devices = [(sql, parameters) for sql, parameters in statements if " FROM devices" in sql]
    assert len(on_devices) == 1, on_devices
    [(aggregate, parameters)] = on_devices
    assert "count(*)" in aggregate and "devices.model_ref IN" in aggregate and "GROUP BY" in aggregate
    writes = [sql for sql, _ in statements if sql.split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "CREATE")]
    assert writes == []
    if inventory.store.backend == "sqlite":  # the plan: a search of the model index, never a scan of the table
        with engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            plan = " ".join(str(row[-1]) for row in cursor.execute("EXPLAIN QUERY PLAN " + aggregate, parameters))
        assert "SEARCH devices USING" in plan and "SCAN devices" not in plan, plan


# --- a property: predicted == applied, over random inventories and random CPL changes ---------------------

POOL: list[Key] = [
    key(kind, f"{n:04X}", fw)
    for n, kind in enumerate([GAS, HUB, ELECTRICITY, PPMID, IHD], 1)
    for fw in ("0100", "0200")
]


def listing(sequence: int, active: frozenset[int]) -> Extract:
    """Every pool model listed: those in ``active`` Active, the rest Withdrawn (with a Panel reference)."""
    return extract(
        sequence,
        [entry(m, status="Active" if n in active else "Withdrawn") for n, m in enumerate(POOL)],
        issued_at=T0 + dt.timedelta(minutes=sequence),
    )


subsets = st.frozensets(st.integers(0, len(POOL) - 1))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    devices=st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.sampled_from(ENTERING)), max_size=40),
    history=st.lists(subsets, min_size=1, max_size=3),
    queue=st.lists(subsets, max_size=2),
    candidate=subsets,
)
def test_predicted_equals_applied_over_random_inventories_and_changes(
    fresh_store: Callable[[], Store],
    trust: TrustStore,
    tmp_path_factory: pytest.TempPathFactory,
    devices: list[tuple[int, SmiStatus]],
    history: list[frozenset[int]],
    queue: list[frozenset[int]],
    candidate: frozenset[int],
) -> None:
    alerts_path = tmp_path_factory.mktemp("alerts") / "alerts.jsonl"
    inventory = Inventory(fresh_store(), alerts_path=alerts_path)
    everything = frozenset(range(len(POOL)))
    inventory.receive(listing(1, everything).content(), received_at=AT)
    numbers = itertools.count(1)
    owner: dict[str, Key] = {}
    for model, status in devices:
        owner.update({d: POOL[model] for d in add_devices(inventory, POOL[model], [status], numbers)})
    sequence = 1
    for active in history:  # suspensions and restorations already made
        sequence += 1
        inventory.receive(listing(sequence, active).content(), received_at=AT)
    for active in queue:  # extracts waiting to be applied before the one previewed
        sequence += 1
        inventory.receive(listing(sequence, active).content(), received_at=AT, defer=True)
    previewed = listing(sequence + 1, candidate)
    predicted = inventory.preview(previewed.content(), trust, received_at=AT)
    assert predicted.accepted and predicted.applies_after == tuple(range(sequence - len(queue) + 1, sequence + 1))
    inventory.receive(previewed.content(), received_at=AT)
    assert_predicted(predicted, inventory, alerts_path, owner=owner)


# --- through the real command line ---------------------------------------------------------------------


def database_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the inventory, in primary-key order."""
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        schema = MetaData()
        schema.reflect(engine)
        with engine.connect() as conn:
            return {name: _rows(conn, table) for name, table in sorted(schema.tables.items())}
    finally:
        engine.dispose()


def _rows(conn: Connection, table: Any) -> list[tuple[Any, ...]]:
    order = list(table.primary_key.columns) or list(table.columns)
    return [tuple(row) for row in conn.execute(select(table).order_by(*order)).all()]


def files_under(*paths: Path) -> dict[str, bytes]:
    found = {}
    for path in paths:
        if path.is_file():
            found[str(path)] = path.read_bytes()
        elif path.is_dir():
            found.update({str(p): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()})
    return found


def test_preview_through_the_command_line_changes_nothing_and_predicts_the_ingest(
    smi_on_each_backend: SmiRun,
) -> None:
    smi = smi_on_each_backend
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("seed", "--devices", "2000", "--from-extract", first, "--seed", "7", "--at", iso(0))
    smi.json("ingest", smi.signed("e2.p7m", cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2))))
    relist = smi.signed("e3.p7m", cpl(3, [*MODELS[:1], *MODELS[2:]], removed=MODELS[1:2], issued_at=issued(3)))
    url = smi.env["SMI_DATABASE_URL"]
    rows, files = database_rows(url), files_under(smi.tmp / "alerts.jsonl", smi.tmp / "receipts")

    predicted = smi.json("preview", relist, "--received-at", iso(1))
    text = smi("preview", relist, "--received-at", iso(1)).stdout

    assert database_rows(url) == rows and files_under(smi.tmp / "alerts.jsonl", smi.tmp / "receipts") == files
    assert predicted["result"] == "new" and predicted["signature"] == "verified" and predicted["signer"]
    assert {e["change"] for e in predicted["entries"]} == {"suspend", "restore"}
    assert predicted["devices_suspended"] > 0 and predicted["devices_restored"] > 0
    assert "signature verified" in text and "would accept it" in text and f"{predicted['devices_suspended']:,}" in text
    for e in predicted["entries"]:
        assert e["entry_id"] in text

    applied = smi.json("ingest", relist, "--received-at", iso(1))["applied"][0]
    assert (applied["devices_suspended"], applied["devices_restored"]) == (
        predicted["devices_suspended"],
        predicted["devices_restored"],
    )
    lines = smi.outputs.alerts_of(3)
    assert moved_by_status(lines) == (predicted["suspended_by_status"], predicted["restored_by_status"])
    assert applied["content_sha256"] == predicted["content_sha256"]


def test_unsigned_content_is_previewed_and_says_its_signature_was_not_checked(smi: SmiRun) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))))
    draft = cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2))
    content = smi.tmp / "draft.json"
    content.write_bytes(draft.content())
    shown = smi("preview", content)
    assert SIGNATURE_NOT_CHECKED in shown.stdout and "would accept it" in shown.stdout
    data = smi.json("preview", content, "--received-at", iso(0))
    assert data["signature_checked"] is False and data["signature"] == SIGNATURE_NOT_CHECKED
    assert data["signer"] is None and data["content_sha256"] == sha256_hex(draft.content())
    assert [(e["entry_id"], e["change"], e["cpl_status_after"]) for e in data["entries"]] == [
        (draft.entries[[e.model_key for e in draft.entries].index(MODELS[0])].entry_id, "suspend", "Withdrawn")
    ]
    # The same content signed is the same preview, its signature now verified.
    signed = smi.json("preview", smi.signed("e2.p7m", draft), "--received-at", iso(0))
    assert signed["signature_checked"] is True and signed["signature"] == "verified"
    assert {k: v for k, v in signed.items() if k not in ("signature", "signature_checked", "signer")} == {
        k: v for k, v in data.items() if k not in ("signature", "signature_checked", "signer")
    }


def test_the_preview_json_is_the_preview_view(smi: SmiRun) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))))
    data = smi.json("preview", smi.signed("e2.p7m", cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2))))
    assert PreviewOut.model_validate(data).model_dump(mode="json") == data
    assert set(data) == set(PreviewOut.model_fields)
    assert data["cpl_in_force"] == 1 and data["sequence"] == 2 and data["applies_after"] == []
    assert set(data["suspended_by_status"]) == set(MOVED_STATUSES) == set(data["restored_by_status"])
    [one] = data["entries"]
    assert one["model"] == dict(
        zip(
            ("physical_device_type", "manufacturer_id", "model_id", "hardware_version", "firmware_version"),
            MODELS[0],
            strict=True,
        )
    )
    assert (one["cpl_status_before"], one["cpl_status_after"], one["devices_suspended"]) == ("Active", "Withdrawn", 0)


def test_a_repeat_and_a_queued_extract_through_the_command_line(smi: SmiRun) -> None:
    first = smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1)))
    smi("ingest", first)
    repeat = smi("preview", first)
    assert "already in force" in repeat.stdout and "changes nothing" in repeat.stdout
    assert smi.json("preview", first)["result"] == "repeat"
    second = smi.signed("e2.p7m", cpl(2, MODELS[1:], removed=MODELS[:1], issued_at=issued(2)))
    smi("ingest", second, "--defer")
    queued = smi.json("preview", second)
    assert queued["result"] == "queued" and queued["accepted"] is True and len(queued["entries"]) == 1
    assert "already queued" in smi("preview", second).stdout


@pytest.mark.parametrize(
    ("name", "rule", "ingest_rule"),
    [
        ("rollback", "rollback", "rollback"),
        ("unexplained-removal", "unexplained-removal", "unexplained-removal"),
        ("tampered", "signature", "signature"),
        ("wrong-signer", "signature", "signature"),
        # Not canonical content, so not unsigned content either: the preview says why as content; an
        # ingest, which takes signed files only, finds no signature.
        ("not-canonical", "format", "signature"),
    ],
)
def test_a_refused_extract_through_the_command_line_exits_1_and_records_nothing(
    smi: SmiRun, name: str, rule: str, ingest_rule: str
) -> None:
    smi("ingest", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))))
    smi("ingest", smi.signed("e2.p7m", cpl(2, MODELS, issued_at=issued(2))))
    path = smi.tmp / f"{name}.p7m"
    if name == "rollback":
        path = smi.tmp / "e1.p7m"
    elif name == "unexplained-removal":
        path = smi.signed(path.name, cpl(3, MODELS[1:], issued_at=issued(3)))
    elif name == "tampered":
        signed = bytearray(sign(cpl(3, MODELS, issued_at=issued(3)).content(), signing_time=issued(3)))
        at = bytes(signed).index(b'"sequence":3')
        signed[at + len('"sequence":')] = ord("4")
        path.write_bytes(bytes(signed))
    elif name == "wrong-signer":
        path = smi.signed(path.name, cpl(3, MODELS, issued_at=issued(3)), signer="dcc-receipt-signer")
    else:
        path.write_text(json.dumps(cpl(3, MODELS, issued_at=issued(3)).to_json(), indent=2))
    url = smi.env["SMI_DATABASE_URL"]
    rows = database_rows(url)
    refused = smi("preview", path, "--json", expect=1)
    data = json.loads(refused.stdout)
    assert (data["result"], data["accepted"], data["rule"]) == ("refused", False, rule)
    assert data["reason"] and data["reason"] in refused.stderr and data["entries"] == []
    assert "REFUSE" in smi("preview", path, expect=1).stdout
    assert database_rows(url) == rows
    # An ingest of the same file is refused, and that one is recorded.
    assert smi.json("ingest", path, expect=1)["rule"] == ingest_rule
    assert [e["state"] for e in smi.json("report")["extracts"]] == ["applied", "applied", "refused"]


def test_a_missing_file_is_unusable_input(smi: SmiRun) -> None:
    result = smi("preview", smi.tmp / "nowhere.p7m", expect=2)
    assert "does not exist" in result.stderr


def test_the_first_extract_previewed_on_an_empty_inventory(smi: SmiRun) -> None:
    data = smi.json("preview", smi.signed("e1.p7m", cpl(1, MODELS, issued_at=issued(1))))
    assert data["result"] == "new" and data["cpl_in_force"] is None
    assert {e["change"] for e in data["entries"]} == {"restore"} and data["devices_restored"] == 0
    assert len(data["entries"]) == len(MODELS) and all(e["cpl_status_before"] is None for e in data["entries"])
