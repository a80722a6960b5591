"""A realistic inventory: premises made of the right Devices, EUI-64 ids that never repeat."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from smi.rules import SmiStatus
from smi.seeding import STATUS_MIX, device_rows, device_serial, oui_prefix, plan
from tests.smi.factories import ELECTRICITY, GAS, HUB, IHD, key

AT = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
REFS = {key(HUB, "0001"): 1, key(ELECTRICITY, "0002"): 2, key(GAS, "0003"): 3, key(IHD, "0004"): 4}
KIND_OF = {ref: k[0] for k, ref in REFS.items()}


@given(st.text(alphabet="0123456789ABCDEF", min_size=4, max_size=4))
def test_manufacturer_prefixes_are_universally_administered_unicast_ouis(manufacturer_id: str) -> None:
    prefix = oui_prefix(manufacturer_id)
    assert len(prefix) == 6 and prefix == prefix.upper()
    assert int(prefix[:2], 16) & 0x03 == 0


@given(st.integers(min_value=1, max_value=2**40 - 1), st.integers(min_value=1, max_value=2**40 - 1))
def test_distinct_rows_get_distinct_serials(a: int, b: int) -> None:
    assert (device_serial(a) == device_serial(b)) == (a == b)
    assert len(device_serial(a)) == 10


def test_premises_hold_a_hub_an_ihd_a_meter_and_often_gas() -> None:
    rows = list(device_rows(plan(REFS), 40_000, first_row_id=1, seed=3, at=AT))
    assert len(rows) == 40_000 and [r[0] for r in rows] == list(range(1, 40_001))
    ids = [r[1] for r in rows]
    assert len(set(ids)) == len(ids) and all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    kinds = Counter(KIND_OF[r[2]] for r in rows)
    hubs = kinds[HUB]
    assert abs(kinds[ELECTRICITY] - hubs) <= 1
    assert 0.95 * hubs < kinds[IHD] <= hubs and 0.7 * hubs < kinds[GAS] < 0.8 * hubs
    statuses = Counter(r[3] for r in rows)
    assert set(statuses) <= {s.value for s in STATUS_MIX} and SmiStatus.SUSPENDED.value not in statuses
    assert statuses[SmiStatus.COMMISSIONED.value] > 0.85 * len(rows)
    assert all(r[4] <= "2026-11-22T00:00:00Z" for r in rows)


def test_the_same_seed_gives_the_same_inventory() -> None:
    first = list(device_rows(plan(REFS), 500, first_row_id=10, seed=9, at=AT))
    assert first == list(device_rows(plan(REFS), 500, first_row_id=10, seed=9, at=AT))
    assert first != list(device_rows(plan(REFS), 500, first_row_id=10, seed=10, at=AT))
