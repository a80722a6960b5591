"""A realistic inventory, fast: which Devices a set of premises holds, as data and a pure generator.

Each premises has a Communications Hub, nearly always an IHD, one electricity meter, often a gas
meter, sometimes a PPMID; now and then an HCALCS or a Type 2 Device. A premises' Devices share
one SMI Status, mostly Commissioned. Device IDs are EUI-64s: a 24-bit prefix derived from the
manufacturer (a universally administered, unicast OUI) and a 40-bit serial that is a bijection of
the Device's row id, so seeded ids never repeat however many times the inventory is seeded.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from formats.extract import Extract, format_timestamp
from formats.vocabulary import CPL_CONTROLLED_TYPES, PhysicalDeviceType
from smi.errors import NothingToSeedError
from smi.rules import ModelKey, SmiStatus

_T = PhysicalDeviceType
_S = SmiStatus

#: The slots of one premises: each is filled with its probability, by one Device of a type drawn
#: with the given weights (types without a model to use are left out of the draw).
PREMISES_MIX: tuple[tuple[float, Mapping[PhysicalDeviceType, int]], ...] = (
    (1.00, {_T.COMMUNICATIONS_HUB: 1}),
    (0.97, {_T.IHD: 1}),
    (
        1.00,
        {
            _T.SINGLE_ELEMENT_ELECTRICITY_METER: 90,
            _T.TWIN_ELEMENT_ELECTRICITY_METER: 7,
            _T.POLYPHASE_ELECTRICITY_METER: 3,
        },
    ),
    (0.75, {_T.GAS_SMART_METER: 1}),
    (0.25, {_T.PPMID: 1}),
    (0.02, {_T.HCALCS: 1}),
    (0.01, {_T.TYPE_2_DEVICE_OTHER: 1}),
)

#: How a premises' Devices stand, per thousand premises.
STATUS_MIX: Mapping[SmiStatus, int] = {
    _S.COMMISSIONED: 900,
    _S.INSTALLED_NOT_COMMISSIONED: 40,
    _S.PENDING: 15,
    _S.WHITELISTED: 15,
    _S.DECOMMISSIONED: 20,
    _S.WITHDRAWN: 8,
    _S.RECOVERY: 1,
    _S.RECOVERED: 1,
}

#: Device Models invented for the types the CPL does not list (IHDs, Type 2 Devices), per type.
UNCONTROLLED_MODELS_PER_TYPE = 12

#: How far back a seeded Device's status may date.
STATUS_AGE = dt.timedelta(days=5 * 365)

_SERIAL_BITS = 40
_SERIAL_MASK = (1 << _SERIAL_BITS) - 1
_SERIAL_MULTIPLIER = 0x5DEECE66D  # odd, so multiplication modulo 2**40 is a bijection


def oui_prefix(manufacturer_id: str) -> str:
    """A stable 24-bit EUI-64 prefix for a manufacturer: universally administered and unicast."""
    first, second, third = hashlib.sha256(manufacturer_id.encode()).digest()[:3]
    return f"{first & 0xFC:02X}{second:02X}{third:02X}"


def device_serial(row_id: int) -> str:
    """The 40-bit serial of the Device in row ``row_id``: distinct rows, distinct serials."""
    return f"{(row_id * _SERIAL_MULTIPLIER) & _SERIAL_MASK:010X}"


def uncontrolled_models(extract: Extract, *, seed: int) -> list[ModelKey]:
    """IHD and Type 2 Device models to seed with, from the extract's manufacturers (never on the CPL)."""
    manufacturers = sorted({e.manufacturer_id for e in extract.entries}) or ["0000"]
    rng = random.Random(f"uncontrolled-{seed}")
    models: list[ModelKey] = []
    for kind in (_T.IHD, _T.TYPE_2_DEVICE_OTHER):
        for _ in range(UNCONTROLLED_MODELS_PER_TYPE):
            models.append(
                (
                    kind.value,
                    rng.choice(manufacturers),
                    f"{rng.randrange(1 << 16):04X}",
                    f"{rng.randrange(1 << 16):04X}",
                    f"{rng.randrange(1 << 16):04X}",
                )
            )
    return sorted(set(models))


def seedable_models(extract: Extract) -> list[ModelKey]:
    """The extract's Active models of CPL-controlled types, refused if there are none."""
    keys = sorted(k for k in extract.active_model_keys() if k[0] in CPL_CONTROLLED_TYPES)
    if not keys:
        raise NothingToSeedError(f"Extract sequence {extract.sequence} lists no Active Device Model to seed over.")
    return keys


@dataclass(frozen=True)
class SeedPlan:
    """Model refs to draw from, by type, each with its EUI-64 prefix."""

    models_by_type: Mapping[PhysicalDeviceType, Sequence[tuple[int, str]]]


def plan(model_refs: Mapping[ModelKey, int]) -> SeedPlan:
    by_type: dict[PhysicalDeviceType, list[tuple[int, str]]] = {}
    for key, ref in sorted(model_refs.items(), key=lambda item: item[1]):
        by_type.setdefault(PhysicalDeviceType(key[0]), []).append((ref, oui_prefix(key[1])))
    return SeedPlan(models_by_type=by_type)


def device_rows(
    seed_plan: SeedPlan, count: int, *, first_row_id: int, seed: int, at: dt.datetime
) -> Iterator[tuple[int, str, int, str, str]]:
    """``count`` Devices as (row id, Device ID, model_ref, SMI Status, status since), premises by premises."""
    rng = random.Random(seed)
    slots = []
    for probability, weights in PREMISES_MIX:
        usable = [(t, w) for t, w in weights.items() if seed_plan.models_by_type.get(t)]
        if usable:
            cumulative = list(itertools.accumulate(w for _, w in usable))
            slots.append((probability, [seed_plan.models_by_type[t] for t, _ in usable], cumulative))
    if not slots:
        raise NothingToSeedError("There is no Device Model to seed over.")
    statuses = list(STATUS_MIX)
    status_cumulative = list(itertools.accumulate(STATUS_MIX.values()))
    status_total = status_cumulative[-1]
    days = [
        format_timestamp(at - dt.timedelta(days=d, seconds=s))
        for d, s in zip(range(STATUS_AGE.days), itertools.cycle(range(0, 86400, 3607)), strict=False)
    ]
    random_ = rng.random
    choice = rng.choice
    bisect_right = bisect.bisect_right
    row_id = first_row_id
    last = first_row_id + count
    while row_id < last:
        status = statuses[bisect_right(status_cumulative, random_() * status_total)].value
        since = choice(days)
        for probability, model_lists, cumulative in slots:
            if probability < 1.0 and random_() >= probability:
                continue
            models = (
                model_lists[0]
                if len(model_lists) == 1
                else model_lists[bisect_right(cumulative, random_() * cumulative[-1])]
            )
            ref, prefix = choice(models)
            yield (row_id, prefix + f"{(row_id * _SERIAL_MULTIPLIER) & _SERIAL_MASK:010X}", ref, status, since)
            row_id += 1
            if row_id >= last:
                return
